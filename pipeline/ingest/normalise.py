"""Staged text cells into typed observations, in DuckDB SQL, set-based.

Every repair (trimmed spaces, decimal commas, thousands separators, %, currency signs) becomes a
row of ``repairs``; every value that cannot be read without guessing becomes a problem naming its
file, sheet, row, column and rule. Expects the temporary view or table ``staging`` (text cells),
``registry`` (the variables), ``folder_cities`` and ``folder_sources``.

A plain number (``-?\\d+(\\.\\d+)?``, nearly every cell) takes one pattern and no other. Only a
value with more than digits and separators is split into a minus, a sign (``%``, or a currency
sign or code of :mod:`pipeline.ingest.currencies`, looked up as data) and the number. Each
number's shape says what it shows of its file's decimal mark; a lone group (``1,395``,
``1.395``) is read by that evidence, gathered per file and sheet, and is a problem only where
there is none or it conflicts (and the variable is not a whole count).
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

import duckdb

from pipeline.i18n import N_, msg
from pipeline.ingest.currencies import sign_rows
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

CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""A C0 control character other than tab, line feed and carriage return: never part of a figure or
a note (a NUL byte is what a broken export or a binary file leaves)."""
_CONTROL_SQL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
"""The same, as an RE2 pattern for DuckDB."""
_CONTROL_MESSAGE = N_("the cell holds the control character '\\x{code}' (character {position}), invisible in most "
                      "programs; delete it (it is often left by a broken export)")


def escape_controls(text: str | None) -> str | None:
    """``text`` with each control character written as ``\\x00``, fit to be shown."""
    return None if text is None else CONTROL_CHARACTER.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def escape_message(message: dict) -> dict:
    """A message (:func:`pipeline.i18n.msg`) with each control character in its words and fields
    written as ``\\x00``."""
    args = message.get("message_args") or {}
    return {**message, "message": escape_controls(message["message"]),
            "message_args": {k: escape_controls(v) for k, v in args.items()}}


def control_message(text: str) -> dict:
    """The message of rule ``control_character`` for a cell (the same words as the SQL's)."""
    m = CONTROL_CHARACTER.search(text)
    return msg(_CONTROL_MESSAGE, code=f"{ord(m.group()):02x}", position=m.start() + 1)


_PLAIN = r"-?\d+(\.\d+)?"
"""A clean plain number: the fast path, which needs no other pattern."""

_DIGITS = {
    # The shapes of a number once signs are removed; of those that fit its separators, the first that matches wins.
    "dot_group": r"-?[1-9]\d{0,2}\.\d{3}",                     # 1.395: decimal point or thousands group
    "plain": r"-?\d+(\.\d+)?([eE][+-]?\d+)?",
    "comma_group": r"-?[1-9]\d{0,2},\d{3}",                    # 1,395: decimal comma or thousands group
    "decimal_comma": r"-?\d+,\d+",
    "space_thousands": r"-?\d{1,3}( \d{3})+(,\d+)?",
    "comma_thousands": r"-?\d{1,3}(,\d{3}){2,}|-?\d{1,3}(,\d{3})+\.\d+",
    "dot_thousands": r"-?\d{1,3}(\.\d{3}){2,}(,\d+)?|-?\d{1,3}(\.\d{3})+,\d+",
}

_BARE = r"-?\d[\d ,.eE+-]*"
"""Digits and separators only: no sign to look for."""
_CORE = r"\d[\d ,.]*\d|\d"
"""The number in a value that carries signs; what is before it may be a minus and a sign (of
``currency_signs``), what is after it a % or a sign."""

SETTLED = ("thousands_separator_from_file", "decimal_comma_from_file", "thousands_separator_whole_number",
           "thousands_separator_from_country", "decimal_comma_from_country")
"""How a lone group (1,395 or 1.395) was read, when it was: the name of its repair."""


_CANDIDATES = [  # which shapes a number can have, by the separators in it
    ("contains(v1, ' ')", ["space_thousands"]),
    ("contains(v1, ',') AND contains(v1, '.')", ["comma_thousands", "dot_thousands"]),
    ("contains(v1, ',')", ["comma_group", "decimal_comma", "comma_thousands"]),
    ("true", ["dot_group", "plain", "dot_thousands"]),
]


def _shape_case() -> str:
    """The shape of ``v1``: at most three patterns are tried on a number, none on a plain one."""
    assert {n for _, names in _CANDIDATES for n in names} == set(_DIGITS)
    # The fast path: a plain number is a lone dot group only if it has 1-3 digits, a dot and 3.
    fast = ("CASE WHEN contains(v1, '.') AND length(v1) = strpos(v1, '.') + 3 AND strpos(v1, '.') - neg BETWEEN 2 AND 4 "
            "AND substr(v1, 1 + neg, 1) <> '0' THEN 'dot_group' ELSE 'plain' END")
    whens = "\n".join(
        f"      WHEN {test} THEN CASE "
        + " ".join(f"WHEN regexp_full_match(v1, '{_DIGITS[n]}') THEN '{n}'" for n in names) + " ELSE 'invalid' END"
        for test, names in _CANDIDATES)
    return f"CASE WHEN v1 IS NULL THEN NULL\n      WHEN fast THEN {fast}\n{whens} END"


NORMALISE_SQL = f"""
CREATE OR REPLACE TEMP TABLE parsed AS
WITH cells AS (
SELECT s.*,
       nullif(trim(regexp_replace(s.city,      '[\\s\u00a0\u202f]+', ' ', 'g')), '') AS city_t,
       nullif(trim(regexp_replace(s.year,      '[\\s\u00a0\u202f]+', ' ', 'g')), '') AS year_t,
       nullif(trim(regexp_replace(s.variable,  '[\\s\u00a0\u202f]+', ' ', 'g')), '') AS variable_t,
       nullif(trim(regexp_replace(s.value,     '[\\s\u00a0\u2007\u2009\u202f]+', ' ', 'g')), '') AS value_t,
       nullif(trim(regexp_replace(s.unit,      '[\\s\u00a0\u202f]+', ' ', 'g')), '') AS unit_t,
       nullif(trim(regexp_replace(s.source_id, '[\\s\u00a0\u202f]+', ' ', 'g')), '') AS source_t,
       lower(nullif(trim(s.status), ''))                                              AS status_t,
       nullif(trim(s.note), '')                                                       AS note_t,
       regexp_matches(concat(s.city, s.year, s.variable, s.value, s.unit, s.source_id, s.status, s.note),
                      '{_CONTROL_SQL}')                                              AS has_control
FROM staging s
), c AS (
  SELECT cells.*,
         coalesce(city_t, fc.only_city) AS city_code,
         r.unit AS reg_unit, r.kind, r.is_integer, r.canonical,
         fcity.currency, fcity.decimal_mark,
         CASE WHEN r.unit = 'LCU' THEN fcity.currency ELSE upper(r.unit) END AS money_currency,
         regexp_full_match(value_t, '{_PLAIN}') AS fast
  FROM cells
  LEFT JOIN (SELECT folder, any_value(city_code) AS only_city FROM folder_cities GROUP BY folder HAVING count(*) = 1) fc
         ON fc.folder = cells.folder
  LEFT JOIN registry r ON r.variable = cells.variable_t
  LEFT JOIN folder_cities fcity ON fcity.folder = cells.folder AND fcity.city_code = coalesce(cells.city_t, fc.only_city)
), split AS (
  -- a value with more than digits and separators: the number in it and what is before and after it
  SELECT *, CASE WHEN NOT fast AND NOT regexp_full_match(value_t, '{_BARE}') THEN regexp_extract(value_t, '{_CORE}') END AS core
  FROM c
), parts AS (
  SELECT *, length(before) - length(translate(before, '−–-', '')) AS minus_count,
         nullif(trim(translate(before, '−–-', '')), '') AS pre
  FROM (SELECT * EXCLUDE (around), around[1] AS before,
               CASE WHEN len(around) = 2 THEN nullif(trim(around[2]), '') ELSE '?' END AS post  -- ? : the number twice
        FROM (SELECT *, CASE WHEN core <> '' THEN string_split(value_t, core) END AS around FROM split))
), sym AS (
  SELECT parts.*, cs.codes AS sign_codes,
         -- one minus, and one sign before or after the number, which is % or a currency sign; anything else is not a number
         coalesce(minus_count <= 1 AND (pre IS NULL OR post IS NULL) AND (coalesce(pre, post) = '%' AND pre IS NULL
                  OR coalesce(pre, post) IS NULL OR cs.codes IS NOT NULL), false) AS tidy
  FROM parts
  LEFT JOIN (SELECT sign, list(code ORDER BY code) AS codes FROM currency_signs GROUP BY sign) cs
         ON cs.sign = lower(coalesce(pre, post))
), signed AS (
  SELECT *,
         tidy AND coalesce(post = '%', false) AS had_percent,
         CASE WHEN tidy AND coalesce(pre, post) <> '%' THEN coalesce(pre, post) END AS currency_sign,
         tidy AND coalesce(contains(before, '−') OR contains(before, '–'), false) AS had_minus,
         coalesce(tidy AND kind = 'money' AND list_contains(sign_codes, money_currency), false) AS currency_ok,
         CASE WHEN tidy THEN CASE WHEN minus_count = 1 THEN '-' ELSE '' END || core ELSE value_t END AS v1,
         CAST(starts_with(value_t, '-') AS INTEGER) AS neg
  FROM sym
), shaped AS (
  SELECT *,
         -- what a number says of its file's decimal mark (a lone group such as 1,395 or 1.395 says nothing)
         kind IS DISTINCT FROM 'text' AND (shape = 'comma_thousands' OR (shape = 'plain' AND contains(v1, '.'))) AS dot_evidence,
         kind IS DISTINCT FROM 'text' AND (shape IN ('decimal_comma', 'dot_thousands') OR (shape = 'space_thousands' AND contains(v1, ','))) AS comma_evidence
  FROM (SELECT *, {_shape_case()} AS shape FROM signed)
), cleaned AS (
  SELECT *,
         CASE shape
           WHEN 'plain' THEN v1
           WHEN 'decimal_comma' THEN replace(v1, ',', '.')
           WHEN 'space_thousands' THEN replace(replace(v1, ' ', ''), ',', '.')
           WHEN 'comma_thousands' THEN replace(v1, ',', '')
           WHEN 'dot_thousands' THEN replace(replace(v1, '.', ''), ',', '.')
         END AS v2  -- a lone group is read below
  FROM shaped
)
SELECT * EXCLUDE (core, before, post, pre, minus_count, tidy, neg),
       CAST(NULL AS VARCHAR) AS reading, CAST(NULL AS BOOLEAN) AS file_dot, CAST(NULL AS BOOLEAN) AS file_comma,
       shape IN ('comma_group', 'dot_group') AS ambiguous,
       CASE WHEN kind = 'text' THEN NULL
            WHEN NOT fast AND (contains(v2, 'e') OR contains(v2, 'E')) THEN TRY_CAST(TRY_CAST(v2 AS DOUBLE) AS DECIMAL(38, 10))
            ELSE TRY_CAST(v2 AS DECIMAL(38, 10)) END AS value_num,
       CASE WHEN regexp_full_match(year_t, '\\d{{4}}') THEN TRY_CAST(year_t AS INTEGER) END AS year_num
FROM cleaned;

-- A lone group (1,395 or 1.395) is read as the other numbers of its file and sheet say; failing
-- that, in a whole number, as a thousands group unless the file shows that mark as its decimal;
-- failing that, as the city's country writes numbers (pipeline.ingest.conventions).
UPDATE parsed SET reading = s.reading, file_dot = s.file_dot, file_comma = s.file_comma, ambiguous = s.reading IS NULL,
                  v2 = s.v2, value_num = CASE WHEN parsed.kind IS DISTINCT FROM 'text' THEN TRY_CAST(s.v2 AS DECIMAL(38, 10)) END
FROM (
  SELECT cell_id, file_dot, file_comma, reading,
         CASE WHEN reading = 'decimal_point' THEN v1
              WHEN reading IN ('decimal_comma_from_file', 'decimal_comma_from_country') THEN replace(v1, ',', '.')
              WHEN reading IS NOT NULL THEN replace(replace(v1, ',', ''), '.', '') END AS v2
  FROM (SELECT *,
               CASE shape
                 WHEN 'comma_group' THEN CASE WHEN file_dot AND NOT file_comma THEN 'thousands_separator_from_file'
                                              WHEN file_comma AND NOT file_dot THEN 'decimal_comma_from_file'
                                              WHEN is_integer AND NOT file_comma THEN 'thousands_separator_whole_number'
                                              WHEN file_dot OR file_comma THEN NULL
                                              WHEN decimal_mark = '.' THEN 'thousands_separator_from_country'
                                              WHEN decimal_mark = ',' THEN 'decimal_comma_from_country' END
                 WHEN 'dot_group' THEN CASE WHEN file_comma AND NOT file_dot THEN 'thousands_separator_from_file'
                                            WHEN is_integer AND NOT file_dot THEN 'thousands_separator_whole_number'
                                            WHEN NOT file_comma AND NOT file_dot AND decimal_mark = ',' THEN 'thousands_separator_from_country'
                                            WHEN NOT file_comma THEN 'decimal_point' END
               END AS reading
        FROM (SELECT g.rowid AS cell_id, g.shape, g.v1, g.is_integer, g.decimal_mark,
                     coalesce(e.file_dot, false) AS file_dot, coalesce(e.file_comma, false) AS file_comma
              FROM parsed g
              LEFT JOIN (SELECT file_id, sheet, bool_or(dot_evidence) AS file_dot, bool_or(comma_evidence) AS file_comma
                         FROM (SELECT file_id, sheet, dot_evidence, comma_evidence FROM parsed WHERE dot_evidence OR comma_evidence
                               UNION ALL SELECT file_id, sheet, decimal_mark = '.', decimal_mark = ',' FROM declared_marks)
                         GROUP BY ALL) e
                     ON e.file_id = g.file_id AND e.sheet IS NOT DISTINCT FROM g.sheet
              WHERE g.shape IN ('comma_group', 'dot_group')))
) s
WHERE parsed.rowid = s.cell_id;
"""

class Check(NamedTuple):
    """A problem of the cells: a condition on ``parsed``, and its message as a template (a msgid of
    the catalogues) whose fields are SQL expressions. Where the words differ with the case, the
    check has several templates and ``pick`` (SQL, over ``parsed`` and the fields as ``arg_<name>``)
    says which, by index."""

    rule: str
    column: str
    condition: str
    templates: tuple[str, ...]
    args: dict[str, str]
    pick: str = "0"


_SUGGESTION = "(SELECT arg_min(variable, levenshtein(variable, parsed.variable_t)) FROM registry)"
_CURRENCY = "CASE WHEN reg_unit = 'LCU' THEN currency ELSE reg_unit END"

# Order matters only for reading.
PROBLEMS: list[Check] = [
    Check("city_column_required", "city",
          "city_t IS NULL AND (SELECT count(*) FROM folder_cities fc WHERE fc.folder = parsed.folder) > 1",
          (N_("the folder holds several cities, so each row needs a city code in column 'city'"),), {}),
    Check("unknown_city", "city", "city_t IS NOT NULL AND currency IS NULL",
          (N_("city {city} is not declared in this folder's city.yaml / cities.yaml"),), {"city": "city_t"}),
    Check("missing_year", "year", "year_t IS NULL", (N_("the year is empty"),), {}),
    Check("fiscal_year", "year", "regexp_full_match(year_t, '\\d{4}\\s*[/-]\\s*\\d{2,4}')",
          (N_("{year} is a fiscal year; give the calendar year the figure refers to and explain in 'note'"),), {"year": "year_t"}),
    Check("not_a_year", "year",
          "year_t IS NOT NULL AND year_num IS NULL AND NOT regexp_full_match(year_t, '\\d{4}\\s*[/-]\\s*\\d{2,4}')",
          (N_("{year} is not a year (four digits expected, e.g. 2023)"),), {"year": "year_t"}),
    Check("year_out_of_range", "year", "year_num IS NOT NULL AND (year_num < 1900 OR year_num > 2100)",
          (N_("year {year} is outside 1900–2100"),), {"year": "year_t"}),
    Check("missing_variable", "variable", "variable_t IS NULL", (N_("the variable id is empty"),), {}),
    Check("unknown_variable", "variable", "variable_t IS NOT NULL AND kind IS NULL",
          (N_("{variable} is not a variable of the registry (indicators/variables.yaml)"),
           N_("{variable} is not a variable of the registry (indicators/variables.yaml); did you mean {suggestion}?")),
          {"variable": "variable_t", "suggestion": _SUGGESTION}, "CASE WHEN arg_suggestion IS NULL THEN 0 ELSE 1 END"),
    Check("unknown_status", "status", "status_t IS NOT NULL AND status_t NOT IN {statuses}",
          (N_("status {status} is not one of: {allowed}"),), {"status": "status_t", "allowed": "'{status_list}'"}),
    Check("missing_value", "value", "value_t IS NULL AND coalesce(status_t, '') NOT IN {empty_statuses}",
          (N_("the value is empty; give the figure, or set status not_available or not_applicable (with the reason in "
              "note), or confidential"),), {}),
    Check("value_with_not_available", "value", "value_t IS NOT NULL AND status_t IN ('not_available', 'not_applicable')",
          (N_("a figure is given but status says {status}; remove one of them"),), {"status": "status_t"}),
    Check("not_available_without_note", "note", "status_t IN ('not_available', 'not_applicable') AND note_t IS NULL",
          (N_("status {status} needs the reason in note"),), {"status": "status_t"}),
    Check("ambiguous_separator", "value", "kind IS DISTINCT FROM 'text' AND value_t IS NOT NULL AND ambiguous",
          (N_("{value} is ambiguous: it could be a decimal or a thousands separator; write it without separators "
              "(e.g. 1395 or 1.395)"),
           N_("{value} is ambiguous: it could be a decimal or a thousands separator (this file writes both decimal points "
              "and decimal commas); write it without separators (e.g. 1395 or 1.395)")),
          {"value": "value_t"}, "CASE WHEN file_dot AND file_comma THEN 1 ELSE 0 END"),
    Check("not_a_number", "value", "kind IS DISTINCT FROM 'text' AND kind IS NOT NULL AND value_t IS NOT NULL AND shape = 'invalid'",
          (N_("{value} is not a number"),
           N_("{value} is not a number but a formula whose result was never saved: open and save the file in a "
              "spreadsheet program, or type the value")),
          {"value": "value_t"}, "CASE WHEN value_t LIKE '=%' THEN 1 ELSE 0 END"),
    Check("number_out_of_range", "value", "kind IS DISTINCT FROM 'text' AND v2 IS NOT NULL AND NOT ambiguous AND value_num IS NULL",
          (N_("{value} cannot be held exactly (more than 28 digits before the decimal point)"),), {"value": "value_t"}),
    Check("percent_sign_unexpected", "value", "had_percent AND kind IS NOT NULL AND kind <> 'text' AND reg_unit <> '%'",
          (N_("{value} carries a % sign but {variable} is measured in {unit}"),),
          {"value": "value_t", "variable": "variable_t", "unit": "reg_unit"}),
    Check("currency_unexpected", "value",
          "currency_sign IS NOT NULL AND kind IS NOT NULL AND kind <> 'text' AND NOT currency_ok",
          (N_("{value} carries the currency sign {sign}, but {variable} is not money (it is measured in {unit})"),
           N_("{value} carries the currency sign {sign}, which does not match the currency of {variable} ({currency})"),
           N_("{value} carries the currency sign {sign}, which does not match the currency of {variable} ({currency}); "
              "{sign} stands for {codes}")),
          {"value": "value_t", "sign": "currency_sign", "variable": "variable_t", "unit": "reg_unit",
           "currency": "money_currency", "codes": "array_to_string(sign_codes, ', ')"},
          "CASE WHEN kind <> 'money' THEN 0 WHEN arg_codes IS NULL THEN 1 ELSE 2 END"),
    Check("missing_unit", "unit", "unit_t IS NULL AND value_t IS NOT NULL AND kind IS NOT NULL",
          (N_("the unit is empty; {variable} is measured in {unit}"),), {"variable": "variable_t", "unit": _CURRENCY}),
    Check("unit_mismatch", "unit",
          "unit_t IS NOT NULL AND kind IS NOT NULL AND NOT (unit_key(unit_t) = unit_key(reg_unit) OR unit_key(unit_t) IN (SELECT alias FROM unit_aliases WHERE unit = unit_key(reg_unit)) OR (reg_unit = 'LCU' AND upper(unit_t) IN (currency, 'LCU')) OR (kind = 'money' AND unit_key(unit_t) IN (SELECT sign FROM currency_signs WHERE code = parsed.money_currency)))",
          (N_("unit {given} disagrees with the registry: {variable} is measured in {unit}; convert the figure, do not relabel it"),),
          {"given": "unit_t", "variable": "variable_t", "unit": "CASE WHEN reg_unit = 'LCU' THEN currency || ' (LCU)' ELSE reg_unit END"}),
    # not for a signed measure in % (inflation, a change), which is often below 1 %
    Check("share_as_fraction", "value",
          "reg_unit = '%' AND kind NOT IN ('text', 'measure') AND value_num > 0 AND value_num < 1 AND note_t IS NULL",
          (N_("{value} looks like a fraction, but {variable} is a percentage (0–100): did you mean {percent}? If the share "
              "really is below 1 %, say so in note"),),
          {"value": "value_t", "variable": "variable_t", "percent": "CAST(CAST(value_num * 100 AS DOUBLE) AS VARCHAR)"}),
    Check("not_whole_number", "value",
          "is_integer AND value_num IS NOT NULL AND value_num <> round(value_num) AND status_t IS DISTINCT FROM 'estimated'",
          (N_("{value} must be a whole number ({variable} counts {unit}); was it scaled, e.g. divided by 100 000?"),),
          {"value": "value_t", "variable": "variable_t", "unit": "reg_unit"}),
    Check("missing_source", "source_id",
          "source_t IS NULL AND value_t IS NOT NULL AND regexp_extract(file_id, '[^/]*$') NOT IN ('city.yaml', 'cities.yaml')",
          (N_("every figure needs a source_id from sources.csv"),), {}),
    Check("unknown_source", "source_id",
          "source_t IS NOT NULL AND NOT EXISTS (SELECT 1 FROM folder_sources s WHERE s.folder = parsed.folder AND s.source_id = parsed.source_t)",
          (N_("source {source} is not in this folder's sources.csv"),), {"source": "source_t"}),
]


# A control character, in whichever column (tested once per row, then per column where one is found).
PROBLEMS += [
    Check("control_character", column, f"has_control AND regexp_matches({column}, '{_CONTROL_SQL}')", (_CONTROL_MESSAGE,),
          {"code": f"printf('%02x', ord(regexp_extract({column}, '{_CONTROL_SQL}')))",
           "position": f"CAST(strpos({column}, regexp_extract({column}, '{_CONTROL_SQL}')) AS VARCHAR)"})
    for column in ("city", "year", "variable", "value", "unit", "source_id", "status", "note")
]

_DUPLICATE = (
    N_("{variable} for {city} in {year} is given more than once; the first is in {first_file} row {first_row}"),
    N_("{variable} for {city} in {year} is given more than once; the first is in {first_file} sheet {first_sheet} row {first_row}"),
)


def _args_json(args: dict[str, str]) -> str:
    if not args:
        return "'{}'"
    return "CAST(to_json(struct_pack(" + ", ".join(f'"{k}" := "arg_{k}"' for k in args) + ")) AS VARCHAR)"


def problems_sql() -> str:
    """The problems of the cells: file_id, sheet, row, column, value, rule, template (the index of
    the check's template, see :func:`problem_message`) and the template's fields as JSON."""
    parts = []
    for n, check in enumerate(PROBLEMS):
        cond = check.condition.replace("{statuses}", str(STATUSES)).replace("{empty_statuses}", str(EMPTY_STATUSES))
        args = {k: v.replace("{status_list}", ", ".join(STATUSES)) for k, v in check.args.items()}
        fields = "".join(f", CAST({expr} AS VARCHAR) AS \"arg_{k}\"" for k, expr in args.items())
        parts.append(
            f"SELECT file_id, sheet, row, '{check.column}' AS col, {check.column} AS value, '{check.rule}' AS rule, "
            f"{n} AS check_no, CAST({check.pick} AS INTEGER) AS pick, {_args_json(args)} AS args "
            f"FROM (SELECT *{fields} FROM parsed WHERE {cond})"
        )
    # the keys given more than once are found first (an aggregate), and only their rows are ordered
    dup = """
    SELECT p.file_id, p.sheet, p.row, 'variable', p.variable, 'duplicate_observation', -1,
           CASE WHEN f.sheet IS NULL THEN 0 ELSE 1 END,
           CAST(to_json(struct_pack(variable := p.variable_t, city := p.city_code, year := p.year_t, first_file := f.file_id,
                                    first_sheet := f.sheet, first_row := CAST(f.row AS VARCHAR))) AS VARCHAR)
    FROM (SELECT g.*, row_number() OVER (PARTITION BY g.city_code, g.year_num, g.key ORDER BY file_id, sheet NULLS FIRST, row) AS n,
                 first_value(cell_id) OVER (PARTITION BY g.city_code, g.year_num, g.key ORDER BY file_id, sheet NULLS FIRST, row) AS first_cell
          FROM (SELECT *, rowid AS cell_id, coalesce(canonical, variable_t) AS key FROM parsed
                WHERE city_code IS NOT NULL AND year_num IS NOT NULL AND variable_t IS NOT NULL) g
          JOIN (SELECT city_code, year_num, coalesce(canonical, variable_t) AS key FROM parsed
                WHERE city_code IS NOT NULL AND year_num IS NOT NULL AND variable_t IS NOT NULL
                GROUP BY ALL HAVING count(*) > 1) d ON d.city_code = g.city_code AND d.year_num = g.year_num AND d.key = g.key) p
    JOIN parsed f ON f.rowid = p.first_cell
    WHERE p.n > 1"""
    return "\nUNION ALL\n".join(parts + [dup])


def problem_message(check_no: int, pick: int, args: str) -> dict[str, object]:
    """The message (:func:`pipeline.i18n.msg`) of a row of :func:`problems_sql`, escaped."""
    templates = _DUPLICATE if check_no < 0 else PROBLEMS[check_no].templates
    return escape_message(msg(templates[pick], **json.loads(args)))


REPAIRS_SQL = f"""
SELECT file_id, sheet, row, col AS "column", rule, original, repaired FROM (
  SELECT file_id, sheet, row, 'value' AS col, 'whitespace_trimmed' AS rule, value AS original, value_t AS repaired
    FROM parsed WHERE value IS DISTINCT FROM value_t AND value_t IS NOT NULL
  UNION ALL SELECT file_id, sheet, row, 'variable', 'whitespace_trimmed', variable, variable_t FROM parsed WHERE variable IS DISTINCT FROM variable_t AND variable_t IS NOT NULL
  UNION ALL SELECT file_id, sheet, row, 'unit', 'whitespace_trimmed', unit, unit_t FROM parsed WHERE unit IS DISTINCT FROM unit_t AND unit_t IS NOT NULL
  UNION ALL SELECT file_id, sheet, row, 'source_id', 'whitespace_trimmed', source_id, source_t FROM parsed WHERE source_id IS DISTINCT FROM source_t AND source_t IS NOT NULL
  UNION ALL SELECT file_id, sheet, row, 'year', 'whitespace_trimmed', year, year_t FROM parsed WHERE year IS DISTINCT FROM year_t AND year_t IS NOT NULL
  UNION ALL SELECT file_id, sheet, row, 'value', 'percent_sign_removed', value, v1 FROM parsed WHERE had_percent AND reg_unit = '%'
  UNION ALL SELECT file_id, sheet, row, 'value', 'currency_sign_removed', value, v1 FROM parsed WHERE currency_ok
  UNION ALL SELECT file_id, sheet, row, 'value', 'minus_sign', value, v1 FROM parsed WHERE had_minus AND kind IS DISTINCT FROM 'text'
  UNION ALL SELECT file_id, sheet, row, 'value', 'decimal_comma', value, v2 FROM parsed WHERE v1 LIKE '%,%' AND shape IN ('decimal_comma', 'space_thousands', 'dot_thousands') AND kind IS DISTINCT FROM 'text'
  UNION ALL SELECT file_id, sheet, row, 'value', 'thousands_separator', value, v2 FROM parsed WHERE shape IN ('space_thousands', 'comma_thousands', 'dot_thousands') AND kind IS DISTINCT FROM 'text'
  UNION ALL SELECT file_id, sheet, row, 'value', reading, value, v2 FROM parsed WHERE reading IN {SETTLED} AND kind IS DISTINCT FROM 'text'
)
"""

OBSERVATIONS_SQL = """
SELECT city_code, year_num AS year, coalesce(canonical, variable_t) AS variable,
       CASE WHEN kind <> 'text' THEN value_num END AS value,
       CASE WHEN kind = 'text' THEN value_t END AS value_text,
       reg_unit AS unit, source_t AS source_id, status_t AS status, note_t AS note,
       folder, file_id, sheet, row, value AS raw_value,
       CASE WHEN kind <> 'text' AND value_num IS NOT NULL AND NOT contains(lower(v2), 'e')
            THEN length(split_part(v2, '.', 2)) END AS decimals
FROM parsed
"""


def normalise(con: duckdb.DuckDBPyConnection, aliases: dict[str, list[str]] | None = None,
              marks: list[tuple[str, str | None, str]] = ()) -> None:
    """``aliases``: more spellings of units (an indicator's unit in each language), by unit;
    ``marks``: (file_id, sheet, decimal mark) of the tables whose format fixes the mark."""
    con.execute("CREATE OR REPLACE TEMP TABLE declared_marks (file_id VARCHAR, sheet VARCHAR, decimal_mark VARCHAR)")
    if marks:
        con.executemany("INSERT INTO declared_marks VALUES (?, ?, ?)", list(marks))
    con.execute(UNIT_KEY_SQL)
    con.execute("CREATE OR REPLACE TEMP TABLE unit_aliases (unit VARCHAR, alias VARCHAR)")
    rows = [(u, a) for u, more in [*UNIT_ALIASES.items(), *(aliases or {}).items()] for a in more]  # added to, not replaced
    con.execute("INSERT INTO unit_aliases SELECT unit_key(u), unit_key(a) FROM (SELECT unnest(?::VARCHAR[]) AS u, unnest(?::VARCHAR[]) AS a)",
                [[u for u, _ in rows], [a for _, a in rows]])
    con.execute("CREATE OR REPLACE TEMP TABLE currency_signs (sign VARCHAR, code VARCHAR)")
    signs, codes = zip(*sign_rows())
    con.execute("INSERT INTO currency_signs SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[])", [list(signs), list(codes)])
    con.execute(NORMALISE_SQL)
