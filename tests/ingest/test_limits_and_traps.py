"""Inputs that used to crash or pass in silence are refused with a problem that names the file,
sheet, row, column and rule; a resource limit's problem ends with the limit and its variable."""

from __future__ import annotations

import csv
import zipfile
from contextlib import nullcontext
from pathlib import Path

import openpyxl
import pytest

from pipeline.ingest import reading
from pipeline.limits import Limits
from pipeline.problems import Problem, ProblemsFound
from tests.conftest import ACCEPTANCE, SOURCES_CSV, write_city
from tests.ingest.test_ingest import HEADER, cat, load  # noqa: F401 (cat is a fixture)

GOOD_ROW = "2023,population,1000,persons,S1,,\n"


def refused(tmp_path, cat, **kw) -> list[Problem]:  # noqa: F811
    with pytest.raises(ProblemsFound) as e:
        load(tmp_path, cat, **kw)
    assert not (tmp_path / "out" / "store.duckdb").exists()
    return e.value.problems


def places(found: list[Problem]) -> list[tuple]:
    return [(p.file.rsplit("/", 1)[-1], p.sheet, p.row, p.column, p.rule) for p in found]


def workbook(path: Path, rows: list[list], title: str = "data") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws.append(["year", "variable", "value", "unit", "source_id", "note"])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def inflate_sheet(path: Path, extra_bytes: int) -> None:
    """Pad the first worksheet's XML with ``extra_bytes`` of blanks: tiny compressed, large inflated."""
    with zipfile.ZipFile(path) as z:
        parts = [(i, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * extra_bytes, 1)
            z.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


# --- workbooks: the zip directory is checked before anything is inflated -------------------------


def test_a_workbook_that_inflates_beyond_the_limit_is_refused_unopened(tmp_path, cat, monkeypatch):
    folder = write_city(tmp_path / "raw", HEADER + GOOD_ROW)
    path = workbook(folder / "observations" / "bomb.xlsx", [[2023, "employed", 5, "persons", "S1", None]], title="Dane 2023")
    inflate_sheet(path, 3_000_000)
    assert path.stat().st_size < 100_000

    def never(*a, **kw):
        raise AssertionError("openpyxl opened a workbook that is over the limit")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    limits = Limits(max_xlsx_uncompressed_bytes=1_000_000)
    [p] = refused(tmp_path, cat, limits=limits)
    assert (p.file, p.rule) == ("testville/observations/bomb.xlsx", "xlsx_too_large")
    assert "xl/worksheets/sheet1.xml (sheet 'Dane 2023')" in p.message
    assert p.message.endswith(limits.hint("max_xlsx_uncompressed_bytes"))
    assert "ISO37120_MAX_XLSX_UNCOMPRESSED_BYTES" in p.message


def test_a_workbook_within_the_limit_loads(tmp_path, cat):
    folder = write_city(tmp_path / "raw", HEADER + GOOD_ROW)
    path = workbook(folder / "observations" / "fine.xlsx", [[2023, "employed", 5, "persons", "S1", None]])
    inflate_sheet(path, 100_000)
    assert load(tmp_path, cat, limits=Limits(max_xlsx_uncompressed_bytes=1_000_000)).observations == 2


def test_a_file_that_is_not_a_zip_is_an_unreadable_workbook(tmp_path, cat):
    folder = write_city(tmp_path / "raw", HEADER + GOOD_ROW)
    (folder / "observations" / "fake.xlsx").write_text("year,variable\n")
    [p] = refused(tmp_path, cat)
    assert (p.rule, p.file) == ("unreadable_workbook", "testville/observations/fake.xlsx")


def test_formulas_are_found_without_inflating_the_part_whole(tmp_path):
    path = tmp_path / "f.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append([1, "=A1*2"])
    wb.save(path)
    inflate_sheet(path, 3 << 20)  # the formula lies beyond the first chunk read
    assert reading._has_formulas(path, "xl/worksheets/sheet1.xml")
    assert not reading._has_formulas(workbook(tmp_path / "g.xlsx", [[2023]]), "xl/worksheets/sheet1.xml")


# --- rows per file ------------------------------------------------------------------------------


@pytest.mark.parametrize("blank_line", [False, True], ids=["duckdb reader", "python reader"])
def test_a_csv_file_with_too_many_rows(tmp_path, cat, blank_line):
    rows = [f"{y},population,1000,persons,S1,,\n" for y in range(2001, 2008)]
    write_city(tmp_path / "raw", HEADER + ("\n" if blank_line else "") + "".join(rows))
    limits = Limits(max_rows_per_file=5)
    [p] = refused(tmp_path, cat, limits=limits)
    assert places([p]) == [("obs.csv", None, 8 if blank_line else 7, None, "too_many_rows")]
    assert p.message.endswith(limits.hint("max_rows_per_file")) and "ISO37120_MAX_ROWS_PER_FILE" in p.message
    assert load(tmp_path, cat, limits=Limits(max_rows_per_file=7)).observations == 7


def test_a_worksheet_with_too_many_rows_is_read_no_further(tmp_path, cat, monkeypatch):
    folder = write_city(tmp_path / "raw", HEADER + GOOD_ROW)
    workbook(folder / "observations" / "many.xlsx", [[y, "employed", 5, "persons", "S1", None] for y in range(2001, 2021)])
    seen = []
    original = reading.cell_text
    monkeypatch.setattr(reading, "cell_text", lambda v: seen.append(v) or original(v))
    assert places(refused(tmp_path, cat, limits=Limits(max_rows_per_file=3))) == [
        ("many.xlsx", "data", 5, None, "too_many_rows")]
    assert 2005 not in seen, "the sheet was read past the limit"


# --- cells --------------------------------------------------------------------------------------


@pytest.mark.parametrize("blank_line", [False, True], ids=["duckdb reader", "python reader"])
def test_a_csv_cell_over_the_limit(tmp_path, cat, blank_line):
    write_city(tmp_path / "raw", HEADER + ("\n" if blank_line else "") + GOOD_ROW + "2023,employed,5,persons,S1,," + "x" * 500 + "\n")
    limits = Limits(max_field_chars=100)
    [p] = refused(tmp_path, cat, limits=limits)
    assert places([p]) == [("obs.csv", None, 4 if blank_line else 3, "note", "field_too_large")]
    assert "500 characters" in p.message and p.message.endswith(limits.hint("max_field_chars"))
    assert len(p.value) < 50


def test_a_ten_megabyte_cell_is_a_problem_not_a_csv_error(tmp_path, cat):
    write_city(tmp_path / "raw", HEADER + GOOD_ROW + '2023,employed,5,persons,S1,,"' + "x" * (10 << 20) + '"\n')
    before = csv.field_size_limit()
    assert places(refused(tmp_path, cat)) == [("obs.csv", None, 3, "note", "field_too_large")]
    assert csv.field_size_limit() == before, "the csv module's limit was not restored"


def test_a_worksheet_cell_over_the_limit(tmp_path, cat):
    folder = write_city(tmp_path / "raw", HEADER + GOOD_ROW)
    workbook(folder / "observations" / "long.xlsx", [[2023, "employed", 5, "persons", "S1", "y" * 300]])
    assert places(refused(tmp_path, cat, limits=Limits(max_field_chars=200))) == [
        ("long.xlsx", "data", 2, "note", "field_too_large")]


def test_any_csv_error_is_a_problem_with_its_line(tmp_path, cat, monkeypatch):
    monkeypatch.setattr(reading, "_field_size_limit", lambda chars: nullcontext())
    before = csv.field_size_limit(50)
    try:
        write_city(tmp_path / "raw", HEADER + GOOD_ROW + "\n2023,employed,5,persons,S1,," + "x" * 80 + "\n")
        [p] = refused(tmp_path, cat)
    finally:
        csv.field_size_limit(before)
    assert (p.rule, p.row) == ("csv_syntax", 4) and "field larger than field limit" in p.message


# --- header without rows --------------------------------------------------------------------------


@pytest.mark.parametrize("text", [HEADER, HEADER + "\n,,,,,,\n\n"], ids=["header only", "blank rows"])
def test_a_csv_file_with_a_header_and_no_rows(tmp_path, cat, text):
    folder = write_city(tmp_path / "raw", HEADER + GOOD_ROW)
    (folder / "observations" / "todo.csv").write_text(text)
    [p] = refused(tmp_path, cat)
    assert places([p]) == [("todo.csv", None, None, None, "no_rows")]
    assert p.message == "the file has a header but no rows; fill it or remove it"


def test_a_worksheet_with_a_header_and_no_rows(tmp_path, cat):
    folder = write_city(tmp_path / "raw", HEADER + GOOD_ROW)
    workbook(folder / "observations" / "todo.xlsx", [])
    [p] = refused(tmp_path, cat)
    assert places([p]) == [("todo.xlsx", "data", None, None, "no_rows")]
    assert "sheet has a header but no rows" in p.message


def test_a_source_register_without_rows_is_accepted(tmp_path, cat):
    """A template's sources sheet comes empty, and a folder of figures that are not available cites
    no source; a figure that does cite one is refused as unknown_source."""
    header_only = SOURCES_CSV.split("\n", 1)[0] + "\n"
    write_city(tmp_path / "a" / "raw", HEADER + "2023,population,,persons,,not_available,not published\n", sources=header_only)
    assert load(tmp_path / "a", cat).observations == 1
    write_city(tmp_path / "b" / "raw", HEADER + GOOD_ROW, sources=header_only)
    assert places(refused(tmp_path / "b", cat)) == [("obs.csv", None, 2, "source_id", "unknown_source")]


# --- control characters ---------------------------------------------------------------------------


@pytest.mark.parametrize("blank_line", [False, True], ids=["duckdb reader", "python reader"])
def test_a_nul_byte_in_a_note(tmp_path, cat, blank_line):
    write_city(tmp_path / "raw", HEADER + ("\n" if blank_line else "") + "2023,population,1000,persons,S1,,see\x00table\n")
    [p] = refused(tmp_path, cat)
    assert places([p]) == [("obs.csv", None, 3 if blank_line else 2, "note", "control_character")]
    assert p.value == "see\\x00table" and "'\\x00' (character 4)" in p.message


def test_control_characters_in_any_column_are_shown_escaped(tmp_path, cat):
    write_city(tmp_path / "raw", HEADER + "2023,population,10\x1b[2J00,persons,S1,,\n2023,employed,5,persons\x07,S1,,ok\tfine\r\n")
    found = refused(tmp_path, cat)
    assert ("obs.csv", None, 2, "value", "control_character") in places(found)
    assert ("obs.csv", None, 3, "unit", "control_character") in places(found)
    assert not [p for p in found if p.column == "note"], "a tab is not a control character"
    for p in found:
        assert "\x1b" not in (p.value or "") + p.message and "\x07" not in (p.value or "") + p.message


def test_a_control_character_in_the_source_register(tmp_path, cat):
    sources = SOURCES_CSV.replace("Test office", "Test\x00office")
    write_city(tmp_path / "raw", HEADER + GOOD_ROW, sources=sources)
    [p] = refused(tmp_path, cat)
    assert places([p]) == [("sources.csv", None, 2, "organisation", "control_character")]
    assert p.value == "Test\\x00office"


# --- the source register's addresses ----------------------------------------------------------------


@pytest.mark.parametrize("url", ["www.gus.gov.pl", "not a url", "javascript:alert(1)", "ftp://ftp.example.org/x",
                                 "https://", "https://exa mple.org", "mailto:office@example.org", "http:/example.org"])
def test_a_source_url_that_is_no_web_address(tmp_path, cat, url):
    write_city(tmp_path / "raw", HEADER + GOOD_ROW, sources=SOURCES_CSV.replace("https://example.org/t1", f'"{url}"'))
    [p] = refused(tmp_path, cat)
    assert places([p]) == [("sources.csv", None, 2, "url", "schema.not_a_url")]
    assert "write the full address, https://…" in p.message and p.value == url


@pytest.mark.parametrize("url", ["", "http://www12.statcan.gc.ca/census/Facts-csd-eng.cfm?LANG=Eng&GK=CSD&GC=3520005",
                                 "https://bip.zielonogrod.example/budzet", "HTTPS://stat.gov.pl/", "https://www.gov.pl/web/zdrowie#x"])
def test_a_source_url_that_is_a_web_address(tmp_path, cat, url):
    write_city(tmp_path / "raw", HEADER + GOOD_ROW, sources=SOURCES_CSV.replace("https://example.org/t1", url))
    assert load(tmp_path, cat).observations == 1


# --- exceptions.yaml ------------------------------------------------------------------------------



def exceptions_problems(tmp_path, cat, text: str) -> list[Problem]:  # noqa: F811
    folder = write_city(tmp_path / "raw", HEADER + GOOD_ROW)
    (folder / "exceptions.yaml").write_text(text, encoding="utf-8")
    return refused(tmp_path, cat)


def test_an_impossible_date_is_named_with_its_line(tmp_path, cat):
    [p] = exceptions_problems(tmp_path, cat, ACCEPTANCE.format(date="2024-02-30"))
    assert (p.file, p.line, p.field, p.value) == ("testville/exceptions.yaml", 5, "exceptions.0.accepted_on", "2024-02-30")
    assert "write the date as YYYY-MM-DD (a real date)" in p.message and "YAML error" not in p.message


def test_a_date_in_another_form_is_named_with_its_line(tmp_path, cat):
    [p] = exceptions_problems(tmp_path, cat, ACCEPTANCE.format(date="20.06.2024"))
    assert (p.line, p.field) == (5, "exceptions.0.accepted_on")
    assert "write YYYY-MM-DD" in p.message and "2024-06-20" in p.message


def test_a_real_date_is_accepted(tmp_path, cat):
    folder = write_city(tmp_path / "raw", HEADER + GOOD_ROW)
    (folder / "exceptions.yaml").write_text(ACCEPTANCE.format(date="2024-02-29"), encoding="utf-8")
    load(tmp_path, cat)


@pytest.mark.parametrize("field", ["rule_id", "accepted_by", "role", "accepted_on", "reason"])
def test_every_part_of_an_acceptance_is_required(tmp_path, cat, field):
    text = "\n".join(line for line in ACCEPTANCE.format(date="2024-03-12").splitlines()
                     if not line.strip().lstrip("- ").startswith(field + ":"))
    text = text.replace("exceptions:\n    ", "exceptions:\n  - ") + "\n"
    [p] = exceptions_problems(tmp_path, cat, text)
    assert (p.rule, p.field, p.line) == ("schema.missing", f"exceptions.0.{field}", 2)
    assert field in p.message
