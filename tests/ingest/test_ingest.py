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
from pipeline.limits import Limits
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


@pytest.mark.parametrize("variable, value, rule", [
    ("life_expectancy", '"1,395"', "ambiguous_separator"),  # no evidence in the file, not a count, a country of two conventions
    ("population", "abc", "not_a_number"),
    ("population", "12..5", "not_a_number"),
    ("population", "$12 €", "not_a_number"),  # two signs
    ("population", "--12", "not_a_number"),
])
def test_unreadable_numbers(tmp_path, cat, variable, value, rule):
    write_city(tmp_path / "raw", HEADER + f"2023,{variable},{value},{'years' if variable == 'life_expectancy' else 'persons'},S1,,\n",
               city_yaml=CITY_YAML.format(code="0001").replace("country: PL", "country: CA"))
    assert problems(tmp_path, cat) == [("obs.csv", None, 2, "value", rule)]


def value_repairs(tmp_path) -> dict[int, list[tuple]]:
    """The repairs of the value column by row: (rule, original, repaired)."""
    out: dict[int, list[tuple]] = {}
    for row, col, rule, original, repaired in repairs(tmp_path):
        if col == "value":
            out.setdefault(row, []).append((rule, original, repaired))
    return out


def values(tmp_path) -> dict[str, str]:
    return {v: format(val.normalize(), "f") for _, v, val, _ in observations(tmp_path)}


def test_dot_group_is_a_thousands_group_in_a_file_with_decimal_commas(tmp_path, cat):
    write_city(tmp_path / "raw", HEADER + '2023,life_expectancy,"78,4",years,S1,,\n2023,population,1.395,persons,S1,,\n'
               '2023,income_lcu,"1,395",PLN,S1,,\n')
    load(tmp_path, cat)
    assert values(tmp_path) == {"life_expectancy": "78.4", "population": "1395", "income_lcu": "1.395"}
    fixed = value_repairs(tmp_path)
    assert fixed[3] == [("thousands_separator_from_file", "1.395", "1395")]
    assert fixed[4] == [("decimal_comma_from_file", "1,395", "1.395")]


def test_comma_group_is_a_thousands_group_in_a_file_with_decimal_points(tmp_path, cat):
    write_city(tmp_path / "raw", HEADER + '2023,income_lcu,"1,865.10",PLN,S1,,\n2023,life_expectancy,27.9,years,S1,,\n'
               '2023,population,"2,782",persons,S1,,\n2023,employed,"1,395",persons,S1,,\n2023,unemployed,0.395,persons,S1,estimated,\n')
    load(tmp_path, cat)
    assert values(tmp_path) == {"income_lcu": "1865.1", "life_expectancy": "27.9", "population": "2782",
                                "employed": "1395", "unemployed": "0.395"}
    fixed = value_repairs(tmp_path)
    assert fixed[4] == [("thousands_separator_from_file", "2,782", "2782")]
    assert fixed[5] == [("thousands_separator_from_file", "1,395", "1395")]
    assert fixed[2] == [("thousands_separator", "1,865.10", "1865.10")]


def test_a_dot_group_is_a_decimal_point_in_a_file_with_decimal_points(tmp_path, cat):
    write_city(tmp_path / "raw", HEADER + "2023,life_expectancy,1.395,years,S1,,\n2023,income_lcu,0.5,PLN,S1,,\n"
               "2023,population,1.395,persons,S1,,\n")
    assert problems(tmp_path, cat) == [("obs.csv", None, 4, "value", "not_whole_number")]


@pytest.mark.parametrize("evidence", ['"1,395,290"', "12345.678"])
def test_other_evidence_of_decimal_points(tmp_path, cat, evidence):
    write_city(tmp_path / "raw", HEADER + f'2023,income_lcu,{evidence},PLN,S1,,\n2023,life_expectancy,"1,395",years,S1,,\n')
    load(tmp_path, cat)
    assert values(tmp_path)["life_expectancy"] == "1395"


@pytest.mark.parametrize("evidence", ["1.395.290", '"1 395,5"', '"0,5"', '"12345,678"'])
def test_other_evidence_of_decimal_commas(tmp_path, cat, evidence):
    write_city(tmp_path / "raw", HEADER + f'2023,income_lcu,{evidence},PLN,S1,,\n2023,life_expectancy,"1,395",years,S1,,\n')
    load(tmp_path, cat)
    assert values(tmp_path)["life_expectancy"] == "1.395"


@pytest.mark.parametrize("country, income, life, rule", [
    ("GB", "675360", "1395", "thousands_separator_from_country"),   # a British table: 675,360 is 675360
    ("PL", "675.36", "1.395", "decimal_comma_from_country"),        # a Polish one: 675,36…
])
def test_a_file_without_evidence_is_read_as_the_country_writes(tmp_path, cat, country, income, life, rule):
    city = CITY_YAML.format(code="0001").replace("country: PL", f"country: {country}").replace("currency: PLN", "currency: GBP")
    write_city(tmp_path / "raw", HEADER + '2023,income_lcu,"675,360",GBP,S1,,\n2023,life_expectancy,"1,395",years,S1,,\n',
               city_yaml=city)
    load(tmp_path, cat)
    assert (values(tmp_path)["income_lcu"], values(tmp_path)["life_expectancy"]) == (income, life)
    assert value_repairs(tmp_path)[2][0][0] == rule


def test_a_dot_group_in_a_polish_file_without_evidence_is_a_thousands_group(tmp_path, cat):
    write_city(tmp_path / "raw", HEADER + "2023,income_lcu,1.395,PLN,S1,,\n")
    load(tmp_path, cat)
    assert values(tmp_path)["income_lcu"] == "1395"
    assert value_repairs(tmp_path)[2] == [("thousands_separator_from_country", "1.395", "1395")]


def test_conflicting_evidence_leaves_lone_groups_ambiguous(tmp_path, cat):
    write_city(tmp_path / "raw", HEADER + '2023,life_expectancy,27.9,years,S1,,\n2023,income_lcu,"78,4",PLN,S1,,\n'
               '2023,population,"2,782",persons,S1,,\n2023,employed,1.395,persons,S1,,\n')
    with pytest.raises(ProblemsFound) as e:
        load(tmp_path, cat)
    assert [(p.row, p.rule) for p in e.value.problems] == [(4, "ambiguous_separator"), (5, "ambiguous_separator")]
    assert "both decimal points and decimal commas" in e.value.problems[0].message


def test_evidence_is_taken_per_file_and_sheet(tmp_path, cat):
    folder = write_city(tmp_path / "raw", HEADER + '2023,life_expectancy,"78,4",years,S1,,\n')
    (folder / "observations" / "other.csv").write_text(HEADER + '2023,income_lcu,"1,395",PLN,S1,,\n2023,population,1000.5,persons,S1,estimated,\n')
    load(tmp_path, cat)
    assert values(tmp_path)["income_lcu"] == "1395"


def test_evidence_is_taken_per_sheet_of_a_workbook(tmp_path, cat):
    folder = write_city(tmp_path / "raw", HEADER + "2022,population,1000,persons,S1,,\n")
    wb = openpyxl.Workbook()
    wb.active.title = "commas"
    for ws, rows in ((wb.active, [["2023", "life_expectancy", "78,4", "years"], ["2023", "income_lcu", "1,395", "PLN"]]),
                     (wb.create_sheet("points"), [["2023", "firefighters", "27.5", "persons", "estimated"], ["2023", "labour_force", "1,395", "persons"]])):
        ws.append(["year", "variable", "value", "unit", "source_id", "status"])
        for r in rows:
            ws.append(r[:4] + ["S1"] + r[4:])
    wb.save(folder / "observations" / "book.xlsx")
    load(tmp_path, cat)
    assert {k: v for k, v in values(tmp_path).items() if k in ("income_lcu", "labour_force")} == {
        "income_lcu": "1.395", "labour_force": "1395"}


@pytest.mark.parametrize("value", ['"2,782"', "2.782"])
def test_a_lone_group_in_a_whole_number_is_a_thousands_group(tmp_path, cat, value):
    write_city(tmp_path / "raw", HEADER + f"2023,population,{value},persons,S1,,\n")
    load(tmp_path, cat)
    assert values(tmp_path) == {"population": "2782"}
    assert value_repairs(tmp_path)[2] == [("thousands_separator_whole_number", value.strip('"'), "2782")]


def test_a_lone_group_in_a_whole_number_follows_the_file_where_it_gives_evidence(tmp_path, cat):
    # decimal commas in the file: 2,782 persons is 2.782, not a whole number; 1.395 is a thousands group
    write_city(tmp_path / "raw", HEADER + '2023,life_expectancy,"78,4",years,S1,,\n2023,population,"2,782",persons,S1,,\n'
               "2023,employed,1.395,persons,S1,,\n")
    assert problems(tmp_path, cat) == [("obs.csv", None, 3, "value", "not_whole_number")]


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
    assert problems(tmp_path, cat, limits=Limits(max_file_bytes=1000)) == [
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


def city_in(currency: str) -> str:
    return CITY_YAML.format(code="0001").replace("currency: PLN", f"currency: {currency}")


@pytest.mark.parametrize("currency, value", [
    ("USD", '"$12,345,678"'), ("USD", "US$ 12345678"), ("USD", "12345678 usd"), ("USD", "12345678$"),
    ("EUR", '"€12 345 678"'), ("EUR", "12.345.678 €"), ("EUR", "EUR12345678"), ("EUR", '"12 345 678,00 Eur"'),
    ("GBP", '"£12,345,678"'), ("CHF", "Fr. 12345678"), ("CHF", "12345678 CHF"), ("JPY", "¥12345678"),
    ("CZK", "12 345 678 Kč"), ("SEK", "12 345 678 kr"), ("CAD", "C$12345678"), ("AUD", "A$ 12345678"),
    ("NZD", "NZ$12345678"), ("HKD", "HK$12345678"), ("SGD", "S$12345678"), ("BRL", "R$ 12345678"),
    ("PLN", "12 345 678 zł"), ("PLN", "PLN 12345678"), ("MXN", "$12345678"), ("INR", "₹12345678"),
])
def test_a_currency_sign_of_the_city_s_currency_is_removed(tmp_path, cat, currency, value):
    write_city(tmp_path / "raw", HEADER + f"2023,income_lcu,{value},{currency},S1,,\n", city_yaml=city_in(currency))
    load(tmp_path, cat)
    assert values(tmp_path) == {"income_lcu": "12345678"}
    assert ("currency_sign_removed", value.strip('"')) in [(r, o) for r, o, _ in value_repairs(tmp_path)[2]]


def test_a_negative_amount_with_a_sign_and_a_typographic_minus(tmp_path, cat):
    write_city(tmp_path / "raw", HEADER + "2023,income_lcu,−$1200.50,USD,S1,,\n", city_yaml=city_in("USD"))
    load(tmp_path, cat)
    assert values(tmp_path) == {"income_lcu": "-1200.5"}
    assert sorted(value_repairs(tmp_path)[2]) == [("currency_sign_removed", "−$1200.50", "-1200.50"),
                                                  ("minus_sign", "−$1200.50", "-1200.50")]


@pytest.mark.parametrize("currency, variable, value, unit, message", [
    ("PLN", "income_lcu", "$12", "PLN", "$12 carries the currency sign $, which does not match the currency of income_lcu (PLN)"),
    ("USD", "income_lcu", "C$ 12", "USD", "which does not match the currency of income_lcu (USD); C$ stands for CAD"),
    ("EUR", "income_lcu", "12 kr", "EUR", "12 kr carries the currency sign kr, which does not match the currency of income_lcu (EUR)"),
    ("USD", "population", "$12", "persons", "but population is not money (it is measured in persons)"),
    ("PLN", "life_expectancy", "78 zł", "years", "but life_expectancy is not money"),
])
def test_a_currency_sign_that_cannot_be_the_currency_is_reported(tmp_path, cat, currency, variable, value, unit, message):
    write_city(tmp_path / "raw", HEADER + f"2023,{variable},{value},{unit},S1,,\n", city_yaml=city_in(currency))
    with pytest.raises(ProblemsFound) as e:
        load(tmp_path, cat)
    [p] = e.value.problems
    assert (p.row, p.column, p.rule) == (2, "value", "currency_unexpected")
    assert message in p.message


@pytest.mark.parametrize("currency, unit", [("USD", "$"), ("EUR", "€"), ("PLN", "zł"), ("USD", "usd"), ("EUR", "LCU")])
def test_a_currency_sign_in_the_unit_column(tmp_path, cat, currency, unit):
    write_city(tmp_path / "raw", HEADER + f"2023,income_lcu,12,{unit},S1,,\n", city_yaml=city_in(currency))
    load(tmp_path, cat)
    assert values(tmp_path) == {"income_lcu": "12"}


def test_a_currency_sign_in_the_unit_column_must_be_the_currency(tmp_path, cat):
    write_city(tmp_path / "raw", HEADER + "2023,income_lcu,12,€,S1,,\n", city_yaml=city_in("USD"))
    assert problems(tmp_path, cat) == [("obs.csv", None, 2, "unit", "unit_mismatch")]


def test_an_estimated_count_may_be_fractional(tmp_path, cat):
    write_city(tmp_path / "raw", HEADER + "2023,firefighters,13.5,persons,S1,estimated,survey-weighted\n"
               "2023,employed,13.5,persons,S1,provisional,\n")
    assert problems(tmp_path, cat) == [("obs.csv", None, 3, "value", "not_whole_number")]
    write_city(tmp_path / "raw", HEADER + "2023,firefighters,13.5,persons,S1,estimated,survey-weighted\n")
    load(tmp_path, cat)
    assert values(tmp_path) == {"firefighters": "13.5"}


@pytest.fixture
def cat_with_rates(mini_catalogue):
    """The mini catalogue and two percentages that are not shares: a signed rate and a quantity."""
    with open(mini_catalogue / "variables.yaml", "a", encoding="utf-8") as f:
        for var, kind in (("inflation", "measure"), ("coverage", "quantity")):
            f.write(f'  - id: {var}\n    name: {{en: {var}, pl: {var}}}\n    unit: "%"\n    kind: {kind}\n'
                    f'    provider: stats\n    description: {{en: {var}, pl: {var}}}\n')
    return load_catalogue(mini_catalogue)


@pytest.mark.parametrize("value, number", [("3.5%", "3.5"), ('"3,5 %"', "3.5"), ("−1.2 %", "-1.2"), ("12", "12")])
def test_a_percent_sign_on_any_percentage_is_removed(tmp_path, cat_with_rates, value, number):
    write_city(tmp_path / "raw", HEADER + f"2023,inflation,{value},%,S1,,\n2023,green_share,{value},%,S1,,\n"
               f"2023,coverage,{value},%,S1,,\n")
    load(tmp_path, cat_with_rates)
    assert values(tmp_path) == {"inflation": number, "green_share": number, "coverage": number}
    if "%" in value:
        written = value.strip('"')
        without = written.replace(" %", "").replace("%", "").replace("−", "-")
        for row in (2, 3, 4):
            assert ("percent_sign_removed", written, without) in value_repairs(tmp_path)[row]


def test_a_percentage_written_as_a_fraction(tmp_path, cat_with_rates):
    # a signed rate below 1 % is common (inflation of 0.88 %): not taken for a fraction
    write_city(tmp_path / "raw", HEADER + "2023,inflation,0.88,%,S1,,\n2023,green_share,0.31,%,S1,,\n"
               "2023,coverage,0.97,%,S1,,\n2023,population,5 %,persons,S1,,\n")
    assert problems(tmp_path, cat_with_rates) == [
        ("obs.csv", None, 3, "value", "share_as_fraction"), ("obs.csv", None, 4, "value", "share_as_fraction"),
        ("obs.csv", None, 5, "value", "percent_sign_unexpected")]
    write_city(tmp_path / "raw", HEADER + "2023,coverage,0.97,%,S1,,only one street is covered\n")
    load(tmp_path, cat_with_rates)
    assert values(tmp_path) == {"coverage": "0.97"}


def test_ingest_counts_files_and_rows_as_it_reads(tmp_path):
    """``counted`` is told after each file the files read of all and the table rows so far; at the
    end every file and every row of the tables ingest reads (CSV files, and the observations and
    sources sheets of workbooks: not a sheet of notes) of the shipped sample city."""
    import csv

    from tests.conftest import CATALOGUE, SAMPLE_RAW

    calls: list[tuple[int, int, int]] = []
    report = ingest(SAMPLE_RAW, load_catalogue(CATALOGUE), tmp_path / "s.duckdb", counted=lambda *c: calls.append(c))
    files = [p for p in SAMPLE_RAW.rglob("*") if p.is_file() and p.name != ".gitkeep"]
    rows = 0
    for p in files:
        if p.suffix == ".csv":
            with p.open(encoding="utf-8-sig", newline="") as f:
                rows += sum(1 for row in csv.reader(f) if any(c.strip() for c in row)) - 1
        elif p.suffix == ".xlsx":
            for ws in openpyxl.load_workbook(p, read_only=True).worksheets:
                if ws.title in ("observations", "sources"):
                    rows += sum(1 for row in ws.iter_rows(values_only=True) if any(c not in (None, "") for c in row)) - 1
    assert [c[:2] for c in calls] == [(n, len(files)) for n in range(1, len(files) + 1)] and len(report.files) == len(files)
    assert [c[2] for c in calls] == sorted(c[2] for c in calls) and calls[-1][2] == rows
