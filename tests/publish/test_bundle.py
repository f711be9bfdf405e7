"""The bundle as a whole: reproducible to the byte, one set of field definitions behind every
format, identity and publisher from configuration and city.yaml, the command and the build."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from rdflib import RDF, Literal, Namespace, URIRef
from typer.testing import CliRunner

from pipeline.cli import EXIT_BAD_INPUT, app
from pipeline.problems import ProblemsFound
from pipeline.publish import PublishConfig
from pipeline.publish.config import Licence, LicenceType, load_config
from pipeline.publish.fields import INDICATORS, JSONSTAT_DIMENSIONS, TABLES
from tests.conftest import CITY_YAML, ROOT, SAMPLE_RAW, write_city
from tests.publish.conftest import CONFIG, ROWS, make_store, needs_shapes, run_publish
from tests.publish.validators import (
    DCAT,
    checksum_mismatches,
    dcat_graph,
    dcat_problems,
    frictionless_errors,
    jsonstat_errors,
    tidy_csv_problems,
)

DCT = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
runner = CliRunner()


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- reproducible ---------------------------------------------------------------------------------


def test_two_builds_of_the_same_inputs_give_byte_identical_bundles(tmp_path, bundle):
    root, store = make_store(tmp_path / "again")
    run_publish(store, root, tmp_path / "again" / "open-data")
    assert files(tmp_path / "again" / "open-data") == files(bundle.out)


def test_another_process_with_another_hash_seed_gives_the_same_bytes(tmp_path, bundle):
    code = ("import sys; from pathlib import Path; from tests.publish.conftest import run_publish; "
            "run_publish(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))")
    subprocess.run([sys.executable, "-c", code, str(bundle.store), str(bundle.catalogue_root), str(tmp_path / "other")],
                   check=True, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "4242"})
    assert files(tmp_path / "other") == files(bundle.out)


def test_no_clock_time_the_release_date_comes_from_the_inputs_or_the_configuration(tmp_path, bundle):
    package = json.loads(bundle.text("datapackage.json"))
    assert package["created"] == "2024-01-31T00:00:00Z"    # the latest retrieved_on of the sources
    assert (bundle.report.release_date, bundle.report.release_date_derived, package["version"]) == (date(2024, 1, 31), True, "2024.1.31")
    report = run_publish(bundle.store, bundle.catalogue_root, tmp_path / "dated",
                         CONFIG.model_copy(update={"release_date": date(2025, 3, 31)}))
    package = json.loads((tmp_path / "dated" / "datapackage.json").read_text())
    assert (package["created"], package["version"], report.release_date_derived) == ("2025-03-31T00:00:00Z", "2025.3.31", False)
    g = dcat_graph(tmp_path / "dated")
    ds = next(g.subjects(RDF.type, DCAT.Dataset))
    assert (str(g.value(ds, DCT.issued)), str(g.value(ds, DCT.modified))) == ("2025-03-31", "2025-03-31")
    run_publish(bundle.store, bundle.catalogue_root, tmp_path / "later",
                CONFIG.model_copy(update={"release_date": date(2026, 3, 31), "first_issued": date(2025, 3, 31)}))
    g = dcat_graph(tmp_path / "later")
    ds = next(g.subjects(RDF.type, DCAT.Dataset))
    assert (str(g.value(ds, DCT.issued)), str(g.value(ds, DCT.modified))) == ("2025-03-31", "2026-03-31")


# --- one set of field definitions ----------------------------------------------------------------


def test_one_list_of_fields_drives_table_schema_csvw_parquet_and_json_stat(bundle):
    package = json.loads(bundle.text("datapackage.json"))
    csvw = json.loads(bundle.text("indicators.csv-metadata.json"))
    for spec, resource, table in zip(TABLES, package["resources"], csvw["tables"], strict=True):
        assert [f["name"] for f in resource["schema"]["fields"]] == spec.names == [c["name"] for c in table["tableSchema"]["columns"]]
        assert [f["description"] for f in resource["schema"]["fields"]] == [c["dc:description"] for c in table["tableSchema"]["columns"]]
        assert all(f["type"] and f["description"] for f in resource["schema"]["fields"])
        assert resource["schema"]["primaryKey"] == table["tableSchema"]["primaryKey"] == list(spec.primary_key)
        assert (bundle.out / spec.path).read_bytes().decode("utf-8").split("\r\n", 1)[0] == ",".join(spec.names)
    assert package["resources"][0]["schema"]["primaryKey"] == ["city_code", "indicator_uid", "year"]
    assert pq.read_schema(bundle.out / "indicators.parquet").names == INDICATORS.names
    doc = json.loads(bundle.text("indicators.jsonstat.json"))
    assert {d: doc["dimension"][d]["label"] for d in doc["id"]} == {d: f.title for d, f in JSONSTAT_DIMENSIONS.items()}


def test_parquet_holds_the_same_rows_typed(bundle):
    table = pq.read_table(bundle.out / "indicators.parquet").to_pylist()
    assert len(table) == bundle.report.rows
    change = next(r for r in table if r["indicator_id"] == "P14-P-09" and r["year"] == 2023)
    assert (change["value"], change["status"]) == (-1.5, "reported")
    climate = next(r for r in table if r["indicator_id"] == "P14-GAC-02" and r["year"] == 2023)
    assert climate["value_text"] == "@Dfb"     # the CSV's formula guard is for spreadsheets only


# --- identity, publisher, licence ------------------------------------------------------------------


def test_a_city_yaml_completes_and_overrides_the_configuration(tmp_path):
    city = CITY_YAML.format(code="1465011") + (
        "publisher: Urząd Miasta Testowo\nwebsite: https://testowo.example.pl/\n"
        "contact: {name: Biuro danych, email: dane@testowo.example.pl}\n")
    root, store = make_store(tmp_path, city_yaml=city)
    report = run_publish(store, root, tmp_path / "out", PublishConfig())   # nothing configured
    assert report.dataset_id == "iso37120-1465011"
    g = dcat_graph(tmp_path / "out")
    ds = next(g.subjects(RDF.type, DCAT.Dataset))
    publisher, contact = g.value(ds, DCT.publisher), g.value(ds, DCAT.contactPoint)
    assert g.value(publisher, FOAF.name) == Literal("Urząd Miasta Testowo")
    assert g.value(publisher, FOAF.homepage) == URIRef("https://testowo.example.pl/")
    assert g.value(contact, VCARD.hasEmail) == URIRef("mailto:dane@testowo.example.pl")


def test_without_a_publisher_nothing_is_written(tmp_path, bundle):
    with pytest.raises(ProblemsFound) as e:
        run_publish(bundle.store, bundle.catalogue_root, tmp_path / "none", PublishConfig())
    assert {p.rule for p in e.value.problems} == {"publisher_required", "contact_required"}
    assert not (tmp_path / "none").exists()


def test_several_cities_need_a_configured_stable_id(tmp_path):
    root, store = make_store(tmp_path)
    write_city(tmp_path / "raw", ROWS, code="0002", name="otherville")
    from pipeline.calculate import calculate
    from pipeline.catalogue import load_catalogue
    from pipeline.ingest import ingest
    from pipeline.store import connect

    cat = load_catalogue(root)
    ingest(tmp_path / "raw", cat, store)
    con = connect(store)
    calculate(con, cat)
    con.close()
    with pytest.raises(ProblemsFound) as e:
        run_publish(store, root, tmp_path / "out")
    assert [p.rule for p in e.value.problems] == ["dataset_id_required"]
    report = run_publish(store, root, tmp_path / "out", CONFIG.model_copy(update={"dataset_id": "iso37120-testland"}))
    assert report.cities == ["0001", "0002"] and report.rows == 24
    assert frictionless_errors(tmp_path / "out") == []
    assert json.loads((tmp_path / "out" / "indicators.jsonstat.json").read_text())["size"] == [2, 6, 2]


def test_the_dataset_id_is_a_ckan_slug_of_at_most_36_characters():
    assert PublishConfig(dataset_id="iso37120-" + "a" * 27).dataset_id
    for bad in ("ISO37120", "iso_37120", "-iso", "iso37120-" + "a" * 28, "iso 37120"):
        with pytest.raises(ValueError):
            PublishConfig(dataset_id=bad)


def test_the_licence_is_configurable_and_on_every_distribution(tmp_path, bundle):
    cc0 = Licence(uri="http://publications.europa.eu/resource/authority/licence/CC0", id="CC0-1.0",
                  title="Creative Commons Zero v1.0 Universal", url="https://creativecommons.org/publicdomain/zero/1.0/",
                  type=LicenceType.PublicDomain)
    run_publish(bundle.store, bundle.catalogue_root, tmp_path / "cc0", CONFIG.model_copy(update={"licence": cc0}))
    g = dcat_graph(tmp_path / "cc0")
    licences = {g.value(d, DCT.license) for d in g.subjects(RDF.type, DCAT.Distribution)}
    assert licences == {URIRef(cc0.url)}     # the licence text, the same as (owl:sameAs) the EU vocabulary's
    assert g.value(URIRef(cc0.url), OWL.sameAs) == URIRef(cc0.uri)
    assert g.value(URIRef(cc0.url), DCT.title) == Literal("Creative Commons CCZero", lang="en")   # CKAN's cc-zero
    assert g.value(URIRef(cc0.uri), DCT.title) == Literal(cc0.title, lang="en")
    assert json.loads((tmp_path / "cc0" / "datapackage.json").read_text())["licenses"][0]["name"] == "CC0-1.0"


def test_the_shipped_configuration_loads_and_matches_its_schema():
    import jsonschema
    from ruamel.yaml import YAML

    config = load_config(ROOT / "config" / "publish.yaml")
    assert config.licence.uri.endswith("/CC_BY_4_0") and config.publisher and config.contact
    assert config.release_date is None    # derived from the inputs unless set on release day
    schema = json.loads((ROOT / "schemas" / "publish-config.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(YAML(typ="safe", pure=True).load(ROOT / "config" / "publish.yaml"), schema)


def test_a_misspelt_configuration_field_is_a_problem_with_its_line(tmp_path):
    path = tmp_path / "publish.yaml"
    path.write_text("publisher: {name: X}\nlicense: {id: CC0-1.0}\n", encoding="utf-8")
    with pytest.raises(ProblemsFound) as e:
        load_config(path)
    assert [(p.rule, p.line) for p in e.value.problems] == [("schema.extra_forbidden", 2)]


# --- command and build -----------------------------------------------------------------------------


def test_publish_command(tmp_path, bundle):
    config = tmp_path / "publish.yaml"
    config.write_text("publisher: {name: Testville City Office}\ncontact: {name: Team, email: t@example.org}\n", encoding="utf-8")
    args = ["publish", "--store", bundle.store, "--out", tmp_path / "cli", "--catalogue", bundle.catalogue_root,
            "--config", config, "--release-date", "2025-01-15"]
    r = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "Dataset iso37120-0001 version 2025.1.15" in r.stdout
    assert json.loads((tmp_path / "cli" / "datapackage.json").read_text())["created"] == "2025-01-15T00:00:00Z"
    config.write_text("contact: {name: Team, email: t@example.org}\n", encoding="utf-8")
    r = runner.invoke(app, [str(a) for a in args[:-2]], catch_exceptions=False)
    assert r.exit_code == EXIT_BAD_INPUT and "publisher_required" in r.stderr and "Traceback" not in r.output


def test_the_build_releases_the_bundle(tmp_path, mini_catalogue):
    write_city(tmp_path / "raw", ROWS)
    config = tmp_path / "publish.yaml"
    config.write_text("publisher: {name: Testville City Office}\ncontact: {name: Team, email: t@example.org}\n", encoding="utf-8")
    r = runner.invoke(app, [str(a) for a in ("build", tmp_path / "raw", "--out", tmp_path / "out", "--reports", tmp_path / "reports",
                                             "--catalogue", mini_catalogue, "--config", config)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    report = json.loads((tmp_path / "out" / "publish-report.json").read_text())
    assert {f["path"] for f in report["files"]} == {p.name for p in (tmp_path / "out" / "open-data").iterdir()}
    assert checksum_mismatches(tmp_path / "out" / "open-data") == []


# --- the shipped sample city -----------------------------------------------------------------------


def _sample_cities() -> list[Path]:
    if not SAMPLE_RAW.is_dir():
        return []
    return [p for p in SAMPLE_RAW.iterdir() if (p / "city.yaml").is_file() or (p / "cities.yaml").is_file()]


@pytest.mark.slow
@needs_shapes
@pytest.mark.skipif(not _sample_cities(), reason="data/raw holds no city yet")
def test_the_sample_city_bundle_passes_every_validator(tmp_path, catalogue):
    from pipeline.calculate import calculate
    from pipeline.ingest import ingest
    from pipeline.publish import publish
    from pipeline.store import connect

    ingest(SAMPLE_RAW, catalogue, tmp_path / "store.duckdb")
    con = connect(tmp_path / "store.duckdb")
    try:
        calculate(con, catalogue)
        publish(con, catalogue, tmp_path / "open-data", load_config(ROOT / "config" / "publish.yaml"))
    finally:
        con.close()
    out = tmp_path / "open-data"
    assert frictionless_errors(out) == []
    assert dcat_problems(out) == []
    assert jsonstat_errors(out) == []
    assert checksum_mismatches(out) == []
    for spec in TABLES:
        assert tidy_csv_problems(out, spec.path) == [], spec.path


def test_one_list_of_writers_writes_every_file_of_the_bundle_in_order(bundle):
    from pipeline.publish.files import DCAT_JSONLD, DISTRIBUTIONS, MEDIA_TYPES
    from pipeline.publish.writers import WRITERS

    names = [name for name, _ in WRITERS]
    assert sorted(names) == sorted(MEDIA_TYPES) and len(set(names)) == len(names)
    # the record describes files written before it
    assert all(names.index(d.filename) < names.index(DCAT_JSONLD) for d in DISTRIBUTIONS)
    assert [f.path for f in bundle.report.files] == names


def test_files_written_side_by_side_are_those_written_one_at_a_time(tmp_path, bundle, monkeypatch):
    import pipeline.publish as publish_module

    monkeypatch.setattr(publish_module, "WRITER_THREADS", 1)
    run_publish(bundle.store, bundle.catalogue_root, tmp_path / "one-at-a-time")
    assert files(tmp_path / "one-at-a-time") == files(bundle.out)


def test_a_writer_failing_on_its_thread_stops_publish_and_leaves_nothing(tmp_path, bundle, monkeypatch):
    import pipeline.publish as publish_module
    from pipeline.publish.files import PARQUET

    def broken(b, sink):
        sink.write(b"PAR1 half a file")
        raise OSError("No space left on device")

    monkeypatch.setattr(publish_module, "WRITERS", [(name, broken if name == PARQUET else write)
                                                    for name, write in publish_module.WRITERS])
    out = tmp_path / "first"
    with pytest.raises(OSError, match="No space left"):
        run_publish(bundle.store, bundle.catalogue_root, out)
    assert not out.exists()  # the folder it created is gone with every half-written file
    before = files(bundle.out)
    with pytest.raises(OSError, match="No space left"):
        run_publish(bundle.store, bundle.catalogue_root, bundle.out)
    assert files(bundle.out) == before  # an earlier bundle is untouched
