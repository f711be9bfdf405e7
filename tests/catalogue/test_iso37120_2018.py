"""The shipped ISO 37120:2018 catalogue, checked as a whole against the reference list
(shared/reference/iso37120_2018_indicators.csv) and against the 2014 edition where the
crosswalk says a measure is unchanged."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from pipeline.catalogue.models import Ratio, Tier, TierBasis

EDITION = "iso37120-2018"
OLD = "iso37120-2014"
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "iso37120_2018_indicators.csv"

# 2018 items that take over a 2014 Annex A profile item (listed without ids in 2014; ours are local)
# or, for 13.3, an Annex A item promoted to an indicator. The CSV says "profile (Annex A …)".
PROFILE_CROSSWALK = {
    "5.9.1": "P14-E-01",
    "5.9.2": "P14-E-02",
    "5.9.3": "P14-E-08",
    "9.5.1": "P14-G-03",
    "9.5.2": "P14-G-05",
    "12.5.1": "P14-H-01",
    "12.5.2": "P14-H-03",
    "13.3": "P14-E-04",
    "13.4.1": "P14-P-09",
    "13.4.4": "P14-P-11",
    "21.5.1": "P14-P-02",
}

needs_reference = pytest.mark.skipif(not REFERENCE.is_file(), reason="reference material not beside the project")


@pytest.fixture(scope="module")
def ref() -> dict[str, dict[str, str]]:
    with open(REFERENCE, encoding="utf-8") as f:
        return {r["id"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def ours(catalogue):
    return {i.id: i for i in catalogue.of_edition(EDITION)}


def same_as_2014(r: dict[str, str]) -> str | None:
    """The 2014 id a 2018 row keeps unchanged (no ``~`` in id_2014), or None."""
    if r["id"] in PROFILE_CROSSWALK:
        return PROFILE_CROSSWALK[r["id"]]
    old = r["id_2014"].strip()
    if not old or "~" in old or old.startswith("profile"):
        return None
    return old


def test_counts_themes_and_tiers(catalogue):
    items = catalogue.of_edition(EDITION)
    assert len(items) == 128
    assert Counter(i.tier.value for i in items) == {"core": 45, "supporting": 59, "profile": 24}
    assert sorted({i.theme for i in items}) == list(range(5, 24))
    assert all(isinstance(i.theme, int) for i in items), "profile items sit under a theme number"
    edition = catalogue.editions[EDITION]
    assert [t.number for t in edition.themes] == list(range(5, 24))
    assert edition.profile_categories == []


def test_certification_levels_fit_45_core_and_104_indicators(catalogue):
    levels = catalogue.editions[EDITION].certification_levels
    assert [lv.id for lv in levels] == ["aspirational", "bronze", "silver", "gold", "platinum"]
    assert all(lv.min_core <= 45 and lv.min_total <= 104 for lv in levels)
    assert [lv.min_total for lv in levels] == sorted(lv.min_total for lv in levels)
    assert all(lv.min_core == 45 for lv in levels[1:])


@needs_reference
def test_every_reference_id_is_present_and_no_other(ref, ours):
    assert set(ours) == set(ref)


@needs_reference
def test_tier_basis_confidence_theme_and_name_follow_the_reference(ref, ours):
    for id_, r in ref.items():
        i = ours[id_]
        assert i.tier.value == r["tier"], id_
        expected = TierBasis.confirmed if r["tier_confirmed"] == "yes" else TierBasis.inferred
        assert i.tier_basis is expected, id_
        assert i.confidence.value == r["confidence"], id_
        assert i.name.en == r["name"], id_
        assert str(i.theme) == r["theme_number"], id_


@needs_reference
def test_unchanged_measures_calculate_exactly_as_in_2014(catalogue, ref, ours):
    old = {i.id: i for i in catalogue.of_edition(OLD)}
    kept = {id_: same_as_2014(r) for id_, r in ref.items() if same_as_2014(r)}
    assert len(kept) >= 80
    for id_, old_id in kept.items():
        assert old_id in old, f"{id_}: 2014 item {old_id} not in the catalogue"
        new, was = ours[id_], old[old_id]
        assert new.calculation == was.calculation, id_
        assert new.decimals == was.decimals, id_
        assert new.unit == was.unit, id_


@needs_reference
def test_changed_measures_do_not_claim_to_be_unchanged(ref, ours):
    """An item the crosswalk marks as changed (``~``) or new says so in its notes, never that it
    is the same measure as 2014."""
    for id_, r in ref.items():
        if same_as_2014(r) or id_ == "13.2":
            continue
        notes = ours[id_].notes
        assert notes is not None, id_
        assert "Same measure as" not in notes.en, id_


def test_names_definitions_and_units_in_both_languages(catalogue):
    for i in catalogue.of_edition(EDITION):
        for text in (i.name, i.definition, i.unit):
            assert text.en.strip() and text.pl.strip(), i.id
        assert i.name.pl != i.name.en, f"{i.id}: Polish name is a copy of the English one"
        assert i.definition.pl != i.definition.en, i.id


def test_low_confidence_and_inferred_items_explain_themselves(catalogue):
    for i in catalogue.of_edition(EDITION):
        if i.confidence.value == "low":
            assert i.notes is not None, i.id


def test_percentages_are_bounded(catalogue):
    for i in catalogue.of_edition(EDITION):
        if not i.unit.en.startswith("%"):
            continue
        kinds = {c.kind: c for c in i.checks}
        assert "range" in kinds, i.id
        if isinstance(i.calculation, Ratio):
            assert i.calculation.multiplier == 100, i.id
            assert "share_bounds" in kinds or "limits" in kinds or i.id in {"9.1"}, i.id


def test_per_capita_and_per_100k_use_the_one_population(catalogue):
    for i in catalogue.of_edition(EDITION):
        c = i.calculation
        if "per 100 000" in i.unit.en and "population" in i.unit.en:
            if isinstance(c, Ratio):
                assert (c.denominator, c.multiplier) == ("population", 100_000), i.id
            else:
                assert "/ population * 100000" in c.expression, i.id
        if "per capita" in i.unit.en and isinstance(c, Ratio):
            assert c.denominator == "population", i.id


def test_no_parts_sum_group_in_2018(catalogue):
    """The 2018 solid-waste routes overlap (biological treatment is also recycling) and the 2018
    wastewater treatment levels are one item, so no group must add up to 100."""
    for i in catalogue.of_edition(EDITION):
        assert all(c.kind != "parts_sum" for c in i.checks), i.id


def test_text_and_profile_items_sit_under_their_theme(catalogue):
    for i in catalogue.of_edition(EDITION):
        assert i.id.split(".")[0] == str(i.theme), i.id
        if i.tier is Tier.profile:
            assert i.id.count(".") == 2, i.id
