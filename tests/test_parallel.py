"""Batches rendered in worker processes: the paths come back in the order of the batches, the
counts after each batch, a failure in a worker reaches the caller, and ``start_workers`` lets the
caller go on while the workers render."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from pipeline.parallel import beside, in_workers, start_workers

forked = pytest.mark.skipif(sys.platform != "linux" or (os.cpu_count() or 1) < 2, reason="workers are forked on Linux with 2+ CPUs")


def _write(folder: Path, batch: list[str]) -> list[Path]:
    """The job: one file per item, holding the id of the process that wrote it."""
    written = []
    for item in batch:
        if item == "bad":
            raise ValueError("a bad item")
        path = folder / item
        path.write_text(str(os.getpid()), encoding="utf-8")
        written.append(path)
    return written


def _batches(items: list[str], size: int):
    return ((len(items[i:i + size]), items[i:i + size]) for i in range(0, len(items), size))


def _writers(paths: list[Path]) -> set[int]:
    return {int(p.read_text(encoding="utf-8")) for p in paths}


@pytest.mark.parametrize("workers", [1, 2])
def test_paths_come_back_in_the_order_of_the_batches(tmp_path: Path, workers: int) -> None:
    items = [f"item{n:02d}" for n in range(23)]
    counts: list[tuple[int, int]] = []
    paths = in_workers(_batches(items, 4), _write, tmp_path, total=len(items), batch_size=4,
                       counted=lambda done, total: counts.append((done, total)), workers=workers)
    assert [p.name for p in paths] == items
    assert counts == [(min(n, 23), 23) for n in range(4, 24 + 3, 4)]


def test_one_batch_is_rendered_here(tmp_path: Path) -> None:
    paths = in_workers(_batches(["a", "b"], 4), _write, tmp_path, total=2, batch_size=4)
    assert _writers(paths) == {os.getpid()}


@forked
def test_batches_are_rendered_by_workers(tmp_path: Path) -> None:
    items = [f"item{n}" for n in range(8)]
    paths = in_workers(_batches(items, 2), _write, tmp_path, total=len(items), batch_size=2, workers=2)
    assert os.getpid() not in _writers(paths)


@forked
def test_start_workers_renders_even_one_batch_in_a_worker_and_waits_when_asked(tmp_path: Path) -> None:
    counts: list[tuple[int, int]] = []
    wait = start_workers(_batches(["a", "b"], 4), _write, tmp_path, total=2, batch_size=4,
                         counted=lambda done, total: counts.append((done, total)))
    paths = wait()
    assert [p.name for p in paths] == ["a", "b"]
    assert os.getpid() not in _writers(paths)
    assert counts == [(2, 2)]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failure_in_a_batch_reaches_the_caller(tmp_path: Path, workers: int) -> None:
    items = ["a", "b", "bad", "c", "d", "e"]
    with pytest.raises(ValueError, match="a bad item"):
        in_workers(_batches(items, 2), _write, tmp_path, total=len(items), batch_size=2, workers=workers)


@forked
def test_beside_runs_calls_in_other_processes() -> None:
    with beside(workers=2) as workers:
        assert workers is not None
        pids = {workers.submit(os.getpid).result() for _ in range(4)}
    assert pids and os.getpid() not in pids
