"""The evidence dossier: everything an auditor needs to verify every value of a build, without
asking anyone — per city, one self-contained HTML file per language, the same content as JSON,
and a PDF printed by headless Chromium where it is installed; and one comparison of every city
side by side (:mod:`.comparison`).

Reads only the build's store and the catalogue. The same store gives the same HTML and JSON bytes:
queries are ordered, charts are written by hand (:mod:`.charts`), and nothing depends on the clock;
a PDF is rewritten after Chromium prints it so that it is dated with the release date and its /ID
comes from its content (:func:`print_pdf`), and printing the same page again gives the same bytes.

    render_dossier(con, catalogue, Path("reports"), ["en", "pl"], manifest=None, pdf=True)
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
from jinja2 import Environment
from markupsafe import Markup

from pipeline.catalogue import Catalogue
from pipeline.parallel import start_workers
from pipeline import i18n as i18n_core
from pipeline.dossier import charts, i18n
from pipeline.dossier.comparison import (
    COMPARISON_JSON,
    collect_comparison,
    comparison_json,
    comparison_name,
    render_comparison,
)
from pipeline.dossier.models import DOSSIER_VERSION, Dossier, IndicatorPart, YearRow
from pipeline.dossier.pages import CSS, environment
from pipeline.dossier.queries import (
    CityRows,
    Shared,
    assemble,
    city_codes,
    collect,
    fetch,
    fetch_shared,
)
from pipeline.store.models import Manifest
from pipeline.validate.base import finding_text

log = logging.getLogger(__name__)

DOSSIER_DIR = "dossier"
"""The folder of the dossiers and the comparison in a release."""

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync")
PRINT_ARGS = ("--no-pdf-header-footer", "--generate-pdf-document-outline")
"""How the dossier is printed: without Chromium's own header and footer (date, file URL) — the
dossier's style sheet draws its running header and "Page N of M" in the page margins with CSS
page-margin boxes (``@page { @top-left {…} @bottom-right {…} }``, Chromium 131 on) — and with a
bookmark outline built from the headings (h1 city, h2 parts, h3 themes, h4 indicators)."""
OUTLINE_OPEN_LEVELS = 2
"""Levels of the printed outline shown unfolded: the city and its parts; themes (and anything
deeper) are folded, so that the bookmarks open on one screen of parts and themes."""


def _stem(city_code: str, edition: str | None) -> str:
    """``dossier-<city>`` for a city's primary standard, ``dossier-<city>-<edition>`` for another
    one: the name of a city's first dossier does not change when it takes on a standard."""
    return f"dossier-{city_code}" + (f"-{edition}" if edition else "")


def html_name(city_code: str, lang: str, edition: str | None = None) -> str:
    """The page of a city's dossier; ``edition`` for a standard other than its primary one."""
    return f"{_stem(city_code, edition)}-{lang}.html"


def page_names(con: duckdb.DuckDBPyConnection, langs: Iterable[str]) -> set[str]:
    """The dossier pages of every city in the store: one per standard it reports and language."""
    return {html_name(code, lang, edition if n else None)
            for code, editions in con.execute("SELECT city_code, editions FROM cities").fetchall()
            for n, edition in enumerate(editions) for lang in langs}


def json_name(city_code: str, edition: str | None = None) -> str:
    return f"{_stem(city_code, edition)}.json"


def dossier_json(d: Dossier) -> str:
    """The dossier as compact JSON (one line; a 10-year city is some megabytes of evidence)."""
    return d.model_dump_json() + "\n"


def _coverage(d: Dossier, lang: str) -> tuple[Markup | None, list[dict]]:
    """The coverage chart of the latest year and the table of themes × years."""
    latest = d.build.latest_year
    themes: dict[str, dict] = {}
    anchors = {th.theme: th.anchor for th in d.themes}
    for c in d.coverage:
        row = themes.setdefault(c.theme, {"label": ("" if c.tier == "profile" else c.theme + " ") + i18n.name(c.theme_name, lang),
                                          "anchor": anchors.get(c.theme), "total": False, "cells": {}})
        row["cells"].setdefault(c.year, []).append((c.tier, (c.reported, c.defined)))
    totals: dict[int, dict[str, list[int]]] = {}
    for c in d.coverage:
        t = totals.setdefault(c.year, {}).setdefault(c.tier, [0, 0])
        t[0] += c.reported
        t[1] += c.defined
    table = list(themes.values())
    for row in table:
        for y in d.build.reference_years:
            row["cells"].setdefault(y, [])
    table.append({"label": i18n.label("total", lang), "anchor": None, "total": True,
                  "cells": {y: [(tier, tuple(v)) for tier, v in totals.get(y, {}).items()] for y in d.build.reference_years}})
    bars = []
    tiered = any(c.tier in ("core", "supporting") for c in d.coverage)
    for row in themes.values():
        cells = dict(row["cells"].get(latest, []))
        # a standard without tiers (ISO 37122, 37123) shows its indicators as one segment
        first, second = ("core", "supporting") if tiered else ("indicator", "")
        if first not in cells and second not in cells:
            continue  # profile data only
        core, supp = cells.get(first, (0, 0)), cells.get(second, (0, 0))
        bars.append(charts.Bar(row["label"], core[0], core[1], supp[0], supp[1]))
    legend = ((i18n.label("legend_core", lang), i18n.label("legend_supporting", lang)) if tiered
              else (i18n.label("legend_reported", lang), ""))
    svg = charts.coverage_chart(bars, f"{i18n.label('coverage_chart', lang)}, {latest}",
                                (*legend, i18n.label("legend_missing", lang))) if bars else None
    return svg, table


def years_text(years: list[int]) -> str:
    """``2019–2021, 2023``: runs of consecutive years as ranges."""
    runs: list[list[int]] = []
    for y in sorted(set(years)):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)


def _not_available(d: Dossier) -> list[dict]:
    """The not-available rows with the same indicator, status and reason joined over the years."""
    groups: dict[tuple, dict] = {}
    for n in d.not_available:
        key = (n.indicator.uid, n.status, n.reason_code, n.reason)
        groups.setdefault(key, {"row": n, "years": []})["years"].append(n.year)
    return [{"row": g["row"], "years": years_text(g["years"])} for g in groups.values()]


def _latest(ind: IndicatorPart, year: int | None) -> YearRow | None:
    return next((y for y in ind.years if y.year == year), ind.years[-1] if ind.years else None)


def render_html(d: Dossier, lang: str, other_href: str | None = None, env: Environment | None = None) -> str:
    """The dossier of one city as one self-contained HTML page in ``lang`` (a language with a catalogue)."""
    i18n_core.check_language(lang)
    env = env or environment()
    i18n_core.install(env, lang)
    coverage_svg, coverage_table = _coverage(d, lang)
    indicators = [ind for th in d.themes for ind in th.indicators]
    latest = {ind.uid: _latest(ind, d.build.latest_year) for ind in indicators}

    def show(ind: IndicatorPart, y: YearRow) -> str:
        return y.value_text if y.value_text is not None else i18n.number(y.value, lang, y.decimals)

    trends = {}
    for ind in indicators:
        own = {y.year: y.value if y.status == "reported" and y.value_text is None else None for y in ind.years}
        carried = {c.year: c.value for c in ind.continued if c.value_text is None and own.get(c.year) is None}
        points = sorted({**own, **carried}.items())
        decimals = max((y.decimals for y in ind.years if y.status == "reported"), default=ind.decimals)
        trends[ind.uid] = charts.trend_chart(points, decimals, lang, f"{ind.id} {i18n.name(ind.name, lang)}: "
                                             f"{i18n.label('trend', lang)}", carried=set(carried)) if len(points) > 1 else None
    return env.get_template("dossier.html.j2").render(
        d=d, lang=lang, other_lang=i18n.other(lang), other_href=other_href, css=Markup(CSS),
        t=lambda key, **kw: i18n.label(key, lang, **kw), T=i18n.labels(lang), E=i18n.enums(lang),
        nm=lambda text: i18n.name(text, lang), alt=lambda text: i18n.name(text, i18n.other(lang)),
        num=lambda v, decimals=None: i18n.number(v, lang, decimals), plain=lambda v: '' if v is None else i18n.plain(v),
        sgn=lambda v, decimals=None: i18n.signed(v, lang, decimals), day=lambda v: i18n_core.format_date(v, lang),
        say=lambda template, args, english="": finding_text(template, args, lang, english),
        page_of=lambda edition: html_name(d.city.code, lang, None if edition == d.city.editions[0] else edition),
        tx=lambda text: i18n_core.gettext(lang)(text) if text else "",
        unit=lambda u: i18n.unit(u, lang), unit_count=lambda u, n: i18n.unit_count(u, n, lang), show=show, latest=latest, trends=trends, coverage_svg=coverage_svg, coverage_table=coverage_table,
        sources={s.source_id: s for s in d.inventory.sources},
        not_available=_not_available(d), css_content=css_content, settings=manifest_settings)


def manifest_settings(configuration: dict[str, str]) -> list[tuple[str, str]]:
    """The manifest's configuration as rows of (setting, value) for a table: a value that is a JSON
    object or array (``publish_config``) is spread over one row per leaf, named by its path
    (``publish_config.publisher.name``), so that no line of raw JSON runs off the printed page.
    A list of plain values is one row (``a, b, c``); JSON null is shown as ``—``. Settings in key
    order, the leaves of a JSON value in the order the manifest has them."""
    rows: list[tuple[str, str]] = []

    def scalar(v: object) -> str:
        return "—" if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)

    def spread(path: str, v: object) -> None:
        if isinstance(v, dict) and v:
            for k, item in v.items():
                spread(f"{path}.{k}", item)
        elif isinstance(v, list) and any(isinstance(item, (dict, list)) for item in v):
            for n, item in enumerate(v):
                spread(f"{path}[{n}]", item)
        elif isinstance(v, list):
            rows.append((path, ", ".join(map(scalar, v)) if v else "[]"))
        else:
            rows.append((path, "{}" if isinstance(v, dict) else scalar(v)))

    for key in sorted(configuration):
        value = configuration[key]
        try:
            parsed = json.loads(value) if value.lstrip()[:1] in ("{", "[") else None
        except ValueError:
            parsed = None
        if isinstance(parsed, (dict, list)):
            spread(key, parsed)
        else:
            rows.append((key, value))
    return rows


_CSS_PLAIN = re.compile(r"[\w .,:;·()+\-–—/#%@']")
_COUNTER = re.compile(r"\{(page|pages)\}")


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string: letters, digits and common punctuation as they are, any
    other character (quotes, backslash, ``<``, ``&``, line breaks) as a CSS hex escape, so that a
    city's name cannot end the string or the style element it is written in."""
    return '"' + "".join(c if _CSS_PLAIN.fullmatch(c) else f"\\{ord(c):x} " for c in text) + '"'


def css_content(text: str, counters: bool = False) -> Markup:
    """A CSS ``content`` value showing ``text`` — for the running header and footer of the printed
    dossier (page-margin boxes of ``@page``). With ``counters``, ``{page}`` and ``{pages}`` in the
    text become ``counter(page)`` and ``counter(pages)``: ``Page {page} of {pages}`` →
    ``"Page " counter(page) " of " counter(pages)``."""
    parts = _COUNTER.split(text) if counters else [text]
    out = [f"counter({part})" if n % 2 else css_string(part) for n, part in enumerate(parts) if n % 2 or part]
    return Markup(" ".join(out) or '""')


def find_chromium() -> str | None:
    """The Chromium executable: ``$ISO37120_CHROMIUM``, else the first of the usual names on PATH."""
    env = os.environ.get("ISO37120_CHROMIUM")
    if env:
        return shutil.which(env)
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


class PdfError(RuntimeError):
    """Chromium ran but wrote no PDF, or a damaged one; or the date to give the PDF is not valid."""


PDF_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
"""The date of a PDF printed when neither a release date nor ``SOURCE_DATE_EPOCH`` is known."""


def pdf_date(release_date: date | None = None) -> datetime:
    """The date a printed PDF carries as its /CreationDate and /ModDate, never the clock:

    1. ``release_date``, the release's date (the manifest's ``release_date``: configured, or taken
       from the inputs), at midnight UTC — the date the open-data record and the dossier give;
    2. else ``$SOURCE_DATE_EPOCH`` (seconds since 1970-01-01 UTC, the reproducible-builds.org
       convention) when it is set; a value that is not a whole number raises :class:`PdfError`;
    3. else :data:`PDF_EPOCH`, 1970-01-01T00:00:00Z.

    A ``datetime`` is taken as it is (a naive one as UTC)."""
    if isinstance(release_date, datetime):
        return release_date if release_date.tzinfo else release_date.replace(tzinfo=timezone.utc)
    if release_date is not None:
        return datetime(release_date.year, release_date.month, release_date.day, tzinfo=timezone.utc)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
        except (ValueError, OverflowError, OSError) as e:
            raise PdfError(f"SOURCE_DATE_EPOCH={epoch!r} is not a time in whole seconds since 1970-01-01 UTC") from e
    return PDF_EPOCH


def pdf_timestamp(when: datetime) -> str:
    """``when`` as a PDF date string in UTC (``D:20240215000000+00'00'``, as Chromium writes them)."""
    return f"D:{when.astimezone(timezone.utc):%Y%m%d%H%M%S}+00'00'"


def fold_outline(outlines, open_levels: int) -> int:
    """Set the /Count of every item of a PDF outline so that only its first ``open_levels`` levels
    are open (a viewer shows their children); deeper items are folded (a negative /Count, as the
    PDF standard says, holding the number of items shown when unfolded). Returns the number of
    items shown, which is the /Count of the outline dictionary itself."""

    def level(first, depth: int) -> int:
        shown, item, seen = 0, first, set()
        while item is not None and item.objgen not in seen:  # a looped /Next is not followed twice
            seen.add(item.objgen)
            shown += 1
            if "/First" in item:
                below = level(item.First, depth + 1)
                if depth < open_levels:
                    item.Count = below
                    shown += below
                else:
                    item.Count = -below
            elif "/Count" in item:
                del item["/Count"]
            item = item.get("/Next")
        return shown

    total = level(outlines.First, 0) if "/First" in outlines else 0
    outlines.Count = total
    return total


def reproducible_pdf(src: Path, dst: Path, when: datetime, *, open_levels: int | None = None) -> None:
    """Rewrite the PDF ``src`` to ``dst`` so that the same content gives the same bytes: /CreationDate
    and /ModDate set to ``when``, any XMP metadata (which holds times too) dropped, and both parts of
    the trailer /ID computed by qpdf from the content (``deterministic_id``) instead of kept or drawn
    at random. Streams are kept as Chromium wrote them (not recompressed), and so are object streams.
    With ``open_levels``, the bookmark outline (if any) is folded below that many levels
    (:func:`fold_outline`). A damaged file (one that qpdf would have to repair) raises :class:`PdfError`."""
    import pikepdf

    stamp = pikepdf.String(pdf_timestamp(when))
    try:
        with pikepdf.open(src) as doc:
            if doc.get_warnings():  # qpdf repairs a truncated or damaged file silently: not a PDF to release
                raise PdfError(f"Chromium wrote a damaged PDF ({'; '.join(doc.get_warnings()[:3])})")
            if "/Metadata" in doc.Root:
                del doc.Root["/Metadata"]
            if "/ID" in doc.trailer:  # qpdf keeps the first of a file's two ids; both must come from the content
                del doc.trailer["/ID"]
            info = doc.docinfo
            for key in ("/CreationDate", "/ModDate"):
                info[key] = stamp
            if open_levels is not None and "/Outlines" in doc.Root:
                fold_outline(doc.Root.Outlines, open_levels)
            doc.save(dst, deterministic_id=True, fix_metadata_version=False, preserve_pdfa=False,
                     object_stream_mode=pikepdf.ObjectStreamMode.preserve, compress_streams=True,
                     recompress_flate=False, linearize=False, qdf=False)
    except pikepdf.PdfError as e:
        raise PdfError(f"Chromium wrote a PDF that cannot be read ({e})") from e


def print_pdf(html: Path, pdf: Path, chromium: str, timeout: float = 300, *, release_date: date | None = None) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium (a throw-away profile, no network services),
    then make it reproducible (:func:`reproducible_pdf`): printing the same page twice gives the same
    bytes. The PDF is dated :func:`pdf_date` of ``release_date`` (the release's date; without one,
    ``$SOURCE_DATE_EPOCH``, else 1970-01-01), never the time it was printed.

    Chromium's command line is enough (:data:`PRINT_ARGS`): the running header (city, edition,
    short build id) and "Page N of M" are in the page's own CSS (page-margin boxes, which this
    command line prints, unlike Chromium's header and footer templates, which only the DevTools
    protocol takes), and the bookmarks come from the headings; the outline is then folded to its
    parts and themes (:data:`OUTLINE_OPEN_LEVELS`)."""
    when = pdf_date(release_date)
    with tempfile.TemporaryDirectory(prefix="iso37120-chromium-") as profile:
        tmp = pdf.with_name(pdf.name + ".part")
        tmp.unlink(missing_ok=True)
        cmd = [chromium, *CHROMIUM_ARGS, f"--user-data-dir={profile}", f"--print-to-pdf={tmp}", *PRINT_ARGS,
               html.resolve().as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired as e:
            raise PdfError(f"Chromium did not print {html.name} within {timeout:.0f} s") from e
        if not tmp.is_file() or tmp.stat().st_size == 0:
            tail = (proc.stderr or "").strip().splitlines()[-3:]
            raise PdfError(f"Chromium wrote no PDF for {html.name} (exit {proc.returncode}): {' / '.join(tail)}")
        fixed = pdf.with_name(pdf.name + ".fixed")
        try:
            reproducible_pdf(tmp, fixed, when, open_levels=OUTLINE_OPEN_LEVELS)
            os.replace(fixed, pdf)
        except PdfError as e:
            raise PdfError(f"{html.name}: {e}") from e
        finally:
            tmp.unlink(missing_ok=True)
            fixed.unlink(missing_ok=True)
    return pdf


BATCH = 20
"""Cities whose rows are read from the store in one go (one query per table), at most; fewer cities
are shared evenly among the workers."""


@dataclass(frozen=True)
class _Job:
    """What a worker needs to render a batch of cities: everything but the store."""

    catalogue: Catalogue
    manifest: Manifest | None
    langs: list[str]
    out_dir: Path
    shared: Shared


@functools.cache
def _environment() -> Environment:
    """The template environment of this process, made once."""
    return environment()


def _render_batch(job: _Job, batch: list[CityRows]) -> list[Path]:
    """Write the HTML pages and the JSON of each city in ``batch`` (runs in a worker process)."""
    env = _environment()
    written = []
    for rows in batch:
        editions = list(rows.rows["city"][0]["editions"]) if rows.rows["city"] else [None]
        for n, edition in enumerate(editions):
            d = assemble(rows, job.shared, job.catalogue, job.manifest, edition)
            code, suffix = d.city.code, edition if n else None
            for lang in job.langs:
                other = i18n.other(lang)
                path = job.out_dir / html_name(code, lang, suffix)
                path.write_text(render_html(d, lang, html_name(code, other, suffix) if other in job.langs else None, env),
                                encoding="utf-8")
                written.append(path)
            path = job.out_dir / json_name(code, suffix)
            path.write_text(dossier_json(d), encoding="utf-8")
            written.append(path)
    return written


def write_comparison(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, out_dir: Path, langs: list[str]) -> list[Path]:
    """``comparison-<lang>.html`` per language and ``comparison.json``: every city side by side."""
    d = collect_comparison(con, catalogue)
    env = environment()
    written = []
    for lang in langs:
        other = i18n.other(lang)
        path = out_dir / comparison_name(lang)
        path.write_text(render_comparison(d, lang, env, other_href=comparison_name(other) if other in langs else None),
                        encoding="utf-8")
        written.append(path)
    path = out_dir / COMPARISON_JSON
    path.write_text(comparison_json(d), encoding="utf-8")
    return [*written, path]


def render_dossier(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, out_dir: Path, langs: Iterable[str] | None = None,
                   manifest: Manifest | None = None, pdf: bool = True, *, cities: Iterable[str] | None = None,
                   workers: int | None = None, note: Callable[[str], None] | None = None,
                   counted: Callable[[int, int], None] | None = None) -> list[Path]:
    """Write the dossier of every city in the store into ``out_dir``, one per standard it reports
    (see :func:`html_name`): ``dossier-<city>-<lang>.html`` per language, ``dossier-<city>.json``,
    and ``dossier-<city>-<lang>.pdf`` when ``pdf`` and
    Chromium is installed (otherwise the PDF is skipped and ``note`` is told why). Returns the
    paths written. ``manifest`` is the build's; without it the dossier says where to find it.
    ``counted(done, total)`` is told the cities rendered so far after each batch.
    ``cities`` limits the dossiers to those city codes (KeyError for a code not in the store); the
    comparison is written only for the whole store.

    Cities are read from the store in batches of :data:`BATCH` and rendered by ``workers``
    processes (default: one per CPU when there is more than one batch; forked, so on Linux only);
    this process keeps the store and reads the next batches while the workers render. The workers
    never touch the store: they get each batch's rows and return the paths they wrote."""
    return start_dossier(con, catalogue, out_dir, langs, manifest, pdf, cities=cities, workers=workers, note=note,
                         counted=counted, single=False)()


def start_dossier(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, out_dir: Path, langs: Iterable[str] | None = None,
                  manifest: Manifest | None = None, pdf: bool = True, *, cities: Iterable[str] | None = None,
                  workers: int | None = None, note: Callable[[str], None] | None = None,
                  counted: Callable[[int, int], None] | None = None, single: bool = True) -> Callable[[], list[Path]]:
    """:func:`render_dossier`, returning once this process is done with the store: the call it
    returns waits for the workers (a ``single`` batch of cities is rendered by one as well, see
    :func:`pipeline.parallel.start_workers`), prints the PDFs and returns the paths written."""
    langs = list(dict.fromkeys(i18n_core.languages() if langs is None else langs))
    for lang in langs:
        i18n_core.check_language(lang)
    say = note or (lambda msg: log.warning("%s", msg))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    codes = city_codes(con)
    whole = cities is None
    if cities is not None:
        wanted = list(dict.fromkeys(cities))
        unknown = sorted(set(wanted) - set(codes))
        if unknown:
            raise KeyError(f"no city {', '.join(unknown)} in the store; it has {', '.join(codes[:5])}"
                           + (f" and {len(codes) - 5} more" if len(codes) > 5 else ""))
        codes = [c for c in codes if c in wanted]
    job = _Job(catalogue=catalogue, manifest=manifest, langs=langs, out_dir=out_dir, shared=fetch_shared(con))
    # a few cities are shared among the workers (a city's pages take about a quarter of a second)
    size = max(1, min(BATCH, -(-len(codes) // (workers or os.cpu_count() or 1))))
    batches = ((len(codes[i:i + size]), fetch(con, codes[i:i + size])) for i in range(0, len(codes), size))
    rendered = start_workers(batches, _render_batch, job, total=len(codes), batch_size=size, counted=counted,
                             workers=workers, single=single)
    comparison = write_comparison(con, catalogue, out_dir, langs) if codes and whole else []
    return lambda: _finish(rendered() + comparison, manifest, pdf, say)


def _finish(written: list[Path], manifest: Manifest | None, pdf: bool, say: Callable[[str], None]) -> list[Path]:
    """Print the pages in ``written`` to PDF (when ``pdf``); return ``written`` with the PDFs."""
    pages = [p for p in written if p.suffix == ".html" and p.name.startswith("dossier-")]
    if pdf and pages:
        chromium = find_chromium()
        if chromium is None:
            say("PDF skipped: Chromium is not installed (apt-get install chromium, or set ISO37120_CHROMIUM); "
                "the HTML dossier prints to PDF from any browser.")
        else:
            for page in pages:
                try:
                    written.append(print_pdf(page, page.with_suffix(".pdf"), chromium,
                                             release_date=manifest.release_date if manifest else None))
                except PdfError as e:
                    say(f"PDF skipped: {e}")
    return written


__all__ = ["DOSSIER_DIR", "DOSSIER_VERSION", "Dossier", "PdfError", "collect", "css_content", "dossier_json", "find_chromium", "fold_outline",
           "manifest_settings", "page_names", "pdf_date", "print_pdf", "render_dossier", "render_html", "reproducible_pdf", "start_dossier", "write_comparison"]
