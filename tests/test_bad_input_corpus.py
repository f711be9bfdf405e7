"""Bad input never costs data: every trap, through the real `iso37120 build`, gives a clear message
naming its rule and place, exit code 2, no traceback, no partial release and unchanged raw files."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from pipeline.cli import EXIT_BAD_INPUT, app
from tests.conftest import INDICATORS, write_catalogue, write_city
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


def outside_link(folder, cat):
    secret = folder.parent.parent / "secret.csv"
    secret.write_text(HEADER)
    os.symlink(secret, folder / "observations" / "link.csv")


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
    "path outside the raw folder": (outside_link, "outside_raw_folder"),
    "odd workbook with a formula": (odd_workbook, "not_a_number"),
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
def test_bad_input_gives_a_clear_message_and_loses_nothing(released, tmp_path, case):
    import shutil

    base0, _, _ = released
    base = tmp_path / "b"
    shutil.copytree(base0, base, symlinks=True)
    cat, folder = base / "indicators", base / "raw" / "testville"
    breaker, rule = CASES[case]
    breaker(folder, cat)
    out_before, raw_before = tree(base / "out"), tree(base / "raw")
    result = CliRunner().invoke(app, args(base, cat), catch_exceptions=False)
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "Traceback" not in result.output
    assert rule in result.stderr
    assert tree(base / "out") == out_before, "the previous release changed"
    assert tree(base / "raw") == raw_before, "a raw file changed"
    assert not [p for p in base.iterdir() if ".staging" in p.name]
