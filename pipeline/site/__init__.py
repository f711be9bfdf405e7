"""The release as a static site (``site/`` in the release): an index of the release, a page per
city, a page per indicator across the cities and a page of what changed since the previous
release, in every language of the build. It opens from disk and from any web server: every link
is relative, the style sheet and the small script (sorting and filtering tables) are files of the
site, the charts are inline SVG, and nothing is fetched from a network.

    site/index.html                               the languages
    site/<lang>/index.html                        the release: levels per year, cities, indicators, downloads
    site/<lang>/cities/<city>.html                one city: levels, values, inputs, files, sources, findings
    site/<lang>/indicators/<edition>/<id>.html    one indicator across cities: charts and the table
    site/<lang>/changes.html                      what changed since the previous release
    site/data/indicators/<edition>/<id>.csv       the table of an indicator's page
    site/data/cities.csv, site/data/changes.json  the index's table of cities, and the changes

Pages are written by the page writers of :mod:`pipeline.site.pages` (one module each, one call
shape: ``write(site, con) -> list[Path]``). The certification dossier of a city stays its own
self-contained document; a city's page links to it when the release has it. The same store gives
the same bytes.
"""

from __future__ import annotations

import functools
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined

from pipeline import i18n as i18n_core
from pipeline.catalogue import Catalogue
from pipeline.catalogue.cache import template_cache
from pipeline.diff import ReleaseDiff
from pipeline.dossier import DOSSIER_DIR, i18n
from pipeline.dossier.comparison import Comparison, collect_comparison
from pipeline.publish import BUNDLE_DIR
from pipeline.site.data import local
from pipeline.store.models import Manifest

SITE_DIR = "site"
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
"""A value given as text that is a plain number (``iso37120 diff`` writes values so)."""
ASSETS = ("site.css", "site.js")


@dataclass
class Site:
    """What every page writer is given: the release's facts and where to write."""

    out: Path
    catalogue: Catalogue
    langs: list[str]
    manifest: Manifest | None
    comparison: Comparison
    bundle: list[tuple[str, int]]
    """The open-data bundle's files (path under the release, bytes), for the downloads."""
    dossiers: set[str]
    """The file names of the certification dossiers the release has (``dossier/<name>``)."""
    changes: ReleaseDiff | None
    """What changed since the previous release; None when there is none to compare with."""
    counted: Callable[[str, int, int], None] = lambda *_: None
    envs: dict[str, Environment] = field(default_factory=dict)

    @property
    def latest(self) -> int | None:
        return self.comparison.latest_year

    def env(self, lang: str) -> Environment:
        if lang not in self.envs:
            env = Environment(loader=PackageLoader("pipeline.site", "templates"), autoescape=True, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                              bytecode_cache=template_cache("pipeline.site"))
            i18n_core.install(env, lang)
            words = i18n.enums(lang)  # looked up once: a page names thousands of statuses and flags
            env.globals.update(lang=lang, num=lambda v, decimals=None: i18n.number(v, lang, decimals),
                               nm=lambda text: i18n.name(text, lang), en=lambda kind, value: words[kind][value],
                               unit=lambda u: i18n.unit(u, lang), date=functools.lru_cache(maxsize=4096)(lambda d: i18n_core.format_date(d, lang)),
                               numtext=lambda text: local(text, lang) if text and NUMBER.fullmatch(text) else text,
                               manifest=self.manifest, langs=self.langs, comparison=self.comparison)
            self.envs[lang] = env
        return self.envs[lang]

    def page(self, template: str, lang: str, path: str, **context: object) -> Path:
        """Render ``template`` in ``lang`` to ``site/<lang>/<path>``; ``root`` in the template is
        the way back to ``site/`` and ``release`` to the release folder."""
        depth = path.count("/") + 1
        root = "../" * depth
        html = self.env(lang).get_template(template).render(
            root=root, release=root + "../", here=path, other_langs=[x for x in self.langs if x != lang],
            **context)
        target = self.out / lang / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        return target


def render_site(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, release: Path, langs: Iterable[str], *,
                manifest: Manifest | None = None, changes: ReleaseDiff | None = None, dossiers: Iterable[str] | None = None,
                counted: Callable[[str, int, int], None] = lambda *_: None) -> list[Path]:
    """Write the site of the release in ``release`` (which already holds its open-data bundle and
    dossiers) into ``release/site``. ``dossiers``: the file names of the dossier pages the release
    has, when they are still being written (by default the pages in its ``dossier`` folder).
    ``counted(page_kind, done, total)`` is told the progress of the long page kinds. Returns the
    files written."""
    from pipeline.site.pages import PAGES

    langs = list(dict.fromkeys(langs))
    for lang in langs:
        i18n_core.check_language(lang)
    release = Path(release)
    out = release / SITE_DIR
    if out.exists():
        shutil.rmtree(out)
    (out / "assets").mkdir(parents=True)
    written = []
    for name in ASSETS:
        target = out / "assets" / name
        target.write_text(files("pipeline.site").joinpath("assets", name).read_text(encoding="utf-8"), encoding="utf-8")
        written.append(target)
    bundle = sorted((p.relative_to(release).as_posix(), p.stat().st_size)
                    for p in (release / BUNDLE_DIR).rglob("*") if p.is_file())
    if dossiers is None:
        dossiers = [p.name for p in (release / DOSSIER_DIR).glob("*.html")] if (release / DOSSIER_DIR).is_dir() else []
    site = Site(out=out, catalogue=catalogue, langs=langs, manifest=manifest, comparison=collect_comparison(con, catalogue),
                bundle=bundle, dossiers=set(dossiers), changes=changes, counted=counted)
    for writer in PAGES:
        written += writer.write(site, con)
    return written


__all__ = ["SITE_DIR", "Site", "render_site"]
