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

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from pipeline.catalogue.models import Text
from pipeline.problems import Problem
from pipeline.yamlio import YamlFile

SOURCES_DIR = "sources"
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


# --- snapshot.yaml: written by the fetch stage, read by ingest -------------------------------


class SnapshotRequest(Strict):
    """One request of a snapshot and the file that holds its response body exactly as received."""

    file: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    kind: Literal["units", "attributes", "version", "data"]
    path: str
    """The URL path below the endpoint (``/data/by-unit/042214361011``)."""
    params: dict[str, list[str]] = Field(default_factory=dict)
    """The query parameters sent, each with its values in order."""
    unit_id: Annotated[str, Field(pattern=BDL_UNIT_ID)] | None = None
    """The unit of a ``data`` request."""
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
    """``snapshot.yaml``: what a frozen snapshot holds and how it was retrieved."""

    snapshot_version: Literal[1] = 1
    source: str
    organisation: str
    dataset: str
    endpoint: str
    api_version: str | None = None
    retrieved_at: datetime
    """When the first request was sent (UTC)."""
    licence: str
    attribution: str
    unit: SnapshotUnit
    powiat_unit_id: Annotated[str, Field(pattern=BDL_UNIT_ID)] | None = None
    years: list[int]
    mappings: list[BdlVariable]
    """The mapping entries the data requests asked for, as they were at retrieval."""
    requests: list[SnapshotRequest]


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
            read.add("source_file_name_mismatch", f"the file of source {mapping.id!r} must be named {mapping.id}.yaml", ("id",), mapping.id)
        seen_var: dict[str, int] = {}
        seen_id: dict[int, int] = {}
        for n, v in enumerate(mapping.variables):
            at = ("variables", n)
            if v.variable not in known:
                read.add("unknown_variable", f"variable {v.variable!r} is not declared in variables.yaml", (*at, "variable"), v.variable)
            if v.variable in seen_var:
                read.add("duplicate_variable", f"registry variable {v.variable!r} is already fed by entry {seen_var[v.variable] + 1}; "
                         "one source variable per registry variable", (*at, "variable"), v.variable)
            if v.bdl_variable_id in seen_id:
                read.add("duplicate_id", f"BDL variable {v.bdl_variable_id} is already mapped by entry {seen_id[v.bdl_variable_id] + 1}",
                         (*at, "bdl_variable_id"), v.bdl_variable_id)
            seen_var.setdefault(v.variable, n)
            seen_id.setdefault(v.bdl_variable_id, n)
            if v.conversion <= 0:
                read.add("conversion_not_positive", f"the unit conversion must be a positive multiplier, not {v.conversion}",
                         (*at, "conversion"), v.conversion)
            if v.concept is Concept.proxy and v.deviation is None:
                read.add("proxy_without_deviation", "a proxy needs a deviation (en, pl) saying how it differs from the registry variable",
                         (*at, "concept"), v.concept.value)
            if v.status is MappingStatus.confirmed and v.evidence.tag != "R":
                read.add("confirmed_without_evidence", f"only an id read in a primary source (evidence R) is confirmed; "
                         f"evidence {v.evidence.tag} makes it unverified", (*at, "status"), v.status.value)
        if len(problems) == before:
            mappings[mapping.id] = mapping
    return mappings, problems


__all__ = ["BdlVariable", "Concept", "Dimensions", "Evidence", "Level", "MappingStatus", "Snapshot", "SnapshotRequest",
           "SnapshotUnit", "SourceMapping", "load_source_mappings"]
