"""Crosswalks as data: which indicator of one standard measures what an indicator of another does.

Layout: ``indicators/crosswalks/<from>--<to>.yaml``, one file per pair of editions::

    from: iso37120-2014
    to: iso37120-2018
    pairs:
      - {from: "5.1", to: "5.1", relation: renamed}
      - {from: "5.3", to: "5.3", relation: changed, note: {en: "...", pl: "..."}}

A relation says how far the later indicator continues the earlier one's series: ``same`` (the
same measure under the same title) and ``renamed`` (the same measure, a new title) continue it;
``changed`` (the measure was redefined) continues it with a break in series; ``related`` (a close
measure of another standard) is listed and never continues a series.

:func:`load_crosswalks` reads every file of ``<root>/crosswalks/`` and returns the problems with
file and line, as the catalogue loader does.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from pipeline.catalogue.models import SLUG, Edition, Indicator, Text
from pipeline.i18n import N_, msg
from pipeline.problems import Problem
from pipeline.yamlio import YamlFile

CROSSWALKS_DIR = "crosswalks"


class Relation(StrEnum):
    same = "same"
    """The same measure under the same title: the series continues."""
    renamed = "renamed"
    """The same measure under a new title: the series continues."""
    changed = "changed"
    """The measure was redefined: the series continues with a break in series."""
    related = "related"
    """A close measure, defined differently (often in another standard): listed, never continued."""

    @property
    def continues(self) -> bool:
        return self is not Relation.related

    @property
    def breaks(self) -> bool:
        return self is Relation.changed


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True)


class Pair(_Strict):
    """One indicator of the earlier edition and the indicator of the later one it maps to."""

    from_id: str = Field(alias="from")
    """The clause id in the ``from`` edition."""
    to_id: str = Field(alias="to")
    """The clause id in the ``to`` edition."""
    relation: Relation
    note: Text | None = None
    """What changed, for ``changed`` and ``related``."""


class Crosswalk(_Strict):
    """``crosswalks/<from>--<to>.yaml``: the pairs between two editions."""

    from_edition: Annotated[str, Field(pattern=SLUG)] = Field(alias="from")
    to_edition: Annotated[str, Field(pattern=SLUG)] = Field(alias="to")
    pairs: list[Pair]

    @property
    def name(self) -> str:
        return f"{self.from_edition}--{self.to_edition}"


class Link(BaseModel):
    """A pair with both indicators' uids: what :meth:`Crosswalks.before` and the CLI give."""

    model_config = ConfigDict(frozen=True)

    from_uid: str
    to_uid: str
    relation: Relation
    note: Text | None = None


class Crosswalks(BaseModel):
    """Every crosswalk of the catalogue, by file name (``<from>--<to>``)."""

    model_config = ConfigDict(frozen=True)

    files: dict[str, Crosswalk] = Field(default_factory=dict)

    @property
    def links(self) -> list[Link]:
        return [Link(from_uid=f"{c.from_edition}:{p.from_id}", to_uid=f"{c.to_edition}:{p.to_id}", relation=p.relation, note=p.note)
                for c in self.files.values() for p in c.pairs]

    def before(self, uid: str) -> list[Link]:
        """The links that continue the series of ``uid`` backwards: its earlier indicators."""
        return [link for link in self.links if link.to_uid == uid and link.relation.continues]


def load_crosswalks(root: Path, editions: Mapping[str, Edition],
                    indicators: Mapping[str, Indicator]) -> tuple[Crosswalks, list[Problem]]:
    """Every ``<root>/crosswalks/*.yaml``, checked: the file is named ``<from>--<to>``, both
    editions are in the catalogue, every id is an indicator of its edition, and an indicator is
    paired once per file on each side (a measure split or merged is ``related``, not continued)."""
    problems: list[Problem] = []
    found: dict[str, Crosswalk] = {}
    folder = Path(root) / CROSSWALKS_DIR
    if not folder.is_dir():
        return Crosswalks(), problems
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml") and not p.name.startswith(".")):
        try:
            shown = path.relative_to(Path(root).parent).as_posix()
        except ValueError:
            shown = path.as_posix()
        read = YamlFile(path, shown, problems)
        if not read.load():
            continue
        walk: Crosswalk | None = read.model(Crosswalk)
        if walk is None:
            continue
        before = len(problems)
        if path.stem != walk.name:
            read.add("crosswalk_file_name_mismatch", msg(N_("the crosswalk from {from_edition} to {to_edition} must be named {name}.yaml"),
                                                         from_edition=walk.from_edition, to_edition=walk.to_edition, name=walk.name),
                     ("from",), walk.from_edition)
        for side, edition in (("from", walk.from_edition), ("to", walk.to_edition)):
            if edition not in editions:
                read.add("unknown_edition", msg(N_("edition {edition} is not in the catalogue (known: {known})"),
                                                edition=repr(edition), known=", ".join(editions)), (side,), edition)
        seen: dict[tuple[str, str], int] = {}
        for n, pair in enumerate(walk.pairs):
            for side, edition, ident in (("from", walk.from_edition, pair.from_id), ("to", walk.to_edition, pair.to_id)):
                if edition in editions and f"{edition}:{ident}" not in indicators:
                    read.add("unknown_indicator", msg(N_("{edition} has no indicator {indicator}"), edition=edition, indicator=ident),
                             ("pairs", n, side), ident)
                if pair.relation.continues and (side, ident) in seen:
                    read.add("crosswalk_pair_repeated", msg(N_("{indicator} is already paired in entry {entry}; a measure split or merged "
                                                               "is 'related', not continued"), indicator=ident, entry=seen[(side, ident)] + 1),
                             ("pairs", n, side), ident)
                if pair.relation.continues:
                    seen.setdefault((side, ident), n)
        if len(problems) == before:
            found[walk.name] = walk
    return Crosswalks(files=found), problems


__all__ = ["CROSSWALKS_DIR", "Crosswalk", "Crosswalks", "Link", "Pair", "Relation", "load_crosswalks"]
