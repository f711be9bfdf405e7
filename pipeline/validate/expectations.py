"""The row-level rules as Great Expectations expectations (the only module that imports GX).

An ephemeral context, pandas DataFrames taken from the store, the SUMMARY result format. GX
reports how many rows fail; which rows they are is found with SQL (see :mod:`.rules`), and
:func:`run` returns GX's counts so the two can be compared.
"""

from __future__ import annotations

import logging
import os

import duckdb

from pipeline.catalogue import Catalogue
from pipeline.catalogue.models import Ratio
from pipeline.validate.base import sql_in
from pipeline.validate.checks import accepted_values, between_0_100, not_negative, recomputes


def run(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> dict[str, int]:
    """Unexpected-row counts by rule id (for range and recompute rules: summed over indicators)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = ctx.data_sources.add_pandas("store")
    E = gx.expectations

    def validate(name: str, sql: str, expectations: dict[str, object]) -> dict[str, int]:
        frame = con.sql(sql).df()
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all").get_batch(
            batch_parameters={"dataframe": frame})
        counts = {}
        for rule_id, expectation in expectations.items():
            result = batch.validate(expectation, result_format="SUMMARY")
            counts[rule_id] = int(result.result.get("unexpected_count") or 0)
        return counts

    nonneg, shares = not_negative.variables(catalogue), between_0_100.variables(catalogue)
    counts = {}
    counts |= validate("observations", "SELECT city_code, year, variable, status FROM observations", {
        "unique_observations_city_year_variable": E.ExpectCompoundColumnsToBeUnique(column_list=["city_code", "year", "variable"]),
        "accepted_values_observations_variable": E.ExpectColumnValuesToBeInSet(column="variable", value_set=accepted_values.values(catalogue)),
    })
    counts |= validate("nonnegative", f"SELECT CAST(value AS DOUBLE) AS value FROM observations WHERE variable IN {sql_in(nonneg)} AND value IS NOT NULL", {
        "not_negative_observations_value": E.ExpectColumnValuesToBeBetween(column="value", min_value=0),
    })
    counts |= validate("shares", f"SELECT CAST(value AS DOUBLE) AS value FROM observations WHERE variable IN {sql_in(shares)} AND value IS NOT NULL", {
        "between_0_100_observations_value": E.ExpectColumnValuesToBeBetween(column="value", min_value=0, max_value=100),
    })

    # Results: the bounds and the recomputed value of every indicator, one frame, four expectations.
    bounds = [(ind.uid, None if chk.min is None else float(chk.min), None if chk.max is None else float(chk.max))
              for ind in catalogue.indicators.values() for chk in ind.checks if chk.kind == "range"]
    ratios = [(ind.uid,) for ind in catalogue.indicators.values() if isinstance(ind.calculation, Ratio)]
    con.execute("CREATE OR REPLACE TEMP TABLE gx_bounds (indicator_uid VARCHAR, lo DOUBLE, hi DOUBLE)")
    con.execute("CREATE OR REPLACE TEMP TABLE gx_recompute (indicator_uid VARCHAR)")
    if bounds:
        con.executemany("INSERT INTO gx_bounds VALUES (?, ?, ?)", bounds)
    if ratios:
        con.executemany("INSERT INTO gx_recompute VALUES (?)", ratios)
    counts |= validate("ranges", """
        SELECT CAST(r.value AS DOUBLE) AS value, b.lo, b.hi FROM results r JOIN gx_bounds b USING (indicator_uid)
        WHERE r.status = 'reported' AND r.value IS NOT NULL""", {
        "range_results_lo": E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="value", column_B="lo", or_equal=True, ignore_row_if="either_value_is_missing"),
        "range_results_hi": E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="hi", column_B="value", or_equal=True, ignore_row_if="either_value_is_missing"),
    })
    counts |= validate("recompute", f"""
        SELECT CAST(r.value AS DOUBLE) AS value,
               {recomputes.expected()} - ({recomputes.TOLERANCE}) AS low,
               {recomputes.expected()} + ({recomputes.TOLERANCE}) AS high
        FROM results r JOIN gx_recompute g USING (indicator_uid)
        WHERE r.status = 'reported' AND r.value IS NOT NULL AND r.origin = 'computed'""", {
        "recomputes_results_lo": E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="value", column_B="low", or_equal=True),
        "recomputes_results_hi": E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="high", column_B="value", or_equal=True),
    })
    return counts
