"""The shipped ISO 37122:2019 and ISO 37123:2019 catalogues, checked against the reference facts."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.catalogue.models import Ratio, Tier

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"
EDITIONS = {
    "iso37122-2019": ("iso37122_2019_indicators.csv", 80, "ISO 37122"),
    "iso37123-2019": ("iso37123_2019_indicators.csv", 68, "ISO 37123"),
}


def _reference(name: str) -> dict[str, dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8") as f:
        return {r["id"]: r for r in csv.DictReader(f)}


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_edition_has_no_tiers_or_levels(catalogue, edition):
    ed = catalogue.editions[edition]
    assert ed.standard == EDITIONS[edition][2] and ed.year == 2019
    assert ed.certification_levels == [] and ed.profile_categories == []
    indicators = catalogue.of_edition(edition)
    assert len(indicators) == EDITIONS[edition][1]
    assert {i.tier for i in indicators} == {Tier.indicator}
    assert {i.theme for i in indicators} == {t.number for t in ed.themes}


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_names_and_definitions_in_both_languages(catalogue, edition):
    for i in catalogue.of_edition(edition):
        assert i.name.pl.strip() and i.name.pl != i.name.en, i.uid
        assert i.definition.en.strip() and i.definition.pl.strip(), i.uid
        assert any(c.kind == "range" for c in i.checks), i.uid


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="reference material not beside the project")
@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_ids_names_confidence_and_multipliers_match_the_reference(catalogue, edition):
    ref = _reference(EDITIONS[edition][0])
    ours = {i.id: i for i in catalogue.of_edition(edition)}
    assert set(ours) == set(ref)
    for id_, r in ref.items():
        i = ours[id_]
        assert i.tier is Tier.indicator, id_
        assert i.confidence.value == r["confidence"], id_
        assert i.name.en == r["name"], id_
        assert i.unit.en == r["unit"], id_
        assert str(i.theme) == r["theme_number"], id_
        if isinstance(i.calculation, Ratio):
            assert i.calculation.multiplier == Decimal(r["multiplier"] or 1), id_


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_shares_of_a_whole_are_bounded(catalogue, edition):
    """share_bounds only where the numerator is declared a part of the denominator (or of a part of it)."""
    for i in catalogue.of_edition(edition):
        if not any(c.kind == "share_bounds" for c in i.checks):
            continue
        c = i.calculation
        assert isinstance(c, Ratio) and i.unit.en.startswith("%"), i.uid
        chain, v = [], catalogue.variables[c.numerator].not_above
        while v is not None and v not in chain:
            chain.append(v)
            v = catalogue.variables[v].not_above
        assert c.denominator in chain, i.uid


def test_low_confidence_is_explained(catalogue):
    for edition in EDITIONS:
        for i in catalogue.of_edition(edition):
            if i.confidence.value != "high":
                assert i.notes is not None, i.uid
