"""The evidence dossier of a tiny city: the content a verifier needs, hostile text shown as text,
JSON valid against its schema, both languages from one template, and the same bytes every time."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from markupsafe import Markup
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.dossier import charts, collect, find_chromium, render_dossier, render_html
from pipeline.dossier.models import Dossier, RevisionsPart
from pipeline.store import connect
from pipeline.store.models import InputFile, Manifest, OutputFile
from tests.conftest import ROOT
from tests.dossier.conftest import HOSTILE_NOTE, HOSTILE_ORG

SCHEMA = json.loads((ROOT / "schemas" / "dossier.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rendered(tiny_city, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dossier-out")
    con = connect(tiny_city.store, read_only=True)
    try:
        paths = render_dossier(con, tiny_city.catalogue, out, ["en", "pl"], pdf=False)
    finally:
        con.close()
    return {p.name: p for p in paths}


@pytest.fixture(scope="module")
def en(rendered) -> str:
    return rendered["dossier-0001-en.html"].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pl(rendered) -> str:
    return rendered["dossier-0001-pl.html"].read_text(encoding="utf-8")


def section(html: str, anchor: str) -> str:
    """The HTML of one indicator's article."""
    start = html.index(f'<article class="indicator" id="{anchor}">')
    return html[start:html.index("</article>", start)]


def test_writes_one_page_per_language_and_one_json(rendered):
    assert sorted(rendered) == ["comparison-en.html", "comparison-pl.html", "comparison.json",
                                "dossier-0001-en.html", "dossier-0001-pl.html", "dossier-0001.json"]


def test_value_with_its_decimals_numerator_denominator_and_formula(en):
    art = section(en, "ind-test-ed-5-1")
    assert "ISO 37120" not in art and "TEST:2014, 5.1" in art          # the clause of the (test) edition
    assert '<div class="value">10.39<span class="unit">%</span>' in art  # 53 / 510 × 100, two decimals
    assert "53 / 510 × 100 = 10.39" in art
    assert "unemployed / labour_force * 100" in art                       # the formula as run
    assert "<details class=\"sql\">" in art and "FROM calculation_keys k" in art
    assert ">10.30<" in art                                                # 2022: 52 / 505 × 100 keeps its trailing zero
    assert "Unemployment rate" in art and "Stopa bezrobocia" in art       # both names


def test_each_input_links_its_file_row_and_source_to_the_hashed_inventory(en, tiny_city):
    obs = tiny_city.root / "raw" / "testville" / "observations" / "obs.csv"
    sha = hashlib.sha256(obs.read_bytes()).hexdigest()
    art = section(en, "ind-test-ed-5-1")
    assert 'href="#file-testville-observations-obs-csv">testville/observations/obs.csv</a>, row 17' in art  # unemployed 2023
    assert sha not in art  # once per file, in the inventory the link leads to
    assert '<a href="#src-S1">S1</a>' in art
    inventory = en[en.index('<section id="inventory"'):]
    assert '<tr id="file-testville-observations-obs-csv"><td class="path">testville/observations/obs.csv</td>' in inventory
    assert sha in inventory and '<tr id="src-S1">' in inventory and "CC-BY-4.0" in inventory


def test_rules_and_their_outcome(en):
    art = section(en, "ind-test-ed-5-2")
    for rule in ("range_results_test-ed:5.2", "recomputes_results_test-ed:5.2", "yoy_change_results_test-ed:5.2"):
        assert f"<code>{rule}</code>" in art
    assert "findings accepted" in art and "Anna Nowak" in art
    assert "revision_results_value" in section(en, "ind-test-ed-5-1")


def test_validation_counts_from_the_store_are_those_of_the_findings_listed(tiny_city):
    """The counts the store gives in SQL (the summary, open and accepted findings, the matches of
    each acceptance, each rule's findings on an indicator) are those of the findings listed."""
    con = connect(tiny_city.store, read_only=True)
    try:
        d = collect(con, tiny_city.catalogue, "0001")
        stored = con.execute("SELECT count(*), count(*) FILTER (WHERE accepted) FROM findings").fetchone()
    finally:
        con.close()
    v, q = d.validation, d.quality
    assert (sum(r.findings for r in v.summary), sum(r.accepted for r in v.summary)) == stored  # one city, one standard
    assert sum(r.rules for r in v.summary) == v.rules_run
    assert sum(r.open for r in v.summary if r.severity == "error") == d.build.blocking == q.open_errors == 0
    assert (sum(r.open for r in v.summary if r.severity == "warning") == q.open_warnings
            == sum(1 for f in v.open_findings if f.severity == "warning") == 1)
    assert q.accepted == len(v.accepted_findings) == 1
    assert [e.matched for e in v.exceptions] == [sum(1 for f in v.accepted_findings if f.rule_id == e.rule_id
                                                     and f.accepted_by == e.accepted_by and e.year in (None, f.year))
                                                 for e in v.exceptions] == [1]
    outcomes = set()
    for ind in (i for th in d.themes for i in th.indicators):
        for o in ind.rules:
            hits = [f for f in ind.findings if f.rule_id == o.rule_id]
            assert o.findings == len(hits), (ind.uid, o.rule_id)
            assert o.outcome == ("passed" if not hits else "accepted" if all(f.accepted for f in hits) else "findings")
            outcomes.add(o.outcome)
    assert outcomes == {"passed", "accepted", "findings"}


def test_build_sections(en):
    assert "Testville" in en and "Testowo" in en and "2021, 2022, 2023" in en
    assert "releasable" in en and "not given — see manifest.json of the release" in en
    assert "The manifest of this build is in manifest.json of the release." in en
    # accepted exceptions: who, role, date, reason
    exc = en[en.index('<section id="exceptions"'):en.index('<section id="not-available"')]
    for text in ("Anna Nowak", "Head of the statistics unit", "12 March 2024", "A new fire station opened in 2023"):
        assert text in exc
    # not available, with the reason given with the input
    na = en[en.index('<section id="not-available"'):en.index('<section id="revisions"')]
    assert 'href="#ind-test-ed-6-1"' in na and "an input is not available" in na
    # revisions: the unexplained change and the revised input with its note
    rev = en[en.index('<section id="revisions"'):en.index('<section id="quality"')]
    assert "9.9 → 10.3" in rev and "Census correction of the 2022 population" in rev
    # quality statement and sign-off
    assert "In 2023, Testville reported 3 of 4 core and supporting indicators (75.0 %)" in en
    assert "extrapolated from a survey" in en
    signoff = en[en.index('<section id="sign-off"'):]
    assert "Testville City Office" in signoff and "Jan Kowalski" in signoff and "Decision" in signoff


def test_hostile_text_is_shown_as_text(en, pl, rendered):
    for html in (en, pl):
        assert "<script" not in html
        assert "<b>markup</b>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; not published yet" in html
        assert "&lt;b&gt;markup&lt;/b&gt; Fire Service" in html
    data = json.loads(rendered["dossier-0001.json"].read_text(encoding="utf-8"))
    assert any(s["organisation"] == HOSTILE_ORG for s in data["inventory"]["sources"])
    assert HOSTILE_NOTE in json.dumps(data, ensure_ascii=False)


def test_svg_text_is_escaped():
    svg = charts.trend_chart([(2021, None), (2022, 1), (2023, 2)], 0, "en", 'A <b>"title"</b> & more')
    assert isinstance(svg, Markup) and "<b>" not in svg and "&lt;b&gt;" in svg and "&amp; more" in svg
    bars = charts.coverage_chart([charts.Bar("<script>x</script>", 1, 2, 0, 1)], "t", ("a", "b", "<c>"))
    assert "<script>" not in bars and "&lt;script&gt;" in bars and "&lt;c&gt;" in bars


def test_every_link_has_its_target(en, pl):
    for html in (en, pl):
        ids = set(re.findall(r'\sid="([^"]+)"', html))
        targets = set(re.findall(r'href="#([^"]+)"', html))
        assert targets - ids == set()
        assert {"ind-test-ed-5-1", "ind-test-ed-5-2", "ind-test-ed-5-3", "ind-test-ed-6-1",
                "ind-test-ed-p14-gac-02", "ind-test-ed-p14-p-09"} <= targets
    assert 'href="dossier-0001-pl.html"' in en and 'href="dossier-0001-en.html"' in pl


def test_nothing_is_fetched_from_outside(en):
    assert not re.search(r'(src|href)="(https?:)?//', en)
    assert "<link" not in en and "@import" not in en and "url(" not in en and "@font-face" not in en


def test_polish_from_the_same_template(pl):
    assert '<html lang="pl">' in pl
    art = section(pl, "ind-test-ed-5-1")
    assert '<div class="value">10,39<span class="unit">%</span>' in art and "53 / 510 × 100 = 10,39" in art
    assert "<h4>5.1 Stopa bezrobocia</h4>" in art and "Unemployment rate" in art
    assert "Zatwierdzenie wydania" in pl and "Ocena weryfikatora" in pl and "Spis danych wejściowych" in pl
    assert "Evidence dossier" not in pl


def test_json_validates_against_its_schema(rendered):
    data = json.loads(rendered["dossier-0001.json"].read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    d = Dossier.model_validate(data)
    assert d.dossier_version == "2.0" and d.city.code == "0001"
    ind = next(i for th in d.themes for i in th.indicators if i.id == "5.1")
    y2023 = next(y for y in ind.years if y.year == 2023)
    assert (str(y2023.value), str(y2023.numerator), str(y2023.denominator)) == ("10.39", "53", "510")
    assert {i.role for i in y2023.inputs} == {"numerator", "denominator"} and all(
        len({f.file_id: f for f in d.inventory.files}[i.file_id].sha256) == 64 for i in y2023.inputs)
    assert ind.verdict is None and d.sign_off.approver is None and d.manifest is None
    assert [(n.indicator.id, n.year) for n in d.not_available] == [("6.1", 2023), ("P14-P-09", 2021)]
    assert {r.kind for r in d.revisions.rows} == {"unexplained_change", "revised_input"}


def test_two_renders_are_byte_identical(tiny_city, rendered, tmp_path):
    con = connect(tiny_city.store, read_only=True)
    try:
        again = render_dossier(con, tiny_city.catalogue, tmp_path, ["pl", "en"], pdf=False)
    finally:
        con.close()
    assert sorted(p.name for p in again) == sorted(rendered)
    for p in again:
        assert p.read_bytes() == rendered[p.name].read_bytes(), p.name


def test_with_a_manifest_and_without_a_previous_release(tiny_city):
    con = connect(tiny_city.store, read_only=True)
    try:
        manifest = Manifest(build_id="b" * 64, release_date=date(2024, 6, 1), code_version="0.1.0+abc", lock_sha256="c" * 64,
                            python="3.11.9", packages={"duckdb": "2.0.0"}, configuration={"raw": "data/raw"},
                            editions=["test-ed"], reference_years=[2021, 2022, 2023], definitions_sha256="d" * 64,
                            inputs=[InputFile(file_id="testville/city.yaml", folder="testville", role="city", bytes=1,
                                              sha256="e" * 64, media_type="application/yaml")],
                            outputs=[OutputFile(path="store.duckdb", bytes=2, sha256="f" * 64)])
        d = collect(con, tiny_city.catalogue, "0001", manifest)
    finally:
        con.close()
    assert d.build.status == "released" and d.build.build_id == "b" * 64
    html = render_html(d, "en")
    assert "b" * 64 in html and "f" * 64 in html and "0.1.0+abc" in html and "manifest.json of the release" not in html
    html = render_html(d.model_copy(update={"revisions": RevisionsPart(compared=False, rows=[])}), "en")
    assert "The build was not compared with a previous release" in html


def test_pdf_is_skipped_with_a_note_without_chromium(tiny_city, tmp_path, monkeypatch):
    monkeypatch.setenv("ISO37120_CHROMIUM", str(tmp_path / "no-such-browser"))
    notes: list[str] = []
    con = connect(tiny_city.store, read_only=True)
    try:
        paths = render_dossier(con, tiny_city.catalogue, tmp_path, ["en"], pdf=True, note=notes.append)
    finally:
        con.close()
    assert [p.name for p in paths] == ["dossier-0001-en.html", "dossier-0001.json", "comparison-en.html", "comparison.json"]
    assert len(notes) == 1 and "PDF skipped: Chromium is not installed" in notes[0]


@pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed (apt-get install chromium): no PDF renderer")
def test_pdf_printed_by_chromium(tiny_city, tmp_path):
    con = connect(tiny_city.store, read_only=True)
    try:
        paths = render_dossier(con, tiny_city.catalogue, tmp_path, ["pl"], pdf=True)
    finally:
        con.close()
    pdf = tmp_path / "dossier-0001-pl.pdf"
    assert pdf in paths and pdf.read_bytes().startswith(b"%PDF-") and pdf.stat().st_size > 10_000


def test_cli(tiny_city, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["dossier", "--store", str(tiny_city.store), "--out", str(tmp_path / "reports"),
                                 "--lang", "pl", "--no-pdf", "--catalogue", str(tiny_city.root / "indicators")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "comparison-pl.html", "comparison.json", "dossier-0001-pl.html", "dossier-0001.json"]
    result = runner.invoke(app, ["dossier", "--store", str(tiny_city.store), "--out", str(tmp_path / "one"), "--city", "0001",
                                 "--lang", "en", "--no-pdf", "--catalogue", str(tiny_city.root / "indicators")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["dossier-0001-en.html", "dossier-0001.json"]
    result = runner.invoke(app, ["dossier", "--store", str(tiny_city.store), "--out", str(tmp_path / "none"), "--city", "0002",
                                 "--no-pdf", "--catalogue", str(tiny_city.root / "indicators")])
    assert result.exit_code == 2 and "no city 0002 in the store; it has 0001" in result.output
    assert not (tmp_path / "none").exists() or not any((tmp_path / "none").iterdir())
    result = runner.invoke(app, ["dossier", "--store", str(tmp_path / "none.duckdb"), "--catalogue", str(tiny_city.root / "indicators")])
    assert result.exit_code == 2 and "No store" in result.output
