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

import hashlib
import json
import os
from pathlib import Path

import duckdb

from pipeline.catalogue import Catalogue
from pipeline.publish import csvw, datapackage, dcat, jsonstat, parquet
from pipeline.publish.config import DEFAULT_CONFIG, PublishConfig, load_config
from pipeline.publish.fields import INDICATORS, TABLES
from pipeline.publish.files import CSVW, DATAPACKAGE, DCAT_JSONLD, DCAT_TURTLE, DISTRIBUTIONS, JSONSTAT, MEDIA_TYPES, PARQUET
from pipeline.publish.metadata import dataset_metadata
from pipeline.publish.models import PublishedFile, PublishReport
from pipeline.publish.tidy import PublishError, read_tables, to_csv

BUNDLE_DIR = "open-data"
"""The bundle's folder inside a release."""


def _json(doc: dict) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def render(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, config: PublishConfig,
           config_file: str = str(DEFAULT_CONFIG)) -> tuple[dict[str, bytes], PublishReport]:
    """Every file of the bundle, in memory, and the report; nothing is written."""
    tables = read_tables(con, catalogue)
    meta = dataset_metadata(con, catalogue, config, config_file)
    files: dict[str, bytes] = {t.path: to_csv(t, tables[t.name]) for t in TABLES}
    files[DATAPACKAGE] = _json(datapackage.descriptor(meta, [(t, len(files[t.path]), _sha(files[t.path])) for t in TABLES]))
    files[CSVW] = _json(csvw.metadata(meta, TABLES))
    files[JSONSTAT] = _json(jsonstat.dataset(meta, tables[INDICATORS.name], list(catalogue.indicators)))
    files[PARQUET] = parquet.to_parquet(INDICATORS, tables[INDICATORS.name], meta)
    published = [dcat.Published(d, len(files[d.filename]), _sha(files[d.filename])) for d in DISTRIBUTIONS]
    files[DCAT_JSONLD] = dcat.to_json(dcat.record(meta, published))
    files[DCAT_TURTLE] = dcat.to_turtle(files[DCAT_JSONLD])
    rows = tables[INDICATORS.name]
    report = PublishReport(
        dataset_id=meta.dataset_id, dataset_iri=meta.iri, version=meta.version, release_date=meta.release_date,
        release_date_derived=meta.release_date_derived, cities=[c.code for c in meta.cities],
        first_year=meta.first_year, last_year=meta.last_year, rows=len(rows),
        reported=sum(1 for r in rows if r["status"] == "reported"),
        files=[PublishedFile(path=name, bytes=len(data), sha256=_sha(data), media_type=MEDIA_TYPES[name])
               for name, data in files.items()])
    return files, report


def publish(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, out_dir: Path, config: PublishConfig | None = None,
            config_file: str = str(DEFAULT_CONFIG)) -> PublishReport:
    """Write the open-data bundle of the store into ``out_dir``; return what was written.

    Raises :class:`~pipeline.problems.ProblemsFound` when the configuration lacks something the
    record needs (publisher, contact, a dataset id for several cities); nothing is written then.
    """
    files, report = render(con, catalogue, config or PublishConfig(), config_file)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        tmp = out_dir / f".{name}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, out_dir / name)
    return report


__all__ = ["BUNDLE_DIR", "DEFAULT_CONFIG", "PublishConfig", "PublishError", "PublishReport", "load_config", "publish", "render"]
