"""``indicators.jsonstat.json``: the indicator values as one JSON-stat 2.0 dataset.

Dimensions city × indicator × year (roles geo, metric, time), labelled by the titles of the
columns they correspond to (:data:`pipeline.publish.fields.JSONSTAT_DIMENSIONS`). Values are in
row-major order; text values (profile facts) are strings and missing values ``null``. ``status``
gives each value's status (reported, not_available, not_applicable; ``no_data`` where the cube
has no row); ``extension`` holds the reasons and flags by value index.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import product

from pipeline.publish.fields import JSONSTAT_DIMENSIONS
from pipeline.publish.metadata import Meta
from pipeline.publish.tidy import Row

FILENAME = "indicators.jsonstat.json"


def dataset(meta: Meta, rows: list[Row], indicator_order: list[str]) -> dict:
    """The JSON-stat dataset of the rows of ``indicators.csv`` (uids ordered as ``indicator_order``)."""
    names = {c.code: c.name.en for c in meta.cities}
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
                "label": {u: f"{first[u]['indicator_id']} {first[u]['name_en']}" for u in uids},
                "unit": {u: {"label": first[u]["unit"], "decimals": first[u]["decimals"]} for u in uids},
            }},
            "year": {"label": year.title, "category": {"index": [str(y) for y in years]}},
        },
        "value": value,
        "status": status,
        "extension": {"dataset_id": meta.dataset_id, "license": meta.config.licence.uri, "version": meta.version,
                      "reason": reasons, "flags": flags},
    }
