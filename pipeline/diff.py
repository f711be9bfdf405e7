"""What changed between two releases: values, reported indicators and inputs, as data.

``iso37120 diff OLD NEW`` compares two release folders (or their store files) in DuckDB:

- **values changed**: a value reported in both releases that differs, with the inputs of the new
  value marked ``revised`` (and their notes) that explain it; a change that no revised input
  explains is counted as unexplained;
- **newly reported** and **no longer reported**: a (city, indicator, year) reported in one release
  and not in the other;
- **inputs** added, removed or changed, by file id and SHA-256 (the store's ``input_files``).

The result is a :class:`ReleaseDiff` (``schemas/release-diff.schema.json``): the CLI prints it or
writes it as JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import duckdb
from pydantic import BaseModel, ConfigDict

from pipeline.store import decimal_text, open_store

DIFF_VERSION = "1.0"

_TABLES = {
    "results": "SELECT city_code, indicator_uid, year, status, value, value_text FROM results",
    "input_files": "SELECT file_id, sha256 FROM input_files",
    "cities": "SELECT city_code FROM cities",
}


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RevisedInput(_Row):
    """An input of the new value marked ``revised``: what explains a change."""

    variable: str
    year: int
    note: str | None
    file_id: str
    row: int | None


class ValueChange(_Row):
    city_code: str
    indicator_uid: str
    year: int
    old: str
    """The released value as text (a number without trailing zeros, or a fact in words)."""
    new: str
    revised_inputs: list[RevisedInput]
    """Empty: nothing marked revised explains the change."""


class CoverageChange(_Row):
    city_code: str
    indicator_uid: str
    year: int
    old_status: str | None
    """None: the release has no row for it (a new city, year or indicator)."""
    new_status: str | None


class InputChange(_Row):
    file_id: str
    change: Literal["added", "removed", "changed"]
    old_sha256: str | None
    new_sha256: str | None


class ReleaseDiff(_Row):
    """``iso37120 diff OLD NEW --format json``."""

    diff_version: str = DIFF_VERSION
    old: str
    new: str
    values_changed: list[ValueChange]
    unexplained: int
    """Changed values that no input marked revised explains."""
    newly_reported: list[CoverageChange]
    no_longer_reported: list[CoverageChange]
    inputs: list[InputChange]


def _load(con: duckdb.DuckDBPyConnection, release: Path, prefix: str) -> None:
    src = open_store(release)
    try:
        for table, sql in _TABLES.items():
            con.register(f"{prefix}_{table}", src.sql(sql).to_arrow_table())
        # the inputs of each new value that are marked revised, with their place
        if prefix == "new":
            con.register("new_revised", src.sql("""
                SELECT ri.city_code, ri.indicator_uid, ri.year, ri.variable, ri.obs_year, o.note, o.file_id, o.row
                FROM result_inputs ri JOIN observations o
                  ON o.city_code = ri.city_code AND o.year = ri.obs_year AND o.variable = ri.variable
                WHERE o.status = 'revised'""").to_arrow_table())
    finally:
        src.close()


CHANGED_SQL = f"""
SELECT n.city_code, n.indicator_uid, n.year,
       coalesce(o.value_text, {decimal_text('o.value')}) AS old,
       coalesce(n.value_text, {decimal_text('n.value')}) AS new,
       list({{'variable': r.variable, 'year': r.obs_year, 'note': r.note, 'file_id': r.file_id, 'row': r.row}}
            ORDER BY r.variable, r.obs_year) FILTER (WHERE r.variable IS NOT NULL) AS revised
FROM new_results n JOIN old_results o USING (city_code, indicator_uid, year)
LEFT JOIN new_revised r USING (city_code, indicator_uid, year)
WHERE n.status = 'reported' AND o.status = 'reported'
  AND (n.value IS DISTINCT FROM o.value OR n.value_text IS DISTINCT FROM o.value_text)
GROUP BY ALL
ORDER BY n.city_code, n.indicator_uid, n.year
"""

COVERAGE_SQL = """
SELECT coalesce(n.city_code, o.city_code) AS city_code, coalesce(n.indicator_uid, o.indicator_uid) AS indicator_uid,
       coalesce(n.year, o.year) AS year, o.status AS old_status, n.status AS new_status
FROM new_results n FULL JOIN old_results o USING (city_code, indicator_uid, year)
WHERE (n.status = 'reported') IS DISTINCT FROM (o.status = 'reported')
  AND (n.status = 'reported' OR o.status = 'reported')
ORDER BY 1, 2, 3
"""

INPUTS_SQL = """
SELECT coalesce(n.file_id, o.file_id) AS file_id,
       CASE WHEN o.file_id IS NULL THEN 'added' WHEN n.file_id IS NULL THEN 'removed' ELSE 'changed' END AS change,
       o.sha256 AS old_sha256, n.sha256 AS new_sha256
FROM new_input_files n FULL JOIN old_input_files o USING (file_id)
WHERE n.sha256 IS DISTINCT FROM o.sha256
ORDER BY 1
"""


def diff_releases(old: Path, new: Path) -> ReleaseDiff:
    """Compare two releases (folders with ``store/``, folders of the store's Parquet files such
    as a release's ``archive/previous``, or store files). FileNotFoundError when one is neither."""
    for path in (old, new):
        p = Path(path)
        if not (p.is_file() or (p / "store").is_dir() or (p / "results.parquet").is_file()):
            raise FileNotFoundError(f"{path} is neither a release folder (with store/) nor a store file")
    con = duckdb.connect(":memory:")
    try:
        _load(con, Path(old), "old")
        _load(con, Path(new), "new")
        changed = [ValueChange(city_code=c, indicator_uid=u, year=y, old=o, new=n,
                               revised_inputs=[RevisedInput(**r) for r in (revised or [])])
                   for c, u, y, o, n, revised in con.execute(CHANGED_SQL).fetchall()]
        coverage = [CoverageChange(city_code=c, indicator_uid=u, year=y, old_status=o, new_status=n)
                    for c, u, y, o, n in con.execute(COVERAGE_SQL).fetchall()]
        inputs = [InputChange(file_id=f, change=ch, old_sha256=o, new_sha256=n)
                  for f, ch, o, n in con.execute(INPUTS_SQL).fetchall()]
    finally:
        con.close()
    return ReleaseDiff(old=str(old), new=str(new), values_changed=changed,
                       unexplained=sum(1 for c in changed if not c.revised_inputs),
                       newly_reported=[c for c in coverage if c.new_status == "reported"],
                       no_longer_reported=[c for c in coverage if c.old_status == "reported"],
                       inputs=inputs)


__all__ = ["DIFF_VERSION", "CoverageChange", "InputChange", "ReleaseDiff", "RevisedInput", "ValueChange", "diff_releases"]
