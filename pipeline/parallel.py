"""Render batches in forked worker processes while this process reads the next batch.

The dossier and the site's pages are rendered so: this process keeps the store and reads batch
after batch; each worker, given the job once as it starts, renders a batch into files and returns
their paths. At most two batches per worker are in flight, so memory stays flat. On
one CPU, with one batch (unless this process goes on with other work meanwhile:
:func:`start_workers`), or off Linux (workers are forked: no re-import of ``__main__``; fork is
unsafe elsewhere) everything runs in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

Batch = TypeVar("Batch")
Job = TypeVar("Job")


_job: object = None
"""The job of this worker process (set once as it starts)."""


def _start(job: object) -> None:
    global _job
    _job = job


def _render(render: Callable[[Job, Batch], list[Path]], batch: Batch) -> list[Path]:
    return render(_job, batch)  # type: ignore[arg-type]


def in_workers(batches: Iterable[tuple[int, Batch]], render: Callable[[Job, Batch], list[Path]], job: Job, *,
               total: int, batch_size: int, counted: Callable[[int, int], None] | None = None,
               workers: int | None = None) -> list[Path]:
    """``render(job, batch)`` every batch (``(size, batch)`` pairs, ``size`` the cities in it, at
    most ``batch_size``, ``total`` in all) in worker processes (default: one per CPU, no more than
    batches), each given ``job`` once; ``counted(done, total)`` is told the cities done after each
    batch. Returns the paths written, in the order of the batches."""
    return start_workers(batches, render, job, total=total, batch_size=batch_size, counted=counted, workers=workers,
                         single=False)()


def start_workers(batches: Iterable[tuple[int, Batch]], render: Callable[[Job, Batch], list[Path]], job: Job, *,
                  total: int, batch_size: int, counted: Callable[[int, int], None] | None = None,
                  workers: int | None = None, single: bool = True) -> Callable[[], list[Path]]:
    """:func:`in_workers`, returning once every batch is handed out: the call it returns waits for
    the rest and returns the paths. Meanwhile this process may go on with other work, so a
    ``single`` batch is rendered by a worker too (in this process it would be done before
    returning)."""
    workers = min((os.cpu_count() or 1) if workers is None else workers, -(-total // batch_size))
    written: list[Path] = []
    done = 0

    def count(size: int) -> None:
        nonlocal done
        done += size
        if counted is not None:
            counted(done, total)

    if workers < 1 or workers == 1 and not (single and (os.cpu_count() or 1) > 1) or sys.platform != "linux":
        for size, batch in batches:
            written += render(job, batch)
            count(size)
        return lambda: written
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_start,
                               initargs=(job,))
    pending: deque[tuple[Future, int]] = deque()

    def collect(keep: int) -> list[Path]:
        while len(pending) > keep:
            future, n = pending.popleft()
            written.extend(future.result())
            count(n)
        return written

    def wait() -> list[Path]:
        try:
            return collect(0)
        finally:
            pool.shutdown(cancel_futures=True)

    try:
        for size, batch in batches:
            pending.append((pool.submit(_render, render, batch), size))
            collect(2 * workers - 1)
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise
    return wait


@contextmanager
def beside(workers: int = 1) -> Iterator[ProcessPoolExecutor | None]:
    """Forked worker processes (``workers``, forked at the first call) to run calls beside this
    one while the block runs; None off Linux or on one CPU (the caller then does the work itself).
    The calls must not touch the store, as the rendering workers do not."""
    if sys.platform != "linux" or (os.cpu_count() or 1) < 2:
        yield None
        return
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)
