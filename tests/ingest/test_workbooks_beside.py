"""Workbooks read by a worker process beside the other files give the same store, and the same
problems, as workbooks read in turn; a worker that dies leaves the workbook to this process."""

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


@pytest.mark.parametrize("beside", [0, 1 << 40], ids=["in a worker", "in turn"])
def test_the_sample_city_reads_the_same_with_its_workbooks_beside_or_in_turn(sample_raw_copy, catalogue, tmp_path,
                                                                            monkeypatch, beside):
    workbooks = sorted(sample_raw_copy.rglob("*.xlsx"))
    assert len(workbooks) == 7
    ingest(sample_raw_copy, catalogue, tmp_path / "reference.duckdb")
    monkeypatch.setattr(ingest_module, "WORKBOOKS_BESIDE", beside)
    taken = []
    workbook = ingest_module._workbook
    monkeypatch.setattr(ingest_module, "_workbook", lambda ahead, *a: taken.append(ahead is not None) or workbook(ahead, *a))
    report = ingest(sample_raw_copy, catalogue, tmp_path / "store.duckdb")
    assert taken == [beside == 0] * len(workbooks)  # each workbook taken from the worker, or read here
    assert _contents(tmp_path / "store.duckdb") == _contents(tmp_path / "reference.duckdb")
    assert report.observations == len(_contents(tmp_path / "store.duckdb")["observations"])


def test_a_broken_workbook_read_beside_is_the_same_problem(sample_raw_copy, catalogue, tmp_path, monkeypatch):
    broken = next(sample_raw_copy.rglob("*.xlsx"))
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    found = []
    for beside in (1 << 40, 0):
        monkeypatch.setattr(ingest_module, "WORKBOOKS_BESIDE", beside)
        with pytest.raises(ProblemsFound) as e:
            ingest(sample_raw_copy, catalogue, tmp_path / f"store-{beside}.duckdb")
        found.append([(p.file, p.rule) for p in e.value.problems])
    assert found[0] == found[1]
    assert ("zielonogrod/observations/" + broken.name, "unreadable_workbook") in found[1]


def test_a_workbook_whose_worker_died_is_read_here(sample_raw_copy):
    path = next(sample_raw_copy.rglob("*.xlsx"))
    died: Future = Future()
    died.set_exception(BrokenProcessPool("the worker was killed"))
    here = ingest_module._workbook(None, path, "book.xlsx", Limits())
    assert [t.data.to_pylist() for t in ingest_module._workbook(died, path, "book.xlsx", Limits())] == \
        [t.data.to_pylist() for t in here]
    assert any(t.data is not None and t.data.num_rows for t in here)
