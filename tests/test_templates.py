"""Collection workbooks: their sheets, validations, safety, determinism, and a full round trip
through ingest (generate → fill in → ingest → the same figures in the store)."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest
from typer.testing import CliRunner

from pipeline.catalogue import load_catalogue
from pipeline.i18n import plural_category
from pipeline.cli import app
from pipeline.ingest import SHEET_ROLES, ingest
from pipeline.ingest.models import QualityClass, SOURCE_COLUMNS, SOURCE_OPTIONAL, Status
from pipeline.ingest.reading import read_xlsx
from pipeline.problems import ProblemsFound
from pipeline.templates import (
    COLUMN_TEXT,
    EXTRA_ROWS,
    LINE_POINTS,
    OBSERVATION_COLUMNS,
    QUALITY_TEXT,
    SOURCE_ROWS,
    STATUS_TEXT,
    TemplateError,
    counted,
    parse_years,
    text_lines,
    used_variables,
    write_templates,
)
from tests.conftest import MINI_PROVIDERS, write_catalogue

SHEETS = ["instructions", "observations", "sources", "variables"]
HEADER = ["year", "variable", "value", "unit", "source_id", "status", "note"]
INJECTIONS = {"=HYPERLINK(\"http://example.org\",\"click\")", "+48 123", "-1+2", "@SUM(A1)"}


def two_provider_catalogue(tmp_path: Path):
    """The tiny catalogue, with firefighters supplied by a second provider and descriptions that
    a spreadsheet would take for formulas."""
    root = write_catalogue(tmp_path)
    v = root / "variables.yaml"
    text = v.read_text(encoding="utf-8")
    fire = text.index("  - id: firefighters")
    head, tail = text[:fire], text[fire:]
    tail = tail.replace("provider: stats", "provider: fire", 1).replace(
        "description: {en: Full-time firefighters, pl: Strażacy zawodowi}",
        "description: {en: '=HYPERLINK(\"http://example.org\",\"click\")', pl: '+48 123'}", 1)
    text = head + tail
    text = text.replace("description: {en: At birth, pl: Noworodka}", "description: {en: '-1+2', pl: '@SUM(A1)'}")
    v.write_text(text, encoding="utf-8")
    (root / "providers.yaml").write_text(
        MINI_PROVIDERS + "  - {id: fire, name: {en: Fire service, pl: Straż pożarna}}\n", encoding="utf-8")
    return load_catalogue(root)


@pytest.fixture
def tiny(tmp_path):
    return two_provider_catalogue(tmp_path)


def rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def variables_in(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    ids = [r[0] for r in rows(wb["variables"])[1:]]
    obs = {r[1] for r in rows(wb["observations"])[1:]}
    assert set(ids) == obs
    return ids


def validations(ws) -> dict[str, list]:
    """Data validations by the column letter of their first range."""
    out: dict[str, list] = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            out.setdefault(rng.coord[0], []).append(dv)
    return out


# --- shape ---------------------------------------------------------------------------------------


def test_one_workbook_per_provider_with_the_contract_sheets(tiny, tmp_path):
    paths = write_templates(tiny, tmp_path / "out")
    assert [p.name for p in paths] == ["stats.xlsx", "fire.xlsx"]
    for p in paths:
        wb = openpyxl.load_workbook(p)
        assert wb.sheetnames == SHEETS
        assert rows(wb["observations"])[0] == HEADER
        assert tuple(rows(wb["sources"])[0]) == SOURCE_COLUMNS + SOURCE_OPTIONAL
        assert "value" not in rows(wb["variables"])[0]
        for name in ("observations", "sources", "variables"):
            assert wb[name].freeze_panes == "A2"
            assert all(c.font.bold for c in wb[name][1])
    assert variables_in(tmp_path / "out" / "fire.xlsx") == ["firefighters"]
    assert variables_in(tmp_path / "out" / "stats.xlsx") == [
        "population", "unemployed", "labour_force", "life_expectancy", "income_lcu", "climate"]


def test_observation_rows_without_and_with_years(tiny, tmp_path):
    [p] = write_templates(tiny, tmp_path / "a", provider="stats", single=True)
    body = rows(openpyxl.load_workbook(p)["observations"])[1:]
    assert [(r[0], r[1], r[3]) for r in body][:2] == [(None, "population", "persons"), (None, "unemployed", "persons")]
    assert all(r[2] is None and r[4] is None for r in body)

    [p] = write_templates(tiny, tmp_path / "b", provider="fire", years=[2021, 2019, 2020, 2021])
    body = rows(openpyxl.load_workbook(p)["observations"])[1:]
    assert [(r[0], r[1], r[3]) for r in body] == [(y, "firefighters", "persons") for y in (2019, 2020, 2021)]


def test_variables_sheet_describes_each_variable(tiny, tmp_path):
    [p] = write_templates(tiny, tmp_path, single=True)
    assert p.name == "all-providers.xlsx"
    table = rows(openpyxl.load_workbook(p)["variables"])
    header, body = table[0], {r[0]: dict(zip(table[0], r)) for r in table[1:]}
    assert header[:5] == ["id", "name_en", "name_pl", "unit", "kind"]
    assert body["unemployed"]["used_by_indicators"] == "5.1"
    assert body["population"]["used_by_indicators"] == "5.2, 5.3, P14-P-09"  # one edition: ids, not uids
    assert body["unemployed"]["must_not_exceed"] == "labour_force"
    assert body["income_lcu"]["unit"] == "LCU" and body["income_lcu"]["kind"] == "money"
    assert body["firefighters"]["provider"] == "fire"
    [p] = write_templates(tiny, tmp_path / "ed", editions="test-ed", single=True)
    body = {r[0]: r for r in rows(openpyxl.load_workbook(p)["variables"])[1:]}
    assert body["population"][9] == "5.2, 5.3, P14-P-09"


def test_indicators_named_by_uid_when_editions_mix(tiny, tmp_path):
    ed2 = tiny.root / "test-ed2"
    ed2.mkdir()
    (ed2 / "edition.yaml").write_text((tiny.root / "test-ed" / "edition.yaml").read_text(encoding="utf-8")
                                      .replace("id: test-ed", "id: test-ed2"), encoding="utf-8")
    (ed2 / "5.1.yaml").write_text((tiny.root / "test-ed" / "5.1.yaml").read_text(encoding="utf-8")
                                  .replace("edition: test-ed", "edition: test-ed2"), encoding="utf-8")
    cat = load_catalogue(tiny.root)
    [p] = write_templates(cat, tmp_path / "all", single=True)
    body = {r[0]: r for r in rows(openpyxl.load_workbook(p)["variables"])[1:]}
    assert body["unemployed"][9] == "test-ed:5.1, test-ed2:5.1"
    [p] = write_templates(cat, tmp_path / "one", single=True, editions="test-ed2")
    body = {r[0]: r for r in rows(openpyxl.load_workbook(p)["variables"])[1:]}
    assert list(body) == ["unemployed", "labour_force"] and body["unemployed"][9] == "5.1"


def test_only_variables_used_by_the_edition(tmp_path):
    root = write_catalogue(tmp_path, indicators={})
    ed2 = root / "test-ed"
    (ed2 / "5.1.yaml").write_text(
        'id: "5.1"\nedition: test-ed\ntheme: 5\ntier: core\nname: {en: Life, pl: Życie}\nunit: {en: years, pl: lata}\n'
        "definition: {en: Life., pl: Życie.}\ncalculation: {kind: direct, variable: life_expectancy}\n", encoding="utf-8")
    cat = load_catalogue(root)
    assert list(used_variables(cat)) == ["life_expectancy"]
    [p] = write_templates(cat, tmp_path / "out")
    assert variables_in(p) == ["life_expectancy"]


def test_validations_on_the_columns_people_type_into(tiny, tmp_path):
    [p] = write_templates(tiny, tmp_path, provider="stats", years=[2020, 2021])
    wb = openpyxl.load_workbook(p)
    dv = validations(wb["observations"])
    assert [d.type for d in dv["A"]] == ["whole"] and (dv["A"][0].formula1, dv["A"][0].formula2) == ("1900", "2100")
    assert dv["B"][0].type == "list" and dv["B"][0].formula1 == "'variables'!$A$2:$A$7"
    assert dv["F"][0].type == "list" and dv["F"][0].formula1 == '"' + ",".join(s.value for s in Status) + '"'
    # values: permissive (a warning, blanks allowed); no check but the prompt for the text variable
    assert all(d.errorStyle == "warning" and d.allow_blank for d in dv["C"])
    covered = {c for d in dv["C"] if d.type for rng in d.sqref.ranges for c in _cells(rng.coord)}
    body = rows(wb["observations"])[1:]
    text_rows = {f"C{n}" for n, r in enumerate(body, start=2) if r[1] == "climate"}
    assert covered == {f"C{n}" for n in range(2, len(body) + 2)} - text_rows
    by_cell = {c: d for d in dv["C"] for rng in d.sqref.ranges for c in _cells(rng.coord)}
    assert by_cell["C2"].type == "whole" and by_cell["C2"].operator == "greaterThanOrEqual"  # population, integer
    src = validations(wb["sources"])
    assert src["G"][0].type == "list" and src["G"][0].formula1 == '"' + ",".join(q.value for q in QualityClass) + '"'
    for ws in wb.worksheets:  # Excel refuses files that break these limits
        for d in ws.data_validations.dataValidation:
            assert len(d.error or "") <= 255 and len(d.errorTitle or "") <= 32 and len(d.formula1 or "") <= 255


def _cells(coord: str) -> list[str]:
    if ":" not in coord:
        return [coord]
    a, b = coord.split(":")
    return [f"{a[0]}{n}" for n in range(int(a[1:]), int(b[1:]) + 1)]


def test_text_from_the_catalogue_is_never_a_formula(tiny, tmp_path):
    paths = write_templates(tiny, tmp_path)
    seen = set()
    for p in paths:
        wb = openpyxl.load_workbook(p)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if c.value in INJECTIONS:
                        assert c.data_type == "s" and c.quotePrefix
                        seen.add(c.value)
                    assert c.data_type != "f"
        with zipfile.ZipFile(p) as z:
            assert not any("<f>" in z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert seen == INJECTIONS


def test_instructions_come_from_the_models(tiny, tmp_path):
    [p] = write_templates(tiny, tmp_path, provider="fire")
    ws = openpyxl.load_workbook(p)["instructions"]
    pl = "\n".join(str(r[0] or "") for r in rows(ws))
    en = "\n".join(str(r[1] or "") for r in rows(ws))
    assert "Straż pożarna" in pl and "Fire service" in en
    for s in Status:
        assert f"{s.value} – " in pl and f"{s.value} – " in en
    for col in OBSERVATION_COLUMNS + SOURCE_COLUMNS + SOURCE_OPTIONAL:
        assert f"\n{col}" in en
    assert set(STATUS_TEXT) == set(Status) and set(QUALITY_TEXT) == set(QualityClass)
    assert set(OBSERVATION_COLUMNS + SOURCE_COLUMNS + SOURCE_OPTIONAL) <= set(COLUMN_TEXT)


def test_ingest_skips_every_sheet_but_observations_and_sources(tiny, tmp_path):
    for p in write_templates(tiny, tmp_path, years=[2020]):
        tables = read_xlsx(p, p.name, SHEET_ROLES)
        assert [t.sheet for t in tables] == SHEETS
        assert not [pr for t in tables for pr in t.problems]
        by_sheet = {t.sheet: t for t in tables}
        for skipped in ("instructions", "variables"):
            assert [r.rule for r in by_sheet[skipped].repairs] == ["sheet_skipped"]
            assert by_sheet[skipped].data is None
        assert by_sheet["observations"].role == "observations" and by_sheet["observations"].header == HEADER
        assert by_sheet["sources"].role == "sources" and by_sheet["sources"].data.num_rows == 0


def test_same_catalogue_same_bytes(tiny, tmp_path):
    a = write_templates(tiny, tmp_path / "a", years=[2020, 2021])
    b = write_templates(tiny, tmp_path / "b", years=[2020, 2021])
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert openpyxl.load_workbook(a[0]).properties.modified.year == 2000


def test_options_that_cannot_be_met(tiny, tmp_path):
    with pytest.raises(TemplateError, match="edition"):
        write_templates(tiny, tmp_path, editions="nope")
    with pytest.raises(TemplateError, match="provider"):
        write_templates(tiny, tmp_path, provider="nope")
    with pytest.raises(TemplateError, match="1900"):
        write_templates(tiny, tmp_path, years=[1850])
    assert parse_years("2019-2021") == [2019, 2020, 2021]
    assert parse_years("2020, 2018,2019-2020") == [2018, 2019, 2020]
    for bad in ("2019-2017", "19", "2019/20", "1800-1900", ""):
        with pytest.raises(TemplateError):
            parse_years(bad)


# --- the real catalogue ----------------------------------------------------------------------------


def test_real_catalogue_every_used_variable_once(catalogue, tmp_path):
    paths = write_templates(catalogue, tmp_path / "per", years=[2022, 2023])
    assert {p.stem for p in paths} <= set(catalogue.providers)
    ids = [v for p in paths for v in variables_in(p)]
    assert sorted(ids) == sorted(used_variables(catalogue)) and len(ids) == len(set(ids))
    for p in paths:
        wb = openpyxl.load_workbook(p)
        assert wb.sheetnames == SHEETS and rows(wb["observations"])[0] == HEADER
        n = len(variables_in(p))
        assert len(rows(wb["observations"])) == 1 + 2 * n
        dv = validations(wb["observations"])
        assert dv["B"] and dv["F"] and dv["D"] and dv["E"]
        # every count sentence agrees with its number (the issue found "1 zmiennych", "1 variables")
        pl, en = instruction_texts(wb)
        assert counted(n, "variables")[0] in pl and counted(n, "variables")[1] in en
        assert counted(2 * n, "rows_prefilled")[0] in pl and counted(2 * n, "rows_prefilled")[1] in en
        assert_counts_agree(pl + "\n" + en)
    [single] = write_templates(catalogue, tmp_path / "one", single=True)
    assert variables_in(single) == list(used_variables(catalogue))
    again = write_templates(catalogue, tmp_path / "per2", years=[2022, 2023])
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]


# --- round trip -------------------------------------------------------------------------------------

CITY = """\
code: TST
name: {en: Testville, pl: Testowo}
country: PL
currency: PLN
edition: test-ed
fictional: true
"""
YEARS = [2021, 2022]


def figure(variable: str, year: int):
    """What the test types into the value cell, and what the store must then hold."""
    return {
        "population": (100_000 + year, Decimal(100_000 + year), None),
        "unemployed": (2_500, Decimal(2_500), None),
        "labour_force": (50_000.0, Decimal(50_000), None),
        "firefighters": (120 + year % 10, Decimal(120 + year % 10), None),
        "life_expectancy": ("78,5", Decimal("78.5"), None),  # a decimal comma typed as text
        "income_lcu": (12_345.67, Decimal("12345.67"), None),
        "climate": ("Dfb", None, "Dfb"),
    }[variable]


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
NO_SOFFICE = "LibreOffice is not installed (apt-get install -y libreoffice-calc-nogui): no render or re-save by LibreOffice"


def libreoffice(path: Path, fmt: str, out_dir: Path) -> Path:
    """``path`` converted by LibreOffice (``soffice --headless --convert-to``) into ``out_dir``."""
    profile = (out_dir.parent / "lo-profile").as_uri()  # its own profile: no clash with an office already open
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", fmt,
                    "--outdir", str(out_dir), str(path)], check=True, capture_output=True, timeout=300)
    return out_dir / f"{path.stem}.{fmt.split(':')[0]}"


@pytest.mark.parametrize("saved_by", ["openpyxl",
                                      pytest.param("libreoffice", marks=pytest.mark.skipif(SOFFICE is None, reason=NO_SOFFICE))])
def test_round_trip_through_ingest(tiny, tmp_path, saved_by):
    """Filled in the unlocked cells only (as a person can), saved by openpyxl or by LibreOffice."""
    folder = tmp_path / "raw" / "testcity"
    obs_dir = folder / "observations"
    paths = write_templates(tiny, obs_dir, editions="test-ed", years=YEARS)
    (folder / "city.yaml").write_text(CITY, encoding="utf-8")
    (folder / "sources.csv").write_text(
        "source_id,organisation,dataset,url,retrieved_on,licence\nS0,City office,Climate atlas,,2024-01-31,CC-BY-4.0\n",
        encoding="utf-8")
    expected = []
    for p in paths:
        wb = openpyxl.load_workbook(p)
        own = f"S-{p.stem}"  # source ids must be unique in the whole folder (see the report)
        wb["sources"].append([own, f"{p.stem} office", "Table 1", "https://example.org", date(2024, 3, 1), "CC0-1.0",
                              "measured", None, None])
        assert wb["sources"].max_row == 2 and not any(wb["sources"].column_dimensions[c].protection.locked for c in "ABCDEFGHI")
        ws = wb["observations"]
        for (year_c, var_c, value_c, _unit, source_c, status_c, note_c) in ws.iter_rows(min_row=2):
            year, var = year_c.value, var_c.value
            assert not any(c.protection.locked for c in (value_c, source_c, status_c, note_c))
            if (var, year) == ("income_lcu", 2021):
                status_c.value, note_c.value = "not_available", "not published for 2021"
                expected.append(("TST", year, var, None, None, "not_available"))
                continue
            typed, stored, text = figure(var, year)
            value_c.value = typed
            source_c.value = "S0" if var == "climate" else own
            expected.append(("TST", year, var, stored, text, None))
        wb.save(p)
        if saved_by == "libreoffice":  # opened and saved again, as a provider working in LibreOffice would
            again = libreoffice(p, "xlsx:Calc MS Excel 2007 XML", tmp_path / "resaved")
            again.replace(p)
            assert all(ws.protection.sheet for ws in openpyxl.load_workbook(p).worksheets)
    store = tmp_path / "store.duckdb"
    report = ingest(tmp_path / "raw", tiny, store)
    assert report.cities == ["TST"] and report.observations == len(expected) == 14
    con = duckdb.connect(str(store), read_only=True)
    try:
        got = con.execute("SELECT city_code, year, variable, value, value_text, status FROM observations "
                          "ORDER BY city_code, year, variable").fetchall()
        sources = con.execute("SELECT source_id, file_id, retrieved_on FROM sources ORDER BY source_id").fetchall()
    finally:
        con.close()
    assert got == sorted(expected, key=lambda r: (r[0], r[1], r[2]))
    assert sources == [("S-fire", "testcity/observations/fire.xlsx", date(2024, 3, 1)),
                       ("S-stats", "testcity/observations/stats.xlsx", date(2024, 3, 1)),
                       ("S0", "testcity/sources.csv", date(2024, 1, 31))]


def test_an_unfilled_template_does_not_load(tiny, tmp_path):
    """Pre-filled rows left empty are errors, not silently dropped figures."""
    folder = tmp_path / "raw" / "testcity"
    write_templates(tiny, folder / "observations", provider="fire", years=[2021])
    (folder / "city.yaml").write_text(CITY, encoding="utf-8")
    (folder / "sources.csv").write_text("source_id,organisation,dataset,url,retrieved_on,licence\n", encoding="utf-8")
    with pytest.raises(ProblemsFound) as e:
        ingest(tmp_path / "raw", tiny, tmp_path / "store.duckdb")
    assert [(p.sheet, p.row, p.rule) for p in e.value.problems] == [("observations", 2, "missing_value")]


# --- command line ----------------------------------------------------------------------------------


def test_cli_writes_and_names_the_workbooks(tmp_path):
    cat = write_catalogue(tmp_path)
    out = tmp_path / "tpl"
    result = CliRunner().invoke(app, ["templates", "--catalogue", str(cat), "--out", str(out), "--years", "2019-2020"])
    assert result.exit_code == 0, result.output
    assert "stats.xlsx" in result.output
    assert len(rows(openpyxl.load_workbook(out / "stats.xlsx")["observations"])) == 1 + 2 * 7
    result = CliRunner().invoke(app, ["templates", "--catalogue", str(cat), "--out", str(out), "--years", "2019/20"])
    assert result.exit_code == 2
    result = CliRunner().invoke(app, ["templates", "--catalogue", str(cat), "--out", str(out), "--provider", "nope"])
    assert result.exit_code == 2


# --- protection, drop-downs, prompts, printing, row heights, counts ---------------------------------


def instruction_texts(wb) -> tuple[str, str]:
    """The Polish and the English column of the instructions sheet, as text."""
    table = rows(wb["instructions"])
    return "\n".join(str(r[0] or "") for r in table), "\n".join(str(r[1] or "") for r in table)


POLISH_FORMS = {"zmienn": {"one": "zmienna", "few": "zmienne", "many": "zmiennych"},
                "wiersz": {"one": "wiersz", "few": "wiersze", "many": "wierszy"}}


def assert_counts_agree(text: str) -> None:
    """Every "<number> <noun>" of the workbook texts has the plural form the number asks for."""
    seen = 0
    for n, word in re.findall(r"\b(\d+) (zmienn\w*|wiersz\w*|variables?|rows?)\b", text):
        n, seen = int(n), seen + 1
        if word.startswith(("zmienn", "wiersz")):
            assert word == POLISH_FORMS[word[:6]][plural_category(n, "pl")], f"{n} {word}"
        else:
            assert word.endswith("s") == (n != 1), f"{n} {word}"
    assert seen >= 4  # variables and rows, in both languages


@pytest.mark.parametrize("n, cat_pl, cat_en", [
    (0, "many", "other"), (1, "one", "one"), (2, "few", "other"), (4, "few", "other"), (5, "many", "other"),
    (11, "many", "other"), (12, "many", "other"), (14, "many", "other"), (21, "many", "other"),
    (22, "few", "other"), (25, "many", "other"), (104, "few", "other"), (112, "many", "other"), (1001, "many", "other"),
])
def test_plural_categories_follow_cldr(n, cat_pl, cat_en):
    assert (plural_category(n, "pl"), plural_category(n, "en")) == (cat_pl, cat_en)


def test_count_phrases_agree_with_the_number():
    assert [counted(n, "variables") for n in (1, 2, 5, 12, 22, 25)] == [
        ("1 zmienna, opisana", "1 variable, described"), ("2 zmienne, opisane", "2 variables, described"),
        ("5 zmiennych, opisanych", "5 variables, described"), ("12 zmiennych, opisanych", "12 variables, described"),
        ("22 zmienne, opisane", "22 variables, described"), ("25 zmiennych, opisanych", "25 variables, described")]
    assert [counted(n, "rows_prefilled") for n in (1, 2, 5, 12, 22, 25)] == [
        ("1 wiersz wpisany z góry", "1 row pre-filled"), ("2 wiersze wpisane z góry", "2 rows pre-filled"),
        ("5 wierszy wpisanych z góry", "5 rows pre-filled"), ("12 wierszy wpisanych z góry", "12 rows pre-filled"),
        ("22 wiersze wpisane z góry", "22 rows pre-filled"), ("25 wierszy wpisanych z góry", "25 rows pre-filled")]
    with pytest.raises(ValueError):
        plural_category(1, "de")


@pytest.mark.parametrize("n_years", [1, 2, 5, 12, 22, 25])
def test_count_sentences_of_the_instructions(tiny, tmp_path, n_years):
    """The fire workbook has one variable, so its pre-filled rows are as many as the years."""
    [p] = write_templates(tiny, tmp_path, provider="fire", years=list(range(2000, 2000 + n_years)))
    pl, en = instruction_texts(openpyxl.load_workbook(p))
    assert "1 zmienna, opisana w arkuszu variables" in pl and "1 variable, described on the variables sheet" in en
    rows_pl, rows_en = counted(n_years, "rows_prefilled")
    assert f"; {rows_pl}." in pl and f"; {rows_en}." in en
    assert_counts_agree(pl + "\n" + en)


def test_sheets_are_protected_but_the_input_cells(tiny, tmp_path):
    [with_years] = write_templates(tiny, tmp_path / "y", provider="stats", years=[2020, 2021])
    [no_years] = write_templates(tiny, tmp_path / "n", provider="stats")
    for p, year_is_input in ((with_years, False), (no_years, True)):
        wb = openpyxl.load_workbook(p)
        assert wb.security.lockStructure and not wb.security.workbookPassword  # sheet names are the contract
        for ws in wb.worksheets:
            prot = ws.protection
            assert prot.sheet and not prot.password, ws.title  # on, and no password: an office may unprotect it
            assert not prot.formatColumns and not prot.formatRows, ws.title  # resizing is allowed
            assert prot.formatCells and prot.insertColumns and prot.deleteColumns, ws.title  # no unlocking, no new columns
            assert all(c.protection.locked for c in ws[1]), ws.title  # the header row
        obs = wb["observations"]
        assert not obs.protection.autoFilter and obs.protection.sort and obs.auto_filter.ref == f"A1:G{obs.max_row}"
        assert not wb["sources"].protection.sort  # a row is a whole source: sorting is safe
        assert not wb["variables"].protection.autoFilter and wb["variables"].auto_filter.ref
        inputs = {"value", "source_id", "status", "note"} | ({"year"} if year_is_input else set())
        for row in obs.iter_rows(min_row=2):
            for name, cell in zip(HEADER, row):
                assert cell.protection.locked == (name not in inputs), (p.parent.name, cell.coordinate)
                assert (cell.fill.fgColor.rgb == "00FFF7D6") == (name in inputs), cell.coordinate  # tinted: type here
        # below the pre-filled rows every column is open, for the rows people add (a column's default style)
        for letter in "ABCDEFG":
            assert obs.column_dimensions[letter].protection.locked is False
        for letter in "ABCDEFGHI":
            assert wb["sources"].column_dimensions[letter].protection.locked is False
        for name in ("instructions", "variables"):
            ws = wb[name]
            assert all(c.protection.locked for row in ws.iter_rows() for c in row)
            assert all(d.protection.locked for d in ws.column_dimensions.values())


def _coverage(ws, letter: str) -> dict[str, object]:
    """Cell of column ``letter`` → the validation on it (each cell must have at most one)."""
    out: dict[str, object] = {}
    for d in ws.data_validations.dataValidation:
        for rng in d.sqref.ranges:
            for c in _cells(rng.coord):
                if c[0] == letter:
                    assert c not in out, f"two validations on {c}"
                    out[c] = d
    return out


def test_drop_downs_prompts_and_error_messages_on_every_input_column(tiny, tmp_path):
    [p] = write_templates(tiny, tmp_path, provider="stats", years=[2020, 2021])
    wb = openpyxl.load_workbook(p)
    obs, src = wb["observations"], wb["sources"]
    n_rows = obs.max_row - 1
    last = n_rows + 1 + EXTRA_ROWS
    for ws, letters, end in ((obs, "ABCDEFG", last), (src, "ABCDEFGHI", SOURCE_ROWS + 1)):
        for letter in letters:
            cover = _coverage(ws, letter)
            assert set(cover) == {f"{letter}{n}" for n in range(2, end + 1)}, (ws.title, letter)  # no gap, no more
            for d in set(map(id, cover.values())):
                d = next(v for v in cover.values() if id(v) == d)
                assert d.showInputMessage and d.promptTitle and d.prompt, (ws.title, letter)
                assert len(d.promptTitle) <= 32 and len(d.prompt) <= 255, (ws.title, letter, d.prompt)
                assert len(d.errorTitle or "") <= 32 and len(d.error or "") <= 255 and len(d.formula1 or "") <= 255
                if d.type:  # a real check: it tells what is wrong
                    assert d.showErrorMessage and d.error and d.errorStyle in ("stop", "warning"), (ws.title, letter)

    def one(ws, letter):
        [d] = {id(d): d for d in _coverage(ws, letter).values()}.values()
        return d

    variable, unit, source, status = one(obs, "B"), one(obs, "D"), one(obs, "E"), one(obs, "F")
    assert (variable.type, variable.formula1, variable.errorStyle) == ("list", "'variables'!$A$2:$A$7", "stop")
    units = list(dict.fromkeys(r[3] for r in rows(wb["variables"])[1:]))
    assert (unit.type, unit.formula1, unit.errorStyle) == ("list", '"' + ",".join(units) + '"', "warning")  # PLN for LCU
    assert (source.type, source.formula1) == ("list", f"'sources'!$A$2:$A${SOURCE_ROWS + 1}")
    assert source.errorStyle == "warning" and "sources.csv" in source.error  # an id of the city's sources.csv is fine
    assert (status.type, status.errorStyle) == ("list", "stop") and status.formula1 == '"' + ",".join(Status) + '"'
    assert one(obs, "G").type is None and "not_available" in one(obs, "G").prompt  # note: a prompt only
    added = _coverage(obs, "C")[f"C{n_rows + 2}"]  # rows people add: the prompt, no check of a kind
    assert added.type is None and {r.coord for r in added.sqref.ranges} == {f"C{n_rows + 2}:C{last}"}
    sid, quality = one(src, "A"), one(src, "G")
    assert sid.type == "custom" and "COUNTIF($A$2:$A$51,A2)=1" in sid.formula1 and sid.errorStyle == "stop"
    assert quality.type == "list" and quality.formula1 == '"' + ",".join(QualityClass) + '"'
    assert one(src, "D").type == "custom" and one(src, "D").errorStyle == "warning"  # url
    assert one(src, "E").type == "date"  # retrieved_on


def test_unit_list_falls_back_to_the_variables_sheet(tiny, tmp_path):
    """A unit with a comma cannot stand in a written list: the drop-down reads the variables sheet."""
    v = tiny.root / "variables.yaml"
    v.write_text(v.read_text(encoding="utf-8").replace("unit: years", 'unit: "years, from birth"', 1), encoding="utf-8")
    from pipeline.catalogue import load_catalogue as load
    [p] = write_templates(load(tiny.root), tmp_path, provider="stats")
    [unit] = {id(d): d for d in _coverage(openpyxl.load_workbook(p)["observations"], "D").values()}.values()
    assert unit.formula1 == "'variables'!$D$2:$D$7"


def test_print_setup(tiny, tmp_path):
    for p in write_templates(tiny, tmp_path):
        wb = openpyxl.load_workbook(p)
        for ws in wb.worksheets:
            ps = ws.page_setup
            assert (ps.orientation, ps.paperSize, ps.fitToWidth, ps.fitToHeight) == ("landscape", 9, 1, 0), ws.title
            assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
            assert ws.print_title_rows == "$1:$1", ws.title  # the header repeated on every page
            assert ws.print_options.gridLines == (ws.title != "instructions")
            assert "&P" in ws.oddFooter.right.text


def test_wrapped_text_gets_rows_tall_enough(tiny, tmp_path):
    assert text_lines("", 80) == 1 and text_lines("short", 80) == 1 and text_lines("a\nb", 80) == 2
    assert text_lines("word " * 40, 80) == 3 and text_lines("x" * 200, 80) == 3  # a long word breaks too
    assert text_lines("word " * 40, 80, bold=True) >= text_lines("word " * 40, 80)
    [p] = write_templates(tiny, tmp_path, provider="stats")
    wb = openpyxl.load_workbook(p)
    ws = wb["instructions"]
    tall = 0
    for r, (pl, en) in enumerate(ws.iter_rows(min_row=2, max_col=2), start=2):
        lines = max(text_lines(c.value or "", 80, c.font.bold) for c in (pl, en))
        if lines > 1:
            tall += 1
            assert ws.row_dimensions[r].height >= lines * LINE_POINTS, r
            assert pl.alignment.wrap_text and en.alignment.wrap_text
    assert tall >= 10


def test_long_descriptions_get_rows_tall_enough(tiny, tmp_path):
    v = tiny.root / "variables.yaml"
    long = "Residents on 31 December of the reference year, counted where they usually live. " * 4
    v.write_text(v.read_text(encoding="utf-8").replace("{en: Residents,", "{en: '" + long.strip() + "',", 1),
                 encoding="utf-8")
    from pipeline.catalogue import load_catalogue as load
    [p] = write_templates(load(tiny.root), tmp_path, provider="stats")
    ws = openpyxl.load_workbook(p)["variables"]
    heights = {r: ws.row_dimensions[r].height for r in range(2, ws.max_row + 1)}
    assert heights[2] >= text_lines(long, 60) * LINE_POINTS and text_lines(long, 60) >= 5  # population
    assert all(h is None for r, h in heights.items() if r != 2)  # one-line rows keep the default
    assert all(c.alignment.wrap_text for row in ws.iter_rows(min_row=2) for c in row)


@pytest.mark.skipif(SOFFICE is None, reason=NO_SOFFICE)
def test_libreoffice_reads_and_prints_the_workbook(tiny, tmp_path):
    """What LibreOffice makes of a workbook: A4 landscape pages, every sheet protected, input cells
    unlocked, and the validations with their prompts and error messages."""
    [p] = write_templates(tiny, tmp_path / "xlsx", provider="stats", years=[2020, 2021])
    pdf = libreoffice(p, "pdf", tmp_path / "pdf").read_bytes()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes and {(round(float(w)), round(float(h))) for w, h in boxes} == {(842, 595)}  # A4, landscape
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 4  # every sheet printed
    with zipfile.ZipFile(libreoffice(p, "ods", tmp_path / "ods")) as z:
        content = z.read("content.xml").decode("utf-8")
    assert len(re.findall(r'<table:table table:name="\w+"[^>]*table:protected="true"', content)) == 4
    assert content.count('style:cell-protect="none"') >= 1  # the unlocked input cells
    validations = re.findall(r"<table:content-validation .*?</table:content-validation>", content, re.S)
    assert len(validations) >= 16 and all("<table:help-message" in v for v in validations)
    assert any('table:message-type="warning"' in v for v in validations)
    assert any('table:message-type="stop"' in v for v in validations)
    assert "cell-content-is-in-list([$sources.$A$2:.$A$51])" in content
