"""The indicators of simulated figures, by the project's own calculation (not a copy of it).

The figures are put into an in-memory DuckDB as the two tables the calculation's SQL reads,
``observations`` and ``calculation_keys`` (with the store's types; a city is its position in the
simulation), and the SELECTs that :func:`pipeline.calculate.compile.compile_indicator` compiles
from the catalogue run over them, rounded by :func:`pipeline.calculate.compile.rounded`: the
values are those a build of the generated files gives, rounded as it rounds. One statement per
chunk of indicators, over every city and year at once. After the first run only what changed is
computed again: the indicators that read a changed variable, for the cities whose figures changed
(an indicator of a city depends on that city's figures only).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pyarrow as pa

from pipeline.calculate.compile import compile_indicator, rounded
from pipeline.catalogue import Catalogue
from pipeline.catalogue.models import Indicator
from pipeline.store import sandboxed

CHUNK = 10
"""Indicators per statement (as the calculation stage runs them)."""
CITIES_PER_RUN = 1000
"""Cities loaded at a time: bounds the memory of the in-memory tables at national scale."""

_TABLES = """
CREATE TABLE observations (city_code INTEGER, year INTEGER, variable VARCHAR, value DECIMAL(38, 10),
                           value_text VARCHAR, decimals INTEGER, status VARCHAR, note VARCHAR, source_id VARCHAR);
CREATE TABLE calculation_keys (city_code INTEGER, year INTEGER, edition VARCHAR);
"""


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per city (row): whether the two arrays agree in every year (NaN agreeing with NaN)."""
    return ((a == b) | (np.isnan(a) & np.isnan(b))).all(axis=1)


class IndicatorValues:
    """The values of ``indicators`` for ``n`` cities over ``timeline`` (consecutive years) from
    position ``first`` on, as the calculation stage computes them from the figures given to
    :meth:`update` (of those years and the one before, which ``previous()`` reads)."""

    def __init__(self, catalogue: Catalogue, indicators: Sequence[Indicator], decimals: dict[str, int],
                 n: int, timeline: list[int], first: int = 0):
        self.indicators = list(indicators)
        self.timeline = list(timeline)
        self.first = first
        self.read = slice(max(first - 1, 0), None)
        """The years whose figures are read: from the one before ``first`` on."""
        self.n = n
        self.variables = list(dict.fromkeys(v for ind in self.indicators for v in ind.variables))
        self.decimals = decimals
        """Per variable: the decimals its figures are written with (a value reported directly keeps them)."""
        self.editions = sorted({ind.edition for ind in self.indicators})
        self.array = np.full((len(self.indicators), n, len(self.timeline)), np.nan)
        self.values = {ind.uid: self.array[k] for k, ind in enumerate(self.indicators)}
        """Per indicator uid: (cities × timeline) the rounded value, NaN where there is none (and
        before ``first``)."""
        self._selects = [compile_indicator(ind, catalogue.variables, reported=False) for ind in self.indicators]
        self._seen: dict[str, np.ndarray] | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    def update(self, vals: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Compute the values again where the figures changed since the last call (only the
        indicators that read a changed variable, only for the cities whose figures changed);
        returns :attr:`values`."""
        if self._seen is None:
            cities = np.arange(self.n)
            due = list(range(len(self.indicators)))
        else:
            differs = {v: ~_same(vals[v][:, self.read], self._seen[v]) for v in self.variables}
            changed = {v for v, d in differs.items() if d.any()}
            cities = np.nonzero(np.any([differs[v] for v in changed], axis=0) if changed else np.zeros(0, bool))[0]
            due = [k for k, ind in enumerate(self.indicators) if changed.intersection(ind.variables)]
        self._seen = {v: vals[v][:, self.read].copy() for v in self.variables}
        if due:
            for start in range(0, len(cities), CITIES_PER_RUN):
                self._compute(cities[start:start + CITIES_PER_RUN], due, vals)
        return self.values

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = duckdb.connect(":memory:", config={"threads": 2})
            self._con.execute("SET enable_progress_bar = false")
            self._con.execute(_TABLES)
            sandboxed(self._con)
        return self._con

    def _compute(self, cities: np.ndarray, due: list[int], vals: dict[str, np.ndarray]) -> None:
        """Load the figures of ``cities`` (positions) and run the ``due`` indicators (positions) over them."""
        con = self._connection()
        used = sorted({v for k in due for v in self.indicators[k].variables})
        years = self.timeline[self.read]
        rows = len(cities) * len(years)  # per variable
        # in variable order: each input's join then reads only the row groups of its variable
        figures = pa.table({
            "city_code": np.tile(np.repeat(cities.astype(np.int32), len(years)), len(used)),
            "year": np.tile(np.array(years, dtype=np.int32), len(cities) * len(used)),
            "variable": pa.DictionaryArray.from_arrays(np.repeat(np.arange(len(used), dtype=np.int32), rows), used),
            "value": pa.array(np.concatenate([vals[v][cities, self.read].reshape(-1) for v in used]),
                              from_pandas=True),  # NaN: no figure
            "decimals": np.repeat(np.array([self.decimals[v] for v in used], dtype=np.int32), rows)})
        con.execute("DELETE FROM observations")
        con.execute("DELETE FROM calculation_keys")
        con.register("_synth_figures", figures)
        try:
            con.execute("""INSERT INTO observations (city_code, year, variable, value, decimals)
                           SELECT city_code, year, CAST(variable AS VARCHAR), CAST(value AS DECIMAL(38, 10)), decimals
                           FROM _synth_figures WHERE value IS NOT NULL""")
        finally:
            con.unregister("_synth_figures")
        # as the calculation stage keys them: every city and year with observations, for each standard
        con.execute("INSERT INTO calculation_keys SELECT DISTINCT city_code, year, unnest(?::VARCHAR[]) FROM observations "
                    "WHERE year >= ?", [self.editions, self.timeline[self.first]])
        self.array[np.ix_(due, cities)] = np.nan
        for start in range(0, len(due), CHUNK):
            part = due[start:start + CHUNK]
            got = con.execute(f"""SELECT city_code, year - {self.timeline[0]} AS t,
                                         list_position(?, indicator_uid) - 1 AS k, CAST(rounded AS DOUBLE) AS value
                                  FROM ({rounded([self._selects[k] for k in part])}) WHERE rounded IS NOT NULL""",
                                  [[self.indicators[k].uid for k in part]]).fetchnumpy()
            k = np.asarray(part)[np.asarray(got["k"], dtype=np.int64)]
            self.array[k, np.asarray(got["city_code"]), np.asarray(got["t"])] = np.asarray(got["value"], dtype=float)
