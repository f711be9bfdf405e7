"""The memory of a whole process tree, sampled: this process and every process it started (the
render workers of the dossier and the site, the Great Expectations worker).

Each sample adds up the proportional set size (``Pss`` of ``/proc/<pid>/smaps_rollup``: a page
shared by N processes counts 1/N in each), so forked workers that share most of their pages with
the main process are not counted twice; where ``smaps_rollup`` is missing, the resident size.
Linux only; elsewhere :attr:`TreeMemory.peak_mb` stays None.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

PROC = Path("/proc")


def _children(pid: int) -> list[int]:
    found = []
    for task in (PROC / str(pid) / "task").glob("*/children"):
        try:
            found += [int(c) for c in task.read_text().split()]
        except OSError:
            pass
    return found


def _kb(pid: int) -> int:
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            for line in (PROC / str(pid) / name).read_text().splitlines():
                if line.startswith(key):
                    return int(line.split()[1])
        except OSError:
            continue
    return 0


def tree_kb(root: int) -> int:
    """The memory of ``root`` and its descendants now, in KiB."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _kb(pid)
        todo += _children(pid)
    return total


class TreeMemory:
    """``with TreeMemory() as m: ...`` samples this process tree every ``interval`` seconds;
    ``m.peak_mb`` is the largest sum seen."""

    def __init__(self, interval: float = 0.1):
        self.interval, self.peak_mb = interval, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        pid, peak = os.getpid(), 0
        while True:
            peak = max(peak, tree_kb(pid))
            self.peak_mb = round(peak / 1024, 1)
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> TreeMemory:
        if (PROC / str(os.getpid()) / "task").is_dir():
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
