"""The yearly build: every stage in order, into a new release that replaces the old one whole.

All outputs are written into a staging folder beside the output folder; only when every stage
succeeded is the staging folder moved into place (two renames, recovered on the next run if a
kill falls between them). A failed or interrupted build leaves the previous release as it was,
and the raw folder is only ever read.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from pipeline.calculate import calculate
from pipeline.catalogue import Catalogue
from pipeline.ingest import ingest
from pipeline.publish import BUNDLE_DIR, PublishConfig, PublishReport, load_config, publish
from pipeline.store import connect
from pipeline.store.models import CalculationSummary, IngestReport, ValidationReport
from pipeline.validate import validate

STORE = "store.duckdb"


class BuildResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    out: str
    ingest: IngestReport
    calculation: CalculationSummary
    publish: PublishReport
    validation: ValidationReport


class ReleaseBlocked(Exception):
    """Validation found errors that nobody accepted: nothing is released."""

    def __init__(self, report: ValidationReport, report_file: Path):
        self.report, self.report_file = report, report_file
        super().__init__(f"{report.blocking} validation error(s) block the release")


def _previous(out: Path) -> Path:
    return out.with_name(f".{out.name}.previous")


def recover(out: Path) -> None:
    """Finish or undo a release that a kill interrupted between its two renames."""
    prev = _previous(out)
    if prev.exists() and not out.exists():
        os.replace(prev, out)
    elif prev.exists():
        shutil.rmtree(prev)


def release(staging: Path, out: Path) -> None:
    """Put ``staging`` in the place of ``out``, keeping the old release until the new one is there."""
    prev = _previous(out)
    if out.exists():
        os.replace(out, prev)
    os.replace(staging, out)
    if prev.exists():
        shutil.rmtree(prev)


def write_json(path: Path, model: BaseModel) -> None:
    path.write_text(json.dumps(model.model_dump(mode="json"), indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                    encoding="utf-8")


def build(raw: Path, out: Path, catalogue: Catalogue, progress: Callable[[str], None] = lambda _: None,
          reports: Path = Path("reports"), publish_config: PublishConfig | None = None,
          publish_config_file: str = "config/publish.yaml") -> BuildResult:
    """Run every stage on the cities under ``raw`` and release the outputs into ``out``.

    Raises ProblemsFound for bad input and ReleaseBlocked for unaccepted validation errors
    (its report is written to ``reports/validation-report.json``); ``out`` is then unchanged.
    The open-data bundle goes to ``out/open-data/``, written with ``publish_config`` (when None,
    read from ``publish_config_file`` if that file exists)."""
    if publish_config is None and Path(publish_config_file).is_file():
        publish_config = load_config(Path(publish_config_file))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    recover(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    staging.chmod(0o755)
    try:
        progress("ingest")
        ingested = ingest(raw, catalogue, staging / STORE)
        write_json(staging / "ingest-report.json", ingested)
        progress("calculate")
        con = connect(staging / STORE)
        try:
            summary = calculate(con, catalogue)
            progress("validate")
            checked = validate(con, catalogue, previous=out / STORE if (out / STORE).is_file() else None)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        write_json(staging / "calculation-summary.json", summary)
        write_json(staging / "validation-report.json", checked)
        if checked.blocking:
            reports.mkdir(parents=True, exist_ok=True)
            write_json(reports / "validation-report.json", checked)
            raise ReleaseBlocked(checked, reports / "validation-report.json")
        progress("publish")
        con = connect(staging / STORE, read_only=True)
        try:
            published = publish(con, catalogue, staging / BUNDLE_DIR, publish_config, publish_config_file)
        finally:
            con.close()
        write_json(staging / "publish-report.json", published)
        progress("release")
        release(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return BuildResult(out=out.as_posix(), ingest=ingested, calculation=summary, publish=published, validation=checked)
