"""A tiny city built in code, with a previous release, an accepted exception, a revision, a value
that is not available, flags, and hostile text in a note and in a source name; ingested,
calculated and validated once per module (validation imports Great Expectations, which is slow)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.calculate import calculate
from pipeline.catalogue import Catalogue, load_catalogue
from pipeline.ingest import ingest
from pipeline.store import connect
from pipeline.validate import validate
from tests.conftest import write_catalogue, write_city

HOSTILE_NOTE = "<script>alert(1)</script> not published yet"
HOSTILE_ORG = "<b>markup</b> Fire Service"

CITY_YAML = """\
code: "0001"
name: {en: Testville, pl: Testowo}
country: PL
edition: test-ed
currency: PLN
fictional: true
region: Testland
publisher: Testville City Office
contact: {name: Jan Kowalski, email: jan.kowalski@example.org, organisation: Statistics unit}
"""

SOURCES = (
    "source_id,organisation,dataset,url,retrieved_on,licence,quality_class\n"
    "S1,Test office,Table 1,https://example.org/t1,2024-01-31,CC-BY-4.0,measured\n"
    f"S2,{HOSTILE_ORG},Roster 2,,2024-02-15,CC0-1.0,survey_extrapolation\n"
)

EXCEPTIONS = """\
exceptions:
  - rule_id: yoy_change_results_test-ed:5.2
    year: 2023
    accepted_by: Anna Nowak
    role: Head of the statistics unit
    accepted_on: 2024-03-12
    reason: A new fire station opened in 2023; checked with the fire service.
"""


def rows(previous: bool = False) -> list[dict]:
    out = []
    for year, pop, unemp, lf, fire, life, income in [
        (2021, 1000, 50, 500, 10, 78, 5000),
        (2022, 1005 if previous else 1010, 50 if previous else 52, 505, 12, 78.2, 5100),
        (2023, 1020, 53, 510, 30, None, 5200),
    ]:
        pop_row = {"year": year, "variable": "population", "value": pop}
        if year == 2022 and not previous:
            pop_row.update(status="revised", note="Census correction of the 2022 population")
        out += [pop_row,
                {"year": year, "variable": "unemployed", "value": unemp},
                {"year": year, "variable": "labour_force", "value": lf},
                {"year": year, "variable": "firefighters", "value": fire, "source_id": "S2"},
                {"year": year, "variable": "climate", "value": "Dfb"}]
        if life is None:
            out.append({"year": year, "variable": "life_expectancy", "status": "not_available", "note": HOSTILE_NOTE})
        else:
            out.append({"year": year, "variable": "life_expectancy", "value": life})
        income_row = {"year": year, "variable": "income_lcu", "value": income}
        if year == 2023:
            income_row.update(status="estimated", note="Estimate from tax data")
        out.append(income_row)
    return out


@dataclass
class City:
    root: Path
    catalogue: Catalogue
    store: Path


@pytest.fixture(scope="module")
def tiny_city(tmp_path_factory) -> City:
    root = tmp_path_factory.mktemp("dossier")
    catalogue = load_catalogue(write_catalogue(root))
    # the previous release
    write_city(root / "raw-previous", rows(previous=True), city_yaml=CITY_YAML, sources=SOURCES)
    ingest(root / "raw-previous", catalogue, root / "previous.duckdb")
    con = connect(root / "previous.duckdb")
    calculate(con, catalogue)
    con.close()
    # this build
    folder = write_city(root / "raw", rows(), city_yaml=CITY_YAML, sources=SOURCES)
    (folder / "exceptions.yaml").write_text(EXCEPTIONS, encoding="utf-8")
    ingest(root / "raw", catalogue, root / "store.duckdb")
    con = connect(root / "store.duckdb")
    calculate(con, catalogue)
    validate(con, catalogue, previous=root / "previous.duckdb")
    con.execute("CHECKPOINT")
    con.close()
    return City(root, catalogue, root / "store.duckdb")
