"""A page per city (``site/<lang>/cities/<city>.html``): its levels per year, its values per
standard (indicators × years), its inputs as one compact table (variables × years, each figure
with its marks), each of its files and sources once, and its validation findings. Its size grows
with the indicators and years a city reports, never with repeated details of its inputs.

The cities come from one ordered scan per table (:func:`pipeline.site.data.cities`); batches of
them are rendered by forked worker processes while this process reads the next. The two big
tables are written as rows of text here (a template loop per cell would cost most of the site's
time at national scale); every text from the data is escaped."""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import duckdb
from markupsafe import Markup, escape

from pipeline.dossier import i18n
from pipeline.site import Site
from pipeline.site.data import cities, fixed, local
from pipeline.site.pages.indicators import page_path as indicator_page
from pipeline.validate.base import finding_text

BATCH = 50
FINDINGS_SHOWN = 200
"""Findings listed on a city's page; the count says how many there are, the dossier and the
validation report list them all."""
MARKS = {"estimated": "e", "provisional": "p", "revised": "r", "break": "b", "confidential": "c"}
"""The letter after a figure for its status or flag (the legend of each table names them)."""

_site: Site | None = None


class Words:
    """The words of one language that the rows need, looked up once."""

    def __init__(self, site: Site, lang: str):
        self.lang = lang
        self.status = i18n.enums(lang)["status"]
        self.flag = i18n.enums(lang)["flag"]
        self.units: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.site = site

    def unit(self, u: str) -> str:
        if u not in self.units:
            self.units[u] = str(escape(i18n.unit(u, self.lang)))
        return self.units[u]

    def input_name(self, variable: str) -> str:
        if variable not in self.names:
            self.names[variable] = str(escape(i18n.name(self.site.catalogue.input_name(variable), self.lang)))
        return self.names[variable]


def _mark(status: str | None, w: Words) -> str:
    m = MARKS.get(status or "")
    return f'<sup class="mark" title="{escape(w.flag[status])}">{m}</sup>' if m else ""


def _value_rows(site: Site, edition: str, results: dict[str, dict[int, tuple]], years: list[int], w: Words) -> Markup:
    """The rows of a standard's values: an indicator each (catalogue order), a cell per year."""
    out = []
    for ind in site.catalogue.of_edition(edition):
        cells = results.get(ind.uid)
        if cells is None:
            continue
        row = [f'<tr><td><a href="../{indicator_page(ind.edition, ind.id)}">{escape(ind.id)}</a> {escape(i18n.name(ind.name, w.lang))}</td>'
               f'<td class="small">{escape(i18n.name(ind.unit, w.lang))}</td>']
        for y in years:
            c = cells.get(y)
            if c is None:
                row.append('<td class="num muted">·</td>')
                continue
            value, text, decimals, status, flags = c
            if text is not None:
                row.append(f"<td>{escape(text)}</td>")
            elif value is not None:
                shown = fixed(value, decimals)
                row.append(f'<td class="num" data-value="{shown}">{local(shown, w.lang)}{"".join(_mark(f, w) for f in flags)}</td>')
            else:
                row.append(f'<td class="num muted" title="{escape(w.status[status])}">—</td>')
        row.append("</tr>")
        out.append("".join(row))
    return Markup("\n".join(out))


def _input_rows(inputs: list[tuple], files: dict[str, int], years: list[int], w: Words) -> Markup:
    """The rows of the inputs: a variable each, a cell per year, its sources and files."""
    by_var: dict[str, list[tuple]] = {}
    for r in inputs:
        by_var.setdefault(r[0], []).append(r)
    out = []
    for variable, rows in by_var.items():
        cells = {r[1]: r for r in rows}
        row = [f'<tr><td><code>{escape(variable)}</code> <span class="small">{w.input_name(variable)}</span></td>'
               f'<td class="small">{w.unit(rows[0][7])}</td>']
        for y in years:
            c = cells.get(y)
            if c is None:
                row.append('<td class="num muted">·</td>')
            elif c[3] is not None:
                row.append(f'<td class="small">{escape(c[3])}</td>')
            elif c[2] is not None:
                row.append(f'<td class="num">{local(c[2], w.lang)}{_mark(c[4], w)}</td>')
            else:
                row.append(f'<td class="num muted" title="{escape(w.status[c[4]])}">—</td>')
        sources = sorted({r[5] for r in rows if r[5]})
        numbers = sorted({files[r[6]] for r in rows})
        row.append(f'<td class="small">{escape(", ".join(sources))}</td><td class="small">'
                   + "".join(f'<a href="#file-{n}">[{n}]</a>' for n in numbers) + "</td></tr>")
        out.append("".join(row))
    return Markup("\n".join(out))


def _render(batch: list[tuple[str, dict[str, list[tuple]]]]) -> list[Path]:
    site = _site
    assert site is not None
    words = {lang: Words(site, lang) for lang in site.langs}
    written = []
    for code, got in batch:
        (city,) = got["city"]
        name_en, name_pl, country, editions, currency, _folder, city_file = city
        years = sorted({r[1] for r in got["results"]} | {r[1] for r in got["inputs"]})
        files = {f[0]: n for n, f in enumerate(got["files"], start=1)}
        results: dict[str, dict[int, tuple]] = {}
        for uid, year, *rest in got["results"]:
            results.setdefault(uid, {})[year] = tuple(rest)
        cert: dict[str, list[tuple]] = {}
        for edition, year, level, *counts in got["certification"]:
            cert.setdefault(edition, []).append((year, level, *counts))
        open_findings = sum(1 for f in got["findings"] if not f[1])
        for lang in site.langs:
            w = words[lang]
            dossiers = [(site.catalogue.editions[ed], f"dossier-{code}{'' if n == 0 else '-' + ed}-{lang}.html")
                        for n, ed in enumerate(editions)]
            findings = [(f[0], f[1], f[2], f[3], f[4], finding_text(f[6], f[7], lang, f[5])) for f in got["findings"][:FINDINGS_SHOWN]]
            values = [{"edition": site.catalogue.editions[ed], "rows": _value_rows(site, ed, results, years, w)} for ed in editions]
            written.append(site.page("city.html.j2", lang, f"cities/{code}.html", code=code,
                                     name=name_pl if lang == "pl" else name_en, country=country, currency=currency,
                                     editions=[site.catalogue.editions[e] for e in editions], years=years, values=values,
                                     inputs=_input_rows(got["inputs"], files, years, w), files=got["files"],
                                     sources=got["sources"], cert=cert,
                                     dossiers=[(ed, href) for ed, href in dossiers if href in site.dossiers],
                                     findings=findings, findings_total=len(got["findings"]), open_findings=open_findings,
                                     marks=MARKS, city_file=city_file))
    return written


def _start(site: Site) -> None:
    global _site
    _site = site


def _batches(con: duckdb.DuckDBPyConnection) -> Iterator[list[tuple[str, dict[str, list[tuple]]]]]:
    batch = []
    for city in cities(con):
        batch.append(city)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def write(site: Site, con: duckdb.DuckDBPyConnection) -> list[Path]:
    total = con.execute("SELECT count(*) FROM cities").fetchone()[0]
    workers = min(os.cpu_count() or 1, -(-total // BATCH))
    written: list[Path] = []
    done = 0
    if workers <= 1 or sys.platform != "linux":  # workers are forked; elsewhere one process renders
        _start(site)
        for batch in _batches(con):
            written += _render(batch)
            done += len(batch)
            site.counted("cities", done, total)
        return written
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_start,
                             initargs=(site,)) as pool:
        pending: deque[tuple[Future, int]] = deque()

        def collect() -> None:
            nonlocal done, written
            future, size = pending.popleft()
            written += future.result()
            done += size
            site.counted("cities", done, total)

        for batch in _batches(con):  # at most two batches per worker in flight
            pending.append((pool.submit(_render, batch), len(batch)))
            if len(pending) >= 2 * workers:
                collect()
        while pending:
            collect()
    return written
