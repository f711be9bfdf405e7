"""The tables of the bundle as RFC 4180 CSV, the text made by DuckDB (:mod:`pipeline.publish.tidy`
describes the CSV; ``check`` and the row-wise writers in tests/publish/reference.py are the reference
the SQL is tested against)."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import replace
from typing import BinaryIO

import duckdb
import numpy as np
import pyarrow as pa

from pipeline.publish.fields import FieldSpec, TableSpec
from pipeline.publish.tidy import CR, LF, PublishError, Table, column_types, decimal_text, decimal_type, text_sql


def _let(value: str, name: str, body: str) -> str:
    """``body`` with ``name`` bound to ``value``, evaluated once (a one-element list and a lambda:
    DuckDB would otherwise compute a repeated sub-expression at each use)."""
    return f"list_transform([{value}], lambda {name}: {body})[1]"


def _plain_sql(x: str, sql_type: str | None = None) -> str:
    """:func:`tests.publish.reference.plain_number` without decimals of a DECIMAL or integer: trailing zeros dropped.
    Given the column's type, only what it needs: an integer has no decimals, a DECIMAL with a scale always a point."""
    s = f"CAST({x} AS VARCHAR)"
    scale = _scale(sql_type)
    if sql_type in INTEGERS or scale == 0:
        return s
    if scale:
        return f"rtrim(rtrim({s}, '0'), '.')"
    return f"CASE WHEN contains({s}, '.') THEN rtrim(rtrim({s}, '0'), '.') ELSE {s} END"


INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}


def _scale(sql_type: str | None) -> int | None:
    decimal = decimal_type(sql_type)
    return decimal[1] if decimal else None


_POWERS = "[" + ", ".join(f"{10**k}::HUGEINT" for k in range(39)) + "]"


def _fixed_sql(x: str, d: str, scale: int) -> str:
    """:func:`tests.publish.reference.plain_number` with ``d`` decimals of a DECIMAL of ``scale``: exactly ``d`` of them,
    rounded half to even (``Decimal.quantize`` in the default context), no ``-0``. A value that has no digit
    beyond its ``d`` decimals (nearly every one: values are stored rounded to their decimals) is its text
    cut after them; any other is computed exactly by :func:`_rounded_sql`."""
    s = f"CAST({x} AS VARCHAR)"
    cut = f"left({s}, length({s}) - ({scale} - {d}) - CASE WHEN {d} = 0 THEN 1 ELSE 0 END)" if scale else s
    exact = f"{d} BETWEEN 0 AND {scale} AND length(rtrim({s}, '0')) <= length({s}) - ({scale} - {d})"
    return f"CASE WHEN {exact} THEN {cut} ELSE {_rounded_sql(x, d, scale)} END"


def _rounded_sql(x: str, d: str, scale: int) -> str:
    """:func:`_fixed_sql` of any value, in integers: |x| in units of 10^-scale, then of 10^-d."""
    a = f"CAST(replace(CAST(abs({x}) AS VARCHAR), '.', '') AS HUGEINT)"
    up = f"CASE WHEN 2 * ({a} % lv_q) > lv_q OR (2 * ({a} % lv_q) = lv_q AND ({a} // lv_q) % 2 = 1) THEN 1 ELSE 0 END"
    n = _let(f"{scale} - {d}", "lv_k", f"CASE WHEN lv_k <= 0 THEN {a} * {_POWERS}[1 - lv_k] "
             f"ELSE {_let(f'{_POWERS}[lv_k + 1]', 'lv_q', f'{a} // lv_q + {up}')} END")
    digits = f"lpad(CAST(lv_n AS VARCHAR), CAST(greatest(length(CAST(lv_n AS VARCHAR)), {d} + 1) AS INTEGER), '0')"
    body = _let(digits, "lv_s", f"CASE WHEN {d} = 0 THEN lv_s ELSE left(lv_s, length(lv_s) - {d}) || '.' || right(lv_s, {d}) END")
    return _let(n, "lv_n", f"(CASE WHEN {x} < 0 AND lv_n <> 0 THEN '-' ELSE '' END) || {body}")


def _cell_sql(f: FieldSpec, types: dict[str, str], cells: dict[str, str] | None = None) -> str:
    """A field's CSV cell; ``cells`` names the helper columns that hold some fields' cells already."""
    x = f'"{f.name}"'
    if cells and f.name in cells:
        return f'coalesce("{cells[f.name]}", \'\')'
    if f.type == "number":
        t = types[f.name].upper()
        if not (t.startswith("DECIMAL") or t in INTEGERS):
            raise PublishError(f"{f.name}: a number column of type {t} (expected DECIMAL or an integer)")
        if f.decimals_from and t.startswith("DECIMAL"):
            d = f'"{f.decimals_from}"'
            text = f"CASE WHEN {d} IS NULL THEN {_plain_sql(x, t)} ELSE {_fixed_sql(x, d, _scale(t))} END"
        else:
            text = _plain_sql(x, t)
    elif f.type in ("integer", "date"):
        text = f"CAST({x} AS VARCHAR)"
    else:
        text = text_sql(f"CAST({x} AS VARCHAR)")
    return f"coalesce({text}, '')"


def csv_lines(con: duckdb.DuckDBPyConnection, table: Table) -> tuple[Table, str]:
    """The table with the text of each DECIMAL as a helper column (made once, read by each use in the
    cell), and the select list of one column ``line`` over it: a row of the CSV with its CRLF."""
    types = column_types(con, table.sql)
    decimals = [f.name for f in table.spec.fields if f.type == "number" and types[f.name].upper().startswith("DECIMAL")]
    cells = ", ".join(_cell_sql(f, types, dict(table.cells)) for f in table.spec.fields)  # every cell is text, none NULL
    for name in decimals:
        cells = cells.replace(f'CAST("{name}" AS VARCHAR)', f'"_text_{name}"')
    texts = "".join(", " + decimal_text(f'"{name}"', types[name]) + f' AS "_text_{name}"' for name in decimals)
    return (replace(table, sql=f"SELECT *{texts} FROM ({table.sql}) AS t0"),
            f"concat(concat_ws(',', {cells}), {CR}, {LF}) AS line")


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


def stream(batches, sink: BinaryIO, digest: hashlib._Hash) -> int:
    """Write the concatenated single string column of Arrow batches to ``sink``; returns the bytes written."""
    size = 0
    for batch in batches:
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
    lines, line = csv_lines(con, table)
    size = len(head) + stream(lines.batches(con, line), sink, digest)
    return size, digest.hexdigest()



__all__ = ["csv_lines", "header", "write_csv"]
