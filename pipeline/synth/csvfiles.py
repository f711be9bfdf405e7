"""CSV files: many rows at once through Arrow (the generator's observation files), or a few
through :mod:`csv` (source registers, the sample city's files)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def format_array(x: np.ndarray, decimals: int):
    """Numbers as text with a decimal point and exactly ``decimals`` decimals, in Arrow (fast)."""
    scale = 10 ** decimals
    units = np.rint(np.abs(x) * scale).astype(np.int64)
    whole = pa.array(units // scale).cast(pa.string())
    if decimals:
        frac = pc.utf8_lpad(pa.array(units % scale).cast(pa.string()), width=decimals, padding="0")
        whole = pc.binary_join_element_wise(whole, frac, ".")
    if (x < 0).any():
        whole = pc.if_else(pa.array(x < 0), pc.binary_join_element_wise("-", whole, ""), whole)
    return whole


def csv_bytes(header: Sequence[str], columns: list, bom: bool = False) -> bytes:
    """Comma-separated bytes of string columns (Arrow arrays or scalars) that need no quoting."""
    n = max(len(c) for c in columns if not isinstance(c, str))
    cols = [pa.array([c] * n, pa.string()) if isinstance(c, str) else c for c in columns]
    lines = pc.binary_join_element_wise(*cols, pa.array([""] * n, pa.string()) if n else "", ",",
                                        null_handling="replace", null_replacement="")
    # Each line now ends in a separator: swap it for the line break.
    lines = pc.replace_substring_regex(lines, pattern=",$", replacement="\n")
    arr = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32 if arr.type == pa.string() else np.int64)
    body = arr.buffers()[2].to_pybytes()[offsets[arr.offset]:offsets[arr.offset + len(arr)]] if n else b""
    return (b"\xef\xbb\xbf" if bom else b"") + (",".join(header) + "\n").encode() + body


def csv_quote(s: str) -> str:
    """A cell quoted as CSV quotes it, where it needs quoting."""
    return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\n\r;') else s


def write_csv_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], delimiter: str = ",",
                   bom: bool = False) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
