"""A frozen BDL snapshot into observation rows (pipeline.ingest.snapshot), offline.

Snapshots are written by the real fetch stage against the fake API of tests/fetch/fakebdl.py
(constructed Gdańsk responses; the attribute dictionary and the Bochnia units are recorded ones),
and one from the recorded ``data/by-unit`` response of Wielkopolskie.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from ruamel.yaml import YAML

from pipeline.catalogue import load_catalogue
from pipeline.catalogue.sources import Snapshot, SnapshotRequest, SnapshotUnit
from pipeline.fetch.bdl import write_snapshot
from pipeline.ingest import ingest
from pipeline.ingest.models import SourceRow
from pipeline.ingest.reading import STAGING_COLUMNS, to_arrow
from pipeline.ingest.snapshot import read_snapshot
from tests.conftest import CITY_YAML
from tests.fetch.fakebdl import (
    GDANSK,
    GDANSK_POWIAT,
    REGISTRY_UNITS,
    FakeBdl,
    conversion_mapping,
    make_national,
    make_snapshot,
    mapping,
    national_data,
    national_fake,
    sample,
)

PREFIX = "gdansk/snapshots/bdl-2025-01-31"
DATA = "data-by-unit-042214361011-p0-1.json"


def convert(snap: Path, source=None, **kw):
    return read_snapshot(snap, PREFIX, source or mapping(), REGISTRY_UNITS, **kw)


def rows(tables) -> list[dict]:
    return [r for t in tables for r in t.data.to_pylist()]


def rules(problems) -> list[tuple]:
    return [(p.file.rsplit("/", 1)[-1], p.row, p.rule, p.value) for p in problems]


def test_rows_have_the_staging_shape_lineage_and_a_source(tmp_path: Path):
    tables, problems, source = convert(make_snapshot(tmp_path))
    assert problems == []
    assert [(t.file_id, t.sheet, t.role) for t in tables] == [
        (f"{PREFIX}/{DATA}", None, "observations"), (f"{PREFIX}/data-by-unit-042214361000-p0-1.json", None, "observations")]
    arrow = to_arrow(tables, STAGING_COLUMNS)
    assert arrow.schema == to_arrow([], STAGING_COLUMNS).schema  # what ingest stacks with the CSV and XLSX tables
    assert rows(tables)[:2] == [
        {"row": 1, "city": None, "year": "2022", "variable": "population", "value": "486022", "unit": "persons",
         "source_id": "BDL", "status": None, "note": "BDL var 72305, attr 1"},
        {"row": 2, "city": None, "year": "2023", "variable": "population", "value": "486345", "unit": "persons",
         "source_id": "BDL", "status": "provisional", "note": "BDL var 72305, attr 9 (s): Szacunki wstępne"}]
    youth = [r for r in rows(tables) if r["variable"] == "youth_unemployed_persons"]
    assert [r["row"] for r in youth] == [1, 2]  # the position in its own response
    assert youth[0]["note"].endswith("published for powiat 042214361000 (the city with powiat rights); proxy: 18-24, registered")
    SourceRow.model_validate(source)  # a valid row of sources.csv
    assert source["source_id"] == "BDL" and source["organisation"] == "Główny Urząd Statystyczny (GUS)"
    assert source["retrieved_on"] == "2025-01-31" and source["url"] == "https://bdl.stat.gov.pl/api/v1"
    assert source["dataset"] == "Bank Danych Lokalnych, zmienne 8813, 60811, 72305; jednostka 042214361011 (Gdańsk)"
    assert "Źródło: GUS, Bank Danych Lokalnych" in source["licence"]


def test_the_status_follows_the_attribute(tmp_path: Path):
    attrs = [1, 3, 4, 7, 9, 11, 13, 14, 15, 17, 50, 20, 94, 98, 91]
    series = [(str(2000 + n), 100 + n, a) for n, a in enumerate(attrs)]
    fake = FakeBdl(data={GDANSK["id"]: {72305: series}})
    snap = make_snapshot(tmp_path, fake, years=tuple(range(2000, 2000 + len(attrs))), variables=["population"])
    tables, problems, _ = convert(snap)
    assert problems == []
    got = {_attr(r["note"]): (r["status"], r["value"]) for r in rows(tables)}
    assert got == {
        "1": (None, "100"), "3": (None, "101"), "4": ("not_available", None), "7": (None, "103"), "9": ("provisional", "104"),
        "11": ("break", "105"), "13": ("break", "106"), "14": ("not_available", None), "15": ("not_available", None),
        "17": ("break", "109"), "50": ("not_available", None), "20": (None, "111"), "94": (None, "112"), "98": ("break", "113"),
        "91": ("not_available", None)}
    notes = {_attr(r["note"]): r["note"] for r in rows(tables)}
    assert notes["4"].startswith("BDL var 72305, attr 4 (x): Brak informacji, konieczność zachowania tajemnicy")
    assert notes["50"] == "BDL var 72305, attr 50 (n): Dana jeszcze niedostępna, będzie dostępna"
    assert notes["7"] == "BDL var 72305, attr 7 (a): Wartość mniejsza niż przyjęty format prezentacji"
    assert notes["3"] == "BDL var 72305, attr 3 (k): Agregat może być niekompletny"
    assert notes["15"].startswith("BDL var 72305, attr 15: Znak '-' oznacza brak informacji")  # its symbol is blank


def _attr(note: str) -> str:
    return re.search(r"attr (\d+)", note).group(1)


def test_the_unit_conversion_is_applied_and_recorded(tmp_path: Path):
    fake = FakeBdl(data={GDANSK["id"]: {72305: [("2022", 486.022, 1), ("2023", 0.002782, 1)]}})
    snap = make_snapshot(tmp_path, fake, variables=["population"])
    tables, problems, _ = convert(snap, conversion_mapping("1000"))
    assert problems == []
    assert [r["value"] for r in rows(tables)] == ["486022", "2.782"]
    assert [(r.row, r.column, r.rule, r.original, r.repaired) for r in tables[0].repairs] == [
        (1, "value", "bdl_unit_conversion", "486.022", "486022"),
        (2, "value", "bdl_unit_conversion", "0.002782", "2.782")]
    assert tables[0].decimal_mark == "."  # so a Polish city reads 2.782 as 2.782, not 2782
    assert tables[0].repairs[0].file_id == f"{PREFIX}/{DATA}"


def test_values_keep_the_text_bdl_wrote(tmp_path: Path):
    body = {GDANSK["id"]: {72305: [("2022", 1.10, 1), ("2023", 12345678901234567890, 1)], 60811: [("2022", 2.5, 1), ("2023", 0.1, 1)]}}
    snap = make_snapshot(tmp_path, FakeBdl(data=body), variables=["population", "dwellings"])
    raw = (snap / DATA).read_text(encoding="utf-8")
    tables, problems, _ = convert(snap)
    assert problems == []
    assert [r["value"] for r in rows(tables)] == ["1.1", "12345678901234567890", "2.5", "0.1"]
    assert '"val": 12345678901234567890' in raw and tables[0].repairs == []


def _replace(snap: Path, name: str, body: bytes) -> None:
    """Replace a file and record its new hash, as if the snapshot had been written with it."""
    y = YAML(typ="rt", pure=True)
    meta = y.load((snap / "snapshot.yaml").read_text(encoding="utf-8"))
    entry = next(r for r in meta["requests"] if r["file"] == name)
    entry["sha256"], entry["bytes"] = hashlib.sha256(body).hexdigest(), len(body)
    (snap / name).write_bytes(body)
    with open(snap / "snapshot.yaml", "w", encoding="utf-8") as f:
        y.dump(meta, f)


def test_a_truncated_response_is_a_bad_response_naming_the_file(tmp_path: Path):
    snap = make_snapshot(tmp_path)
    body = (snap / DATA).read_bytes()
    _replace(snap, DATA, body[: len(body) // 2])  # its hash matches, its JSON does not parse
    tables, problems, _ = convert(snap)
    assert [(p.file, p.rule) for p in problems] == [(f"{PREFIX}/{DATA}", "bdl_bad_response")]
    assert "not valid JSON, truncated or damaged" in problems[0].message and problems[0].line == 1
    assert [t.file_id.rsplit("/", 1)[-1] for t in tables] == ["data-by-unit-042214361000-p0-1.json"]  # the rest is read


def test_a_changed_file_is_refused(tmp_path: Path):
    snap = make_snapshot(tmp_path)
    text = (snap / DATA).read_text(encoding="utf-8")
    (snap / DATA).write_text(text.replace("486022", "486023"), encoding="utf-8")
    tables, problems, _ = convert(snap)
    assert rules(problems) == [(DATA, None, "snapshot_changed", problems[0].value)]
    assert "is not the response retrieved on 2025-01-31" in problems[0].message and "never edited" in problems[0].message
    assert all(r["variable"] == "youth_unemployed_persons" for r in rows(tables))


def test_a_missing_or_an_extra_file_is_refused(tmp_path: Path):
    snap = make_snapshot(tmp_path)
    (snap / DATA).unlink()
    (snap / "notes.txt").write_text("mine", encoding="utf-8")
    _, problems, _ = convert(snap)
    assert [(p.file.rsplit("/", 1)[-1], p.rule) for p in problems] == [
        (DATA, "snapshot_file_missing"), ("notes.txt", "snapshot_unlisted_file")]
    (snap / "snapshot.yaml").unlink()
    tables, problems, source = convert(snap)
    assert (tables, source) == ([], None) and [p.rule for p in problems] == ["snapshot_file_missing"]


def test_a_broken_snapshot_yaml_names_its_line(tmp_path: Path):
    snap = make_snapshot(tmp_path)
    meta = snap / "snapshot.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("years:", "yeers:"), encoding="utf-8")
    _, problems, source = convert(snap)
    assert source is None
    assert {(p.file, p.rule) for p in problems} == {(f"{PREFIX}/snapshot.yaml", "schema.missing"),
                                                     (f"{PREFIX}/snapshot.yaml", "schema.extra_forbidden")}
    assert all(p.line for p in problems)


def test_a_year_asked_for_without_a_value_is_a_problem(tmp_path: Path):
    data = {GDANSK["id"]: {72305: [("2022", 486022, 1), ("2023", 486345, 1)], 60811: [("2022", 258004, 1)]}}
    _, problems, _ = convert(make_snapshot(tmp_path, FakeBdl(data=data), variables=["population", "dwellings"]))
    assert rules(problems) == [(DATA, None, "bdl_missing_year", "2023")]
    assert problems[0].message.startswith("BDL gave no value for 2023 of dwellings (BDL var 60811) for unit 042214361011")


def test_a_variable_missing_from_the_response_misses_every_year(tmp_path: Path):
    data = {GDANSK["id"]: {72305: [("2022", 1, 1), ("2023", 2, 1)]}, GDANSK_POWIAT["id"]: {8813: [("2022", 3, 1), ("2023", 4, 1)]}}
    _, problems, _ = convert(make_snapshot(tmp_path, FakeBdl(data=data)))
    assert [(p.rule, p.value) for p in problems] == [("bdl_missing_year", "2022"), ("bdl_missing_year", "2023")]
    assert all("dwellings" in p.message for p in problems)


def test_an_unknown_attribute_is_a_problem_not_a_guess(tmp_path: Path):
    data = {GDANSK["id"]: {72305: [("2022", 1, 97), ("2023", 2, 42)]}}
    tables, problems, _ = convert(make_snapshot(tmp_path, FakeBdl(data=data), variables=["population"]))
    assert rows(tables) == []
    assert rules(problems) == [(DATA, 1, "bdl_unknown_attribute", "97"), (DATA, 2, "bdl_unknown_attribute", "42")]
    assert "(p: Łącznie dla powiatu i miasta na prawach powiatu)" in problems[0].message
    assert "not in the snapshot's /attributes" in problems[1].message


def test_a_variable_not_in_the_mapping_is_a_problem(tmp_path: Path):
    snap = make_snapshot(tmp_path)
    narrower = mapping(variables=[v for v in mapping().variables if v.variable != "dwellings"])
    tables, problems, _ = convert(snap, narrower)
    assert rules(problems) == [(DATA, 3, "bdl_unmapped_variable", "60811")]
    assert {r["variable"] for r in rows(tables)} == {"population", "youth_unemployed_persons"}


def _bochnia_snapshot(tmp_path: Path) -> Path:
    """Bochnia (recorded units: a gmina miejska in powiat bocheński), values constructed."""
    data = {"011212001011": {72305: [("2022", 29000, 1), ("2023", 28900, 1)]},
            "011212001000": {8813: [("2022", 310, 1), ("2023", 290, 1)]}}
    return make_snapshot(tmp_path, FakeBdl(data=data), unit="011212001011", variables=["population", "youth_unemployed_persons"])


def test_a_powiat_value_for_a_gmina_is_refused(tmp_path: Path):
    tables, problems, _ = convert(_bochnia_snapshot(tmp_path))
    assert rules(problems) == [("data-by-unit-011212001000-p0-1.json", 1, "bdl_powiat_for_gmina", "8813")]
    assert "published for powiat 011212001000, the whole county, but Bochnia (011212001011) is a gmina without powiat rights" \
        in problems[0].message
    assert {r["variable"] for r in rows(tables)} == {"population"}  # and no missing-year noise for the refused variable


def test_a_powiat_value_the_city_accepts_as_a_proxy(tmp_path: Path):
    tables, problems, _ = convert(_bochnia_snapshot(tmp_path), accept_powiat={"youth_unemployed_persons"})
    assert problems == []
    youth = [r for r in rows(tables) if r["variable"] == "youth_unemployed_persons"]
    assert [r["value"] for r in youth] == ["310", "290"]
    assert youth[0]["note"] == ("BDL var 8813, attr 1; value of powiat 011212001000, the county, accepted as a proxy for "
                                "gmina 011212001011; proxy: 18-24, registered")  # the mapping's deviation, shown with the value


def test_the_recorded_by_unit_response_of_wielkopolskie(tmp_path: Path):
    """The real response body (as the upstream client recorded it, envelope trimmed), written as a snapshot file."""
    body = json.dumps(sample("data", "get_data_by_unit"), ensure_ascii=False, indent=2).encode("utf-8")
    attributes = json.dumps({"results": sample("attributes", "list_attributes")}, ensure_ascii=False).encode("utf-8")
    files = [("attributes-p0.json", attributes), ("data-by-unit-023000000000-p0-1.json", body)]
    var9 = mapping().variables[0].model_copy(update={"variable": "population", "bdl_variable_id": 9})
    meta = Snapshot(source="bdl", organisation="Główny Urząd Statystyczny (GUS)", dataset="Bank Danych Lokalnych (BDL)",
                    endpoint="https://bdl.stat.gov.pl/api/v1", retrieved_at=datetime(2025, 5, 20, tzinfo=UTC),
                    licence="re-use", attribution="Źródło: GUS, Bank Danych Lokalnych",
                    unit=SnapshotUnit(id="023000000000", name="WIELKOPOLSKIE", level=2), years=list(range(1995, 2025)),
                    mappings=[var9],
                    requests=[SnapshotRequest(file=name, kind=kind, path=path, params=params, unit_id=unit, page=0, status=200,
                                              sha256=hashlib.sha256(b).hexdigest(), bytes=len(b))
                              for (name, b), kind, path, params, unit in zip(
                                  files, ["attributes", "data"], ["/attributes", "/data/by-unit/023000000000"],
                                  [{}, {"var-id": ["9"], "year": [str(y) for y in range(1995, 2025)]}], [None, "023000000000"])])
    snap = tmp_path / "bdl-2025-05-20"
    write_snapshot(snap, files, meta)
    tables, problems, _ = read_snapshot(snap, "wlkp/snapshots/bdl-2025-05-20", [var9], REGISTRY_UNITS)
    assert problems == []
    got = rows(tables)
    assert len(got) == 30 and [r["row"] for r in got] == list(range(1, 31))
    assert (got[0]["year"], got[0]["value"], got[-1]["year"], got[-1]["value"]) == ("1995", "12", "2024", "40")
    assert {r["note"] for r in got} == {"BDL var 9, attr 1"}


def _ingest_snapshot_of_a_polish_city(tmp_path: Path, mini_catalogue: Path) -> list[tuple]:
    """A Gdańsk snapshot in a Polish city's folder, read by the real ingest with a catalogue whose
    sources/bdl.yaml maps it; returns the observations."""
    source = mapping(variables=[mapping().variables[0], mapping().variables[1].model_copy(
        update={"variable": "life_expectancy", "bdl_variable_id": 999001, "unit": "lata"})])  # id constructed
    data = {GDANSK["id"]: {72305: [("2022", 486022, 1), ("2023", 486345, 9)], 999001: [("2022", 78.123, 1), ("2023", 0, 4)]}}
    make_snapshot(tmp_path, FakeBdl(data=data), source=source)
    city = tmp_path / "raw" / "gdansk"
    (city / "city.yaml").write_text(CITY_YAML.format(code="2261011"), encoding="utf-8")
    (city / "sources.csv").write_text("source_id,organisation,dataset,url,retrieved_on,licence\n", encoding="utf-8")
    (mini_catalogue / "sources").mkdir(exist_ok=True)
    YAML(typ="safe", pure=True).dump(source.model_dump(mode="json", exclude_none=True), mini_catalogue / "sources" / "bdl.yaml")
    ingest(tmp_path / "raw", load_catalogue(mini_catalogue), tmp_path / "store.duckdb")
    con = duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True)
    assert con.execute("SELECT source_id, organisation, file_id FROM sources").fetchall() == [
        ("BDL", "Główny Urząd Statystyczny (GUS)", f"{PREFIX}/snapshot.yaml")]
    return con.execute("SELECT year, variable, value, status, file_id, row FROM observations ORDER BY variable, year").fetchall()


def test_a_snapshot_in_a_city_folder_is_read_by_ingest_with_its_lineage(tmp_path: Path, mini_catalogue: Path):
    """Units, statuses and notes are accepted; a decimal point in JSON stays a decimal point in a
    Polish city (where a lone group 78.123 in a CSV file would be 78123); each value keeps its
    response file and position."""
    data = f"{PREFIX}/data-by-unit-042214361011-p0-1.json"
    assert _ingest_snapshot_of_a_polish_city(tmp_path, mini_catalogue) == [
        (2022, "life_expectancy", Decimal("78.123"), None, data, 3), (2023, "life_expectancy", None, "not_available", data, 4),
        (2022, "population", Decimal("486022"), None, data, 1), (2023, "population", Decimal("486345"), "provisional", data, 2)]


@pytest.mark.parametrize("unit_id, rights", [("042214361011", True), ("042214362011", True), ("071412865011", True),
                                              ("011212001011", False), ("042299913011", False)])
def test_cities_with_powiat_rights_are_told_by_their_teryt_powiat_code(unit_id, rights):
    from pipeline.ingest.snapshot import powiat_rights
    assert powiat_rights(unit_id) is rights


# --- a snapshot of all gminas (version 2, /data/by-variable) -------------------------------------------

NATIONAL = "poland/snapshots/bdl-2025-01-31"


def convert_national(snap: Path, **kw):
    return read_snapshot(snap, NATIONAL, mapping(), REGISTRY_UNITS, **kw)


def test_a_snapshot_of_all_gminas_gives_each_row_its_city(tmp_path: Path):
    snap = make_national(tmp_path).folder
    tables, problems, source = convert_national(snap)
    assert problems == []
    assert [t.file_id.rsplit("/", 1)[-1] for t in tables] == [
        "data-by-variable-72305-p0.json", "data-by-variable-72305-p1.json", "data-by-variable-72305-p2.json",
        "data-by-variable-8813-p0.json"]  # p3 holds only the parts of the urban-rural gmina: no table
    assert all(t.decimal_mark == "." and t.role == "observations" for t in tables)
    first = rows(tables[:1])
    assert first[:2] == [
        {"row": 1, "city": "2261011", "year": "2022", "variable": "population", "value": "10000", "unit": "persons",
         "source_id": "BDL", "status": None, "note": "BDL var 72305, attr 1"},
        {"row": 2, "city": "2261011", "year": "2023", "variable": "population", "value": "10001", "unit": "persons",
         "source_id": "BDL", "status": None, "note": "BDL var 72305, attr 1"}]
    population = [r for r in rows(tables) if r["variable"] == "population"]
    assert len({r["city"] for r in population}) == 11 and len(population) == 22
    assert "2214034" not in {r["city"] for r in population} and "2214033" in {r["city"] for r in population}
    third = rows(tables[2:3])
    assert [r["row"] for r in third] == [1, 2, 3, 4, 5, 6]  # the gmina Y (rows 5, 6) before its town (7, 8), not read
    youth = [r for r in rows(tables) if r["variable"] == "youth_unemployed_persons"]
    assert [(r["city"], r["row"], r["value"]) for r in youth] == [("2261011", 1, "100"), ("2261011", 2, "101")]
    assert youth[0]["note"] == ("BDL var 8813, attr 1; published for powiat 042214361000 (the city with powiat rights); "
                                "proxy: 18-24, registered")
    SourceRow.model_validate(source)
    assert source["dataset"] == "Bank Danych Lokalnych, zmienne 8813, 72305; wszystkie gminy (11)"


def test_a_gmina_takes_its_county_s_value_only_where_it_accepts_it(tmp_path: Path):
    snap = make_national(tmp_path).folder
    tables, problems, _ = convert_national(snap, accept_by_city={"2213011": frozenset({"youth_unemployed_persons"})},
                                           accept_powiat={"youth_unemployed_persons"})  # (the folder-wide set is for one unit)
    assert problems == []
    youth = [(r["city"], r["row"], r["value"], r["note"]) for r in rows(tables) if r["variable"] == "youth_unemployed_persons"]
    assert [y[:3] for y in youth] == [("2261011", 1, "100"), ("2261011", 2, "101"), ("2213011", 3, "200"), ("2213011", 4, "201")]
    assert youth[2][3] == ("BDL var 8813, attr 1; value of powiat 042299913000, the county, accepted as a proxy for gmina "
                           "042299913011; proxy: 18-24, registered")


def test_a_unit_the_units_responses_do_not_list_is_a_problem(tmp_path: Path):
    data = national_data()
    data["042299915011"] = {72305: [("2022", 1, 1), ("2023", 2, 1)]}  # constructed, not in /units
    tables, problems, _ = convert_national(make_national(tmp_path, national_fake(data=data)).folder)
    assert [(p.file.rsplit("/", 1)[-1], p.row, p.rule, p.value) for p in problems] == [
        ("data-by-variable-72305-p3.json", 3, "bdl_unknown_unit", "042299915011")]
    assert "is not among the units of level 6 the snapshot lists" in problems[0].message


def test_a_year_no_unit_has_is_a_problem_a_gap_of_one_gmina_is_not(tmp_path: Path):
    data = national_data()
    data["042214362011"][72305] = data["042214362011"][72305][:1]  # Gdynia without 2023
    snap = make_national(tmp_path, national_fake(data=data), years=(2021, 2022, 2023)).folder
    _, problems, _ = convert_national(snap)
    assert [(p.file.rsplit("/", 1)[-1], p.rule, p.value) for p in problems] == [
        ("data-by-variable-72305-p0.json", "bdl_missing_year", "2021"), ("data-by-variable-8813-p0.json", "bdl_missing_year", "2021")]
    assert problems[0].message.startswith("BDL gave no value for 2021 of population (BDL var 72305) for any unit of level 6")


def test_a_truncated_by_variable_response_is_a_bad_response_naming_the_file(tmp_path: Path):
    snap = make_national(tmp_path).folder
    name = "data-by-variable-72305-p1.json"
    body = (snap / name).read_bytes()
    _replace(snap, name, body[: len(body) // 2])  # its hash matches, its JSON does not parse
    tables, problems, _ = convert_national(snap)
    assert [(p.file, p.rule) for p in problems] == [(f"{NATIONAL}/{name}", "bdl_bad_response")]
    assert "not valid JSON, truncated or damaged" in problems[0].message
    assert name not in {t.file_id.rsplit("/", 1)[-1] for t in tables} and len(tables) == 3  # the other pages are read


def test_snapshot_versions_one_unit_stays_version_1_and_all_gminas_needs_version_2(tmp_path: Path):
    one = make_snapshot(tmp_path)
    text = (one / "snapshot.yaml").read_text(encoding="utf-8")
    assert "\nsnapshot_version: 1\n" in text and "\nscope:" not in text and " variable_id:" not in text  # as earlier releases wrote it
    national = make_national(tmp_path).folder
    meta = national / "snapshot.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("snapshot_version: 2", "snapshot_version: 1"), encoding="utf-8")
    tables, problems, source = convert_national(national)
    assert (tables, source) == ([], None)
    assert [(p.file, p.rule) for p in problems] == [(f"{NATIONAL}/snapshot.yaml", "schema.value_error")]
    assert "scope all-gminas needs snapshot_version 2" in problems[0].message


def test_a_national_folder_is_read_by_ingest_with_a_city_per_gmina(tmp_path: Path, mini_catalogue: Path):
    """The real ingest of a folder of many cities whose cities.yaml the fetch stage wrote."""
    from pipeline.fetch.bdl import write_city_files

    got = make_national(tmp_path, variables=["population"])
    folder = tmp_path / "raw" / "poland"
    write_city_files(folder, got.gminas, got.regions, got.folder.name)
    text = (folder / "cities.yaml").read_text(encoding="utf-8").replace("currency: PLN", "currency: PLN\n  edition: test-ed")
    (folder / "cities.yaml").write_text(text, encoding="utf-8")  # the mini catalogue's edition
    (mini_catalogue / "sources").mkdir(exist_ok=True)
    population = mapping(variables=mapping().variables[:1])
    YAML(typ="safe", pure=True).dump(population.model_dump(mode="json", exclude_none=True), mini_catalogue / "sources" / "bdl.yaml")
    report = ingest(folder, load_catalogue(mini_catalogue), tmp_path / "store.duckdb")
    assert len(report.cities) == 11 and report.observations == 22
    con = duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True)
    assert con.execute("SELECT city_code, file_id, row FROM observations WHERE year = 2023 ORDER BY city_code LIMIT 1").fetchall() == [
        ("1201011", "snapshots/bdl-2025-01-31/data-by-variable-72305-p1.json", 6)]
