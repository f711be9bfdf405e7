"""``publish-report.json``: what the publish stage wrote."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class PublishedFile(Row):
    """One file of the open-data bundle."""

    path: str
    """The file name, relative to the bundle folder."""
    bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    media_type: str


class PublishReport(Row):
    """The open-data bundle: its identity and every file with its size and SHA-256."""

    dataset_id: str
    """The stable id (slug) of the dataset on the portal."""
    dataset_iri: str
    version: str
    release_date: date
    release_date_derived: bool
    """True when the release date was derived from the inputs (the latest retrieval date of a source)."""
    cities: list[str]
    first_year: int
    last_year: int
    rows: int
    """Rows of indicators.csv: one per city, indicator and year."""
    reported: int
    files: list[PublishedFile]
