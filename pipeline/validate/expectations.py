"""The row-level rules as Great Expectations expectations (the only module that imports GX).

An ephemeral context, pandas DataFrames taken from the store, the SUMMARY result format. GX
reports how many rows fail; which rows they are is found with SQL (see :mod:`.rules`), and
:func:`start` gives GX's counts so the two can be compared.

Importing GX takes seconds (it brings SciPy and Altair), more than the ingest and calculate
stages of a city. A build therefore calls :func:`warm_up` as its stages start: it starts a worker
process that imports GX on the other core while ingest and calculate run. :func:`start` then takes
the DataFrames from the store on a thread of its own, a range of cities at a time (so memory is
that of one range, whatever the number of cities; a city is never split, so a key with the city
code is unique across ranges when it is unique in each), and hands each range to the worker while
the caller runs its SQL rules; the counts are summed over the ranges. Without a worker (no
:func:`warm_up`, or a worker that could not start or died), GX is imported and run in this
process; the counts are the same.
"""

from __future__ import annotations

import atexit
import ctypes
import gc
import logging
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the worker runs this file alone: it imports nothing of the pipeline, only GX
    import duckdb

    from pipeline.catalogue import Catalogue

Spec = tuple[str, dict[str, Any]]
"""An expectation as data: the name of its class in ``gx.expectations`` and its arguments."""
Frames = list[tuple[str, Any, dict[str, Spec]]]
"""What GX validates: (asset name, pandas DataFrame, expectations by rule id)."""

RANGE_ROWS = 500_000
"""The frames are taken and validated a range of cities with at most this many observations at a
time (a national store is a dozen ranges): memory stays that of one range."""

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
    nothing. :func:`start` uses it."""
    global _worker
    with _worker_lock:
        if _worker is not None and _worker.poll() is None or getattr(sys, "frozen", False):
            return  # a frozen application's executable is no Python to run the worker with
        stop()  # a worker that died: its pipes
        try:
            _worker = subprocess.Popen(
                [sys.executable, "-P", "-c", WORKER, str(Path(__file__).resolve())],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env={**os.environ, "GX_ANALYTICS_ENABLED": os.environ.get("GX_ANALYTICS_ENABLED", "false")})
        except (OSError, ValueError):  # no process can be started here: start() validates in this process
            _worker = None


@atexit.register
def stop() -> None:
    """Stop the worker: with the process that started it, or when validation is done (a build
    then has its memory back for the stages after)."""
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
        del frames
        _give_back()


def _give_back() -> None:
    """Return the memory of a request's frames to the system (glibc keeps freed memory for the
    process otherwise: the worker would hold its largest request through the rest of a build)."""
    gc.collect()
    if sys.platform == "linux":
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc
            pass


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
            stop()
            _worker, _owed = None, None
            if isinstance(e, Exception):  # it died, or wrote what is no answer
                return None
            raise  # an interrupt


def _send(frames: Frames) -> int | None:
    """Hand ``frames`` to the worker; the request's id, or None (no worker)."""
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


def _validated(frames: Frames) -> dict[str, int]:
    """The counts of ``frames``: by the worker if there is one, else in this process."""
    request = _send(frames)
    counts = _receive(request) if request is not None else None
    return check(frames) if counts is None else counts


class Pending:
    """GX's counts on their way (:func:`start`): a thread takes the frames from the store a range
    of cities at a time and has each range validated; :meth:`result` waits for it."""

    def __init__(self, take: Callable[[], Iterator[Frames]]):
        self._counts: dict[str, int] = {}
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(take,), name="great-expectations", daemon=True)
        self._thread.start()

    def _run(self, take: Callable[[], Iterator[Frames]]) -> None:
        try:
            for frames in take():
                for rule_id, n in _validated(frames).items():
                    self._counts[rule_id] = self._counts.get(rule_id, 0) + n
        except BaseException as e:  # noqa: BLE001 - raised where the counts are asked for
            self._error = e

    def result(self) -> dict[str, int]:
        """The counts by rule id, summed over the ranges of cities."""
        self._thread.join()
        if self._error is not None:
            raise self._error
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


def start(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, range_rows: int | None = None) -> Pending:
    """Start validating the store with GX (in the worker of :func:`warm_up` if there is one) and
    return at once: the caller runs its SQL rules meanwhile, then asks for the counts. The frames
    are taken on a cursor of their own, a range of cities with at most ``range_rows``
    observations (default :data:`RANGE_ROWS`; a city is never split) at a time, so that neither
    this process nor the worker holds a national store's frames at once."""
    cur = con.cursor()
    specs = _specs(cur, catalogue)
    ranges = _ranges(cur, RANGE_ROWS if range_rows is None else range_rows)

    def take() -> Iterator[Frames]:
        try:
            for first, last in ranges:
                yield [(name, cur.execute(sql, {"first": first, "last": last}).df(), expectations)
                       for name, sql, expectations in specs]
        finally:
            cur.close()

    return Pending(take)


def _ranges(con: duckdb.DuckDBPyConnection, rows: int) -> list[tuple[str, str]]:
    """Ranges of city codes (first, last), in code order, each with at most ``rows`` observations
    unless one city has more; one range (any codes) for an empty store."""
    ranges: list[tuple[str, str]] = []
    first, last, n = None, None, 0
    for code, count in con.execute("SELECT city_code, count(*) FROM observations GROUP BY city_code ORDER BY city_code").fetchall():
        if first is not None and n + count > rows:
            ranges.append((first, last))
            first, n = None, 0
        first = code if first is None else first
        last, n = code, n + count
    if first is not None:
        ranges.append((first, last))
    return ranges or [("", "")]


IN_RANGE = "city_code BETWEEN $first AND $last"


def _specs(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> list[tuple[str, str, dict[str, Spec]]]:
    """What to validate: (asset name, the SQL of its frame over a range of cities ``$first`` to
    ``$last``, expectations by rule id)."""
    from pipeline.catalogue.models import Ratio
    from pipeline.validate.base import sql_in
    from pipeline.validate.checks import (
        accepted_values,
        between_0_100,
        not_negative,
        recomputes,
    )

    nonneg, shares = not_negative.variables(catalogue), between_0_100.variables(catalogue)
    specs = [
        ("observations", f"SELECT city_code, year, variable, status FROM observations WHERE {IN_RANGE}", {
            "unique_observations_city_year_variable": ("ExpectCompoundColumnsToBeUnique", {"column_list": ["city_code", "year", "variable"]}),
            "accepted_values_observations_variable": ("ExpectColumnValuesToBeInSet", {"column": "variable", "value_set": accepted_values.values(catalogue)}),
        }),
        ("nonnegative", f"SELECT CAST(value AS DOUBLE) AS value FROM observations WHERE variable IN {sql_in(nonneg)} "
                        f"AND value IS NOT NULL AND {IN_RANGE}", {
            "not_negative_observations_value": ("ExpectColumnValuesToBeBetween", {"column": "value", "min_value": 0}),
        }),
        ("shares", f"SELECT CAST(value AS DOUBLE) AS value FROM observations WHERE variable IN {sql_in(shares)} "
                   f"AND value IS NOT NULL AND {IN_RANGE}", {
            "between_0_100_observations_value": ("ExpectColumnValuesToBeBetween", {"column": "value", "min_value": 0, "max_value": 100}),
        }),
    ]

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
    specs += [
        ("ranges", f"""
            SELECT CAST(r.value AS DOUBLE) AS value, b.lo, b.hi FROM results r JOIN gx_bounds b USING (indicator_uid)
            WHERE r.status = 'reported' AND r.value IS NOT NULL AND r.{IN_RANGE}""", {
            "range_results_lo": ("ExpectColumnPairValuesAToBeGreaterThanB", {"column_A": "value", "column_B": "lo", "or_equal": True, "ignore_row_if": "either_value_is_missing"}),
            "range_results_hi": ("ExpectColumnPairValuesAToBeGreaterThanB", {"column_A": "hi", "column_B": "value", "or_equal": True, "ignore_row_if": "either_value_is_missing"}),
        }),
        ("recompute", f"""
            SELECT CAST(r.value AS DOUBLE) AS value,
                   {recomputes.expected()} - ({recomputes.TOLERANCE}) AS low,
                   {recomputes.expected()} + ({recomputes.TOLERANCE}) AS high
            FROM results r JOIN gx_recompute g USING (indicator_uid)
            WHERE r.status = 'reported' AND r.value IS NOT NULL AND r.origin = 'computed' AND r.{IN_RANGE}""", {
            "recomputes_results_lo": ("ExpectColumnPairValuesAToBeGreaterThanB", {"column_A": "value", "column_B": "low", "or_equal": True}),
            "recomputes_results_hi": ("ExpectColumnPairValuesAToBeGreaterThanB", {"column_A": "high", "column_B": "value", "or_equal": True}),
        }),
    ]
    return specs


if __name__ == "__main__":  # the worker of warm_up()
    serve()
