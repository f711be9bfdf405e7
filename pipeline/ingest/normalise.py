"""Staged text cells into typed observations, in DuckDB SQL, set-based.

Every repair (trimmed spaces, decimal commas, thousands separators, %, currency signs) becomes a
row of ``repairs``; every value that cannot be read without guessing becomes a problem naming its
file, sheet, row, column and rule. Expects the temporary tables ``staging`` (text cells),
``registry`` (the variables), ``folder_cities`` and ``folder_sources``.
"""

from __future__ import annotations

import duckdb

from pipeline.ingest.models import Status

STATUSES = tuple(s.value for s in Status)
EMPTY_STATUSES = ("not_available", "not_applicable", "confidential")

# Units are compared by a key: case, spaces, superscripts and a few spellings do not matter.
UNIT_ALIASES = {
    "%": ["percent", "per cent", "procent", "pct"],
    "persons": ["person", "people", "inhabitants", "osoby", "osób", "os."],
    "m2": ["m²", "sq m", "sqm", "m^2"],
    "km2": ["km²", "sq km", "km^2"],
    "m3": ["m³", "m^3"],
    "ug/m3": ["µg/m³", "μg/m3", "µg/m3", "μg/m³"],
    "years": ["year", "lata", "lat"],
    "tonnes": ["t", "tonne", "tons", "tony", "ton"],
    "kwh": ["kw·h", "kw h"],
}

UNIT_KEY_SQL = """
CREATE OR REPLACE TEMP MACRO unit_key(u) AS
  lower(regexp_replace(replace(replace(replace(replace(trim(u), '²', '2'), '³', '3'), 'µ', 'u'), 'μ', 'u'), '\\s+', ' ', 'g'))
"""

_DIGITS = {
    "plain": r"-?\d+(\.\d+)?([eE][+-]?\d+)?",
    "decimal_comma": r"-?\d+,(\d{1,2}|\d{4,})|-?0,\d+",
    "space_thousands": r"-?\d{1,3}( \d{3})+(,\d+)?",
    "comma_thousands": r"-?\d{1,3}(,\d{3}){2,}|-?\d{1,3}(,\d{3})+\.\d+",
    "dot_thousands": r"-?\d{1,3}(\.\d{3}){2,}(,\d+)?|-?\d{1,3}(\.\d{3})+,\d+",
    "ambiguous": r"-?[1-9]\d{0,2},\d{3}",
}


def _shape_case() -> str:
    whens = "\n".join(f"      WHEN regexp_full_match(v1, '{rx}') THEN '{name}'" for name, rx in _DIGITS.items())
    return f"CASE\n{whens}\n      ELSE 'invalid' END"


NORMALISE_SQL = f"""
CREATE OR REPLACE TEMP TABLE cells AS
SELECT row_number() OVER () AS cell_id, s.*,
       nullif(trim(regexp_replace(s.city,      '[\\s\u00a0\u202f]+', ' ', 'g')), '') AS city_t,
       nullif(trim(regexp_replace(s.year,      '[\\s\u00a0\u202f]+', ' ', 'g')), '') AS year_t,
       nullif(trim(regexp_replace(s.variable,  '[\\s\u00a0\u202f]+', ' ', 'g')), '') AS variable_t,
       nullif(trim(regexp_replace(s.value,     '[\\s\u00a0\u2007\u2009\u202f]+', ' ', 'g')), '') AS value_t,
       nullif(trim(regexp_replace(s.unit,      '[\\s\u00a0\u202f]+', ' ', 'g')), '') AS unit_t,
       nullif(trim(regexp_replace(s.source_id, '[\\s\u00a0\u202f]+', ' ', 'g')), '') AS source_t,
       lower(nullif(trim(s.status), ''))                                              AS status_t,
       nullif(trim(s.note), '')                                                       AS note_t
FROM staging s;

CREATE OR REPLACE TEMP TABLE parsed AS
WITH c AS (
  SELECT cells.*,
         coalesce(city_t, fc.only_city) AS city_code,
         r.unit AS reg_unit, r.kind, r.is_integer,
         fcity.currency
  FROM cells
  LEFT JOIN (SELECT folder, any_value(city_code) AS only_city FROM folder_cities GROUP BY folder HAVING count(*) = 1) fc
         ON fc.folder = cells.folder
  LEFT JOIN registry r ON r.variable = cells.variable_t
  LEFT JOIN folder_cities fcity ON fcity.folder = cells.folder AND fcity.city_code = coalesce(cells.city_t, fc.only_city)
), sym AS (
  SELECT *,
         regexp_matches(value_t, '%') AS had_percent,
         regexp_extract(value_t, '(?i)(zł|pln|eur|€|usd|\\$|£|gbp)', 1) AS currency_sign,
         regexp_matches(value_t, '^[−–]') AS had_minus,
         trim(regexp_replace(regexp_replace(value_t, '(?i)\\s*(%|zł|pln|eur|€|usd|\\$|£|gbp)\\s*', '', 'g'), '^[−–]\\s*', '-')) AS v1
  FROM c
), shaped AS (
  SELECT *, {_shape_case()} AS shape FROM sym
), cleaned AS (
  SELECT *,
         CASE shape
           WHEN 'plain' THEN v1
           WHEN 'decimal_comma' THEN replace(v1, ',', '.')
           WHEN 'space_thousands' THEN replace(replace(v1, ' ', ''), ',', '.')
           WHEN 'comma_thousands' THEN replace(v1, ',', '')
           WHEN 'dot_thousands' THEN replace(replace(v1, '.', ''), ',', '.')
         END AS v2,
         bool_or(shape = 'decimal_comma' OR (shape IN ('space_thousands', 'dot_thousands') AND v1 LIKE '%,%'))
           OVER (PARTITION BY file_id, sheet) AS file_uses_comma
  FROM shaped
)
SELECT *,
       CASE WHEN kind = 'text' OR ambiguous THEN NULL
            WHEN v2 SIMILAR TO '.*[eE].*' THEN TRY_CAST(TRY_CAST(v2 AS DOUBLE) AS DECIMAL(38, 10))
            ELSE TRY_CAST(v2 AS DECIMAL(38, 10)) END AS value_num,
       CASE WHEN regexp_full_match(year_t, '\\d{{4}}') THEN TRY_CAST(year_t AS INTEGER) END AS year_num
FROM (SELECT *, coalesce(shape = 'ambiguous' OR (file_uses_comma AND regexp_full_match(v1, '-?[1-9]\\d{{0,2}}\\.\\d{{3}}')), false) AS ambiguous
      FROM cleaned);
"""

# Each problem: a condition on ``parsed`` and the message, as SQL. Order matters only for reading.
PROBLEMS: list[tuple[str, str, str, str]] = [
    # (rule, column, condition, message SQL)
    ("city_column_required", "city", "city_t IS NULL AND (SELECT count(*) FROM folder_cities fc WHERE fc.folder = parsed.folder) > 1",
     "'the folder holds several cities, so each row needs a city code in column ''city'''"),
    ("unknown_city", "city", "city_t IS NOT NULL AND currency IS NULL",
     "printf('city %s is not declared in this folder''s city.yaml / cities.yaml', city_t)"),
    ("missing_year", "year", "year_t IS NULL", "'the year is empty'"),
    ("fiscal_year", "year", "regexp_full_match(year_t, '\\d{4}\\s*[/-]\\s*\\d{2,4}')",
     "printf('%s is a fiscal year; give the calendar year the figure refers to and explain in ''note''', year_t)"),
    ("not_a_year", "year", "year_t IS NOT NULL AND year_num IS NULL AND NOT regexp_full_match(year_t, '\\d{4}\\s*[/-]\\s*\\d{2,4}')",
     "printf('%s is not a year (four digits expected, e.g. 2023)', year_t)"),
    ("year_out_of_range", "year", "year_num IS NOT NULL AND (year_num < 1900 OR year_num > 2100)",
     "printf('year %s is outside 1900–2100', year_t)"),
    ("missing_variable", "variable", "variable_t IS NULL", "'the variable id is empty'"),
    ("unknown_variable", "variable", "variable_t IS NOT NULL AND kind IS NULL",
     "printf('%s is not a variable of the registry (indicators/variables.yaml)%s', variable_t, coalesce('; did you mean ' || (SELECT arg_min(variable, levenshtein(variable, parsed.variable_t)) FROM registry) || '?', ''))"),
    ("unknown_status", "status", "status_t IS NOT NULL AND status_t NOT IN {statuses}",
     "printf('status %s is not one of: {status_list}', status_t)"),
    ("missing_value", "value", "value_t IS NULL AND coalesce(status_t, '') NOT IN {empty_statuses}",
     "'the value is empty; give the figure, or set status not_available or not_applicable (with the reason in note), or confidential'"),
    ("value_with_not_available", "value", "value_t IS NOT NULL AND status_t IN ('not_available', 'not_applicable')",
     "printf('a figure is given but status says %s; remove one of them', status_t)"),
    ("not_available_without_note", "note", "status_t IN ('not_available', 'not_applicable') AND note_t IS NULL",
     "printf('status %s needs the reason in note', status_t)"),
    ("ambiguous_separator", "value",
     "kind IS DISTINCT FROM 'text' AND value_t IS NOT NULL AND ambiguous",
     "printf('%s is ambiguous: it could be a decimal or a thousands separator; write it without separators (e.g. 1395 or 1.395)', value_t)"),
    ("not_a_number", "value", "kind IS DISTINCT FROM 'text' AND kind IS NOT NULL AND value_t IS NOT NULL AND shape = 'invalid'",
     "printf('%s is not a number%s', value_t, CASE WHEN value_t LIKE '=%' THEN ' but a formula whose result was never saved: open and save the file in a spreadsheet program, or type the value' ELSE '' END)"),
    ("number_out_of_range", "value", "kind IS DISTINCT FROM 'text' AND v2 IS NOT NULL AND NOT ambiguous AND value_num IS NULL",
     "printf('%s cannot be held exactly (more than 28 digits before the decimal point)', value_t)"),
    ("percent_sign_unexpected", "value", "had_percent AND kind IS NOT NULL AND kind NOT IN ('share', 'text')",
     "printf('%s carries a %% sign but %s is measured in %s', value_t, variable_t, reg_unit)"),
    ("currency_unexpected", "value",
     "currency_sign <> '' AND kind IS NOT NULL AND kind <> 'text' AND (kind <> 'money' OR (reg_unit = 'LCU' AND upper(replace(currency_sign, 'zł', 'PLN')) <> currency) OR (reg_unit <> 'LCU' AND upper(replace(currency_sign, '$', 'USD')) <> upper(reg_unit)))",
     "printf('%s carries the currency sign %s, which does not match the unit of %s (%s)', value_t, currency_sign, variable_t, CASE WHEN reg_unit = 'LCU' THEN currency ELSE reg_unit END)"),
    ("missing_unit", "unit", "unit_t IS NULL AND value_t IS NOT NULL AND kind IS NOT NULL",
     "printf('the unit is empty; %s is measured in %s', variable_t, CASE WHEN reg_unit = 'LCU' THEN currency ELSE reg_unit END)"),
    ("unit_mismatch", "unit",
     "unit_t IS NOT NULL AND kind IS NOT NULL AND NOT (unit_key(unit_t) = unit_key(reg_unit) OR unit_key(unit_t) IN (SELECT alias FROM unit_aliases WHERE unit = unit_key(reg_unit)) OR (reg_unit = 'LCU' AND upper(unit_t) IN (currency, 'LCU')) OR (reg_unit = 'LCU' AND currency = 'PLN' AND unit_key(unit_t) = 'zł'))",
     "printf('unit %s disagrees with the registry: %s is measured in %s; convert the figure, do not relabel it', unit_t, variable_t, CASE WHEN reg_unit = 'LCU' THEN currency || ' (LCU)' ELSE reg_unit END)"),
    ("share_as_fraction", "value", "kind = 'share' AND value_num > 0 AND value_num < 1 AND note_t IS NULL",
     "printf('%s looks like a fraction, but %s is a percentage (0–100): did you mean %s? If the share really is below 1 %%, say so in note', value_t, variable_t, CAST(CAST(value_num * 100 AS DOUBLE) AS VARCHAR))"),
    ("not_whole_number", "value", "is_integer AND value_num IS NOT NULL AND value_num <> round(value_num)",
     "printf('%s must be a whole number (%s counts %s); was it scaled, e.g. divided by 100 000?', value_t, variable_t, reg_unit)"),
    ("missing_source", "source_id",
     "source_t IS NULL AND value_t IS NOT NULL AND regexp_extract(file_id, '[^/]*$') NOT IN ('city.yaml', 'cities.yaml')",
     "'every figure needs a source_id from sources.csv'"),
    ("unknown_source", "source_id",
     "source_t IS NOT NULL AND NOT EXISTS (SELECT 1 FROM folder_sources s WHERE s.folder = parsed.folder AND s.source_id = parsed.source_t)",
     "printf('source %s is not in this folder''s sources.csv', source_t)"),
]


def problems_sql() -> str:
    parts = []
    for rule, column, condition, message in PROBLEMS:
        cond = condition.replace("{statuses}", str(STATUSES)).replace("{empty_statuses}", str(EMPTY_STATUSES))
        msg = message.replace("{status_list}", ", ".join(STATUSES))
        value_col = {"city": "city", "year": "year", "variable": "variable", "value": "value", "unit": "unit",
                     "source_id": "source_id", "status": "status", "note": "note"}[column]
        parts.append(
            f"SELECT file_id, sheet, row, '{column}' AS col, {value_col} AS value, '{rule}' AS rule, {msg} AS message "
            f"FROM parsed WHERE {cond}"
        )
    dup = """
    SELECT p.file_id, p.sheet, p.row, 'variable', p.variable, 'duplicate_observation',
           printf('%s for %s in %s is given more than once; the first is in %s%s row %d',
                  p.variable_t, p.city_code, p.year_t, f.file_id, coalesce(' sheet ' || f.sheet, ''), f.row)
    FROM (SELECT *, row_number() OVER (PARTITION BY city_code, year_num, variable_t ORDER BY file_id, sheet NULLS FIRST, row) AS n,
                 first_value(cell_id) OVER (PARTITION BY city_code, year_num, variable_t ORDER BY file_id, sheet NULLS FIRST, row) AS first_cell
          FROM parsed WHERE city_code IS NOT NULL AND year_num IS NOT NULL AND variable_t IS NOT NULL) p
    JOIN parsed f ON f.cell_id = p.first_cell
    WHERE p.n > 1"""
    return "\nUNION ALL\n".join(parts + [dup])


REPAIRS_SQL = """
SELECT file_id, sheet, row, col AS "column", rule, original, repaired FROM (
  SELECT file_id, sheet, row, 'value' AS col, 'whitespace_trimmed' AS rule, value AS original, value_t AS repaired
    FROM parsed WHERE value IS DISTINCT FROM value_t AND value_t IS NOT NULL
  UNION ALL SELECT file_id, sheet, row, 'variable', 'whitespace_trimmed', variable, variable_t FROM parsed WHERE variable IS DISTINCT FROM variable_t AND variable_t IS NOT NULL
  UNION ALL SELECT file_id, sheet, row, 'unit', 'whitespace_trimmed', unit, unit_t FROM parsed WHERE unit IS DISTINCT FROM unit_t AND unit_t IS NOT NULL
  UNION ALL SELECT file_id, sheet, row, 'source_id', 'whitespace_trimmed', source_id, source_t FROM parsed WHERE source_id IS DISTINCT FROM source_t AND source_t IS NOT NULL
  UNION ALL SELECT file_id, sheet, row, 'year', 'whitespace_trimmed', year, year_t FROM parsed WHERE year IS DISTINCT FROM year_t AND year_t IS NOT NULL
  UNION ALL SELECT file_id, sheet, row, 'value', 'percent_sign_removed', value_t, v1 FROM parsed WHERE had_percent AND kind = 'share'
  UNION ALL SELECT file_id, sheet, row, 'value', 'currency_sign_removed', value_t, v1 FROM parsed WHERE currency_sign <> '' AND kind = 'money'
  UNION ALL SELECT file_id, sheet, row, 'value', 'minus_sign', value_t, v1 FROM parsed WHERE had_minus AND kind IS DISTINCT FROM 'text'
  UNION ALL SELECT file_id, sheet, row, 'value', 'decimal_comma', v1, v2 FROM parsed WHERE v1 LIKE '%,%' AND shape IN ('decimal_comma', 'space_thousands', 'dot_thousands') AND kind IS DISTINCT FROM 'text'
  UNION ALL SELECT file_id, sheet, row, 'value', 'thousands_separator', v1, v2 FROM parsed WHERE shape IN ('space_thousands', 'comma_thousands', 'dot_thousands') AND kind IS DISTINCT FROM 'text'
)
"""

OBSERVATIONS_SQL = """
SELECT city_code, year_num AS year, variable_t AS variable,
       CASE WHEN kind <> 'text' THEN value_num END AS value,
       CASE WHEN kind = 'text' THEN value_t END AS value_text,
       reg_unit AS unit, source_t AS source_id, status_t AS status, note_t AS note,
       folder, file_id, sheet, row, value AS raw_value
FROM parsed
"""


def normalise(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(UNIT_KEY_SQL)
    con.execute("CREATE OR REPLACE TEMP TABLE unit_aliases (unit VARCHAR, alias VARCHAR)")
    rows = [(u, a) for u, aliases in UNIT_ALIASES.items() for a in aliases]
    con.executemany("INSERT INTO unit_aliases SELECT unit_key(?), unit_key(?)", rows)
    con.execute(NORMALISE_SQL)
