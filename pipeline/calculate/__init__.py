"""The calculation stage: every indicator for every city and year, in DuckDB, with lineage.

Reads ``observations`` and ``cities``; writes ``calculation_keys`` and ``calculations`` (the SQL
as run, which runs again on the store), ``results``,
``result_inputs`` (lineage), ``coverage`` and ``certification``. Runs with external access
disabled and the configuration locked, so no definition can read a file or change a setting.
Re-running replaces the stage's tables in one transaction.
"""

from __future__ import annotations

import duckdb

from pipeline.calculate.compile import OBSERVATION_COLUMNS, compile_indicator, rounded
from pipeline.catalogue import Catalogue
from pipeline.catalogue.formula import indicator_formula
from pipeline.catalogue.models import Indicator
from pipeline.store import check_keys, insert, literal, sandboxed
from pipeline.store.models import CalculationSummary, CityYearLevel

FLAG_STATUSES = ("estimated", "provisional", "revised", "break", "confidential")

# One pass over the compiled rows: status and reason from the inputs, or the value given as reported.
RESULTS_SQL = """
WITH judged AS (
  SELECT c.*, d.indicator_id, d.edition, d.unit, d.kind, d.decimals AS default_decimals, d.position,
         list_transform(list_filter(inputs, lambda x: NOT x.found), lambda x: x.variable || CASE WHEN x.role = 'previous' THEN ' (' || x.obs_year || ')' ELSE '' END) AS missing_vars,
         list_filter(inputs, lambda x: x.found AND x.status = 'not_applicable') AS na_inputs,
         list_filter(inputs, lambda x: x.found AND x.status IN ('not_available', 'confidential')) AS nv_inputs
  FROM calc c JOIN defs d USING (indicator_uid)
), statused AS (
  SELECT *,
    CASE
      WHEN len(missing_vars) > 0 THEN 'missing_input'
      WHEN len(na_inputs) > 0 THEN 'not_applicable'
      WHEN len(list_filter(nv_inputs, lambda x: x.status = 'confidential')) > 0 THEN 'confidential'
      WHEN len(nv_inputs) > 0 THEN 'input_not_available'
      WHEN kind = 'ratio' AND denominator = 0 THEN 'zero_denominator'
      WHEN value_text IS NULL AND rounded IS NULL THEN 'no_finite_value'
    END AS computed_reason,
    -- a value the city gave as reported stands in where the inputs cannot give one
    reported IS NOT NULL AND computed_reason IS NOT NULL AS use_reported,
    CASE WHEN NOT use_reported THEN computed_reason
         WHEN reported.value IS NOT NULL OR reported.value_text IS NOT NULL THEN NULL
         WHEN reported.status = 'not_applicable' THEN 'not_applicable'
         WHEN reported.status = 'confidential' THEN 'confidential'
         ELSE 'input_not_available' END AS reason_code
  FROM judged
)
SELECT city_code, indicator_uid, indicator_id, edition, year,
       CASE WHEN reason_code IS NOT NULL THEN NULL WHEN use_reported THEN reported.value ELSE rounded END AS value,
       CASE WHEN reason_code IS NOT NULL THEN NULL WHEN use_reported THEN reported.value_text ELSE value_text END AS value_text,
       CASE WHEN reason_code IS NOT NULL THEN NULL WHEN use_reported THEN CAST(reported.value AS DOUBLE) ELSE raw END AS value_unrounded,
       CASE WHEN use_reported THEN 'reported' ELSE 'computed' END AS origin,
       unit,
       CASE WHEN NOT use_reported THEN numerator END AS numerator,
       CASE WHEN NOT use_reported THEN denominator END AS denominator,
       CASE WHEN NOT use_reported THEN multiplier END AS multiplier,
       CASE WHEN reason_code IS NULL THEN 'reported' WHEN reason_code = 'not_applicable' THEN 'not_applicable' ELSE 'not_available' END AS status,
       coalesce(CASE WHEN use_reported THEN reported.decimals ELSE value_decimals END, default_decimals) AS decimals,
       reason_code,
       -- The details of reason_code, in no language: the inputs concerned, with their notes.
       CASE WHEN use_reported THEN reported.note
       ELSE CASE reason_code
         WHEN 'missing_input' THEN array_to_string(missing_vars, ', ')
         WHEN 'not_applicable' THEN array_to_string(list_transform(na_inputs, lambda x: x.variable || coalesce(': ' || x.note, '')), '; ')
         WHEN 'confidential' THEN array_to_string(list_transform(list_filter(nv_inputs, lambda x: x.status = 'confidential'), lambda x: x.variable), ', ')
         WHEN 'input_not_available' THEN array_to_string(list_transform(nv_inputs, lambda x: x.variable || coalesce(': ' || x.note, '')), '; ')
         WHEN 'zero_denominator' THEN list_filter(inputs, lambda x: x.role = 'denominator')[1].variable
       END END AS reason,
       CASE WHEN NOT use_reported THEN missing_vars ELSE [] END AS missing,
       CASE WHEN reason_code IS NOT NULL THEN []
            WHEN use_reported THEN CASE WHEN reported.status IN {flags} THEN [reported.status] ELSE [] END
            ELSE list_sort(list_distinct(list_filter(list_transform(inputs, lambda x: x.status), lambda s: s IN {flags}))) END AS flags,
       CASE WHEN use_reported THEN list_filter([reported.source_id], lambda s: s IS NOT NULL)
            ELSE list_sort(list_distinct(list_filter(list_transform(inputs, lambda x: x.source_id), lambda s: s IS NOT NULL))) END AS source_ids,
       reported.value AS reported_value, reported.decimals AS reported_decimals, position
FROM statused
"""

# Lineage: the inputs found for each value. (Each value is one row of calc, and its inputs are one
# entry per variable and year, so the rows are distinct as they are.)
RESULT_INPUTS_SQL = """
INSERT INTO result_inputs
SELECT city_code, indicator_uid, year, x.role, x.variable, x.obs_year
FROM (SELECT city_code, indicator_uid, year, unnest(inputs) AS x FROM calc) WHERE x.found
ORDER BY ALL
"""

# Where the store holds values given as reported: a value that stands in has that row as its
# input instead (its computed inputs, where some were found, did not make it). Kept apart from
# the plain statement above, which a store without such values (nearly every one) runs faster.
RESULT_INPUTS_WITH_REPORTED_SQL = """
INSERT INTO result_inputs
SELECT * FROM (
  SELECT city_code, indicator_uid, year, x.role, x.variable, x.obs_year
  FROM (SELECT city_code, indicator_uid, year, unnest(inputs) AS x FROM calc WHERE reported IS NULL) WHERE x.found
  UNION ALL
  SELECT c.city_code, c.indicator_uid, c.year, c.x.role, c.x.variable, c.x.obs_year
  FROM (SELECT city_code, indicator_uid, year, unnest(inputs) AS x FROM calc WHERE reported IS NOT NULL) c
  JOIN results r USING (city_code, indicator_uid, year)
  WHERE c.x.found AND r.origin = 'computed'
  UNION ALL
  SELECT city_code, indicator_uid, year, 'reported', indicator_uid, year FROM calc WHERE reported IS NOT NULL)
ORDER BY ALL
"""

YOY_SQL = """
UPDATE results r
SET previous_value = p.value,
    yoy_change = r.value - p.value,
    yoy_relative = CASE WHEN p.value <> 0 THEN CAST(r.value - p.value AS DOUBLE) / abs(CAST(p.value AS DOUBLE)) END
FROM results p
WHERE p.city_code = r.city_code AND p.indicator_uid = r.indicator_uid AND p.year = r.year - 1
  AND p.value IS NOT NULL AND r.value IS NOT NULL
"""

COVERAGE_SQL = """
INSERT INTO coverage
SELECT r.city_code, d.edition, r.year, coalesce(d.theme, '*') AS theme, d.tier,
       count(*) AS defined, count(*) FILTER (WHERE r.status = 'reported') AS reported
FROM results r JOIN defs d USING (indicator_uid)
GROUP BY GROUPING SETS ((r.city_code, d.edition, r.year, d.theme, d.tier), (r.city_code, d.edition, r.year, d.tier))
ORDER BY ALL
"""

CERTIFICATION_SQL = """
INSERT INTO certification
WITH counts AS (
  SELECT city_code, edition, year,
         sum(reported) FILTER (WHERE tier = 'core') AS core_reported,
         sum(defined) FILTER (WHERE tier = 'core') AS core_defined,
         sum(reported) FILTER (WHERE tier IN ('core', 'supporting', 'indicator')) AS total_reported,
         sum(defined) FILTER (WHERE tier IN ('core', 'supporting', 'indicator')) AS total_defined
  FROM coverage WHERE theme = '*' GROUP BY ALL
)
SELECT c.city_code, c.edition, c.year, coalesce(c.core_reported, 0), coalesce(c.core_defined, 0),
       coalesce(c.total_reported, 0), coalesce(c.total_defined, 0),
       (SELECT arg_max(l.level, l.rank) FROM levels l
         WHERE l.edition = c.edition AND c.total_reported >= l.min_total AND c.core_reported >= l.min_core) AS level
FROM counts c
ORDER BY ALL
"""


def _definitions(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> tuple[list[tuple[str, str]], set[str]]:
    """Load the definitions the SQL needs as temporary tables; return (uid, SQL) per indicator,
    and the indicators whose values the store holds as given (reported)."""
    con.execute("""CREATE OR REPLACE TEMP TABLE defs (indicator_uid VARCHAR, indicator_id VARCHAR, edition VARCHAR,
                   theme VARCHAR, tier VARCHAR, unit VARCHAR, decimals INTEGER, kind VARCHAR, position INTEGER)""")
    insert(con, "defs", [
        (i.uid, i.id, i.edition, str(i.theme), i.tier.value, i.unit.en, i.decimals, i.calculation.kind, n)
        for n, i in enumerate(catalogue.indicators.values())])
    con.execute("CREATE OR REPLACE TEMP TABLE levels (edition VARCHAR, level VARCHAR, rank INTEGER, min_total INTEGER, min_core INTEGER)")
    insert(con, "levels", [
        (e.id, lvl.id, n, lvl.min_total, lvl.min_core)
        for e in catalogue.editions.values() for n, lvl in enumerate(e.certification_levels)])
    given = {v for (v,) in con.execute("SELECT DISTINCT variable FROM observations WHERE variable IN (SELECT unnest(?))",
                                         [list(catalogue.indicators)]).fetchall()}
    return [(i.uid, compile_indicator(i, catalogue.variables, i.uid in given)) for i in catalogue.indicators.values()], given


CHUNK = 10
"""Indicators computed per statement."""


def _chunk_sql(part: list[tuple[Indicator, str]], reported: set[str]) -> str:
    """The compiled SELECTs of a few indicators as one statement (:func:`rounded`), run on the
    observations of their inputs only: a CTE of that name holds them, so each input's join reads a
    few thousand rows instead of the whole table. The SELECTs are the ones stored in
    ``calculations``, unchanged; on the whole table they give the same rows."""
    names = sorted({v for ind, _ in part for v in ind.variables} | {ind.uid for ind, _ in part if ind.uid in reported})
    return (f"WITH observations AS MATERIALIZED (SELECT {', '.join(OBSERVATION_COLUMNS)} FROM main.observations "
            f"WHERE variable IN ({', '.join(literal(v) for v in names)}))\n" + rounded([sql for _, sql in part]))


def calculate(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> CalculationSummary:
    """Compute every indicator of every standard (catalogue edition) a city reports, for every year
    with observations: the inputs are shared, each standard's values and levels are its own."""
    sandboxed(con)
    compiled, reported = _definitions(con, catalogue)
    indicators = list(catalogue.indicators.values())
    con.execute("BEGIN TRANSACTION")
    try:
        for table in ("calculation_keys", "calculations", "result_inputs", "results", "coverage", "certification"):
            con.execute(f"DELETE FROM {table}")
        con.execute("""INSERT INTO calculation_keys
                       SELECT DISTINCT o.city_code, o.year, unnest(c.editions)
                       FROM observations o JOIN cities c USING (city_code) ORDER BY ALL""")
        insert(con, "calculations", [
            (i.uid, i.edition, i.calculation.kind, indicator_formula(i), i.decimals, rounded([sql]))
            for i, (_, sql) in zip(indicators, compiled)])
        # Only the standards some city reports: the SELECTs of the others give no rows.
        editions = {e for (e,) in con.execute("SELECT DISTINCT edition FROM calculation_keys").fetchall()}
        due = [(i, sql) for i, (_, sql) in zip(indicators, compiled) if i.edition in editions] or [(indicators[0], compiled[0][1])]
        chunks = [_chunk_sql(due[n:n + CHUNK], reported) for n in range(0, len(due), CHUNK)]
        con.execute(f"CREATE OR REPLACE TEMP TABLE calc AS {chunks[0]}")
        for chunk in chunks[1:]:  # a few indicators at a time: the joins of all 100 at once outgrow the memory limit
            con.execute(f"INSERT INTO calc {chunk}")
        flags = "(" + ", ".join(f"'{f}'" for f in FLAG_STATUSES) + ")"
        con.execute(f"""INSERT INTO results BY NAME
                        SELECT * EXCLUDE (position) FROM ({RESULTS_SQL.replace('{flags}', flags)}) r
                        ORDER BY city_code, indicator_uid, year""")  # key order: export reads it as it is
        con.execute(YOY_SQL)
        con.execute(RESULT_INPUTS_WITH_REPORTED_SQL if reported else RESULT_INPUTS_SQL)
        con.execute(COVERAGE_SQL)
        con.execute(CERTIFICATION_SQL)
        check_keys(con, "results", "result_inputs")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return summary(con)


def summary(con: duckdb.DuckDBPyConnection) -> CalculationSummary:
    rows = con.execute("""SELECT c.city_code, c.edition, c.year, c.core_reported, c.core_defined, c.total_reported, c.total_defined,
                                 c.level
                          FROM certification c JOIN cities ci USING (city_code)
                          ORDER BY c.city_code, list_position(ci.editions, c.edition), c.year""").fetchall()
    n, reported = con.execute("SELECT count(*), count(*) FILTER (WHERE status = 'reported') FROM results").fetchall()[0]
    return CalculationSummary(
        results=n, reported=reported,
        levels=[CityYearLevel(city_code=c, edition=e, year=y, core_reported=cr, core_defined=cd, total_reported=tr,
                              total_defined=td, level=lv) for c, e, y, cr, cd, tr, td, lv in rows])


__all__ = ["calculate", "summary"]
