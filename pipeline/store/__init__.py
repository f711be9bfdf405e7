"""The DuckDB store of one build: the one place where the stages meet.

Each stage reads the tables of the stages upstream of it and adds its own; the DDL of every table
is in ``schema.sql`` (the contract), and the rows it holds are described by the models in
:mod:`pipeline.store.models`.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

import duckdb
import pyarrow as pa

SCHEMA_SQL = files(__package__).joinpath("schema.sql").read_text(encoding="utf-8")


MEMORY_LIMIT = os.environ.get("ISO37120_MEMORY_LIMIT", "1GB")
"""DuckDB's memory for a store file; beyond it, DuckDB spills to ``<store>.tmp/`` (removed on
close) instead of growing, so a national build (2,500 cities × 10 years) stays within 2 GB in
all. ``ISO37120_MEMORY_LIMIT`` sets it (``4GB``, ``500MB``)."""

KEYS = {
    "observations": ("city_code", "year", "variable"),
    "results": ("city_code", "indicator_uid", "year"),
    "result_inputs": ("city_code", "indicator_uid", "year", "variable", "obs_year"),
}
"""The keys of the three big tables. They are not declared as primary keys: DuckDB keeps such an
index in memory it cannot spill (0.9 GB for results and result_inputs at national scale, beyond
the memory limit); :func:`check_keys` checks them once the rows are in."""


class DuplicateKey(RuntimeError):
    """A stage wrote two rows with the same key: a defect of the pipeline, not of the inputs (a
    figure given twice is refused by ingest, with its file and rows)."""


def check_keys(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Raise :class:`DuplicateKey` (naming the table and the first key given twice) if a key of
    :data:`KEYS` is not unique in the tables ``names``."""
    for name in names:
        key = ", ".join(_quote(c) for c in KEYS[name])
        found = con.execute(f"SELECT {key}, count(*) FROM {_quote(name)} GROUP BY ALL HAVING count(*) > 1 "
                            "ORDER BY ALL LIMIT 1").fetchall()  # all: no result left open on the connection
        if found:
            dup = found[0]
            raise DuplicateKey(f"{name}: {dict(zip(KEYS[name], dup[:-1], strict=True))} is there {dup[-1]} times; the key of {name} "
                               f"is ({', '.join(KEYS[name])})")


def connect(path: Path | str = ":memory:", read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a store; a new one gets the schema. Only the store file (and, while DuckDB spills,
    ``<store>.tmp/`` beside it) is ever touched."""
    config: dict[str, str | int] = {"threads": 2}
    if str(path) != ":memory:":
        config["memory_limit"] = MEMORY_LIMIT
    con = duckdb.connect(str(path), read_only=read_only, config=config)
    if not read_only:
        con.execute(SCHEMA_SQL)
    return con


def sandboxed(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Forbid file, network and extension access, and lock the configuration, from now on."""
    if con.execute("SELECT current_setting('lock_configuration')").fetchall()[0][0]:
        return con
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The store's base tables (not views, not temporary), in name order."""
    return [t for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary ORDER BY 1").fetchall()]


def export(con: duckdb.DuckDBPyConnection, directory: Path) -> list[Path]:
    """Write every table as ``<table>.parquet``, rows in the order of all their columns: the same
    store gives the same bytes. The big tables of :data:`KEYS` are written as they lie: ingest and
    calculate insert their rows in that order, and DuckDB keeps the order of insertion; sorting
    millions of wide rows again took most of the export."""
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for t in tables(con):
        path = directory / f"{t}.parquet"  # the path is an argument of the Python API, never SQL text
        con.sql(f"SELECT * FROM {_quote(t)}" + ("" if t in KEYS else " ORDER BY ALL")).write_parquet(str(path), compression="zstd")
        out.append(path)
    return out


def open_store(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A store to read: a DuckDB file, or a release folder whose ``store/`` holds the Parquet export."""
    path = Path(path)
    if path.is_dir():
        folder = path / "store" if (path / "store").is_dir() else path
        con = duckdb.connect(":memory:", config={"threads": 2})
        con.execute(SCHEMA_SQL)
        for t in tables(con):  # the schema's tables, not whatever files lie in the folder
            pq = folder / f"{t}.parquet"
            if pq.is_file():
                con.execute(f"INSERT INTO {_quote(t)} SELECT * FROM read_parquet(?)", [str(pq)])
        return con
    return connect(path, read_only=True)


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Append rows (tuples in the table's column order) through Arrow, in one statement."""
    if not rows:
        return
    cols = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()]
    con.register("_insert_rows", pa.Table.from_pylist([dict(zip(cols, r)) for r in rows]))
    try:
        con.execute(f"INSERT INTO {table} SELECT {', '.join(_quote(c) for c in cols)} FROM _insert_rows")
    finally:
        con.unregister("_insert_rows")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def decimal_text(expr: str) -> str:
    """SQL: a decimal as text without trailing zeros (100.500000 → 100.5, 100.000000 → 100; NULL
    stays NULL)."""
    return (f"(CASE WHEN contains(CAST({expr} AS VARCHAR), '.') THEN rtrim(rtrim(CAST({expr} AS VARCHAR), '0'), '.') "
            f"ELSE CAST({expr} AS VARCHAR) END)")


def literal(text: str) -> str:
    """A SQL string literal, for the ids and texts of the catalogue that rules and calculations
    name (ids are restricted by the catalogue's patterns as well). Never for a path or a raw
    value: those are parameters."""
    return "'" + text.replace("'", "''") + "'"
