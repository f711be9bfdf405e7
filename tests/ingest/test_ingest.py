"""Ingest on real files built in code: the traps of real submissions, each with its rule and place."""

from __future__ import annotations

import hashlib
from decimal import Decimal
import os
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipeline.catalogue import load_catalogue
from pipeline.ingest import ingest
from pipeline.problems import ProblemsFound
from tests.conftest import CITY_YAML, write_city

HEADER = "year,variable,value,unit,source_id,status,note\n"


def tree_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def cat(mini_catalogue):
    return load_catalogue(mini_catalogue)


def load(tmp_path, cat, **kw):
    raw = tmp_path / "raw"
    before = tree_hashes(raw)
    try:
        return ingest(raw, cat, tmp_path / "out" / "store.duckdb", **kw)
    finally:
        assert tree_hashes(raw) == before, "ingest modified the raw folder"


def problems(tmp_path, cat, **kw) -> list[tuple]:
    with pytest.raises(ProblemsFound) as e:
        load(tmp_path, cat, **kw)
    assert not (tmp_path / "out" / "store.duckdb").exists(), "a failed ingest must not leave a store"
    assert [p.name for p in (tmp_path / "out").iterdir()] == [], "no temporary files may be left"
    return [(p.file.rsplit("/", 1)[-1], p.sheet, p.row, p.column, p.rule) for p in e.value.problems]


def observations(tmp_path) -> list[tuple]:
    con = duckdb.connect(str(tmp_path / "out" / "store.duckdb"), read_only=True)
    return con.execute("SELECT year, variable, value, row FROM observations ORDER BY year, variable").fetchall()


def repairs(tmp_path) -> list[tuple]:
    con = duckdb.connect(str(tmp_path / "out" / "store.duckdb"), read_only=True)
    return con.execute('SELECT row, "column", rule, original, repaired FROM repairs ORDER BY ALL').fetchall()


def test_clean_city_loads_with_inventory(tmp_path, cat):
    folder = write_city(tmp_path / "raw", [{"year": 2023, "variable": "population", "value": 1000}])
    report = load(tmp_path, cat)
    assert (report.cities, report.observations, report.repairs) == (["0001"], 1, {})
    inv = {f.file_id: (f.role, f.sha256) for f in report.files}
    assert inv["testville/observations/obs.csv"] == ("observations", hashlib.sha256((folder / "observations" / "obs.csv").read_bytes()).hexdigest())
    assert inv["testville/city.yaml"][0] == "city" and inv["testville/sources.csv"][0] == "sources"


def test_polish_number_formats_are_repaired_and_recorded(tmp_path, cat):
    text = ("\ufeffyear;variable;value;unit;source_id\n"
            "2023;population;1 395 290;persons;S1\n"
            "2023;labour_force;1.395.290;persons;S1\n"
            "2023;life_expectancy;78,45;years;S1\n"
            "\n"
            "2023;income_lcu;12 345,50 zł;PLN;S1\n"
            "2023;green_share;9,21%;%;S1\n"
            " 2023 ; unemployed ;  1\u00a0234  ; persons ;S1\n")
    write_city(tmp_path / "raw", text)
    load(tmp_path, cat)
    got = {v: (val, row) for _, v, val, row in observations(tmp_path)}
    assert {k: format(v[0].normalize(), "f") for k, v in got.items()} == {
        "population": "1395290", "labour_force": "1395290", "life_expectancy": "78.45",
        "income_lcu": "12345.5", "green_share": "9.21", "unemployed": "1234"}
    assert got["income_lcu"][1] == 6 and got["unemployed"][1] == 8  # the blank line 5 still counts
    rules = {(row, col, rule) for row, col, rule, _, _ in repairs(tmp_path)}
    assert {(None, None, "bom_removed"), (1, None, "semicolon_separator"), (2, "value", "thousands_separator"),
            (3, "value", "thousands_separator"), (4, "value", "decimal_comma"), (5, None, "empty_row_skipped"),
            (6, "value", "currency_sign_removed"), (6, "value", "decimal_comma"), (6, "value", "thousands_separator"),
            (7, "value", "percent_sign_removed"), (7, "value", "decimal_comma"), (8, "variable", "whitespace_trimmed"),
            (8, "value", "whitespace_trimmed"), (8, "year", "whitespace_trimmed")} <= rules


def test_comma_thousands_with_several_groups(tmp_path, cat):
    write_city(tmp_path / "raw", HEADER + '2023,population,"1,395,290",persons,S1,,\n')
    load(tmp_path, cat)
    assert observations(tmp_path)[0][2] == 1395290


@pytest.mark.parametrize("value, rule", [
    ('"1,395"', "ambiguous_separator"),
    ("abc", "not_a_number"),
    ("12..5", "not_a_number"),
])
def test_unreadable_numbers(tmp_path, cat, value, rule):
    write_city(tmp_path / "raw", HEADER + f"2023,population,{value},persons,S1,,\n")
    assert problems(tmp_path, cat) == [("obs.csv", None, 2, "value", rule)]


def test_dot_group_is_ambiguous_in_a_file_with_decimal_commas(tmp_path, cat):
    write_city(tmp_path / "raw", HEADER + '2023,life_expectancy,"78,4",years,S1,,\n2023,population,1.395,persons,S1,,\n')
    assert problems(tmp_path, cat) == [("obs.csv", None, 3, "value", "ambiguous_separator")]


def test_every_problem_of_a_run_is_reported_with_its_place(tmp_path, cat):
    text = HEADER + "\n".join([
        "2023,population,1000,persons,S1,,",           # 2 fine
        "2023,populaton,1000,persons,S1,,",            # 3 unknown variable
        "2023,labour_force,500,persons,S9,,",          # 4 unknown source
        "2023,unemployed,12,tonnes,S1,,",              # 5 unit mismatch
        "2023,green_share,0.0921,%,S1,,",              # 6 share as a fraction
        "2022/23,firefighters,10,persons,S1,,",        # 7 fiscal year
        "2023,population,1001,persons,S1,,",           # 8 duplicate of row 2
        "2023,firefighters,13.95,persons,S1,,",        # 9 a count that is not whole
        "2023,life_expectancy,,years,S1,,",            # 10 empty value without status
        "2023,income_lcu,,PLN,,not_available,",        # 11 not available without a reason
        "2023,climate,Dfb,text,S1,guessed,",           # 12 unknown status
        "2023,unemployed,5%,persons,S1,,",             # 13 % on a count (and a duplicate of row 5)
    ]) + "\n"
    write_city(tmp_path / "raw", text)
    assert problems(tmp_path, cat) == [
        ("obs.csv", None, 3, "variable", "unknown_variable"),
        ("obs.csv", None, 4, "source_id", "unknown_source"),
        ("obs.csv", None, 5, "unit", "unit_mismatch"),
        ("obs.csv", None, 6, "value", "share_as_fraction"),
        ("obs.csv", None, 7, "year", "fiscal_year"),
        ("obs.csv", None, 8, "variable", "duplicate_observation"),
        ("obs.csv", None, 9, "value", "not_whole_number"),
        ("obs.csv", None, 10, "value", "missing_value"),
        ("obs.csv", None, 11, "note", "not_available_without_note"),
        ("obs.csv", None, 12, "status", "unknown_status"),
        ("obs.csv", None, 13, "value", "percent_sign_unexpected"),
        ("obs.csv", None, 13, "variable", "duplicate_observation"),
    ]


def test_unknown_variable_suggests_the_nearest(tmp_path, cat):
    write_city(tmp_path / "raw", HEADER + "2023,populaton,1000,persons,S1,,\n")
    with pytest.raises(ProblemsFound) as e:
        load(tmp_path, cat)
    assert "did you mean population?" in e.value.problems[0].message


def test_missing_required_column(tmp_path, cat):
    write_city(tmp_path / "raw", "year,variable,value,source_id\n2023,population,1000,S1\n")
    assert problems(tmp_path, cat) == [("obs.csv", None, 1, "unit", "missing_column")]


def test_unknown_column(tmp_path, cat):
    write_city(tmp_path / "raw", "year,variable,value,unit,source_id,comment\n2023,population,1000,persons,S1,x\n")
    assert problems(tmp_path, cat) == [("obs.csv", None, 1, "comment", "unknown_column")]


def test_empty_file(tmp_path, cat):
    write_city(tmp_path / "raw", "")
    assert problems(tmp_path, cat) == [("obs.csv", None, None, None, "empty_file")]


def test_file_not_utf8(tmp_path, cat):
    folder = write_city(tmp_path / "raw", [])
    (folder / "observations" / "obs.csv").write_bytes((HEADER + "2023,population,1000,osób,S1,,\n").encode("cp1250"))
    with pytest.raises(ProblemsFound) as e:
        load(tmp_path, cat)
    [p] = e.value.problems
    assert (p.rule, p.line) == ("encoding", 2) and "Windows-1250" in p.message


def test_ragged_row(tmp_path, cat):
    write_city(tmp_path / "raw", HEADER + "2023,population,1000,persons,S1,,\n2023,labour_force,1,000,persons,S1,,\n")
    assert problems(tmp_path, cat) == [("obs.csv", None, 3, None, "wrong_field_count")]


def test_quoted_line_break_keeps_row_numbers(tmp_path, cat):
    write_city(tmp_path / "raw", HEADER + '2023,population,1000,persons,S1,,"a note\non two lines"\n2023,labour_force,x,persons,S1,,\n')
    assert problems(tmp_path, cat) == [("obs.csv", None, 4, "value", "not_a_number")]


def test_unsupported_format_and_file_too_large(tmp_path, cat):
    folder = write_city(tmp_path / "raw", HEADER + "2023,population,1000,persons,S1,,\n")
    (folder / "observations" / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "observations" / "big.csv").write_text(HEADER + "2023,labour_force,1,persons,S1,,\n" * 50)
    assert problems(tmp_path, cat, max_file_bytes=1000) == [
        ("big.csv", None, None, None, "file_too_large"), ("old.xls", None, None, None, "unsupported_format")]


def test_link_outside_the_raw_folder(tmp_path, cat):
    folder = write_city(tmp_path / "raw", HEADER + "2023,population,1000,persons,S1,,\n")
    secret = tmp_path / "secret.csv"
    secret.write_text(HEADER)
    os.symlink(secret, folder / "observations" / "link.csv")
    assert problems(tmp_path, cat) == [("link.csv", None, None, None, "outside_raw_folder")]


def test_city_file_problems_name_line_and_field(tmp_path, cat):
    bad = CITY_YAML.format(code="0001").replace("currency: PLN", "currency: zloty").replace("edition: test-ed", "edition: iso9999")
    write_city(tmp_path / "raw", [{"year": 2023, "variable": "population", "value": 1}], city_yaml=bad)
    with pytest.raises(ProblemsFound) as e:
        load(tmp_path, cat)
    assert [(p.file, p.line, p.field, p.rule) for p in e.value.problems] == [
        ("testville/city.yaml", 5, "currency", "schema.string_pattern_mismatch")]


def test_sources_register_problems(tmp_path, cat):
    sources = "source_id,organisation,dataset,url,retrieved_on,licence\nS1,Office,T1,,31.01.2024,CC-BY-4.0\nS1,Office,T2,,2024-01-31,\n"
    write_city(tmp_path / "raw", [{"year": 2023, "variable": "population", "value": 1}], sources=sources)
    assert problems(tmp_path, cat) == [
        ("sources.csv", None, 2, "retrieved_on", "schema.date_from_datetime_parsing"),
        ("sources.csv", None, 3, "licence", "schema.missing"),
    ]


def test_multi_city_file_needs_known_city_codes(tmp_path, cat):
    raw = tmp_path / "raw"
    folder = raw / "region"
    (folder / "observations").mkdir(parents=True)
    (folder / "cities.yaml").write_text(
        "cities:\n"
        "  - {code: A1, name: {en: A, pl: A}, country: PL, edition: test-ed, currency: PLN}\n"
        "  - {code: B2, name: {en: B, pl: B}, country: PL, edition: test-ed, currency: PLN}\n")
    (folder / "sources.csv").write_text("source_id,organisation,dataset,url,retrieved_on,licence\nS1,O,D,,2024-01-01,CC0-1.0\n")
    (folder / "observations" / "all.csv").write_text(
        "city,year,variable,value,unit,source_id\nA1,2023,population,10,persons,S1\nB2,2023,population,20,persons,S1\nC3,2023,population,30,persons,S1\n")
    assert problems(tmp_path, cat) == [("all.csv", None, 4, "city", "unknown_city")]
    (folder / "observations" / "all.csv").write_text(
        "city,year,variable,value,unit,source_id\nA1,2023,population,10,persons,S1\nB2,2023,population,20,persons,S1\n")
    report = load(tmp_path, cat)
    assert report.cities == ["A1", "B2"]


def test_xlsx_with_odd_sheets(tmp_path, cat):
    folder = write_city(tmp_path / "raw", HEADER + "2023,population,1000,persons,S1,,\n")
    wb = openpyxl.Workbook()
    wb.active.title = "Instrukcja"
    wb.active.append(["Please fill in the second sheet"])
    ws = wb.create_sheet("Dane 2023")
    ws.append(["Year", "Variable", "Value", "Unit", "Source_ID"])
    ws.append([2023, "labour_force", 700000, "persons", "S1"])
    ws.append([None, None, None, None, None])
    ws.append([2023, "life_expectancy", 78.45, "years", "S1"])
    ws.append([2023, "unemployed", "n/a", "persons", "S1"])
    wb.create_sheet("empty")
    wb.save(folder / "observations" / "labour.xlsx")
    assert problems(tmp_path, cat) == [("labour.xlsx", "Dane 2023", 5, "value", "not_a_number")]
    ws.delete_rows(5)
    wb.save(folder / "observations" / "labour.xlsx")
    load(tmp_path, cat)
    assert [(v, format(val.normalize(), "f"), row) for _, v, val, row in observations(tmp_path)] == [
        ("labour_force", "700000", 2), ("life_expectancy", "78.45", 4), ("population", "1000", 2)]
    skipped = {(r[2], r[3]) for r in repairs(tmp_path) if r[2] == "sheet_skipped"}
    assert skipped == {("sheet_skipped", "Instrukcja"), ("sheet_skipped", "empty")}


def test_failed_ingest_keeps_the_previous_store(tmp_path, cat):
    write_city(tmp_path / "raw", [{"year": 2023, "variable": "population", "value": 1000}])
    load(tmp_path, cat)
    store = tmp_path / "out" / "store.duckdb"
    before = store.read_bytes()
    write_city(tmp_path / "raw", HEADER + "2023,population,lots,persons,S1,,\n")
    with pytest.raises(ProblemsFound):
        load(tmp_path, cat)
    assert store.read_bytes() == before


def test_source_ids_are_unique_across_the_register_and_workbooks(tmp_path, cat):
    folder = write_city(tmp_path / "raw", [{"year": 2023, "variable": "population", "value": 1000}])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "sources"
    ws.append(["source_id", "organisation", "dataset", "url", "retrieved_on", "licence"])
    ws.append(["S1", "Other office", "Table 9", None, "2024-02-01", "CC0-1.0"])
    wb.save(folder / "observations" / "extra.xlsx")
    with pytest.raises(ProblemsFound) as e:
        load(tmp_path, cat)
    [p] = e.value.problems
    assert (p.file, p.sheet, p.row, p.rule) == ("testville/observations/extra.xlsx", "sources", 2, "duplicate_source")
    assert "testville/sources.csv row 2" in p.message


def test_a_leading_zero_makes_a_comma_decimal(tmp_path, cat):
    write_city(tmp_path / "raw", HEADER + '2023,life_expectancy,"0,287",years,S1,,\n')
    load(tmp_path, cat)
    assert observations(tmp_path)[0][2] == Decimal("0.287")


def test_a_bad_year_is_reported_once(tmp_path, cat):
    city = CITY_YAML.format(code="0001") + "text_facts:\n  climate: Dfb\n"
    write_city(tmp_path / "raw", [{"year": 2022, "variable": "population", "value": 1000},
                                  {"year": "2022/23", "variable": "firefighters", "value": 5}], city_yaml=city)
    assert problems(tmp_path, cat) == [("obs.csv", None, 3, "year", "fiscal_year")]
