"""The ingest stage: a city's raw folder into the store, with an inventory and every repair.

Raw files are only read (their SHA-256 is taken from the same bytes that are parsed). All
problems of a run are collected and reported together; if there is any, the store is not
written at all. Otherwise the store file is written under a temporary name and moved into
place, so it is never half-loaded.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from pydantic import ValidationError

from pipeline.catalogue import Catalogue
from pipeline.catalogue.models import VariableKind
from pipeline.catalogue.sources import SNAPSHOT_FILE, SNAPSHOTS_DIR
from pipeline.ingest.conventions import decimal_mark
from pipeline.ingest.models import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SOURCE_COLUMNS,
    SOURCE_OPTIONAL,
    Cities,
    City,
    Exceptions,
    SourceRow,
)
from pipeline.ingest.normalise import (
    CONTROL_CHARACTER,
    OBSERVATIONS_SQL,
    REPAIRS_SQL,
    control_message,
    escape_controls,
    normalise,
    problem_message,
    problems_sql,
)
from pipeline.ingest.snapshot import read_snapshot
from pipeline.ingest.reading import STAGING_COLUMNS, Table, read_csv_table, read_xlsx, to_arrow
from pipeline.files import walk
from pipeline.i18n import N_, msg
from pipeline.limits import Limits
from pipeline.limits import limits as current_limits
from pipeline.parallel import beside
from pipeline.problems import Problem, ProblemsFound
from pipeline.store import check_keys, connect, insert
from pipeline.store.models import IngestReport, InputFile
from pipeline.yamlio import YamlFile, line_of

CITY_FILES = ("city.yaml", "cities.yaml")
SOURCES_FILE = "sources.csv"
OBSERVATIONS_DIR = "observations"
EXCEPTIONS_FILE = "exceptions.yaml"
CSV_STAGE = "csv_cells"
"""The temporary table the cells of regular CSV files are read into."""
SNAPSHOT_READERS = {"bdl": read_snapshot}
"""The reader of each public source's frozen snapshots (``snapshots/<source>-<date>/``): a new
source is a new reader here and a mapping file in ``indicators/sources/``."""
WORKBOOKS_BESIDE = 1 << 20
"""Workbooks of this many bytes in all are read by worker processes beside the other files (a
national build's four department workbooks take 3.6 s of parsing); fewer are read in turn."""
CITY_BESIDE = 256 << 10
"""A city file of this many bytes is parsed by a worker beside the other files (ruamel.yaml reads
about 350 KB a second: a national ``cities.yaml`` of 2,500 cities takes 5 s)."""
SHEET_ROLES = {
    "observations": (REQUIRED_COLUMNS, OPTIONAL_COLUMNS),
    "sources": (SOURCE_COLUMNS, SOURCE_OPTIONAL),
}


@dataclass
class Folder:
    """One submission folder: its files and what was read from them."""

    path: Path
    name: str
    files: list[InputFile] = field(default_factory=list)
    cities: list[tuple[City, str, dict[str, int]]] = field(default_factory=list)
    """(city, file_id, line of each text fact)."""
    sources: list[tuple[SourceRow, str, str | None, int]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    faulty_sources: list[str] = field(default_factory=list)
    exceptions: list[tuple] = field(default_factory=list)
    """Rows of ``accepted_exceptions``."""
    yaml: YamlFile | None = None
    """The city file as read, for placing problems found later."""


def find_folders(raw_root: Path) -> list[Path]:
    """The submission folders under ``raw_root`` (or ``raw_root`` itself if it is one); a linked
    folder that leads outside ``raw_root`` is none of them (the walk refuses it)."""
    if any((raw_root / f).is_file() for f in CITY_FILES):
        return [raw_root]
    inside = raw_root.resolve()
    return sorted(p for p in raw_root.iterdir()
                  if p.is_dir() and not p.name.startswith((".", "_")) and p.resolve().is_relative_to(inside))


def count_cities(raw_root: Path) -> int:
    """How many cities the raw folder declares (each ``city.yaml`` one, each ``cities.yaml`` its
    list), read cheaply before any stage runs, so configuration that many cities need is checked
    first; an unreadable file counts as one (ingest reports it)."""
    n = 0
    for folder in find_folders(Path(raw_root)) if Path(raw_root).is_dir() else []:
        many = YamlFile(folder / CITY_FILES[1], CITY_FILES[1], [])
        if (folder / CITY_FILES[0]).is_file() or not many.path.is_file():
            n += (folder / CITY_FILES[0]).is_file()
        elif many.load() and isinstance(many.doc.get("cities"), list):
            n += len(many.doc["cities"])
        else:
            n += 1
    return n


def ingest(raw_root: Path, catalogue: Catalogue, store_path: Path, limits: Limits | None = None,
           counted: Callable[[int, int, int], None] | None = None) -> IngestReport:
    """Read every folder under ``raw_root`` into a new store at ``store_path``, within ``limits``
    (by default those of the environment, :func:`pipeline.limits.limits`); ``counted(files, total,
    rows)`` is told the files read so far of all and the table rows they held, after each file.

    Raises :class:`ProblemsFound` (and leaves ``store_path`` as it was) if anything is wrong.
    """
    raw_root = Path(raw_root)
    limits = limits or current_limits()
    problems: list[Problem] = []
    if not raw_root.is_dir():
        raise ProblemsFound([Problem(file=str(raw_root), rule="missing_folder", **msg(N_("the raw folder does not exist")))])
    found = walk(raw_root, limit=limits)
    problems += found.problems
    folders = [Folder(p, p.relative_to(raw_root).as_posix() if p != raw_root else raw_root.name) for p in find_folders(raw_root)]
    if not folders:
        raise ProblemsFound([Problem(file=str(raw_root), rule="no_city_folders",
                                     **msg(N_("no folder with {city_file} or {cities_file} found here"),
                                           city_file=CITY_FILES[0], cities_file=CITY_FILES[1]))])
    store_path = Path(store_path)
    store_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".ingest-", suffix=".duckdb", dir=store_path.parent)
    os.close(fd)
    os.unlink(tmp)
    con = connect(tmp)
    try:
        con.execute(f"CREATE TEMP TABLE {CSV_STAGE} (file_id VARCHAR, sheet VARCHAR, row INTEGER, "
                    + ", ".join(f"{c} VARCHAR" for c in STAGING_COLUMNS) + ")")
        each = [[p for p in found.files if folder.path == raw_root or p.is_relative_to(folder.path)] for folder in folders]
        done, rows, total = 0, 0, sum(len(files) for files in each)

        def read(n: int) -> None:
            nonlocal done, rows
            done, rows = done + 1, rows + n
            if counted is not None:
                counted(done, total, rows)

        with beside(workers=2) as workers:
            ahead = _ahead(workers, raw_root, folders, each, limits)
            for folder, files in zip(folders, each, strict=True):
                _read_folder(con, raw_root, folder, files, catalogue, problems, limits, read, ahead)
        _check_cities(folders, catalogue, problems)
        report = _load(con, raw_root, folders, catalogue, problems)
        con.close()
        os.replace(tmp, store_path)
        return report
    finally:
        con.close()
        for leftover in (tmp, tmp + ".wal"):
            if os.path.exists(leftover):
                os.unlink(leftover)


@dataclass(frozen=True)
class Ahead:
    """A file parsed by a worker while this process reads the others: ``data``, the bytes it was
    given (this process hashes the same), or None when it reads the file itself (a workbook)."""

    parsed: Future
    data: bytes | None = None


def _ahead(workers: ProcessPoolExecutor | None, raw_root: Path, folders: list[Folder], each: list[list[Path]],
           limits: Limits) -> dict[Path, Ahead]:
    """The files parsed in Python (city files and workbooks) that are large enough to be worth a
    worker, handed to ``workers`` (none without them): the city files first (the longest, and
    wanted last), then the workbooks in the order they are wanted."""
    if workers is None:
        return {}
    found = [(p, _role(p.relative_to(folder.path)), p.stat().st_size) for folder, files in zip(folders, each, strict=True)
             for p in files]
    books = [(p, size) for p, role, size in found
             if role == "observations" and p.suffix.lower() == ".xlsx" and size <= limits.max_file_bytes]
    cities = [(p, size) for p, role, size in found if role == "city" and CITY_BESIDE <= size <= limits.max_file_bytes]
    if sum(size for _, size in books) < WORKBOOKS_BESIDE:
        books = []
    ahead = {}
    for p, _ in cities + books:
        if p.suffix.lower() == ".xlsx":
            ahead[p] = Ahead(workers.submit(read_xlsx, p, _file_id(raw_root, p), SHEET_ROLES, limits))
        else:
            data = p.read_bytes()
            ahead[p] = Ahead(workers.submit(_parsed_city, p, _file_id(raw_root, p), data), data)
    return ahead


def _file_id(raw_root: Path, path: Path) -> str:
    return path.relative_to(raw_root).as_posix() if path != raw_root else path.name


def _read_folder(con, raw_root: Path, folder: Folder, paths: list[Path], catalogue: Catalogue, problems: list[Problem],
                 limits: Limits, read: Callable[[int], None], ahead: dict[Path, Ahead]) -> None:
    """Read the files of ``folder``, telling ``read`` the table rows of each as it is read
    (``ahead``: files being parsed by a worker; a city file's parse is taken once the others are read)."""
    city_files = [folder.path / f for f in CITY_FILES if (folder.path / f).is_file()]
    if not city_files:
        problems.append(Problem(file=_file_id(raw_root, folder.path), rule="missing_city_file",
                                **msg(N_("each folder needs {city_file} (or {cities_file} for many cities)"),
                                      city_file=CITY_FILES[0], cities_file=CITY_FILES[1])))
    elif len(city_files) > 1:
        problems.append(Problem(file=_file_id(raw_root, folder.path), rule="two_city_files",
                                **msg(N_("give either {city_file} or {cities_file}, not both"),
                                      city_file=CITY_FILES[0], cities_file=CITY_FILES[1])))
    if not (folder.path / SOURCES_FILE).is_file():
        problems.append(Problem(file=_file_id(raw_root, folder.path / SOURCES_FILE), rule="missing_file",
                                **msg(N_("the source register sources.csv is missing"))))
    for path in paths:
        tables = len(folder.tables)
        _read_file(con, raw_root, folder, path, problems, limits, ahead)
        read(sum(t.staged or (t.data.num_rows if t.data is not None else 0) for t in folder.tables[tables:]))
    for path in paths:
        if path in ahead and _role(path.relative_to(folder.path)) == "city":
            _take_city(ahead[path], path, _file_id(raw_root, path), folder, problems)
    _read_snapshots(raw_root, folder, sorted({p.relative_to(folder.path).parts[1] for p in paths
                                              if _role(p.relative_to(folder.path)) == "snapshot"}), catalogue, problems)
    for t in folder.tables:
        # A header without rows is a file someone meant to fill. (A register without rows is not
        # refused: a template's sources sheet comes empty, and a figure citing a source it lacks
        # is refused as unknown_source anyway.)
        if t.role == "observations" and not t.staged and t.data is not None and t.data.num_rows == 0 and not t.problems:
            t.problem("no_rows", msg(N_("the sheet has a header but no rows; fill it or remove it") if t.sheet is not None else
                                     N_("the file has a header but no rows; fill it or remove it")))
        problems.extend(t.problems)
    register = [t for t in folder.tables if t.role == "sources"]
    for t in sorted(register, key=lambda t: t.sheet is not None):  # sources.csv first, then workbooks
        _read_sources(t, folder, problems)


def _read_file(con, raw_root: Path, folder: Folder, path: Path, problems: list[Problem], limits: Limits,
               ahead: dict[Path, Ahead]) -> None:
    """Hash one file of ``folder`` and read it by its role (a workbook in ``ahead`` is taken from its
    worker; a city file there is left to :func:`_take_city`)."""
    file_id = _file_id(raw_root, path)
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        problems.append(Problem(file=file_id, rule="file_too_large",
                                **msg(N_("the file has {size} bytes; split it; limit {limit} = {limit_value}; raise it "
                                         "with the environment variable {env}"),
                                      size=f"{size:,}", **limits.hint_args("max_file_bytes"))))
        return
    data = ahead[path].data if path in ahead and ahead[path].data is not None else path.read_bytes()
    rel = path.relative_to(folder.path)
    role = _role(rel)
    folder.files.append(InputFile(file_id=file_id, folder=folder.name, role=role, bytes=len(data),
                                  sha256=hashlib.sha256(data).hexdigest(),
                                  media_type=_media_type(path)))
    if role == "city":
        if path not in ahead:
            _read_city(path, file_id, data, folder, problems)
    elif role == "exceptions":
        _read_exceptions(path, file_id, data, folder, problems)
    elif role == "sources":
        t = read_csv_table(con, path, data, file_id, SOURCE_COLUMNS, SOURCE_OPTIONAL, limits=limits)
        t.role = "sources"
        folder.tables.append(t)
    elif role == "observations":
        suffix = path.suffix.lower()
        if suffix == ".csv":
            folder.tables.append(read_csv_table(con, path, data, file_id, limits=limits, stage=CSV_STAGE))
        elif suffix == ".xlsx":
            folder.tables.extend(_workbook(ahead[path].parsed if path in ahead else None, path, file_id, limits))
        else:
            problems.append(Problem(file=file_id, rule="unsupported_format",
                                    **(msg(N_("{suffix} is not read; observation files are .csv (UTF-8) or .xlsx"),
                                           suffix=suffix) if suffix else
                                       msg(N_("a file without extension is not read; observation files are .csv (UTF-8) "
                                              "or .xlsx")))))


def _workbook(ahead: Future | None, path: Path, file_id: str, limits: Limits) -> list[Table]:
    """The worksheets of a workbook: as its worker read them, or read here (also when the worker died)."""
    if ahead is not None:
        try:
            return ahead.result()
        except BrokenProcessPool:
            pass
    return read_xlsx(path, file_id, SHEET_ROLES, limits=limits)


def _parsed_city(path: Path, file_id: str, data: bytes) -> tuple[list, YamlFile | None, list[Problem]]:
    """:func:`_read_city` of a folder of its own (run by a worker): its cities, the file as read and its problems."""
    scratch: list[Problem] = []
    folder = Folder(path.parent, "")
    _read_city(path, file_id, data, folder, scratch)
    return folder.cities, folder.yaml, scratch


def _take_city(ahead: Ahead, path: Path, file_id: str, folder: Folder, problems: list[Problem]) -> None:
    """The city file as its worker parsed it (or parsed here, when the worker died)."""
    try:
        cities, y, found = ahead.parsed.result()
    except BrokenProcessPool:
        _read_city(path, file_id, ahead.data, folder, problems)
        return
    folder.cities.extend(cities)
    problems.extend(found)
    if y is not None:
        y.problems = problems  # what is found in it later is a problem of the run
        folder.yaml = y


def _read_snapshots(raw_root: Path, folder: Folder, names: list[str], catalogue: Catalogue, problems: list[Problem]) -> None:
    """The frozen snapshots of public statistics under ``snapshots/<source>-<date>/``: of each
    source the latest is read (an older one stays an archived input, recorded as superseded)."""
    latest: dict[str, str] = {}
    for name in names:
        source = name.split("-", 1)[0]
        if source not in SNAPSHOT_READERS or source not in catalogue.sources:
            problems.append(Problem(file=_file_id(raw_root, folder.path / SNAPSHOTS_DIR / name), rule="unknown_snapshot",
                                    **(msg(N_("a snapshot folder is named <source>-<date>; the sources known are {sources}"),
                                           sources=", ".join(known)) if (known := sorted(set(SNAPSHOT_READERS) & set(catalogue.sources)))
                                       else msg(N_("a snapshot folder is named <source>-<date>; the sources known are none")))))
            continue
        if source in latest:
            t = Table(_file_id(raw_root, folder.path / SNAPSHOTS_DIR / latest[source]), role="snapshot")
            t.repair("snapshot_superseded", original=latest[source], repaired=name)
            folder.tables.append(t)
        latest[source] = name
    accept = {v for city, _, _ in folder.cities for v in city.accept_powiat}
    by_city = {city.code: frozenset(city.accept_powiat) for city, _, _ in folder.cities if city.accept_powiat}
    units = {v.id: v.unit for v in catalogue.variables.values()}
    for source, name in sorted(latest.items()):
        path = folder.path / SNAPSHOTS_DIR / name
        # a snapshot of one unit takes the folder's accepted powiat proxies; one of all gminas, each city's own
        tables, found, row = SNAPSHOT_READERS[source](path, _file_id(raw_root, path), catalogue.sources[source], units,
                                                      accept_powiat=accept, accept_by_city=by_city)
        folder.tables.extend(tables)
        problems.extend(found)
        if row is not None:
            t = Table(_file_id(raw_root, path / SNAPSHOT_FILE), role="sources")
            t.data = pa.table({"row": pa.array([1], pa.int32()), **{k: pa.array([v], pa.string()) for k, v in row.items()}})
            folder.tables.append(t)


def _role(rel: Path) -> str:
    if rel.as_posix() in CITY_FILES:
        return "city"
    if rel.as_posix() == SOURCES_FILE:
        return "sources"
    if rel.as_posix() == EXCEPTIONS_FILE:
        return "exceptions"
    if rel.parts[0] == OBSERVATIONS_DIR:
        return "observations"
    if rel.parts[0] == SNAPSHOTS_DIR and len(rel.parts) > 2:
        return "snapshot"
    return "other"


def _media_type(path: Path) -> str:
    known = {".csv": "text/csv", ".yaml": "application/yaml", ".yml": "application/yaml",
             ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".md": "text/markdown"}
    return known.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _load_yaml(path: Path, file_id: str, data: bytes, problems: list[Problem]) -> YamlFile | None:
    """The YAML file read from the bytes that were hashed, or None with its problem recorded."""
    y = YamlFile(path, file_id, problems)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        problems.append(Problem(file=file_id, rule="encoding", **msg(N_("not UTF-8 text ({reason} at byte {start})"),
                                                                     reason=e.reason, start=e.start)))
        return None
    return y if y.load(text) else None


def _read_city(path: Path, file_id: str, data: bytes, folder: Folder, problems: list[Problem]) -> None:
    y = _load_yaml(path, file_id, data, problems)
    if y is None:
        return
    if path.name == CITY_FILES[1]:
        many = y.model(Cities)
        if many is not None:
            for n, city in enumerate(many.cities):
                facts = {k: _line(y, ("cities", n, "text_facts", k)) for k in city.text_facts}
                folder.cities.append((city, file_id, facts))
        folder.yaml = y
        return
    city = y.model(City)
    if city is not None:
        folder.cities.append((city, file_id, {k: _line(y, ("text_facts", k)) for k in city.text_facts}))
    folder.yaml = y


def _read_exceptions(path: Path, file_id: str, data: bytes, folder: Folder, problems: list[Problem]) -> None:
    y = _load_yaml(path, file_id, data, problems)
    if y is None or (doc := y.model(Exceptions)) is None:
        return
    for n, x in enumerate(doc.exceptions):
        folder.exceptions.append((folder.name, x.rule_id, x.city, x.year, x.variable, x.accepted_by, x.role,
                                  x.accepted_on, x.reason, file_id, _line(y, ("exceptions", n))))


def _line(y: YamlFile, path: tuple) -> int:
    return line_of(y.doc, path) or 1


def _read_sources(t: Table, folder: Folder, problems: list[Problem]) -> None:
    if t.data is None:
        return
    seen = {s.source_id: (f, sh, r) for s, f, sh, r in folder.sources}
    for rec in t.data.to_pylist():
        row = rec.pop("row")
        clean = {k: v.strip() for k, v in rec.items() if isinstance(v, str) and v.strip()}
        controls = [(k, v) for k, v in rec.items() if isinstance(v, str) and CONTROL_CHARACTER.search(v)]
        if controls:
            if "source_id" in clean:
                folder.faulty_sources.append(clean["source_id"])
            for col, v in controls:
                problems.append(Problem(file=t.file_id, sheet=t.sheet, row=row, column=col, rule="control_character",
                                        value=escape_controls(v), **control_message(v)))
            continue
        try:
            src = SourceRow.model_validate(clean)
        except ValidationError as e:
            if "source_id" in clean:  # known, though faulty: rows that cite it are not also wrong
                folder.faulty_sources.append(clean["source_id"])
            for err in e.errors():
                col = str(err["loc"][0]) if err["loc"] else None
                problems.append(Problem(file=t.file_id, sheet=t.sheet, row=row, column=col, rule=f"schema.{err['type']}",
                                        value=None if clean.get(col) is None else str(clean.get(col)),
                                        **_source_error(err, col)))
            continue
        if src.source_id in seen:
            f, sh, r = seen[src.source_id]
            problems.append(Problem(file=t.file_id, sheet=t.sheet, row=row, column="source_id", rule="duplicate_source",
                                    value=src.source_id, **msg(
                                        N_("source {source} is already declared in {first_file} sheet {first_sheet} row "
                                           "{first_row}; source ids are unique within a folder") if sh else
                                        N_("source {source} is already declared in {first_file} row {first_row}; source ids "
                                           "are unique within a folder"),
                                        source=src.source_id, first_file=f, first_sheet=sh, first_row=r)))
            continue
        seen[src.source_id] = (t.file_id, t.sheet, row)
        folder.sources.append((src, t.file_id, t.sheet, row))


def _source_error(err: dict, col: str | None) -> dict[str, object]:
    """The message of a pydantic error in a row of a source register."""
    if err["type"] == "missing":
        return msg(N_("this column is required (dates are written YYYY-MM-DD)") if col == "retrieved_on" else
                   N_("this column is required"))
    if col == "retrieved_on":
        return msg(N_("{detail} (dates are written YYYY-MM-DD)"), detail=err["msg"])
    return msg(N_("{detail}"), detail=err["msg"])


def _check_cities(folders: list[Folder], catalogue: Catalogue, problems: list[Problem]) -> None:
    seen: dict[str, str] = {}
    text_vars = {v.id for v in catalogue.variables.values() if v.kind is VariableKind.text}
    for folder in folders:
        y = folder.yaml
        for n, (city, file_id, _) in enumerate(folder.cities):
            prefix = ("cities", n) if "cities" in y.doc else ()
            if city.code in seen:
                y.add("duplicate_city", msg(N_("city {city} is also declared in {first_file}"), city=city.code,
                                            first_file=seen[city.code]), (*prefix, "code"), city.code)
            seen[city.code] = file_id
            key = "standards" if city.standards else "edition"
            for n_std, edition in enumerate(city.editions(catalogue.default_edition)):
                if edition not in catalogue.editions:
                    y.add("unknown_edition", msg(N_("edition {edition} is not in the catalogue (known: {known})"),
                                                 edition=repr(edition), known=", ".join(catalogue.editions)),
                          (*prefix, key, *((n_std,) if city.standards else ())), edition)
            for key in city.text_facts:
                if key not in text_vars:
                    y.add("unknown_variable", msg(N_("{variable} is not a text variable of the registry (text variables: "
                                                     "{known})"), variable=repr(key), known=", ".join(sorted(text_vars))),
                          (*prefix, "text_facts", key), key)


def _reported_names(catalogue: Catalogue) -> list[tuple[str, str, str, str]]:
    """The names under which an observation file may give an indicator's value as reported: its
    uid (``iso37120-2014:10.1``) and, where no other edition uses it, its id (``10.1``); each with
    the uid it stands for, the indicator's unit and the kind of value."""
    text_vars = {v.id for v in catalogue.variables.values() if v.kind is VariableKind.text}
    ids = Counter(ind.id for ind in catalogue.indicators.values())
    out = []
    for ind in catalogue.indicators.values():
        # a percentage of a whole is a share: given as 0.0732, it is taken for a fraction (share_as_fraction)
        kind = ("text" if set(ind.variables) & text_vars else
                "share" if ind.multiplier == 100 and ind.unit.en.startswith("%") else "measure")
        out += [(name, ind.uid, ind.unit.en, kind) for name in [ind.uid] + ([ind.id] if ids[ind.id] == 1 else [])]
    return out


def _load(con, raw_root: Path, folders: list[Folder], catalogue: Catalogue, problems: list[Problem]) -> IngestReport:
    files = [f for folder in folders for f in folder.files]
    con.execute("CREATE TEMP TABLE registry (variable VARCHAR, unit VARCHAR, kind VARCHAR, is_integer BOOLEAN, canonical VARCHAR)")
    insert(con, "registry", [(v.id, v.unit, v.kind.value, v.integer, None) for v in catalogue.variables.values()]
           + [(name, unit, kind, False, uid) for name, uid, unit, kind in _reported_names(catalogue)])
    con.execute("CREATE TEMP TABLE folder_cities (folder VARCHAR, city_code VARCHAR, currency VARCHAR, decimal_mark VARCHAR)")
    insert(con, "folder_cities", [(f.name, c.code, c.currency, decimal_mark(c.country)) for f in folders for c, _, _ in f.cities])
    con.execute("CREATE TEMP TABLE folder_sources (folder VARCHAR, source_id VARCHAR)")
    insert(con, "folder_sources", [(f.name, s.source_id) for f in folders for s, *_ in f.sources]
           + [(f.name, s) for f in folders for s in f.faulty_sources])
    con.execute("CREATE TEMP TABLE file_folder (file_id VARCHAR, folder VARCHAR)")
    insert(con, "file_folder", [(f.file_id, f.folder) for f in files])

    obs_tables = [t for folder in folders for t in folder.tables if t.role == "observations"]
    # The cells are read where they are (the CSV files DuckDB read, and an Arrow table of the others),
    # not copied into a table of their own.
    con.register("read_cells", to_arrow(obs_tables, STAGING_COLUMNS))
    columns = "file_id, sheet, row, city, year, variable, value, unit, source_id, status, note, folder"
    con.execute(f"""CREATE TEMP VIEW cells_read AS SELECT a.*, ff.folder
                    FROM (SELECT * FROM read_cells UNION ALL SELECT * FROM {CSV_STAGE}) a JOIN file_folder ff USING (file_id)""")
    facts = [(file_id, line, city.code, key, value, folder.name)
             for folder in folders for city, file_id, lines in folder.cities
             for key, value in city.text_facts.items() for line in [lines[key]]]
    con.execute("CREATE TEMP TABLE facts (file_id VARCHAR, row INTEGER, city VARCHAR, variable VARCHAR, value VARCHAR, folder VARCHAR)")
    insert(con, "facts", facts)
    con.execute("""
        CREATE TEMP TABLE fact_cells AS
        SELECT f.file_id, NULL::VARCHAR AS sheet, f.row, f.city, y.year, f.variable, f.value, 'text' AS unit,
               NULL::VARCHAR AS source_id, NULL::VARCHAR AS status, NULL::VARCHAR AS note, f.folder
        FROM facts f
        JOIN (SELECT DISTINCT s.folder, coalesce(nullif(trim(s.city), ''), fc.city_code) AS city, trim(s.year) AS year
              FROM cells_read s LEFT JOIN (SELECT folder, any_value(city_code) AS city_code FROM folder_cities
                                           GROUP BY folder HAVING count(*) = 1) fc USING (folder)
              WHERE regexp_full_match(trim(s.year), '\\d{4}')) y
          ON y.folder = f.folder AND y.city = f.city""")
    con.execute(f"CREATE TEMP VIEW staging AS SELECT {columns} FROM cells_read UNION ALL SELECT {columns} FROM fact_cells")
    normalise(con, {ind.unit.en: [ind.unit.pl] for ind in catalogue.indicators.values() if ind.unit.pl != ind.unit.en},
              [(t.file_id, t.sheet, t.decimal_mark) for t in obs_tables if t.decimal_mark])
    con.execute("DROP VIEW staging")
    con.execute("DROP VIEW cells_read")
    con.execute(f"DROP TABLE {CSV_STAGE}")
    con.unregister("read_cells")
    for t in obs_tables:  # every cell is in the table parsed now
        t.data = None
    for file_id, sheet, row, col, value, rule, check_no, pick, args in con.execute(problems_sql()).fetchall():
        # shown escaped: a NUL or a terminal's escape sequence is never printed as it is
        problems.append(Problem(file=file_id, sheet=sheet, row=row, column=col, rule=rule,
                                **problem_message(check_no, pick, args), value=escape_controls(value)))
    if problems:
        raise ProblemsFound(problems)

    insert(con, "input_files", [(f.file_id, f.folder, f.role, f.bytes, f.sha256, f.media_type) for f in files])
    insert(con, "cities", [(c.code, c.name.en, c.name.pl, c.country, c.editions(catalogue.default_edition), c.currency, f.name,
                            file_id, c.model_dump_json(exclude={"code", "name", "country", "standards", "edition", "currency"}))
                           for f in folders for c, file_id, _ in f.cities])
    insert(con, "sources", [(f.name, s.source_id, s.organisation, s.dataset, s.url, s.retrieved_on, s.licence,
                             s.quality_class.value if s.quality_class else None, s.origin, s.contact, file_id, row)
                            for f in folders for s, file_id, _sheet, row in f.sources])
    con.execute(f"INSERT INTO observations {OBSERVATIONS_SQL} ORDER BY city_code, year, variable")
    check_keys(con, "observations")
    insert(con, "accepted_exceptions", [x for f in folders for x in f.exceptions])
    con.execute("CREATE TEMP TABLE file_repairs AS SELECT * FROM repairs LIMIT 0")
    insert(con, "file_repairs", [(r.file_id, r.sheet, r.row, r.column, r.rule, r.original, r.repaired)
                                 for folder in folders for t in folder.tables for r in t.repairs])
    con.execute(f"""INSERT INTO repairs SELECT * FROM (SELECT * FROM file_repairs UNION ALL {REPAIRS_SQL})
                    ORDER BY file_id, sheet NULLS FIRST, row NULLS FIRST, "column" NULLS FIRST, rule""")
    n_obs = con.execute("SELECT count(*) FROM observations").fetchall()[0][0]
    by_rule = dict(con.execute("SELECT rule, count(*) FROM repairs GROUP BY rule ORDER BY rule").fetchall())
    cities = [c.code for f in folders for c, _, _ in f.cities]
    con.execute("CHECKPOINT")
    return IngestReport(files=files, cities=sorted(cities),
                        observations=n_obs, repairs=by_rule)
