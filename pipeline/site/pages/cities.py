"""A page per city (``site/<lang>/cities/<city>.html``): its levels per year, its values per
standard (indicators × years), its inputs as one compact table (variables × years, each figure
with its marks), each of its files and sources once, and its validation findings. Its size grows
with the indicators and years a city reports, never with repeated details of its inputs.

The cities come from one ordered scan per query (:func:`pipeline.site.data.cities`); batches of
them are rendered by forked worker processes while this process reads the next. The cells of the
two big tables come written by DuckDB (:mod:`pipeline.site.cells`), in every language at once; a
template loop per cell would cost most of the site's time at national scale."""

from __future__ import annotations

from pathlib import Path

import duckdb
from markupsafe import Markup, escape

from pipeline.dossier import html_name, i18n
from pipeline.parallel import in_workers
from pipeline.site import Site
from pipeline.site.cells import MARKS
from pipeline.site.data import cities
from pipeline.site.pages.indicators import page_path as indicator_page
from pipeline.validate.base import finding_text

BATCH = 50
FINDINGS_SHOWN = 200
"""Findings listed on a city's page; the count says how many there are, the dossier and the
validation report list them all."""


class Heads:
    """The start of each row in one language (the indicator or variable, with its name and unit),
    written once per release rather than once per city."""

    def __init__(self, site: Site, lang: str):
        self.site, self.lang = site, lang
        self.indicators: dict[str, str] = {}
        self.inputs: dict[tuple[str, str], str] = {}

    def indicator(self, ind) -> str:
        if ind.uid not in self.indicators:
            self.indicators[ind.uid] = (
                f'<tr><td><a href="../{indicator_page(ind.edition, ind.id)}">{escape(ind.id)}</a> '
                f'{escape(i18n.name(ind.name, self.lang))}</td><td class="small">{escape(i18n.name(ind.unit, self.lang))}</td>')
        return self.indicators[ind.uid]

    def input(self, variable: str, unit: str) -> str:
        key = (variable, unit)
        if key not in self.inputs:
            name = i18n.name(self.site.catalogue.input_name(variable), self.lang)
            self.inputs[key] = (f'<tr><td><code>{escape(variable)}</code> <span class="small">{escape(name)}</span></td>'
                                f'<td class="small">{escape(i18n.unit(unit, self.lang))}</td>')
        return self.inputs[key]


def _value_rows(site: Site, edition: str, cells: dict[str, tuple], n: int, heads: Heads) -> Markup:
    """The rows of a standard's values: an indicator each, in the catalogue's order."""
    return Markup("\n".join(heads.indicator(ind) + cells[ind.uid][n] + "</tr>"
                             for ind in site.catalogue.of_edition(edition) if ind.uid in cells))


def _input_rows(inputs: list[tuple], n: int, heads: Heads) -> Markup:
    """The rows of the inputs: a variable each, a cell per year, its sources and files."""
    return Markup("\n".join(heads.input(variable, unit) + cells[n] + tail for variable, unit, tail, *cells in inputs))


def _render(site: Site, batch: list[tuple[str, dict[str, list[tuple]]]]) -> list[Path]:
    heads = {lang: Heads(site, lang) for lang in site.langs}
    written = []
    for code, got in batch:
        (city,) = got["city"]
        name_en, name_pl, country, editions, currency, _folder, _file = city
        years = [y for (y,) in got["years"]]
        values: dict[str, dict[str, tuple]] = {}
        for edition, uid, *cells in got["values"]:
            values.setdefault(edition, {})[uid] = tuple(cells)
        cert: dict[str, list[tuple]] = {}
        for edition, year, level, *counts in got["certification"]:
            cert.setdefault(edition, []).append((year, level, *counts))
        open_findings = sum(1 for f in got["findings"] if not f[1])
        for n, lang in enumerate(site.langs):
            dossiers = [(site.catalogue.editions[ed], html_name(code, lang, ed if k else None)) for k, ed in enumerate(editions)]
            findings = [(f[0], f[1], f[2], f[3], f[4], finding_text(f[6], f[7], lang, f[5])) for f in got["findings"][:FINDINGS_SHOWN]]
            parts = [{"edition": site.catalogue.editions[ed], "rows": _value_rows(site, ed, values.get(ed, {}), n, heads[lang])}
                     for ed in editions]
            written.append(site.page("city.html.j2", lang, f"cities/{code}.html", code=code,
                                     name=name_pl if lang == "pl" else name_en, country=country, currency=currency,
                                     editions=[site.catalogue.editions[e] for e in editions], years=years, values=parts,
                                     inputs=_input_rows(got["inputs"], n, heads[lang]), files=got["files"],
                                     sources=got["sources"], cert=cert,
                                     dossiers=[(ed, href) for ed, href in dossiers if href in site.dossiers],
                                     findings=findings, findings_total=len(got["findings"]), open_findings=open_findings,
                                     marks=MARKS))
    return written


def write(site: Site, con: duckdb.DuckDBPyConnection) -> list[Path]:
    total = con.execute("SELECT count(*) FROM cities").fetchone()[0]
    return in_workers(((len(b), b) for b in cities(con, site.langs, BATCH)), _render, site, total=total, batch_size=BATCH,
                      counted=lambda done, n: site.counted("cities", done, n))
