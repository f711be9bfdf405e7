"""A cache of the loaded catalogue, so that a run does not parse ~430 YAML files again.

Reading the catalogue with ruamel.yaml's round-trip loader (which keeps the line numbers that the
problems cite) and checking it takes seconds; most runs read a catalogue that has not changed
since the last one. A catalogue that loaded without a problem is therefore kept, pickled, in the
user's cache folder, under a key that covers everything the load depends on:

- the catalogue folder as given (the paths a :class:`Catalogue` holds are built from it), the
  names and kinds of its top-level entries, and the relative path and SHA-256 of every file the
  load reads (:func:`pipeline.files.walk`, the same list that the build hashes and archives);
- the code: the package version and the SHA-256 of every module of the ``pipeline`` package, the
  Python version, and the versions of the libraries that parse, validate and compile the
  definitions (ruamel.yaml, pydantic, DuckDB, sqlglot);
- the limits in force (a formula's length and depth are checked against them).

Any change to one of them is another key, so an entry is never used for other files or other
code. A catalogue with problems is never cached: its problems are found and reported by a full
load, as before. The cache is only ever an optimisation: an entry that cannot be read, or a
folder that cannot be written, means a full load, never an error.

``ISO37120_CACHE_DIR`` names the cache folder (default ``$XDG_CACHE_HOME/iso37120``, else
``~/.cache/iso37120``); ``ISO37120_CACHE_DIR=off`` turns the cache off. An entry is a pickle, run
as code when read: the folder must be one that only its user can write (as the default is).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import pipeline
from pipeline.files import Walk
from pipeline.limits import limits

if TYPE_CHECKING:
    from pipeline.catalogue.loader import Catalogue

ENV_VAR = "ISO37120_CACHE_DIR"
OFF = "off"
FORMAT = "iso37120-catalogue-cache-1"
"""Changes whenever the layout of an entry changes."""
KEEP = 16
"""Entries kept; older ones are removed when a new one is written."""
LIBRARIES = ("pydantic", "pydantic-core", "ruamel.yaml", "duckdb", "sqlglot")


def cache_dir() -> Path | None:
    """The folder of the catalogue cache, or None when the cache is off."""
    given = os.environ.get(ENV_VAR, "").strip()
    if given.lower() == OFF:
        return None
    if given:
        base = Path(given)
    elif xdg := os.environ.get("XDG_CACHE_HOME", "").strip():
        base = Path(xdg) / "iso37120"
    else:
        try:
            base = Path.home() / ".cache" / "iso37120"
        except (RuntimeError, KeyError, OSError):  # no home folder: no cache
            return None
    return base / "catalogue"


_code: str | None = None


def code_digest() -> str:
    """SHA-256 over the package version, every module of the package, Python and the libraries
    the load uses. Computed once per process."""
    global _code
    if _code is None:
        h = hashlib.sha256()
        h.update(f"{FORMAT}\0{pipeline.__version__}\0{sys.version}\0{sys.implementation.cache_tag}\n".encode())
        for name in LIBRARIES:
            try:
                version = metadata.version(name)
            except metadata.PackageNotFoundError:
                version = "-"
            h.update(f"{name}=={version}\n".encode())
        package = Path(pipeline.__file__).resolve().parent
        for path in sorted(package.rglob("*.py")):
            h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        _code = h.hexdigest()
    return _code


def key(root: Path, found: Walk) -> str:
    """The key of the catalogue folder ``root`` whose files are ``found``, with this code."""
    h = hashlib.sha256()
    h.update(f"{code_digest()}\n{os.fsencode(str(root))!r}\n{limits().model_dump_json()}\n".encode())
    for entry in sorted(os.scandir(root), key=lambda e: e.name):  # the loader takes each folder here for an edition
        if not entry.name.startswith("."):
            link = os.readlink(entry.path) if entry.is_symlink() else ""
            h.update(f"entry {entry.name!r} {entry.is_dir()} {link!r}\n".encode())
    for path in found.files:
        h.update(f"file {found.relative(path)!r} ".encode() + hashlib.sha256(path.read_bytes()).hexdigest().encode() + b"\n")
    return h.hexdigest()


def cached(root: Path, found: Walk, load: Callable[[], Catalogue]) -> Catalogue:
    """The catalogue of ``root`` from the cache, else ``load()`` (kept in the cache if it succeeds:
    ``load`` raises on any problem)."""
    from pipeline.catalogue.loader import Catalogue

    folder = cache_dir()
    if folder is None or found.problems:
        return load()
    try:
        name = key(root, found)
    except OSError:  # a file vanished or cannot be read: the load says so with its place
        return load()
    entry = folder / f"{name}.pickle"
    found_entry = _read(entry)
    if found_entry is not None:
        stored_key, catalogue = found_entry
        if stored_key == name and isinstance(catalogue, Catalogue):
            return catalogue
    catalogue = load()
    _store(folder, entry, name, catalogue)
    return catalogue


def _read(entry: Path) -> tuple[object, object] | None:
    """An entry's (key, catalogue); None if it is absent or unreadable (truncated, written by
    other code: a full load replaces it)."""
    try:
        with entry.open("rb") as f:
            stored = pickle.load(f)
    except Exception:  # noqa: BLE001 - unpickling other code's objects can raise anything
        return None
    return stored if isinstance(stored, tuple) and len(stored) == 2 else None


def _store(folder: Path, entry: Path, name: str, catalogue: Catalogue) -> None:
    """Keep ``catalogue`` as ``entry``, and remove the oldest entries; a failure only means that
    the next run loads the catalogue again."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{name[:16]}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump((name, catalogue), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, entry)  # readers see the whole entry or none
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return  # a read-only or full disk, an object that does not pickle


def template_cache(package: str):
    """A Jinja2 bytecode cache for the templates of ``package`` (``pipeline.site``), in the cache
    folder under the digest of the code (which sets the environments' options), or None when the
    cache is off: a run then compiles its templates again (most of a second for the dossier and
    the site). Entries of older code are removed; a folder that cannot be written only means
    compiling."""
    from jinja2 import FileSystemBytecodeCache

    class _Cache(FileSystemBytecodeCache):
        def load_bytecode(self, bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except (OSError, EOFError, ValueError):
                bucket.reset()

        def dump_bytecode(self, bucket) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass

    base = cache_dir()
    if base is None:
        return None
    folder = base.parent / "templates" / f"{package}-{code_digest()[:16]}"
    try:
        if not folder.is_dir():
            for old in folder.parent.glob(f"{package}-*"):
                shutil.rmtree(old, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return _Cache(str(folder))


__all__ = ["ENV_VAR", "cache_dir", "cached", "code_digest", "key", "template_cache"]
