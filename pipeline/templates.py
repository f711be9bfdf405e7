"""Collection workbooks: XLSX templates a data provider fills in and the city puts in ``observations/``.

One workbook per provider (``<provider-id>.xlsx``), or one for all (``all-providers.xlsx``), holding
only the variables the indicators of the standards asked for use, each once. Each workbook has four sheets:

``instructions``  who fills it and the rules of the input contract, in Polish and English;
``observations``  the contract's columns, one pre-filled row per variable (and year, if given);
``sources``       the source register's columns, to fill;
``variables``     what each variable means (skipped by ingest: its header has no ``value`` column).

Every sheet is protected without a password (an office that means to can unprotect it): only the
cells a provider fills are unlocked, each input column has a drop-down or a check with an input
prompt and an error message, and every sheet prints landscape on A4, fitted to the page width with
its header row repeated. Row heights of wrapped text are set explicitly (LibreOffice does not
size the rows of a file written by openpyxl).

Everything that the contract lists (columns, statuses, quality classes, the year range) is taken
from :mod:`pipeline.ingest.models`, so the templates cannot drift from what ingest accepts. Text
from the catalogue is always written as a text cell, never as a formula, and the files are
byte-identical for the same catalogue and options.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from pipeline import i18n
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
_BOLD = Font(name="Calibri", family=2, sz=11, bold=True)
"""Named: a font without a name is drawn in a serif fallback by LibreOffice."""
_HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
_WRAP = Alignment(wrap_text=True, vertical="top")
_INPUT_FILL = PatternFill("solid", fgColor="FFF7D6")
"""Pale yellow: the cells of the pre-filled rows that the provider types into."""
_LOCKED = Protection(locked=True)
_UNLOCKED = Protection(locked=False)

OBSERVATION_INPUT = ("value", "source_id", "status", "note")
"""What a provider fills in a pre-filled row of the observations sheet (also ``year`` when no
years were given). ``variable`` and ``unit`` are pre-filled and locked there; every column is
open in the rows below, for rows people add (further years, a variable they add)."""
LINE_POINTS = 15.0
"""Height of one line of 11-point Calibri (or its metric twin Carlito in LibreOffice), in points."""


class TemplateError(ValueError):
    """The options ask for something the catalogue does not have."""


# --- texts -------------------------------------------------------------------------------------
# The words are in the message catalogues (pipeline/locale, msgid = the English text; see
# pipeline.i18n). A workbook has two columns of text, Polish and English, side by side.

WORKBOOK_LANGS = ("pl", "en")
N_ = i18n.N_
Nn_ = i18n.Nn_


def both(msg: str, **kw: object) -> tuple[str, str]:
    """The English message ``msg`` in the workbook's languages, (pl, en), ``kw`` filled in."""
    out = []
    for lang in WORKBOOK_LANGS:
        text = i18n.gettext(lang)(msg)
        out.append(text.format(**kw) if kw else text)
    return out[0], out[1]


class Pairs(Mapping):
    """A table of English messages (or (title, message)) read as (pl, en) (or (title, pl, en))."""

    def __init__(self, messages: dict) -> None:
        self._messages = messages

    def __getitem__(self, key):
        msg = self._messages[key]
        return (msg[0], *both(msg[1])) if isinstance(msg, tuple) else both(msg)

    def __iter__(self) -> Iterator:
        return iter(self._messages)

    def __len__(self) -> int:
        return len(self._messages)

# Explanations keyed by the models' own lists; a missing key falls back to the model's docstring
# (English) so a new column or status still shows up in the instructions.

COLUMN_TEXT: Mapping[str, tuple[str, str]] = Pairs({  # column: English message; gives (pl, en)
    "year": N_("Calendar year the figure refers to (four digits, e.g. 2023; not a fiscal or school year such as 2017/18)."),
    "variable": N_("Variable id from the variables sheet (drop-down list)."),
    "value": N_("The figure, in the unit of column unit. Decimal point or comma; no thousands separators where they could be ambiguous."),
    "unit": N_("The unit – pre-filled, do not change it; convert the figure if the source uses another unit. LCU = the city's currency (e.g. PLN)."),
    "source_id": N_("A source id from the sources sheet (or the city's sources.csv). Required for every figure given."),
    "status": N_("Status of the figure (drop-down list); empty = a normal, final figure."),
    "note": N_("Explanation: required for not_available / not_applicable (the reason) and for large year-on-year changes."),
    "city": N_("City code; needed only when one file holds the figures of several cities."),
    "organisation": N_("The organisation that supplied the figures."),
    "dataset": N_("The dataset or table at the provider (e.g. BDL P2137)."),
    "url": N_("Web address of the dataset (if any)."),
    "retrieved_on": N_("When the extract was taken, YYYY-MM-DD."),
    "licence": N_("Licence of the data (e.g. CC-BY-4.0) or the provider's terms."),
    "quality_class": N_("Data-quality class (drop-down list)."),
    "origin": N_("How the figures were produced (register, survey, model…)."),
    "contact": N_("Contact person at the provider."),
})

STATUS_TEXT: Mapping[Status, tuple[str, str]] = Pairs({
    Status.estimated: N_("an estimate"),
    Status.provisional: N_("a provisional figure that may change"),
    Status.revised: N_("a figure revised since it was first given"),
    Status.break_: N_("a break in method or coverage: not comparable with the year before"),
    Status.confidential: N_("confidential: value may be left empty"),
    Status.not_available: N_("not available: value empty, the reason in note"),
    Status.not_applicable: N_("does not apply to the city: value empty, the reason in note"),
})

QUALITY_TEXT: Mapping[QualityClass, tuple[str, str]] = Pairs({
    QualityClass.measured: N_("measured, or a complete register"),
    QualityClass.survey_extrapolation: N_("extrapolated from a sample survey"),
    QualityClass.higher_level_extrapolation: N_("extrapolated from a higher level (region, country)"),
    QualityClass.assumption_estimate: N_("an estimate from assumptions"),
    QualityClass.expert_estimate: N_("an expert's estimate"),
    QualityClass.unknown: N_("unknown"),
})

KIND_TEXT: Mapping[VariableKind, tuple[str, str]] = Pairs({
    VariableKind.count: N_("a number of things or people, not negative"),
    VariableKind.quantity: N_("a physical quantity (kWh, tonnes, m², km…), not negative"),
    VariableKind.money: N_("an amount of money in the unit given (LCU = the city's currency)"),
    VariableKind.share: N_("a percentage 0–100 (not a fraction 0–1)"),
    VariableKind.measure: N_("a measurement that may be negative"),
    VariableKind.text: N_("a fact in words"),
})


# Counts: the plural forms are the catalogues' (ngettext with each catalogue's Plural-Forms).

COUNT_TEXT: dict[str, tuple[str, str, None]] = {  # phrase: (singular, plural), English messages
    "variables": Nn_("{n} variable, described", "{n} variables, described"),
    "rows_prefilled": Nn_("{n} row pre-filled", "{n} rows pre-filled"),
}
"""Every sentence of the workbooks that holds a count. The participles agree with the number too
(1 zmienna opisana, 2 zmienne opisane, 5 zmiennych opisanych)."""


def counted(n: int, phrase: str) -> tuple[str, str]:
    """The count phrase ``phrase`` for ``n``, as (pl, en): ``counted(2, "variables")`` →
    ``("2 zmienne, opisane", "2 variables, described")``."""
    singular, plural, _ = COUNT_TEXT[phrase]
    pl, en = (i18n.ngettext(lang)(singular, plural, n).format(n=n) for lang in WORKBOOK_LANGS)
    return pl, en


def _plain(text: str | None) -> str:
    return re.sub(r"``([^`]*)``", r"\1", text or "").replace("\n", " ")


SOURCE_ID_TEXT = N_("The id that column source_id of the observations sheet refers to; unique across the city's whole "
                  "folder (sources.csv and all workbooks). Letters, digits, . _ -, up to 32 characters.")


def _column_text(name: str, model: type) -> tuple[str, str]:
    if model is SourceRow and name == "source_id":
        return both(SOURCE_ID_TEXT)
    if name in COLUMN_TEXT:
        return COLUMN_TEXT[name]
    field = model.model_fields.get(name)
    en = _plain(field.description if field else "")
    return en, en


PROMPT_TEXT: Mapping[tuple[str, str], tuple[str, str, str]] = Pairs({  # (sheet, column): (title, message); gives (title, pl, en)
    ("observations", "year"): ("Rok / Year", N_("Calendar year, four digits (e.g. 2023).")),
    ("observations", "variable"): ("Zmienna / Variable", N_("Pre-filled. In a new row choose one from the list (see sheet variables).")),
    ("observations", "value"): ("Wartość / Value", N_("The figure, in the unit of column unit. Empty only with a status.")),
    ("observations", "unit"): ("Jednostka / Unit", N_("Pre-filled – do not change it, convert the figure. LCU = the city's currency.")),
    ("observations", "source_id"): ("Źródło / Source", N_("A source_id from the sources sheet (or the city's sources.csv); needed for every figure.")),
    ("observations", "status"): ("Status", N_("Empty = a final figure. not_available / not_applicable: value empty, the reason in note.")),
    ("observations", "note"): ("Uwaga / Note", N_("The reason for not_available / not_applicable; explain a large change on the year before.")),
    ("sources", "source_id"): ("source_id", N_("A unique id: letters, digits, . _ -, up to 32 characters (e.g. GUS-2024).")),
    ("sources", "organisation"): ("Instytucja / Organisation", N_("The organisation that supplied the figures (required).")),
    ("sources", "dataset"): ("Zbiór / Dataset", N_("The dataset or table at the provider, e.g. BDL P2137 (required).")),
    ("sources", "url"): ("Adres / URL", N_("The full web address of the dataset, https://… (if any).")),
    ("sources", "retrieved_on"): ("Data / Date", N_("When the extract was taken, YYYY-MM-DD (required).")),
    ("sources", "licence"): ("Licencja / Licence", N_("The licence, e.g. CC-BY-4.0, or the provider's terms (required).")),
    ("sources", "quality_class"): ("Klasa jakości / Quality class", N_("Data-quality class – choose from the list.")),
    ("sources", "origin"): ("Pochodzenie / Origin", N_("How the figures were produced (register, survey, model…).")),
    ("sources", "contact"): ("Kontakt / Contact", N_("Contact person at the provider.")),
})
"""The input prompt of each input column (Excel allows 32 characters of title, 255 of text)."""

VALUE_PROMPT: Mapping[str, tuple[str, str]] = Pairs({  # what a value cell expects, by the kind of its variable
    "share": N_("A percentage 0–100 (not a fraction 0–1)."),
    "whole": N_("A whole number ≥ 0."),
    "non_negative": N_("A number ≥ 0."),
    "number": N_("A number (may be negative)."),
    "text": N_("A fact in words."),
    "any": N_("A number or, for a text variable, a fact in words."),
})


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


def _editions(catalogue: Catalogue, editions: str | Sequence[str] | None) -> list[str] | None:
    """The editions asked for (one id, several, or None for every edition), checked."""
    if editions is None:
        return None
    wanted = [editions] if isinstance(editions, str) else list(dict.fromkeys(editions))
    for e in wanted:
        if e not in catalogue.editions:
            raise TemplateError(f"edition {e!r} is not in the catalogue (known: {', '.join(catalogue.editions)})")
    return wanted or None


def used_variables(catalogue: Catalogue, editions: str | Sequence[str] | None = None) -> dict[str, list[Indicator]]:
    """The variables the indicators (of ``editions`` — the standards a city reports — or of every
    edition) use, each once, in registry order, with the indicators that use it."""
    return catalogue.used_by(_editions(catalogue, editions))


def plan_workbooks(catalogue: Catalogue, editions: str | Sequence[str] | None = None, provider: str | None = None,
                   single: bool = False) -> list[Plan]:
    used = used_variables(catalogue, editions)
    if provider is not None and provider not in catalogue.providers:
        raise TemplateError(f"provider {provider!r} is not in providers.yaml (known: {', '.join(catalogue.providers)})")
    variables = [catalogue.variables[v] for v in used]
    if provider is not None:
        variables = [v for v in variables if v.provider == provider]
        if not variables:
            raise TemplateError(f"no indicator{' of ' + ', '.join(_editions(catalogue, editions)) if editions else ''} "
                                f"uses a variable of provider {provider!r}")
    if not variables:
        raise TemplateError("no indicator uses any variable: there is nothing to collect")
    if single:
        only = catalogue.providers[provider] if provider else None
        return [Plan(provider or SINGLE_NAME, only, variables)]
    return [Plan(p.id, p, [v for v in variables if v.provider == p.id])
            for p in catalogue.providers.values() if any(v.provider == p.id for v in variables)]


# --- writing -----------------------------------------------------------------------------------


def write_templates(catalogue: Catalogue, out_dir: Path, editions: str | Sequence[str] | None = None,
                    provider: str | None = None, single: bool = False, years: list[int] | None = None) -> list[Path]:
    """Write the collection workbooks into ``out_dir`` for the variables of ``editions`` (the
    standards a city reports; every edition when None), each variable once; return their paths.

    Raises :class:`TemplateError` for an unknown edition or provider, or when nothing is used.
    """
    editions = _editions(catalogue, editions)
    plans = plan_workbooks(catalogue, editions, provider, single)
    users = used_variables(catalogue, editions)
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
        wb = build_workbook(catalogue, plan, users, editions, years)
        path = out_dir / f"{plan.name}.xlsx"
        path.write_bytes(workbook_bytes(wb))
        paths.append(path)
    return paths


def build_workbook(catalogue: Catalogue, plan: Plan, users: dict[str, list[Indicator]],
                   editions: list[str] | None, years: list[int] | None) -> Workbook:
    wb = Workbook()
    wb.properties.creator = "iso37120 templates"
    wb.properties.title = f"ISO 37120 – {plan.name}"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.lastModifiedBy = None
    # sheet names are part of the contract (a sheet named "sources" is read as the source register)
    wb.security = WorkbookProtection(lockStructure=True)
    instructions = wb.active
    instructions.title = "instructions"
    obs = wb.create_sheet("observations")
    src = wb.create_sheet("sources")
    var = wb.create_sheet("variables")
    _variables_sheet(var, catalogue, plan, users, editions)
    n_rows = _observations_sheet(obs, plan, years, var.title, src.title)
    _sources_sheet(src)
    _instructions_sheet(instructions, catalogue, plan, editions, years, n_rows)
    for ws in wb.worksheets:
        _print_setup(ws, gridlines=ws is not instructions)
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
        c.protection = _LOCKED
        ws.column_dimensions[get_column_letter(col)].width = widths.get(name, default)
    ws.freeze_panes = "A2"


def _col(names: tuple[str, ...], name: str) -> str:
    return get_column_letter(names.index(name) + 1)


# --- protection, checks, printing, row heights --------------------------------------------------


def _protect(ws: Worksheet, *, sort: bool = False, autofilter: bool = False) -> None:
    """Protect the sheet without a password, so that an office can unprotect it deliberately
    (Excel: Review › Unprotect Sheet; LibreOffice: Tools › Protect Sheet). Resizing rows and
    columns stays allowed everywhere; sorting and the auto-filter only where asked. Formatting
    cells stays forbidden: it would let anyone unlock a cell by the way."""
    p = ws.protection
    p.sheet = True  # and no password: none is ever set
    p.formatColumns = False  # in OOXML an attribute that is true forbids the action
    p.formatRows = False
    p.sort = not sort
    p.autoFilter = not autofilter
    p.selectLockedCells = False
    p.selectUnlockedCells = False


def _print_setup(ws: Worksheet, gridlines: bool) -> None:
    """Landscape A4, fitted to the page width (as many pages down as it takes), the header row
    repeated on every page, and the sheet name with page numbers in the footer."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.print_options.gridLines = gridlines
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.left.text = "&F"
    ws.oddFooter.right.text = "&A – &P / &N"


def _validation(sheet: str, column: str, type: str | None = None, *, error: str | None = None,
                warning: bool = False, want: tuple[str, str] | None = None, **kw: object) -> DataValidation:
    """A data validation with the input prompt of ``column`` (``want``, what the cell expects, is
    put before it) and, when ``error`` is given, that error message (a warning that lets the
    entry stand, or a stop)."""
    title, pl, en = PROMPT_TEXT[(sheet, column)]
    if want:
        pl, en = f"{want[0]} {pl}", f"{want[1]} {en}"
    dv = DataValidation(type=type, allow_blank=True, showInputMessage=True, promptTitle=title,
                        prompt=f"{pl}\n{en}", **kw)
    if error:
        dv.showErrorMessage = True
        dv.errorTitle = title
        dv.error = error
        dv.errorStyle = "warning" if warning else "stop"
    elif warning:
        dv.errorStyle = "warning"
    return dv


def _list_literal(items: Iterable[str]) -> str | None:
    """A drop-down list written into the validation (``"a,b,c"``), or None when an item holds a
    comma or a quote, or the list is longer than the 255 characters Excel allows."""
    items = list(items)
    if any("," in i or '"' in i for i in items):
        return None
    text = '"' + ",".join(items) + '"'
    return text if len(text) <= 255 else None


_NARROW = frozenset(" .,:;'!|()[]{}/-ijlfrtI")
_WIDE = frozenset("mwMW@%—")


def _char_width(ch: str) -> float:
    """The width of ``ch`` in Calibri/Carlito, roughly, in digits (a spreadsheet's width unit)."""
    if ch in _NARROW:
        return 0.55
    if ch in _WIDE:
        return 1.5
    return 1.2 if ch.isupper() else 1.0


def text_lines(text: str, width: float, bold: bool = False) -> int:
    """How many lines ``text`` wraps to, word by word, in a column ``width`` digits wide. Only
    95 % of the width is counted as usable (bold letters as 7 % wider), so that a somewhat wider
    font (a fallback for Calibri) still fits: a row a little too tall, never one cut off."""
    room = width * 0.95 / (1.07 if bold else 1.0)
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split(" "):
            w = sum(map(_char_width, word))
            if used and used + 0.55 + w > room:  # the word goes to the next line
                lines += 1
                used = 0.0
            used += (0.55 if used else 0.0) + w
            while used > room:  # a word longer than the line breaks inside
                lines += 1
                used -= room
    return lines


def _fit_row_height(ws: Worksheet, row: int, cells: Iterable[tuple[str, float, bool]]) -> None:
    """Set the height of ``row`` to show every line of its wrapped cells (text, column width,
    bold). LibreOffice does not size such rows itself in a file written by openpyxl, and a row
    left at one line shows the wrapped text overlapping the rows below."""
    lines = max((text_lines(t, w, b) for t, w, b in cells if t), default=1)
    if lines > 1:
        ws.row_dimensions[row].height = round(lines * LINE_POINTS + 3, 1)


# --- the sheets -------------------------------------------------------------------------------------


def _indicator_ref(ind: Indicator, one_edition: bool) -> str:
    """The clause id (``5.1``), or the uid (``iso37120-2014:5.1``) when several editions are listed."""
    return ind.id if one_edition else ind.uid


VARIABLE_WIDTHS = {"id": 34, "name_en": 30, "name_pl": 30, "unit": 14, "kind": 10, "whole_number": 15, "provider": 20,
                   "description_en": 60, "description_pl": 60, "used_by_indicators": 22, "must_not_exceed": 28}


def _variables_sheet(ws: Worksheet, catalogue: Catalogue, plan: Plan, users: dict[str, list[Indicator]],
                     editions: list[str] | None) -> None:
    """For reading: locked throughout (the auto-filter still works)."""
    one_edition = len(editions or catalogue.editions) == 1
    _header(ws, VARIABLE_COLUMNS, VARIABLE_WIDTHS)
    for r, v in enumerate(plan.variables, start=2):
        row = {"id": v.id, "name_en": v.name.en, "name_pl": v.name.pl, "unit": v.unit, "kind": v.kind.value,
               "whole_number": "yes / tak" if v.integer else "", "provider": v.provider,
               "description_en": v.description.en, "description_pl": v.description.pl,
               "used_by_indicators": ", ".join(_indicator_ref(i, one_edition) for i in users.get(v.id, [])),
               "must_not_exceed": v.not_above or ""}
        for c, name in enumerate(VARIABLE_COLUMNS, start=1):
            put(ws, r, c, row[name]).alignment = _WRAP
        _fit_row_height(ws, r, ((str(row[n]), VARIABLE_WIDTHS[n], False) for n in VARIABLE_COLUMNS))
    last = len(plan.variables) + 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(VARIABLE_COLUMNS))}{last}"
    _protect(ws, autofilter=True)


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive row numbers as (first, last) runs."""
    out: list[tuple[int, int]] = []
    for r in rows:
        if out and out[-1][1] == r - 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def _value_validation(kind: VariableKind, integer: bool) -> DataValidation:
    """A permissive check of the value cell: only a warning, so a figure typed as text (a decimal
    comma in an English Excel, ``1 234,5``) can still be kept; the pipeline reads it. A text
    variable gets the prompt alone."""
    if kind is VariableKind.text:
        return _validation("observations", "value", warning=True, want=VALUE_PROMPT["text"])
    if kind is VariableKind.share:
        args: dict[str, object] = {"type": "decimal", "operator": "between", "formula1": "0", "formula2": "100"}
        want, key = "0–100", "share"
    elif kind.non_negative:
        args = {"type": "whole" if integer else "decimal", "operator": "greaterThanOrEqual", "formula1": "0"}
        want, key = "≥ 0" + (", całkowita / whole" if integer else ""), "whole" if integer else "non_negative"
    else:
        args = {"type": "decimal", "operator": "between", "formula1": "-1E+100", "formula2": "1E+100"}
        want, key = "liczba / a number", "number"
    error = (f"Oczekiwano: {want} ({kind.value}). Tekst z przecinkiem dziesiętnym jest akceptowany – kliknij Tak. / "
             f"Expected: {want} ({kind.value}). A decimal comma typed as text is accepted: click Yes.")
    return _validation("observations", "value", error=error, warning=True, want=VALUE_PROMPT[key], **args)


def _observations_sheet(ws: Worksheet, plan: Plan, years: list[int] | None, variables_sheet: str,
                        sources_sheet: str) -> int:
    """The pre-filled rows, locked but for the cells the provider fills (tinted); every column is
    open below them, for rows people add. Returns the number of pre-filled rows."""
    cols = OBSERVATION_COLUMNS
    _header(ws, cols, {"year": 8, "variable": 38, "value": 16, "unit": 16, "source_id": 16, "status": 16, "note": 50})
    for c in range(1, len(cols) + 1):  # the default of a column's cells: the rows below the pre-filled ones
        ws.column_dimensions[get_column_letter(c)].protection = _UNLOCKED
    inputs = OBSERVATION_INPUT + (() if years else ("year",))
    rows_by_kind: dict[tuple[VariableKind, bool], list[int]] = {}
    r = 1
    for v in plan.variables:
        for year in (years or [None]):
            r += 1
            given = {"year": year, "variable": v.id, "unit": v.unit}
            for c, name in enumerate(cols, start=1):
                cell = put(ws, r, c, given.get(name))
                if name in inputs:
                    cell.protection = _UNLOCKED
                    cell.fill = _INPUT_FILL
                else:
                    cell.protection = _LOCKED
            rows_by_kind.setdefault((v.kind, v.integer), []).append(r)
    last = r + EXTRA_ROWS

    low, high = year_bounds()
    year_dv = _validation("observations", "year", "whole", operator="between", formula1=str(low), formula2=str(high),
                          error=f"Rok kalendarzowy {low}–{high}, 4 cyfry. / A calendar year {low}–{high}, four digits.")
    n_vars = len(plan.variables)
    var_dv = _validation("observations", "variable", "list",
                         formula1=f"{quote_sheetname(variables_sheet)}!$A$2:$A${n_vars + 1}",
                         error="Wybierz zmienną z listy (arkusz variables). / Choose a variable from the list (sheet variables).")
    units = list(dict.fromkeys(v.unit for v in plan.variables))
    unit_list = _list_literal(units) or (f"{quote_sheetname(variables_sheet)}!"
                                         f"${_col(VARIABLE_COLUMNS, 'unit')}$2:${_col(VARIABLE_COLUMNS, 'unit')}${n_vars + 1}")
    unit_dv = _validation("observations", "unit", "list", formula1=unit_list, warning=True,
                          error="Jednostka zmiennej jest w arkuszu variables (dla LCU także kod waluty miasta). Tak = zostaw. / "
                                "The variable's unit is on the variables sheet (for LCU also the city's currency code). Yes = keep it.")
    source_dv = _validation("observations", "source_id", "list",
                            formula1=f"{quote_sheetname(sources_sheet)}!$A$2:$A${SOURCE_ROWS + 1}", warning=True,
                            error="Tego source_id nie ma w arkuszu sources. Jeśli jest w sources.csv miasta, kliknij Tak. / "
                                  "This source_id is not on the sources sheet. If it is in the city's sources.csv, click Yes.")
    status_dv = _validation("observations", "status", "list", formula1=_list_literal(s.value for s in Status),
                            error="Wybierz status z listy albo zostaw puste. / Choose a status from the list or leave it empty.")
    note_dv = _validation("observations", "note")
    for dv, name in ((year_dv, "year"), (var_dv, "variable"), (unit_dv, "unit"), (source_dv, "source_id"),
                     (status_dv, "status"), (note_dv, "note")):
        c = _col(cols, name)
        dv.add(f"{c}2:{c}{last}")
        ws.add_data_validation(dv)
    vc = _col(cols, "value")
    for (kind, integer), rows in rows_by_kind.items():
        dv = _value_validation(kind, integer)
        for a, b in _runs(rows):
            dv.add(f"{vc}{a}:{vc}{b}" if a != b else f"{vc}{a}")
        ws.add_data_validation(dv)
    added = _validation("observations", "value", warning=True, want=VALUE_PROMPT["any"])
    added.add(f"{vc}{r + 1}:{vc}{last}")
    ws.add_data_validation(added)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{r}"
    _protect(ws, autofilter=True)
    return r - 1


def _sources_sheet(ws: Worksheet) -> None:
    """Open below the header (rows are whole sources: sorting them is safe); the checks cover the
    first :data:`SOURCE_ROWS` rows, the range the source_id drop-down of the observations lists."""
    cols = SOURCE_SHEET_COLUMNS
    _header(ws, cols, {"source_id": 16, "organisation": 30, "dataset": 30, "url": 36, "retrieved_on": 14,
                       "licence": 16, "quality_class": 26, "origin": 24, "contact": 24})
    for c in range(1, len(cols) + 1):
        ws.column_dimensions[get_column_letter(c)].protection = _UNLOCKED
    last = SOURCE_ROWS + 1
    d = _col(cols, "retrieved_on")
    ws.column_dimensions[d].number_format = "yyyy-mm-dd"
    sid, url = _col(cols, "source_id"), _col(cols, "url")
    checks = {
        "source_id": _validation("sources", "source_id", "custom",
                                 formula1=f"AND(LEN({sid}2)<=32,COUNTIF(${sid}$2:${sid}${last},{sid}2)=1)",
                                 error="Do 32 znaków, bez powtórzeń w tym arkuszu. / Up to 32 characters, not repeated on this sheet."),
        "url": _validation("sources", "url", "custom", formula1=f'OR(LEFT({url}2,8)="https://",LEFT({url}2,7)="http://")',
                           warning=True, error="Pełny adres: https://… / The full address: https://…"),
        "retrieved_on": _validation("sources", "retrieved_on", "date", operator="greaterThan", formula1="1", warning=True,
                                    error="Data RRRR-MM-DD. / A date, YYYY-MM-DD."),
        "quality_class": _validation("sources", "quality_class", "list",
                                     formula1=_list_literal(q.value for q in QualityClass),
                                     error="Wybierz klasę z listy albo zostaw puste. / Choose a class from the list or leave it empty."),
    }
    for name in cols:
        dv = checks.get(name) or _validation("sources", name)
        c = _col(cols, name)
        dv.add(f"{c}2:{c}{last}")
        ws.add_data_validation(dv)
    _protect(ws, sort=True)


INSTRUCTION_WIDTH = 80
"""Width of the two columns (Polish, English) of the instructions sheet."""


def _instructions_sheet(ws: Worksheet, catalogue: Catalogue, plan: Plan, editions: list[str] | None,
                        years: list[int] | None, n_rows: int) -> None:
    ws.column_dimensions["A"].width = INSTRUCTION_WIDTH
    ws.column_dimensions["B"].width = INSTRUCTION_WIDTH
    lines: list[tuple[str, str, bool]] = []  # (pl, en, bold)

    def add(pl: str, en: str, bold: bool = False) -> None:
        lines.append((pl, en, bold))

    def say(msg: str, bold: bool = False, **kw: object) -> None:
        add(*both(msg, **kw), bold)

    who_pl, who_en = ((plan.provider.name.pl, plan.provider.name.en) if plan.provider
                      else both(N_("all data providers")))
    eds = [catalogue.editions[e] for e in editions] if editions else list(catalogue.editions.values())
    pl, en = both(N_("ISO 37120 data collection workbook – {who}"), who="{who}")
    add(pl.format(who=who_pl), en.format(who=who_en), True)
    pl, en = both(N_("Edition: {editions}"), editions="{editions}")
    add(pl.format(editions="; ".join(f"{e.title.pl} ({e.id})" for e in eds)),
        en.format(editions="; ".join(f"{e.title.en} ({e.id})" for e in eds)))
    add("", "")
    say(N_("Who fills it in"), True)
    n_pl, n_en = counted(len(plan.variables), "variables")
    pl, en = both(N_("{who}: {variables} on the variables sheet (what to count, in which unit, for which indicators). "
                     "The city puts the filled workbook into the observations/ folder of its data."),
                  who="{who}", variables="{variables}")
    add(pl.format(who=who_pl, variables=n_pl), en.format(who=who_en, variables=n_en))
    add("", "")
    say(N_("Sheets"), True)
    rows_pl, rows_en = counted(n_rows, "rows_prefilled")
    if years:
        pl, en = both(N_("observations – the figures: one row per variable and year ({years}); {rows}."),
                      years=", ".join(map(str, years)), rows="{rows}")
    else:
        pl, en = both(N_("observations – the figures: one row per variable; fill in the year, and copy the row into "
                         "the empty rows below for further years; {rows}."), rows="{rows}")
    add(pl.format(rows=rows_pl), en.format(rows=rows_en))
    say(N_("sources – the source register: one row per source that column source_id refers to."))
    say(N_("variables – what each variable means (for reading; this sheet is not loaded)."))
    say(N_("Do not rename sheets or columns and do not add columns of your own (put remarks in note): any column other "
           "than {columns} stops the file from loading (a city column is needed only when one file holds the figures "
           "of several cities)."), columns=", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS))
    say(N_("The sheets are protected (with no password): you can type into the yellow cells of the pre-filled rows, "
           "into the empty rows below them and into the sources sheet. A selected cell shows a prompt; the drop-down "
           "lists offer the values allowed. The protection can be removed deliberately: Excel – Review › Unprotect "
           "Sheet; LibreOffice – Tools › Protect Sheet."))
    add("", "")
    say(N_("Rules"), True)
    low, high = year_bounds()
    empty = ", ".join(s.value for s in EMPTY_STATUSES)
    reason = " / ".join(s.value for s in REASON_STATUSES)
    rules = [
        both(N_("One row per year × variable; the same pair must not appear twice (not even in different files).")),
        both(N_("Calendar year {low}–{high} (four digits). Fiscal or school years (2017/18) are not accepted: give the "
                "year they refer to and explain in note."), low=low, high=high),
        both(N_("The value in the unit of column unit – do not change the unit, convert the figure. LCU means the "
                "city's currency (from city.yaml).")),
        both(N_("Decimal point or comma. No thousands separators where they could be ambiguous (1,395 – a thousand or "
                "a fraction?). Percentages as 0–100, not 0–1.")),
        both(N_("Every figure needs a source_id from the sources sheet (or from sources.csv). Source ids must be "
                "unique across the city's whole folder: sources.csv and all workbooks together.")),
        both(N_("An empty value only with status {empty}; with {reason} give the reason in note. A row with an empty "
                "value and no status is an error – leave no row unfilled."), empty=empty, reason=reason),
        both(N_("Text variables (kind = text) may be given in city.yaml (text_facts) instead – but not in both places.")),
        both(N_("Dates (retrieved_on) as YYYY-MM-DD.")),
    ]
    for pl, en in rules:
        add("• " + pl, "• " + en)
    add("", "")
    say(N_("Statuses (column status; empty = a normal, final figure)"), True)
    for s in Status:
        pl, en = STATUS_TEXT.get(s, (s.value, s.value))
        add(f"{s.value} – {pl}", f"{s.value} – {en}")
    add("", "")
    say(N_("Columns of the observations sheet (* = required column)"), True)
    for name in OBSERVATION_COLUMNS:
        pl, en = _column_text(name, ObservationRow)
        star = "*" if name in REQUIRED_COLUMNS else ""
        add(f"{name}{star} – {pl}", f"{name}{star} – {en}")
    add("", "")
    say(N_("Columns of the sources sheet (* = must be filled)"), True)
    for name in SOURCE_SHEET_COLUMNS:
        pl, en = _column_text(name, SourceRow)
        star = "*" if SourceRow.model_fields[name].is_required() else ""
        add(f"{name}{star} – {pl}", f"{name}{star} – {en}")
    add("", "")
    say(N_("Quality classes (quality_class)"), True)
    for q in QualityClass:
        pl, en = QUALITY_TEXT.get(q, (q.value, q.value))
        add(f"{q.value} – {pl}", f"{q.value} – {en}")
    add("", "")
    say(N_("Kinds of variables (column kind on the variables sheet)"), True)
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
        _fit_row_height(ws, r, ((pl, INSTRUCTION_WIDTH, bold), (en, INSTRUCTION_WIDTH, bold)))
    ws.freeze_panes = "A2"
    _protect(ws)


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
