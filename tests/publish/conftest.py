"""A tiny city built in code, ingested, calculated and published; and the real validators."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.calculate import calculate
from pipeline.catalogue import load_catalogue
from pipeline.ingest import ingest
from pipeline.publish import PublishConfig, PublishReport, publish
from pipeline.publish.config import ContactPoint, Publisher
from pipeline.publish.tidy import Table, in_pieces_all, view_tables, views
from pipeline.store import connect
from tests.conftest import write_catalogue, write_city

@contextmanager
def registered(con, catalogue) -> Iterator[dict[str, Table]]:
    """The tables of the bundle (in pieces), with the views they read registered on ``con`` while
    the block runs, as publish registers them."""
    with views(con, view_tables(con, catalogue)):
        yield in_pieces_all(con)


HOSTILE_NOTE = "=cmd|'/C calc'!A0"
"""A note a spreadsheet would run as a formula (the classic CSV-injection payload)."""

ROWS = [
    {"year": 2022, "variable": "population", "value": 1000000},
    {"year": 2023, "variable": "population", "value": 985000},
    {"year": 2022, "variable": "labour_force", "value": 690000},
    {"year": 2022, "variable": "unemployed", "status": "not_available", "note": HOSTILE_NOTE},
    {"year": 2023, "variable": "unemployed", "value": 9021, "status": "estimated", "note": "survey estimate"},
    {"year": 2023, "variable": "labour_force", "value": 700000},
    {"year": 2023, "variable": "firefighters", "value": 1567},
    {"year": 2023, "variable": "income_lcu", "value": 52345678},
    {"year": 2022, "variable": "life_expectancy", "status": "not_available", "note": "not published for 2022"},
    {"year": 2023, "variable": "life_expectancy", "value": "78.45"},
    {"year": 2023, "variable": "climate", "value": "@Dfb"},
]
"""Two years of one city: a population that falls (a negative change, -1.50 %), an input declared
not available with a hostile note, an estimate, a text fact that starts with ``@``."""

CONFIG = PublishConfig(
    publisher=Publisher(name="Testville City Office", homepage="https://testville.example.org/"),
    contact=ContactPoint(name="Open data team", email="opendata@testville.example.org"),
)

SHAPES = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "dcat-ap-3.0.1-shacl"
"""The official DCAT-AP 3.0.1 SHACL shapes, in the folder ``shared`` beside the project root."""


@dataclass
class Bundle:
    out: Path
    report: PublishReport
    store: Path
    catalogue_root: Path

    def text(self, name: str) -> str:
        return (self.out / name).read_text(encoding="utf-8")


def make_store(tmp: Path, rows: list[dict] = ROWS, city_yaml: str | None = None) -> tuple[Path, Path]:
    """Catalogue and store of a tiny city under ``tmp``; returns (catalogue folder, store file)."""
    root = write_catalogue(tmp)
    cat = load_catalogue(root)
    write_city(tmp / "raw", rows, city_yaml=city_yaml)
    ingest(tmp / "raw", cat, tmp / "store.duckdb")
    con = connect(tmp / "store.duckdb")
    try:
        calculate(con, cat)
    finally:
        con.close()
    return root, tmp / "store.duckdb"


def run_publish(store: Path, catalogue_root: Path, out: Path, config: PublishConfig = CONFIG) -> PublishReport:
    con = connect(store, read_only=True)
    try:
        return publish(con, load_catalogue(catalogue_root), out, config)
    finally:
        con.close()


@pytest.fixture
def bundle(tmp_path: Path) -> Bundle:
    root, store = make_store(tmp_path)
    report = run_publish(store, root, tmp_path / "open-data")
    return Bundle(tmp_path / "open-data", report, store, root)


def shapes_available() -> bool:
    return (SHAPES / "shapes.ttl").is_file()


needs_shapes = pytest.mark.skipif(not shapes_available(),
                                  reason=f"the DCAT-AP 3.0.1 SHACL shapes are not at {SHAPES.resolve()}")
