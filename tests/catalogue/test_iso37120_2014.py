"""The shipped ISO 37120:2014 catalogue, checked as a whole against the reference facts."""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipeline.catalogue.formula import indicator_formula, render
from pipeline.catalogue.models import Ratio, Tier, VariableKind

EDITION = "iso37120-2014"
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"


@pytest.fixture(scope="module")
def indicators(catalogue):
    return catalogue.of_edition(EDITION)


def test_counts_themes_and_tiers(indicators):
    numbered = [i for i in indicators if i.tier is not Tier.profile]
    assert len(numbered) == 100
    assert Counter(i.tier.value for i in numbered) == {"core": 46, "supporting": 54}
    assert sorted({i.theme for i in numbered}) == list(range(5, 22))
    assert len([i for i in indicators if i.tier is Tier.profile]) >= 30


def test_ids_unique_and_names_in_both_languages(indicators):
    ids = [i.id for i in indicators]
    assert len(ids) == len(set(ids))
    for i in indicators:
        assert i.name.en.strip() and i.name.pl.strip(), i.id
        assert i.definition.en.strip() and i.definition.pl.strip(), i.id
        assert i.name.pl != i.name.en or i.name.en in {"%"}, f"{i.id}: Polish name is a copy of the English one"


@pytest.mark.skipif(not (REFERENCE / "iso37120_2014_indicators.csv").is_file(), reason="reference material not beside the project")
def test_ids_names_tiers_match_the_reference(catalogue):
    with open(REFERENCE / "iso37120_2014_indicators.csv", encoding="utf-8") as f:
        ref = {r["id"]: r for r in csv.DictReader(f)}
    ours = {i.id: i for i in catalogue.of_edition(EDITION) if i.tier is not Tier.profile}
    assert set(ours) == set(ref)
    for id_, r in ref.items():
        assert ours[id_].tier.value == r["tier"], id_
        assert ours[id_].name.en == r["name"], id_
        assert str(ours[id_].theme) == r["theme_number"], id_


def test_every_variable_is_declared_and_used(catalogue):
    used = {v for i in catalogue.indicators.values() for v in i.variables}
    assert used <= set(catalogue.variables)
    assert set(catalogue.variables) - used == set(), "declared but never used"


def test_units_agree_with_multipliers(indicators):
    for i in indicators:
        if not isinstance(i.calculation, Ratio):
            continue
        unit = i.unit.en
        if unit.startswith("%") or unit.startswith("% of"):
            assert i.calculation.multiplier == 100, i.id
        elif "per 100 000" in unit:
            assert i.calculation.multiplier == 100_000, i.id
            assert i.calculation.denominator == "population" or "population" not in unit, i.id
        elif "per 1 000 " in unit:
            assert i.calculation.multiplier == 1000, i.id
        elif "per capita" in unit:
            assert (i.calculation.multiplier, i.calculation.denominator) == (Decimal(1), "population"), i.id


# Values real cities legitimately report above 100 %: gross enrolment, cohorts with pupils moving in,
# debt service above own revenue, tax collected with arrears, registered voters above the
# estimated voting-age population.
ABOVE_100 = {"6.1", "6.2", "6.3", "6.5", "6.6", "9.1", "9.4", "11.6"}
# Served populations estimated by a utility, which can exceed the resident population.
SERVED = {"7.2", "16.1", "20.1", "21.1", "21.2", "21.3"}


def test_percentages_are_checked_as_real_cities_report_them(indicators):
    for i in indicators:
        if not (isinstance(i.calculation, Ratio) and i.calculation.multiplier == 100 and i.unit.en.startswith("%")):
            continue
        kinds = {c.kind: c for c in i.checks}
        assert "range" in kinds and kinds["range"].severity is None, i.id  # plausibility: a warning
        if i.id in ABOVE_100:
            assert "share_bounds" not in kinds, i.id
        elif i.id in SERVED:
            assert kinds["share_bounds"].severity == "warning" and kinds["limits"].max <= 200, i.id
        else:
            assert "share_bounds" in kinds and kinds["share_bounds"].severity is None, i.id  # a true part: an error
        if "share_bounds" not in kinds and i.id not in ("9.1",):
            assert "limits" in kinds and kinds["limits"].max <= 300, i.id  # thousands of per cent are stopped


def test_computed_values_keep_two_decimals_or_say_why(indicators):
    for i in indicators:
        if i.calculation.kind != "direct":
            assert i.decimals >= 2 or i.decimals_reason is not None, i.id


def test_shares_that_split_one_whole_form_groups(indicators):
    groups: dict[str, list[str]] = {}
    for i in indicators:
        for c in i.checks:
            if c.kind == "parts_sum":
                groups.setdefault(c.group, []).append(i.id)
    assert sorted(groups["solid-waste-routes"]) == sorted(["16.3", "16.4", "16.5", "16.6", "16.7", "16.8"])
    assert sorted(groups["wastewater-treatment-levels"]) == ["20.2", "20.3", "20.4", "20.5"]


def test_per_capita_indicators_share_one_population(catalogue):
    pop = catalogue.variables["population"]
    assert pop.kind is VariableKind.count and pop.integer
    users = [i.id for i in catalogue.indicators.values() if isinstance(i.calculation, Ratio) and i.calculation.denominator == "population"]
    assert len(users) >= 30


def test_every_calculation_compiles_in_duckdb(catalogue):
    con = duckdb.connect()
    cols = ", ".join(f'"{v.id}" {"VARCHAR" if v.kind is VariableKind.text else "DECIMAL(38, 10)"}' for v in catalogue.variables.values())
    con.execute(f"CREATE TABLE cur ({cols})")
    con.execute("CREATE TABLE prev AS SELECT * FROM cur")
    for i in catalogue.indicators.values():
        sql = render(indicator_formula(i), lambda v: f'cur."{v}"', lambda v: f'prev."{v}"')
        con.execute(f"SELECT {sql} FROM cur, prev")
