"""The input contract: the typed shape of a city's raw folder.

``data/raw/<folder>/``::

    city.yaml            one city (City); or cities.yaml with ``cities: [City, ...]``
    sources.csv          the source register (SourceRow per row)
    observations/*.csv   long-form figures (ObservationRow per row); .xlsx too, one or more sheets
    exceptions.yaml      findings a named person accepted (read by the validation stage)
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from pipeline.catalogue.models import Text

CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"


def _iso_date(v: object) -> object:
    """A date written YYYY-MM-DD (or one the YAML loader already read as a date)."""
    if isinstance(v, date) and not isinstance(v, datetime):
        return v
    text = str(v).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise PydanticCustomError("date_not_real", "{value} is no day of the calendar; write the date as YYYY-MM-DD (a real date)",
                                      {"value": text}) from None
    m = re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})", text)
    example = f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}" if m else "2024-03-12"
    raise PydanticCustomError("date_format", "{value} is not a date as the file needs it: write YYYY-MM-DD (e.g. {example})",
                              {"value": text, "example": example})


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
"""A date written YYYY-MM-DD: anything else is refused with the words to fix it."""


def _web_address(v: str | None) -> str | None:
    if v is None:
        return v
    try:
        parts = urlsplit(v)
        host = parts.hostname
    except ValueError:
        host, parts = None, None
    if (parts is None or parts.scheme.lower() not in ("http", "https") or not host or "." not in host.strip(".")
            or re.search(r"\s", v)):
        raise PydanticCustomError("not_a_url", "{value} is not a web address; write the full address, https://…", {"value": v})
    return v


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Contact(Model):
    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    organisation: str | None = None


class City(Model):
    """``city.yaml``: who the city is and what it reports against."""

    code: Annotated[str, Field(pattern=CODE)]
    """Stable code of the city, e.g. the Polish TERYT code of the gmina (``1465011``)."""
    name: Text
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    """ISO 3166-1 alpha-2 code."""
    standards: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    """The standards the city reports (catalogue editions: folders under ``indicators/``), its
    primary one first; left out, the catalogue's default edition. The inputs are shared: each
    figure is collected once, whatever the number of standards."""
    edition: str | None = None
    """One standard, the older form of ``standards``."""

    @model_validator(mode="after")
    def _one_form(self) -> City:
        if self.edition is not None and self.standards:
            raise PydanticCustomError("standards_and_edition", "give the standards as a list in standards, without edition")
        if len(set(self.standards)) != len(self.standards):
            raise PydanticCustomError("standard_repeated", "a standard is listed twice in standards")
        return self

    def editions(self, default: str) -> list[str]:
        """The standards the city reports; ``default``: the catalogue's default edition."""
        return list(self.standards) or [self.edition or default]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    """ISO 4217 code of the city's currency: the meaning of the unit ``LCU``."""
    fictional: bool = False
    """True for sample and test cities, so no one takes their figures for real ones."""
    description: Text | None = None
    region: str | None = None
    """The first-level region (voivodeship, state) the city lies in."""
    website: str | None = None
    publisher: str | None = None
    """The organisation that publishes the figures (defaults to the city)."""
    contact: Contact | None = None
    text_facts: dict[str, str] = Field(default_factory=dict)
    """Values of text variables of the registry (``government_type``, ``climate_type``…),
    which do not change from year to year."""
    accept_powiat: list[str] = Field(default_factory=list)
    """Registry variables whose county (powiat) value from a public-statistics snapshot the city
    accepts as a proxy for its own (a gmina that is not a city with powiat rights); without it
    such a value is refused (``bdl_powiat_for_gmina``)."""


class Cities(Model):
    """``cities.yaml``: a folder that holds the inputs of many cities."""

    cities: list[City] = Field(min_length=1)


class QualityClass(StrEnum):
    """Data-quality class of a source, as verifiers ask for it."""

    measured = "measured"
    survey_extrapolation = "survey_extrapolation"
    higher_level_extrapolation = "higher_level_extrapolation"
    assumption_estimate = "assumption_estimate"
    expert_estimate = "expert_estimate"
    unknown = "unknown"


class SourceRow(Model):
    """A row of ``sources.csv``: where a group of figures came from."""

    source_id: Annotated[str, Field(pattern=CODE)]
    organisation: str = Field(min_length=1)
    dataset: str = Field(min_length=1)
    """The dataset or table id and name at the provider (e.g. ``BDL P2137``)."""
    url: Annotated[str | None, AfterValidator(_web_address)] = None  # a full http(s) address
    retrieved_on: date
    """When the extract was taken (YYYY-MM-DD)."""
    licence: str = Field(min_length=1)
    """The licence of the extract (an SPDX id such as CC-BY-4.0, or the provider's terms)."""
    quality_class: QualityClass | None = None
    origin: str | None = None
    """How the figures were produced (register, survey, model…)."""
    contact: str | None = None


class Status(StrEnum):
    """Status of an observation (empty for a normal, final figure)."""

    estimated = "estimated"
    provisional = "provisional"
    revised = "revised"
    break_ = "break"
    confidential = "confidential"
    not_available = "not_available"
    not_applicable = "not_applicable"


class ObservationRow(Model):
    """A row of an observation file, as the contract defines it (before repairs)."""

    city: str | None = None
    """City code; needed only when a file holds the figures of several cities."""
    year: int = Field(ge=1900, le=2100)
    """Calendar year of reference (fiscal years such as 2017/18 are not accepted)."""
    variable: str
    """A variable id of the registry (``indicators/variables.yaml``)."""
    value: str | None = None
    """The figure. Decimal point or comma; thousands separators and %, currency signs are
    removed where unambiguous and each removal is recorded. Empty only with status
    ``not_available``, ``not_applicable`` (both with the reason in ``note``) or ``confidential``."""
    unit: str
    """The unit, as the registry states it (``LCU`` or the city's currency code for money)."""
    source_id: str | None = None
    """An id of the source register; required unless the figure is not available."""
    status: Status | None = None
    note: str | None = None
    """Explanation: required for ``not_available`` (the reason) and for large changes."""


REQUIRED_COLUMNS = ("year", "variable", "value", "unit", "source_id")
OPTIONAL_COLUMNS = ("city", "status", "note")
SOURCE_COLUMNS = ("source_id", "organisation", "dataset", "url", "retrieved_on", "licence")
SOURCE_OPTIONAL = ("quality_class", "origin", "contact")


class AcceptedException(Model):
    """A finding of validation that a named person accepted, with the reason and the date."""

    rule_id: str = Field(min_length=1)
    """The id of the rule whose finding is accepted (as printed by ``iso37120 validate``)."""
    city: str | None = None
    """City code; may be left out in a folder that holds one city."""
    year: int | None = None
    """Year of the finding; left out, the acceptance holds for every year."""
    variable: str | None = None
    """Variable of the finding, for rules on observations."""
    # who (a named person), their role, when (YYYY-MM-DD) and why: all four are required
    accepted_by: str = Field(min_length=1)
    role: str = Field(min_length=1)
    accepted_on: IsoDate
    reason: str = Field(min_length=1)


class Exceptions(Model):
    """``exceptions.yaml``: the accepted findings of a city folder."""

    exceptions: list[AcceptedException] = Field(default_factory=list)
