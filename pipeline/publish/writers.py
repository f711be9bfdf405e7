"""The files of the bundle as one list of writers with one call shape.

A writer gets the :class:`Bundle` (the store, its tables, the dataset's metadata, and the size and
SHA-256 of every file written before it) and a binary sink; it writes its file and returns its
size and SHA-256. The list is in writing order: the data package, the DCAT record and its Turtle
form describe the files written before them (:data:`DESCRIBING`); the others read only the store,
and run side by side. A new format is a new entry here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

import duckdb

from pipeline.publish import csvw, datapackage, dcat, jsonstat, parquet
from pipeline.publish.csvtext import write_csv
from pipeline.publish.fields import INDICATORS, TABLES
from pipeline.publish.files import (
    CSVW,
    DATAPACKAGE,
    DCAT_JSONLD,
    DCAT_TURTLE,
    DISTRIBUTIONS,
    JSONSTAT,
    PARQUET,
)
from pipeline.publish.metadata import Meta
from pipeline.publish.tidy import Table


@dataclass
class Bundle:
    con: duckdb.DuckDBPyConnection
    tables: dict[str, Table]
    meta: Meta
    written: dict[str, tuple[int, str]] = field(default_factory=dict)
    """(bytes, SHA-256) of each file written so far, by file name."""
    kept: dict[str, bytes] = field(default_factory=dict)
    """The bytes of a file a later one restates in another form (the DCAT record), by file name."""

    def keep(self, name: str, data: bytes) -> bytes:
        self.kept[name] = data
        return data


Writer = Callable[[Bundle, BinaryIO], tuple[int, str]]


def _bytes(data: bytes, sink: BinaryIO) -> tuple[int, str]:
    sink.write(data)
    return len(data), hashlib.sha256(data).hexdigest()


def _json(doc: dict) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def _dcat_jsonld(b: Bundle) -> bytes:
    return dcat.to_json(dcat.record(b.meta, [dcat.Published(d, *b.written[d.filename]) for d in DISTRIBUTIONS]))


WRITERS: list[tuple[str, Writer]] = [
    *[(t.path, lambda b, sink, t=t: write_csv(b.con, b.tables[t.name], sink)) for t in TABLES],
    (DATAPACKAGE, lambda b, sink: _bytes(_json(datapackage.descriptor(b.meta, [(t, *b.written[t.path]) for t in TABLES])), sink)),
    (CSVW, lambda b, sink: _bytes(_json(csvw.metadata(b.meta, TABLES)), sink)),
    (JSONSTAT, lambda b, sink: jsonstat.write(b.con, b.meta, b.tables[INDICATORS.name], sink)),
    (PARQUET, lambda b, sink: parquet.write_parquet(b.con, b.tables[INDICATORS.name], b.meta, sink)),
    (DCAT_JSONLD, lambda b, sink: _bytes(b.keep(DCAT_JSONLD, _dcat_jsonld(b)), sink)),
    (DCAT_TURTLE, lambda b, sink: _bytes(dcat.to_turtle(b.kept[DCAT_JSONLD]), sink)),
]
"""Every file of the bundle, in writing order."""

DESCRIBING = {DATAPACKAGE, DCAT_JSONLD, DCAT_TURTLE}
"""The writers that describe files written before them (their size and SHA-256): each runs once
those are written."""
