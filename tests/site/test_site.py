"""The release's site: every page of every kind in every language, tables that match their CSV,
links that all land on a file of the release, changes that match ``iso37120 diff``, Polish pages
in Polish, and the same store giving the same bytes."""

from __future__ import annotations

import csv
import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from pipeline.diff import diff_releases
from pipeline.site import render_site
from pipeline.store import connect
from tests.site.conftest import CITIES


class Page(HTMLParser):
    """The links, ids and table rows of one page."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for key in ("href", "src"):
            if a.get(key):
                self.links.append(a[key])
        if tag == "table":
            self._table = a.get("id")
            self.tables.setdefault(self._table or "", [])
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table or ""].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(path: Path) -> Page:
    p = Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_every_kind_of_page_in_every_language(releases):
    site = releases.site
    assert (site / "index.html").is_file() and (site / "assets" / "site.css").is_file() and (site / "assets" / "site.js").is_file()
    indicators = [i for i in releases.catalogue.indicators.values()]
    for lang in ("en", "pl"):
        assert (site / lang / "index.html").is_file()
        assert (site / lang / "changes.html").is_file()
        for code in CITIES:
            assert (site / lang / "cities" / f"{code}.html").is_file(), code
        for ind in indicators:
            assert (site / lang / "indicators" / ind.edition / f"{ind.id}.html").is_file(), ind.uid
    for ind in indicators:
        assert (site / "data" / "indicators" / ind.edition / f"{ind.id}.csv").is_file()
    assert (site / "data" / "cities.csv").is_file() and (site / "data" / "changes.json").is_file()
    assert "site/en/index.html" in {o.path for o in releases.second.manifest.outputs}


def test_every_link_lands_on_a_file_of_the_release_and_on_its_anchor(releases):
    out = releases.site.parent
    broken = []
    pages = sorted(releases.site.rglob("*.html"))
    parsed = {p.resolve(): parse(p) for p in pages}
    for page, doc in parsed.items():
        for link in doc.links:
            url = urlsplit(link)
            if url.scheme in ("http", "https", "mailto"):
                continue  # the sources' own addresses, marked rel=external
            assert not url.scheme and not url.netloc, f"{page}: {link}"
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            if not target.is_file() or out.resolve() not in target.parents:
                broken.append(f"{page.relative_to(out.resolve())}: {link}")
            elif url.fragment and target.suffix == ".html" and url.fragment not in parsed.get(target, parse(target)).ids:
                broken.append(f"{page.relative_to(out.resolve())}: {link} (no #{url.fragment})")
    assert broken == []


def test_the_only_addresses_outside_are_the_sources_own(releases):
    outside = set()
    for page in releases.site.rglob("*.html"):
        outside |= {link for link in parse(page).links if urlsplit(link).scheme in ("http", "https")}
    assert outside == {"https://example.org/t1"}


def test_an_indicator_table_is_its_csv(releases):
    for lang in ("en", "pl"):
        page = parse(releases.site / lang / "indicators" / "test-ed" / "5.1.html")
        table = page.tables["ind-table"]
        with (releases.site / "data" / "indicators" / "test-ed" / "5.1.csv").open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert [r[0] for r in table] == [r["city_code"] for r in rows] == sorted(CITIES)
        assert all(r["year"] == "2023" and r["status"] == "reported" for r in rows)
        shown = [r[2].replace(",", ".") if lang == "pl" else r[2] for r in table]
        assert shown == [f'{float(r["value"]):.2f}' for r in rows]


def test_changes_are_what_diff_says(releases):
    out = releases.site.parent
    shown = json.loads((releases.site / "data" / "changes.json").read_text(encoding="utf-8"))
    assert shown["old"] == releases.first.manifest.build_id and shown["new"] == releases.second.manifest.build_id
    # the first release is gone; what the second archived of it is what the page compared with
    expected = diff_releases(out / "archive" / "previous", out).model_dump(mode="json")
    assert {k: v for k, v in shown.items() if k not in ("old", "new")} == {
        k: v for k, v in expected.items() if k not in ("old", "new")}
    changed = {(c["city_code"], c["indicator_uid"]) for c in shown["values_changed"]}
    assert ("0001", "test-ed:5.3") in changed or ("0001", "test-ed:6.1") in changed
    assert all(c["revised_inputs"] for c in shown["values_changed"] if c["city_code"] == "0001")
    assert {c["city_code"] for c in shown["no_longer_reported"]} == {"0002"}
    assert {i["file_id"]: i["change"] for i in shown["inputs"]} == {
        "testville/observations/obs.csv": "changed", "otherton/observations/obs.csv": "changed"}
    page = parse(releases.site / "en" / "changes.html")
    assert len(page.tables[""]) >= len(shown["values_changed"])


def test_polish_pages_speak_polish(releases):
    text = (releases.site / "pl" / "index.html").read_text(encoding="utf-8")
    assert 'lang="pl"' in text
    for english in ("Cities at each certification level", "Indicators across the cities", "Download this table",
                    "What changed", "Open errors"):
        assert english not in text, english
    city = (releases.site / "pl" / "cities" / "0002.html").read_text(encoding="utf-8")
    assert "Otherton-PL" in city and "Inputs</h2>" not in city


def test_the_same_store_gives_the_same_site(releases, tmp_path):
    out = releases.site.parent
    con = connect(releases.store, read_only=True)
    try:
        for target in (tmp_path / "a", tmp_path / "b"):
            (target / "open-data").mkdir(parents=True)
            render_site(con, releases.catalogue, target, ["en", "pl"], manifest=releases.second.manifest)
    finally:
        con.close()
    a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a" / "site").rglob("*") if p.is_file()}
    b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b" / "site").rglob("*") if p.is_file()}
    assert a == b and len(a) > 30
    assert (out / "site" / "en" / "cities" / "0001.html").read_bytes() != b""


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_a_city_page_lists_each_file_and_source_once(releases, lang):
    page = parse(releases.site / lang / "cities" / "0001.html")
    files = [r[1] for r in page.tables[""] if r and r[0] == "1"]
    assert files.count("testville/observations/obs.csv") == 1
    text = (releases.site / lang / "cities" / "0001.html").read_text(encoding="utf-8")
    assert text.count("Table 1") == 1


def test_above_the_limit_the_release_has_the_site_and_no_dossiers(releases, tmp_path, monkeypatch):
    import pipeline.build as b
    from tests.publish.conftest import CONFIG

    monkeypatch.setattr(b, "DOSSIER_CITY_LIMIT", 2)
    notes: list[str] = []
    result = b.build(releases.root / "raw", tmp_path / "out", releases.catalogue, reports=tmp_path / "reports",
                     store=tmp_path / "store.duckdb", pdf=False, note=notes.append,
                     publish_config=CONFIG.model_copy(update={"dataset_id": "site-test"}))
    out = tmp_path / "out"
    assert sorted(p.name for p in (out / "dossier").iterdir()) == ["comparison-en.html", "comparison-pl.html", "comparison.json"]
    assert any("Dossiers left out: 3 cities" in n for n in notes)
    page = (out / "site" / "en" / "cities" / "0001.html").read_text(encoding="utf-8")
    assert "iso37120 dossier --city 0001" in page and "dossier-0001" not in page
    assert result.manifest.configuration["dossiers"] == "auto"
    # with the same inputs, asking for every dossier is another build
    again = b.build(releases.root / "raw", tmp_path / "out", releases.catalogue, reports=tmp_path / "reports",
                    store=tmp_path / "store.duckdb", pdf=False, dossiers="all",
                    publish_config=CONFIG.model_copy(update={"dataset_id": "site-test"}))
    assert not again.up_to_date and (out / "dossier" / "dossier-0003-pl.html").is_file()
    assert 'href="../../../dossier/dossier-0001-en.html"' in (out / "site" / "en" / "cities" / "0001.html").read_text(encoding="utf-8")
