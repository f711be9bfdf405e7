"""The bundle of a tiny city passes the real validators: frictionless, the DCAT-AP 3.0.1 SHACL
shapes, the JSON-stat 2.0 schema; every size and checksum matches its file."""

from __future__ import annotations

import json

import pytest
from rdflib import RDF, Literal, Namespace, URIRef

from tests.publish.conftest import needs_shapes
from tests.publish.validators import (
    DCAT,
    checksum_mismatches,
    dcat_graph,
    dcat_problems,
    frictionless_errors,
    jsonstat_errors,
    shacl_results,
    tidy_csv_problems,
)

DCT = Namespace("http://purl.org/dc/terms/")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
EU = "http://publications.europa.eu/resource/authority/"


def test_data_package_passes_frictionless_validate(bundle):
    assert frictionless_errors(bundle.out) == []


def test_frictionless_catches_a_changed_file(bundle):
    """The check above has teeth: a byte changed in a CSV fails the hash and a broken key fails the integrity check."""
    path = bundle.out / "indicator_inputs.csv"
    path.write_bytes(path.read_bytes().replace(b"\r\n0001,test-ed:5.1,", b"\r\n0001,test-ed:9.9,", 1))
    errors = frictionless_errors(bundle.out)
    assert any("hash" in e for e in errors) and any("foreign-key" in e for e in errors)


def test_every_size_and_checksum_matches_its_file(bundle):
    assert checksum_mismatches(bundle.out) == []
    assert {f.path for f in bundle.report.files} == {p.name for p in bundle.out.iterdir()}


@needs_shapes
def test_dcat_record_conforms_to_dcat_ap_shapes(bundle):
    assert dcat_problems(bundle.out) == []


@needs_shapes
def test_turtle_record_is_the_same_graph(bundle):
    from rdflib import Graph
    from rdflib.compare import isomorphic

    assert isomorphic(dcat_graph(bundle.out), Graph().parse(bundle.out / "dcat.ttl", format="turtle"))


@needs_shapes
def test_shapes_catch_a_record_without_a_title(bundle):
    g = dcat_graph(bundle.out)
    dataset = next(g.subjects(RDF.type, DCAT.Dataset))
    g.remove((dataset, DCT.title, None))
    assert any(r[0] == "Violation" and r[2] == str(DCT.title) for r in shacl_results(g, "shapes.ttl"))


def test_dcat_record_says_what_portals_need(bundle):
    g = dcat_graph(bundle.out)
    ds = next(g.subjects(RDF.type, DCAT.Dataset))
    assert {t.language for t in g.objects(ds, DCT.title)} == {"en", "pl"}
    assert {t.language for t in g.objects(ds, DCT.description)} == {"en", "pl"}
    assert g.value(ds, DCAT.theme) == URIRef(EU + "data-theme/REGI")
    assert g.value(ds, DCT.accrualPeriodicity) == URIRef(EU + "frequency/ANNUAL")
    assert g.value(ds, DCAT.version) == Literal(bundle.report.version)
    assert {t.language for t in g.objects(ds, ADMS.versionNotes)} == {"en", "pl"}
    assert g.value(ds, DCT.conformsTo) is not None and g.value(ds, DCT.spatial) is not None
    assert g.value(ds, DCAT.landingPage) == URIRef("https://testville.example.org/")
    assert g.value(URIRef("https://creativecommons.org/licenses/by/4.0/"), OWL.sameAs) == URIRef(EU + "licence/CC_BY_4_0")
    period = g.value(ds, DCT.temporal)
    assert (str(g.value(period, DCAT.startDate)), str(g.value(period, DCAT.endDate))) == ("2022-01-01", "2023-12-31")
    assert str(g.value(ds, DCT.identifier)) == "iso37120-0001" == bundle.report.dataset_id
    distributions = list(g.objects(ds, DCAT.distribution))
    assert len(distributions) == 8
    for d in distributions:
        assert g.value(d, DCT.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
        assert str(g.value(d, DCAT.mediaType)).startswith("https://www.iana.org/assignments/media-types/")
        assert str(g.value(d, DCT["format"])).startswith(EU + "file-type/")
    # Every vocabulary IRI carries its type; every concept its label (so the shapes pass offline).
    for concept in g.subjects(RDF.type, SKOS.Concept):
        assert g.value(concept, SKOS.prefLabel) is not None
    for obj in set(g.objects()):
        if isinstance(obj, URIRef) and obj.startswith((EU, "https://www.iana.org/", "http://purl.org/adms/")):
            assert g.value(obj, RDF.type) is not None, obj


def test_json_stat_conforms_to_its_schema(bundle):
    assert jsonstat_errors(bundle.out) == []
    doc = json.loads(bundle.text("indicators.jsonstat.json"))
    assert doc["id"] == ["city", "indicator", "year"] and doc["size"] == [1, 6, 2]
    assert set(doc["status"]) <= {"reported", "not_available", "not_applicable"}


def test_json_stat_schema_has_teeth(bundle):
    doc = json.loads(bundle.text("indicators.jsonstat.json"))
    doc["value"][0] = {"not": "a value"}
    doc["dimension"]["year"]["category"]["colour"] = "blue"
    (bundle.out / "indicators.jsonstat.json").write_text(json.dumps(doc), encoding="utf-8")
    assert len(jsonstat_errors(bundle.out)) == 2


@pytest.mark.parametrize("name", ["indicators.csv", "sources.csv", "observations.csv", "indicator_inputs.csv"])
def test_csvs_are_tidy_rfc_4180(bundle, name):
    assert tidy_csv_problems(bundle.out, name) == []
