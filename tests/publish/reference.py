"""The reference the bundle's SQL is tested against: the same files written row by row in Python,
the obvious way (``csv``, ``Decimal``, ``pyarrow``). The pipeline itself streams every table from
DuckDB (``pipeline.publish``); these functions only exist to be compared with it."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from itertools import product

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.publish.fields import FieldSpec, TableSpec
from pipeline.publish.jsonstat import _document
from pipeline.publish.metadata import Meta
from pipeline.publish.parquet import OPTIONS, schema
from pipeline.publish.tidy import Row

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def plain_number(d: Decimal | int, decimals: int | None = None) -> str:
    """A number as a plain decimal: ``.`` point, no exponent, no thousands separator, no ``-0``."""
    if isinstance(d, int):
        return str(d)
    if decimals is not None:
        d = d.quantize(Decimal(1).scaleb(-decimals))
    elif d == d.to_integral_value():
        d = d.quantize(Decimal(1))
    else:
        d = d.normalize()
    if d == 0:
        d = abs(d)
    return format(d, "f")


def neutralise(text: str) -> str:
    """OWASP's defence against CSV formula injection: a leading apostrophe on a text a spreadsheet would run."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(spec: FieldSpec, value: object, row: Row) -> str:
    if value is None:
        return ""
    if spec.type == "number":
        places = row[spec.decimals_from] if spec.decimals_from else None
        return plain_number(value if isinstance(value, Decimal) else Decimal(str(value)), places)  # type: ignore[arg-type]
    if spec.type == "integer":
        return str(int(value))  # type: ignore[call-overload]
    if spec.type == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    return neutralise(str(value))


def to_csv(spec: TableSpec, rows: list[Row]) -> bytes:
    """The table as RFC 4180 CSV bytes."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=",", quotechar='"', doublequote=True, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    w.writerow(spec.names)
    for r in rows:
        w.writerow([cell(f, r[f.name], r) for f in spec.fields])
    return buf.getvalue().encode("utf-8")


def jsonstat_dataset(meta: Meta, rows: list[Row], indicator_order: list[str]) -> dict:
    """The JSON-stat dataset of the rows of ``indicators.csv`` (uids ordered as ``indicator_order``)."""
    cities = sorted({r["city_code"] for r in rows})
    position = {uid: n for n, uid in enumerate(indicator_order)}
    uids = sorted({r["indicator_uid"] for r in rows}, key=lambda u: position.get(u, len(position)))
    years = sorted({r["year"] for r in rows})
    first = {}
    for r in rows:
        first.setdefault(r["indicator_uid"], r)
    index = {key: n for n, key in enumerate(product(cities, uids, years))}
    value: list = [None] * len(index)
    status = ["no_data"] * len(index)
    reasons: dict[str, str] = {}
    flags: dict[str, str] = {}
    for r in rows:
        n = index[(r["city_code"], r["indicator_uid"], r["year"])]
        v = r["value"]
        value[n] = float(v) if isinstance(v, Decimal) else v if v is not None else r["value_text"]
        status[n] = r["status"]
        if r["reason"]:
            reasons[str(n)] = r["reason"]
        if r["flags"]:
            flags[str(n)] = r["flags"]
    heads = {u: (first[u]["indicator_id"], first[u]["name_en"], first[u]["unit"], first[u]["decimals"]) for u in uids}
    return _document(meta, cities, uids, years, heads, value, status, reasons, flags)


def to_parquet(spec: TableSpec, rows: list[Row], meta: Meta) -> bytes:
    """The reference: the whole table from Python rows."""
    columns = {f.name: [float(v) if isinstance(v := r[f.name], Decimal) else v for r in rows] for f in spec.fields}
    table = pa.Table.from_pydict(columns, schema=schema(spec, meta))
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **OPTIONS)
    return sink.getvalue().to_pybytes()
