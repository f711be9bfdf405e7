"""A page per city (``site/<lang>/cities/<city>.html``): its levels per year, its values per
standard (indicators × years), its inputs as one compact table (variables × years, each figure
with its marks), each of its files and sources once, and its validation findings. Its size grows
with the indicators and years a city reports, never with repeated details of its inputs.

Cities are read from the store in batches (one query per table) and rendered by forked worker
processes while this process reads the next batch, as the dossier does."""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import duckdb

from pipeline.validate.base import finding_text
from pipeline.site import Site, dec_attr
from pipeline.site.data import city_batch
from pipeline.site.pages.indicators import page_path as indicator_page

BATCH = 50
FINDINGS_SHOWN = 200
"""Findings listed on a city's page; the count says how many there are, the dossier and the
validation report list them all."""
MARKS = {"estimated": "e", "provisional": "p", "revised": "r", "break": "b", "confidential": "c"}
"""The letter after an input figure for its status (the legend of the table names them)."""

_site: Site | None = None


def _cells(rows: list[tuple], years: list[int]) -> dict:
    return {y: None for y in years} | {r[0]: r for r in rows}


def _values(site: Site, editions: list[str], results: list[tuple], years: list[int]) -> list[dict]:
    """Per standard: its indicators (catalogue order) with a cell per year."""
    by_uid: dict[str, dict[int, tuple]] = {}
    for uid, year, *rest in results:
        by_uid.setdefault(uid, {})[year] = tuple(rest)
    out = []
    for ed in editions:
        rows = [(ind, by_uid[ind.uid]) for ind in site.catalogue.of_edition(ed) if ind.uid in by_uid]
        out.append({"edition": site.catalogue.editions[ed], "rows": [
            {"ind": ind, "href": "../" + indicator_page(ind.edition, ind.id), "cells": [cells.get(y) for y in years]}
            for ind, cells in rows]})
    return out


def _inputs(site: Site, inputs: list[tuple], files: dict[str, int], years: list[int]) -> list[dict]:
    """One row per variable: a cell per year (value, text, mark, status), its sources and files."""
    rows: dict[str, dict] = {}
    for variable, year, value, text, status, source, file_id, _row, unit in inputs:
        r = rows.setdefault(variable, {"variable": variable, "name": site.catalogue.input_name(variable), "unit": unit,
                                       "cells": {}, "sources": set(), "files": set()})
        r["cells"][year] = (value, text, MARKS.get(status or ""), status)
        if source:
            r["sources"].add(source)
        r["files"].add(files[file_id])
    return [{**r, "cells": [r["cells"].get(y) for y in years], "sources": sorted(r["sources"]), "files": sorted(r["files"])}
            for r in rows.values()]


def _render(batch: dict[str, dict[str, list[tuple]]]) -> list[Path]:
    site = _site
    assert site is not None
    written = []
    for code, got in batch.items():
        (city,) = got["city"]
        name_en, name_pl, country, editions, currency, _folder, city_file = city
        years = sorted({r[1] for r in got["results"]} | {r[1] for r in got["inputs"]})
        files = {f[0]: n for n, f in enumerate(got["files"], start=1)}
        values = _values(site, list(editions), got["results"], years)
        inputs = _inputs(site, got["inputs"], files, years)
        cert: dict[str, list[tuple]] = {}
        for edition, year, level, *counts in got["certification"]:
            cert.setdefault(edition, []).append((year, level, *counts))
        open_findings = [f for f in got["findings"] if not f[1]]
        for lang in site.langs:
            dossiers = [(site.catalogue.editions[ed], f"dossier-{code}{'' if n == 0 else '-' + ed}-{lang}.html")
                        for n, ed in enumerate(editions)]
            findings = [(f[0], f[1], f[2], f[3], f[4], finding_text(f[6], f[7], lang, f[5])) for f in got["findings"][:FINDINGS_SHOWN]]
            written.append(site.page("city.html.j2", lang, f"cities/{code}.html", code=code,
                                     name=name_pl if lang == "pl" else name_en, country=country, currency=currency,
                                     editions=[site.catalogue.editions[e] for e in editions], years=years, values=values,
                                     inputs=inputs, files=got["files"], sources=got["sources"], cert=cert,
                                     dossiers=[(ed, href) for ed, href in dossiers if href in site.dossiers],
                                     findings=findings, findings_total=len(got["findings"]), open_findings=len(open_findings),
                                     marks=MARKS, dec_attr=dec_attr, city_file=city_file))
    return written


def _start(site: Site) -> None:
    global _site
    _site = site


def _batches(con: duckdb.DuckDBPyConnection, codes: list[str]) -> Iterator[tuple[int, dict]]:
    for i in range(0, len(codes), BATCH):
        part = codes[i:i + BATCH]
        yield len(part), city_batch(con, part)


def write(site: Site, con: duckdb.DuckDBPyConnection) -> list[Path]:
    codes = [c for (c,) in con.execute("SELECT city_code FROM cities ORDER BY city_code").fetchall()]
    workers = min(os.cpu_count() or 1, -(-len(codes) // BATCH))
    written: list[Path] = []
    done = 0
    if workers <= 1 or sys.platform != "linux":  # workers are forked; elsewhere one process renders
        _start(site)
        for size, batch in _batches(con, codes):
            written += _render(batch)
            done += size
            site.counted("cities", done, len(codes))
        return written
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_start,
                             initargs=(site,)) as pool:
        pending: deque[tuple[Future, int]] = deque()

        def collect() -> None:
            nonlocal done, written
            future, size = pending.popleft()
            written += future.result()
            done += size
            site.counted("cities", done, len(codes))

        for size, batch in _batches(con, codes):  # at most two batches per worker in flight
            pending.append((pool.submit(_render, batch), size))
            if len(pending) >= 2 * workers:
                collect()
        while pending:
            collect()
    return written
