"""Bad input never costs data: every trap, through the real `iso37120 build`, gives a clear message
naming its rule and place, exit code 2, no traceback, no partial release and unchanged raw files.

Each case is a breaker (it spoils a copy of a good city), the rule it must give (or the fields of
the problem it must give, as written to --problems), and, for a resource limit, the environment
that lowers the limit so the case stays fast (the problem must then name the variable). A breaker
may return a text that must appear in no output (what a link tried to smuggle in)."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from pipeline.cli import EXIT_BAD_INPUT, app
from tests.conftest import ACCEPTANCE, INDICATORS, write_catalogue, write_city
from tests.validate.test_validate import GOOD, rows

HEADER = "year,variable,value,unit,source_id,status,note\n"
CONFIG = ("publisher: {name: Testville City Office, homepage: 'https://testville.example.org/'}\n"
          "contact: {name: Open data team, email: opendata@testville.example.org}\n")


def csv_file(text: str):
    return lambda folder, cat: (folder / "observations" / "extra.csv").write_text(HEADER + text, encoding="utf-8")


def raw_bytes(data: bytes):
    return lambda folder, cat: (folder / "observations" / "extra.csv").write_bytes(data)


def city_yaml(folder, cat):
    (folder / "city.yaml").write_text('code: "0001"\nname: {en: Testville, pl: Testowo\ncountry: PL\n', encoding="utf-8")


def catalogue_yaml_error(folder, cat):
    (cat / "test-ed" / "5.2.yaml").write_text(INDICATORS["5.2"].replace("tier: supporting", "tier: [supporting"))


def escaping_formula(folder, cat):
    (cat / "test-ed" / "P14-P-09.yaml").write_text(INDICATORS["P-01"].replace(
        "(population - previous(population)) / previous(population) * 100", "population + (SELECT 1 FROM read_csv('/etc/passwd'))"))


def formula(text: str):
    """A definition whose formula is ``text`` (sqlglot raised TokenError and RecursionError on these)."""
    return lambda folder, cat: (cat / "test-ed" / "P14-P-09.yaml").write_text(INDICATORS["P-01"].replace(
        "(population - previous(population)) / previous(population) * 100", text))


def outside_link(folder, cat):
    secret = folder.parent.parent / "secret.csv"
    secret.write_text(HEADER)
    os.symlink(secret, folder / "observations" / "link.csv")


def write(relative: str, text: str):
    return lambda folder, cat: (folder / relative).write_text(text, encoding="utf-8")


def zip_bomb(folder, cat):
    """A real workbook whose sheet XML inflates to about 20 MB from a few tens of kilobytes."""
    path = folder / "observations" / "bomb.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "data"
    wb.active.append(["year", "variable", "value", "unit", "source_id"])
    wb.active.append([2023, "employed", 400, "persons", "S1"])
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = [(i.filename, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * 20_000_000, 1)
            z.writestr(name, data, compresslevel=9)
    assert path.stat().st_size < 200_000


def many_files(folder, cat):
    for n in range(20):
        (folder / "observations" / f"part-{n:02d}.csv").write_text(HEADER + f"{2000 + n},employed,400,persons,S1,,\n")


def folder_named_like_a_file(folder, cat):
    (folder / "observations" / "more.csv").mkdir()
    (folder / "observations" / "more.csv" / "inside.csv").write_text(HEADER + "2023,employed,400,persons,S1,,\n")


def outside_folder_link(folder, cat):
    """A linked folder leading out of the raw folder: nothing of what it holds may be read or published."""
    elsewhere = folder.parent.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret-salaries-2023.csv").write_text(HEADER + "2023,employed,123456789,persons,S1,,secret-note\n")
    os.symlink(elsewhere, folder / "observations" / "linked")
    return "secret-salaries-2023"


def broken_link(folder, cat):
    os.symlink(folder / "observations" / "moved-away.csv", folder / "observations" / "gone.csv")




def source_url(url: str):
    def breaker(folder, cat):
        path = folder / "sources.csv"
        path.write_text(path.read_text(encoding="utf-8").replace("https://example.org/t1", url), encoding="utf-8")
    return breaker


def odd_workbook(folder, cat):
    wb = openpyxl.Workbook()
    wb.active.title = "Read me"
    ws = wb.create_sheet("data")
    ws.append(["year", "variable", "value", "unit", "source_id"])
    ws.append([2023, "employed", "=SUM(A1:A2)", "persons", "S1"])
    wb.save(folder / "observations" / "odd.xlsx")


CASES = {
    # a file that writes both decimal marks settles nothing: the lone group stays ambiguous
    "ambiguous separator": (csv_file('2023,life_expectancy,"1,395",years,S1,,\n2023,income_lcu,"78,4",PLN,S1,,\n'
                                     '2021,income_lcu,27.9,PLN,S1,,\n'), "ambiguous_separator"),
    "not a number": (csv_file("2023,employed,many,persons,S1,,\n"), "not_a_number"),
    "unit mismatch": (csv_file("2023,employed,400,tonnes,S1,,\n"), "unit_mismatch"),
    "share as a fraction": (csv_file("2022,employed,400,persons,S1,,\n2023,green_share,0.31,%,S1,,\n"), "share_as_fraction"),
    "unknown variable": (csv_file("2023,employd,400,persons,S1,,\n"), "unknown_variable"),
    "unknown source": (csv_file("2023,employed,400,persons,S2,,\n"), "unknown_source"),
    "duplicate row": (csv_file("2023,population,1000,persons,S1,,\n"), "duplicate_observation"),
    "missing column": (raw_bytes(b"year,variable,value,source_id\n2023,employed,400,S1\n"), "missing_column"),
    "empty file": (raw_bytes(b""), "empty_file"),
    "not UTF-8": (raw_bytes((HEADER + "2023,employed,400,osób,S1,,\n").encode("cp1250")), "encoding"),
    "fiscal year": (csv_file("2022/23,employed,400,persons,S1,,\n"), "fiscal_year"),
    "YAML error in city.yaml": (city_yaml, "yaml_syntax"),
    "YAML error in a definition": (catalogue_yaml_error, "yaml_syntax"),
    "formula escaping its sandbox": (escaping_formula, "formula_not_allowed"),
    "formula with an unterminated string": (formula("population + 'x"), {"rule": "formula_not_allowed", "file": "indicators/test-ed/P14-P-09.yaml"}),
    "formula nested 10 000 deep": (formula("(" * 10_000 + "population" + ")" * 10_000), "formula_not_allowed"),
    "formula nested past the depth limit": (formula("abs(" * 40 + "population" + ")" * 40), "formula_not_allowed"),
    "path outside the raw folder": (outside_link, "outside_raw_folder"),
    "odd workbook with a formula": (odd_workbook, "not_a_number"),
    # resource limits: a small limit from the environment keeps the case fast
    "zip bomb posing as a workbook": (zip_bomb, "xlsx_too_large", {"ISO37120_MAX_XLSX_UNCOMPRESSED_BYTES": "10_000_000"}),
    "10 MB cell, default limits": (csv_file('2023,employed,400,persons,S1,,"' + "x" * (10 << 20) + '"\n'),
                                   {"rule": "field_too_large", "row": 2, "column": "note"}),
    "cell over the limit": (csv_file("2023,employed,400,persons,S1,," + "x" * 60 + "\n"), "field_too_large",
                            {"ISO37120_MAX_FIELD_CHARS": "50"}),
    "too many rows": (csv_file("".join(f"{y},employed,400,persons,S1,,\n" for y in range(2019, 2024))), "too_many_rows",
                      {"ISO37120_MAX_ROWS_PER_FILE": "4"}),
    "too many files": (many_files, {"rule": "too_many_files", "file": "raw"}, {"ISO37120_MAX_FILES": "15"}),
    # files that are not what they look like
    "header without rows": (raw_bytes(HEADER.encode()), {"rule": "no_rows", "file": "testville/observations/extra.csv"}),
    "folder named like a data file": (folder_named_like_a_file, "not_a_file"),
    "linked folder outside the raw folder": (outside_folder_link, "outside_raw_folder"),
    "broken link": (broken_link, "broken_link"),
    "NUL byte in a note": (csv_file("2023,employed,400,persons,S1,,see\x00table 4\n"),
                           {"rule": "control_character", "row": 2, "column": "note", "value": "see\\x00table 4"}),
    # exceptions.yaml and the source register
    "impossible date of an acceptance": (write("exceptions.yaml", ACCEPTANCE.format(date="2024-02-30")),
                                         {"rule": "schema.date_not_real", "line": 5, "field": "exceptions.0.accepted_on"}),
    "date of an acceptance as DD.MM.YYYY": (write("exceptions.yaml", ACCEPTANCE.format(date="20.06.2024")),
                                            {"rule": "schema.date_format", "line": 5, "field": "exceptions.0.accepted_on"}),
    "acceptance without accepted_by": (write("exceptions.yaml", ACCEPTANCE.format(date="2024-03-12").replace("    accepted_by: Anna Nowak\n", "")),
                                       {"rule": "schema.missing", "line": 2, "field": "exceptions.0.accepted_by"}),
    "source url without a scheme": (source_url("www.gus.gov.pl"), {"rule": "schema.not_a_url", "row": 2, "column": "url"}),
    "source url that is a script": (source_url("javascript:alert(1)"), {"rule": "schema.not_a_url", "row": 2, "column": "url"}),
}


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A good first release, built once; each case copies it."""
    base = tmp_path_factory.mktemp("corpus")
    cat = write_catalogue(base)
    folder = write_city(base / "raw", rows(GOOD))
    (base / "publish.yaml").write_text(CONFIG)
    result = CliRunner().invoke(app, args(base, cat), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return base, cat, folder


def args(base: Path, cat: Path) -> list[str]:
    return ["build", str(base / "raw"), "--out", str(base / "out"), "--reports", str(base / "reports"), "--no-pdf",
            "--store", str(base / "work.duckdb"), "--catalogue", str(cat), "--config", str(base / "publish.yaml"),
            "--problems", str(base / "problems.json")]


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gives_a_clear_message_and_loses_nothing(released, tmp_path, monkeypatch, case):
    import shutil

    base0, _, _ = released
    base = tmp_path / "b"
    shutil.copytree(base0, base, symlinks=True)
    cat, folder = base / "indicators", base / "raw" / "testville"
    breaker, expected, *more = CASES[case]
    env = more[0] if more else {}
    expected = {"rule": expected} if isinstance(expected, str) else expected
    smuggled = breaker(folder, cat)
    out_before, raw_before = tree(base / "out"), tree(base / "raw")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, args(base, cat), catch_exceptions=False)
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "Traceback" not in result.output
    assert expected["rule"] in result.stderr
    for name in env:  # a limit's problem says how to raise it
        assert name in result.stderr
    assert "\x00" not in result.stderr and "\x00" not in result.stdout
    if len(expected) > 1:  # the place, as written to --problems
        found = json.loads((base / "problems.json").read_text(encoding="utf-8"))
        assert any(all(p.get(k) == v for k, v in expected.items()) for p in found), found
    assert tree(base / "out") == out_before, "the previous release changed"
    assert tree(base / "raw") == raw_before, "a raw file changed"
    assert not [p for p in base.iterdir() if ".staging" in p.name]
    if isinstance(smuggled, str):
        leaked = [p for p in base.rglob("*") if p.is_file() and not p.is_relative_to(base / "raw")
                  and not p.is_relative_to(base / "elsewhere") and smuggled.encode() in p.read_bytes()]
        assert leaked == [], f"{smuggled} leaked into {leaked}"
