"""The columns of every table of the bundle, defined once.

One list of :class:`FieldSpec` per table drives the Table Schema of ``datapackage.json``, the
CSVW metadata, the Parquet schema and the JSON-stat dimension labels; nothing else names a
column's type, title or description.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pipeline.calculate import FLAG_STATUSES
from pipeline.catalogue.models import INDICATOR_ID as _INDICATOR_ID
from pipeline.catalogue.models import SLUG, VARIABLE_ID, Tier
from pipeline.ingest.models import CODE

FieldType = Literal["string", "integer", "number", "date"]

STATUSES = ("reported", "not_available", "not_applicable")
REASON_CODES = ("missing_input", "input_not_available", "confidential", "not_applicable", "zero_denominator", "no_finite_value")
TIERS = tuple(t.value for t in Tier)
OBSERVATION_STATUSES = ("estimated", "provisional", "revised", "break", "confidential", "not_available", "not_applicable")
QUALITY_CLASSES = ("measured", "survey_extrapolation", "higher_level_extrapolation", "assumption_estimate", "expert_estimate", "unknown")
INPUT_ROLES = ("numerator", "denominator", "input", "previous", "reported")


def xsd(regex: str) -> str:
    """A Python pattern of the models as an XML Schema pattern: no anchors, no non-capturing groups."""
    return regex.removeprefix("^").removesuffix("$").replace("(?:", "(")


TOKEN = xsd(CODE)
INPUT = f"({xsd(VARIABLE_ID)})|({xsd(SLUG)}:{xsd(_INDICATOR_ID)})"
"""A registry variable, or the uid of an indicator whose value a city gave as reported."""

FORMULA_GUARD = ("A text that would start with =, +, -, @, a tab or a carriage return is written in the CSV with an "
                 "apostrophe (') in front, so that spreadsheets show it instead of running it as a formula.")


@dataclass(frozen=True)
class FieldSpec:
    # Patterns are XML Schema regular expressions, implicitly anchored (Table Schema, CSVW): plain groups
    # only, and any alternation inside a group.
    """One column: its name, type, titles, description and constraints."""

    name: str
    type: FieldType
    title: str
    title_pl: str
    description: str
    required: bool = False
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None
    separator: str | None = None
    """The column holds a list of items joined by this character; ``pattern`` is that of one item."""
    decimals_from: str | None = None
    """The name of the column that says how many decimals this number is written with."""

    @property
    def cell_pattern(self) -> str | None:
        """The pattern of a whole cell (``pattern`` is that of one item of a list)."""
        if self.pattern and self.separator:
            sep = "".join("\\" + c if c in ".\\?*+{}()[]|^$-" else c for c in self.separator)
            return f"{self.pattern}({sep}{self.pattern})*"
        return self.pattern


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference: tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    """One CSV of the bundle."""

    name: str
    title: str
    title_pl: str
    description: str
    description_pl: str
    fields: tuple[FieldSpec, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = field(default_factory=tuple)

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)


CITY_CODE = FieldSpec("city_code", "string", "City", "Miasto",
                      "Stable code of the city (for a Polish city, the TERYT code of the municipality).",
                      required=True, pattern=xsd(CODE))
YEAR = FieldSpec("year", "integer", "Reference year", "Rok odniesienia",
                 "Calendar year the value refers to.", required=True, minimum=1900, maximum=2100)
INDICATOR_ID = FieldSpec("indicator_id", "string", "Indicator id", "Identyfikator wskaźnika",
                         "Clause number of the indicator in its edition of the standard (5.1), or a local id of "
                         "profile data (P14-P-01). The same id may name indicators of several editions: "
                         "indicator_uid tells them apart.",
                         required=True, pattern=xsd(_INDICATOR_ID))
INDICATOR_UID = FieldSpec("indicator_uid", "string", "Indicator", "Wskaźnik",
                          "Identifier of the indicator unique across editions: edition:id (iso37120-2014:5.1). With "
                          "city_code and year it identifies a value.", required=True)
SOURCE_ID = FieldSpec("source_id", "string", "Source", "Źródło",
                      "Id of the source in the city's source register: the row of sources.csv with this city_code "
                      "and source_id. Empty for a figure that is not available or is a fact of city.yaml.",
                      pattern=TOKEN)

INDICATORS = TableSpec(
    name="indicators",
    title="ISO 37120 indicator values",
    title_pl="Wartości wskaźników ISO 37120",
    description="One row per city, indicator and year: the value with its unit, status, numerator and denominator, "
                "flags carried from the inputs and the sources used. A value that is not available is empty and "
                "its reason is given in reason_code and reason.",
    description_pl="Jeden wiersz na miasto, wskaźnik i rok: wartość z jednostką, status, licznik i mianownik, flagi "
                   "przeniesione z danych wejściowych i użyte źródła. Wartość niedostępna jest pusta, a jej powód "
                   "podają reason_code i reason.",
    fields=(
        CITY_CODE,
        INDICATOR_ID,
        YEAR,
        FieldSpec("value", "number", "Value", "Wartość",
                  "The indicator's value, rounded half away from zero to the number of decimals given in "
                  "`decimals` and written with exactly that many. Empty when the status is not `reported` or "
                  "the value is a text (see value_text).", decimals_from="decimals"),
        FieldSpec("value_text", "string", "Value (text)", "Wartość (tekst)",
                  "The value of an indicator that is a fact in words (profile data such as the climate type); "
                  "empty for numeric indicators. " + FORMULA_GUARD),
        FieldSpec("unit", "string", "Unit", "Jednostka", "Unit of the value, in English; amounts of money are in the city's currency (ISO 4217 code).",
                  required=True),
        FieldSpec("status", "string", "Status", "Status",
                  "reported: the value is given; not_available: it could not be computed (see reason); "
                  "not_applicable: the indicator does not apply to the city.", required=True, enum=STATUSES),
        FieldSpec("origin", "string", "Origin", "Pochodzenie",
                  "computed: the value was computed from the input figures (see numerator and denominator); "
                  "reported: the city gave the value itself, not computed (the inputs were not supplied).",
                  required=True, enum=("computed", "reported")),
        FieldSpec("reason_code", "string", "Reason code", "Kod przyczyny",
                  "Why the value is not given: missing_input (an input figure was not supplied), "
                  "input_not_available (an input was declared not available), confidential, not_applicable, "
                  "zero_denominator, no_finite_value. Empty when the status is reported.", enum=REASON_CODES),
        FieldSpec("reason", "string", "Reason details", "Szczegóły przyczyny",
                  "The details of reason_code, in no language: the input variables concerned (missing_input, "
                  "confidential, zero_denominator), each with the note given with it (input_not_available, "
                  "not_applicable); for a value given as reported, the note given with it. " + FORMULA_GUARD),
        FieldSpec("flags", "string", "Flags", "Flagi",
                  "Statuses carried from the inputs, separated by spaces: estimated, provisional, revised, "
                  "break (break in series), confidential.", pattern="(" + "|".join(FLAG_STATUSES) + ")", separator=" "),
        FieldSpec("numerator", "number", "Numerator", "Licznik",
                  "The numerator's input figure, as supplied (for ratios and formulas that name one)."),
        FieldSpec("denominator", "number", "Denominator", "Mianownik",
                  "The denominator's input figure, as supplied (for ratios and formulas that name one)."),
        FieldSpec("multiplier", "number", "Multiplier", "Mnożnik",
                  "The multiplier of a ratio: value = numerator / denominator × multiplier (100 for a "
                  "percentage, 100000 for a rate per 100 000 population)."),
        FieldSpec("decimals", "integer", "Decimals", "Miejsca dziesiętne",
                  "Number of decimals the value is rounded to (half away from zero): the definition's, more "
                  "for a value below 1 (at least four significant digits), or as written for a value given "
                  "directly.", required=True, minimum=0, maximum=10),
        FieldSpec("source_ids", "string", "Sources", "Źródła",
                  "Ids of the sources of the inputs (see sources.csv), separated by spaces.",
                  pattern=TOKEN, separator=" "),
        FieldSpec("edition", "string", "Edition", "Wydanie",
                  "The standard (edition) the value belongs to (iso37120-2014: ISO 37120:2014); a city that reports "
                  "several standards has a row per standard, computed from the same inputs.",
                  required=True, pattern=xsd(SLUG)),
        INDICATOR_UID,
        FieldSpec("theme", "string", "Theme", "Temat",
                  "Theme number of the standard (5 to 21 in ISO 37120:2014), or the profile category.",
                  required=True),
        FieldSpec("theme_name_en", "string", "Theme name (English)", "Nazwa tematu (angielska)",
                  "Name of the theme in English.", required=True),
        FieldSpec("theme_name_pl", "string", "Theme name (Polish)", "Nazwa tematu (polska)",
                  "Name of the theme in Polish.", required=True),
        FieldSpec("tier", "string", "Tier", "Rodzaj",
                  "core or supporting indicator of the standard, profile data about the city, or indicator (of a "
                  "standard without a core/supporting split: ISO 37122, ISO 37123).",
                  required=True, enum=TIERS),
        FieldSpec("name_en", "string", "Indicator name (English)", "Nazwa wskaźnika (angielska)",
                  "Name of the indicator in English.", required=True),
        FieldSpec("name_pl", "string", "Indicator name (Polish)", "Nazwa wskaźnika (polska)",
                  "Name of the indicator in Polish.", required=True),
        FieldSpec("unit_pl", "string", "Unit (Polish)", "Jednostka (polska)", "Unit of the value, in Polish.",
                  required=True),
    ),
    primary_key=("city_code", "indicator_uid", "year"),
)

SOURCES = TableSpec(
    name="sources",
    title="Source register",
    title_pl="Rejestr źródeł",
    description="Every source of every city: the organisation, its dataset or table, where it was taken from, "
                "when, and under which licence.",
    description_pl="Wszystkie źródła każdego miasta: organizacja, jej zbiór lub tabela, skąd i kiedy zostały "
                   "pobrane oraz na jakiej licencji.",
    fields=(
        CITY_CODE,
        FieldSpec("source_id", "string", "Source", "Źródło", "Id of the source in the city's register.",
                  required=True, pattern=TOKEN),
        FieldSpec("organisation", "string", "Organisation", "Organizacja", "The organisation that supplied the figures. "
                  + FORMULA_GUARD, required=True),
        FieldSpec("dataset", "string", "Dataset", "Zbiór danych",
                  "The dataset or table id and name at the provider. " + FORMULA_GUARD, required=True),
        FieldSpec("url", "string", "URL", "URL", "Where the extract was taken from."),
        FieldSpec("retrieved_on", "date", "Retrieved on", "Data pobrania", "When the extract was taken.",
                  required=True),
        FieldSpec("licence", "string", "Licence", "Licencja",
                  "The licence of the extract (an SPDX id, or the provider's terms).", required=True),
        FieldSpec("quality_class", "string", "Quality class", "Klasa jakości",
                  "How the figures were obtained: measured, survey_extrapolation, higher_level_extrapolation, "
                  "assumption_estimate, expert_estimate or unknown.", enum=QUALITY_CLASSES),
        FieldSpec("origin", "string", "Origin", "Pochodzenie",
                  "How the figures were produced (register, survey, model…). " + FORMULA_GUARD),
        FieldSpec("file_id", "string", "File", "Plik", "The input file the source is declared in.", required=True),
        FieldSpec("row", "integer", "Row", "Wiersz", "The row of that file (the header is row 1).", required=True,
                  minimum=1),
    ),
    primary_key=("city_code", "source_id"),
)

OBSERVATIONS = TableSpec(
    name="observations",
    title="Input figures",
    title_pl="Dane wejściowe",
    description="Every input figure of every city and year, with its place in the input files (file, sheet, row) "
                "and the SHA-256 of that file, so a value can be followed to the row it came from.",
    description_pl="Wszystkie dane wejściowe każdego miasta i roku, z miejscem w plikach wejściowych (plik, arkusz, "
                   "wiersz) i skrótem SHA-256 pliku, aby każdą wartość można było prześledzić do jej wiersza.",
    fields=(
        CITY_CODE,
        YEAR,
        FieldSpec("variable", "string", "Variable", "Zmienna", "Id of the input variable of the registry, or the uid "
                  "of an indicator whose value the city gave as reported.", required=True, pattern=INPUT),
        FieldSpec("value", "number", "Value", "Wartość",
                  "The figure, as supplied (after the recorded repairs of its notation). Empty when not available."),
        FieldSpec("value_text", "string", "Value (text)", "Wartość (tekst)",
                  "The value of a text variable. " + FORMULA_GUARD),
        FieldSpec("unit", "string", "Unit", "Jednostka",
                  "Unit of the figure, as the registry states it; amounts of money in the city's currency (ISO 4217 code).",
                  required=True),
        SOURCE_ID,
        FieldSpec("status", "string", "Status", "Status",
                  "Status of the figure; empty for a normal, final one.", enum=OBSERVATION_STATUSES),
        FieldSpec("note", "string", "Note", "Uwaga",
                  "Note supplied with the figure (the reason when not available). " + FORMULA_GUARD),
        FieldSpec("file_id", "string", "File", "Plik", "The input file, relative to the raw folder.", required=True),
        FieldSpec("sheet", "string", "Sheet", "Arkusz", "The worksheet, for a workbook."),
        FieldSpec("row", "integer", "Row", "Wiersz",
                  "The row in the file as a spreadsheet shows it (the header is row 1); for city.yaml, the line.",
                  required=True, minimum=1),
        FieldSpec("sha256", "string", "SHA-256", "SHA-256", "SHA-256 of the input file, in hexadecimal.",
                  required=True, pattern=r"[0-9a-f]{64}"),
    ),
    primary_key=("city_code", "year", "variable"),
    # No foreign key to sources.csv: a figure without a source (not available, or a fact of city.yaml) has an
    # empty source_id beside its city_code, which a composite foreign key does not allow.
)

INDICATOR_INPUTS = TableSpec(
    name="indicator_inputs",
    title="Inputs of each value",
    title_pl="Dane wejściowe każdej wartości",
    description="Which input figures each indicator value was computed from: the link from indicators.csv to "
                "observations.csv.",
    description_pl="Z jakich danych wejściowych obliczono każdą wartość wskaźnika: powiązanie indicators.csv z "
                   "observations.csv.",
    fields=(
        CITY_CODE,
        INDICATOR_UID,
        YEAR,
        FieldSpec("role", "string", "Role", "Rola",
                  "The input's role: numerator, denominator, input (of a direct value or formula), previous "
                  "(the year before, for a change), or reported (the value the city gave, not computed).",
                  required=True, enum=INPUT_ROLES),
        FieldSpec("variable", "string", "Variable", "Zmienna", "Id of the input variable, or for role reported the "
                  "indicator's uid.", required=True, pattern=INPUT),
        FieldSpec("obs_year", "integer", "Year of the input", "Rok danych wejściowych",
                  "The year of the input figure (the year before for previous).", required=True, minimum=1900,
                  maximum=2100),
    ),
    primary_key=("city_code", "indicator_uid", "year", "variable", "obs_year"),
    foreign_keys=(
        ForeignKey(("city_code", "indicator_uid", "year"), "indicators", ("city_code", "indicator_uid", "year")),
        ForeignKey(("city_code", "obs_year", "variable"), "observations", ("city_code", "year", "variable")),
    ),
)

TABLES: tuple[TableSpec, ...] = (INDICATORS, SOURCES, OBSERVATIONS, INDICATOR_INPUTS)
"""The CSVs of the bundle, in the order they are described."""

JSONSTAT_DIMENSIONS = {"city": CITY_CODE, "indicator": INDICATOR_UID, "year": YEAR}
"""The dimensions of the JSON-stat cube, labelled by the columns they correspond to."""
