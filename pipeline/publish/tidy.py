"""The tables of the bundle, read from the store, and their tidy CSV form.

Rows hold typed values (``Decimal``, ``int``, ``date``, ``str``, ``None``), keyed by the names of
:mod:`pipeline.publish.fields`. The CSV is RFC 4180: UTF-8 without BOM, comma separator, CRLF
line ends, one header, ``.`` decimals and no thousands separators; an empty cell is a missing
value. Text cells that a spreadsheet would run as a formula are neutralised (OWASP: a leading
apostrophe); numbers are never touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import duckdb
import pyarrow as pa

from pipeline.catalogue import Catalogue
from pipeline.publish.fields import (
    INDICATOR_INPUTS,
    INDICATORS,
    OBSERVATIONS,
    SOURCES,
    FieldSpec,
    TableSpec,
)
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


# --- the tables in SQL ----------------------------------------------------------------------------
#
# The bundle's tables are built, checked and written by DuckDB: each table is one SELECT (``Table``)
# whose columns are the specification's, in its order; its CSV text (numbers with their decimals, the
# formula guard, RFC 4180 quoting, CRLF; pipeline.publish.csvtext) is computed by SQL as well and
# streamed to the file in Arrow batches, so no table is ever held as Python rows. ``check`` above, and
# the row-wise writers in tests/publish/reference.py, are the reference the SQL is tested against.

CR, LF = "chr(13)", "chr(10)"


def text_sql(x: str) -> str:
    """:func:`tests.publish.reference.neutralise` and the csv module's minimal quoting of a VARCHAR (not NULL)."""
    guard = " OR ".join(f"prefix({x}, {s})" for s in ("'='", "'+'", "'-'", "'@'", "chr(9)", CR))
    g = f"(CASE WHEN {guard} THEN '''' || {x} ELSE {x} END)"
    quote = f"(contains({g}, ',') OR contains({g}, '\"') OR contains({g}, {CR}) OR contains({g}, {LF}))"
    return f"CASE WHEN {quote} THEN '\"' || replace({g}, '\"', '\"\"') || '\"' ELSE {g} END"


def decimal_type(sql_type: str | None) -> tuple[int, int] | None:
    """The precision and scale of a DECIMAL type's name; None for any other type."""
    m = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", (sql_type or "").upper())
    return (int(m[1]), int(m[2])) if m else None


def decimal_text(x: str, sql_type: str) -> str:
    """``CAST(x AS VARCHAR)`` of a column of ``sql_type``, the same text. A DECIMAL wider than 18
    digits (a 128-bit integer) whose value fits in 18 is cast through DECIMAL(18, scale) first: DuckDB
    writes the text of a 64-bit decimal several times faster, and with the same digits."""
    precision, scale = decimal_type(sql_type) or (0, 0)
    if precision <= 18 or scale >= 18:
        return f"CAST({x} AS VARCHAR)"
    bound = "9" * (18 - scale) + ("." + "9" * scale if scale else "")
    return (f"CASE WHEN {x} BETWEEN -{bound} AND {bound} THEN CAST(CAST({x} AS DECIMAL(18, {scale})) AS VARCHAR) "
            f"ELSE CAST({x} AS VARCHAR) END")


def column_types(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, str]:
    """The SQL type of each column of a SELECT, by name."""
    cur = con.sql(f"SELECT * FROM ({sql}) AS t LIMIT 0")
    return {n: str(t) for n, t in zip(cur.columns, cur.types)}


CATALOGUE_VIEW = "_publish_catalogue"
LCU_VIEW = "_publish_lcu"
BATCH_ROWS = 65_536
PIECE_ROWS = 500_000
"""Rows sorted at a time: a table is read in pieces of whole cities (the first key of its order),
each sorted on its own, so that no sort holds a national table (:meth:`Table.batches`)."""


@dataclass(frozen=True)
class Table:
    """One table of the bundle as SQL: ``sql`` selects the spec's columns (and maybe helper columns
    starting with ``_``) without an order; ``order`` orders them like the file. ``unique``: the
    primary key is unique by construction (a store table's primary key, joined only on keys that are
    unique on the other side), so :func:`check_table` need not group the rows to find out.
    ``pieces``: the first and last value of the first key of ``order`` in each piece (:func:`in_pieces`);
    none, the table is one piece. ``counted``: a store table with that key whose rows stand for the
    table's in sizing the pieces (counted instead of running ``sql``); none, ``sql`` is counted."""

    spec: TableSpec
    sql: str
    order: str
    unique: bool = False
    pieces: tuple[tuple[object, object], ...] = ()
    cells: tuple[tuple[str, str], ...] = ()
    """(field, helper column of ``sql`` that holds the field's CSV cell already)."""
    counted: str = ""

    def ordered(self, select: str = "*") -> str:
        return f"SELECT {select} FROM ({self.sql}) AS t ORDER BY {self.order}"

    def batches(self, con: duckdb.DuckDBPyConnection, select: str = "*", rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
        """The rows of :meth:`ordered` as Arrow batches, a piece at a time: the pieces follow one
        another in the order's first key, so together they are in the order of the whole."""
        if not self.pieces:
            yield from con.sql(self.ordered(select)).to_arrow_reader(rows)
            return
        key = self.order.split(",")[0].strip()
        for first, last in self.pieces:
            yield from con.sql(f"SELECT {select} FROM ({self.sql}) AS t WHERE {key} BETWEEN $first AND $last ORDER BY {self.order}",
                               params={"first": first, "last": last}).to_arrow_reader(rows)


def in_pieces(con: duckdb.DuckDBPyConnection, table: Table, rows: int = PIECE_ROWS) -> Table:
    """The table with its :attr:`Table.pieces`: runs of whole values of its order's first key (a city)
    of about ``rows`` rows."""
    key = table.order.split(",")[0].strip()
    pieces: list[tuple[object, object]] = []
    size = 0
    rows_of = table.counted or f"({table.sql})"
    for value, n in con.execute(f"SELECT {key}, count(*) FROM {rows_of} AS t GROUP BY ALL ORDER BY 1").fetchall():
        if value is None:
            return table  # a NULL key is in no range: then the table is one piece
        if pieces and size + n <= rows:
            pieces[-1] = (pieces[-1][0], value)
            size += n
        else:
            pieces.append((value, value))
            size = n
    return replace(table, pieces=tuple(pieces)) if len(pieces) > 1 else table


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


CATALOGUE_CELLS = ("theme", "theme_name_en", "theme_name_pl", "tier", "name_en", "name_pl")
"""The columns of indicators.csv that are the catalogue's: their CSV cells are made once per indicator."""

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
           k.position AS _position, {', '.join(f'k._cell_{c}' for c in CATALOGUE_CELLS)}
    FROM results r JOIN cities c USING (city_code)
    JOIN (SELECT *, {', '.join(f'{text_sql(f"CAST({c} AS VARCHAR)")} AS _cell_{c}' for c in CATALOGUE_CELLS)}
          FROM {CATALOGUE_VIEW}) k ON k.uid = r.indicator_uid"""

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
    """Every table of the bundle as SQL, by table name (reads the :func:`views`)."""
    return {
        # results, observations and result_inputs are keyed by the bundle's keys; cities, input files,
        # results and the catalogue's indicators are joined on their own keys. A city's rows are counted
        # in the store table they come from: the joins drop none of them (check_store), and an input of
        # no result would only make its piece a little smaller.
        INDICATORS.name: Table(INDICATORS, INDICATORS_SQL, "city_code, _position, year", unique=True,
                               cells=tuple((c, f"_cell_{c}") for c in CATALOGUE_CELLS), counted="results"),
        SOURCES.name: Table(SOURCES, SOURCES_SQL, "city_code, source_id"),
        OBSERVATIONS.name: Table(OBSERVATIONS, OBSERVATIONS_SQL, "city_code, year, variable", unique=True,
                                 counted="observations"),
        INDICATOR_INPUTS.name: Table(INDICATOR_INPUTS, INPUTS_SQL, "city_code, indicator_uid, year, variable, obs_year",
                                     unique=True, counted="result_inputs"),
    }


def view_tables(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> dict[str, pa.Table]:
    """The catalogue's names and the currency substitutions, which the tables' SQL reads as views."""
    return {CATALOGUE_VIEW: _catalogue_table(catalogue), LCU_VIEW: _lcu_table(con, catalogue)}


@contextmanager
def views(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> Iterator[duckdb.DuckDBPyConnection]:
    """``con`` with ``tables`` (:func:`view_tables`) registered as views while the block runs."""
    for name, table in tables.items():
        con.register(name, table)
    try:
        yield con
    finally:
        for name in tables:
            con.unregister(name)


def in_pieces_all(con: duckdb.DuckDBPyConnection) -> dict[str, Table]:
    """:func:`tables`, each in pieces (:func:`in_pieces`; reads the :func:`views`)."""
    return {name: in_pieces(con, t) for name, t in tables().items()}


def check_store(con: duckdb.DuckDBPyConnection) -> None:
    """Every result is of an indicator of the catalogue and of a city of the store (reads the :func:`views`)."""
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
    names = list(column_types(con, table.sql))
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
    n, n_bad = con.execute(f"SELECT count(*), count(*) FILTER (WHERE {' OR '.join(f'({b})' for b in bad) or 'false'}) "
                           f"FROM ({table.sql}) AS t").fetchall()[0]
    if not n_bad and (table.unique or not con.execute(
            f"SELECT EXISTS (SELECT 1 FROM ({table.sql}) AS t GROUP BY {key} HAVING count(*) > 1)").fetchall()[0][0]):
        return n  # the usual case; only a bad table pays for numbering its rows
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


__all__ = ["PublishError", "Row", "Table", "check", "check_store", "check_table", "column_types", "decimal_text", "decimal_type",
           "in_pieces_all", "view_tables", "views"]
