"""The index of the release (``site/<lang>/index.html``), the page of languages
(``site/index.html``) and the index's table of cities as CSV (``site/data/cities.csv``)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

from pipeline import i18n as i18n_core
from pipeline.dossier import i18n
from pipeline.i18n import N_
from pipeline.dossier.comparison import level_table
from pipeline.site import Site

CITIES_CSV = "data/cities.csv"
CSV_COLUMNS = ("city_code", "city_name", "standard", "year", "level", "core_reported", "core_defined",
               "total_reported", "total_defined", "open_errors", "open_warnings")


def _size(n: int, lang: str) -> str:
    for unit, scale in (("MB", 2**20), ("kB", 2**10)):
        if n >= scale:
            return f"{i18n.number(round(n / scale, 1), lang)} {unit}"
    return f"{i18n.number(n, lang)} B"


def _cities_csv(site: Site) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for c in site.comparison.cities:
        w.writerow([c.code, c.name.en, c.edition, site.latest, c.level or "", c.core_reported, c.core_defined,
                    c.total_reported, c.total_defined, c.open_errors, c.open_warnings])
    return buf.getvalue()


def write(site: Site, con: duckdb.DuckDBPyConnection) -> list[Path]:
    d = site.comparison
    cat = site.catalogue
    reported = con.execute("SELECT count(*) FROM results WHERE status = 'reported'").fetchone()[0]
    levels = level_table(d)
    editions = []
    for ed_id in sorted({c.edition for c in d.cities}):
        ed = cat.editions[ed_id]
        editions.append({"id": ed_id, "title": ed.title, "levels": [r for r in levels if r["edition"] == ed_id] if ed.certification_levels else [],
                         "indicators": [s for s in d.indicators if s.edition == ed_id]})
    # the order a level sorts in the city table: below the lowest first, then from the lowest up; None without levels
    rank: dict[tuple[str, str | None], int | None] = {}
    for ed_id in {c.edition for c in d.cities}:
        lv = cat.editions[ed_id].certification_levels
        rank[(ed_id, None)] = 0 if lv else None
        rank.update({(ed_id, level.id): n + 1 for n, level in enumerate(lv)})
    written = []
    target = site.out / CITIES_CSV
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_cities_csv(site), encoding="utf-8")
    written.append(target)
    for lang in site.langs:
        downloads = [(f"../../{path}", path, _size(size, lang)) for path, size in site.bundle]
        downloads += [(f"../{CITIES_CSV}", f"site/{CITIES_CSV}", _size(target.stat().st_size, lang))]
        written.append(site.page("index.html.j2", lang, "index.html", editions=editions, level_rank=rank,
                                 cities_count=len({c.code for c in d.cities}), values_reported=reported,
                                 downloads=downloads))
    entries = [(lang, i18n_core.gettext(lang)(N_("City indicators of the release")),
                i18n_core.gettext(lang)(N_("Enter the site in this language"))) for lang in site.langs]
    page = site.out / "index.html"
    page.write_text(site.env(site.langs[0]).get_template("languages.html.j2").render(
        entries=entries, titles=[e[1] for e in entries]), encoding="utf-8")
    return [*written, page]
