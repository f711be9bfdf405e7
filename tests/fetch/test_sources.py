"""indicators/sources/bdl.yaml and its loader: the mapping as data, checked with file and line."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from pipeline.catalogue.sources import Level, MappingStatus, load_source_mappings
from tests.conftest import CATALOGUE

REGISTRY = {v["id"] for v in YAML(typ="safe", pure=True).load((CATALOGUE / "variables.yaml").read_text(encoding="utf-8"))["variables"]}
MAPPING_FILE = CATALOGUE / "sources" / "bdl.yaml"


def test_the_bdl_mapping_loads_against_the_real_registry(tmp_path: Path):
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "bdl.yaml").write_bytes(MAPPING_FILE.read_bytes())
    mappings, problems = load_source_mappings(tmp_path, REGISTRY)
    assert problems == []
    bdl = mappings["bdl"]
    assert bdl.base_url == "https://bdl.stat.gov.pl/api/v1" and bdl.attribution == "Źródło: GUS, Bank Danych Lokalnych"
    population = bdl.by_bdl_id()[72305]
    assert (population.variable, population.subject_id, population.level, population.unit, population.status) == (
        "population", "P2137", Level.gmina, "osoba", MappingStatus.confirmed)
    assert population.dimensions.n1 == population.dimensions.n2 == "ogółem"
    # only what SOURCES.md reads in a primary source is confirmed
    assert [v.variable for v in bdl.variables if v.status is MappingStatus.confirmed] == ["population"]
    assert all(v.evidence.tag == "R" for v in bdl.variables if v.status is MappingStatus.confirmed)
    assert all(v.deviation is not None for v in bdl.variables if v.concept.value == "proxy")
    text = MAPPING_FILE.read_text(encoding="utf-8")
    assert "Źródło: GUS, Bank Danych Lokalnych" in text.split("\nid:")[0]  # the header comment


def _write(tmp: Path, text: str, name: str = "bdl.yaml") -> Path:
    (tmp / "sources").mkdir(exist_ok=True)
    (tmp / "sources" / name).write_text(text, encoding="utf-8")
    return tmp


HEAD = """\
id: bdl
name: {en: BDL, pl: BDL}
organisation: GUS
base_url: https://bdl.stat.gov.pl/api/v1
licence: re-use
attribution: "Źródło: GUS, Bank Danych Lokalnych"
variables:
"""

ENTRY = """\
  - variable: {variable}
    bdl_variable_id: {id}
    level: gmina
    unit: osoba
    conversion: {conversion}
    concept: {concept}
    status: {status}
    evidence: {{tag: {tag}, citation: somewhere}}
"""


def test_every_problem_has_file_line_and_rule(tmp_path: Path):
    entries = [
        dict(variable="population", id=72305, conversion=1, concept="same", status="confirmed", tag="R"),
        dict(variable="nonexistent", id=1, conversion=1, concept="same", status="unverified", tag="E"),      # line 16
        dict(variable="population", id=72305, conversion=0, concept="proxy", status="confirmed", tag="E"),   # line 24
    ]
    root = _write(tmp_path, HEAD + "".join(ENTRY.format(**e) for e in entries))
    mappings, problems = load_source_mappings(root, REGISTRY)
    assert mappings == {}
    found = {(p.rule, p.line, p.field) for p in problems}
    assert found == {
        ("unknown_variable", 16, "variables.1.variable"),
        ("duplicate_variable", 24, "variables.2.variable"),
        ("duplicate_id", 25, "variables.2.bdl_variable_id"),
        ("conversion_not_positive", 28, "variables.2.conversion"),
        ("proxy_without_deviation", 29, "variables.2.concept"),
        ("confirmed_without_evidence", 30, "variables.2.status"),
    }
    assert all(p.file == f"{tmp_path.name}/sources/bdl.yaml" for p in problems)


def test_unknown_fields_and_a_misnamed_file_are_refused(tmp_path: Path):
    text = HEAD.replace("id: bdl", "id: gus") + ENTRY.format(variable="population", id=72305, conversion=1, concept="same",
                                                               status="confirmed", tag="R") + "    colour: red\n"
    _, problems = load_source_mappings(_write(tmp_path, text), REGISTRY)
    assert {(p.rule, p.line) for p in problems} == {("schema.extra_forbidden", 16)}
    _, problems = load_source_mappings(_write(tmp_path, text.replace("    colour: red\n", "")), REGISTRY)
    assert [(p.rule, p.line, p.value) for p in problems] == [("source_file_name_mismatch", 1, "gus")]


def test_no_sources_folder_means_no_mappings(tmp_path: Path):
    assert load_source_mappings(tmp_path, REGISTRY) == ({}, [])
