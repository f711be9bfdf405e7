"""``config/publish.yaml``: who publishes the open-data bundle, under which licence, where.

Nothing about the publisher, the licence or the portal is written in code: it comes from this
file (``--config``), and a city's own ``city.yaml`` (``publisher``, ``contact``, ``website``)
overrides and completes it when the bundle holds one city.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.catalogue.models import Text
from pipeline.i18n import N_, msg
from pipeline.problems import Problem, ProblemsFound
from pipeline.yamlio import YamlFile

DATASET_ID = r"^[a-z0-9](?:[a-z0-9-]{0,34}[a-z0-9])?$"
"""A CKAN-safe slug of at most 36 characters: lowercase letters, digits and inner hyphens."""
IRI = r"^https?://[^\s<>\"{}|\\^`]+$"
STANDARD_IRI = r"^(?:https?://|urn:)[^\s<>\"{}|\\^`]+$"
DEFAULT_CONFIG = Path("config/publish.yaml")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class PublisherType(StrEnum):
    """Kinds of publisher of the ADMS publisher-type vocabulary (http://purl.org/adms/publishertype/)."""

    LocalAuthority = "LocalAuthority"
    RegionalAuthority = "RegionalAuthority"
    NationalAuthority = "NationalAuthority"
    SupraNationalAuthority = "SupraNationalAuthority"
    Academia_ScientificOrganisation = "Academia-ScientificOrganisation"
    Company = "Company"
    NonGovernmentalOrganisation = "NonGovernmentalOrganisation"
    NonProfitOrganisation = "NonProfitOrganisation"
    PrivateIndividual = "PrivateIndividual(s)"
    StandardisationBody = "StandardisationBody"


class Publisher(Strict):
    """The organisation that publishes the bundle (``dct:publisher``)."""

    name: str = Field(min_length=1)
    uri: Annotated[str, Field(pattern=IRI)] | None = None
    """A stable IRI of the organisation (e.g. its entry in a register); derived from the dataset if absent."""
    homepage: Annotated[str, Field(pattern=IRI)] | None = None
    type: PublisherType = PublisherType.LocalAuthority


class ContactPoint(Strict):
    """Where users send questions about the data (``dcat:contactPoint``)."""

    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    url: Annotated[str, Field(pattern=IRI)] | None = None


class LicenceType(StrEnum):
    """Kinds of licence of the ADMS licence-type vocabulary (http://purl.org/adms/licencetype/)."""

    Attribution = "Attribution"
    PublicDomain = "PublicDomain"
    ShareAlike = "ShareAlike"
    NonCommercialUse = "NonCommercialUse"
    NoDerivativeWork = "NoDerivativeWork"


class Licence(Strict):
    """The licence of every file of the bundle."""

    uri: Annotated[str, Field(pattern=IRI)] = "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"
    """The licence in the EU licence vocabulary: described in the DCAT record and linked
    (``owl:sameAs``) from the licence ``url`` that every distribution names."""
    id: str = Field(default="CC-BY-4.0", min_length=1)
    """Its SPDX id (``licenses[].name`` of datapackage.json)."""
    title: str = "Creative Commons Attribution 4.0 International"
    url: Annotated[str, Field(pattern=IRI)] = "https://creativecommons.org/licenses/by/4.0/"
    """The licence text: the ``dct:license`` of every distribution of the DCAT record, which a CKAN
    portal whose licence register lists this address (as the Open Definition register does) maps
    to its licence."""
    ckan_title: str | None = Field(default=None, min_length=1)
    """The ``dct:title`` of the licence in the DCAT record: what a CKAN portal with CKAN's default
    licence register matches (``Creative Commons Attribution`` is its ``cc-by``). Default: CKAN's
    title of the licence's SPDX ``id`` (CC BY, CC BY-SA, CC0, ODbL, ODC-By, PDDL, OGL-UK), else ``title``."""
    type: LicenceType = LicenceType.Attribution


class Location(Strict):
    """Where a city lies, for the ``dct:spatial`` coverage of the record."""

    uri: Annotated[str, Field(pattern=IRI)] | None = None
    """An IRI of the place (GeoNames ``https://sws.geonames.org/<id>/`` or the EU place vocabulary)."""
    centroid: str | None = Field(default=None, pattern=r"^POINT ?\(")
    """WKT, longitude first: ``POINT(19.94 50.06)``."""
    bbox: str | None = Field(default=None, pattern=r"^POLYGON ?\(\(")
    """WKT polygon of the bounding box."""


class Keywords(Strict):
    en: list[str] = ["ISO 37120", "city indicators", "city services", "quality of life", "sustainable development"]
    pl: list[str] = ["ISO 37120", "wskaźniki miejskie", "usługi miejskie", "jakość życia", "zrównoważony rozwój"]


class PublishConfig(Strict):
    """Settings of the open-data bundle (``config/publish.yaml``)."""

    dataset_id: Annotated[str, Field(pattern=DATASET_ID)] | None = None
    """The stable id (slug) of the dataset on the portal, at most 36 characters. Default for one
    city: ``iso37120-<city code>``; required when the bundle holds several cities."""
    portal_base_url: Annotated[str, Field(pattern=IRI)] = "https://data.example.org/dataset/"
    """The dataset's IRI (and page) is this followed by the dataset id."""
    download_base_url: Annotated[str, Field(pattern=IRI)] | None = None
    """Where the files are served; the default is the dataset IRI followed by ``/``."""
    publisher: Publisher | None = None
    """Required here unless a single city's ``city.yaml`` names its publisher."""
    contact: ContactPoint | None = None
    """Required here unless a single city's ``city.yaml`` gives a contact."""
    licence: Licence = Licence()
    title: Text | None = None
    """The dataset title; generated from the cities when absent."""
    description: Text | None = None
    """The dataset description; generated from the cities and years when absent."""
    keywords: Keywords = Field(default_factory=lambda: Keywords())
    """Keywords in both languages (the standard and the city names are always added)."""
    landing_page: Annotated[str, Field(pattern=IRI)] | None = None
    """The web page of the dataset (``dcat:landingPage``; CKAN's ``url``). Default: the
    publisher's homepage; with neither, the record has no landing page."""
    release_date: date | None = None
    """The date of this release: ``created`` of datapackage.json and ``dct:modified`` of the DCAT
    record. If absent it is derived from the inputs (the latest ``retrieved_on`` of the source
    register), so two builds of the same inputs are identical."""
    first_issued: date | None = None
    """The date of the first release of the dataset (``dct:issued`` of the DCAT record), which
    stays the same every year. Default: the release date (right for the first release only)."""
    version: str | None = Field(default=None, pattern=r"^[0-9A-Za-z][0-9A-Za-z.+-]*$")
    """The version of the release; default: the release date as ``YYYY.M.D``."""
    version_notes: Text | None = None
    """What changed in this release; generated when absent."""
    standards: dict[str, Annotated[str, Field(pattern=STANDARD_IRI)]] = Field(default_factory=dict)
    """IRI of the standard each catalogue edition implements (``dct:conformsTo``), by edition id; an
    edition not listed gets an IRI under the dataset's."""
    locations: dict[str, Location] = Field(default_factory=dict)
    """Places of the cities (``dct:spatial``), by city code: a GeoNames or EU place IRI, which
    CKAN keeps as ``spatial_uri``, and the centroid and bounding box."""

    @field_validator("portal_base_url", "download_base_url")
    @classmethod
    def _slash(cls, v: str | None) -> str | None:
        return v if v is None or v.endswith(("/", "#", "=")) else v + "/"


def load_config(path: Path | None) -> PublishConfig:
    """Read the configuration; ``None`` gives the defaults. Raises :class:`ProblemsFound` with every problem."""
    if path is None:
        return PublishConfig()
    path = Path(path)
    problems: list[Problem] = []
    if not path.is_file():
        raise ProblemsFound([Problem(file=str(path), rule="missing_file", **msg(N_("the publish configuration file does not exist")))],
                            "publish configuration")
    y = YamlFile(path, str(path), problems)
    config = y.model(PublishConfig) if y.load() else None
    if problems or config is None:
        raise ProblemsFound(problems, "publish configuration")
    return config


def slug(text: str) -> str:
    """Lowercase letters, digits and single hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


__all__ = ["ContactPoint", "DEFAULT_CONFIG", "Licence", "Location", "PublishConfig", "Publisher", "load_config", "slug"]
