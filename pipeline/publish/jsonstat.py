"""``indicators.jsonstat.json``: the indicator values as one JSON-stat 2.0 dataset.

Dimensions city × indicator × year (roles geo, metric, time), labelled by the titles of the
columns they correspond to (:data:`pipeline.publish.fields.JSONSTAT_DIMENSIONS`). Values are in
row-major order; text values (profile facts) are strings and missing values ``null``. ``status``
gives each value's status (reported, not_available, not_applicable; ``no_data`` where the cube
has no row); ``extension`` holds the reasons and flags by value index.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from typing import BinaryIO

import duckdb
import numpy as np
import pyarrow as pa

from pipeline.publish.fields import JSONSTAT_DIMENSIONS
from pipeline.publish.metadata import Meta
from pipeline.publish.tidy import BATCH_ROWS, Table, column_types, decimal_text

FILENAME = "indicators.jsonstat.json"
_repr = float.__repr__


def _document(meta: Meta, cities: list[str], uids: list[str], years: list[int],
              heads: dict[str, tuple], value, status, reasons, flags) -> dict:
    """The dataset around its four per-value parts (arrays, or placeholders for streaming);
    ``heads`` gives each indicator's (id, English name, unit, decimals)."""
    names = {c.code: c.name.en for c in meta.cities}
    city, indicator, year = (JSONSTAT_DIMENSIONS[k] for k in ("city", "indicator", "year"))
    return {
        "version": "2.0",
        "class": "dataset",
        "href": meta.url(FILENAME),
        "label": meta.title.en,
        "note": [meta.description.en],
        "source": meta.publisher.name,
        "updated": meta.release_date.isoformat(),
        "id": ["city", "indicator", "year"],
        "size": [len(cities), len(uids), len(years)],
        "role": {"geo": ["city"], "metric": ["indicator"], "time": ["year"]},
        "dimension": {
            "city": {"label": city.title, "category": {"index": cities, "label": {c: names.get(c, c) for c in cities}}},
            "indicator": {"label": indicator.title, "category": {
                "index": uids,
                "label": {u: f"{heads[u][0]} {heads[u][1]}" for u in uids},
                "unit": {u: {"label": heads[u][2], "decimals": heads[u][3]} for u in uids},
            }},
            "year": {"label": year.title, "category": {"index": [str(y) for y in years]}},
        },
        "value": value,
        "status": status,
        "extension": {"dataset_id": meta.dataset_id, "license": meta.config.licence.uri, "version": meta.version,
                      "reason": reasons, "flags": flags},
    }


# --- streamed from the store --------------------------------------------------------------------

_SENTINEL = "\x00jsonstat-stream-{}\x00"
_CITIES, _UIDS, _YEARS = "_jsonstat_cities", "_jsonstat_uids", "_jsonstat_years"
"""The position of each city, indicator and year in the cube (views while :func:`write` runs)."""
_ENCODE = json.encoder.encode_basestring  # type: ignore[attr-defined]  # what json.dumps(ensure_ascii=False) uses


def write(con: duckdb.DuckDBPyConnection, meta: Meta, table: Table, sink: BinaryIO) -> tuple[int, str]:
    """:func:`dataset` of the table, as ``json.dumps(..., indent=2, ensure_ascii=False, sort_keys=True)`` plus a
    newline writes it, into ``sink``; the value, status, reason and flags arrays are streamed from the store.
    Returns the size and SHA-256."""
    t = f"({table.sql})"
    cities, years = con.execute(f"SELECT list(DISTINCT city_code ORDER BY city_code), list(DISTINCT year ORDER BY year) "
                                f"FROM {t}").fetchall()[0]
    cities, years = cities or [], years or []
    heads = con.execute(
        f"SELECT indicator_uid, min(_position), arg_min(indicator_id, (city_code, year)), arg_min(name_en, (city_code, year)), "
        f"arg_min(unit, (city_code, year)), arg_min(decimals, (city_code, year)) FROM {t} GROUP BY indicator_uid").fetchall()
    uids = [u for u, *_ in sorted(heads, key=lambda h: (h[1], h[0]))]  # as ORDER BY min(_position), indicator_uid
    first = {u: tuple(rest) for u, _, *rest in heads}
    doc = _document(meta, cities, uids, years, first, *(_SENTINEL.format(k) for k in ("value", "status", "reason", "flags")))
    text = json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    parts = re.split(r'"\\u0000jsonstat-stream-(\w+)\\u0000"', text)

    size = len(cities) * len(uids) * len(years)
    index = {name: pa.table({key: pa.array(values, type), "i": pa.array(range(len(values)), pa.int64())})
             for name, key, values, type in ((_CITIES, "city_code", cities, pa.string()), (_UIDS, "indicator_uid", uids, pa.string()),
                                             (_YEARS, "year", years, pa.int64()))}
    cube = f"""
        SELECT (ci.i * {len(uids)} + ui.i) * {len(years)} + yi.i AS n, t.*
        FROM {t} AS t JOIN {_CITIES} ci USING (city_code) JOIN {_UIDS} ui USING (indicator_uid) JOIN {_YEARS} yi USING (year)"""
    # n follows the city first: the cells of the cube in order are those of the table's pieces of cities in turn
    ordered = replace(table, sql=cube, order="city_code, n", pieces=table.pieces)
    digest = hashlib.sha256()
    total = 0

    def put(s: str) -> None:
        nonlocal total
        data = s.encode("utf-8")
        sink.write(data)
        digest.update(data)
        total += len(data)

    def items(batches, indent: str, opening: str, closing: str) -> None:
        """A JSON array or object of the items of ``batches`` (lists of texts), laid out as json.dumps(indent=2) does."""
        started = False
        for lines in batches:
            if not lines:
                continue
            put(("," if started else opening) + "\n" + indent + (",\n" + indent).join(lines))
            started = True
        put("\n" + indent[:-2] + closing if started else opening + closing)

    def dense(columns: str, render, missing: str):
        """The texts of every cell of the cube in order: the rows' (``render`` of a batch of n and ``columns``), and
        ``missing`` where the cube has no row."""
        expected = 0
        for batch in ordered.batches(con, f"n, {columns}"):
            ns, lines = batch.column(0).to_pylist(), render(batch)
            if ns and (ns[0] != expected or ns[-1] != expected + len(ns) - 1):  # gaps: the rows are distinct and in order
                filled = []
                for n, line in zip(ns, lines):
                    filled.extend([missing] * (n - expected))
                    filled.append(line)
                    expected = n + 1
                lines = filled
            expected = ns[-1] + 1 if ns else expected
            yield lines
        for start in range(expected, size, BATCH_ROWS):
            yield [missing] * (min(size, start + BATCH_ROWS) - start)

    def values(batch) -> list[str]:
        nums, texts = batch.column(1).to_pylist(), batch.column(2).to_pylist()
        return [_repr(v) if v is not None else _ENCODE(s) if s is not None else "null" for v, s in zip(nums, texts)]

    def statuses(batch) -> list[str]:  # a few words, each encoded once
        words = batch.column(1).dictionary_encode()
        encoded = np.array([_ENCODE(s) for s in words.dictionary.to_pylist()] or [""], dtype=object)
        return encoded[words.indices.to_numpy()].tolist()

    def keyed(part: str):
        for batch in con.sql(f"SELECT CAST(n AS VARCHAR) AS k, {part} FROM ({cube}) WHERE {part} <> '' "
                             "ORDER BY k").to_arrow_reader(BATCH_ROWS):
            yield [f'"{k}": {_ENCODE(v)}' for k, v in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist())]

    for name, data in index.items():
        con.register(name, data)
    try:
        for n, part in enumerate(parts):
            if n % 2 == 0:
                put(part)
            elif part == "value":
                number = decimal_text("value", column_types(con, table.sql)["value"])
                items(dense(f"CAST({number} AS DOUBLE), CASE WHEN value IS NULL THEN value_text END",
                            values, "null"), "    ", "[", "]")
            elif part == "status":
                items(dense("status", statuses, _ENCODE("no_data")), "    ", "[", "]")
            else:
                items(keyed(part), "      ", "{", "}")
    finally:
        for name in index:
            con.unregister(name)
    return total, digest.hexdigest()
