"""What changed since the previous release (``site/<lang>/changes.html``), and the same as JSON
(``site/data/changes.json``, the schema of ``iso37120 diff --format json``)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from markupsafe import Markup

from pipeline.site import Site

CHANGES_JSON = "data/changes.json"
ROWS_SHOWN = 1000
"""Rows of each table shown on the page; the JSON has them all."""


def write(site: Site, con: duckdb.DuckDBPyConnection) -> list[Path]:
    written = []
    d = site.changes
    if d is not None:
        target = site.out / CHANGES_JSON
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(d.model_dump_json(indent=2) + "\n", encoding="utf-8")
        written.append(target)
    names = {c.code: c.name for c in site.comparison.cities}
    for lang in site.langs:
        written.append(site.page("changes.html.j2", lang, "changes.html", d=d, shown=ROWS_SHOWN, names=names,
                                 catalogue=site.catalogue, json_href="../" + CHANGES_JSON,
                                 code=Markup("<code>iso37120 diff OLD NEW</code>")))
    return written
