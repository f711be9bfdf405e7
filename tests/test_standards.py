"""Several standards for one city: the sample city reports ISO 37120:2014 and 2018 from one set of
inputs, a generated city reports all four standards of the catalogue; indicators defined alike in
two editions give the same value, and a crosswalk continues a series across the change."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from typer.testing import CliRunner

from pipeline.build import build
from pipeline.calculate import calculate
from pipeline.catalogue import load_catalogue
from pipeline.catalogue.crosswalks import Relation
from pipeline.cli import app
from pipeline.dossier.queries import collect
from pipeline.ingest import ingest
from pipeline.problems import ProblemsFound
from pipeline.store import connect
from pipeline.synth import generate
from pipeline.validate import validate
from tests.conftest import CATALOGUE, SAMPLE_RAW

pytestmark = pytest.mark.slow

BOTH = ["iso37120-2014", "iso37120-2018"]


@pytest.fixture(scope="module")
def sample(catalogue, tmp_path_factory):
    store = tmp_path_factory.mktemp("standards") / "store.duckdb"
    ingest(SAMPLE_RAW, catalogue, store)
    con = connect(store)
    calculate(con, catalogue)
    validate(con, catalogue)
    yield con
    con.close()


def test_the_sample_city_gets_values_and_levels_for_both_editions_from_its_inputs_once(sample):
    assert sample.execute("SELECT editions FROM cities").fetchone()[0] == BOTH
    levels = sample.execute("SELECT edition, count(*), count(level) FROM certification GROUP BY 1 ORDER BY 1").fetchall()
    assert levels == [("iso37120-2014", 5, 5), ("iso37120-2018", 5, 5)]
    per_edition = dict(sample.execute("SELECT edition, count(*) FILTER (WHERE status = 'reported') FROM results GROUP BY 1").fetchall())
    assert per_edition["iso37120-2014"] > 400 and per_edition["iso37120-2018"] > 400
    # one figure per variable and year, whatever the number of standards that use it
    assert sample.execute("SELECT count(*) FROM (SELECT city_code, year, variable FROM observations GROUP BY ALL HAVING count(*) > 1)").fetchone()[0] == 0
    # the population is read once and feeds the per-capita indicators of both editions
    used = sample.execute("""SELECT DISTINCT split_part(indicator_uid, ':', 1) FROM result_inputs
                             WHERE variable = 'population' ORDER BY 1""").fetchall()
    assert used == [("iso37120-2014",), ("iso37120-2018",)]


def test_an_indicator_defined_alike_in_two_editions_gives_the_same_value(sample, catalogue):
    alike = [lk for lk in catalogue.crosswalks.links if lk.relation in (Relation.same, Relation.renamed)
             and catalogue.indicators[lk.from_uid].calculation == catalogue.indicators[lk.to_uid].calculation]
    assert len(alike) > 60
    differ = sample.execute("""
        SELECT a.indicator_uid, b.indicator_uid, a.year, a.value, b.value
        FROM results a JOIN results b ON a.city_code = b.city_code AND a.year = b.year
        JOIN (SELECT unnest($from) AS f, unnest($to) AS t) pairs ON a.indicator_uid = pairs.f AND b.indicator_uid = pairs.t
        WHERE a.value IS DISTINCT FROM b.value OR a.status <> b.status""",
        {"from": [lk.from_uid for lk in alike], "to": [lk.to_uid for lk in alike]}).fetchall()
    assert differ == []
    compared = sample.execute("SELECT count(*) FROM results WHERE indicator_uid IN (SELECT unnest(?)) AND value IS NOT NULL",
                              [[lk.to_uid for lk in alike]]).fetchone()[0]
    assert compared >= 5 * 60


def test_a_dossier_per_standard_with_its_own_values_and_levels(sample, catalogue):
    first = collect(sample, catalogue, "9901011")
    second = collect(sample, catalogue, "9901011", edition="iso37120-2018")
    assert (first.edition.id, second.edition.id) == tuple(BOTH)
    assert first.city.editions == second.city.editions == BOTH
    assert {c.total_defined for c in first.certification} == {100}
    assert {c.total_defined for c in second.certification} == {104}
    uids = {ind.uid.split(":")[0] for th in second.themes for ind in th.indicators}
    assert uids == {"iso37120-2018"}
    # the 2018 tiers are mostly inferred: the dossier says its levels rest on them
    assert second.edition.tiers_inferred > 90 and first.edition.tiers_inferred == 0
    with pytest.raises(KeyError, match="does not report iso37122-2019"):
        collect(sample, catalogue, "9901011", edition="iso37122-2019")


def test_the_crosswalk_continues_a_series_across_the_change(catalogue, tmp_path):
    """2018 5.1 (unemployment, renamed) lacks its inputs in the first years: the 2014 values continue
    it; 2018 13.1 (poverty, changed) is continued with a break in series."""
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW, raw)
    # the city moves to the 2018 edition: 2018 has no input of its own for 13.1 in 2019–2020
    obs = raw / "zielonogrod" / "observations"
    dropped = 0
    for f in obs.glob("*.csv"):
        text = f.read_text(encoding="utf-8-sig")
        lines = text.splitlines(keepends=True)
        kept = [ln for ln in lines if not (("persons_below_international_poverty_line" in ln) and ("2019" in ln or "2020" in ln))]
        dropped += len(lines) - len(kept)
        f.write_text("".join(kept), encoding="utf-8")
    if not dropped:
        pytest.skip("the sample gives the 2018 poverty input in a workbook")
    store = tmp_path / "store.duckdb"
    ingest(raw, catalogue, store)
    con = connect(store)
    try:
        calculate(con, catalogue)
        d = collect(con, catalogue, "9901011", edition="iso37120-2018")
    finally:
        con.close()
    ind = next(i for th in d.themes for i in th.indicators if i.uid == "iso37120-2018:13.1")
    assert [c.year for c in ind.continued] == [2019, 2020]
    assert {(c.source.uid, c.relation, c.breaks) for c in ind.continued} == {("iso37120-2014:5.3", "changed", True)}
    assert all(c.value is not None for c in ind.continued)


def test_a_generated_city_reports_all_four_standards(catalogue, tmp_path):
    standards = sorted(catalogue.editions)
    assert standards == ["iso37120-2014", "iso37120-2018", "iso37122-2019", "iso37123-2019"]
    generate(tmp_path / "raw", catalogue, 1, [2022, 2023], seed=5, standards=standards)
    city = (tmp_path / "raw").glob("*/city.yaml").__next__().read_text(encoding="utf-8")
    assert "iso37123-2019" in city
    ingest(tmp_path / "raw", catalogue, tmp_path / "store.duckdb")
    con = connect(tmp_path / "store.duckdb")
    try:
        calculate(con, catalogue)
        report = validate(con, catalogue)
        rows = con.execute("""SELECT edition, count(*), count(level), min(total_defined) FROM certification
                              GROUP BY 1 ORDER BY 1""").fetchall()
        reported = dict(con.execute("""SELECT split_part(indicator_uid, ':', 1), count(*) FILTER (WHERE status = 'reported')
                                       FROM results GROUP BY 1""").fetchall())
    finally:
        con.close()
    # levels for the editions that define them; 37122 and 37123 count their indicators, without levels
    assert rows == [("iso37120-2014", 2, 2, 100), ("iso37120-2018", 2, 2, 104),
                    ("iso37122-2019", 2, 0, 80), ("iso37123-2019", 2, 0, 68)]
    assert all(reported[e] > 0 for e in standards)
    assert report.blocking == 0
    # the whole build: the bundle (a tier of its own for 37122/37123), a dossier per standard
    result = build(tmp_path / "raw", tmp_path / "out", catalogue, reports=tmp_path / "reports",
                   store=tmp_path / "work.duckdb", pdf=False, langs=["pl"])
    tiers = {r["tier"] for r in csv.DictReader((tmp_path / "out" / "open-data" / "indicators.csv").open(encoding="utf-8"))}
    assert tiers == {"core", "supporting", "profile", "indicator"}
    assert not result.up_to_date
    code = next(p.parent.name for p in (tmp_path / "raw").glob("*/city.yaml"))
    smart = (tmp_path / "reports" / f"dossier-{code}-iso37122-2019-pl.html").read_text(encoding="utf-8")
    assert "ta norma nie ma poziomów certyfikacji" in smart.lower() and "poniżej najniższego poziomu" not in smart


def test_a_city_names_a_standard_the_catalogue_lacks(catalogue, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW, raw)
    city = raw / "zielonogrod" / "city.yaml"
    city.write_text(city.read_text(encoding="utf-8").replace("  - iso37120-2018\n", "  - iso37120-2030\n"), encoding="utf-8")
    with pytest.raises(ProblemsFound) as e:
        ingest(raw, catalogue, tmp_path / "store.duckdb")
    [p] = [p for p in e.value.problems if p.rule == "unknown_edition"]
    assert (p.file, p.field, p.value) == ("zielonogrod/city.yaml", "standards.1", "iso37120-2030")
    assert p.line == 7


def test_catalog_commands_show_the_standards():
    runner = CliRunner()
    res = runner.invoke(app, ["catalog", "list", "--catalogue", str(CATALOGUE), "--edition", "iso37120-2018",
                              "--tier", "core", "--format", "json"], env={"ISO37120_LANG": "en"})
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert len(rows) == 45 and {r["tier"] for r in rows} == {"core"}
    assert sum(r["tier_basis"] == "inferred" for r in rows) > 40
    res = runner.invoke(app, ["catalog", "crosswalk", "--catalogue", str(CATALOGUE), "--edition", "iso37120-2018",
                              "--format", "json"], env={"ISO37120_LANG": "en"})
    links = json.loads(res.output)
    five_one = next(r for r in links if r["to"] == "iso37120-2018:5.1")
    assert (five_one["from"], five_one["relation"], five_one["continues_series"]) == ("iso37120-2014:5.1", "renamed", True)
    res = runner.invoke(app, ["catalog", "check", "--catalogue", str(CATALOGUE)], env={"ISO37120_LANG": "en"})
    assert "iso37122-2019: 80 indicators in 19 themes (no core/supporting split)" in res.output
    res = runner.invoke(app, ["catalog", "show", "12.1", "--catalogue", str(CATALOGUE), "--edition", "iso37120-2018"],
                        env={"ISO37120_LANG": "en"})
    assert "tier inferred" in res.output and "iso37120-2014:15.1 → iso37120-2018:12.1: changed" in res.output


def test_a_city_corrects_an_inferred_tier_by_editing_the_definition(tmp_path):
    root = tmp_path / "indicators"
    shutil.copytree(CATALOGUE, root)
    path = root / "iso37120-2018" / "05-economy" / "5.3.yaml"
    text = path.read_text(encoding="utf-8")
    assert "tier: supporting" in text and "tier_basis: inferred" in text
    path.write_text(text.replace("tier: supporting", "tier: core").replace("tier_basis: inferred", "tier_basis: confirmed"),
                    encoding="utf-8")
    cat = load_catalogue(root)
    ind = cat.indicators["iso37120-2018:5.3"]
    assert (ind.tier.value, ind.tier_basis.value) == ("core", "confirmed")


def test_crosswalk_files_are_checked(tmp_path):
    root = tmp_path / "indicators"
    shutil.copytree(CATALOGUE, root)
    bad = root / "crosswalks" / "iso37120-2014--iso37122-2019.yaml"
    bad.write_text("from: iso37120-2014\nto: iso37122-2019\npairs:\n"
                   "  - {from: \"5.1\", to: \"99.1\", relation: same}\n"
                   "  - {from: \"5.1\", to: \"5.1\", relation: same}\n", encoding="utf-8")
    (root / "crosswalks" / "wrong-name.yaml").write_text("from: iso37120-2014\nto: iso37120-2018\npairs: []\n", encoding="utf-8")
    with pytest.raises(ProblemsFound) as e:
        load_catalogue(root)
    got = {(p.file.split("/")[-1], p.rule, p.line) for p in e.value.problems}
    assert got == {("iso37120-2014--iso37122-2019.yaml", "unknown_indicator", 4),
                   ("iso37120-2014--iso37122-2019.yaml", "crosswalk_pair_repeated", 5),
                   ("wrong-name.yaml", "crosswalk_file_name_mismatch", 1)}
