"""End to end: tiny cities with known-bad inputs fire exactly the rules they should, and only those."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from pipeline.calculate import calculate
from pipeline.catalogue import load_catalogue
from pipeline.ingest import ingest
from pipeline.store import connect
from pipeline.validate import validate
from tests.conftest import INDICATORS, write_catalogue, write_city

GOOD = {
    "population": (1000, 1000), "unemployed": (50, 55), "labour_force": (500, 510), "firefighters": (10, 12),
    "income_lcu": (5000, 5100), "life_expectancy": (78, 78.2), "green_share": (30, 31), "climate": ("Dfb", "Dfb"),
}


def rows(values: dict, extra: list[dict] = ()) -> list[dict]:
    out = [{"year": y, "variable": v, "value": pair[i]} for v, pair in values.items() for i, y in enumerate((2022, 2023))
           if pair[i] is not None]
    return out + list(extra)


def run(tmp_path, catalogue_root, data, exceptions: str | None = None):
    cat = load_catalogue(catalogue_root)
    folder = write_city(tmp_path / "raw", data)
    if exceptions:
        (folder / "exceptions.yaml").write_text(exceptions, encoding="utf-8")
    ingest(tmp_path / "raw", cat, tmp_path / "store.duckdb")
    con = connect(tmp_path / "store.duckdb")
    calculate(con, cat)
    return validate(con, cat), con


def fired(report, severities=("error", "warning")) -> Counter:
    return Counter(f.rule_id for f in report.findings if f.severity in severities)


def test_clean_city_fires_no_error_or_warning(tmp_path, mini_catalogue):
    report, con = run(tmp_path, mini_catalogue, rows(GOOD))
    assert fired(report) == Counter()
    assert report.blocking == 0
    runs = {r.rule_id: r for r in report.rules}
    assert runs["range_results_test-ed:5.1"].checked == 2 and runs["range_results_test-ed:5.1"].failed == 0
    assert runs["not_above_observations_unemployed"].checked == 2
    assert con.execute("SELECT count(*) FROM rule_runs").fetchall()[0][0] == len(report.rules)


def test_known_bad_city_fires_exactly_these_rules(tmp_path, mini_catalogue):
    bad = {**GOOD,
           "unemployed": (50, 600),          # 2023: more unemployed than the labour force
           "firefighters": (-1, 30),         # 2022: negative count; 2023: a jump of +3100 %
           "green_share": (30, 120),         # 2023: a percentage above 100
           "life_expectancy": (78, None)}    # 2023: a core input missing with no reason
    extra = [{"year": 2023, "variable": "employed", "value": 400, "status": "estimated"}]  # flagged, no note
    report, _ = run(tmp_path, mini_catalogue, rows(bad, extra))
    assert fired(report) == Counter({
        "not_negative_observations_value": 1,
        "between_0_100_observations_value": 1,
        "not_above_observations_unemployed": 1,
        "note_on_flag_observations_note": 1,
        "range_results_test-ed:5.1": 1,
        "share_bounds_results_test-ed:5.1": 1,
        "range_results_test-ed:5.2": 1,
        "yoy_change_results_test-ed:5.2": 1,
        "reason_for_missing_results_test-ed:6.1": 1,
    })
    by_rule = {f.rule_id: f for f in report.findings}
    f = by_rule["not_above_observations_unemployed"]
    assert (f.city_code, f.year, f.variable, f.file_id, f.row, f.level, f.severity) == (
        "0001", 2023, "unemployed", "testville/observations/obs.csv", 5, 1, "error")
    assert by_rule["yoy_change_results_test-ed:5.2"].severity == "warning"
    assert by_rule["yoy_change_results_test-ed:5.2"].level == 2
    # a value outside its plausible range is a warning; a part above its whole is an error
    assert by_rule["range_results_test-ed:5.1"].severity == "warning"
    assert by_rule["share_bounds_results_test-ed:5.1"].severity == "error"
    assert report.blocking == 5
    levels = {(s.level, s.severity): s.findings for s in report.summary}
    assert levels == {(1, "error"): 5, (1, "warning"): 3, (2, "warning"): 1}


def test_a_note_explains_a_large_change(tmp_path, mini_catalogue):
    data = rows({**GOOD, "firefighters": (10, None)},
                [{"year": 2023, "variable": "firefighters", "value": 30, "note": "new fire station opened"}])
    report, _ = run(tmp_path, mini_catalogue, data)
    [f] = [f for f in report.findings if f.rule_id == "yoy_change_results_test-ed:5.2"]
    assert (f.severity, f.indicator_uid, f.year) == ("information", "test-ed:5.2", 2023)
    assert "explained: firefighters: new fire station opened" in f.message


def test_a_note_explains_a_value_outside_its_plausible_range(tmp_path):
    data = rows({**GOOD, "firefighters": (10, None)},  # 2023: 1200 per 100 000, above the plausible 1000
                [{"year": 2023, "variable": "firefighters", "value": 12, "note": "count includes the airport brigade"}])
    report, _ = run(tmp_path, limited(tmp_path, ""), data)
    [f] = [f for f in report.findings if f.rule_id == "range_results_test-ed:5.2"]
    assert (f.year, f.severity, f.observed) == (2023, "information", "1200")
    assert "explained: firefighters: count includes the airport brigade" in f.message


def limited(tmp_path, extra_checks: str):
    five_two = INDICATORS["5.2"].replace("  - {kind: range, min: 0}", "  - {kind: range, min: 0, max: 1000}\n" + extra_checks)
    return write_catalogue(tmp_path, {**INDICATORS, "5.2": five_two})


def test_limits_block_an_absurd_value_that_a_note_cannot_explain(tmp_path):
    root = limited(tmp_path, "  - {kind: limits, min: 0, max: 100000}")
    data = rows({**GOOD, "firefighters": (10, None)},
                [{"year": 2023, "variable": "firefighters", "value": 1200, "note": "typed in the wrong column"}])
    report, _ = run(tmp_path, root, data)
    got = {(f.rule_id, f.severity) for f in report.findings if f.year == 2023 and f.indicator_uid == "test-ed:5.2"}
    assert ("limits_results_test-ed:5.2", "error") in got and ("range_results_test-ed:5.2", "information") in got
    assert report.blocking == 1


def test_a_definition_declares_the_severity_of_its_checks(tmp_path):
    root = limited(tmp_path, "  - {kind: limits, max: 100000, severity: warning}")
    data = rows({**GOOD, "firefighters": (10, 1200)})
    report, _ = run(tmp_path, root, data)
    [f] = [f for f in report.findings if f.rule_id == "limits_results_test-ed:5.2"]
    assert f.severity == "warning" and report.blocking == 0
    run_ = {r.rule_id: r for r in report.rules}["limits_results_test-ed:5.2"]
    assert (run_.severity, run_.failed) == ("warning", 1)


def test_parts_that_split_one_whole_must_sum(tmp_path):
    part = INDICATORS["5.1"].replace("- {kind: range, min: 0, max: 100}", "- {kind: range, min: 0, max: 100}\n  - {kind: parts_sum, group: labour-status, tolerance: 0.5}")
    other = part.replace('id: "5.1"', 'id: "5.4"').replace("numerator: unemployed", "numerator: employed").replace("tier: core", "tier: supporting")
    root = write_catalogue(tmp_path, {**INDICATORS, "5.1": part, "5.4": other})
    data = rows(GOOD, [{"year": 2022, "variable": "employed", "value": 450}, {"year": 2023, "variable": "employed", "value": 400}])
    report, _ = run(tmp_path, root, data)
    [f] = [f for f in report.findings if f.rule_id == "parts_sum_results_test-ed:labour-status"]
    assert (f.year, f.observed) == (2023, "89.21")  # 10.78 + 78.43; 2022 sums to 100


def test_accepted_exceptions_unblock_and_stay_visible(tmp_path, mini_catalogue):
    bad = {**GOOD, "life_expectancy": (78, None), "firefighters": (10, 30)}
    exceptions = """\
exceptions:
  - rule_id: reason_for_missing_results_test-ed:6.1
    year: 2023
    accepted_by: Anna Nowak
    role: Head of statistics
    accepted_on: 2024-03-12
    reason: The life table for 2023 is published in June; reported next year.
  - rule_id: yoy_change_results_test-ed:5.2
    accepted_by: Anna Nowak
    role: Head of statistics
    accepted_on: 2024-03-12
    reason: Two new fire stations.
  - rule_id: range_results_test-ed:5.1
    accepted_by: Anna Nowak
    role: Head of statistics
    accepted_on: 2024-03-12
    reason: Stale acceptance from last year.
"""
    report, _ = run(tmp_path, mini_catalogue, rows(bad), exceptions)
    assert report.blocking == 0
    accepted = {f.rule_id: f for f in report.findings if f.accepted}
    assert set(accepted) == {"reason_for_missing_results_test-ed:6.1", "yoy_change_results_test-ed:5.2"}
    f = accepted["reason_for_missing_results_test-ed:6.1"]
    assert (f.accepted_by, f.accepted_role, str(f.accepted_on)) == ("Anna Nowak", "Head of statistics", "2024-03-12")
    [stale] = [f for f in report.findings if f.test == "unused_exception"]
    assert (stale.observed, stale.severity, stale.file_id, stale.row) == (
        "range_results_test-ed:5.1", "information", "testville/exceptions.yaml", 13)


def test_a_finding_that_two_entries_accept_is_accepted_by_the_first_in_the_file(tmp_path, mini_catalogue):
    bad = {**GOOD, "firefighters": (10, 30)}
    exceptions = """\
exceptions:
  - rule_id: yoy_change_results_test-ed:5.2
    year: 2023
    accepted_by: Zofia Zielinska
    role: Fire service liaison
    accepted_on: 2024-03-14
    reason: Two new fire stations in 2023.
  - rule_id: yoy_change_results_test-ed:5.2
    accepted_by: Anna Nowak
    role: Head of statistics
    accepted_on: 2024-03-12
    reason: Any year, checked with the fire service.
"""
    report, _ = run(tmp_path, mini_catalogue, rows(bad), exceptions)
    [f] = [f for f in report.findings if f.rule_id == "yoy_change_results_test-ed:5.2"]
    assert f.accepted and (f.accepted_by, f.accepted_role, str(f.accepted_on)) == (
        "Zofia Zielinska", "Fire service liaison", "2024-03-14")
    assert not [f for f in report.findings if f.test == "unused_exception"]


def test_revision_without_record_is_a_warning(tmp_path, mini_catalogue):
    first, con = run(tmp_path, mini_catalogue, rows(GOOD))
    con.close()
    (tmp_path / "store.duckdb").rename(tmp_path / "previous.duckdb")
    cat = load_catalogue(mini_catalogue)
    write_city(tmp_path / "raw", rows({**GOOD, "firefighters": (11, 12)}))
    ingest(tmp_path / "raw", cat, tmp_path / "store.duckdb")
    con = connect(tmp_path / "store.duckdb")
    calculate(con, cat)
    report = validate(con, cat, previous=tmp_path / "previous.duckdb")
    [f] = [f for f in report.findings if f.rule_id == "revision_results_value"]
    assert (f.indicator_uid, f.year, f.observed) == ("test-ed:5.2", 2022, "1000 → 1100")
    # the indicator, the year and the input row that changed, with its place
    assert f.message == ("5.2 2022: the released value 1000 is now 1100 and no input is marked revised; "
                         "inputs changed since: firefighters 2022 10 → 11 (testville/observations/obs.csv:8)")
    assert (f.file_id, f.row) == ("testville/observations/obs.csv", 8)


@pytest.mark.parametrize("status", ["revised"])
def test_revision_with_record_passes(tmp_path, mini_catalogue, status):
    _, con = run(tmp_path, mini_catalogue, rows(GOOD))
    con.close()
    (tmp_path / "store.duckdb").rename(tmp_path / "previous.duckdb")
    cat = load_catalogue(mini_catalogue)
    data = rows({**GOOD, "firefighters": (None, 12)}, [{"year": 2022, "variable": "firefighters", "value": 11, "status": status, "note": "corrected count"}])
    write_city(tmp_path / "raw", data)
    ingest(tmp_path / "raw", cat, tmp_path / "store.duckdb")
    con = connect(tmp_path / "store.duckdb")
    calculate(con, cat)
    report = validate(con, cat, previous=tmp_path / "previous.duckdb")
    assert [f for f in report.findings if f.rule_id == "revision_results_value"] == []


def test_real_catalogue_lets_through_what_real_cities_report_and_stops_the_absurd(tmp_path, catalogue):
    """ISO 37120:2014 as shipped: tax collected above tax billed (arrears), gross enrolment above
    100 % and more registered voters than the estimated voting-age population are no error; an
    enrolment of thousands of per cent is."""
    from tests.conftest import CITY_YAML

    city = CITY_YAML.format(code="0001").replace("edition: test-ed", "edition: iso37120-2014")
    data = [{"year": 2023, "variable": v, "value": x, "unit": u} for v, x, u in [
        ("population", 50000, "persons"), ("tax_billed_lcu", 1000000, "PLN"), ("tax_collected_lcu", 1043000, "PLN"),
        ("school_aged_population", 6000, "persons"), ("school_aged_enrolled", 6240, "persons"),
        ("school_aged_female_population", 2900, "persons"), ("school_aged_female_enrolled", 90000, "persons"),
        ("voting_age_population", 40000, "persons"), ("registered_voters", 40700, "persons")]]
    write_city(tmp_path / "raw", data, city_yaml=city)
    ingest(tmp_path / "raw", catalogue, tmp_path / "store.duckdb")
    con = connect(tmp_path / "store.duckdb")
    calculate(con, catalogue)
    report = validate(con, catalogue)
    mine = {"iso37120-2014:9.4", "iso37120-2014:6.6", "iso37120-2014:6.1", "iso37120-2014:11.6"}
    got = sorted((f.rule_id, f.severity, f.observed) for f in report.findings if f.indicator_uid in mine)
    assert got == [("limits_results_iso37120-2014:6.1", "error", "3103.45"),
                   ("range_results_iso37120-2014:6.1", "warning", "3103.45")]
    values = dict(con.execute("SELECT indicator_id, value FROM results WHERE status = 'reported'").fetchall())
    assert (values["9.4"], values["6.6"], values["11.6"]) == (Decimal("104.3"), Decimal("104"), Decimal("101.75"))


def test_an_acceptance_of_a_rule_id_that_does_not_exist_says_so(tmp_path, mini_catalogue):
    exceptions = """\
exceptions:
  - rule_id: parts_sum_results_labour-status
    accepted_by: Anna Nowak
    role: Head of statistics
    accepted_on: 2024-03-12
    reason: Copied from an old manual.
"""
    report, _ = run(tmp_path, mini_catalogue, rows(GOOD), exceptions)
    [stale] = [f for f in report.findings if f.test == "unused_exception"]
    assert (stale.rule_id, stale.observed) == ("unused_exception_parts_sum_results_labour-status", "parts_sum_results_labour-status")
    assert stale.message == "no rule has this id (the README lists the rule ids)"


def test_a_value_given_as_reported_that_the_inputs_contradict_is_a_warning(tmp_path, mini_catalogue):
    data = rows(GOOD, [{"year": 2023, "variable": "5.2", "value": "1150.5", "unit": "per 100 000 population"}])
    report, con = run(tmp_path, mini_catalogue, data)  # the inputs give 12 / 1000 × 100 000 = 1200
    [f] = [f for f in report.findings if f.rule_id == "matches_reported_results_value"]
    assert (f.severity, f.indicator_uid, f.year, f.observed, f.expected) == (
        "warning", "test-ed:5.2", 2023, "1200", "1150.5")
    assert report.blocking == 0
    assert con.execute("SELECT value, origin FROM results WHERE indicator_id = '5.2' AND year = 2023").fetchall() == [
        (Decimal("1200"), "computed")]
