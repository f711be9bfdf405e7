"""The evidence dossier as data: ``dossier-<city_code>.json``, the same content as the HTML.

One :class:`Dossier` per city of a build. Everything an auditor needs to verify a value is here:
what it is (the catalogue's names and definition in English and Polish), how it was computed (the
formula and the SQL as run), from which figures (numerator, denominator, every input with its
file and row; each file's SHA-256 in the inventory), from which sources (organisation, dataset, licence, quality class), what
was checked (every rule that ran on it, with its outcome), what changed (year-over-year and
revisions), and who approves the release (the sign-off block, left empty to be filled on paper).

Numbers are decimals written as strings (``"12.50"``) so that no digit is lost or added; a
value keeps the decimals its definition rounds to. The schema is versioned by
``dossier_version``: a change that removes or renames a field raises its major number.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pipeline.i18n import MessageArgs
from pipeline.catalogue.models import Text
from pipeline.store.models import Manifest

DOSSIER_VERSION = "2.0"


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Contact(Part):
    name: str
    email: str | None = None
    organisation: str | None = None


class CityPart(Part):
    """The city, as its ``city.yaml`` describes it."""

    code: str
    name: Text
    country: str
    edition: str
    """The standard (catalogue edition) of this dossier."""
    editions: list[str] = []
    """Every standard the city reports, its primary first: each has a dossier."""
    currency: str
    folder: str
    file_id: str
    fictional: bool
    description: Text | None = None
    region: str | None = None
    website: str | None = None
    publisher: str | None = None
    contact: Contact | None = None


class EditionPart(Part):
    id: str
    standard: str
    year: int
    title: Text
    tiers_inferred: int = 0
    """Core and supporting indicators whose tier is inferred, not confirmed: the certification levels
    are computed on them, and the dossier says so."""
    tiers: bool = True
    """The standard splits its indicators into core and supporting (ISO 37122 and 37123 do not)."""
    levels: bool = True
    """The standard has certification levels."""


class BuildPart(Part):
    """What build this dossier describes, and whether its validation lets it be released."""

    build_id: str | None
    """The manifest's build id; None when the dossier was rendered without a manifest."""
    inputs_sha256: str
    """SHA-256 over the inventory of this city's inputs (one ``<sha256>  <file_id>`` line per
    file, sorted by file id): the same inputs give the same fingerprint."""
    status: Literal["released", "releasable", "blocked"]
    """``blocked`` when an error is not accepted; ``released`` when a manifest was given."""
    blocking: int
    """Validation errors of this city that nobody accepted."""
    reference_years: list[int]
    latest_year: int | None


class CoverageRow(Part):
    """Indicators defined and reported in one theme (or profile category) and tier, in one year."""

    year: int
    theme: str
    theme_name: Text
    tier: str
    defined: int
    reported: int


class CertificationRow(Part):
    year: int
    core_reported: int
    core_defined: int
    total_reported: int
    """Core and supporting indicators reported."""
    total_defined: int
    level: str | None
    """The highest certification level reached, or None below the lowest."""
    level_name: Text | None


class FindingRow(Part):
    """A finding of validation, with the raw place behind it and, if accepted, by whom and why."""

    rule_id: str
    test: str
    level: int
    severity: str
    year: int | None
    indicator_uid: str | None
    indicator_id: str | None
    anchor: str | None
    """The indicator's section in the HTML (``ind-<slug>``)."""
    variable: str | None
    observed: str | None
    expected: str | None
    message: str
    message_id: str
    message_args: MessageArgs
    """The message's template in the catalogues and its fields, to show it in each language."""
    file_id: str | None
    sheet: str | None
    row: int | None
    file_anchor: str | None
    accepted: bool
    accepted_by: str | None
    accepted_role: str | None
    accepted_on: date | None
    acceptance_reason: str | None


class ValidationSummaryRow(Part):
    level: int
    severity: str
    rules: int
    """Rules of this level and severity that ran."""
    findings: int
    accepted: int
    open: int


class ExceptionRow(Part):
    """An acceptance from the city folder's ``exceptions.yaml``."""

    rule_id: str
    city_code: str | None
    year: int | None
    variable: str | None
    accepted_by: str
    role: str
    accepted_on: date
    reason: str
    file_id: str
    line: int
    matched: int
    """Findings of this build it accepts (0: stale, to be removed)."""


class ValidationPart(Part):
    rules_run: int
    summary: list[ValidationSummaryRow]
    """By ESS level and severity."""
    open_findings: list[FindingRow]
    """Errors and warnings that nobody accepted."""
    accepted_findings: list[FindingRow]
    information: int
    """Findings of severity information (listed with their indicators)."""
    exceptions: list[ExceptionRow]


class IndicatorRef(Part):
    uid: str
    id: str
    anchor: str
    name: Text


class NotAvailableRow(Part):
    indicator: IndicatorRef
    tier: str
    year: int
    status: str
    reason_code: str | None
    reason: str | None


class RevisionRow(Part):
    """A change against the previous release: a released value that changed without a revision
    record (a finding of ``revision_results_value``), or an input marked ``revised``."""

    kind: Literal["unexplained_change", "revised_input"]
    year: int | None
    indicators: list[IndicatorRef]
    variable: str | None
    change: str | None
    """``previous → now`` for a changed value; the revised figure for an input."""
    note: str | None
    """The finding's message, or the input's note (why it was revised)."""
    note_id: str | None = None
    note_args: MessageArgs | None = None
    """The finding's message template and fields (an unexplained change), to show it in each language."""
    file_id: str | None
    sheet: str | None
    row: int | None
    file_anchor: str | None


class RevisionsPart(Part):
    compared: bool
    """True when the build was compared with a previous release (the revision rule ran)."""
    rows: list[RevisionRow]


class InventoryFile(Part):
    file_id: str
    anchor: str
    role: str
    bytes: int
    sha256: str
    media_type: str


class InventorySource(Part):
    source_id: str
    anchor: str
    organisation: str
    dataset: str
    url: str | None
    retrieved_on: date
    licence: str
    quality_class: str | None
    origin: str | None
    contact: str | None
    file_id: str
    row: int
    observations: int
    """Figures of this city taken from the source."""


class InventoryPart(Part):
    files: list[InventoryFile]
    sources: list[InventorySource]


class ClassCount(Part):
    quality_class: str
    """A quality class of the source register, or ``unknown`` where the source states none."""
    sources: int
    inputs: int
    """Input figures behind the reported values of the latest year from sources of this class."""


class QualityPart(Part):
    """The facts of the quality statement, and the statement in words."""

    year: int | None
    reported: int
    defined: int
    share_reported: Decimal | None
    """Per cent of core and supporting indicators reported in ``year``, one decimal."""
    core_reported: int
    core_defined: int
    level: str | None
    quality_classes: list[ClassCount]
    flagged_values: dict[str, int]
    """Values of ``year`` carrying each flag (estimated, provisional, revised, break…)."""
    open_errors: int
    open_warnings: int
    accepted: int
    statement: list[Text]
    """The statement, paragraph by paragraph, in English and Polish."""


class SignOff(Part):
    """The release approval; the empty fields are filled on paper."""

    data_owner: str | None
    preparer: Contact | None
    approver: str | None = None
    role: str | None = None
    approved_on: date | None = None
    decision: Literal["approved", "approved_with_conditions", "rejected"] | None = None


class VariableRef(Part):
    variable: str
    name: Text
    unit: str


class InputRow(Part):
    """One input figure behind a value, with its raw place and source. The file's SHA-256 and the
    source's organisation, dataset, date and licence are in the inventory (``file_id``,
    ``source_id``), once per file and source rather than on every figure."""

    role: str
    variable: str
    name: Text
    obs_year: int
    value: Decimal | None
    value_text: str | None
    raw_value: str | None
    """The value exactly as written in the file."""
    unit: str | None
    status: str | None
    note: str | None
    file_id: str | None
    file_anchor: str | None
    sheet: str | None
    row: int | None
    source_id: str | None
    source_anchor: str | None
    quality_class: str | None


class YearRow(Part):
    """The indicator in one reference year."""

    year: int
    value: Decimal | None
    """Rounded to ``decimals``."""
    value_text: str | None
    status: str
    origin: str
    """computed (from the inputs) or reported (the city gave the value, not computed)."""
    decimals: int
    """The decimals the value is published with."""
    flags: list[str]
    reason_code: str | None
    reason: str | None
    missing: list[str]
    numerator: Decimal | None
    denominator: Decimal | None
    multiplier: Decimal | None
    previous_value: Decimal | None
    yoy_change: Decimal | None
    yoy_relative: Decimal | None
    """Relative change in per cent, two decimals."""
    inputs: list[InputRow]


class InputNote(Part):
    year: int
    variable: str
    status: str | None
    note: str


class RuleOutcome(Part):
    """A rule that ran on the indicator (or on its inputs), and what it found for this city."""

    rule_id: str
    test: str
    level: int
    severity: str
    description: str
    description_id: str
    description_args: MessageArgs
    """The description's template in the catalogues and its fields, to show it in each language."""
    checked: int
    """Rows it looked at in the whole build."""
    findings: int
    """Its findings for this indicator of this city."""
    outcome: Literal["passed", "accepted", "findings"]


class ContinuedYear(Part):
    """A year in which the indicator has no value, continued from the indicator of another standard
    the city reports that a crosswalk maps to it (same, renamed, or changed: a break in series)."""

    year: int
    value: Decimal | None
    value_text: str | None
    decimals: int
    source: IndicatorRef
    """The indicator whose value continues the series."""
    clause: str
    """Where that standard defines it: ``ISO 37120:2014, 5.1``."""
    relation: str
    breaks: bool
    """The crosswalk says the measure changed: a break in series between this year and the next."""


class IndicatorPart(Part):
    uid: str
    id: str
    anchor: str
    clause: str
    """Where the standard defines it: ``ISO 37120:2014, 5.1`` (profile data: our local id)."""
    edition: str
    theme: str
    theme_name: Text
    tier: str
    name: Text
    unit: Text
    definition: Text
    notes: Text | None
    """The definition's notes: interpretation and known deviations from the standard."""
    kind: str
    text: bool
    """A fact in words (the value of a text variable): no number, no rounding, no change."""
    formula: str
    sql: str | None
    """The SELECT that produced the values, as run on the store."""
    decimals: int
    multiplier: Decimal | None
    numerator: VariableRef | None
    denominator: VariableRef | None
    quality_classes: list[str]
    input_notes: list[InputNote]
    """Notes written with the input figures: method, estimates, deviations, explanations."""
    years: list[YearRow]
    continued: list[ContinuedYear] = []
    """Years without a value here, continued from another standard the city reports (crosswalks)."""
    rules: list[RuleOutcome]
    findings: list[FindingRow]
    verdict: str | None = None
    """The verifier's verdict, filled on paper."""


class ThemePart(Part):
    theme: str
    anchor: str
    name: Text
    profile: bool
    indicators: list[IndicatorPart]


class Dossier(Part):
    """``dossier-<city_code>.json``: the evidence dossier of one city of one build."""

    dossier_version: str = DOSSIER_VERSION
    city: CityPart
    edition: EditionPart
    build: BuildPart
    coverage: list[CoverageRow]
    certification: list[CertificationRow]
    validation: ValidationPart
    not_available: list[NotAvailableRow]
    revisions: RevisionsPart
    quality: QualityPart
    inventory: InventoryPart
    manifest: Manifest | None
    """The build manifest; None when the dossier was rendered outside the build (it is then in
    the release's ``manifest.json``)."""
    sign_off: SignOff
    themes: list[ThemePart]
