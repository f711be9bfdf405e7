"""The printed dossier as a document an auditor can cite: every page numbered "Page N of M"
("Strona N z M") under a running header with the city, the edition and the short build id; a
bookmark outline by part, theme and indicator; the manifest as tables (no raw JSON) with nothing
printed outside the page, at full size.

The PDF tests print the tiny city's dossier (tests/dossier/conftest.py) with the system's
Chromium, with a manifest made here, and read the PDF back with pikepdf alone
(tests/dossier/pdftext.py): the words on each page with their positions, and the outline."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from datetime import date
from pathlib import Path

import pikepdf
import pytest

from pipeline.dossier import collect, css_content, find_chromium, fold_outline, i18n, manifest_settings, render_dossier, render_html
from pipeline.store import connect
from pipeline.store.models import InputFile, Manifest, OutputFile, PreviousRelease
from tests.dossier.pdftext import Page, read_outline, read_pdf

BUILD_ID = "9f1c2e3d4b5a" + "0123456789abcdef" * 3 + "0a1b"
SHORT = BUILD_ID[:12]
LONG_PATH = "open-data/" + "a-very-long-output-file-name-without-any-space-" * 3 + "in-it.csv-metadata.json"
PUBLISH_CONFIG = {
    "dataset_id": None,
    "publisher": {"name": "City Office", "homepage": "https://www.example.org/", "type": "LocalAuthority"},
    "licence": {"uri": "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0", "id": "CC-BY-4.0"},
    "keywords": {"en": ["ISO 37120", "city indicators"], "pl": ["ISO 37120", "wskaźniki miejskie"]},
    "locations": {},
}
MM = 72 / 25.4
SIDE_MARGIN = 12 * MM  # dossier.css: @page { margin: 17mm 12mm 16mm }
H1_PT = 1.9 * 16 * 0.75  # dossier.css: h1 { font-size: 1.9rem }, printed at 100 %

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium, or set "
                                                             "ISO37120_CHROMIUM): no PDF to read")


def chromium_major() -> int | None:
    """The major version of the Chromium that prints, if it says one."""
    if CHROMIUM is None:
        return None
    try:
        said = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"(\d+)\.\d+\.\d+", said)
    return int(found.group(1)) if found else None


MAJOR = chromium_major()
needs_margin_boxes = pytest.mark.skipif(MAJOR is not None and MAJOR < 131, reason=f"Chromium {MAJOR} prints no CSS page-margin "
                                        "boxes (@top-left, @bottom-right: Chromium 131 on): no running header nor page numbers")


def manifest_for(raw: Path) -> Manifest:
    inputs = [InputFile(file_id=p.relative_to(raw).as_posix(), folder="testville", role="other", bytes=p.stat().st_size,
                        sha256=hashlib.sha256(p.read_bytes()).hexdigest(), media_type="text/plain")
              for p in sorted((raw / "testville").rglob("*")) if p.is_file()]
    return Manifest(build_id=BUILD_ID, release_date=date(2024, 6, 1), code_version="0.1.0+abc", lock_sha256="c" * 64,
                    python="3.11.9", packages={"duckdb": "2.0.0", "pikepdf": "10.18.0"},
                    configuration={"langs": "en,pl", "publish_config": json.dumps(PUBLISH_CONFIG)},
                    editions=["test-ed"], reference_years=[2021, 2022, 2023], definitions_sha256="d" * 64,
                    inputs=inputs,
                    outputs=[OutputFile(path="store/results.parquet", bytes=6214, sha256="f" * 64),
                             OutputFile(path=LONG_PATH, bytes=31154, sha256="a" * 64)],
                    previous=PreviousRelease(build_id="e" * 64, files=[
                        OutputFile(path="archive/previous/results.parquet", bytes=6214, sha256="b" * 64)]))


@pytest.fixture(scope="module")
def printed(tiny_city, tmp_path_factory) -> dict[str, Path]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium, or set ISO37120_CHROMIUM): no PDF to read")
    out = tmp_path_factory.mktemp("dossier-pdf")
    manifest = manifest_for(tiny_city.root / "raw")
    con = connect(tiny_city.store, read_only=True)
    try:
        paths = render_dossier(con, tiny_city.catalogue, out, ["en", "pl"], manifest=manifest, pdf=True, cities=["0001"])
    finally:
        con.close()
    return {p.name: p for p in paths}


@pytest.fixture(scope="module")
def pages(printed) -> dict[str, list[Page]]:
    return {lang: read_pdf(printed[f"dossier-0001-{lang}.pdf"]) for lang in ("en", "pl")}


HEADER = {"en": ("Testville (0001)", f"TEST:2014 · build {SHORT}"), "pl": ("Testowo (0001)", f"TEST:2014 · kompilacja {SHORT}")}
FOOTER = {"en": ("Evidence dossier · released 1 June 2024", "Page {n} of {m}"),
          "pl": ("Dossier dowodowe · wydano 1 czerwca 2024", "Strona {n} z {m}")}


@needs_chromium
@needs_margin_boxes
@pytest.mark.parametrize("lang", ["en", "pl"])
def test_every_page_is_numbered_under_a_running_header(pages, lang):
    doc = pages[lang]
    m = len(doc)
    assert m >= 10
    city, build = HEADER[lang]
    title, number = FOOTER[lang]
    for page in doc:  # page 1, the middle pages and the last alike
        lines = page.lines()
        assert lines[0] == f"{city} {build}", f"page {page.number}: header {lines[0]!r}"
        assert lines[-1] == f"{title} {number.format(n=page.number, m=m)}", f"page {page.number}: footer {lines[-1]!r}"
    middle = doc[m // 2].lines()
    assert middle[-1].endswith(number.format(n=m // 2 + 1, m=m)) and SHORT in middle[0]


@needs_chromium
@pytest.mark.parametrize("lang", ["en", "pl"])
def test_nothing_is_printed_outside_the_page_nor_shrunk_to_fit(pages, lang):
    for page in pages[lang]:
        outside = [g.text for g in page.glyphs
                   if g.x0 < SIDE_MARGIN - 1 or g.x1 > page.width - SIDE_MARGIN + 1 or not 0 < g.y < page.height]
        where = [(g.text, round(g.x0), round(g.x1), round(g.y)) for g in page.glyphs
                 if g.x0 < SIDE_MARGIN - 1 or g.x1 > page.width - SIDE_MARGIN + 1 or not 0 < g.y < page.height]
        assert outside == [], f"page {page.number}: {''.join(outside)[:80]!r} is printed outside the page's text area (x0, x1, y: {where[:5]})"
    # Chromium shrinks every page when anything is wider than the page: the title must be at its size.
    title = "Testville" if lang == "en" else "Testowo"
    sizes = {round(g.size, 1) for g in pages[lang][0].glyphs if g.text in title and g.size > 15}
    assert sizes and all(abs(s - H1_PT) < 0.3 for s in sizes), f"the title is printed at {sizes} pt, not {H1_PT:.1f} pt"


@needs_chromium
def test_outline_by_part_theme_and_indicator(printed, pages):
    count, tree = read_outline(printed["dossier-0001-en.pdf"])
    assert [b.title for b in tree] == ["Testville"]
    parts = tree[0].children
    names = ["sec_coverage", "sec_validation", "sec_exceptions", "sec_not_available", "sec_revisions", "sec_quality",
             "sec_indicators", "sec_themes", "sec_profile", "sec_inventory", "sec_manifest", "sec_signoff"]
    assert [b.title for b in parts] == [i18n.label(n, "en") for n in names]
    by = {b.title: b for b in parts}
    themes = by["Indicators by theme"].children
    assert [t.title for t in themes] == ["5 Economy", "6 Education"]
    assert [i.title for i in themes[0].children] == ["5.1 Unemployment rate", "5.2 Firefighters per 100 000 population",
                                                      "5.3 Income per capita"]
    assert [t.title for t in by["Profile data"].children] == ["People", "Geography and climate"]
    assert [c.title for c in by["Build manifest"].children][:2] == ["Inputs", "Outputs"]
    # each bookmark opens the page its heading is on
    doc = pages["en"]
    for b in (by["Build manifest"], themes[1], themes[0].children[2], by["Release approval"]):
        assert b.page is not None and any(line.startswith(b.title) for line in doc[b.page - 1].lines()), b.title
    # folded below the parts: the city and its parts open, themes (with their indicators) closed
    assert tree[0].count > 0 and by["Indicators by theme"].count == 2
    assert themes[0].count == -3 and themes[0].children[0].count == -4  # time series, inputs, method, checks
    assert count == 1 + len(parts) + sum(b.count for b in parts if b.count and b.count > 0)

    count, tree = read_outline(printed["dossier-0001-pl.pdf"])
    assert tree[0].title == "Testowo" and "Manifest kompilacji" in [b.title for b in tree[0].children]
    pl_themes = next(b for b in tree[0].children if b.title == "Wskaźniki według tematów").children
    assert [t.title for t in pl_themes] == ["5 Ekonomia", "6 Edukacja"]


@needs_chromium
@pytest.mark.parametrize("lang", ["en", "pl"])
def test_the_manifest_is_printed_as_tables(printed, pages, lang, tiny_city):
    doc = pages[lang]
    heading = i18n.label("sec_manifest", lang)
    start = next(p.number for p in doc if heading in p.lines())
    end = next(p.number for p in doc if i18n.label("sec_signoff", lang) in p.lines())
    text = "\n".join(p.text() for p in doc[start - 1:end - 1])
    lines = text.splitlines()
    # every hash whole on one line, beside what it is the hash of
    assert any(line.startswith(i18n.label("build_id", lang)) and line.endswith(BUILD_ID) for line in lines)
    obs = tiny_city.root / "raw" / "testville" / "observations" / "obs.csv"
    sha = hashlib.sha256(obs.read_bytes()).hexdigest()
    assert any(line.startswith("testville/observations/obs.csv ") and line.endswith(sha) for line in lines), sha
    assert any(line.endswith("e" * 64) for line in lines) and any(line.endswith("a" * 64) for line in lines)
    # the long path wraps inside its cell: all of it is there, in order, line after line
    outputs = lines[lines.index(i18n.label("outputs", lang)):]
    first = next(n for n, line in enumerate(outputs) if line.startswith("open-data/"))
    path = re.sub(r"\s+[\d,\s]+(a{64})?$", "", outputs[first])  # its first line holds the size too (and the hash)
    assert len(path) < len(LONG_PATH) / 2
    for line in outputs[first + 1:]:
        if len(path) >= len(LONG_PATH):
            break
        path += line
    assert path == LONG_PATH
    # the configuration's JSON as one row per setting, not as JSON
    assert "publish_config.publisher.name City Office" in lines
    assert "publish_config.keywords.pl ISO 37120, wskaźniki miejskie" in lines
    assert "publish_config.dataset_id —" in lines and "publish_config.locations {}" in lines
    everything = "\n".join(p.text() for p in doc)
    assert '{"' not in everything and '":' not in everything


# --- without Chromium: the pieces the printed page is made of -------------------------------------------------------


def test_css_content_quotes_text_and_makes_counters():
    assert css_content("Page {page} of {pages}", counters=True) == '"Page " counter(page) " of " counter(pages)'
    assert css_content("Strona {page} z {pages}", counters=True) == '"Strona " counter(page) " z " counter(pages)'
    assert css_content("{page}/{pages}", counters=True) == 'counter(page) "/" counter(pages)'
    assert css_content("Page {page}") == '"Page \\7b page\\7d "'  # no counters unless asked for: braces are text
    assert css_content("Kraków (0001) · TEST:2014") == '"Kraków (0001) · TEST:2014"'
    hostile = css_content('Evil" } body { display: none } </style><script>x</script> \\ \n')
    assert '"' not in hostile[1:-1] and "<" not in hostile and "\n" not in hostile and "}" not in hostile
    assert hostile.startswith('"Evil\\22  \\7d  body') and hostile.count('"') == 2
    assert css_content("") == '""'


def test_manifest_settings_spread_json_over_rows():
    rows = manifest_settings({"raw": "data/raw", "publish_config": json.dumps(PUBLISH_CONFIG),
                              "list": json.dumps([{"a": 1}, {"a": None}]), "odd": "{not json"})
    assert rows == [
        ("list[0].a", "1"), ("list[1].a", "—"), ("odd", "{not json"),
        ("publish_config.dataset_id", "—"),
        ("publish_config.publisher.name", "City Office"), ("publish_config.publisher.homepage", "https://www.example.org/"),
        ("publish_config.publisher.type", "LocalAuthority"),
        ("publish_config.licence.uri", "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"),
        ("publish_config.licence.id", "CC-BY-4.0"),
        ("publish_config.keywords.en", "ISO 37120, city indicators"), ("publish_config.keywords.pl", "ISO 37120, wskaźniki miejskie"),
        ("publish_config.locations", "{}"),
        ("raw", "data/raw"),
    ]


def test_fold_outline_opens_only_the_first_levels(tmp_path):
    pdf = pikepdf.new()
    for _ in range(3):
        pdf.add_blank_page()
    with pdf.open_outline() as outline:
        root = pikepdf.OutlineItem("City", 0)
        part = pikepdf.OutlineItem("Indicators by theme", 1)
        for t in range(2):
            theme = pikepdf.OutlineItem(f"Theme {t}", 1)
            theme.children = [pikepdf.OutlineItem(f"Indicator {t}.{i}", 2) for i in range(3)]
            part.children.append(theme)
        root.children = [pikepdf.OutlineItem("Coverage", 0), part, pikepdf.OutlineItem("Manifest", 2)]
        outline.root.append(root)
    pdf.save(tmp_path / "o.pdf")
    with pikepdf.open(tmp_path / "o.pdf", allow_overwriting_input=True) as doc:
        assert fold_outline(doc.Root.Outlines, 2) == 1 + 3 + 2
        doc.save(tmp_path / "o.pdf")
    count, tree = read_outline(tmp_path / "o.pdf")
    assert count == 6 and tree[0].count == 5  # Coverage, Indicators by theme (2 themes shown), Manifest
    part = tree[0].children[1]
    assert part.count == 2 and [t.count for t in part.children] == [-3, -3]
    assert all(i.count is None for t in part.children for i in t.children)


@pytest.fixture(scope="module")
def html(tiny_city, tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("dossier-print-html")
    con = connect(tiny_city.store, read_only=True)
    try:
        render_dossier(con, tiny_city.catalogue, out, ["en", "pl"], manifest=manifest_for(tiny_city.root / "raw"),
                       pdf=False, cities=["0001"])
    finally:
        con.close()
    return {lang: (out / f"dossier-0001-{lang}.html").read_text(encoding="utf-8") for lang in ("en", "pl")}


def test_the_page_style_holds_the_running_header_and_page_numbers(html):
    assert f'@top-right {{ content: "TEST:2014 · build {SHORT}"; }}' in html["en"]
    assert '@top-left { content: "Testville (0001)"; }' in html["en"]
    assert '@bottom-right { content: "Page " counter(page) " of " counter(pages); }' in html["en"]
    assert '@bottom-right { content: "Strona " counter(page) " z " counter(pages); }' in html["pl"]
    assert f'"TEST:2014 · kompilacja {SHORT}"' in html["pl"] and '"Dossier dowodowe · wydano 1 czerwca 2024"' in html["pl"]


def test_without_a_build_the_header_cites_the_inputs_fingerprint(tiny_city):
    con = connect(tiny_city.store, read_only=True)
    try:
        d = collect(con, tiny_city.catalogue, "0001", None)
    finally:
        con.close()
    page = render_html(d, "pl")
    assert f'@top-right {{ content: "TEST:2014 · dane wejściowe {d.build.inputs_sha256[:12]}"; }}' in page
    assert '@bottom-left { content: "Dossier dowodowe"; }' in page


def test_headings_make_parts_themes_and_indicators(html):
    en = html["en"]
    assert '<h2 id="themes">Indicators by theme</h2>' in en and '<h2 id="profile">Profile data</h2>' in en
    assert '<h3><span class="theme-no">5</span> Economy</h3>' in en and "<h3>People</h3>" in en
    assert "<h4>5.1 Unemployment rate</h4>" in en and "<h5>Time series</h5>" in en
    assert en.index('<h2 id="themes">') < en.index("<h4>5.1 ") < en.index('<h2 id="profile">') < en.index("<h4>P14-P-09 ")
    assert 'href="#themes"' in en and 'href="#profile"' in en


def test_the_manifest_is_a_table_in_the_page_too(html):
    for lang, page in html.items():
        manifest = page[page.index('<section id="manifest"'):page.index('<section id="sign-off"')]
        assert "{&#34;" not in manifest and '{"' not in manifest and "&#34;:" not in manifest
        assert f'<td class="hash">{BUILD_ID}</td>' in manifest
        assert "<td><code>publish_config.publisher.name</code></td><td>City Office</td>" in manifest
        assert f'<td class="path">{LONG_PATH}</td>' in manifest and "e" * 64 in manifest
