"""The yearly build: every stage in order, into a new release that replaces the old one whole.

ingest → calculate → validate → publish → store export → archive → dossier → manifest → release.

All outputs are written into a staging folder beside the release folder; only when every stage
succeeded is it moved into place (two renames, recovered on the next run if a kill falls between
them). A failed, blocked or interrupted build leaves the previous release as it was, and the raw
folder is only ever read. One build runs at a time per release folder (a lock file). A build
whose inputs, definitions, code and configuration did not change does no work: its build id
equals the release's.

The release holds only files that the same build reproduces byte for byte (the DuckDB store is
exported as Parquet; the working store file itself is kept beside, in ``--store``, for queries).
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict

from pipeline import release as rel
from pipeline.calculate import calculate
from pipeline.catalogue import Catalogue
from pipeline.diff import ReleaseDiff, diff_releases
from pipeline.dossier import DOSSIER_DIR, PdfError, find_chromium, page_names, print_pdf, start_dossier, write_comparison
from pipeline.ingest import count_cities, ingest
from pipeline.i18n import N_, languages, msg
from pipeline.problems import Problem, ProblemsFound
from pipeline.publish import BUNDLE_DIR, PublishConfig, PublishReport, load_config, publish
from pipeline.publish.metadata import dataset_id_required
from pipeline.store import connect, export
from pipeline.store.models import CalculationSummary, IngestReport, Manifest, ValidationReport
from pipeline.site import render_site
from pipeline.validate import expectations, validate

WORK_STORE = Path("data/work/store.duckdb")
REPORT_FILES = {
    "ingest": ("ingest-report.json", IngestReport),
    "calculation": ("calculation-summary.json", CalculationSummary),
    "validation": ("validation-report.json", ValidationReport),
    "publish": ("publish-report.json", PublishReport),
}


class BuildResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    out: str
    up_to_date: bool
    """True when nothing changed since the release, so no stage ran."""
    manifest: Manifest
    ingest: IngestReport
    calculation: CalculationSummary
    validation: ValidationReport
    publish: PublishReport
    reports: list[str]
    """Files written to the reports folder (dossiers, PDFs)."""


class ReleaseBlocked(Exception):
    """Validation found errors that nobody accepted: nothing is released."""

    def __init__(self, report: ValidationReport, report_file: Path):
        self.report, self.report_file = report, report_file
        super().__init__(f"{report.blocking} validation error(s) block the release")


def _previous(out: Path) -> Path:
    return out.with_name(f".{out.name}.previous")


def recover(out: Path) -> None:
    """Finish or undo a release that a kill interrupted, and remove what dead builds left."""
    prev = _previous(out)
    if prev.exists() and not out.exists():
        os.replace(prev, out)
    elif prev.exists():
        shutil.rmtree(prev)
    for stale in out.parent.glob(f".{out.name}.staging-*"):
        shutil.rmtree(stale, ignore_errors=True)


def release(staging: Path, out: Path) -> None:
    """Put ``staging`` in the place of ``out``, keeping the old release until the new one is there."""
    prev = _previous(out)
    if out.exists():
        os.replace(out, prev)
    os.replace(staging, out)
    if prev.exists():
        shutil.rmtree(prev)


@contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """One build at a time per release folder; a second one stops at once with a clear message."""
    lock_path = out.parent / f".{out.name}.lock"
    lock = FileLock(lock_path, blocking=False)  # fcntl on POSIX, msvcrt on Windows
    try:
        lock.acquire()
    except Timeout:
        raise ProblemsFound([Problem(file=str(lock_path), rule="build_running",
                                     **msg(N_("another build is writing {out}; wait for it to finish"), out=out))],
                            "build") from None
    try:
        yield
    finally:
        lock.release()


def write_json(path: Path, model: BaseModel) -> None:
    data = json.dumps(model.model_dump(mode="json"), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(data, encoding="utf-8")
    os.replace(tmp, path)


DOSSIER_CITY_LIMIT = 50
"""With ``dossiers="auto"`` the build writes every city's certification dossier into the release
up to this many cities, and none above: at national scale they would take most of the build's
time and tens of gigabytes, while the release's site has every city's evidence in a compact page.
``iso37120 dossier --city CODE`` writes the dossier of the cities one needs from the store."""
DOSSIER_CHOICES = ("auto", "all", "none")


def _silent(*_, **__) -> None:
    """The progress of a build nobody follows."""


def build(raw: Path, out: Path, catalogue: Catalogue, *, reports: Path = Path("reports"),
          store: Path = WORK_STORE, langs: Sequence[str] | None = None, pdf: bool = True, dossiers: str = "auto",
          publish_config: PublishConfig | None = None, publish_config_file: str = "config/publish.yaml",
          force: bool = False, previous: rel.Previous | None = None, progress: Callable[..., None] = _silent,
          note: Callable[[str], None] = lambda _: None) -> BuildResult:
    """Run every stage on the cities under ``raw`` and release the outputs into ``out``.

    The values are compared with those of ``previous`` (by default the release now in ``out``)
    for the revision rule; what was read of it is archived in the new release.

    Raises ProblemsFound for bad input (and when another build holds the release folder) and
    ReleaseBlocked for unaccepted validation errors (its report is written to
    ``reports/validation-report.json``); ``out`` is then unchanged. ``progress(stage)`` is told
    each stage as it starts, and ``progress(stage, done, total)`` how far a long stage is: the
    files read by ingest (with ``rows=`` the table rows they held), the cities of the dossiers
    and of the site as they are written."""
    expectations.warm_up()  # Great Expectations is imported in a worker while the build starts, ingests and calculates
    raw, out, reports = Path(raw), Path(out), Path(reports)
    langs = list(langs or languages())  # by default every language that has a message catalogue
    config_path = Path(publish_config_file)
    if publish_config is None and config_path.is_file():
        publish_config = load_config(config_path)
    publish_config = publish_config or PublishConfig()
    if dossiers not in DOSSIER_CHOICES:
        raise ValueError(f"dossiers is {dossiers!r}, not one of {DOSSIER_CHOICES}")
    configuration = {"langs": ",".join(langs), "publish_config": publish_config.model_dump_json(),
                     "catalogue_edition_ids": ",".join(sorted(catalogue.editions)), "dossiers": dossiers}
    if publish_config.dataset_id is None and (n := count_cities(raw)) > 1:  # before hours of work, not after
        raise ProblemsFound([dataset_id_required(n, str(config_path))], "configuration")
    out.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(out):
        recover(out)
        build_id = rel.build_id(raw, catalogue.root, configuration)
        current = rel.read_manifest(out)
        if current is not None and current.build_id == build_id and not force:
            progress("up to date")
            return _result(out, current, up_to_date=True, reports=_publish_reports(out, reports, pdf, note))
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
        staging.chmod(0o755)
        work = staging / ".work" / "store.duckdb"
        work.parent.mkdir()
        try:
            with ThreadPoolExecutor(1) as background:
                manifest = _run(raw, catalogue, staging, work, reports, configuration, build_id, langs, publish_config,
                                str(config_path), previous or rel.previous_of(out), background, progress, note)
            store.parent.mkdir(parents=True, exist_ok=True)
            os.replace(work, store)
            shutil.rmtree(work.parent)
            progress("release")
            release(staging, out)
        except ReleaseBlocked:
            if work.exists():  # keep the blocked build's store for queries (explain, validate)
                store.parent.mkdir(parents=True, exist_ok=True)
                os.replace(work, store)
            raise
        finally:
            if staging.exists():
                shutil.rmtree(staging)
    return _result(out, manifest, up_to_date=False, reports=_publish_reports(out, reports, pdf, note))


def _run(raw: Path, catalogue: Catalogue, staging: Path, work: Path, reports: Path,
         configuration: dict[str, str], build_id: str, langs: Sequence[str], publish_config: PublishConfig,
         config_file: str, previous: rel.Previous | None, background: ThreadPoolExecutor, progress: Callable[..., None],
         note: Callable[[str], None]) -> Manifest:
    progress("ingest")
    ingested = ingest(raw, catalogue, work, counted=lambda done, total, rows: progress("ingest", done, total, rows=rows))
    # the inputs are copied into the archive while DuckDB calculates (its SQL leaves this thread the interpreter)
    archiving = background.submit(rel.archive, raw, catalogue.root, staging)
    progress("calculate")
    con = connect(work)
    try:
        summary = calculate(con, catalogue)  # runs sandboxed: this connection can no longer touch files
    finally:
        con.close()
    con = connect(work)
    try:
        progress("validate")
        compared = rel.archive_previous(previous, staging) if previous else None
        later: list[Callable[[], None]] = []  # Great Expectations' cross-check, made once the bundle is written
        checked = validate(con, catalogue, previous=staging / rel.PREVIOUS_DIR if compared else None, later=later)
        if checked.blocking:
            for check in later:
                check()
            reports.mkdir(parents=True, exist_ok=True)
            write_json(reports / "validation-report.json", checked)
            raise ReleaseBlocked(checked, reports / "validation-report.json")
        progress("publish")
        published = publish(con, catalogue, staging / BUNDLE_DIR, publish_config, config_file)
        for check in later:
            check()
        expectations.stop()  # its memory back for the stages after
        progress("export")
        export(con, staging / "store")
        for key, model in (("ingest", ingested), ("calculation", summary), ("validation", checked), ("publish", published)):
            write_json(staging / REPORT_FILES[key][0], model)
        archiving.result()  # the archive is complete before the manifest lists it
        years = [y for (y,) in con.execute("SELECT DISTINCT year FROM calculation_keys ORDER BY 1").fetchall()]
        editions = [e for (e,) in con.execute("SELECT DISTINCT unnest(editions) AS e FROM cities ORDER BY 1").fetchall()]

        hashed: dict[tuple, str] = {}  # each file of the release is hashed once, however often it is listed

        def manifest() -> Manifest:
            return rel.manifest(staging, build_id, ingested.files, configuration, editions, years, catalogue.root,
                                published.release_date, compared, memo=hashed)

        progress("dossier")
        shown = manifest()  # as the dossiers and the site show it: the bundle's files, not yet the pages
        cities = con.execute("SELECT count(*) FROM cities").fetchone()[0]
        wanted = configuration["dossiers"]
        rendering: Callable[[], list[Path]] = list  # the dossiers' workers go on while the site is written
        pages = None
        if wanted == "all" or wanted == "auto" and cities <= DOSSIER_CITY_LIMIT:
            rendering = start_dossier(con, catalogue, staging / DOSSIER_DIR, langs, manifest=shown, pdf=False,
                                      counted=lambda done, total: progress("dossier", done, total))
            pages = page_names(con, langs)
        else:  # the comparison still sets every city side by side
            (staging / DOSSIER_DIR).mkdir()
            write_comparison(con, catalogue, staging / DOSSIER_DIR, list(langs))
            if wanted == "auto":
                note(f"Dossiers left out: {cities} cities are more than the build writes ({DOSSIER_CITY_LIMIT}); the site "
                     "has every city, and `iso37120 dossier --city CODE` writes the dossier of a city from the store "
                     "(`--dossiers all` writes them all).")
        progress("site")
        try:
            render_site(con, catalogue, staging, langs, manifest=shown, dossiers=pages,
                        changes=_changes(previous, staging, build_id) if compared else None,
                        counted=lambda kind, done, total: progress("site", done, total) if kind == "cities" else None)
        finally:
            rendering()
    finally:
        con.close()
    final = manifest()
    write_json(staging / rel.MANIFEST, final)
    return final


def _changes(previous: rel.Previous, staging: Path, build_id: str) -> ReleaseDiff:
    """What changed since the previous release (as archived in the new one, so that ``verify``
    compares the same), named by the two build ids."""
    changes = diff_releases(staging / rel.PREVIOUS_DIR, staging)
    return changes.model_copy(update={"old": previous.build_id, "new": build_id})


PDF_PAGE_LIMIT = 20
"""The build prints PDFs only when the release has at most this many dossier pages (ten cities in
two languages): a national build would otherwise spend hours in Chromium. ``iso37120 dossier
--city CODE --pdf`` prints the cities one needs."""


def link_or_copy(src: Path, dst: Path) -> None:
    """Put ``src`` at ``dst`` atomically: a hard link where the file system allows, else a copy."""
    tmp = dst.with_name(f".{dst.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _publish_reports(out: Path, reports: Path, pdf: bool, note: Callable[[str], None]) -> list[str]:
    """Link (or copy) the released dossiers, comparison and validation report into ``reports``;
    print the dossier pages that changed to PDF there."""
    reports.mkdir(parents=True, exist_ok=True)
    released = sorted((out / DOSSIER_DIR).glob("*")) + [out / "validation-report.json"]
    pages = [src for src in released if src.name.startswith("dossier-") and src.suffix == ".html"]
    printing = pdf and len(pages) <= PDF_PAGE_LIMIT
    written, changed = [], []
    for src in released:
        dst = reports / src.name
        if dst.is_file() and os.path.samefile(src, dst):
            written.append(dst)
            continue
        same = printing and dst.is_file() and filecmp.cmp(src, dst, shallow=False)
        link_or_copy(src, dst)
        if not same:
            changed.append(dst)
        written.append(dst)
    if pdf and not printing:
        note(f"PDF skipped: {len(pages)} dossier pages are more than the build prints ({PDF_PAGE_LIMIT}); "
             "print the cities you need with `iso37120 dossier --city CODE`.")
    todo = [reports / p.name for p in pages if reports / p.name in changed or not (reports / p.name).with_suffix(".pdf").is_file()]
    if printing and todo:
        chromium = find_chromium()
        if chromium is None:
            note("PDF skipped: Chromium is not installed; the HTML dossier prints to PDF from any browser.")
        released_manifest = rel.read_manifest(out)  # the PDFs are dated with the release date, never the clock
        for page in todo if chromium else []:
            try:
                print_pdf(page, page.with_suffix(".pdf"), chromium,
                          release_date=released_manifest.release_date if released_manifest else None)
            except PdfError as e:
                note(f"PDF skipped: {e}")
    written += [p.with_suffix(".pdf") for p in written if p.suffix == ".html" and p.with_suffix(".pdf").is_file()]
    return [p.as_posix() for p in written]


def _result(out: Path, manifest: Manifest, up_to_date: bool, reports: list[str]) -> BuildResult:
    loaded = {key: model.model_validate_json((out / name).read_text(encoding="utf-8"))
              for key, (name, model) in REPORT_FILES.items()}
    return BuildResult(out=out.as_posix(), up_to_date=up_to_date, manifest=manifest, reports=reports, **loaded)


def verify(release_dir: Path, scratch: Path, progress: Callable[..., None] = _silent) -> rel.VerifyReport:
    """Re-run a release from its archived inputs and definitions, with its configuration, in
    ``scratch``; compare every file of the release, as it is on disk, with the re-run's. Raises
    ProblemsFound if the release has no readable manifest or archive."""
    from pipeline.catalogue import load_catalogue

    release_dir = Path(release_dir)
    released = rel.read_manifest(release_dir)
    archive = release_dir / rel.ARCHIVE
    if released is None or not (archive / "raw").is_dir() or not (archive / "indicators").is_dir():
        raise ProblemsFound([Problem(file=str(release_dir), rule="not_a_release",
                                     **msg(N_("no readable {manifest} and {archive}/ here: is this a release folder?"),
                                           manifest=rel.MANIFEST, archive=rel.ARCHIVE))], "release")
    progress("checking the release against its manifest")
    mismatches = rel.integrity(release_dir, released)
    cfg = PublishConfig.model_validate_json(released.configuration["publish_config"])
    previous = (rel.Previous(released.previous.build_id, release_dir / rel.PREVIOUS_DIR)
                if released.previous is not None else None)
    result = build(archive / "raw", scratch / "out", load_catalogue(archive / "indicators"), reports=scratch / "reports",
                   store=scratch / "store.duckdb", langs=released.configuration["langs"].split(","), pdf=False,
                   dossiers=released.configuration.get("dossiers", "auto"),
                   publish_config=cfg, force=True, previous=previous, progress=progress)
    return rel.VerifyReport(release=release_dir.as_posix(), build_id=released.build_id,
                            rerun_build_id=result.manifest.build_id, code_version=released.code_version,
                            rerun_code_version=result.manifest.code_version,
                            files_compared=len(result.manifest.outputs), integrity=mismatches,
                            differences=rel.compare(rel.outputs(release_dir), result.manifest.outputs))
