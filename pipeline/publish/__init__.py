"""The publish stage: the open-data bundle of a build, read from the store.

``publish(con, catalogue, out_dir, config)`` writes into ``out_dir``:

- ``indicators.csv`` — tidy, one row per (city, indicator, year); ``sources.csv``,
  ``observations.csv`` and ``indicator_inputs.csv`` — the lineage, so a value can be followed to
  its inputs;
- ``datapackage.json`` (Frictionless), ``indicators.csv-metadata.json`` (CSVW),
  ``indicators.jsonstat.json`` (JSON-stat 2.0), ``indicators.parquet``;
- ``dcat.jsonld`` and ``dcat.ttl`` — the DCAT-AP 3 record, with the size and SHA-256 of every file.

It reads only the store and the catalogue (never the raw files) and writes nothing until every file
is ready. The same store, catalogue and configuration give byte-identical files.
"""

from __future__ import annotations

import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import replace
from pathlib import Path

import duckdb

from pipeline.catalogue import Catalogue
from pipeline.publish.config import DEFAULT_CONFIG, PublishConfig, load_config
from pipeline.publish.fields import INDICATORS, TABLES
from pipeline.publish.files import MEDIA_TYPES
from pipeline.publish.metadata import dataset_metadata
from pipeline.publish.models import PublishedFile, PublishReport
from pipeline.publish.tidy import PublishError, check_store, check_table, in_pieces_all, view_tables, views
from pipeline.publish.writers import DESCRIBING, WRITERS, Bundle, Writer

WRITER_THREADS = 2
"""Files of the bundle written side by side, each thread on a cursor of its own (DuckDB's threads
are busy only part of a writer's time: the rest is Arrow, hashing and writing)."""

BUNDLE_DIR = "open-data"
"""The bundle's folder inside a release."""


def _write(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, config: PublishConfig, config_file: str,
           out_dir: Path) -> tuple[list[str], PublishReport]:
    """Write every file of the bundle (:data:`~pipeline.publish.writers.WRITERS`, in their order)
    into ``out_dir`` as ``.<name>.tmp``; the names (in order) and the report.

    The tables are checked before anything is written; the CSV, JSON-stat and Parquet files are
    streamed from DuckDB, so no table is held in Python.
    """
    shared = view_tables(con, catalogue)
    with views(con, shared):
        tables = in_pieces_all(con)
        check_store(con)
        counts = {spec.name: check_table(con, tables[spec.name]) for spec in TABLES}
        meta = dataset_metadata(con, catalogue, config, config_file)
        reported = con.execute(f"SELECT count(*) FROM ({tables[INDICATORS.name].sql}) AS t "
                               "WHERE status = 'reported'").fetchall()[0][0]
        out_dir.mkdir(parents=True, exist_ok=True)
        bundle = Bundle(con, tables, meta)
        with ExitStack() as cursors, ThreadPoolExecutor(WRITER_THREADS) as pool:
            local = threading.local()

            def write_apart(name: str, write: Writer) -> tuple[int, str]:
                if not hasattr(local, "bundle"):  # each thread reads the store through a cursor of its own
                    cur = cursors.enter_context(closing(con.cursor()))
                    local.bundle = replace(bundle, con=cursors.enter_context(views(cur, shared)))
                with open(out_dir / f".{name}.tmp", "wb") as sink:
                    return write(local.bundle, sink)

            apart = {name: pool.submit(write_apart, name, write) for name, write in WRITERS if name not in DESCRIBING}
            try:
                for name, write in WRITERS:
                    if name in apart:
                        bundle.written[name] = apart[name].result()
                    else:  # once every file before it is written
                        with open(out_dir / f".{name}.tmp", "wb") as sink:
                            bundle.written[name] = write(bundle, sink)
            except BaseException:
                pool.shutdown(cancel_futures=True)  # the files not yet begun are not written
                raise
    report = PublishReport(
        dataset_id=meta.dataset_id, dataset_iri=meta.iri, version=meta.version, release_date=meta.release_date,
        release_date_derived=meta.release_date_derived, cities=[c.code for c in meta.cities],
        first_year=meta.first_year, last_year=meta.last_year, rows=counts[INDICATORS.name], reported=reported,
        files=[PublishedFile(path=name, bytes=size, sha256=sha, media_type=MEDIA_TYPES[name])
               for name, (size, sha) in bundle.written.items()])
    return list(bundle.written), report


def _discard(out_dir: Path, created: bool) -> None:
    for tmp in out_dir.glob(".*.tmp"):
        if tmp.name[1:-4] in MEDIA_TYPES:
            tmp.unlink(missing_ok=True)
    if created and out_dir.is_dir() and not any(out_dir.iterdir()):
        out_dir.rmdir()


def render(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, config: PublishConfig,
           config_file: str = str(DEFAULT_CONFIG)) -> tuple[dict[str, bytes], PublishReport]:
    """Every file of the bundle, in memory, and the report; nothing is written (small bundles only)."""
    with tempfile.TemporaryDirectory() as tmp:
        names, report = _write(con, catalogue, config, config_file, Path(tmp))
        return {name: (Path(tmp) / f".{name}.tmp").read_bytes() for name in names}, report


def publish(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, out_dir: Path, config: PublishConfig | None = None,
            config_file: str = str(DEFAULT_CONFIG)) -> PublishReport:
    """Write the open-data bundle of the store into ``out_dir``; return what was written.

    Raises :class:`~pipeline.problems.ProblemsFound` when the configuration lacks something the
    record needs (publisher, contact, a dataset id for several cities); nothing is written then.
    Every file is first written beside its place (``.<name>.tmp``) and they are all moved in only
    when every one is ready.
    """
    out_dir = Path(out_dir)
    created = not out_dir.exists()
    try:
        names, report = _write(con, catalogue, config or PublishConfig(), config_file, out_dir)
    except BaseException:
        _discard(out_dir, created)
        raise
    for name in names:
        os.replace(out_dir / f".{name}.tmp", out_dir / name)
    return report


__all__ = ["BUNDLE_DIR", "DEFAULT_CONFIG", "PublishConfig", "PublishError", "PublishReport", "load_config", "publish", "render"]
