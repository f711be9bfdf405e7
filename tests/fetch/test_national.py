"""``iso37120 fetch bdl --all-gminas``: one snapshot of every gmina from ``/data/by-variable``, the
folder's ``cities.yaml``, and the national build from it offline (the fake API of fakebdl.py:
constructed gminas across several pages; invented values)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

import pipeline.fetch
from pipeline.catalogue import load_catalogue
from pipeline.catalogue.models import Tier
from pipeline.catalogue.sources import Snapshot, SnapshotUnit
from pipeline.cli import app
from pipeline.fetch.bdl import SOURCES_HEADER, BdlError, city_records, write_city_files
from pipeline.ingest.models import SOURCE_COLUMNS, Cities
from tests.conftest import ROOT
from tests.fetch.fakebdl import GDANSK, URBAN_RURAL, make_national, national_fake

SAFE = YAML(typ="safe", pure=True)


def _meta(folder: Path) -> Snapshot:
    return Snapshot.model_validate(SAFE.load((folder / "snapshot.yaml").read_text(encoding="utf-8")))


# --- the snapshot ----------------------------------------------------------------------------------


def test_every_gmina_comes_from_paged_by_variable_lists(tmp_path: Path):
    fake = national_fake(page_size=4)
    got = make_national(tmp_path, fake)
    assert got.folder == tmp_path / "raw" / "poland" / "snapshots" / "bdl-2025-01-31"
    assert len(got.gminas) == 11 and got.parts == 2  # the urban-rural gmina's town and rural area are no cities
    assert URBAN_RURAL[0]["id"] in {g.id for g in got.gminas}
    assert got.regions == {"22": "pomorskie", "12": "małopolskie"} and got.powiat_variables == ("youth_unemployed_persons",)

    data = [r for r in fake.requests if "/data/" in r.url.path]
    assert {r.url.path for r in data} == {"/api/v1/data/by-variable/72305", "/api/v1/data/by-variable/8813"}
    population = [r for r in data if r.url.path.endswith("72305")]
    assert [r.url.params.get("page") for r in population] == ["0", "1", "2", "3"]  # 13 units of level 6, 4 a page
    assert all(r.url.params.get("unit-level") == "6" and r.url.params.get_list("year") == ["2022", "2023"] for r in population)
    assert all(r.url.params.get("unit-level") == "5" for r in data if r.url.path.endswith("8813"))
    assert not any("/data/by-unit/" in r.url.path for r in fake.requests)

    meta = _meta(got.folder)
    assert (meta.snapshot_version, meta.scope, meta.unit, meta.parent) == (2, "all-gminas", None, None)
    assert [m.variable for m in meta.mappings] == ["population", "youth_unemployed_persons"]
    by_variable = [r for r in meta.requests if r.kind == "data-by-variable"]
    assert [(r.file, r.variable_id, r.page) for r in by_variable][:2] == [
        ("data-by-variable-72305-p0.json", 72305, 0), ("data-by-variable-72305-p1.json", 72305, 1)]
    assert {r.file for r in meta.requests if r.kind == "units"} == {
        "units-level2-p0.json", *(f"units-level6-p{n}.json" for n in range(4))}
    for r in meta.requests:
        body = (got.folder / r.file).read_bytes()
        assert hashlib.sha256(body).hexdigest() == r.sha256 and len(body) == r.bytes
    assert len(meta.requests) == got.requests == len(fake.requests)
    text = (got.folder / "snapshot.yaml").read_text(encoding="utf-8")
    assert "`iso37120 fetch bdl --all-gminas`" in text and "scope: all-gminas" in text


def test_parent_limits_the_gminas_and_a_powiat_variable_is_asked_of_the_powiat_s_parent(tmp_path: Path):
    fake = national_fake()
    got = make_national(tmp_path, fake, parent="011212001000")  # powiat bocheński, recorded
    assert sorted(g.name for g in got.gminas) == ["Bochnia", "Bochnia", "Drwinia", "Lipnica Murowana"]
    asked = {r.url.path.rsplit("/", 1)[-1]: r.url.params for r in fake.requests if "/data/" in r.url.path}
    assert asked["72305"].get("unit-parent-id") == "011212001000"
    assert asked["8813"].get("unit-parent-id") == "011212000000"  # a powiat is not below itself
    meta = _meta(got.folder)
    assert meta.parent is not None and (meta.parent.id, meta.parent.level) == ("011212001000", 5)
    assert meta.requests[0].file == "units-parent.json" and meta.requests[0].path == "/units/011212001000"


def test_a_parent_that_is_a_gmina_or_no_id_is_refused_before_anything_is_written(tmp_path: Path):
    with pytest.raises(BdlError, match=r"--parent 042214361011 is Gdańsk \(level 6\); give a unit above the gminas"):
        make_national(tmp_path, parent=GDANSK["id"])
    with pytest.raises(BdlError, match="give a 12-digit BDL unit id"):
        make_national(tmp_path, parent="pomorskie")
    assert not (tmp_path / "raw" / "poland").exists()


def test_the_folder_of_one_city_is_refused(tmp_path: Path):
    city = tmp_path / "raw" / "poland"
    city.mkdir(parents=True)
    (city / "city.yaml").write_text("code: '2261011'\n", encoding="utf-8")
    fake = national_fake()
    with pytest.raises(BdlError, match=r"is the folder of one city \(city.yaml\); --all-gminas fills a folder of many cities"):
        make_national(tmp_path, fake)
    assert fake.requests == []


def test_a_truncated_by_variable_page_stops_the_fetch(tmp_path: Path):
    fake = national_fake()
    fake.truncate.add("/data/by-variable/72305")
    with pytest.raises(BdlError, match=r"the response to https://bdl.stat.gov.pl/api/v1/data/by-variable/72305\?unit-level=6.* is not JSON"):
        make_national(tmp_path, fake)
    assert not (tmp_path / "raw" / "poland" / "snapshots").exists() or not any((tmp_path / "raw" / "poland" / "snapshots").iterdir())


# --- cities.yaml and sources.csv ----------------------------------------------------------------------


def test_cities_yaml_has_one_city_per_gmina_and_is_never_overwritten(tmp_path: Path):
    got = make_national(tmp_path)
    folder = tmp_path / "raw" / "poland"
    files = write_city_files(folder, got.gminas, got.regions, got.folder.name)
    assert files.written == (folder / "cities.yaml", folder / "sources.csv") and files.kept == () and files.not_declared == ()
    cities = Cities.model_validate(SAFE.load((folder / "cities.yaml").read_text(encoding="utf-8"))).cities
    assert [c.code for c in cities] == sorted(c.code for c in cities) and len(cities) == 11
    gdansk = next(c for c in cities if c.code == "2261011")
    assert (gdansk.name.en, gdansk.name.pl, gdansk.country, gdansk.currency, gdansk.region) == (
        "Gdańsk", "Gdańsk", "PL", "PLN", "pomorskie")
    assert gdansk.description.en == "Urban gmina, a city with powiat rights (BDL unit 042214361011)"
    assert gdansk.description.pl == "Gmina miejska, miasto na prawach powiatu (jednostka BDL 042214361011)"
    bochnia = [c for c in cities if c.name.pl == "Bochnia"]  # two gminas of one name: the type tells them apart
    assert [c.description.pl.split(" (")[0] for c in bochnia] == ["Gmina miejska", "Gmina wiejska"]
    assert next(c for c in cities if c.code == "2214033").description.en.startswith("Urban-rural gmina")
    assert (folder / "sources.csv").read_text(encoding="utf-8") == SOURCES_HEADER == ",".join(SOURCE_COLUMNS) + "\n"

    (folder / "cities.yaml").write_text("cities:\n- code: '2261011'\n", encoding="utf-8")  # edited by hand
    again = write_city_files(folder, got.gminas, got.regions, got.folder.name)
    assert again.written == () and again.kept == (folder / "cities.yaml", folder / "sources.csv")
    assert len(again.not_declared) == 10 and "2261011" not in again.not_declared
    assert (folder / "cities.yaml").read_text(encoding="utf-8") == "cities:\n- code: '2261011'\n"


def test_a_region_not_known_is_left_out():
    [record] = city_records([SnapshotUnit(id="049910101011", name="Zielonogród", level=6, kind="1")], {"22": "pomorskie"})
    assert "region" not in record and record["code"] == "9901011"


# --- the command line and the national build --------------------------------------------------------


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """``iso37120 fetch bdl --all-gminas`` into a new folder, through the CLI against the fake API."""
    tmp = tmp_path_factory.mktemp("national")
    raw = tmp / "raw" / "poland"
    fake = national_fake(page_size=4)
    mp = pytest.MonkeyPatch()
    mp.setattr(pipeline.fetch, "BdlClient", lambda **kw: fake.client())
    args = ["fetch", "bdl", "--all-gminas", "--years", "2022-2023", "--raw", str(raw), "--variable", "population",
            "--variable", "youth_unemployed_persons", "--folder-name", "bdl-2026-11-30"]
    got = CliRunner().invoke(app, args, catch_exceptions=False)
    mp.undo()
    return tmp, raw, got


def test_the_cli_writes_the_snapshot_and_the_city_files(national):
    tmp, raw, got = national
    assert got.exit_code == 0, got.output
    assert (raw / "snapshots" / "bdl-2026-11-30" / "snapshot.yaml").is_file()
    assert (raw / "cities.yaml").is_file() and (raw / "sources.csv").is_file()
    assert "Snapshot of 11 gminas written to" in got.stdout and "2 parts of gminas" in got.stdout
    assert "Wrote " in got.stdout and "(11 cities, one per gmina)" in got.stdout
    assert "youth_unemployed_persons" in got.stderr and "2 cities with powiat rights" in got.stderr
    assert "dataset_id" in got.stdout


def test_the_cli_refuses_unit_with_all_gminas_and_parent_alone():
    both = CliRunner().invoke(app, ["fetch", "bdl", "--all-gminas", "--unit", "2261011", "--years", "2023"])
    assert both.exit_code == 2 and "either --unit" in both.output
    alone = CliRunner().invoke(app, ["fetch", "bdl", "--parent", "042200000000", "--years", "2023"])
    assert alone.exit_code == 2 and "--parent goes with --all-gminas" in alone.output


def _accept_missing_core(raw: Path) -> None:
    """exceptions.yaml: a named person accepts the missing core indicators (BDL alone feeds few)."""
    core = sorted(i.uid for i in load_catalogue(ROOT / "indicators").indicators.values() if i.tier is Tier.core)
    doc = {"exceptions": [{"rule_id": f"reason_for_missing_results_{uid}", "accepted_by": "Anna Nowak", "role": "statistician",
                           "accepted_on": "2026-12-01", "reason": "national build from BDL alone; other inputs follow"}
                          for uid in core]}
    with open(raw / "exceptions.yaml", "w", encoding="utf-8") as f:
        SAFE.dump(doc, f)


def test_the_national_build_runs_offline_from_the_snapshot(national, monkeypatch):
    tmp, raw, _ = national
    _accept_missing_core(raw)
    config = tmp / "publish.yaml"
    config.write_text((ROOT / "config" / "publish.yaml").read_text(encoding="utf-8").replace(
        "# dataset_id: iso37120-malopolska", "dataset_id: iso37120-gminy"), encoding="utf-8")
    monkeypatch.setattr(pipeline.fetch, "BdlClient", None)  # the build must not need the network
    store = tmp / "store.duckdb"
    out = ["--out", str(tmp / "out"), "--reports", str(tmp / "reports"), "--store", str(store), "--no-pdf", "--lang", "en",
           "--config", str(config)]
    built = CliRunner().invoke(app, ["build", str(raw), *out], catch_exceptions=False)
    assert built.exit_code == 0, built.output
    assert "Built 11 cities" in built.stdout and "dataset iso37120-gminy" in built.stdout
    assert "s  dossier: 11 of 11 cities" in built.stderr  # off a terminal: the cities of the long stage
    manifest = json.loads((tmp / "out" / "manifest.json").read_text())
    assert {Path(i["file_id"]).name for i in manifest["inputs"] if i["role"] == "snapshot"} >= {
        "snapshot.yaml", "data-by-variable-72305-p0.json", "units-level6-p0.json"}

    con = duckdb.connect(str(store), read_only=True)
    assert con.execute("SELECT count(*) FROM cities").fetchone()[0] == 11
    per_city = con.execute("""SELECT city_code, count(*) FILTER (WHERE variable = 'population'),
                                     count(*) FILTER (WHERE variable = 'youth_unemployed_persons')
                              FROM observations GROUP BY city_code ORDER BY city_code""").fetchall()
    assert len(per_city) == 11 and all(n == 2 for _, n, _ in per_city)
    assert {c for c, _, youth in per_city if youth} == {"2261011"}  # the county's value only for the city with powiat rights
    assert con.execute("SELECT dataset FROM sources").fetchall() == [
        ("Bank Danych Lokalnych, zmienne 8813, 72305; wszystkie gminy (11)",)]
    con.close()

    explained = CliRunner().invoke(app, ["explain", "10.1", "--city", "2213011", "--year", "2023", "--format", "json",
                                         "--store", str(store)], catch_exceptions=False)
    assert explained.exit_code == 0, explained.output  # 10.1 per 100 000 population: its population input
    text = json.dumps(json.loads(explained.stdout), ensure_ascii=False)
    assert "snapshots/bdl-2026-11-30/data-by-variable-72305-p0.json" in text and "BDL var 72305" in text


def test_a_damaged_by_variable_response_is_refused_naming_the_file(national, tmp_path):
    tmp, raw, _ = national
    copy = tmp_path / "poland"
    shutil.copytree(raw, copy)
    data = copy / "snapshots" / "bdl-2026-11-30" / "data-by-variable-72305-p1.json"
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    config = tmp_path / "publish.yaml"  # a build of many cities names its dataset (checked before any stage)
    config.write_text((ROOT / "config" / "publish.yaml").read_text(encoding="utf-8").replace(
        "# dataset_id: iso37120-malopolska", "dataset_id: iso37120-gminy"), encoding="utf-8")
    out = ["--out", str(tmp_path / "out"), "--reports", str(tmp_path / "reports"), "--store", str(tmp_path / "s.duckdb"), "--no-pdf",
           "--config", str(config)]
    got = CliRunner().invoke(app, ["build", str(copy), *out], catch_exceptions=False)
    assert got.exit_code == 2 and "Traceback" not in got.output
    assert "snapshot_changed" in got.stderr and "data-by-variable-72305-p1.json" in got.stderr
