"""Shared fixtures: small catalogues and cities built in code, and the real catalogue."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "indicators"
SAMPLE_RAW = ROOT / "data" / "raw"

MINI_EDITION = """\
id: test-ed
standard: TEST
year: 2014
title: {en: Test edition, pl: Edycja testowa}
themes:
  - {number: 5, id: economy, name: {en: Economy, pl: Ekonomia}}
  - {number: 6, id: education, name: {en: Education, pl: Edukacja}}
profile_categories:
  - {id: people, code: P, name: {en: People, pl: Ludność}}
  - {id: geography-and-climate, code: GAC, name: {en: Geography and climate, pl: Geografia i klimat}}
certification_levels:
  - {id: bronze, name: {en: Bronze, pl: Brązowy}, min_total: 2, min_core: 1}
"""

MINI_VARIABLES = """\
variables:
  - id: population
    name: {en: Population, pl: Ludność}
    unit: persons
    kind: count
    integer: true
    provider: stats
    description: {en: Residents, pl: Mieszkańcy}
  - id: unemployed
    name: {en: Unemployed, pl: Bezrobotni}
    unit: persons
    kind: count
    integer: true
    provider: stats
    not_above: labour_force
    description: {en: Unemployed residents, pl: Bezrobotni mieszkańcy}
  - id: labour_force
    name: {en: Labour force, pl: Siła robocza}
    unit: persons
    kind: count
    integer: true
    provider: stats
    not_above: population
    description: {en: Active residents, pl: Aktywni mieszkańcy}
  - id: firefighters
    name: {en: Firefighters, pl: Strażacy}
    unit: persons
    kind: count
    integer: true
    provider: stats
    description: {en: Full-time firefighters, pl: Strażacy zawodowi}
  - id: life_expectancy
    name: {en: Life expectancy, pl: Dalsze trwanie życia}
    unit: years
    kind: quantity
    provider: stats
    description: {en: At birth, pl: Noworodka}
  - id: income_lcu
    name: {en: Income, pl: Dochód}
    unit: LCU
    kind: money
    provider: stats
    description: {en: Household income, pl: Dochód gospodarstwa}
  - id: employed
    name: {en: Employed, pl: Pracujący}
    unit: persons
    kind: count
    integer: true
    provider: stats
    not_above: labour_force
    description: {en: Employed residents, pl: Pracujący mieszkańcy}
  - id: green_share
    name: {en: Green share, pl: Udział zieleni}
    unit: "%"
    kind: share
    provider: stats
    description: {en: Share of green area, pl: Udział terenów zielonych}
  - id: climate
    name: {en: Climate type, pl: Typ klimatu}
    unit: text
    kind: text
    provider: stats
    description: {en: Koeppen class, pl: Klasa Koeppena}
"""

MINI_PROVIDERS = """\
providers:
  - {id: stats, name: {en: Statistics office, pl: Urząd statystyczny}}
"""

INDICATORS = {
    "5.1": """\
id: "5.1"
edition: test-ed
theme: 5
tier: core
name: {en: Unemployment rate, pl: Stopa bezrobocia}
unit: {en: "%", pl: "%"}
definition: {en: Unemployed per labour force., pl: Bezrobotni na siłę roboczą.}
calculation:
  kind: ratio
  numerator: unemployed
  denominator: labour_force
  multiplier: 100
decimals: 2
checks:
  - {kind: range, min: 0, max: 100}
  - {kind: share_bounds}
""",
    "5.2": """\
id: "5.2"
edition: test-ed
theme: 5
tier: supporting
name: {en: Firefighters per 100 000 population, pl: Strażacy na 100 000 mieszkańców}
unit: {en: per 100 000 population, pl: na 100 000 mieszkańców}
definition: {en: Firefighters per population., pl: Strażacy na ludność.}
calculation: {kind: ratio, numerator: firefighters, denominator: population, multiplier: 100000}
decimals: 2
checks:
  - {kind: range, min: 0}
  - {kind: yoy_change, max_relative: 0.5}
""",
    "6.1": """\
id: "6.1"
edition: test-ed
theme: 6
tier: core
name: {en: Life expectancy, pl: Trwanie życia}
unit: {en: years, pl: lata}
definition: {en: Life expectancy at birth., pl: Trwanie życia noworodka.}
calculation: {kind: direct, variable: life_expectancy}
decimals: 1
""",
    "5.3": """\
id: "5.3"
edition: test-ed
theme: 5
tier: supporting
name: {en: Income per capita, pl: Dochód na mieszkańca}
unit: {en: LCU per capita, pl: LCU na mieszkańca}
definition: {en: Income per resident., pl: Dochód na mieszkańca.}
calculation: {kind: ratio, numerator: income_lcu, denominator: population}
decimals: 2
""",
    "P-02": """\
id: P14-GAC-02
edition: test-ed
theme: geography-and-climate
tier: profile
name: {en: Climate type, pl: Typ klimatu}
unit: {en: text, pl: tekst}
definition: {en: Koeppen class., pl: Klasa Koeppena.}
calculation: {kind: direct, variable: climate}
""",
    "P-01": """\
id: P14-P-09
edition: test-ed
theme: people
tier: profile
name: {en: Annual population change, pl: Roczna zmiana ludności}
unit: {en: "%", pl: "%"}
definition: {en: Change against the year before., pl: Zmiana wobec roku poprzedniego.}
calculation:
  kind: expression
  expression: (population - previous(population)) / previous(population) * 100
decimals: 2
""",
}


def write_catalogue(root: Path, indicators: dict[str, str] | None = None) -> Path:
    """A small but complete catalogue under ``root/indicators``; returns that folder."""
    cat = root / "indicators"
    ed = cat / "test-ed"
    ed.mkdir(parents=True)
    (cat / "variables.yaml").write_text(MINI_VARIABLES, encoding="utf-8")
    (cat / "providers.yaml").write_text(MINI_PROVIDERS, encoding="utf-8")
    (ed / "edition.yaml").write_text(MINI_EDITION, encoding="utf-8")
    for key, text in (INDICATORS if indicators is None else indicators).items():
        ind_id = text.split("\n", 1)[0].split(":", 1)[1].strip().strip('"')
        (ed / f"{ind_id}.yaml").write_text(text, encoding="utf-8")
    return cat


ACCEPTANCE = """\
exceptions:
  - rule_id: range_results_test-ed:5.1
    accepted_by: Anna Nowak
    role: Head of statistics
    accepted_on: {date}
    reason: Checked with the labour office.
"""
"""One acceptance in exceptions.yaml, its date to fill in."""

CITY_YAML = """\
code: "{code}"
name: {{en: Testville, pl: Testowo}}
country: PL
edition: test-ed
currency: PLN
fictional: true
"""

SOURCES_CSV = "source_id,organisation,dataset,url,retrieved_on,licence\nS1,Test office,Table 1,https://example.org/t1,2024-01-31,CC-BY-4.0\n"


def write_city(raw: Path, rows: list[dict] | str, code: str = "0001", name: str = "testville",
               city_yaml: str | None = None, sources: str = SOURCES_CSV, file: str = "obs.csv") -> Path:
    """A city folder ``raw/<name>`` with city.yaml, sources.csv and one observation file.

    ``rows`` are dicts (year, variable, value, and optionally unit, source_id, status, note; unit
    defaults to the mini registry's) or the CSV text itself, written as it is.
    """
    folder = raw / name
    (folder / "observations").mkdir(parents=True, exist_ok=True)
    (folder / "city.yaml").write_text(city_yaml or CITY_YAML.format(code=code), encoding="utf-8")
    (folder / "sources.csv").write_text(sources, encoding="utf-8")
    if isinstance(rows, str):
        (folder / "observations" / file).write_text(rows, encoding="utf-8")
        return folder
    units = {"income_lcu": "PLN", "life_expectancy": "years", "climate": "text", "green_share": "%"}
    lines = ["year,variable,value,unit,source_id,status,note"]
    for r in rows:
        unit = r.get("unit", units.get(r["variable"], "persons"))
        source = r.get("source_id", "" if r.get("status") in ("not_available", "not_applicable") else "S1")
        lines.append(",".join(str(x) for x in (r["year"], r["variable"], r.get("value", ""), unit, source,
                                                r.get("status", ""), r.get("note", ""))))
    (folder / "observations" / file).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def mini_catalogue(tmp_path: Path) -> Path:
    return write_catalogue(tmp_path)


@pytest.fixture(scope="session")
def catalogue():
    from pipeline.catalogue import load_catalogue

    return load_catalogue(CATALOGUE)


@pytest.fixture
def sample_raw_copy(tmp_path: Path) -> Path:
    """A copy of the shipped sample raw folder, safe to break."""
    dst = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW, dst)
    return dst
