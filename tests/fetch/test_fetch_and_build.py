"""The sample city with its statistics-office inputs from a BDL snapshot, through the real CLI:
``iso37120 fetch bdl`` (against the fake API) writes the snapshot, ``iso37120 build`` reads it offline,
and ``explain`` and the dossier trace the values to the response file."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pipeline.fetch
from pipeline.catalogue import load_catalogue
from pipeline.cli import app
from tests.conftest import ROOT
from tests.fetch.fakebdl import FakeBdl

SAMPLE = ROOT / "data" / "raw" / "zielonogrod"
UNIT = {"id": "049910101011", "name": "Zielonogród (fictional)", "parentId": "049910101000", "level": 6, "kind": "1"}
"""A constructed BDL unit for the fictional sample city (TERYT-shaped code 9901011: voivodeship 99 does not exist)."""
VOIVODESHIP = {"id": "049900000000", "name": "FICTIONAL", "parentId": "040000000000", "level": 2}
MOVED = ("population", "male_population", "female_population", "dwellings")
"""Gmina-level variables of the mapping whose sample values move from the city's statistics-office
file (``gus-bank-danych-lokalnych.csv``: semicolons, capitalised header, ``97 781``) into the snapshot."""


@pytest.fixture(scope="module")
def fetched(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bdl-build")
    city = tmp / "raw" / "zielonogrod"
    shutil.copytree(SAMPLE, city)
    mapping = load_catalogue(ROOT / "indicators").sources["bdl"]
    ids = {v.variable: v.bdl_variable_id for v in mapping.variables}
    series: dict[int, list] = {}
    path = city / "observations" / "gus-bank-danych-lokalnych.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    moved = [r for r in rows if r["Variable"] in MOVED]
    for r in moved:
        value = r["Value"].replace(" ", "").replace(",", ".")
        series.setdefault(ids[r["Variable"]], []).append((r["Year"], float(value) if "." in value else int(value), 1))
    buf = io.StringIO()
    w = csv.DictWriter(buf, list(rows[0]), delimiter=";", lineterminator="\n")
    w.writeheader()
    w.writerows(r for r in rows if r not in moved)
    path.write_text(buf.getvalue(), encoding="utf-8")
    assert set(series) == {ids[v] for v in MOVED}
    years = sorted({int(y) for s in series.values() for y, _, _ in s})
    fake = FakeBdl(data={UNIT["id"]: series})
    fake.units += [UNIT, VOIVODESHIP]
    return tmp, city, fake, years


def test_fetch_writes_a_snapshot_and_the_build_reads_it_offline(fetched, monkeypatch):
    tmp, city, fake, years = fetched
    monkeypatch.setattr(pipeline.fetch, "BdlClient", lambda **kw: fake.client())
    args = ["fetch", "bdl", "--unit", "9901011", "--years", f"{years[0]}-{years[-1]}", "--raw", str(city),
            *[a for v in MOVED for a in ("--variable", v)], "--folder-name", "bdl-2026-11-30"]
    got = CliRunner().invoke(app, args, catch_exceptions=False)
    assert got.exit_code == 0, got.output
    snapshot = city / "snapshots" / "bdl-2026-11-30"
    assert (snapshot / "snapshot.yaml").is_file() and list(snapshot.glob("data-by-unit-049910101011-p0-*.json"))
    again = CliRunner().invoke(app, args, catch_exceptions=False)
    assert again.exit_code == 2 and "never overwritten" in again.stderr and "Traceback" not in again.output

    monkeypatch.setattr(pipeline.fetch, "BdlClient", None)  # the build must not need the network
    out = ["--out", str(tmp / "out"), "--reports", str(tmp / "reports"), "--store", str(tmp / "store.duckdb"), "--no-pdf"]
    built = CliRunner().invoke(app, ["build", str(tmp / "raw"), *out], catch_exceptions=False)
    assert built.exit_code == 0, built.output
    manifest = json.loads((tmp / "out" / "manifest.json").read_text())
    snap_inputs = [i for i in manifest["inputs"] if i["role"] == "snapshot"]
    assert {Path(i["file_id"]).name for i in snap_inputs} >= {"snapshot.yaml", "attributes-p0.json"}

    year = years[-1]
    explained = CliRunner().invoke(app, ["explain", "10.1", "--city", "9901011", "--year", str(year), "--format", "json",
                                         "--store", str(tmp / "store.duckdb")], catch_exceptions=False)
    assert explained.exit_code == 0, explained.output
    lineage = json.loads(explained.stdout)
    text = json.dumps(lineage, ensure_ascii=False)
    assert "snapshots/bdl-2026-11-30/data-by-unit-049910101011-p0-1.json" in text
    assert "BDL var 72305" in text and "Główny Urząd Statystyczny" in text
    dossier = (tmp / "out" / "dossier" / "dossier-9901011-en.html").read_text(encoding="utf-8")
    assert "data-by-unit-049910101011-p0-1.json" in dossier


def test_a_damaged_snapshot_is_refused_naming_the_file(fetched, tmp_path):
    tmp, city, fake, years = fetched
    copy = tmp_path / "raw"
    shutil.copytree(tmp / "raw", copy)
    [data] = sorted((copy / "zielonogrod" / "snapshots").glob("*/data-by-unit-*-p0-1.json"))
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    out = ["--out", str(tmp_path / "out"), "--reports", str(tmp_path / "reports"), "--store", str(tmp_path / "s.duckdb"), "--no-pdf"]
    got = CliRunner().invoke(app, ["build", str(copy), *out], catch_exceptions=False)
    assert got.exit_code == 2 and "Traceback" not in got.output
    assert "snapshot_changed" in got.stderr and data.name in got.stderr


def test_check_mapping_and_a_network_failure_through_the_cli(monkeypatch, tmp_path):
    """--check-mapping reports every unverified entry of the shipped mapping and writes nothing; an
    API that fails gives a message naming the URL and exit 2, never a traceback."""
    fake = FakeBdl(variables={60811: {"id": 60811, "subjectId": "P2430", "n1": "ogółem", "level": 6, "measureUnitName": "mieszk."}})
    monkeypatch.setattr(pipeline.fetch, "BdlClient", lambda **kw: fake.client())
    checked = CliRunner().invoke(app, ["fetch", "bdl", "--check-mapping", "--raw", str(tmp_path)], catch_exceptions=False)
    assert checked.exit_code == 0, checked.output
    unverified = [v for v in load_catalogue(ROOT / "indicators").sources["bdl"].variables if v.status.value == "unverified"]
    assert f"of {len(unverified)} entries match the API" in checked.stdout
    assert "dwellings ← BDL var 60811 (unverified)" in checked.stdout
    assert list(tmp_path.iterdir()) == []

    import httpx

    fake.queue("/units/search", *[httpx.Response(500, json={"errorResult": "boom"})] * 5)
    failed = CliRunner().invoke(app, ["fetch", "bdl", "--unit", "2261011", "--name", "Gdańsk", "--years", "2022",
                                      "--raw", str(tmp_path / "gdansk")], catch_exceptions=False)
    assert failed.exit_code == 2 and "Traceback" not in failed.output
    assert "/units/search" in failed.stderr and "500" in failed.stderr
    assert not (tmp_path / "gdansk" / "snapshots").exists()
