"""The row-level rules as Great Expectations expectations (the only module that imports GX).

An ephemeral context, pandas DataFrames taken from the store, the SUMMARY result format. GX
reports how many rows fail; which rows they are is found with SQL (see :mod:`.rules`), and
:func:`run` returns GX's counts so the two can be compared.

Importing GX takes seconds (it brings SciPy and Altair), more than the ingest and calculate
stages of a city. A build therefore calls :func:`warm_up` as its stages start: it starts a worker
process that imports GX on the other core while ingest and calculate run, and :func:`run` hands
the worker the DataFrames (taken from the store as before) and gets the counts back; with
:func:`start` the caller runs its SQL rules while the worker validates. Without a worker (no
:func:`warm_up`, a worker that could not start or died, or frames too large to copy across), GX
is imported and run in this process, as before; the counts are the same.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the worker runs this file alone: it imports nothing of the pipeline, only GX
    import duckdb

    from pipeline.catalogue import Catalogue

Spec = tuple[str, dict[str, Any]]
"""An expectation as data: the name of its class in ``gx.expectations`` and its arguments."""
Frames = list[tuple[str, Any, dict[str, Spec]]]
"""What GX validates: (asset name, pandas DataFrame, expectations by rule id)."""

MAX_WORKER_ROWS = 2_000_000
"""Frames with more rows than this (a national build) are validated in this process rather than
copied to the worker: GX's own work then outweighs its import."""

WORKER = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"
"""The worker's program (``python -P -c``): this file, run alone (see the end of the file), so that
its first and only long import is GX's."""

_worker: subprocess.Popen | None = None
_worker_lock = threading.Lock()


def _import_gx():
    """GX, imported (once per process) with its analytics and progress logging off."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx

    return gx


def warm_up() -> None:
    """Start the worker that imports GX, and return at once; while it lives, a second call does
    nothing. :func:`run` uses it."""
    global _worker
    with _worker_lock:
        if _worker is not None and _worker.poll() is None or getattr(sys, "frozen", False):
            return  # a frozen application's executable is no Python to run the worker with
        _stop()  # a worker that died: its pipes
        try:
            _worker = subprocess.Popen(
                [sys.executable, "-P", "-c", WORKER, str(Path(__file__).resolve())],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env={**os.environ, "GX_ANALYTICS_ENABLED": os.environ.get("GX_ANALYTICS_ENABLED", "false")})
        except (OSError, ValueError):  # no process can be started here: run() validates in this process
            _worker = None


@atexit.register
def _stop() -> None:
    """Stop the worker (with the process that started it)."""
    global _owed
    worker, _owed = _worker, None
    if worker is not None:
        if worker.poll() is None:
            worker.kill()
        worker.wait()
        for pipe in (worker.stdin, worker.stdout):
            try:
                pipe.close()
            except OSError:
                pass


def serve() -> None:
    """The worker: import GX, then answer each request (a pickled ``(id, frames)`` on stdin) with
    ``(id, "counts", counts)`` (pickled on stdout) until stdin closes. Anything GX prints goes to
    stderr."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    requests = sys.stdin.buffer
    _import_gx()
    while True:
        try:
            request, frames = pickle.load(requests)
        except EOFError:
            return
        try:
            answer: tuple[int, str, object] = (request, "counts", check(frames))
        except Exception as e:  # noqa: BLE001 - the caller validates in its own process, and raises there
            answer = (request, "error", repr(e))
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


_requests = 0
_owed: int | None = None
"""The request whose answer the worker owes (sent, not yet read)."""


def _exchange(step):
    """Run ``step(worker)`` under the lock; a worker that fails half-way through is stopped (an
    error means: validate in this process, None; an interrupt is raised)."""
    global _worker, _owed
    with _worker_lock:
        worker = _worker
        if worker is None or worker.poll() is not None:
            return None
        try:
            return step(worker)
        except BaseException as e:
            _stop()
            _worker, _owed = None, None
            if isinstance(e, Exception):  # it died, or wrote what is no answer
                return None
            raise  # an interrupt


def _send(frames: Frames) -> int | None:
    """Hand ``frames`` to the worker; the request's id, or None (no worker, or frames too large)."""
    if sum(len(f) for _, f, _ in frames) > MAX_WORKER_ROWS:
        return None

    def step(worker: subprocess.Popen) -> int:
        global _requests, _owed
        if _owed is not None:  # the answer to an earlier request that nobody read (its build failed)
            pickle.load(worker.stdout)
        _requests += 1
        _owed = _requests
        pickle.dump((_requests, frames), worker.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        worker.stdin.flush()
        return _requests

    return _exchange(step)


def _receive(request: int) -> dict[str, int] | None:
    """The worker's counts for ``request``; None if it gave none (validate in this process)."""
    def step(worker: subprocess.Popen) -> dict[str, int] | None:
        global _owed
        if _owed != request:  # never sent, or dropped for a later request
            return None
        answered, kind, answer = pickle.load(worker.stdout)
        _owed = None
        return answer if answered == request and kind == "counts" else None

    return _exchange(step)


class Pending:
    """GX's counts on their way (:func:`start`); :meth:`result` waits for them."""

    def __init__(self, frames: Frames, request: int | None):
        self._frames, self._request, self._counts = frames, request, None

    def result(self) -> dict[str, int]:
        """The counts by rule id: the worker's, else validated here (the same counts)."""
        if self._counts is None:
            counts = _receive(self._request) if self._request is not None else None
            self._counts = check(self._frames) if counts is None else counts
        return self._counts


def check(frames: Frames) -> dict[str, int]:
    """Validate each frame with its expectations in an ephemeral GX context: the unexpected-row
    count of each rule id."""
    gx = _import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = ctx.data_sources.add_pandas("store")
    counts = {}
    for name, frame, expectations in frames:
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all").get_batch(
            batch_parameters={"dataframe": frame})
        for rule_id, (kind, args) in expectations.items():
            result = batch.validate(getattr(gx.expectations, kind)(**args), result_format="SUMMARY")
            counts[rule_id] = int(result.result.get("unexpected_count") or 0)
    return counts


def start(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> Pending:
    """Take the frames from the store and hand them to the worker of :func:`warm_up` if there is
    one, and return at once: the caller runs its SQL rules meanwhile, then asks for the counts."""
    frames = _frames(con, catalogue)
    return Pending(frames, _send(frames))


def run(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> dict[str, int]:
    """Unexpected-row counts by rule id (for range and recompute rules: summed over indicators):
    by the worker of :func:`warm_up` if there is one, else in this process."""
    return start(con, catalogue).result()


def _frames(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> Frames:
    """The frames to validate, taken from the store, and their expectations."""
    from pipeline.catalogue.models import Ratio
    from pipeline.validate.base import sql_in
    from pipeline.validate.checks import (
        accepted_values,
        between_0_100,
        not_negative,
        recomputes,
    )

    frames: Frames = []

    def validate(name: str, sql: str, expectations: dict[str, Spec]) -> None:
        frames.append((name, con.sql(sql).df(), expectations))

    nonneg, shares = not_negative.variables(catalogue), between_0_100.variables(catalogue)
    validate("observations", "SELECT city_code, year, variable, status FROM observations", {
        "unique_observations_city_year_variable": ("ExpectCompoundColumnsToBeUnique", {"column_list": ["city_code", "year", "variable"]}),
        "accepted_values_observations_variable": ("ExpectColumnValuesToBeInSet", {"column": "variable", "value_set": accepted_values.values(catalogue)}),
    })
    validate("nonnegative", f"SELECT CAST(value AS DOUBLE) AS value FROM observations WHERE variable IN {sql_in(nonneg)} AND value IS NOT NULL", {
        "not_negative_observations_value": ("ExpectColumnValuesToBeBetween", {"column": "value", "min_value": 0}),
    })
    validate("shares", f"SELECT CAST(value AS DOUBLE) AS value FROM observations WHERE variable IN {sql_in(shares)} AND value IS NOT NULL", {
        "between_0_100_observations_value": ("ExpectColumnValuesToBeBetween", {"column": "value", "min_value": 0, "max_value": 100}),
    })

    # Results: the bounds and the recomputed value of every indicator, one frame, four expectations.
    bounds = [(ind.uid, None if chk.min is None else float(chk.min), None if chk.max is None else float(chk.max))
              for ind in catalogue.indicators.values() for chk in ind.checks if chk.kind == "range"]
    ratios = [(ind.uid,) for ind in catalogue.indicators.values() if isinstance(ind.calculation, Ratio)]
    con.execute("CREATE OR REPLACE TEMP TABLE gx_bounds (indicator_uid VARCHAR, lo DOUBLE, hi DOUBLE)")
    con.execute("CREATE OR REPLACE TEMP TABLE gx_recompute (indicator_uid VARCHAR)")
    for table, rows in (("gx_bounds", bounds), ("gx_recompute", ratios)):
        if rows:  # one statement: executemany inserts row by row, ten times slower
            row = "(" + ", ".join("?" * len(rows[0])) + ")"
            con.execute(f"INSERT INTO {table} SELECT * FROM (VALUES {', '.join([row] * len(rows))})", [v for r in rows for v in r])
    validate("ranges", """
        SELECT CAST(r.value AS DOUBLE) AS value, b.lo, b.hi FROM results r JOIN gx_bounds b USING (indicator_uid)
        WHERE r.status = 'reported' AND r.value IS NOT NULL""", {
        "range_results_lo": ("ExpectColumnPairValuesAToBeGreaterThanB", {"column_A": "value", "column_B": "lo", "or_equal": True, "ignore_row_if": "either_value_is_missing"}),
        "range_results_hi": ("ExpectColumnPairValuesAToBeGreaterThanB", {"column_A": "hi", "column_B": "value", "or_equal": True, "ignore_row_if": "either_value_is_missing"}),
    })
    validate("recompute", f"""
        SELECT CAST(r.value AS DOUBLE) AS value,
               {recomputes.expected()} - ({recomputes.TOLERANCE}) AS low,
               {recomputes.expected()} + ({recomputes.TOLERANCE}) AS high
        FROM results r JOIN gx_recompute g USING (indicator_uid)
        WHERE r.status = 'reported' AND r.value IS NOT NULL AND r.origin = 'computed'""", {
        "recomputes_results_lo": ("ExpectColumnPairValuesAToBeGreaterThanB", {"column_A": "value", "column_B": "low", "or_equal": True}),
        "recomputes_results_hi": ("ExpectColumnPairValuesAToBeGreaterThanB", {"column_A": "high", "column_B": "value", "or_equal": True}),
    })
    return frames


if __name__ == "__main__":  # the worker of warm_up()
    serve()
