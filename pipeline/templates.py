"""Collection workbooks: XLSX templates a data provider fills in and the city puts in ``observations/``.

One workbook per provider (``<provider-id>.xlsx``), or one for all (``all-providers.xlsx``), holding
only the variables the indicators of an edition use. Each workbook has four sheets:

``instructions``  who fills it and the rules of the input contract, in Polish and English;
``observations``  the contract's columns, one pre-filled row per variable (and year, if given);
``sources``       the source register's columns, to fill;
``variables``     what each variable means (skipped by ingest: its header has no ``value`` column).

Everything that the contract lists (columns, statuses, quality classes, the year range) is taken
from :mod:`pipeline.ingest.models`, so the templates cannot drift from what ingest accepts. Text
from the catalogue is always written as a text cell, never as a formula, and the files are
byte-identical for the same catalogue and options.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from pipeline.catalogue import Catalogue
from pipeline.catalogue.models import Indicator, Provider, Variable, VariableKind
from pipeline.ingest.models import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SOURCE_COLUMNS,
    SOURCE_OPTIONAL,
    ObservationRow,
    QualityClass,
    SourceRow,
    Status,
)

DEFAULT_OUT = Path("data/out/templates")
SINGLE_NAME = "all-providers"
FIXED_TIME = datetime(2000, 1, 1)
"""Written as the created/modified time of every workbook, so the same input gives the same bytes."""
ZIP_TIME = (2000, 1, 1, 0, 0, 0)

OBSERVATION_COLUMNS = REQUIRED_COLUMNS + tuple(c for c in OPTIONAL_COLUMNS if c != "city")
"""``city`` is left out: a template is filled for one city, whose code is in city.yaml."""
SOURCE_SHEET_COLUMNS = SOURCE_COLUMNS + SOURCE_OPTIONAL
VARIABLE_COLUMNS = ("id", "name_en", "name_pl", "unit", "kind", "whole_number", "provider",
                    "description_en", "description_pl", "used_by_indicators", "must_not_exceed")
"""The ``variables`` sheet. It must never have a ``value`` column, or ingest would read it."""
EMPTY_STATUSES = (Status.not_available, Status.not_applicable, Status.confidential)
REASON_STATUSES = (Status.not_available, Status.not_applicable)
EXTRA_ROWS = 500
"""Rows below the pre-filled ones that still get the validations (for rows people add)."""
SOURCE_ROWS = 50

_RISKY_START = ("=", "+", "-", "@", "\t", "\r")
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
_WRAP = Alignment(wrap_text=True, vertical="top")


class TemplateError(ValueError):
    """The options ask for something the catalogue does not have."""


# --- texts -------------------------------------------------------------------------------------
# Explanations keyed by the models' own lists; a missing key falls back to the model's docstring
# (English) so a new column or status still shows up in the instructions.

COLUMN_TEXT: dict[str, tuple[str, str]] = {  # column: (pl, en)
    "year": ("Rok kalendarzowy, którego dotyczy wartość (4 cyfry, np. 2023; nie rok szkolny/budżetowy typu 2017/18).",
             "Calendar year the figure refers to (four digits, e.g. 2023; not a fiscal or school year such as 2017/18)."),
    "variable": ("Identyfikator zmiennej z arkusza variables (lista rozwijana).",
                 "Variable id from the variables sheet (drop-down list)."),
    "value": ("Wartość w jednostce z kolumny unit. Przecinek lub kropka dziesiętna; bez separatorów tysięcy, jeśli mogą być niejednoznaczne.",
              "The figure, in the unit of column unit. Decimal point or comma; no thousands separators where they could be ambiguous."),
    "unit": ("Jednostka – wpisana z góry, nie zmieniaj jej; przelicz wartość, jeśli źródło podaje inną jednostkę. LCU = waluta miasta (np. PLN).",
             "The unit – pre-filled, do not change it; convert the figure if the source uses another unit. LCU = the city's currency (e.g. PLN)."),
    "source_id": ("Identyfikator źródła z arkusza sources (lub z pliku sources.csv miasta). Wymagany dla każdej podanej wartości.",
                  "A source id from the sources sheet (or the city's sources.csv). Required for every figure given."),
    "status": ("Status wartości (lista rozwijana); puste = wartość ostateczna.",
               "Status of the figure (drop-down list); empty = a normal, final figure."),
    "note": ("Wyjaśnienie: wymagane przy not_available / not_applicable (powód) i przy dużych zmianach rok do roku.",
             "Explanation: required for not_available / not_applicable (the reason) and for large year-on-year changes."),
    "city": ("Kod miasta; potrzebny tylko, gdy jeden plik zawiera dane kilku miast.",
             "City code; needed only when one file holds the figures of several cities."),
    "organisation": ("Instytucja, która udostępniła dane.", "The organisation that supplied the figures."),
    "dataset": ("Zbiór lub tabela u dostawcy (np. BDL P2137).", "The dataset or table at the provider (e.g. BDL P2137)."),
    "url": ("Adres strony zbioru (jeśli jest).", "Web address of the dataset (if any)."),
    "retrieved_on": ("Data pobrania danych, RRRR-MM-DD.", "When the extract was taken, YYYY-MM-DD."),
    "licence": ("Licencja danych (np. CC-BY-4.0) lub warunki dostawcy.", "Licence of the data (e.g. CC-BY-4.0) or the provider's terms."),
    "quality_class": ("Klasa jakości danych (lista rozwijana).", "Data-quality class (drop-down list)."),
    "origin": ("Jak powstały dane (rejestr, badanie, model…).", "How the figures were produced (register, survey, model…)."),
    "contact": ("Osoba kontaktowa u dostawcy.", "Contact person at the provider."),
}

STATUS_TEXT: dict[Status, tuple[str, str]] = {
    Status.estimated: ("wartość oszacowana", "an estimate"),
    Status.provisional: ("wartość wstępna, może się zmienić", "a provisional figure that may change"),
    Status.revised: ("wartość poprawiona względem wcześniej podanej", "a figure revised since it was first given"),
    Status.break_: ("zmiana metody lub zakresu – wartość nieporównywalna z poprzednim rokiem",
                    "a break in method or coverage: not comparable with the year before"),
    Status.confidential: ("wartość poufna – pole value może zostać puste", "confidential: value may be left empty"),
    Status.not_available: ("brak danych – value puste, powód w note", "not available: value empty, the reason in note"),
    Status.not_applicable: ("nie dotyczy miasta – value puste, powód w note", "does not apply to the city: value empty, the reason in note"),
}

QUALITY_TEXT: dict[QualityClass, tuple[str, str]] = {
    QualityClass.measured: ("pomiar lub pełny rejestr", "measured, or a complete register"),
    QualityClass.survey_extrapolation: ("ekstrapolacja z badania próbkowego", "extrapolated from a sample survey"),
    QualityClass.higher_level_extrapolation: ("przeniesione z wyższego poziomu (region, kraj)", "extrapolated from a higher level (region, country)"),
    QualityClass.assumption_estimate: ("szacunek na podstawie założeń", "an estimate from assumptions"),
    QualityClass.expert_estimate: ("ocena ekspercka", "an expert's estimate"),
    QualityClass.unknown: ("nieznana", "unknown"),
}

KIND_TEXT: dict[VariableKind, tuple[str, str]] = {
    VariableKind.count: ("liczba (osób, obiektów, zdarzeń), nieujemna", "a number of things or people, not negative"),
    VariableKind.quantity: ("wielkość fizyczna (kWh, tony, m², km…), nieujemna", "a physical quantity (kWh, tonnes, m², km…), not negative"),
    VariableKind.money: ("kwota w podanej walucie (LCU = waluta miasta)", "an amount of money in the unit given (LCU = the city's currency)"),
    VariableKind.share: ("odsetek 0–100 (nie ułamek 0–1)", "a percentage 0–100 (not a fraction 0–1)"),
    VariableKind.measure: ("pomiar, może być ujemny", "a measurement that may be negative"),
    VariableKind.text: ("opis słowny", "a fact in words"),
}


def _plain(text: str | None) -> str:
    return re.sub(r"``([^`]*)``", r"\1", text or "").replace("\n", " ")


SOURCE_ID_TEXT = ("Identyfikator źródła, na który powołuje się kolumna source_id w arkuszu observations; unikalny w całym "
                  "folderze miasta (sources.csv i wszystkie skoroszyty). Litery, cyfry, . _ -, do 32 znaków.",
                  "The id that column source_id of the observations sheet refers to; unique across the city's whole "
                  "folder (sources.csv and all workbooks). Letters, digits, . _ -, up to 32 characters.")


def _column_text(name: str, model: type) -> tuple[str, str]:
    if model is SourceRow and name == "source_id":
        return SOURCE_ID_TEXT
    if name in COLUMN_TEXT:
        return COLUMN_TEXT[name]
    field = model.model_fields.get(name)
    en = _plain(field.description if field else "")
    return en, en


def year_bounds() -> tuple[int, int]:
    """The year range the contract accepts, read from :class:`ObservationRow`."""
    meta = ObservationRow.model_fields["year"].metadata
    low = next((m.ge for m in meta if getattr(m, "ge", None) is not None), 1900)
    high = next((m.le for m in meta if getattr(m, "le", None) is not None), 2100)
    return int(low), int(high)


def parse_years(text: str) -> list[int]:
    """``2019-2023``, ``2019,2020`` or a mix (``2015,2019-2021``) as a sorted list of years."""
    low, high = year_bounds()
    years: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        m = re.fullmatch(r"(\d{4})(?:\s*[-–]\s*(\d{4}))?", part)
        if not m:
            raise TemplateError(f"{part!r} is not a year or a range of years (write 2019-2023 or 2019,2020)")
        a, b = int(m.group(1)), int(m.group(2) or m.group(1))
        if a > b:
            raise TemplateError(f"{part!r}: the range runs backwards")
        if a < low or b > high:
            raise TemplateError(f"{part!r}: years must lie within {low}–{high}")
        years.update(range(a, b + 1))
    return sorted(years)


# --- what goes into which workbook -------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One workbook: its file stem, the provider (None for all), and its variables in order."""

    name: str
    provider: Provider | None
    variables: list[Variable]


def used_variables(catalogue: Catalogue, edition: str | None = None) -> dict[str, list[Indicator]]:
    """The variables the indicators (of ``edition``, or of every edition) use, in registry order,
    each with the indicators that use it."""
    if edition is not None and edition not in catalogue.editions:
        raise TemplateError(f"edition {edition!r} is not in the catalogue (known: {', '.join(catalogue.editions)})")
    users: dict[str, list[Indicator]] = {}
    for ind in catalogue.indicators.values():
        if edition is None or ind.edition == edition:
            for v in dict.fromkeys(ind.variables):
                users.setdefault(v, []).append(ind)
    return {v: users[v] for v in catalogue.variables if v in users}


def plan_workbooks(catalogue: Catalogue, edition: str | None = None, provider: str | None = None,
                   single: bool = False) -> list[Plan]:
    used = used_variables(catalogue, edition)
    if provider is not None and provider not in catalogue.providers:
        raise TemplateError(f"provider {provider!r} is not in providers.yaml (known: {', '.join(catalogue.providers)})")
    variables = [catalogue.variables[v] for v in used]
    if provider is not None:
        variables = [v for v in variables if v.provider == provider]
        if not variables:
            raise TemplateError(f"no indicator{' of ' + edition if edition else ''} uses a variable of provider {provider!r}")
    if not variables:
        raise TemplateError("no indicator uses any variable: there is nothing to collect")
    if single:
        only = catalogue.providers[provider] if provider else None
        return [Plan(provider or SINGLE_NAME, only, variables)]
    return [Plan(p.id, p, [v for v in variables if v.provider == p.id])
            for p in catalogue.providers.values() if any(v.provider == p.id for v in variables)]


# --- writing -----------------------------------------------------------------------------------


def write_templates(catalogue: Catalogue, out_dir: Path, edition: str | None = None, provider: str | None = None,
                    single: bool = False, years: list[int] | None = None) -> list[Path]:
    """Write the collection workbooks into ``out_dir``; return their paths.

    Raises :class:`TemplateError` for an unknown edition or provider, or when nothing is used.
    """
    plans = plan_workbooks(catalogue, edition, provider, single)
    users = used_variables(catalogue, edition)
    if years is not None:
        low, high = year_bounds()
        bad = [y for y in years if not low <= y <= high]
        if bad:
            raise TemplateError(f"years must lie within {low}–{high}: {bad}")
        years = sorted(set(years))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for plan in plans:
        wb = build_workbook(catalogue, plan, users, edition, years)
        path = out_dir / f"{plan.name}.xlsx"
        path.write_bytes(workbook_bytes(wb))
        paths.append(path)
    return paths


def build_workbook(catalogue: Catalogue, plan: Plan, users: dict[str, list[Indicator]],
                   edition: str | None, years: list[int] | None) -> Workbook:
    wb = Workbook()
    wb.properties.creator = "iso37120 templates"
    wb.properties.title = f"ISO 37120 – {plan.name}"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.lastModifiedBy = None
    instructions = wb.active
    instructions.title = "instructions"
    obs = wb.create_sheet("observations")
    src = wb.create_sheet("sources")
    var = wb.create_sheet("variables")
    _variables_sheet(var, catalogue, plan, users, edition)
    n_rows = _observations_sheet(obs, plan, years, var.title)
    _sources_sheet(src)
    _instructions_sheet(instructions, catalogue, plan, edition, years, n_rows)
    wb.active = 0
    return wb


def put(ws: Worksheet, row: int, col: int, value: object) -> Cell:
    """Write a value; text is always stored as text (never a formula or an error code), and text
    that a spreadsheet could take for a formula (``= + - @``) also gets Excel's quote prefix."""
    cell = ws.cell(row=row, column=col)
    if value == "":
        value = None
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = value
        cell.data_type = "s"
        if value.startswith(_RISKY_START):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def _header(ws: Worksheet, names: Iterable[str], widths: dict[str, int], default: int = 16) -> None:
    for col, name in enumerate(names, start=1):
        c = put(ws, 1, col, name)
        c.font = _BOLD
        c.fill = _HEADER_FILL
        ws.column_dimensions[get_column_letter(col)].width = widths.get(name, default)
    ws.freeze_panes = "A2"


def _col(names: tuple[str, ...], name: str) -> str:
    return get_column_letter(names.index(name) + 1)


def _indicator_ref(ind: Indicator, one_edition: bool) -> str:
    """The clause id (``5.1``), or the uid (``iso37120-2014:5.1``) when several editions are listed."""
    return ind.id if one_edition else ind.uid


def _variables_sheet(ws: Worksheet, catalogue: Catalogue, plan: Plan, users: dict[str, list[Indicator]],
                     edition: str | None) -> None:
    one_edition = edition is not None or len(catalogue.editions) == 1
    _header(ws, VARIABLE_COLUMNS, {"id": 34, "name_en": 30, "name_pl": 30, "unit": 14, "kind": 10, "whole_number": 13,
                                   "provider": 20, "description_en": 60, "description_pl": 60,
                                   "used_by_indicators": 22, "must_not_exceed": 28})
    for r, v in enumerate(plan.variables, start=2):
        row = {"id": v.id, "name_en": v.name.en, "name_pl": v.name.pl, "unit": v.unit, "kind": v.kind.value,
               "whole_number": "yes / tak" if v.integer else "", "provider": v.provider,
               "description_en": v.description.en, "description_pl": v.description.pl,
               "used_by_indicators": ", ".join(_indicator_ref(i, one_edition) for i in users.get(v.id, [])),
               "must_not_exceed": v.not_above or ""}
        for c, name in enumerate(VARIABLE_COLUMNS, start=1):
            cell = put(ws, r, c, row[name])
            if name.startswith("description"):
                cell.alignment = _WRAP


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive row numbers as (first, last) runs."""
    out: list[tuple[int, int]] = []
    for r in rows:
        if out and out[-1][1] == r - 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def _value_validation(kind: VariableKind, integer: bool) -> DataValidation | None:
    """A permissive check of the value cell: only a warning, so a figure typed as text (a decimal
    comma in an English Excel, ``1 234,5``) can still be kept; the pipeline reads it."""
    if kind is VariableKind.text:
        return None
    if kind is VariableKind.share:
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="100")
        want = "0–100"
    elif kind.non_negative:
        dv = DataValidation(type="whole" if integer else "decimal", operator="greaterThanOrEqual", formula1="0")
        want = "≥ 0" + (", całkowita / whole" if integer else "")
    else:
        dv = DataValidation(type="decimal", operator="between", formula1="-1E+100", formula2="1E+100")
        want = "liczba / a number"
    dv.allow_blank = True
    dv.errorStyle = "warning"
    dv.showErrorMessage = True
    dv.errorTitle = "Wartość / Value"
    dv.error = (f"Oczekiwano: {want} ({kind.value}). Tekst z przecinkiem dziesiętnym jest akceptowany – kliknij Tak. / "
                f"Expected: {want} ({kind.value}). A decimal comma typed as text is accepted: click Yes.")
    return dv


def _observations_sheet(ws: Worksheet, plan: Plan, years: list[int] | None, variables_sheet: str) -> int:
    cols = OBSERVATION_COLUMNS
    _header(ws, cols, {"year": 8, "variable": 38, "value": 16, "unit": 16, "source_id": 16, "status": 16, "note": 50})
    rows_by_kind: dict[tuple[VariableKind, bool], list[int]] = {}
    r = 1
    for v in plan.variables:
        for year in (years or [None]):
            r += 1
            put(ws, r, cols.index("year") + 1, year)
            put(ws, r, cols.index("variable") + 1, v.id)
            put(ws, r, cols.index("unit") + 1, v.unit)
            rows_by_kind.setdefault((v.kind, v.integer), []).append(r)
    last = r + EXTRA_ROWS

    low, high = year_bounds()
    year_dv = DataValidation(type="whole", operator="between", formula1=str(low), formula2=str(high), allow_blank=True,
                             showErrorMessage=True, errorTitle="Rok / Year",
                             error=f"Rok kalendarzowy {low}–{high}, 4 cyfry. / A calendar year {low}–{high}, four digits.")
    n_vars = len(plan.variables)
    var_dv = DataValidation(type="list", formula1=f"{quote_sheetname(variables_sheet)}!$A$2:$A${n_vars + 1}",
                            allow_blank=True, showErrorMessage=True, errorTitle="Zmienna / Variable",
                            error="Wybierz zmienną z listy (arkusz variables). / Choose a variable from the list (sheet variables).")
    status_dv = DataValidation(type="list", formula1='"' + ",".join(s.value for s in Status) + '"', allow_blank=True,
                               showErrorMessage=True, errorTitle="Status",
                               error="Wybierz status z listy albo zostaw puste. / Choose a status from the list or leave it empty.")
    for dv, name in ((year_dv, "year"), (var_dv, "variable"), (status_dv, "status")):
        c = _col(cols, name)
        dv.add(f"{c}2:{c}{last}")
        ws.add_data_validation(dv)
    vc = _col(cols, "value")
    for (kind, integer), rows in rows_by_kind.items():
        dv = _value_validation(kind, integer)
        if dv is None:
            continue
        for a, b in _runs(rows):
            dv.add(f"{vc}{a}:{vc}{b}" if a != b else f"{vc}{a}")
        ws.add_data_validation(dv)
    return r - 1


def _sources_sheet(ws: Worksheet) -> None:
    cols = SOURCE_SHEET_COLUMNS
    _header(ws, cols, {"source_id": 16, "organisation": 30, "dataset": 30, "url": 36, "retrieved_on": 14,
                       "licence": 16, "quality_class": 26, "origin": 24, "contact": 24})
    last = SOURCE_ROWS + 1
    d = _col(cols, "retrieved_on")
    ws.column_dimensions[d].number_format = "yyyy-mm-dd"
    qc = _col(cols, "quality_class")
    dv = DataValidation(type="list", formula1='"' + ",".join(q.value for q in QualityClass) + '"', allow_blank=True,
                        showErrorMessage=True, errorTitle="quality_class",
                        error="Wybierz klasę z listy albo zostaw puste. / Choose a class from the list or leave it empty.")
    dv.add(f"{qc}2:{qc}{last}")
    ws.add_data_validation(dv)
    date_dv = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True, errorStyle="warning",
                             showErrorMessage=True, errorTitle="retrieved_on",
                             error="Data RRRR-MM-DD. / A date, YYYY-MM-DD.")
    date_dv.add(f"{d}2:{d}{last}")
    ws.add_data_validation(date_dv)


def _instructions_sheet(ws: Worksheet, catalogue: Catalogue, plan: Plan, edition: str | None,
                        years: list[int] | None, n_rows: int) -> None:
    ws.column_dimensions["A"].width = 80
    ws.column_dimensions["B"].width = 80
    lines: list[tuple[str, str, bool]] = []  # (pl, en, bold)

    def add(pl: str, en: str, bold: bool = False) -> None:
        lines.append((pl, en, bold))

    who_pl = plan.provider.name.pl if plan.provider else "wszyscy dostawcy danych"
    who_en = plan.provider.name.en if plan.provider else "all data providers"
    eds = [catalogue.editions[edition]] if edition else list(catalogue.editions.values())
    add(f"Arkusz zbierania danych ISO 37120 – {who_pl}", f"ISO 37120 data collection workbook – {who_en}", True)
    add("Edycja: " + "; ".join(f"{e.title.pl} ({e.id})" for e in eds),
        "Edition: " + "; ".join(f"{e.title.en} ({e.id})" for e in eds))
    add("", "")
    add("Kto wypełnia", "Who fills it in", True)
    add(f"{who_pl}: {len(plan.variables)} zmiennych, opisanych w arkuszu variables (co liczyć, w jakiej jednostce, "
        "dla których wskaźników). Miasto wkłada wypełniony plik do folderu observations/ swoich danych.",
        f"{who_en}: {len(plan.variables)} variables, described on the variables sheet (what to count, in which unit, "
        "for which indicators). The city puts the filled workbook into the observations/ folder of its data.")
    add("", "")
    add("Arkusze", "Sheets", True)
    add("observations – dane: " + ("po jednym wierszu na zmienną i rok (" + ", ".join(map(str, years)) + ")"
                                   if years else "po jednym wierszu na zmienną; wpisz rok, a dla kolejnych lat skopiuj wiersz")
        + f"; {n_rows} wierszy wpisanych z góry.",
        "observations – the figures: " + ("one row per variable and year (" + ", ".join(map(str, years)) + ")"
                                          if years else "one row per variable; fill in the year, and copy the row for further years")
        + f"; {n_rows} rows pre-filled.")
    add("sources – rejestr źródeł: jeden wiersz na źródło, na które powołuje się kolumna source_id.",
        "sources – the source register: one row per source that column source_id refers to.")
    add("variables – opis zmiennych (tylko do odczytu; ten arkusz nie jest wczytywany).",
        "variables – what each variable means (for reading; this sheet is not loaded).")
    add("Nie zmieniaj nazw arkuszy ani kolumn i nie dodawaj własnych kolumn (uwagi wpisuj w note): każda inna kolumna "
        "niż " + ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS) + " blokuje wczytanie pliku "
        "(kolumna city jest potrzebna tylko, gdy jeden plik zawiera dane kilku miast).",
        "Do not rename sheets or columns and do not add columns of your own (put remarks in note): any column other than "
        + ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS) + " stops the file from loading "
        "(a city column is needed only when one file holds the figures of several cities).")
    add("", "")
    add("Zasady", "Rules", True)
    low, high = year_bounds()
    empty = ", ".join(s.value for s in EMPTY_STATUSES)
    reason = " / ".join(s.value for s in REASON_STATUSES)
    rules = [
        ("Jeden wiersz na rok × zmienną; ta sama para nie może wystąpić dwa razy (także w różnych plikach).",
         "One row per year × variable; the same pair must not appear twice (not even in different files)."),
        (f"Rok kalendarzowy {low}–{high} (4 cyfry). Lata szkolne/budżetowe (2017/18) nie są przyjmowane: podaj rok, którego dotyczą, i wyjaśnij w note.",
         f"Calendar year {low}–{high} (four digits). Fiscal or school years (2017/18) are not accepted: give the year they refer to and explain in note."),
        ("Wartość w jednostce z kolumny unit – nie zmieniaj jednostki, tylko przelicz wartość. LCU oznacza walutę miasta (z city.yaml).",
         "The value in the unit of column unit – do not change the unit, convert the figure. LCU means the city's currency (from city.yaml)."),
        ("Przecinek albo kropka dziesiętna. Bez separatorów tysięcy, gdy mogą być niejednoznaczne (1,395 – tysiąc czy ułamek?). Odsetki jako 0–100, nie 0–1.",
         "Decimal point or comma. No thousands separators where they could be ambiguous (1,395 – a thousand or a fraction?). Percentages as 0–100, not 0–1."),
        ("Każda podana wartość wymaga source_id z arkusza sources (albo z sources.csv). Identyfikatory źródeł muszą być unikalne w całym folderze miasta: w sources.csv i we wszystkich skoroszytach razem.",
         "Every figure needs a source_id from the sources sheet (or from sources.csv). Source ids must be unique across the city's whole folder: sources.csv and all workbooks together."),
        (f"Puste value tylko ze statusem {empty}; przy {reason} wpisz powód w note. Wiersz z pustym value i bez statusu to błąd – nie zostawiaj niewypełnionych wierszy.",
         f"An empty value only with status {empty}; with {reason} give the reason in note. A row with an empty value and no status is an error – leave no row unfilled."),
        ("Zmienne tekstowe (kind = text) można zamiast tego podać w city.yaml (text_facts) – ale nie w obu miejscach.",
         "Text variables (kind = text) may be given in city.yaml (text_facts) instead – but not in both places."),
        ("Daty (retrieved_on) w formacie RRRR-MM-DD.", "Dates (retrieved_on) as YYYY-MM-DD."),
    ]
    for pl, en in rules:
        add("• " + pl, "• " + en)
    add("", "")
    add("Statusy (kolumna status; puste = wartość ostateczna)", "Statuses (column status; empty = a normal, final figure)", True)
    for s in Status:
        pl, en = STATUS_TEXT.get(s, (s.value, s.value))
        add(f"{s.value} – {pl}", f"{s.value} – {en}")
    add("", "")
    add("Kolumny arkusza observations (* = kolumna wymagana)", "Columns of the observations sheet (* = required column)", True)
    for name in OBSERVATION_COLUMNS:
        pl, en = _column_text(name, ObservationRow)
        star = "*" if name in REQUIRED_COLUMNS else ""
        add(f"{name}{star} – {pl}", f"{name}{star} – {en}")
    add("", "")
    add("Kolumny arkusza sources (* = pole wymagane)", "Columns of the sources sheet (* = must be filled)", True)
    for name in SOURCE_SHEET_COLUMNS:
        pl, en = _column_text(name, SourceRow)
        star = "*" if SourceRow.model_fields[name].is_required() else ""
        add(f"{name}{star} – {pl}", f"{name}{star} – {en}")
    add("", "")
    add("Klasy jakości (quality_class)", "Quality classes (quality_class)", True)
    for q in QualityClass:
        pl, en = QUALITY_TEXT.get(q, (q.value, q.value))
        add(f"{q.value} – {pl}", f"{q.value} – {en}")
    add("", "")
    add("Rodzaje zmiennych (kolumna kind w arkuszu variables)", "Kinds of variables (column kind on the variables sheet)", True)
    for k in VariableKind:
        if any(v.kind is k for v in plan.variables):
            pl, en = KIND_TEXT.get(k, (k.value, k.value))
            add(f"{k.value} – {pl}", f"{k.value} – {en}")

    put(ws, 1, 1, "Polski").font = _BOLD
    put(ws, 1, 2, "English").font = _BOLD
    for r, (pl, en, bold) in enumerate(lines, start=2):
        for c, text in ((1, pl), (2, en)):
            if not text:
                continue
            cell = put(ws, r, c, text)
            cell.alignment = _WRAP
            if bold:
                cell.font = _BOLD
    ws.freeze_panes = "A2"


def workbook_bytes(wb: Workbook) -> bytes:
    """The workbook as XLSX bytes that depend only on its content: the document times are the
    fixed ones set on ``wb.properties`` (openpyxl's ``save`` would stamp the current time), and
    every zip entry gets a fixed timestamp and attributes."""
    raw = io.BytesIO()
    archive = zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()  # closes the archive; unlike Workbook.save keeps .modified
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 3
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
