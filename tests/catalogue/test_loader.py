"""The loader on small catalogues built in code: each broken definition names its file, line, field."""

from __future__ import annotations

import pytest

from pipeline.catalogue import load_catalogue
from pipeline.problems import ProblemsFound
from tests.conftest import INDICATORS, write_catalogue


def problems_of(root) -> list:
    with pytest.raises(ProblemsFound) as e:
        load_catalogue(root)
    return e.value.problems


def test_mini_catalogue_loads_in_standard_order(mini_catalogue):
    cat = load_catalogue(mini_catalogue)
    assert list(cat.indicators) == ["test-ed:5.1", "test-ed:5.2", "test-ed:5.3", "test-ed:6.1", "test-ed:P14-P-09", "test-ed:P14-GAC-02"]
    ind = cat.get("5.1")
    assert ind.variables == ["unemployed", "labour_force"]
    assert ind.slug == "test-ed-5-1"
    assert cat.get("P14-P-09").variables == ["population"]


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    broken = INDICATORS["5.1"].replace("tier: core", "tier: [core")
    root = write_catalogue(tmp_path, {**INDICATORS, "5.1": broken})
    [p] = problems_of(root)
    assert (p.file, p.rule) == ("indicators/test-ed/5.1.yaml", "yaml_syntax")
    assert p.line in (5, 6)


def test_unknown_key_names_field_and_line(tmp_path):
    broken = INDICATORS["5.1"].replace("decimals: 2", "decimals: 2\nmultipler: 100")
    root = write_catalogue(tmp_path, {**INDICATORS, "5.1": broken})
    [p] = problems_of(root)
    assert (p.rule, p.field, p.line) == ("schema.extra_forbidden", "multipler", 14)
    assert "multipler" in p.message


def test_wrong_type_names_field_and_line(tmp_path):
    broken = INDICATORS["5.1"].replace("decimals: 2", "decimals: two")
    root = write_catalogue(tmp_path, {**INDICATORS, "5.1": broken})
    [p] = problems_of(root)
    assert (p.rule, p.field, p.line, p.value) == ("schema.int_parsing", "decimals", 13, "two")


def test_unknown_variable_names_calculation_field(tmp_path):
    broken = INDICATORS["5.2"].replace("numerator: firefighters", "numerator: fire_fighters")
    root = write_catalogue(tmp_path, {**INDICATORS, "5.2": broken})
    [p] = problems_of(root)
    assert (p.file, p.rule, p.field, p.line, p.value) == (
        "indicators/test-ed/5.2.yaml", "unknown_variable", "calculation.numerator", 8, "fire_fighters")


def test_many_problems_are_reported_together(tmp_path):
    root = write_catalogue(tmp_path, {
        **INDICATORS,
        "5.1": INDICATORS["5.1"].replace("multiplier: 100", "multiplier: 1000"),
        "5.2": INDICATORS["5.2"].replace("theme: 5", "theme: 9"),
        "6.1": INDICATORS["6.1"].replace("tier: core", "tier: main"),
    })
    rules = sorted((p.file.rsplit("/", 1)[1], p.rule) for p in problems_of(root))
    assert rules == [
        ("5.1.yaml", "unit_multiplier_mismatch"),
        ("5.2.yaml", "unknown_theme"),
        ("6.1.yaml", "schema.enum"),
    ]


def test_share_bounds_needs_a_percentage_ratio(tmp_path):
    broken = INDICATORS["5.2"].replace("  - {kind: range, min: 0}", "  - {kind: range, min: 0}\n  - {kind: share_bounds}")
    root = write_catalogue(tmp_path, {**INDICATORS, "5.2": broken})
    assert [p.rule for p in problems_of(root)] == ["share_bounds_not_a_share"]


def test_fewer_than_two_decimals_need_a_reason(tmp_path):
    broken = INDICATORS["5.2"].replace("decimals: 2", "decimals: 1")
    root = write_catalogue(tmp_path, {**INDICATORS, "5.2": broken})
    assert [(p.rule, p.field) for p in problems_of(root)] == [("decimals_without_reason", "decimals")]
    reasoned = broken.replace("decimals: 1", "decimals: 1\ndecimals_reason: {en: Whole firefighters., pl: Cali strażacy.}")
    assert load_catalogue(write_catalogue(tmp_path / "ok", {**INDICATORS, "5.2": reasoned})).get("5.2").decimals == 1


def test_per_100000_population_needs_population_denominator(tmp_path):
    broken = INDICATORS["5.2"].replace("denominator: population", "denominator: labour_force")
    root = write_catalogue(tmp_path, {**INDICATORS, "5.2": broken})
    [p] = problems_of(root)
    assert (p.rule, p.field) == ("unit_denominator_mismatch", "calculation.denominator")


def test_hostile_formula_is_rejected_with_its_place(tmp_path):
    broken = INDICATORS["P-01"].replace(
        "expression: (population - previous(population)) / previous(population) * 100",
        "expression: (SELECT count(*) FROM read_csv('/etc/passwd'))")
    root = write_catalogue(tmp_path, {**INDICATORS, "P-01": broken})
    [p] = problems_of(root)
    assert (p.rule, p.field, p.line) == ("formula_not_allowed", "calculation.expression", 10)


def test_text_variable_cannot_enter_arithmetic(tmp_path):
    broken = INDICATORS["P-01"].replace(
        "expression: (population - previous(population)) / previous(population) * 100",
        "expression: climate * 2")
    root = write_catalogue(tmp_path, {**INDICATORS, "P-01": broken})
    assert [p.rule for p in problems_of(root)] == ["text_in_arithmetic"]


def test_duplicate_id_and_file_name_mismatch(tmp_path):
    root = write_catalogue(tmp_path)
    (root / "test-ed" / "copy.yaml").write_text(INDICATORS["5.1"], encoding="utf-8")
    assert sorted(p.rule for p in problems_of(root)) == ["duplicate_id", "file_name_mismatch"]


def test_top_level_not_a_mapping(tmp_path):
    root = write_catalogue(tmp_path, {**INDICATORS, "5.1": INDICATORS["5.1"]})
    (root / "test-ed" / "5.1.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    assert [(p.rule, p.line) for p in problems_of(root)] == [("yaml_not_mapping", 1)]


def test_unknown_provider_in_registry(tmp_path):
    root = write_catalogue(tmp_path)
    text = (root / "variables.yaml").read_text(encoding="utf-8").replace("provider: stats\n    description: {en: At birth", "provider: hospital\n    description: {en: At birth")
    (root / "variables.yaml").write_text(text, encoding="utf-8")
    [p] = problems_of(root)
    assert (p.file, p.rule, p.field, p.value) == ("indicators/variables.yaml", "unknown_provider", "variables.4.provider", "hospital")


def test_new_edition_is_a_new_folder(tmp_path):
    root = write_catalogue(tmp_path)
    ed2 = root / "test-ed-2"
    ed2.mkdir()
    (ed2 / "edition.yaml").write_text((root / "test-ed" / "edition.yaml").read_text().replace("id: test-ed", "id: test-ed-2"))
    (ed2 / "5.1.yaml").write_text(INDICATORS["5.1"].replace("edition: test-ed", "edition: test-ed-2"))
    cat = load_catalogue(root)
    assert "test-ed-2:5.1" in cat.indicators and "test-ed:5.1" in cat.indicators
    with pytest.raises(KeyError, match="several editions"):
        cat.get("5.1")
    assert cat.get("5.1", "test-ed-2").edition == "test-ed-2"


def test_parts_of_a_whole_share_one_denominator(tmp_path):
    part = INDICATORS["5.1"].replace("- {kind: range, min: 0, max: 100}", "- {kind: range, min: 0, max: 100}\n  - {kind: parts_sum, group: split}")
    other = part.replace('id: "5.1"', 'id: "5.4"').replace("denominator: labour_force", "denominator: population")
    root = write_catalogue(tmp_path, {**INDICATORS, "5.1": part, "5.4": other})
    assert [(p.file.rsplit("/", 1)[1], p.rule) for p in problems_of(root)] == [("5.4.yaml", "parts_sum_mismatch")]


def test_a_check_kind_is_declared_once(tmp_path):
    broken = INDICATORS["5.1"].replace("{kind: range, min: 0, max: 100}", "{kind: range, min: 0, max: 100}\n  - {kind: range, max: 90}")
    root = write_catalogue(tmp_path, {**INDICATORS, "5.1": broken})
    assert [p.rule for p in problems_of(root)] == ["check_repeated"]


def test_a_check_severity_is_one_of_the_three(tmp_path):
    broken = INDICATORS["5.1"].replace("{kind: share_bounds}", "{kind: share_bounds, severity: fatal}")
    root = write_catalogue(tmp_path, {**INDICATORS, "5.1": broken})
    assert [p.rule for p in problems_of(root)] == ["schema.enum"]


def test_not_above_must_agree_in_unit_and_not_loop(tmp_path):
    root = write_catalogue(tmp_path)
    text = (root / "variables.yaml").read_text(encoding="utf-8")
    text = text.replace("    not_above: population\n", "    not_above: unemployed\n")  # labour_force <-> unemployed
    text = text.replace("  - id: firefighters\n", "  - id: firefighters\n    not_above: life_expectancy\n")
    (root / "variables.yaml").write_text(text, encoding="utf-8")
    assert sorted(p.rule for p in problems_of(root)) == ["not_above_cycle", "not_above_cycle", "not_above_mismatch"]


def test_profile_id_letters_match_the_category(tmp_path):
    broken = INDICATORS["P-02"].replace("theme: geography-and-climate", "theme: people")
    root = write_catalogue(tmp_path, {**INDICATORS, "P-02": broken})
    assert [p.rule for p in problems_of(root)] == ["theme_id_mismatch"]
