"""The comparison across cities: four synthetic cities × three years through ingest, calculate and
validate (built once per module), one of them below the lowest level and one at the lowest in the
latest year, with open and accepted errors and a warning; every figure checked against the store."""

from __future__ import annotations

import json
import re
import shutil
import statistics
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import jsonschema
import pytest

from pipeline.calculate import calculate
from pipeline.catalogue import Catalogue, load_catalogue
from pipeline.dossier import collect
from pipeline.dossier.comparison import (
    COMPARISON_JSON,
    Comparison,
    collect_comparison,
    comparison_json,
    comparison_name,
    render_comparison,
)
from pipeline.ingest import ingest
from pipeline.store import connect
from pipeline.synth import generate
from pipeline.validate import validate
from tests.conftest import CATALOGUE, ROOT

YEARS = [2021, 2022, 2023]
CODES = ["9910011", "9910021", "9910031", "9910041"]
LOW, PARTIAL, WARNED = "9910041", "9910031", "9910021"

EXCEPTIONS = """\
exceptions:
  - rule_id: "reason_for_missing_results_iso37120-2014:16.1"
    city: "9910031"
    year: 2023
    accepted_by: Anna Nowak
    role: Head of the statistics unit
    accepted_on: 2024-03-12
    reason: Waste figures of 2023 are not published yet.
"""


@dataclass
class Build:
    catalogue: Catalogue
    store: Path
    d: Comparison


def _edit(path: Path, keep) -> None:
    """Rewrite a generated observation CSV (``city,year,variable,value,...``) row by row."""
    head, *rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out = [head]
    for line in rows:
        r = keep(line.split(","))
        if r is not None:
            out.append(",".join(r))
    path.write_text("".join(out), encoding="utf-8")


def _boost_firefighters(r: list[str]) -> list[str]:
    if r[0] == WARNED and r[1] == "2023" and r[2] == "firefighters_full_time":
        r[3] = str(int(float(r[3]) * 5))
    return r


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Build:
    root = tmp_path_factory.mktemp("comparison")
    catalogue = load_catalogue(CATALOGUE)
    raw = root / "raw"
    generate(raw, catalogue, n_cities=4, years=YEARS, seed=5, layout="multi")
    # 2023: LOW keeps only its statistics-office figures (below the lowest level), PARTIAL loses
    # its water and waste figures (a lower level), WARNED has five times the firefighters (a warning).
    for path in sorted((raw / "observations").glob("*.csv")):
        if path.name != "statistics-office.csv":
            _edit(path, lambda r: None if r[0] == LOW and r[1] == "2023" else r)
        if path.name in ("water-utility.csv", "waste-management.csv"):
            _edit(path, lambda r: None if r[0] == PARTIAL and r[1] == "2023" else r)
    _edit(raw / "observations" / "fire-service.csv", _boost_firefighters)
    (raw / "exceptions.yaml").write_text(EXCEPTIONS, encoding="utf-8")
    ingest(raw, catalogue, root / "store.duckdb")
    con = connect(root / "store.duckdb")
    calculate(con, catalogue)
    validate(con, catalogue)
    con.execute("CHECKPOINT")
    con.close()
    con = connect(root / "store.duckdb", read_only=True)
    try:
        d = collect_comparison(con, catalogue)
    finally:
        con.close()
    return Build(catalogue, root / "store.duckdb", d)


@pytest.fixture
def con(build):
    c = connect(build.store, read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def html(build) -> dict[str, str]:
    return {lang: render_comparison(build.d, lang) for lang in ("en", "pl")}


def rounded(v: Decimal, decimals: int) -> Decimal:
    return Decimal(v).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def test_one_row_per_city_in_code_order(build, con):
    d = build.d
    assert [c.code for c in d.cities] == CODES
    assert len(d.cities) == con.execute("SELECT count(*) FROM cities").fetchone()[0]
    names = dict(con.execute("SELECT city_code, name_pl FROM cities").fetchall())
    assert all(c.name.pl == names[c.code] for c in d.cities)
    assert d.latest_year == 2023 and d.years == YEARS


def test_level_counts_sum_to_the_cities_of_each_year(build, con):
    d = build.d
    per_year = dict(con.execute("SELECT year, count(*) FROM calculation_keys GROUP BY year").fetchall())
    assert {y: sum(c.cities for c in d.levels if c.year == y) for y in d.years} == per_year
    ids = [lv.id for lv in build.catalogue.editions["iso37120-2014"].certification_levels]
    for y in d.years:  # every level of the edition, lowest first, then below the lowest
        assert [c.level for c in d.levels if c.year == y] == [*ids, None]
    latest = {c.level: c.cities for c in d.levels if c.year == 2023}
    assert latest == {"aspirational": 1, "bronze": 0, "silver": 0, "gold": 0, "platinum": 2, None: 1}
    assert {c.level: c.cities for c in d.levels if c.year == 2021}["platinum"] == 4
    assert next(c for c in d.levels if c.level == "gold").level_name.pl == "Złoty"


def test_city_rows_agree_with_the_store_and_the_dossier(build, con):
    rows = {c.code: c for c in build.d.cities}
    cert = {r[0]: r[1:] for r in con.execute(
        "SELECT city_code, level, core_reported, core_defined, total_reported, total_defined FROM certification "
        "WHERE year = 2023").fetchall()}
    for c in build.d.cities:
        assert c.calculated and (c.level, c.core_reported, c.core_defined, c.total_reported, c.total_defined) == cert[c.code]
    assert rows[PARTIAL].level == "aspirational" and rows[PARTIAL].level_name.en == "Aspirational"
    assert rows[LOW].level is None and rows[LOW].level_name is None
    assert rows[LOW].total_reported < rows[PARTIAL].total_reported < rows[CODES[0]].total_reported
    open_ = dict(con.execute("SELECT city_code, count(*) FROM findings WHERE severity = 'error' AND NOT accepted "
                             "GROUP BY ALL").fetchall())
    assert {c.code: c.open_errors for c in build.d.cities} == {code: open_.get(code, 0) for code in CODES}
    assert rows[PARTIAL].open_errors > 0 and rows[WARNED].open_warnings >= 1 and rows[CODES[0]].open_errors == 0
    for code in (PARTIAL, WARNED):  # the dossier of the city says the same (its accepted error is not open)
        q = collect(con, build.catalogue, code).quality
        assert (rows[code].open_errors, rows[code].open_warnings) == (q.open_errors, q.open_warnings)


def test_indicator_spreads_equal_a_direct_computation(build, con):
    spreads = {s.uid: s for s in build.d.indicators}
    # the indicators of the standards the cities report (the generated cities report the default edition)
    assert list(spreads) == [i.uid for i in build.catalogue.indicators.values() if i.edition == build.catalogue.default_edition]
    values: dict[str, list[tuple[Decimal, str]]] = {}
    for uid, value, code in con.execute("SELECT indicator_uid, value, city_code FROM results WHERE year = 2023 "
                                        "AND status = 'reported' AND value IS NOT NULL").fetchall():
        values.setdefault(uid, []).append((value, code))
    checked = 0
    for uid, s in spreads.items():
        assert s.cities_total == 4
        if s.text:
            continue
        got = values.get(uid, [])
        assert s.cities_reported == len(got)
        if not got:
            assert (s.min, s.median, s.max, s.min_city, s.max_city) == (None, None, None, None, None)
            continue
        xs = sorted(v for v, _ in got)
        q1, q2, q3 = statistics.quantiles(xs, n=4, method="inclusive") if len(xs) > 1 else (xs[0],) * 3
        assert (s.min, s.p25, s.median, s.p75, s.max) == tuple(rounded(v, s.decimals) for v in (xs[0], q1, q2, q3, xs[-1])), uid
        assert s.median == rounded(statistics.median(xs), s.decimals)
        assert s.min_city == min(got, key=lambda t: (t[0], t[1]))[1]          # ties: the lowest city code
        assert s.max_city == min(got, key=lambda t: (-t[0], t[1]))[1]
        checked += 1
    assert checked > 100
    s52 = spreads["iso37120-2014:5.2"]
    assert s52.cities_reported == 3 and LOW not in (s52.min_city, s52.max_city)  # LOW has only population figures in 2023
    assert str(s52.median) == format(s52.median, f".{s52.decimals}f")             # the indicator's decimals
    ties = [s for s in spreads.values() if not s.text and s.min is not None and s.min == s.max and s.cities_reported > 1]
    assert all(s.min_city == s.max_city == min(c for v, c in values[s.uid]) for s in ties)


def test_text_indicators_have_counts_only(build, con):
    texts = [s for s in build.d.indicators if s.text]
    assert texts
    reported = dict(con.execute("SELECT indicator_uid, count(*) FROM results WHERE year = 2023 AND status = 'reported' "
                                "AND value_text IS NOT NULL GROUP BY ALL").fetchall())
    for s in texts:
        assert s.cities_reported == reported.get(s.uid, 0) > 0
        assert (s.min, s.p25, s.median, s.p75, s.max, s.min_city, s.max_city) == (None,) * 7


def test_page_links_each_dossier_once_and_is_the_same_every_time(build, html):
    en = html["en"]
    for c in build.d.cities:
        assert en.count(f'href="dossier-{c.code}-en.html"') == 1
        assert f">{c.name.en}</a>" in en
    assert "<title>Comparison of cities (4), 2023</title>" in en
    assert render_comparison(build.d, "en") == en
    assert "<script" not in en and not re.search(r"(src|href)=\"(https?:)?//", en) and "<style>" in en
    s52 = next(s for s in build.d.indicators if s.id == "5.2")
    row = en[en.index(f'<tr id="{s52.anchor}">'):]
    row = row[:row.index("</tr>")]
    assert f'<a href="dossier-{s52.min_city}-en.html#{s52.anchor}">{s52.min_city}</a>' in row
    assert f">{s52.median:.2f}<" in row and "3/4" in row


def test_both_languages_render(build, html):
    pl = html["pl"]
    assert '<html lang="pl">' in pl and "Porównanie miast (4), 2023" in pl and "poniżej najniższego poziomu" in pl
    assert all(pl.count(f'href="dossier-{code}-pl.html"') == 1 for code in CODES)
    s52 = next(s for s in build.d.indicators if s.id == "5.2")
    assert f">{format(s52.median, '.2f').replace('.', ',')}<" in pl                # a decimal comma
    assert 'hreflang="en"' in render_comparison(build.d, "pl", other_href=comparison_name("en"))
    with pytest.raises(ValueError):
        render_comparison(build.d, "de")


def test_json_names_and_same_store_same_bytes(build):
    assert COMPARISON_JSON == "comparison.json" and comparison_name("pl") == "comparison-pl.html"
    text = comparison_json(build.d)
    assert Comparison.model_validate_json(text) == build.d
    con = connect(build.store, read_only=True)
    try:
        assert comparison_json(collect_comparison(con, build.catalogue)) == text
    finally:
        con.close()


def test_city_without_the_latest_year_build_finding_and_hostile_name(build, tmp_path):
    store = tmp_path / "store.duckdb"
    shutil.copy(build.store, store)
    con = connect(store)
    try:
        for table in ("calculation_keys", "certification", "results"):
            con.execute(f"DELETE FROM {table} WHERE city_code = ? AND year = 2023", [LOW])
        con.execute("UPDATE cities SET name_en = '<b>Bad</b> & co' WHERE city_code = ?", [WARNED])
        con.execute("INSERT INTO findings (rule_id, test, level, severity, message, message_id, message_args) "
                    "VALUES ('r', 't', 1, 'error', 'whole build', 'whole build', '{}')")
        d = collect_comparison(con, build.catalogue)
    finally:
        con.close()
    low = next(c for c in d.cities if c.code == LOW)
    assert not low.calculated and low.level is None and low.total_reported is None
    assert sum(c.cities for c in d.levels if c.year == 2023) == 3
    assert {c.level: c.cities for c in d.levels if c.year == 2023}[None] == 0
    assert all(s.cities_total == 3 for s in d.indicators)
    before = {c.code: c.open_errors for c in build.d.cities}
    assert {c.code: c.open_errors for c in d.cities} == {k: v + 1 for k, v in before.items()}  # a finding of the whole build
    en = render_comparison(d, "en")
    assert "&lt;b&gt;Bad&lt;/b&gt; &amp; co" in en and "<b>Bad</b>" not in en
    assert "not calculated in this year" in en


def test_an_empty_store_gives_an_empty_page(build):
    con = connect(":memory:")
    try:
        d = collect_comparison(con, build.catalogue)
    finally:
        con.close()
    assert (d.latest_year, d.years, d.cities, d.levels, d.indicators) == (None, [], [], [], [])
    assert "<title>Comparison of cities (0)</title>" in render_comparison(d, "en")


def test_dossiers_rendered_by_worker_processes_equal_those_rendered_in_process(build, con, tmp_path, monkeypatch):
    import pipeline.dossier as dossier

    monkeypatch.setattr(dossier, "BATCH", 1)  # four batches: both workers get some
    one = dossier.render_dossier(con, build.catalogue, tmp_path / "one", ["en", "pl"], pdf=False, workers=1)
    two = dossier.render_dossier(con, build.catalogue, tmp_path / "two", ["en", "pl"], pdf=False, workers=2)
    assert [p.name for p in one] == [p.name for p in two] and len(one) == 4 * 3 + 3
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(one, two))


def test_json_validates_against_its_published_schema(build):
    schema = json.loads((ROOT / "schemas" / "comparison.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(json.loads(comparison_json(build.d)))


def test_a_dossier_shows_the_inputs_of_its_folder_and_no_archive_from_the_manifest(build, con, tmp_path):
    """One folder for many cities (``cities.yaml``): each dossier lists that folder's files."""
    from pipeline import release
    from pipeline.store.models import InputFile

    cur = con.execute("SELECT file_id, folder, role, bytes, sha256, media_type FROM input_files ORDER BY file_id")
    files = [InputFile(**dict(zip([c[0] for c in cur.description], r))) for r in cur.fetchall()]
    (tmp_path / "archive" / "raw").mkdir(parents=True)
    (tmp_path / "archive" / "raw" / "cities.yaml").write_text("copy\n")
    (tmp_path / "open-data").mkdir()
    (tmp_path / "open-data" / "indicators.csv").write_text("x\n")
    manifest = release.manifest(tmp_path, "b" * 64, files, {}, ["iso37120-2014"], YEARS, CATALOGUE, None)
    d = collect(con, build.catalogue, build.d.cities[0].code, manifest)
    assert {i.file_id for i in d.manifest.inputs} == {f.file_id for f in d.inventory.files} == {f.file_id for f in files}
    assert "cities.yaml" in {f.file_id for f in files}
    assert [o.path for o in d.manifest.outputs] == ["open-data/indicators.csv"]
