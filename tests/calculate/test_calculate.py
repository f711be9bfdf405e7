"""The calculation stage on tiny cities whose values were worked out by hand."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from pipeline.calculate import calculate
from pipeline.calculate.explain import as_text, explain
from pipeline.catalogue import load_catalogue
from pipeline.ingest import ingest
from pipeline.problems import ProblemsFound
from pipeline.store import connect
from tests.conftest import write_city

BASE = [
    {"year": 2022, "variable": "population", "value": 1000000},
    {"year": 2023, "variable": "population", "value": 1010000},
    {"year": 2023, "variable": "unemployed", "value": 9021, "status": "estimated", "note": "survey estimate"},
    {"year": 2023, "variable": "labour_force", "value": 700000},
    {"year": 2023, "variable": "firefighters", "value": 1567},
    {"year": 2023, "variable": "income_lcu", "value": 52345678},
    {"year": 2023, "variable": "life_expectancy", "value": "78.45"},
    {"year": 2023, "variable": "climate", "value": "Dfb"},
]


def run(tmp_path, rows, catalogue_root):
    cat = load_catalogue(catalogue_root)
    write_city(tmp_path / "raw", rows)
    ingest(tmp_path / "raw", cat, tmp_path / "store.duckdb")
    con = connect(tmp_path / "store.duckdb")
    summary = calculate(con, cat)
    return cat, con, summary


def result(con, ind, year=2023):
    cols = ["value", "value_text", "status", "reason_code", "reason", "missing", "flags", "source_ids",
            "numerator", "denominator", "previous_value", "origin"]
    row = con.execute(f"SELECT {', '.join(cols)} FROM results WHERE indicator_id = ? AND year = ?", [ind, year]).fetchall()
    return dict(zip(cols, row[0]))


@pytest.fixture
def base(tmp_path, mini_catalogue):
    return run(tmp_path, BASE, mini_catalogue)


def test_ratio_per_100_rounds_half_away_from_zero(base):
    _, con, _ = base
    r = result(con, "5.1")  # 9021 / 700000 × 100 = 1.288714… → 1.29
    assert (r["value"], r["status"], r["numerator"], r["denominator"]) == (Decimal("1.29"), "reported", 9021, 700000)


def test_ratio_per_100000_with_two_decimals(base):
    _, con, _ = base
    assert result(con, "5.2")["value"] == Decimal("155.15")  # 1567 / 1010000 × 100000 = 155.148…


def test_the_unrounded_value_is_kept_next_to_the_published_one(base):
    _, con, _ = base
    [(value, unrounded, decimals, origin)] = con.execute(
        "SELECT value, value_unrounded, decimals, origin FROM results WHERE indicator_id = '5.2' AND year = 2023").fetchall()
    assert (value, decimals, origin) == (Decimal("155.15"), 2, "computed")
    assert unrounded == pytest.approx(1567 / 1010000 * 100000, rel=1e-12)


def test_a_small_magnitude_keeps_four_significant_digits(tmp_path, mini_catalogue):
    rows = [r for r in BASE if r["variable"] != "income_lcu"] + [{"year": 2023, "variable": "income_lcu", "value": 234}]
    _, con, _ = run(tmp_path, rows, mini_catalogue)
    [(value, decimals)] = con.execute("SELECT value, decimals FROM results WHERE indicator_id = '5.3' AND year = 2023").fetchall()
    assert (value, decimals) == (Decimal("0.0002317"), 7)  # 234 / 1010000 = 0.000231683…


def test_ratio_per_capita(base):
    _, con, _ = base
    assert result(con, "5.3")["value"] == Decimal("51.83")  # 52345678 / 1010000 = 51.8274…


def test_direct_value_keeps_the_decimals_it_was_written_with(base):
    _, con, _ = base
    assert result(con, "6.1")["value"] == Decimal("78.45")
    assert con.execute("SELECT decimals FROM results WHERE indicator_id = '6.1' AND year = 2023").fetchall() == [(2,)]


def test_direct_text_value(base):
    _, con, _ = base
    r = result(con, "P14-GAC-02")
    assert (r["value"], r["value_text"], r["status"]) == (None, "Dfb", "reported")


def test_change_between_years(base):
    _, con, _ = base
    assert result(con, "P14-P-09")["value"] == Decimal("1.00")  # (1010000 − 1000000) / 1000000 × 100
    first = result(con, "P14-P-09", 2022)
    assert (first["status"], first["reason_code"], first["missing"]) == ("not_available", "missing_input", ["population (2021)"])


def test_status_flag_and_sources_are_carried(base):
    _, con, _ = base
    r = result(con, "5.1")
    assert (r["flags"], r["source_ids"]) == (["estimated"], ["S1"])


def test_missing_input_names_the_variable(base):
    _, con, _ = base
    r = result(con, "5.1", 2022)
    assert (r["status"], r["reason_code"], r["missing"], r["value"]) == ("not_available", "missing_input", ["unemployed", "labour_force"], None)
    assert r["reason"] == "unemployed, labour_force"  # the details of missing_input


def test_zero_denominator_is_not_a_value(tmp_path, mini_catalogue):
    rows = [r for r in BASE if r["variable"] != "labour_force"] + [{"year": 2023, "variable": "labour_force", "value": 0}]
    _, con, _ = run(tmp_path, rows, mini_catalogue)
    r = result(con, "5.1")
    assert (r["value"], r["status"], r["reason_code"]) == (None, "not_available", "zero_denominator")
    assert r["reason"] == "labour_force"  # the details of zero_denominator: the denominator


def test_not_available_input_gives_its_reason(tmp_path, mini_catalogue):
    rows = [r for r in BASE if r["variable"] != "firefighters"] + [
        {"year": 2023, "variable": "firefighters", "status": "not_available", "note": "fire service did not answer"}]
    _, con, _ = run(tmp_path, rows, mini_catalogue)
    r = result(con, "5.2")
    assert (r["status"], r["reason_code"], r["reason"]) == ("not_available", "input_not_available", "firefighters: fire service did not answer")


def test_not_applicable_input(tmp_path, mini_catalogue):
    rows = [r for r in BASE if r["variable"] != "firefighters"] + [
        {"year": 2023, "variable": "firefighters", "status": "not_applicable", "note": "no fire service in the city"}]
    _, con, _ = run(tmp_path, rows, mini_catalogue)
    assert result(con, "5.2")["status"] == "not_applicable"


def test_year_over_year_change(tmp_path, mini_catalogue):
    rows = BASE + [{"year": 2022, "variable": "firefighters", "value": 1500}]
    _, con, _ = run(tmp_path, rows, mini_catalogue)
    got = con.execute("SELECT previous_value, yoy_change, round(yoy_relative, 4) FROM results WHERE indicator_id = '5.2' AND year = 2023").fetchall()
    assert got == [(Decimal("150.00"), Decimal("5.15"), 0.0343)]  # 150.00 → 155.15


def test_lineage_reaches_the_raw_row_and_its_hash(base, tmp_path):
    cat, con, _ = base
    digest = hashlib.sha256((tmp_path / "raw" / "testville" / "observations" / "obs.csv").read_bytes()).hexdigest()
    rows = con.execute("""SELECT role, variable, obs_year, file_id, row, sha256, organisation FROM lineage
                          WHERE indicator_uid = 'test-ed:5.1' AND year = 2023 ORDER BY role""").fetchall()
    assert rows == [
        ("denominator", "labour_force", 2023, "testville/observations/obs.csv", 5, digest, "Test office"),
        ("numerator", "unemployed", 2023, "testville/observations/obs.csv", 4, digest, "Test office"),
    ]
    text = as_text(explain(con, cat, "5.1", "0001", 2023))
    assert "1.29 %" in text and "row 4" in text and digest in text and "estimated" in text


def test_coverage_and_certification_level(base):
    _, con, summary = base
    levels = {lv.year: (lv.core_reported, lv.total_reported, lv.level) for lv in summary.levels}
    assert levels == {2022: (0, 0, None), 2023: (2, 4, "bronze")}
    themes = con.execute("SELECT theme, tier, defined, reported FROM coverage WHERE year = 2023 AND theme <> '*' ORDER BY ALL").fetchall()
    assert themes == [("5", "core", 1, 1), ("5", "supporting", 2, 2), ("6", "core", 1, 1), ("geography-and-climate", "profile", 1, 1), ("people", "profile", 1, 1)]


def test_the_sql_as_run_is_kept_and_reruns(base, tmp_path):
    _, con, _ = base
    con.close()
    con = connect(tmp_path / "store.duckdb", read_only=True)
    sql = con.execute("SELECT sql FROM calculations WHERE indicator_uid = 'test-ed:5.2'").fetchall()[0][0]
    assert "firefighters" in sql and "100000" in sql
    rerun = con.execute(f"SELECT year, rounded FROM ({sql}) ORDER BY year").fetchall()
    assert rerun == [(2022, None), (2023, Decimal("155.15"))]


def test_reruns_give_identical_results(base, mini_catalogue):
    cat, con, _ = base
    first = con.execute("SELECT * FROM results ORDER BY ALL").fetchall()
    calculate(con, cat)
    assert con.execute("SELECT * FROM results ORDER BY ALL").fetchall() == first


def test_stage_runs_sandboxed(base):
    _, con, _ = base
    with pytest.raises(Exception, match="[Pp]ermission|disabled"):
        con.execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()
    with pytest.raises(Exception):
        con.execute("SET lock_configuration = false")


def test_a_value_given_as_reported_stands_in_for_missing_inputs(tmp_path, mini_catalogue):
    rows = [r for r in BASE if r["variable"] != "firefighters"] + [
        {"year": 2023, "variable": "5.2", "value": "155.2", "unit": "per 100 000 population", "status": "provisional",
         "note": "from last year's publication"}]
    cat, con, _ = run(tmp_path, rows, mini_catalogue)
    [(value, decimals, origin, status, flags, numerator)] = con.execute(
        """SELECT value, decimals, origin, status, flags, numerator FROM results
           WHERE indicator_id = '5.2' AND year = 2023""").fetchall()
    assert (value, decimals, origin, status, flags, numerator) == (Decimal("155.2"), 1, "reported", "reported", ["provisional"], None)
    lineage = con.execute("""SELECT role, variable, row FROM lineage WHERE indicator_uid = 'test-ed:5.2' AND year = 2023""").fetchall()
    assert lineage == [("reported", "test-ed:5.2", 9)]
    assert "reported, not computed" in as_text(explain(con, cat, "5.2", "0001", 2023))


def test_a_value_given_as_reported_by_uid_in_polish_units(tmp_path, mini_catalogue):
    rows = [r for r in BASE if r["variable"] != "firefighters"] + [
        {"year": 2023, "variable": "test-ed:5.2", "value": "\"155,2\"", "unit": "na 100 000 mieszkańców"}]
    _, con, _ = run(tmp_path, rows, mini_catalogue)
    r = result(con, "5.2")
    assert (r["value"], r["origin"], r["reason"]) == (Decimal("155.2"), "reported", None)


def test_computed_value_wins_and_the_reported_one_is_kept_for_the_check(tmp_path, mini_catalogue):
    rows = BASE + [{"year": 2023, "variable": "5.2", "value": "155.1", "unit": "per 100 000 population"}]
    _, con, _ = run(tmp_path, rows, mini_catalogue)
    [(value, origin, reported, reported_decimals)] = con.execute(
        """SELECT value, origin, reported_value, reported_decimals FROM results
           WHERE indicator_id = '5.2' AND year = 2023""").fetchall()
    assert (value, origin, reported, reported_decimals) == (Decimal("155.15"), "computed", Decimal("155.1"), 1)


def test_a_percentage_given_as_reported_as_a_fraction_is_refused(tmp_path, mini_catalogue):
    rows = [r for r in BASE if r["variable"] != "unemployed"] + [
        {"year": 2023, "variable": "5.1", "value": "0.0129", "unit": "%"}]
    with pytest.raises(ProblemsFound) as e:
        run(tmp_path, rows, mini_catalogue)
    assert [(p.row, p.rule) for p in e.value.problems] == [(9, "share_as_fraction")]


def test_a_percentage_given_as_reported_with_its_sign(tmp_path, mini_catalogue):
    rows = [r for r in BASE if r["variable"] != "unemployed"] + [
        {"year": 2023, "variable": "5.1", "value": "1.29 %", "unit": "%"}]
    _, con, _ = run(tmp_path, rows, mini_catalogue)
    assert (result(con, "5.1")["value"], result(con, "5.1")["status"]) == (Decimal("1.29"), "reported")
