"""Run one stage in a fresh process and print its costs as JSON (wall, CPU, peak memory, rows).

    python -m benchmarks.stage ingest|calculate|validate|publish|build|floor RAW WORKDIR

peak_mb is the largest resident size of this process; tree_peak_mb the largest memory of the
whole process tree, workers included (:mod:`benchmarks.memory`). Stages after ingest work on
WORKDIR/store.duckdb, so run them in order; ``build`` runs the whole build from RAW into
WORKDIR/release, ``floor`` the bare-DuckDB job.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from benchmarks.memory import TreeMemory


def main(stage: str, raw: Path, work: Path) -> dict:
    from pipeline.catalogue import load_catalogue

    cat = load_catalogue(Path("indicators"))
    t0, c0 = time.perf_counter(), time.process_time()
    with TreeMemory() as tree:
        rows, extra = run(stage, raw, work, cat)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the render and GX workers
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0 + children.ru_utime + children.ru_stime
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"stage": stage, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "peak_mb": round(peak, 1),
            "tree_peak_mb": tree.peak_mb, "rows": rows, "rows_per_s": round(rows / wall) if wall else None, **extra}


def run(stage: str, raw: Path, work: Path, cat) -> tuple[int, dict]:
    """Run ``stage``: the rows it handled, and what else it measured."""
    store = work / "store.duckdb"
    extra: dict = {}
    if stage == "ingest":
        from pipeline.ingest import ingest

        rows = ingest(raw, cat, store).observations
    elif stage == "calculate":
        from pipeline.calculate import calculate
        from pipeline.store import connect

        con = connect(store)
        rows = calculate(con, cat).results
        con.close()
    elif stage == "validate":
        from pipeline.store import connect
        from pipeline.validate import expectations, validate

        gx_time = [0.0]
        run = expectations.check

        def timed(*a, **kw):
            t = time.perf_counter()
            try:
                return run(*a, **kw)
            finally:
                gx_time[0] += time.perf_counter() - t

        expectations.check = timed
        con = connect(store)
        report = validate(con, cat)
        con.close()
        rows = sum(r.checked for r in report.rules)
        extra = {"gx_s": round(gx_time[0], 3), "findings": len(report.findings)}
    elif stage == "publish":
        from pipeline.publish import publish
        from pipeline.store import connect

        con = connect(store, read_only=True)
        rows = publish(con, cat, work / "open-data", bench_config()).rows
        con.close()
    elif stage == "build":
        from pipeline.build import build

        marks: list[tuple[str, float]] = []
        result = build(raw, work / "release", cat, reports=work / "reports", store=work / "build-store.duckdb",
                       pdf=False, publish_config=bench_config(), force=True,
                       progress=lambda step, *counts, **_: None if counts else marks.append((step, time.perf_counter())))
        rows = result.ingest.observations
        ends = [t for _, t in marks[1:]] + [time.perf_counter()]
        extra = {"steps": {step: round(end - start, 2) for (step, start), end in zip(marks, ends)}}
    elif stage == "floor":
        from benchmarks.floor import floor

        rows = floor(raw, work / "floor.csv", cat)
    else:
        raise SystemExit(f"unknown stage {stage}")
    return rows, extra


def bench_config():
    from pipeline.publish import PublishConfig
    from pipeline.publish.config import ContactPoint, Publisher

    return PublishConfig(dataset_id="iso37120-benchmark", publisher=Publisher(name="Benchmark", homepage="https://example.org/"),
                         contact=ContactPoint(name="Benchmark", email="bench@example.org"))


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))))
