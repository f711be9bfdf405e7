"""What makes a release reproducible: its build id, manifest, archived inputs, and verification.

A release folder holds the outputs, ``manifest.json`` and ``archive/`` (a copy of the raw inputs
and of the definitions it was built from). The build id is a SHA-256 over everything that
decides the outputs — input files, definitions, code version, dependency lock, configuration —
so an unchanged build is recognised without doing the work again, and ``verify`` can re-run a
release from its archive and compare every output file by file.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel

from pipeline import __version__
from pipeline.files import Walk, walk
from pipeline.i18n import N_, msg
from pipeline.problems import ProblemsFound
from pipeline.store.models import InputFile, Manifest, OutputFile, PreviousRelease

MANIFEST = "manifest.json"
ARCHIVE = "archive"
STORE = "store.duckdb"
CATALOGUE_FOLDER = "catalogue folder"
PACKAGES = ("duckdb", "pandas", "pyarrow", "pydantic", "great-expectations", "jinja2", "openpyxl", "sqlglot",
            "ruamel.yaml", "typer", "frictionless", "pyshacl")
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def sha256_file(path: Path, memo: dict[tuple, str] | None = None) -> str:
    """The file's SHA-256; with ``memo`` (kept by the caller), a file whose path and stat are there
    is not read again (a build lists its release's outputs twice: for its pages, then in its
    manifest)."""
    key = None
    if memo is not None:
        st = os.stat(path)
        key = (os.fspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if key in memo:
            return memo[key]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    if key is not None:
        memo[key] = h.hexdigest()
    return h.hexdigest()


def inputs_of(root: Path, folder_name: str) -> Walk:
    """The files of a folder the build reads (:func:`pipeline.files.walk`); raises ProblemsFound
    for a link leading outside it, and the like."""
    found = walk(root, folder_name)
    found.raise_problems("input" if folder_name == "raw folder" else "catalogue")
    return found


def tree_digest(root: Path, folder_name: str = "raw folder", memo: dict[tuple, str] | None = None) -> str:
    """SHA-256 over the relative paths and contents of every file the build reads under ``root``
    (``memo``: see :func:`sha256_file`)."""
    h = hashlib.sha256()
    found = inputs_of(root, folder_name)
    for p in found.files:
        h.update(found.relative(p).encode() + b"\0" + sha256_file(p, memo).encode() + b"\n")
    return h.hexdigest()


def code_version() -> str:
    """The package version, and the git commit when the code runs from a checkout."""
    try:
        commit = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short=12", "HEAD"],
                                capture_output=True, text=True, timeout=5, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__


def lock_sha256() -> str:
    lock = PROJECT_ROOT / "requirements.lock"
    return sha256_file(lock) if lock.is_file() else "unknown"


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def build_id(raw: Path, catalogue_root: Path, configuration: dict[str, str], code: str | None = None,
             lock: str | None = None) -> str:
    """The build id of ``raw`` and ``catalogue_root`` with this code and lock file (or the given ones)."""
    h = hashlib.sha256()
    for part in (tree_digest(raw), tree_digest(catalogue_root, CATALOGUE_FOLDER), code or code_version(),
                 lock or lock_sha256(), json.dumps(configuration, sort_keys=True)):
        h.update(part.encode() + b"\n")
    return h.hexdigest()


def archive(raw: Path, catalogue_root: Path, release: Path) -> None:
    """Copy the raw inputs and the definitions into the release, for ``verify`` to re-run: the
    files the walk lists, each as a regular file (a link inside the folder becomes a copy)."""
    for root, folder_name, target in ((raw, "raw folder", "raw"), (catalogue_root, CATALOGUE_FOLDER, "indicators")):
        found = inputs_of(root, folder_name)
        for p in found.files:
            dst = release / ARCHIVE / target / found.relative(p)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, dst)


PREVIOUS_DIR = f"{ARCHIVE}/previous"
PREVIOUS_TABLES = ("results", "observations", "input_files", "cities")
"""What the build reads of the previous release: its values and the inputs behind them (the
revision rule), its input files and cities (the site's page of changes)."""


@dataclass(frozen=True)
class Previous:
    """A release to compare with: its build id and the folder of its tables as Parquet files."""

    build_id: str
    folder: Path


def previous_of(out: Path) -> Previous | None:
    """The release now in ``out``, if it has a manifest and its results."""
    current = read_manifest(out)
    store = out / "store"
    return Previous(current.build_id, store) if current is not None and (store / "results.parquet").is_file() else None


def archive_previous(previous: Previous, release: Path) -> PreviousRelease:
    """Copy what the build reads of the previous release into the new release's archive, so
    ``verify`` can compare with exactly that again."""
    folder = release / PREVIOUS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for table in PREVIOUS_TABLES:
        src = previous.folder / f"{table}.parquet"
        if src.is_file():
            shutil.copyfile(src, folder / src.name)
            files.append(OutputFile(path=f"{PREVIOUS_DIR}/{src.name}", bytes=src.stat().st_size, sha256=sha256_file(folder / src.name)))
    return PreviousRelease(build_id=previous.build_id, files=files)


def _files(release: Path, under: str | None, memo: dict[tuple, str] | None = None) -> list[OutputFile]:
    """The files of the release with their size and SHA-256: those under ``under`` (``archive``),
    or, with None, every file but the manifest, the archive and hidden working files."""
    found = []
    for p in sorted(release.rglob("*")):
        parts = p.relative_to(release).parts
        if not p.is_file() or parts[0].startswith("."):
            continue
        if (parts[0] == under) if under else (p.name != MANIFEST and parts[0] != ARCHIVE):
            found.append(OutputFile(path="/".join(parts), bytes=p.stat().st_size, sha256=sha256_file(p, memo)))
    return found


def outputs(release: Path, memo: dict[tuple, str] | None = None) -> list[OutputFile]:
    """Every file of the release but the manifest, the archive and hidden working files."""
    return _files(release, None, memo)


def archived(release: Path, memo: dict[tuple, str] | None = None) -> list[OutputFile]:
    """Every file under the release's ``archive/``."""
    return _files(release, ARCHIVE, memo)


def manifest(release: Path, the_build_id: str, inputs: list[InputFile], configuration: dict[str, str],
             editions: list[str], years: list[int], definitions: Path, release_date: date | None,
             previous: PreviousRelease | None = None, memo: dict[tuple, str] | None = None) -> Manifest:
    """The manifest of the release being written in ``release`` (``memo``: see :func:`sha256_file`)."""
    return Manifest(
        build_id=the_build_id, release_date=release_date, code_version=code_version(), lock_sha256=lock_sha256(),
        python=platform.python_version(), packages=package_versions(), configuration=configuration,
        editions=editions, reference_years=years, definitions_sha256=tree_digest(definitions, CATALOGUE_FOLDER, memo),
        inputs=inputs, outputs=outputs(release, memo), archive=archived(release, memo), previous=previous)


def read_manifest(release: Path) -> Manifest | None:
    path = release / MANIFEST
    if not path.is_file():
        return None
    try:
        return Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


class Difference(BaseModel):
    path: str
    status: str
    """changed | missing (in the re-run) | extra (only in the re-run)"""
    released_sha256: str | None
    rerun_sha256: str | None


class Mismatch(BaseModel):
    """A file of the release, or a claim of its manifest, that does not match the manifest."""

    path: str
    what: str
    """output | archive | input (an archived raw file, named by its file id) | definitions | build_id"""
    status: str
    """changed | missing (listed, not on disk) | unlisted (on disk, not listed) | inconsistent (two
    claims of the manifest disagree)"""
    manifest_sha256: str | None
    actual_sha256: str | None
    message: str
    """What it means, in English."""
    message_id: str | None = None
    """The message's template in the message catalogues (see :func:`pipeline.i18n.msg`)."""
    message_args: dict[str, str] | None = None


_AGAINST = {
    ("output", "missing"): N_("output {path} is listed in the manifest but not in the release"),
    ("output", "unlisted"): N_("output {path} is in the release but not listed in the manifest"),
    ("output", "changed"): N_("output {path} has a SHA-256 other than the manifest's"),
    ("archive", "missing"): N_("archive {path} is listed in the manifest but not in the release"),
    ("archive", "unlisted"): N_("archive {path} is in the release but not listed in the manifest"),
    ("archive", "changed"): N_("archive {path} has a SHA-256 other than the manifest's"),
}


def _against(listed: list[OutputFile], found: list[OutputFile], what: str) -> list[Mismatch]:
    claim, real = {f.path: f.sha256 for f in listed}, {f.path: f.sha256 for f in found}
    out = []
    for path in sorted(claim.keys() | real.keys()):
        a, b = claim.get(path), real.get(path)
        if a == b:
            continue
        status = "missing" if b is None else "unlisted" if a is None else "changed"
        out.append(Mismatch(path=path, what=what, status=status, manifest_sha256=a, actual_sha256=b,
                            **msg(_AGAINST[what, status], path=path)))
    return out


def integrity(release: Path, released: Manifest) -> list[Mismatch]:
    """Every output and archived file against the manifest, and the manifest against itself: the
    raw inputs it lists against the archived files, the definitions' digest and the build id
    against the archive they are the hashes of."""
    found = _against(released.outputs, outputs(release), "output")
    archive_files = archived(release)
    found += _against(released.archive, archive_files, "archive")
    on_disk = {f.path: f.sha256 for f in archive_files}
    for f in released.inputs:
        path = f"{ARCHIVE}/raw/{f.file_id}"
        if on_disk.get(path) != f.sha256:
            found.append(Mismatch(path=path, what="input", status="missing" if path not in on_disk else "changed",
                                  manifest_sha256=f.sha256, actual_sha256=on_disk.get(path),
                                  **msg(N_("input {file}: the archived file does not have the SHA-256 the manifest gives"),
                                        file=f.file_id)))
    for f in released.previous.files if released.previous else []:
        if on_disk.get(f.path) != f.sha256:
            found.append(Mismatch(path=f.path, what="previous", status="missing" if f.path not in on_disk else "changed",
                                  manifest_sha256=f.sha256, actual_sha256=on_disk.get(f.path),
                                  **msg(N_("what was read of the previous release {build} is not what the manifest gives"),
                                        build=released.previous.build_id[:12])))
    raw, indicators = release / ARCHIVE / "raw", release / ARCHIVE / "indicators"
    try:
        definitions = tree_digest(indicators, CATALOGUE_FOLDER)
        rebuilt = build_id(raw, indicators, released.configuration, released.code_version, released.lock_sha256)
    except ProblemsFound as e:
        return [*found, Mismatch(path=ARCHIVE, what="archive", status="changed", manifest_sha256=None, actual_sha256=None,
                                 **msg(N_("the archive cannot be read as inputs: {problem}"), problem=e.problems[0]))]
    if definitions != released.definitions_sha256:
        found.append(Mismatch(path=f"{ARCHIVE}/indicators", what="definitions", status="inconsistent",
                              manifest_sha256=released.definitions_sha256, actual_sha256=definitions,
                              **msg(N_("the archived definitions are not those whose digest the manifest gives"))))
    if rebuilt != released.build_id:
        found.append(Mismatch(path=MANIFEST, what="build_id", status="inconsistent", manifest_sha256=released.build_id,
                              actual_sha256=rebuilt, **msg(N_("the manifest's build id is not the hash of its archive, code "
                                                              "version, lock file and configuration"))))
    return found


class VerifyReport(BaseModel):
    """What ``iso37120 verify`` found: the release against its manifest, then the re-run's outputs
    against the release's, file by file."""

    release: str
    build_id: str
    rerun_build_id: str
    code_version: str
    rerun_code_version: str
    files_compared: int
    integrity: list[Mismatch]
    """Files (and claims) of the release that do not match its manifest."""
    differences: list[Difference]
    """Outputs of the re-run that differ from the release's."""

    @property
    def identical(self) -> bool:
        return not self.integrity and not self.differences and self.build_id == self.rerun_build_id


def compare(released: list[OutputFile], rerun: list[OutputFile]) -> list[Difference]:
    old = {o.path: o.sha256 for o in released}
    new = {o.path: o.sha256 for o in rerun}
    out = []
    for path in sorted(old.keys() | new.keys()):
        a, b = old.get(path), new.get(path)
        if a != b:
            out.append(Difference(path=path, status="missing" if b is None else "extra" if a is None else "changed",
                                  released_sha256=a, rerun_sha256=b))
    return out
