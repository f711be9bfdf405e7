"""Typed rows of the store's tables and the JSON artefacts built from them.

The table layouts are in ``schema.sql``; these models describe the same rows for Python code and,
through their generated JSON Schemas in ``schemas/``, for anyone reading the JSON artefacts.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from pipeline.i18n import MessageArgs


REPORT_VERSION = "1.1"


def _json(v: object) -> object:
    return json.loads(v) if isinstance(v, str) else v


StoredMessageArgs = Annotated[MessageArgs, BeforeValidator(_json)]
"""The values of a message template's fields as the store keeps them (JSON)."""


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputFile(Row):
    """One file of a city's raw folder, as found: the inventory entry."""

    file_id: str
    folder: str
    role: str
    bytes: int
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    media_type: str


class Repair(Row):
    """A normalisation applied to a raw value (or to a whole file) on the way in."""

    file_id: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    rule: str
    original: str | None = None
    repaired: str | None = None


class IngestReport(Row):
    """``ingest-report.json``: what ingest read and how many values of each kind it repaired
    (every repair, with its place, is in the store's ``repairs`` table)."""

    report_version: str = REPORT_VERSION
    files: list[InputFile]
    """Every file of the raw folder, by its path relative to that folder."""
    cities: list[str]
    observations: int
    repairs: dict[str, int]
    """Number of repairs by rule."""


class CityYearLevel(Row):
    """Coverage of one city in one year against one standard, and the certification level it reaches."""

    city_code: str
    edition: str
    """The standard (catalogue edition)."""
    year: int
    core_reported: int
    core_defined: int
    total_reported: int
    """Core and supporting indicators reported."""
    total_defined: int
    level: str | None
    """The highest certification level reached, or None below the lowest."""


class CalculationSummary(Row):
    results: int
    reported: int
    levels: list[CityYearLevel]


class RuleRun(Row):
    """A validation rule that ran: what it checks, on how many rows, and how many failed."""

    rule_id: str
    test: str
    level: int
    severity: str
    engine: str
    target: str
    description: str
    """What the rule checks, in English."""
    description_id: str
    """Its template in the message catalogues; :func:`pipeline.i18n.render` shows it in a language."""
    description_args: StoredMessageArgs
    checked: int
    failed: int


class Finding(Row):
    """One thing a rule found, with the raw place behind it and, if accepted, by whom and why."""

    rule_id: str
    test: str
    level: int
    severity: str
    city_code: str | None
    year: int | None
    indicator_uid: str | None
    variable: str | None
    observed: str | None
    expected: str | None
    message: str
    """What the rule found, in English."""
    message_id: str
    """Its template in the message catalogues; :func:`pipeline.i18n.render` shows it in a language."""
    message_args: StoredMessageArgs
    file_id: str | None
    sheet: str | None
    row: int | None
    accepted: bool
    accepted_by: str | None
    accepted_role: str | None
    accepted_on: date | None
    acceptance_reason: str | None


class SummaryRow(Row):
    level: int
    severity: str
    findings: int
    accepted: int


class ValidationReport(Row):
    """``validation-report.json``, shaped after the ESS ValidatReport: the rules that ran, their
    findings, and a summary by level and severity."""

    report_version: str = REPORT_VERSION
    rules: list[RuleRun]
    findings: list[Finding]
    summary: list[SummaryRow]
    blocking: int
    """Errors not accepted: any stops the release."""


class OutputFile(Row):
    path: str
    """Relative to the release folder."""
    bytes: int
    sha256: str


class PreviousRelease(Row):
    """The release a build compared its values with (the revision rule), and what it read of it:
    those files are archived in the new release, so ``verify`` re-runs the same comparison."""

    build_id: str
    files: list[OutputFile]
    """The archived copies (``archive/previous/results.parquet``, ``observations.parquet``) with
    their size and SHA-256."""


MANIFEST_VERSION = "1.1"
"""1.1: ``archive`` (every archived file) and ``previous`` (the release compared with)."""


class Manifest(Row):
    """``manifest.json``: what a release was built from and what it holds, for re-running it."""

    manifest_version: str = MANIFEST_VERSION
    build_id: str
    """SHA-256 over the inputs, the definitions, the code version, the lock file and the
    configuration: the same build gives the same id."""
    release_date: date | None
    code_version: str
    lock_sha256: str
    python: str
    packages: dict[str, str]
    configuration: dict[str, str]
    editions: list[str]
    reference_years: list[int]
    definitions_sha256: str
    inputs: list[InputFile]
    outputs: list[OutputFile]
    """Every file of the release but the manifest and the archive."""
    archive: list[OutputFile] = []
    """Every file under ``archive/``: the raw inputs, the definitions and what was read of the
    previous release."""
    previous: PreviousRelease | None = None


ARTEFACTS: dict[str, type[BaseModel]] = {
    "ingest-report": IngestReport,
    "calculation-summary": CalculationSummary,
    "validation-report": ValidationReport,
    "manifest": Manifest,
}
