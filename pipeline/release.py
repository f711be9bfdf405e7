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
import platform
import shutil
import subprocess
from datetime import date
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel

from pipeline import __version__
from pipeline.store.models import InputFile, Manifest, OutputFile

MANIFEST = "manifest.json"
ARCHIVE = "archive"
STORE = "store.duckdb"
PACKAGES = ("duckdb", "pandas", "pyarrow", "pydantic", "great-expectations", "jinja2", "openpyxl", "sqlglot",
            "ruamel.yaml", "typer", "frictionless", "pyshacl")
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tree_digest(root: Path) -> str:
    """SHA-256 over the relative paths and contents of every file under ``root`` (hidden files,
    which ingest ignores, excepted)."""
    h = hashlib.sha256()
    for p in sorted(q for q in root.rglob("*")
                    if q.is_file() and not any(part.startswith(".") for part in q.relative_to(root).parts)):
        h.update(p.relative_to(root).as_posix().encode() + b"\0" + sha256_file(p).encode() + b"\n")
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


def build_id(raw: Path, catalogue_root: Path, configuration: dict[str, str]) -> str:
    h = hashlib.sha256()
    for part in (tree_digest(raw), tree_digest(catalogue_root), code_version(), lock_sha256(),
                 json.dumps(configuration, sort_keys=True)):
        h.update(part.encode() + b"\n")
    return h.hexdigest()


def archive(raw: Path, catalogue_root: Path, release: Path) -> None:
    """Copy the raw inputs and the definitions into the release, for ``verify`` to re-run."""
    shutil.copytree(raw, release / ARCHIVE / "raw", ignore=shutil.ignore_patterns(".*"))
    shutil.copytree(catalogue_root, release / ARCHIVE / "indicators", ignore=shutil.ignore_patterns(".*"))


def outputs(release: Path) -> list[OutputFile]:
    """Every file of the release but the manifest, the archive and hidden working files, with its
    size and SHA-256."""
    return [OutputFile(path=p.relative_to(release).as_posix(), bytes=p.stat().st_size, sha256=sha256_file(p))
            for p in sorted(release.rglob("*"))
            if p.is_file() and p.name != MANIFEST and p.relative_to(release).parts[0] != ARCHIVE
            and not p.relative_to(release).parts[0].startswith(".")]


def manifest(release: Path, the_build_id: str, inputs: list[InputFile], configuration: dict[str, str],
             editions: list[str], years: list[int], definitions: Path, release_date: date | None) -> Manifest:
    return Manifest(
        build_id=the_build_id, release_date=release_date, code_version=code_version(), lock_sha256=lock_sha256(),
        python=platform.python_version(), packages=package_versions(), configuration=configuration,
        editions=editions, reference_years=years, definitions_sha256=tree_digest(definitions),
        inputs=inputs, outputs=outputs(release))


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


class VerifyReport(BaseModel):
    """What ``iso37120 verify`` found: the re-run's outputs against the release's, file by file."""

    release: str
    build_id: str
    rerun_build_id: str
    code_version: str
    rerun_code_version: str
    files_compared: int
    differences: list[Difference]

    @property
    def identical(self) -> bool:
        return not self.differences and self.build_id == self.rerun_build_id


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
