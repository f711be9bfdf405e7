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
from typing import BinaryIO

import duckdb

from pipeline.publish.fields import JSONSTAT_DIMENSIONS
from pipeline.publish.metadata import Meta
from pipeline.publish.tidy import BATCH_ROWS, Table

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
_ENCODE = json.encoder.encode_basestring  # type: ignore[attr-defined]  # what json.dumps(ensure_ascii=False) uses


def write(con: duckdb.DuckDBPyConnection, meta: Meta, table: Table, sink: BinaryIO) -> tuple[int, str]:
    """:func:`dataset` of the table, as ``json.dumps(..., indent=2, ensure_ascii=False, sort_keys=True)`` plus a
    newline writes it, into ``sink``; the value, status, reason and flags arrays are streamed from the store.
    Returns the size and SHA-256."""
    t = f"({table.sql})"
    cities = [c for (c,) in con.execute(f"SELECT DISTINCT city_code FROM {t} ORDER BY city_code").fetchall()]
    uids = [u for (u,) in con.execute(f"SELECT indicator_uid FROM {t} GROUP BY indicator_uid "
                                      "ORDER BY min(_position), indicator_uid").fetchall()]
    years = [y for (y,) in con.execute(f"SELECT DISTINCT year FROM {t} ORDER BY year").fetchall()]
    first = {u: (i, n, unit, d) for u, i, n, unit, d in con.execute(
        f"SELECT indicator_uid, arg_min(indicator_id, (city_code, year)), arg_min(name_en, (city_code, year)), "
        f"arg_min(unit, (city_code, year)), arg_min(decimals, (city_code, year)) FROM {t} GROUP BY indicator_uid").fetchall()}
    doc = _document(meta, cities, uids, years, first, *(_SENTINEL.format(k) for k in ("value", "status", "reason", "flags")))
    text = json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    parts = re.split(r'"\\u0000jsonstat-stream-(\w+)\\u0000"', text)

    size = len(cities) * len(uids) * len(years)
    cube = f"""
        WITH t AS {t},
             ci AS (SELECT city_code, row_number() OVER (ORDER BY city_code) - 1 AS i FROM (SELECT DISTINCT city_code FROM t)),
             ui AS (SELECT indicator_uid, row_number() OVER (ORDER BY p, indicator_uid) - 1 AS i
                    FROM (SELECT indicator_uid, min(_position) AS p FROM t GROUP BY indicator_uid)),
             yi AS (SELECT year, row_number() OVER (ORDER BY year) - 1 AS i FROM (SELECT DISTINCT year FROM t))
        SELECT (ci.i * {len(uids)} + ui.i) * {len(years)} + yi.i AS n, t.*
        FROM t JOIN ci USING (city_code) JOIN ui USING (indicator_uid) JOIN yi USING (year)"""
    digest = hashlib.sha256()
    total = 0

    def put(s: str) -> None:
        nonlocal total
        data = s.encode("utf-8")
        sink.write(data)
        digest.update(data)
        total += len(data)

    def items(query: str, render, indent: str, opening: str, closing: str) -> None:
        """A JSON array or object whose items come from ``query``'s batches, laid out as json.dumps(indent=2) does."""
        started = False
        for batch in con.sql(query).to_arrow_reader(BATCH_ROWS):
            lines = render(batch)
            if not lines:
                continue
            put(("," if started else opening) + "\n" + indent + (",\n" + indent).join(lines))
            started = True
        put("\n" + indent[:-2] + closing if started else opening + closing)

    def values(batch) -> list[str]:
        nums, texts = batch.column(0).to_pylist(), batch.column(1).to_pylist()
        return [_repr(v) if v is not None else _ENCODE(s) if s is not None else "null" for v, s in zip(nums, texts)]

    def statuses(batch) -> list[str]:
        return [_ENCODE(s) for s in batch.column(0).to_pylist()]

    def keyed(batch) -> list[str]:
        return [f'"{k}": {_ENCODE(v)}' for k, v in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist())]

    dense = f"""
        WITH c AS ({cube}), g AS (SELECT range AS n FROM range({size}))
        SELECT {{}} FROM g LEFT JOIN c USING (n) ORDER BY n"""
    for n, part in enumerate(parts):
        if n % 2 == 0:
            put(part)
        elif part == "value":
            items(dense.format("CAST(CAST(c.value AS VARCHAR) AS DOUBLE), CASE WHEN c.value IS NULL THEN c.value_text END"),
                  values, "    ", "[", "]")
        elif part == "status":
            items(dense.format("coalesce(c.status, 'no_data')"), statuses, "    ", "[", "]")
        else:
            items(f"WITH c AS ({cube}) SELECT CAST(n AS VARCHAR) AS k, {part} FROM c WHERE {part} <> '' ORDER BY k",
                  keyed, "      ", "{", "}")
    return total, digest.hexdigest()
