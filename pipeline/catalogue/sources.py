"""Public statistical sources as data: which registry variable a source's variable feeds.

Layout: ``indicators/sources/<source>.yaml``, one file per source (``bdl.yaml``: Statistics
Poland's Local Data Bank). Each entry names a registry variable, the source's variable id, its
subject, dimension labels (``n1``…``n5``), the territorial level at which it is published, its
measure unit and the multiplier to the registry unit, whether the concept is the same or a proxy
(with the deviation in English and Polish), and whether the id is ``confirmed`` (read in a
primary source, tag ``R``) or ``unverified`` (tags ``E``/``M``: a lead, checked with
``iso37120 fetch bdl --check-mapping`` before it is trusted).

The models of a frozen snapshot's ``snapshot.yaml`` live here too, because the fetch stage writes
it and ingest reads it, and both may import the catalogue.

:func:`load_source_mappings` reads every file of ``<root>/sources/`` and returns the problems with
file and line (``pipeline.yamlio.YamlFile``), as the catalogue loader does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator

from pipeline.catalogue.models import Text
from pipeline.i18n import N_, msg
from pipeline.problems import Problem
from pipeline.yamlio import YamlFile

SOURCES_DIR = "sources"
SNAPSHOTS_DIR = "snapshots"
"""Where a city folder keeps its frozen snapshots (``snapshots/<source>-<date>/``)."""
SNAPSHOT_FILE = "snapshot.yaml"
VARIABLE_ID = r"^[a-z][a-z0-9_]*$"
BDL_UNIT_ID = r"^\d{12}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Level(StrEnum):
    """The territorial level at which a value is published."""

    gmina = "gmina"
    """BDL level 6: the municipality itself."""
    powiat = "powiat"
    """BDL level 5: the county. For a city with powiat rights the same territory as the city; for
    any other gmina the whole county, not the city."""

    @property
    def bdl_level(self) -> int:
        return 6 if self is Level.gmina else 5


class Concept(StrEnum):
    same = "same"
    """The source's variable measures what the registry variable means."""
    proxy = "proxy"
    """An approximation; ``deviation`` says how it differs."""


class MappingStatus(StrEnum):
    confirmed = "confirmed"
    """The id, subject, dimensions, level and unit were read in a primary source (evidence R)."""
    unverified = "unverified"
    """A lead (evidence E or M): check it against the API before relying on it."""


class Evidence(Strict):
    """Where the id comes from."""

    tag: Literal["R", "E", "M"]
    """R: read in a primary or near-primary source; E: one excerpt or third-party repository;
    M: background knowledge, a lead to resolve."""
    citation: str = Field(min_length=1)


class Dimensions(Strict):
    """The dimension labels of a BDL variable, as the API gives them (``n1``…``n5``); a label not
    known is left out."""

    n1: str | None = None
    n2: str | None = None
    n3: str | None = None
    n4: str | None = None
    n5: str | None = None


class BdlVariable(Strict):
    """One BDL variable that feeds one registry variable."""

    variable: Annotated[str, Field(pattern=VARIABLE_ID)]
    """The registry variable (``indicators/variables.yaml``)."""
    bdl_variable_id: int = Field(gt=0)
    subject_id: Annotated[str, Field(pattern=r"^[KGP]\d+$")] | None = None
    """The subject (``P2137``); None where the evidence does not give it."""
    dimensions: Dimensions = Field(default_factory=Dimensions)
    level: Level
    unit: str = Field(min_length=1)
    """The BDL measure unit name (``measureUnitName``: ``osoba``, ``tys. zł``…)."""
    conversion: Decimal = Decimal(1)
    """The multiplier from the BDL unit to the registry unit (1000 for ``tys. zł`` → LCU)."""
    concept: Concept
    deviation: Text | None = None
    """How a proxy differs from the registry variable (required for ``proxy``)."""
    note: Text | None = None
    """A caveat that holds for a variable of the same concept too."""
    status: MappingStatus
    evidence: Evidence

    @field_serializer("conversion", when_used="json")
    def _number(self, value: Decimal) -> int | float:
        """Written as a YAML number (``1000``, ``0.001``), not as text."""
        return int(value) if value == value.to_integral_value() else float(value)


class SourceMapping(Strict):
    """``indicators/sources/<id>.yaml``: the variables one source feeds."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    """The source's id, the file's name (``bdl``)."""
    name: Text
    organisation: str = Field(min_length=1)
    base_url: str = Field(pattern=r"^https://")
    licence: str = Field(min_length=1)
    attribution: str = Field(min_length=1)
    variables: list[BdlVariable] = Field(min_length=1)

    def by_bdl_id(self) -> dict[int, BdlVariable]:
        return {v.bdl_variable_id: v for v in self.variables}


# --- BDL unit ids ----------------------------------------------------------------------------

GMINA_TYPES: dict[str, tuple[str, str]] = {
    "1": ("urban gmina", "gmina miejska"),
    "2": ("rural gmina", "gmina wiejska"),
    "3": ("urban-rural gmina", "gmina miejsko-wiejska"),
}
"""The TERYT gmina types (the last digit ``T`` of a BDL id) that are gminas, in English and Polish.
BDL's level 6 also lists parts of gminas, which are no cities: 4 the town and 5 the rural area of
an urban-rural gmina, 8 a district of Warsaw, 9 a delegatura."""


def teryt_of(unit_id: str) -> str:
    """The TERYT code (``WWPPGGT``) of a 12-digit BDL gmina id (``MMWWRSSPPGGT``)."""
    return unit_id[2:4] + unit_id[7:12]


def is_gmina(unit_id: str) -> bool:
    """Whether a 12-digit BDL level-6 id is a whole gmina (type 1, 2 or 3), not a part of one."""
    return unit_id[-1:] in GMINA_TYPES


def powiat_rights(unit_id: str) -> bool:
    """Whether a 12-digit BDL gmina id is a city with powiat rights (TERYT powiat code 61–99)."""
    return unit_id[7:9].isdigit() and int(unit_id[7:9]) >= 61


# --- snapshot.yaml: written by the fetch stage, read by ingest -------------------------------


class SnapshotRequest(Strict):
    """One request of a snapshot and the file that holds its response body exactly as received."""

    file: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    kind: Literal["units", "attributes", "version", "data", "data-by-variable"]
    """``data``: ``/data/by-unit/{unit}`` (many variables of one unit); ``data-by-variable``:
    ``/data/by-variable/{var}`` (one variable of every unit of a level; snapshot version 2)."""
    path: str
    """The URL path below the endpoint (``/data/by-unit/042214361011``)."""
    params: dict[str, list[str]] = Field(default_factory=dict)
    """The query parameters sent, each with its values in order."""
    unit_id: Annotated[str, Field(pattern=BDL_UNIT_ID)] | None = None
    """The unit of a ``data`` request."""
    variable_id: int | None = Field(default=None, gt=0)
    """The BDL variable of a ``data-by-variable`` request (snapshot version 2)."""
    page: int | None = None
    status: int
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0)


class SnapshotUnit(Strict):
    """The BDL unit a snapshot was taken for, as the units endpoint gave it."""

    id: Annotated[str, Field(pattern=BDL_UNIT_ID)]
    name: str
    level: int
    kind: str | None = None
    parent_id: Annotated[str, Field(pattern=BDL_UNIT_ID)] | None = None
    teryt: str | None = None


class Snapshot(Strict):
    """``snapshot.yaml``: what a frozen snapshot holds and how it was retrieved.

    Version 1: the snapshot of one unit (``unit``; data from ``/data/by-unit``). Version 2 adds
    the scope ``all-gminas`` (every gmina of the country, or of ``parent``; data from
    ``/data/by-variable``, the gminas in the ``units`` responses), the request kind
    ``data-by-variable`` and its ``variable_id``. A snapshot of one unit is still written as
    version 1, so that earlier releases read it; both versions are read."""

    snapshot_version: Literal[1, 2] = 1
    scope: Literal["unit", "all-gminas"] = "unit"
    """``unit``: one gmina (and its powiat); ``all-gminas``: every gmina (version 2)."""
    source: str
    organisation: str
    dataset: str
    endpoint: str
    api_version: str | None = None
    retrieved_at: datetime
    """When the first request was sent (UTC)."""
    licence: str
    attribution: str
    unit: SnapshotUnit | None = None
    """The gmina of a snapshot of scope ``unit`` (required there; absent for ``all-gminas``)."""
    powiat_unit_id: Annotated[str, Field(pattern=BDL_UNIT_ID)] | None = None
    parent: SnapshotUnit | None = None
    """For ``all-gminas``: the unit whose gminas were fetched (``--parent``); absent for the whole country."""
    years: list[int]
    mappings: list[BdlVariable]
    """The mapping entries the data requests asked for, as they were at retrieval."""
    requests: list[SnapshotRequest]

    @model_validator(mode="after")
    def _shape(self) -> Snapshot:
        data_kinds = {r.kind for r in self.requests} & {"data", "data-by-variable"}
        if self.scope == "unit":
            if self.unit is None:
                raise ValueError("a snapshot of one unit (scope unit) names its unit")
            if self.parent is not None or data_kinds - {"data"}:
                raise ValueError("a snapshot of one unit has data/by-unit requests (kind data) and no parent")
        else:
            if self.snapshot_version < 2:
                raise ValueError("scope all-gminas needs snapshot_version 2")
            if self.unit is not None or self.powiat_unit_id is not None or data_kinds - {"data-by-variable"}:
                raise ValueError("a snapshot of all gminas has data/by-variable requests (kind data-by-variable) and no unit")
        if any(r.kind == "data-by-variable" and r.variable_id is None for r in self.requests):
            raise ValueError("a data-by-variable request names its variable_id")
        if self.snapshot_version == 1 and any(r.variable_id is not None for r in self.requests):
            raise ValueError("variable_id needs snapshot_version 2")
        return self


# --- loading ----------------------------------------------------------------------------------


def load_source_mappings(root: Path, variables: Iterable[str]) -> tuple[dict[str, SourceMapping], list[Problem]]:
    """Every ``<root>/sources/*.yaml``, checked against the registry ``variables``: the registry
    variable exists, each registry variable and each source id appears once per file, the unit
    conversion is positive, a proxy says how it deviates, and a ``confirmed`` id has evidence R.

    Returns the mappings by source id (those with no problem) and every problem with file and line.
    A catalogue without a ``sources`` folder has no mappings and no problems.
    """
    root = Path(root)
    known = set(variables)
    problems: list[Problem] = []
    mappings: dict[str, SourceMapping] = {}
    folder = root / SOURCES_DIR
    if not folder.is_dir():
        return mappings, problems
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml") and not p.name.startswith(".")):
        try:
            shown = path.relative_to(root.parent).as_posix()
        except ValueError:
            shown = path.as_posix()
        read = YamlFile(path, shown, problems)
        if not read.load():
            continue
        before = len(problems)
        mapping: SourceMapping | None = read.model(SourceMapping)
        if mapping is None:
            continue
        if mapping.id != path.stem:
            read.add("source_file_name_mismatch", msg(N_("the file of source {source} must be named {id}.yaml"),
                                                           source=repr(mapping.id), id=mapping.id), ("id",), mapping.id)
        seen_var: dict[str, int] = {}
        seen_id: dict[int, int] = {}
        for n, v in enumerate(mapping.variables):
            at = ("variables", n)
            if v.variable not in known:
                read.add("unknown_variable", msg(N_("variable {variable} is not declared in variables.yaml"),
                                                     variable=repr(v.variable)), (*at, "variable"), v.variable)
            if v.variable in seen_var:
                read.add("duplicate_variable", msg(N_("registry variable {variable} is already fed by entry {entry}; one source variable per "
                                               "registry variable"), variable=repr(v.variable), entry=seen_var[v.variable] + 1), (*at, "variable"), v.variable)
            if v.bdl_variable_id in seen_id:
                read.add("duplicate_id", msg(N_("BDL variable {var} is already mapped by entry {entry}"), var=v.bdl_variable_id,
                                             entry=seen_id[v.bdl_variable_id] + 1),
                         (*at, "bdl_variable_id"), v.bdl_variable_id)
            seen_var.setdefault(v.variable, n)
            seen_id.setdefault(v.bdl_variable_id, n)
            if v.conversion <= 0:
                read.add("conversion_not_positive", msg(N_("the unit conversion must be a positive multiplier, not {conversion}"),
                                                        conversion=v.conversion),
                         (*at, "conversion"), v.conversion)
            if v.concept is Concept.proxy and v.deviation is None:
                read.add("proxy_without_deviation", msg(N_("a proxy needs a deviation (en, pl) saying how it differs from the registry variable")),
                         (*at, "concept"), v.concept.value)
            if v.status is MappingStatus.confirmed and v.evidence.tag != "R":
                read.add("confirmed_without_evidence", msg(N_("only an id read in a primary source (evidence R) is confirmed; evidence {evidence} makes "
                                                       "it unverified"), evidence=v.evidence.tag), (*at, "status"), v.status.value)
        if len(problems) == before:
            mappings[mapping.id] = mapping
    return mappings, problems


__all__ = ["GMINA_TYPES", "BdlVariable", "Concept", "Dimensions", "Evidence", "Level", "MappingStatus", "Snapshot",
           "SnapshotRequest", "SnapshotUnit", "SourceMapping", "is_gmina", "load_source_mappings", "powiat_rights", "teryt_of"]
