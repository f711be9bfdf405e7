"""The tables of the bundle, read from the store, and their tidy CSV form.

Rows hold typed values (``Decimal``, ``int``, ``date``, ``str``, ``None``), keyed by the names of
:mod:`pipeline.publish.fields`. The CSV is RFC 4180: UTF-8 without BOM, comma separator, CRLF
line ends, one header, ``.`` decimals and no thousands separators; an empty cell is a missing
value. Text cells that a spreadsheet would run as a formula are neutralised (OWASP: a leading
apostrophe); numbers are never touched.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import duckdb
import numpy as np
import pyarrow as pa

from pipeline.catalogue import Catalogue
from pipeline.publish.fields import INDICATOR_INPUTS, INDICATORS, OBSERVATIONS, SOURCES, FieldSpec, TableSpec
from pipeline.store import literal

Row = dict[str, object]
LCU = re.compile(r"\bLCU\b")


class PublishError(Exception):
    """The store does not hold what the bundle needs (a bug upstream, not a problem of the inputs)."""


def currency(unit: str | None, code: str) -> str | None:
    """The catalogue's ``LCU`` (the city's currency) written as the city's ISO 4217 code."""
    return LCU.sub(code, unit) if unit else unit


def check(spec: TableSpec, rows: list[Row]) -> None:
    """The rows have the spec's columns, its required cells, enumerations and a unique primary key."""
    seen: set[tuple] = set()
    for r in rows:
        if list(r) != spec.names:
            raise PublishError(f"{spec.name}: columns {list(r)} differ from the specification {spec.names}")
        for f in spec.fields:
            v = r[f.name]
            if v is None and f.required:
                raise PublishError(f"{spec.name}: {f.name} is empty in {_key(spec, r)}")
            if v is not None and f.enum and not all(t in f.enum for t in (v.split(f.separator) if f.separator else [v])):
                raise PublishError(f"{spec.name}: {f.name} = {v!r} is not one of {', '.join(f.enum)} in {_key(spec, r)}")
        key = _key(spec, r)
        if key in seen:
            raise PublishError(f"{spec.name}: the key {key} is not unique")
        seen.add(key)


def _key(spec: TableSpec, r: Row) -> tuple:
    return tuple(r[k] for k in spec.primary_key)


# --- CSV ----------------------------------------------------------------------------------------


# --- the tables in SQL ----------------------------------------------------------------------------
#
# The bundle's tables are built, checked and written by DuckDB: each table is one SELECT (``Table``)
# whose columns are the specification's, in its order; its CSV text (numbers with their decimals, the
# formula guard, RFC 4180 quoting, CRLF) is computed by SQL as well and streamed to the file in Arrow
# batches, so no table is ever held as Python rows. ``check`` above, and the row-wise writers in
# tests/publish/reference.py, are the reference the SQL is tested against.

CATALOGUE_VIEW = "_publish_catalogue"
LCU_VIEW = "_publish_lcu"
BATCH_ROWS = 65_536


@dataclass(frozen=True)
class Table:
    """One table of the bundle as SQL: ``sql`` selects the spec's columns (and maybe helper columns
    starting with ``_``) without an order; ``order`` orders them like the file."""

    spec: TableSpec
    sql: str
    order: str

    def ordered(self, select: str = "*") -> str:
        return f"SELECT {select} FROM ({self.sql}) AS t ORDER BY {self.order}"


def _catalogue_table(catalogue: Catalogue) -> pa.Table:
    rows = {"uid": [], "position": [], "theme": [], "theme_name_en": [], "theme_name_pl": [], "tier": [],
            "name_en": [], "name_pl": [], "unit_pl": []}
    for n, (uid, ind) in enumerate(catalogue.indicators.items()):
        theme = catalogue.theme_names[(ind.edition, ind.theme)]
        for k, v in (("uid", uid), ("position", n), ("theme", str(ind.theme)), ("theme_name_en", theme.en),
                     ("theme_name_pl", theme.pl), ("tier", ind.tier.value), ("name_en", ind.name.en),
                     ("name_pl", ind.name.pl), ("unit_pl", ind.unit.pl)):
            rows[k].append(v)
    return pa.table(rows, schema=pa.schema([("uid", pa.string()), ("position", pa.int64()),
                                            *((k, pa.string()) for k in list(rows)[2:])]))


def _lcu_table(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> pa.Table:
    """Every (text, currency) pair of the store and catalogue whose text names ``LCU``, with :func:`currency` applied."""
    codes = [c for (c,) in con.execute("SELECT DISTINCT currency FROM cities WHERE currency IS NOT NULL").fetchall()]
    texts = {t for (t,) in con.execute("SELECT DISTINCT unit FROM results WHERE contains(unit, 'LCU') "
                                       "UNION SELECT DISTINCT unit FROM observations WHERE contains(unit, 'LCU')").fetchall()}
    texts |= {ind.unit.pl for ind in catalogue.indicators.values() if ind.unit.pl and "LCU" in ind.unit.pl}
    pairs = [(t, c, currency(t, c)) for t in sorted(texts) for c in sorted(codes)]
    return pa.table({"text": [p[0] for p in pairs], "code": [p[1] for p in pairs], "out": [p[2] for p in pairs]},
                    schema=pa.schema([("text", pa.string()), ("code", pa.string()), ("out", pa.string())]))


def _lcu(column: str, code: str) -> str:
    return (f"CASE WHEN contains({column}, 'LCU') THEN (SELECT l.out FROM {LCU_VIEW} l "
            f"WHERE l.text = {column} AND l.code = {code}) ELSE {column} END")


INDICATORS_SQL = f"""
    SELECT r.city_code, r.indicator_id, r.year,
           CASE WHEN r.status = 'reported' THEN r.value END AS value,
           CASE WHEN r.status = 'reported' THEN r.value_text END AS value_text,
           {_lcu('r.unit', 'c.currency')} AS unit, r.status, r.origin, r.reason_code, r.reason,
           NULLIF(array_to_string(r.flags, ' '), '') AS flags,
           r.numerator, r.denominator, r.multiplier, r.decimals,
           NULLIF(array_to_string(r.source_ids, ' '), '') AS source_ids,
           r.edition, r.indicator_uid, k.theme, k.theme_name_en, k.theme_name_pl, k.tier, k.name_en, k.name_pl,
           {_lcu('k.unit_pl', 'c.currency')} AS unit_pl,
           k.position AS _position
    FROM results r JOIN cities c USING (city_code) JOIN {CATALOGUE_VIEW} k ON k.uid = r.indicator_uid"""

SOURCES_SQL = """
    SELECT c.city_code, s.source_id, s.organisation, s.dataset, s.url, s.retrieved_on, s.licence,
           s.quality_class, s.origin, s.file_id, s.row
    FROM sources s JOIN cities c USING (folder)"""

OBSERVATIONS_SQL = f"""
    SELECT o.city_code, o.year, o.variable, o.value, o.value_text, {_lcu('o.unit', 'c.currency')} AS unit,
           o.source_id, o.status, o.note, o.file_id, o.sheet, o.row, f.sha256
    FROM observations o JOIN input_files f USING (file_id) JOIN cities c USING (city_code)"""

INPUTS_SQL = """
    SELECT ri.city_code, ri.indicator_uid, ri.year, ri.role, ri.variable, ri.obs_year
    FROM result_inputs ri JOIN results r USING (city_code, indicator_uid, year)"""


def tables() -> dict[str, Table]:
    """Every table of the bundle as SQL, by table name (needs :func:`registered`)."""
    return {
        INDICATORS.name: Table(INDICATORS, INDICATORS_SQL, "city_code, _position, year"),
        SOURCES.name: Table(SOURCES, SOURCES_SQL, "city_code, source_id"),
        OBSERVATIONS.name: Table(OBSERVATIONS, OBSERVATIONS_SQL, "city_code, year, variable"),
        INDICATOR_INPUTS.name: Table(INDICATOR_INPUTS, INPUTS_SQL, "city_code, indicator_uid, year, variable, obs_year"),
    }


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> Iterator[dict[str, Table]]:
    """The catalogue's names and the currency substitutions as views of ``con`` while the block runs."""
    con.register(CATALOGUE_VIEW, _catalogue_table(catalogue))
    try:
        con.register(LCU_VIEW, _lcu_table(con, catalogue))
        try:
            yield tables()
        finally:
            con.unregister(LCU_VIEW)
    finally:
        con.unregister(CATALOGUE_VIEW)


def check_store(con: duckdb.DuckDBPyConnection) -> None:
    """Every result is of an indicator of the catalogue and of a city of the store (needs :func:`registered`)."""
    rows = con.execute(f"SELECT indicator_uid FROM results WHERE indicator_uid NOT IN (SELECT uid FROM {CATALOGUE_VIEW}) "
                       "ORDER BY rowid LIMIT 1").fetchall()
    if rows:
        raise PublishError(f"the store holds results of {rows[0][0]}, which is not in the catalogue; "
                           "publish with the catalogue the store was calculated with")
    rows = con.execute("SELECT city_code FROM results WHERE city_code NOT IN (SELECT city_code FROM cities) "
                       "ORDER BY rowid LIMIT 1").fetchall()
    if rows:
        raise PublishError(f"the store holds results of the city {rows[0][0]!r}, which is not in its cities table")



def _enum_ok(f: FieldSpec, x: str) -> str:
    values = ", ".join(literal(v) for v in f.enum)
    if f.separator:
        return f"list_bool_and(list_transform(string_split({x}, {literal(f.separator)}), lambda e: e IN ({values})))"
    return f"{x} IN ({values})"


def check_table(con: duckdb.DuckDBPyConnection, table: Table) -> int:
    """:func:`check` as set-based SQL: the same first problem in file order, the same message. Returns the row count."""
    spec = table.spec
    names = [d[0] for d in con.sql(f"SELECT * FROM ({table.sql}) AS t LIMIT 0").description]
    if [n for n in names if not n.startswith("_")] != spec.names:
        raise PublishError(f"{spec.name}: columns {names} differ from the specification {spec.names}")
    tests, bad = [], []
    for i, f in enumerate(spec.fields):
        x = f'"{f.name}"'
        if f.required:
            bad.append(f"{x} IS NULL")
            tests.append(f"SELECT _rn, {i} AS _field FROM t WHERE {x} IS NULL")
        if f.enum:
            bad.append(f"{x} IS NOT NULL AND NOT coalesce({_enum_ok(f, x)}, false)")
            tests.append(f"SELECT _rn, {i} AS _field FROM t WHERE {bad[-1]}")
    key = ", ".join(f'"{k}"' for k in spec.primary_key)
    any_bad = (f"SELECT EXISTS (SELECT 1 FROM ({table.sql}) AS t WHERE {' OR '.join(f'({b})' for b in bad) or 'false'}) "
               f"OR EXISTS (SELECT 1 FROM ({table.sql}) AS t GROUP BY {key} HAVING count(*) > 1)")
    if not con.execute(any_bad).fetchall()[0][0]:  # the usual case; only a bad table pays for numbering its rows
        return con.execute(f"SELECT count(*) FROM ({table.sql}) AS t").fetchall()[0][0]
    tests.append(f"SELECT _rn, {len(spec.fields)} AS _field FROM "
                 f"(SELECT _rn, row_number() OVER (PARTITION BY {key} ORDER BY _rn) AS _seen FROM t) WHERE _seen > 1")
    numbered = f"SELECT *, row_number() OVER (ORDER BY {table.order}) AS _rn FROM ({table.sql}) AS t0"
    first = con.execute(f"WITH t AS ({numbered}) SELECT _rn, _field FROM ({' UNION ALL '.join(tests)}) "
                        "ORDER BY _rn, _field LIMIT 1").fetchall()
    if first:
        rn, i = first[0]
        cur = con.execute(f"WITH t AS ({numbered}) SELECT * EXCLUDE (_rn) FROM t WHERE _rn = ?", [rn])
        cols = [d[0] for d in cur.description]
        r = dict(zip(cols, cur.fetchall()[0]))
        if i == len(spec.fields):
            raise PublishError(f"{spec.name}: the key {_key(spec, r)} is not unique")
        check(spec, [{n: r[n] for n in spec.names}])
        raise AssertionError(f"{spec.name}: SQL and Python checks disagree on row {rn}")  # pragma: no cover
    return con.execute(f"SELECT count(*) FROM ({table.sql}) AS t").fetchall()[0][0]


# --- CSV text in SQL --------------------------------------------------------------------------------

CR, LF = "chr(13)", "chr(10)"


def _let(value: str, name: str, body: str) -> str:
    """``body`` with ``name`` bound to ``value``, evaluated once (a one-element list and a lambda:
    DuckDB would otherwise compute a repeated sub-expression at each use)."""
    return f"list_transform([{value}], lambda {name}: {body})[1]"


def _text_sql(x: str) -> str:
    """:func:`tests.publish.reference.neutralise` and the csv module's minimal quoting of a VARCHAR (not NULL)."""
    guard = " OR ".join(f"prefix({x}, {s})" for s in ("'='", "'+'", "'-'", "'@'", "chr(9)", CR))
    g = f"(CASE WHEN {guard} THEN '''' || {x} ELSE {x} END)"
    quote = f"(contains({g}, ',') OR contains({g}, '\"') OR contains({g}, {CR}) OR contains({g}, {LF}))"
    return f"CASE WHEN {quote} THEN '\"' || replace({g}, '\"', '\"\"') || '\"' ELSE {g} END"


def _plain_sql(x: str) -> str:
    """:func:`tests.publish.reference.plain_number` without decimals of a DECIMAL or integer: trailing zeros dropped."""
    s = f"CAST({x} AS VARCHAR)"
    return f"CASE WHEN contains({s}, '.') THEN rtrim(rtrim({s}, '0'), '.') ELSE {s} END"


_POWERS = "[" + ", ".join(f"{10**k}::HUGEINT" for k in range(39)) + "]"


def _fixed_sql(x: str, d: str, scale: int) -> str:
    """:func:`tests.publish.reference.plain_number` with ``d`` decimals of a DECIMAL of ``scale``: exactly ``d`` of them,
    rounded half to even (``Decimal.quantize`` in the default context), no ``-0``. In integers:
    |x| in units of 10^-scale, then of 10^-d."""
    a = f"CAST(replace(CAST(abs({x}) AS VARCHAR), '.', '') AS HUGEINT)"
    up = f"CASE WHEN 2 * ({a} % lv_q) > lv_q OR (2 * ({a} % lv_q) = lv_q AND ({a} // lv_q) % 2 = 1) THEN 1 ELSE 0 END"
    n = _let(f"{scale} - {d}", "lv_k", f"CASE WHEN lv_k <= 0 THEN {a} * {_POWERS}[1 - lv_k] "
             f"ELSE {_let(f'{_POWERS}[lv_k + 1]', 'lv_q', f'{a} // lv_q + {up}')} END")
    digits = f"lpad(CAST(lv_n AS VARCHAR), CAST(greatest(length(CAST(lv_n AS VARCHAR)), {d} + 1) AS INTEGER), '0')"
    body = _let(digits, "lv_s", f"CASE WHEN {d} = 0 THEN lv_s ELSE left(lv_s, length(lv_s) - {d}) || '.' || right(lv_s, {d}) END")
    return _let(n, "lv_n", f"(CASE WHEN {x} < 0 AND lv_n <> 0 THEN '-' ELSE '' END) || {body}")


def _cell_sql(f: FieldSpec, types: dict[str, str]) -> str:
    x = f'"{f.name}"'
    if f.type == "number":
        t = types[f.name].upper()
        if not (t.startswith("DECIMAL") or t in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}):
            raise PublishError(f"{f.name}: a number column of type {t} (expected DECIMAL or an integer)")
        if f.decimals_from and t.startswith("DECIMAL"):
            d = f'"{f.decimals_from}"'
            scale = int(re.fullmatch(r"DECIMAL\(\d+,\s*(\d+)\)", t).group(1))
            text = f"CASE WHEN {d} IS NULL THEN {_plain_sql(x)} ELSE {_fixed_sql(x, d, scale)} END"
        else:
            text = _plain_sql(x)
    elif f.type in ("integer", "date"):
        text = f"CAST({x} AS VARCHAR)"
    else:
        text = _text_sql(f"CAST({x} AS VARCHAR)")
    return f"coalesce({text}, '')"


def csv_lines_sql(con: duckdb.DuckDBPyConnection, table: Table) -> str:
    """One column ``line``: each row of the CSV with its CRLF, in file order."""
    cur = con.sql(f"SELECT * FROM ({table.sql}) AS t LIMIT 0")
    types = {n: str(t) for n, t in zip(cur.columns, cur.types)}
    line = " || ',' || ".join(_cell_sql(f, types) for f in table.spec.fields)
    return table.ordered(f"{line} || {CR} || {LF} AS line")


def header(spec: TableSpec) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerow(spec.names)
    return buf.getvalue().encode("utf-8")


def string_bytes(arr: pa.Array) -> memoryview:
    """The concatenated UTF-8 of a string array without nulls, without copying."""
    if arr.type not in (pa.string(), pa.large_string()):
        arr = arr.cast(pa.large_string())
    if len(arr) == 0:
        return memoryview(b"")
    width = np.int64 if arr.type == pa.large_string() else np.int32
    offsets = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset:arr.offset + len(arr) + 1]
    return memoryview(arr.buffers()[2])[int(offsets[0]):int(offsets[-1])]


def stream(con: duckdb.DuckDBPyConnection, sql: str, sink: BinaryIO, digest: "hashlib._Hash") -> int:
    """Write the concatenated single string column of a query's rows to ``sink``; returns the bytes written."""
    size = 0
    reader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
    for batch in reader:
        data = string_bytes(batch.column(0))
        sink.write(data)
        digest.update(data)
        size += len(data)
    return size


def write_csv(con: duckdb.DuckDBPyConnection, table: Table, sink: BinaryIO) -> tuple[int, str]:
    """The table as RFC 4180 CSV into ``sink``; its size and SHA-256."""
    digest = hashlib.sha256()
    head = header(table.spec)
    sink.write(head)
    digest.update(head)
    size = len(head) + stream(con, csv_lines_sql(con, table), sink, digest)
    return size, digest.hexdigest()


__all__ = ["PublishError", "Row", "Table", "check", "check_store", "check_table", "csv_lines_sql",
           "registered", "write_csv"]
