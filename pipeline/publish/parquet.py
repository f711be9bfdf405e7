"""``indicators.parquet``: the indicator table, typed, with each column's title and description.

Written by pyarrow from the same rows and field specifications as ``indicators.csv`` (numbers as
IEEE doubles, the number of decimals in ``decimals``); text is kept as it is (the CSV's
formula guard is for spreadsheets). The same rows give the same bytes.
"""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.publish.fields import TableSpec
from pipeline.publish.metadata import Meta
from pipeline.publish.tidy import Row

FILENAME = "indicators.parquet"
TYPES = {"string": pa.string(), "integer": pa.int32(), "number": pa.float64(), "date": pa.date32()}


def schema(spec: TableSpec, meta: Meta) -> pa.Schema:
    fields = [pa.field(f.name, TYPES[f.type], nullable=not f.required,
                       metadata={"title": f.title, "title_pl": f.title_pl, "description": f.description})
              for f in spec.fields]
    return pa.schema(fields, metadata={"dataset_id": meta.dataset_id, "version": meta.version,
                                       "license": meta.config.licence.uri, "title": meta.title.en,
                                       "primary_key": ",".join(spec.primary_key)})


def to_parquet(spec: TableSpec, rows: list[Row], meta: Meta) -> bytes:
    columns = {f.name: [float(v) if isinstance(v := r[f.name], Decimal) else v for r in rows] for f in spec.fields}
    table = pa.Table.from_pydict(columns, schema=schema(spec, meta))
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", compression_level=9, use_dictionary=True, write_statistics=True)
    return sink.getvalue().to_pybytes()
