"""The fast path of reading a CSV file: whether DuckDB may read it as it is (:func:`regular`), and
reading it straight into a staging table in DuckDB (:func:`stage_csv`), so its cells are never held
in Python. Both give what the exact reader of :mod:`pipeline.ingest.reading` gives."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa

from pipeline.limits import Limits

if TYPE_CHECKING:
    from pipeline.ingest.reading import Table


def _regular_line(delim: str, width: int) -> re.Pattern[bytes]:
    """Matches a line of exactly ``width`` fields (quoted fields may hold the delimiter, but not a
    line break)."""
    d = re.escape(delim.encode())
    field = rb'(?:"[^"\n]*(?:""[^"\n]*)*"|[^"\n' + d + rb']*)'
    return re.compile(field + rb"(?:" + d + field + rb"){" + str(width - 1).encode() + rb"}\r?")


_BLANK_BYTES = np.frombuffer(b" \t\r;,\n", np.uint8)
_CHUNK = 1 << 20
"""Bytes of a file looked at at once by :func:`regular`."""


def regular(body: bytes, delim: str, width: int) -> bool:
    """Whether every line of ``body`` (the file after its header) is exactly ``width`` fields and none
    is blank (only spaces, tabs and separators; trailing line breaks aside): the file DuckDB reads
    as it is. A line without quotes is counted (its delimiters, with numpy, a few megabytes at a
    time); a line with one is matched by :func:`_regular_line`."""
    text = body.rstrip(b"\r\n")
    if not text:
        return False
    if width > 1 and b"\r" in body[len(text):].partition(b"\n")[2]:
        return False  # a line of carriage returns after the last one: not a row of width fields
    pattern, sep = _regular_line(delim, width), ord(delim)
    start = 0
    while start < len(text):
        end = text.find(b"\n", start + _CHUNK) if start + _CHUNK < len(text) else -1
        end = len(text) if end < 0 else end
        arr = np.frombuffer(text, np.uint8, end - start, start)
        starts = np.concatenate(([0], np.flatnonzero(arr == 10) + 1))
        if starts[-1] == len(arr):  # the chunk ends in an empty line
            return False
        if not np.logical_or.reduceat(~np.isin(arr, _BLANK_BYTES), starts).all():
            return False  # a blank line (an empty one reduces to its own line break)
        quoted = np.logical_or.reduceat(arr == 34, starts)
        fields = np.add.reduceat((arr == sep).astype(np.int32), starts)
        lengths = np.diff(np.append(starts, len(arr) + 1)) - 1
        fields[lengths == 0] = 0  # reduceat gives an empty line the value at its start
        if ((fields != width - 1) & ~quoted).any():
            return False
        for n in np.flatnonzero(quoted):  # the line as written (the last one with its carriage returns)
            a = start + int(starts[n])
            e = body.find(b"\n", a)
            if pattern.fullmatch(body, a, e if e >= 0 else len(body)) is None:
                return False
        start = end + 1
    return True


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path, delim: str, table: Table, limits: Limits, stage: str) -> None:
    """Read a regular CSV file (:func:`regular`) with DuckDB into the staging table ``stage`` (columns
    :data:`~pipeline.ingest.reading.STAGE_COLUMNS`), as :func:`~pipeline.ingest.reading.check_cells`
    and the other readers would take it: too many rows or a cell too long is a problem and nothing is
    staged; a file without rows keeps an empty ``data`` (it is a problem of its own)."""
    from pipeline.ingest.reading import too_large, too_many_rows

    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(table.header)))
    con.execute("DROP TABLE IF EXISTS file_cells")
    try:
        con.execute(f"""CREATE TEMP TABLE file_cells AS SELECT CAST(row_number() OVER () + 1 AS INTEGER) AS _row, * FROM (
                          SELECT * FROM read_csv(?, header = true, delim = ?, quote = '"', escape = '"', auto_detect = false,
                                                 all_varchar = true, columns = {{{cols}}})
                          LIMIT ?)""", [str(path), delim, limits.max_rows_per_file + 1])
        longest = con.execute("SELECT count(*)" + "".join(f", max(length(c{i}))" for i in range(len(table.header)))
                              + " FROM file_cells").fetchall()[0]
        if longest[0] > limits.max_rows_per_file:  # a regular file: the data row n is line n + 1
            too_many_rows(table, limits, limits.max_rows_per_file + 2)
            return
        if longest[0] == 0:
            table.data = pa.table({"row": pa.array([], pa.int32()), **{h: pa.array([], pa.string()) for h in table.header}})
            return
        too_long = [i for i, n in enumerate(longest[1:]) if n is not None and n > limits.max_field_chars]
        for i in too_long:
            for row, cell in con.execute(f"SELECT _row, c{i} FROM file_cells WHERE length(c{i}) > ? ORDER BY _row",
                                         [limits.max_field_chars]).fetchall():
                too_large(table, limits, row, table.header[i], cell)
        if too_long:
            return
        con.execute(f"INSERT INTO {stage} (file_id, sheet, row{''.join(', ' + h for h in table.header)}) "
                    f"SELECT ?, NULL, _row{''.join(f', c{i}' for i in range(len(table.header)))} FROM file_cells", [table.file_id])
        table.staged = longest[0]
    finally:
        con.execute("DROP TABLE IF EXISTS file_cells")
