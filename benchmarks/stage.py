"""Run one stage in a fresh process and print its costs as JSON (wall, CPU, peak memory, rows).

    python -m benchmarks.stage ingest|calculate|floor RAW STORE
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def main(stage: str, raw: Path, store: Path) -> dict:
    from pipeline.catalogue import load_catalogue

    cat = load_catalogue(Path("indicators"))
    t0, c0 = time.perf_counter(), time.process_time()
    if stage == "ingest":
        from pipeline.ingest import ingest

        rows = ingest(raw, cat, store).observations
    elif stage == "calculate":
        from pipeline.calculate import calculate
        from pipeline.store import connect

        con = connect(store)
        rows = calculate(con, cat).results
        con.close()
    elif stage == "floor":
        from benchmarks.floor import floor

        rows = floor(raw, store.with_suffix(".floor.csv"), cat)
    else:
        raise SystemExit(f"unknown stage {stage}")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"stage": stage, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "peak_mb": round(peak, 1),
            "rows": rows, "rows_per_s": round(rows / wall) if wall else None}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))))
