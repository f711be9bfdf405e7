"""City files and workbooks parsed by worker processes beside the other files give the same
store, and the same problems, as files read in turn; a worker that dies leaves its file to this
process."""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import duckdb
import pytest

import pipeline.ingest as ingest_module
from pipeline.ingest import ingest
from pipeline.limits import Limits
from pipeline.problems import ProblemsFound

TABLES = ("observations", "repairs", "input_files", "cities", "sources")


def _contents(store: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
    finally:
        con.close()


def _both_ways(monkeypatch, beside: int) -> None:
    """Every city file and workbook parsed by a worker (0 bytes suffice), or none (1 TiB)."""
    monkeypatch.setattr(ingest_module, "WORKBOOKS_BESIDE", beside)
    monkeypatch.setattr(ingest_module, "CITY_BESIDE", beside)


@pytest.mark.parametrize("beside", [0, 1 << 40], ids=["in workers", "in turn"])
def test_the_sample_city_reads_the_same_with_its_files_parsed_beside_or_in_turn(sample_raw_copy, catalogue, tmp_path,
                                                                               monkeypatch, beside):
    workbooks = sorted(sample_raw_copy.rglob("*.xlsx"))
    assert len(workbooks) == 7
    ingest(sample_raw_copy, catalogue, tmp_path / "reference.duckdb")
    _both_ways(monkeypatch, beside)
    taken, cities = [], []
    workbook, take_city = ingest_module._workbook, ingest_module._take_city
    monkeypatch.setattr(ingest_module, "_workbook", lambda ahead, *a: taken.append(ahead is not None) or workbook(ahead, *a))
    monkeypatch.setattr(ingest_module, "_take_city", lambda *a: cities.append(a[1].name) or take_city(*a))
    report = ingest(sample_raw_copy, catalogue, tmp_path / "store.duckdb")
    assert taken == [beside == 0] * len(workbooks)  # each workbook taken from a worker, or read here
    assert cities == (["city.yaml"] if beside == 0 else [])
    assert _contents(tmp_path / "store.duckdb") == _contents(tmp_path / "reference.duckdb")
    assert report.observations == len(_contents(tmp_path / "store.duckdb")["observations"])


def test_broken_files_parsed_beside_are_the_same_problems(sample_raw_copy, catalogue, tmp_path, monkeypatch):
    """A broken workbook, and a city file whose problems are found once every file is read (an
    edition not in the catalogue, a text fact that is no text variable), placed by its lines."""
    broken = next(sample_raw_copy.rglob("*.xlsx"))
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    city = sample_raw_copy / "zielonogrod" / "city.yaml"
    text = city.read_text(encoding="utf-8")
    assert "  - iso37120-2018\n" in text and "text_facts:\n" in text
    city.write_text(text.replace("  - iso37120-2018\n", "  - iso37120-2099\n")
                    .replace("text_facts:\n", "text_facts:\n  favourite_colour: green\n"), encoding="utf-8")
    found = []
    for beside in (1 << 40, 0):
        _both_ways(monkeypatch, beside)
        with pytest.raises(ProblemsFound) as e:
            ingest(sample_raw_copy, catalogue, tmp_path / f"store-{beside}.duckdb")
        found.append([(p.file, p.line, p.rule) for p in e.value.problems])
    assert found[0] == found[1]
    rules = {(file, rule) for file, _, rule in found[1]}
    assert ("zielonogrod/observations/" + broken.name, "unreadable_workbook") in rules
    placed = {(rule, line) for file, line, rule in found[1] if file == "zielonogrod/city.yaml" and line is not None}
    assert placed == {("unknown_edition", 7), ("unknown_variable", 21)}


def test_a_workbook_whose_worker_died_is_read_here(sample_raw_copy):
    path = next(sample_raw_copy.rglob("*.xlsx"))
    died: Future = Future()
    died.set_exception(BrokenProcessPool("the worker was killed"))
    here = ingest_module._workbook(None, path, "book.xlsx", Limits())
    assert [t.data.to_pylist() for t in ingest_module._workbook(died, path, "book.xlsx", Limits())] == \
        [t.data.to_pylist() for t in here]
    assert any(t.data is not None and t.data.num_rows for t in here)
