"""``indicators.parquet``: the indicator table, typed, with each column's title and description.

Written by pyarrow from the same table and field specifications as ``indicators.csv`` (numbers as
IEEE doubles, the number of decimals in ``decimals``); text is kept as it is (the CSV's
formula guard is for spreadsheets). The same rows give the same bytes.

The rows come from DuckDB in Arrow batches and are written one row group at a time (groups of
:data:`ROW_GROUP_ROWS`, each one contiguous chunk, as ``pq.write_table`` of the whole table does),
so the file is the same as ``pq.write_table`` of the whole table with that ``row_group_size``, without ever
holding it.
"""

from __future__ import annotations

import hashlib
from typing import BinaryIO

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.publish.fields import TableSpec
from pipeline.publish.metadata import Meta
from pipeline.publish.tidy import Table, column_types, decimal_text

FILENAME = "indicators.parquet"
TYPES = {"string": pa.string(), "integer": pa.int32(), "number": pa.float64(), "date": pa.date32()}
SQL_TYPES = {"string": "VARCHAR", "integer": "INTEGER", "date": "DATE"}
ROW_GROUP_ROWS = 122_880
"""The rows of a row group, as DuckDB writes them: a national table is a dozen groups, and one
group (with the writer's buffers) stays in a few hundred megabytes; pyarrow's default of 1 Mi rows
held 1.8 GB at national scale."""
OPTIONS = {"compression": "zstd", "compression_level": 3, "use_dictionary": True, "write_statistics": True}
"""zstd at its default level: at national scale level 9 took 9.8 s for a file 4 % smaller (26.0
against 27.1 MB); level 3 takes 4.7 s."""


def schema(spec: TableSpec, meta: Meta) -> pa.Schema:
    fields = [pa.field(f.name, TYPES[f.type], nullable=not f.required,
                       metadata={"title": f.title, "title_pl": f.title_pl, "description": f.description})
              for f in spec.fields]
    return pa.schema(fields, metadata={"dataset_id": meta.dataset_id, "version": meta.version,
                                       "license": meta.config.licence.uri, "title": meta.title.en,
                                       "primary_key": ",".join(spec.primary_key)})


def _column(f, sql_type: str) -> str:
    x = f'"{f.name}"'
    if f.type == "number":
        # Through the decimal text: DuckDB parses it to the nearest double, as float(Decimal) does.
        return f"CAST({decimal_text(x, sql_type)} AS DOUBLE) AS {x}"
    return f"CAST({x} AS {SQL_TYPES[f.type]}) AS {x}"


class _HashingSink:
    def __init__(self, sink: BinaryIO):
        self.sink, self.digest, self.size, self.closed = sink, hashlib.sha256(), 0, False

    def write(self, data) -> int:
        data = memoryview(data)
        self.sink.write(data)
        self.digest.update(data)
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self.sink.flush()

    def close(self) -> None:
        self.closed = True


def write_parquet(con: duckdb.DuckDBPyConnection, table: Table, meta: Meta, sink: BinaryIO,
                  row_group_rows: int = ROW_GROUP_ROWS) -> tuple[int, str]:
    """The table as Parquet into ``sink``, streamed from the store; its size and SHA-256."""
    spec = table.spec
    target = schema(spec, meta)
    out = _HashingSink(sink)
    pending: list[pa.RecordBatch] = []
    count = 0

    def group(batches: list[pa.RecordBatch]) -> pa.Table:
        """The batches as one contiguous chunk per column (``Table.combine_chunks``), each column
        joined while the batches' pieces of it are let go: never two copies of a whole group."""
        columns = [pa.chunked_array([b.column(i) for b in batches], batches[0].schema.field(i).type)
                   for i in range(len(target))]
        batches.clear()
        for i, f in enumerate(target):
            joined = columns[i] if columns[i].num_chunks <= 1 else pa.chunked_array([columns[i].combine_chunks()])
            columns[i] = joined.cast(f.type)
        return pa.Table.from_arrays(columns, schema=target)

    with pq.ParquetWriter(pa.PythonFile(out, mode="w"), target, **OPTIONS) as writer:
        types = column_types(con, table.sql)
        select = ", ".join(_column(f, types[f.name]) for f in spec.fields)
        written = False
        for batch in table.batches(con, select):
            pending.append(batch)
            count += batch.num_rows
            while count >= row_group_rows:
                t = pa.Table.from_batches(pending, schema=pending[0].schema)
                head, rest = t.slice(0, row_group_rows).to_batches(), t.slice(row_group_rows)
                pending = rest.to_batches() if rest.num_rows else []
                del t, rest
                writer.write_table(group(head))
                written = True
                count -= row_group_rows
        if count or not written:
            if not pending:
                empty = con.sql(f"SELECT {select} FROM ({table.sql}) AS t LIMIT 0").to_arrow_table()
                pending = empty.to_batches() or [pa.RecordBatch.from_pylist([], schema=empty.schema)]
            writer.write_table(group(pending))
    return out.size, out.digest.hexdigest()
