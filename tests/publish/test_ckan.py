"""What a CKAN portal keeps of ``dcat.ttl`` when it harvests it (ckanext-dcat, profile ``euro_dcat_ap_3``).

Two kinds of test check the same expectations:

- ``test_ckanext_dcat_*`` run ckanext-dcat's own RDF parser on our ``dcat.ttl``. CKAN is a whole
  web application and no dependency of this project, so they run only where ``ckanext.dcat`` is
  importable, and are skipped (with that reason) everywhere else, CI included. To run them::

      python3.11 -m venv /tmp/ckanvenv
      /tmp/ckanvenv/bin/pip install ckan ckanext-dcat
      # and CKAN's own pins: the "requirements" extra of ckan's metadata, with psycopg2-binary for psycopg2
      export PYTHONPATH=/tmp/ckanvenv/lib/python3.11/site-packages
      .venv/bin/python -m pytest -q -p no:ckan -p no:ckan_fixtures tests/publish/test_ckan.py

  (``-p no:ckan -p no:ckan_fixtures``: without CKAN's own pytest plugins, which need its test
  dependencies.)

- ``test_by_ckanext_dcat_rules_*`` check the graph with rdflib by the rules of ckanext-dcat 2.4.4
  as read in its code (``profiles/base.py``: ``_object_value``, ``_license``, ``_spatial``;
  ``profiles/euro_dcat_ap_base.py``: ``_parse_dataset_base``), re-stated below, against CKAN's
  default licence register (``ckan/model/license.py`` of CKAN 2.12) and the Open Definition's
  (``okfn/licenses``, which portals load with ``licenses_group_url``). They run everywhere; where
  CKAN is installed, ``test_ckanext_dcat_agrees_with_the_rules`` checks that the rules give what
  the real parser gives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, SKOS, Graph, Literal, Namespace, URIRef

from pipeline.catalogue.models import Text
from pipeline.problems import ProblemsFound
from pipeline.publish.config import Licence, LicenceType, Location, PublishConfig
from pipeline.publish.dcat import ckan_licence_title
from pipeline.publish.metadata import TITLE_NAMES, City, _title_and_description
from tests.publish.conftest import CONFIG, make_store, needs_shapes, run_publish, shapes_available
from tests.publish.validators import DCAT, dcat_problems

DCT = Namespace("http://purl.org/dc/terms/")
LOCN = Namespace("http://www.w3.org/ns/locn#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
EU = "http://publications.europa.eu/resource/authority/"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
GEONAMES = "https://sws.geonames.org/3094802/"
BBOX = "POLYGON((19.79 49.97, 20.22 49.97, 20.22 50.13, 19.79 50.13, 19.79 49.97))"
LANDING = "https://testville.example.org/open-data/iso37120"

HARVESTED = CONFIG.model_copy(update={
    "landing_page": LANDING,
    "release_date": date(2025, 3, 31),
    "first_issued": date(2023, 4, 28),
    "locations": {"0001": Location(uri=GEONAMES, centroid="POINT(19.94 50.06)", bbox=BBOX)},
})
"""A release some years after the first, with a landing page and the city's GeoNames IRI."""

# CKAN's default licence register (ckan/model/license.py, CKAN 2.12): id, url, title.
CKAN_DEFAULT_REGISTER = [
    ("notspecified", "", "License not specified"),
    ("odc-pddl", "http://www.opendefinition.org/licenses/odc-pddl", "Open Data Commons Public Domain Dedication and License (PDDL)"),
    ("odc-odbl", "http://www.opendefinition.org/licenses/odc-odbl", "Open Data Commons Open Database License (ODbL)"),
    ("odc-by", "http://www.opendefinition.org/licenses/odc-by", "Open Data Commons Attribution License"),
    ("cc-zero", "http://www.opendefinition.org/licenses/cc-zero", "Creative Commons CCZero"),
    ("cc-by", "http://www.opendefinition.org/licenses/cc-by", "Creative Commons Attribution"),
    ("cc-by-sa", "http://www.opendefinition.org/licenses/cc-by-sa", "Creative Commons Attribution Share-Alike"),
    ("gfdl", "http://www.opendefinition.org/licenses/gfdl", "GNU Free Documentation License"),
    ("other-open", "", "Other (Open)"),
    ("other-pd", "", "Other (Public Domain)"),
    ("other-at", "", "Other (Attribution)"),
    ("uk-ogl", "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/", "UK Open Government Licence (OGL)"),
    ("cc-nc", "http://creativecommons.org/licenses/by-nc/2.0/", "Creative Commons Non-Commercial (Any)"),
    ("other-nc", "", "Other (Non-Commercial)"),
    ("other-closed", "", "Other (Not Open)"),
]
# The Open Definition's entries (okfn/licenses, licenses/<id>.json) of the licences tested here.
OPEN_DEFINITION_REGISTER = [
    ("CC-BY-4.0", CC_BY, "Creative Commons Attribution 4.0"),
    ("CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0"),
]


@dataclass
class Harvest:
    out: Path
    graph: Graph


@pytest.fixture(scope="module")
def harvest(tmp_path_factory) -> Harvest:
    tmp = tmp_path_factory.mktemp("harvest")
    root, store = make_store(tmp)
    run_publish(store, root, tmp / "open-data", HARVESTED)
    out = tmp / "open-data"
    return Harvest(out, Graph().parse(out / "dcat.ttl", format="turtle"))


# --- ckanext-dcat's rules, as read in its code ------------------------------------------------------


def ckan_object_value(g: Graph, subject, predicate, lang: str = "en") -> str:
    """``RDFProfile._object_value``: the literal in the default language, else the first literal;
    for a node, its ``rdfs:label`` if it has one, else its IRI."""
    fallback = ""
    for o in g.objects(subject, predicate):
        if isinstance(o, Literal):
            if o.language == lang:
                return str(o)
            if fallback == "":
                fallback = str(o)
        elif (o, RDFS.label, None) in g:
            return str(next(g.objects(o, RDFS.label)))
        else:
            return str(o)
    return fallback


def ckan_license_id(g: Graph, dataset, register: list[tuple[str, str, str]]) -> str:
    """``RDFProfile._license``: the first ``dct:license`` of each distribution, by its IRI among the
    register's urls, then by its ``dct:title`` among the register's titles."""
    by_url = {url: i for i, url, _ in register}
    by_title = {title: i for i, _, title in register}
    for distribution in g.objects(dataset, DCAT.distribution):
        licence = next(g.objects(distribution, DCT.license), None)
        if licence is not None:
            found = by_url.get(str(licence)) or by_title.get(ckan_object_value(g, licence, DCT.title))
            if found:
                return found
    return ""


def ckan_spatial(g: Graph, dataset) -> dict[str, str | None]:
    """``RDFProfile._spatial``: the (last) IRI of ``dct:spatial``; of a ``dct:Location``, the
    (last) ``skos:prefLabel`` then ``rdfs:label`` as text, and whether it has a ``locn:geometry``."""
    uri = text = geometry = None
    for place in g.objects(dataset, DCT.spatial):
        if isinstance(place, URIRef):
            uri = str(place)
        if (place, RDF.type, DCT.Location) in g:
            geometry = geometry or (str(g.value(place, LOCN.geometry)) if g.value(place, LOCN.geometry) else None)
            for label in [*g.objects(place, SKOS.prefLabel), *g.objects(place, RDFS.label)]:
                text = str(label)
    return {"uri": uri, "text": text, "geometry": geometry}


def by_rules(g: Graph, register: list[tuple[str, str, str]] = CKAN_DEFAULT_REGISTER) -> dict:
    """What ckanext-dcat keeps of the dataset, by the rules above."""
    ds = next(g.subjects(RDF.type, DCAT.Dataset))
    spatial = ckan_spatial(g, ds)
    return {
        "title": ckan_object_value(g, ds, DCT.title), "notes": ckan_object_value(g, ds, DCT.description),
        "url": ckan_object_value(g, ds, DCAT.landingPage), "license_id": ckan_license_id(g, ds, register),
        "version": ckan_object_value(g, ds, DCAT.version),
        "issued": ckan_object_value(g, ds, DCT.issued), "modified": ckan_object_value(g, ds, DCT.modified),
        "spatial_uri": spatial["uri"], "spatial_text": spatial["text"],
        "resources": sorted((ckan_object_value(g, d, DCAT.downloadURL), ckan_object_value(g, d, DCT.license))
                            for d in g.objects(ds, DCAT.distribution)),
    }


def as_harvested_before(g: Graph) -> Graph:
    """The record as it was before: the EU licence IRI on each distribution, no landing page, the
    place's name only as ``locn:geographicName``."""
    old = Graph()
    for t in g:
        old.add(t)
    for d in set(old.subjects(RDF.type, DCAT.Distribution)):
        old.set((d, DCT.license, URIRef(EU + "licence/CC_BY_4_0")))
    old.remove((None, DCAT.landingPage, None))
    for place in set(old.subjects(RDF.type, DCT.Location)):
        old.remove((place, SKOS.prefLabel, None))
        old.remove((place, RDFS.label, None))
    return old


def test_by_ckanext_dcat_rules_the_portal_keeps_licence_landing_page_place_and_dates(harvest):
    kept = by_rules(harvest.graph)
    assert kept["title"] == "TEST:2014 city indicators: Testville"
    assert kept["notes"].startswith("Indicators of TEST:2014")
    assert kept["license_id"] == "cc-by"                                  # by title, CKAN's default register
    assert by_rules(harvest.graph, OPEN_DEFINITION_REGISTER)["license_id"] == "CC-BY-4.0"   # by url
    assert kept["url"] == LANDING
    assert (kept["spatial_uri"], kept["spatial_text"]) == (GEONAMES, "Testville")
    assert (kept["issued"], kept["modified"]) == ("2023-04-28", "2025-03-31")
    assert kept["version"] == "2025.3.31"
    assert len(kept["resources"]) == 8 and {lic for _, lic in kept["resources"]} == {CC_BY}
    assert {url.rsplit("/", 1)[-1] for url, _ in kept["resources"]} == {p.name for p in harvest.out.iterdir()} - {"dcat.jsonld", "dcat.ttl"}


def test_by_ckanext_dcat_rules_the_record_as_it_was_lost_licence_landing_page_and_place_name(harvest):
    """The rules have teeth: the record as it was gives no licence, no landing page, no place name."""
    kept = by_rules(as_harvested_before(harvest.graph))
    assert (kept["license_id"], kept["url"], kept["spatial_text"]) == ("", "", None)
    assert by_rules(as_harvested_before(harvest.graph), OPEN_DEFINITION_REGISTER)["license_id"] == ""


def test_the_distributions_licence_is_the_eu_vocabularys_too(harvest):
    """One ``dct:license`` per distribution (DCAT-AP's maximum), the licence text; it is
    ``owl:sameAs`` the EU vocabulary's licence, which keeps its concept, title and type."""
    g = harvest.graph
    licence = URIRef(CC_BY)
    for d in g.subjects(RDF.type, DCAT.Distribution):
        assert list(g.objects(d, DCT.license)) == [licence]
    assert g.value(licence, OWL.sameAs) == URIRef(EU + "licence/CC_BY_4_0")
    assert g.value(licence, DCT.type) == URIRef("http://purl.org/adms/licencetype/Attribution")
    assert g.value(licence, RDFS.label) is None      # CKAN would read a label in place of the IRI
    eu = URIRef(EU + "licence/CC_BY_4_0")
    assert g.value(eu, SKOS.inScheme) == URIRef(EU + "licence")
    assert str(g.value(eu, DCT.title)) == "Creative Commons Attribution 4.0 International"


def test_the_place_has_its_names_in_both_languages_and_its_geometry(harvest):
    g = harvest.graph
    place = URIRef(GEONAMES)
    assert {(str(n), n.language) for n in g.objects(place, SKOS.prefLabel)} == {("Testville", "en"), ("Testowo", "pl")}
    assert {(str(n), n.language) for n in g.objects(place, LOCN.geographicName)} == {("Testville", "en"), ("Testowo", "pl")}
    assert [str(n) for n in g.objects(place, RDFS.label)] == ["Testville"]
    assert str(g.value(place, LOCN.geometry)) == BBOX and str(g.value(place, DCAT.centroid)) == "POINT(19.94 50.06)"


def test_an_eu_place_iri_is_a_concept_of_its_scheme(tmp_path):
    root, store = make_store(tmp_path)
    place = EU + "place/POL_KRK"
    run_publish(store, root, tmp_path / "out", CONFIG.model_copy(update={"locations": {"0001": Location(uri=place)}}))
    g = Graph().parse(tmp_path / "out" / "dcat.ttl", format="turtle")
    assert g.value(URIRef(place), SKOS.inScheme) == URIRef(EU + "place")
    assert by_rules(g)["spatial_uri"] == place and g.value(URIRef(place), LOCN.geometry) is None
    if shapes_available():
        assert dcat_problems(tmp_path / "out") == []


@needs_shapes
def test_the_record_with_landing_page_place_and_dates_conforms_to_dcat_ap_shapes(harvest):
    assert dcat_problems(harvest.out) == []


def test_issued_is_the_first_release_and_modified_this_one(tmp_path, harvest):
    ds = next(harvest.graph.subjects(RDF.type, DCAT.Dataset))
    for node in [ds, *harvest.graph.objects(ds, DCAT.distribution)]:
        assert (str(harvest.graph.value(node, DCT.issued)), str(harvest.graph.value(node, DCT.modified))) == ("2023-04-28", "2025-03-31")
    root, store = make_store(tmp_path)
    with pytest.raises(ProblemsFound) as e:
        run_publish(store, root, tmp_path / "out", HARVESTED.model_copy(update={"first_issued": date(2025, 4, 1)}))
    assert [p.rule for p in e.value.problems] == ["first_issued_after_release"]


def test_the_landing_page_defaults_to_the_publishers_homepage(tmp_path):
    root, store = make_store(tmp_path)
    run_publish(store, root, tmp_path / "default", CONFIG)
    g = Graph().parse(tmp_path / "default" / "dcat.ttl", format="turtle")
    assert by_rules(g)["url"] == CONFIG.publisher.homepage
    assert g.value(URIRef(CONFIG.publisher.homepage), RDF.type) == URIRef("http://xmlns.com/foaf/0.1/Document")
    no_homepage = CONFIG.model_copy(update={"publisher": CONFIG.publisher.model_copy(update={"homepage": None})})
    run_publish(store, root, tmp_path / "none", no_homepage)
    g = Graph().parse(tmp_path / "none" / "dcat.ttl", format="turtle")
    assert g.value(next(g.subjects(RDF.type, DCAT.Dataset)), DCAT.landingPage) is None


def test_the_licence_title_is_ckans_for_the_licences_ckan_knows():
    assert ckan_licence_title(Licence()) == "Creative Commons Attribution"
    cc0 = Licence(uri=EU + "licence/CC0", id="CC0-1.0", title="Creative Commons Zero v1.0 Universal",
                  url="https://creativecommons.org/publicdomain/zero/1.0/", type=LicenceType.PublicDomain)
    assert ckan_licence_title(cc0) == "Creative Commons CCZero"
    assert ckan_licence_title(Licence(id="CC-BY-SA-4.0", title="CC BY-SA 4.0")) == "Creative Commons Attribution Share-Alike"
    assert ckan_licence_title(Licence(id="CC-BY-NC-4.0", title="CC BY-NC 4.0")) == "CC BY-NC 4.0"   # not CC BY
    assert ckan_licence_title(Licence(ckan_title="Other (Attribution)")) == "Other (Attribution)"
    titles = {title: i for i, _, title in CKAN_DEFAULT_REGISTER}
    assert titles[ckan_licence_title(Licence())] == "cc-by" and titles[ckan_licence_title(cc0)] == "cc-zero"


def _cities(n: int) -> tuple[City, ...]:
    return tuple(City(code=f"{i:04d}", name=Text(en=f"City {i}", pl=f"Miasto {i}"), country="PL", editions=("e",),
                      fictional=False, region=None, location=Location()) for i in range(1, n + 1))


def test_the_title_names_a_few_cities_and_counts_many():
    title, _ = _title_and_description(_cities(TITLE_NAMES), (), 2019, 2023, PublishConfig())
    assert title == Text(en="ISO 37120 city indicators: City 1, City 2, City 3",
                         pl="Wskaźniki miejskie ISO 37120: Miasto 1, Miasto 2, Miasto 3")
    title, description = _title_and_description(_cities(250), (), 2019, 2023, PublishConfig())
    assert title == Text(en="ISO 37120 city indicators of 250 cities, 2019–2023",
                         pl="Wskaźniki miejskie ISO 37120 dla 250 miast, 2019–2023")
    assert "City 250" in description.en                    # the description still names them all
    configured = Text(en="Cities of Lesser Poland", pl="Miasta Małopolski")
    assert _title_and_description(_cities(250), (), 2019, 2023, PublishConfig(title=configured))[0] == configured


# --- ckanext-dcat itself ---------------------------------------------------------------------------


def _parse_with_ckanext_dcat(ttl: bytes, licences: Path | None = None) -> dict:
    """The CKAN dataset dict that ckanext-dcat's RDFParser (default profile) makes of the record,
    with CKAN's default licence register or the one in ``licences`` (``licenses_group_url``)."""
    pytest.importorskip("ckanext.dcat.processors",
                        reason="ckan and ckanext-dcat are not installed (see this module's docstring)")
    from ckan.common import config
    from ckanext.dcat.processors import RDFParser

    if licences:
        config["licenses_group_url"] = f"file://{licences}"
    try:
        parser = RDFParser()
        parser.parse(ttl, _format="turtle")
        datasets = list(parser.datasets())
    finally:
        config.pop("licenses_group_url", None)
    assert len(datasets) == 1
    dataset = datasets[0]
    dataset["extras"] = {e["key"]: e["value"] for e in dataset["extras"]}
    return dataset


@pytest.mark.slow
def test_ckanext_dcat_keeps_title_notes_licence_landing_page_place_dates_and_resources(harvest, tmp_path):
    d = _parse_with_ckanext_dcat((harvest.out / "dcat.ttl").read_bytes())
    assert d["title"] == "TEST:2014 city indicators: Testville" and d["notes"].startswith("Indicators of TEST:2014")
    assert d["license_id"] == "cc-by"
    assert d["url"] == LANDING
    assert d["version"] == "2025.3.31"
    x = d["extras"]
    assert (x["issued"], x["modified"]) == ("2023-04-28", "2025-03-31")
    assert (x["spatial_uri"], x["spatial_text"]) == (GEONAMES, "Testville")
    assert json.loads(x["spatial"])["type"] == "Polygon" and json.loads(x["spatial_centroid"])["type"] == "Point"
    assert (x["publisher_name"], x["contact_email"]) == ("Testville City Office", "opendata@testville.example.org")
    assert (x["temporal_start"], x["temporal_end"]) == ("2022-01-01", "2023-12-31")
    package = json.loads((harvest.out / "datapackage.json").read_text(encoding="utf-8"))
    sizes = {r["path"]: r["bytes"] for r in package["resources"]}
    assert len(d["resources"]) == 8
    for r in d["resources"]:
        name = r["url"].rsplit("/", 1)[-1]
        assert r["license"] == CC_BY and r["format"] and r["hash"] and (r["issued"], r["modified"]) == ("2023-04-28", "2025-03-31")
        assert r["size"] == sizes.get(name, (harvest.out / name).stat().st_size)
    # A portal that loads the Open Definition's register maps the licence by its url.
    register = tmp_path / "licenses.json"
    register.write_text(json.dumps([{"id": i, "url": u, "title": t, "status": "active"} for i, u, t in OPEN_DEFINITION_REGISTER]),
                        encoding="utf-8")
    assert _parse_with_ckanext_dcat((harvest.out / "dcat.ttl").read_bytes(), register)["license_id"] == "CC-BY-4.0"


@pytest.mark.slow
def test_ckanext_dcat_agrees_with_the_rules(harvest):
    """The rules that the tests above run everywhere give what the real parser gives, for the
    record and for the record as it was."""
    for g in (harvest.graph, as_harvested_before(harvest.graph)):
        d = _parse_with_ckanext_dcat(g.serialize(format="turtle", encoding="utf-8"))
        rules = by_rules(g)
        assert {k: d.get(k, "") for k in ("title", "notes", "url", "license_id", "version")} == \
            {k: rules[k] for k in ("title", "notes", "url", "license_id", "version")}
        assert {k: d["extras"].get(k) for k in ("issued", "modified", "spatial_uri", "spatial_text")} == \
            {k: rules[k] for k in ("issued", "modified", "spatial_uri", "spatial_text")}
        assert sorted((r["url"], r.get("license")) for r in d["resources"]) == rules["resources"]
