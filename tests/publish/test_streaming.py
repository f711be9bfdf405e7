"""The bundle is built in DuckDB and streamed to the files; it must give the bytes of the reference
(Python rows through ``check`` and, in tests/publish/reference.py, ``to_csv``, ``jsonstat_dataset`` and
``to_parquet``)."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from itertools import pairwise

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.catalogue import load_catalogue
from pipeline.publish import jsonstat, parquet
from pipeline.publish.config import DEFAULT_CONFIG
from pipeline.publish.csvtext import write_csv
from pipeline.publish.fields import INDICATORS, TABLES, FieldSpec, TableSpec
from pipeline.publish.metadata import dataset_metadata
from pipeline.publish.tidy import PublishError, Table, check, check_table, in_pieces
from pipeline.store import connect
from tests.publish.conftest import CONFIG, registered
from tests.publish.reference import jsonstat_dataset, to_csv, to_parquet

SPEC = TableSpec("t", "T", "T", "d", "d", (
    FieldSpec("k", "string", "K", "K", "key", required=True),
    FieldSpec("v", "number", "V", "V", "value", decimals_from="d"),
    FieldSpec("d", "integer", "D", "D", "decimals"),
    FieldSpec("n", "number", "N", "N", "number"),
    FieldSpec("s", "string", "S", "S", "text", enum=()),
    FieldSpec("e", "string", "E", "E", "enum", enum=("a", "b")),
    FieldSpec("l", "string", "L", "L", "list", enum=("a", "b"), separator=" "),
    FieldSpec("dt", "date", "Dt", "Dt", "date"),
), primary_key=("k",))

VALUES = [
    ("0.125000", 2), ("0.135000", 2), ("0.125001", 2), ("-0.001000", 2), ("-0.005000", 2), ("-0.005001", 2),
    ("2.500000", 0), ("3.500000", 0), ("-2.500000", 0), ("0.000000", 3), ("1234567.891234", 6), ("9.999999", 5),
    ("9.999995", 5), ("-9.999995", 5), ("12.000000", None), ("12.340000", None), ("-0.100000", None), (None, 2), ("5.390000", 2),
]
TEXTS = ["=1+1", "+x", "-x", "@x", "\tx", "\rx", "a,b", 'say "hi"', "line\nbreak", "cr\rx", "ąę €", "'", "", " =x", None]


def _con(rows) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE t0 (k VARCHAR, v DECIMAL(38,6), d INTEGER, n DECIMAL(38,10), s VARCHAR, e VARCHAR, "
                "l VARCHAR, dt DATE)")
    con.executemany("INSERT INTO t0 VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return con


def _rows() -> list[tuple]:
    rows = []
    for i, (v, d) in enumerate(VALUES):
        for j, s in enumerate(TEXTS):
            n = [None, "0.5000000000", "100.0000000000", "-3.0000000000", "17100277768.1234567890", "0.0000000001"][(i + j) % 6]
            rows.append((f"{i:03}-{j:02}", v, d, n, s, "a" if j % 2 else None, "a b" if j % 3 else None,
                         date(2024, 1, 1 + j) if j % 2 else None))
    return rows


def _reference(con, table: Table) -> list[dict]:
    cur = con.execute(table.ordered())
    names = [d[0] for d in cur.description]
    return [{k: v for k, v in zip(names, r) if not k.startswith("_")} for r in cur.fetchall()]


def test_the_csv_written_by_sql_is_the_reference_csv():
    con = _con(_rows())
    table = Table(SPEC, "SELECT * FROM t0", "k")
    sink = io.BytesIO()
    size, _ = write_csv(con, table, sink)
    assert sink.getvalue() == to_csv(SPEC, _reference(con, table)) and size == len(sink.getvalue())


@pytest.mark.parametrize("counted", ["", "keys"])
def test_a_table_read_in_pieces_is_written_as_in_one(counted):
    """Pieces of whole keys, sized by the rows of the table's SQL or of the store table it counts."""
    con = _con(_rows())
    con.execute("CREATE VIEW keys AS SELECT k FROM t0 UNION ALL SELECT k FROM t0 WHERE k < '005'")  # more rows than the table
    whole = Table(SPEC, "SELECT * FROM t0", "k")
    pieced = in_pieces(con, replace(whole, counted=counted), rows=40)
    assert len(pieced.pieces) > 5 and pieced.pieces[0][0] == "000-00" and pieced.pieces[-1][1] == "018-14"
    assert all(a[1] < b[0] for a, b in pairwise(pieced.pieces))
    one, many = io.BytesIO(), io.BytesIO()
    write_csv(con, whole, one)
    write_csv(con, pieced, many)
    assert many.getvalue() == one.getvalue()


@pytest.mark.parametrize("change, message", [
    ("UPDATE t0 SET k = NULL WHERE k = '003-04'", "t: k is empty in (None,)"),
    ("UPDATE t0 SET e = 'c' WHERE k = '002-01'", "t: e = 'c' is not one of a, b in ('002-01',)"),
    ("UPDATE t0 SET l = 'a c' WHERE k = '001-01'", "t: l = 'a c' is not one of a, b in ('001-01',)"),
    ("UPDATE t0 SET k = '000-07' WHERE k = '004-00'", "t: the key ('000-07',) is not unique"),
])
def test_the_checks_in_sql_raise_what_the_reference_raises(change, message):
    con = _con(_rows())
    con.execute(change)
    table = Table(SPEC, "SELECT * FROM t0", "k NULLS FIRST")
    with pytest.raises(PublishError) as reference:
        check(SPEC, _reference(con, table))
    with pytest.raises(PublishError) as sql:
        check_table(con, table)
    assert str(sql.value) == str(reference.value) == message


def test_parquet_row_groups_are_those_of_write_table(bundle):
    con = connect(bundle.store, read_only=True)
    try:
        cat = load_catalogue(bundle.catalogue_root)
        meta = dataset_metadata(con, cat, CONFIG, str(DEFAULT_CONFIG))
        with registered(con, cat) as tables:
            table = tables[INDICATORS.name]
            rows = _reference(con, table)
            sink = io.BytesIO()
            parquet.write_parquet(con, table, meta, sink, row_group_rows=5)
    finally:
        con.close()
    columns = {f.name: [float(v) if isinstance(v := r[f.name], Decimal) else v for r in rows] for f in INDICATORS.fields}
    ref = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pydict(columns, schema=parquet.schema(INDICATORS, meta)), ref, row_group_size=5,
                   **parquet.OPTIONS)
    assert pq.ParquetFile(io.BytesIO(sink.getvalue())).metadata.num_row_groups == 3
    assert sink.getvalue() == ref.getvalue().to_pybytes()


def test_every_streamed_file_is_the_reference(bundle):
    con = connect(bundle.store, read_only=True)
    try:
        cat = load_catalogue(bundle.catalogue_root)
        meta = dataset_metadata(con, cat, CONFIG, str(DEFAULT_CONFIG))
        with registered(con, cat) as tables:
            rows = {t.name: _reference(con, tables[t.name]) for t in TABLES}
    finally:
        con.close()
    for t in TABLES:
        check(t, rows[t.name])
        assert (bundle.out / t.path).read_bytes() == to_csv(t, rows[t.name])
    doc = jsonstat_dataset(meta, rows[INDICATORS.name], list(cat.indicators))
    assert (bundle.out / jsonstat.FILENAME).read_bytes() == (json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()
    assert (bundle.out / parquet.FILENAME).read_bytes() == to_parquet(INDICATORS, rows[INDICATORS.name], meta)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-10**15, max_value=10**15),
                          st.integers(min_value=0, max_value=9)), min_size=1, max_size=40))
def test_fixed_decimals_in_sql_round_as_python_does(values):
    """Any DECIMAL(38,6) shown with any number of decimals, fewer or more than its scale."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t0 (k VARCHAR, v DECIMAL(38,6), d INTEGER)")
    con.executemany("INSERT INTO t0 VALUES (?, ?, ?)", [(f"{i:04}", str(v), d) for i, (v, d) in enumerate(values)])
    spec = TableSpec("t", "T", "T", "d", "d", (
        FieldSpec("k", "string", "K", "K", "key", required=True),
        FieldSpec("v", "number", "V", "V", "value", decimals_from="d"),
        FieldSpec("d", "integer", "D", "D", "decimals")), primary_key=("k",))
    table = Table(spec, "SELECT * FROM t0", "k")
    sink = io.BytesIO()
    write_csv(con, table, sink)
    assert sink.getvalue() == to_csv(spec, _reference(con, table))
