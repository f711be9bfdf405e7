"""A frozen BDL snapshot (``<city>/snapshots/bdl-<date>/``) into observation rows for ingest.

Pure: reads the folder, changes nothing, talks to no network. :func:`read_snapshot` returns

- one :class:`~pipeline.ingest.reading.Table` per data response file (role ``observations``,
  ``file_id`` = the prefix + ``/`` + the file name, ``sheet`` None), whose ``data`` has the
  columns ``row`` and :data:`~pipeline.ingest.reading.STAGING_COLUMNS` as text, the shape
  :func:`~pipeline.ingest.reading.to_arrow` stacks with the other observation tables;
- the problems (every one names its file; a response value's place is its ``row``);
- the source register row of the snapshot (the columns of ``sources.csv``), or None when
  ``snapshot.yaml`` cannot be read.

A row is one value of a response: ``row`` is the value's 1-based position in its response file,
counting the ``values`` of ``results`` in order (result 1 value 1 is row 1). ``city`` is empty
in a snapshot of one unit (the folder's city), ``year`` the text BDL gave, ``variable`` and ``unit`` the registry's,
``source_id`` ``BDL``, ``value`` the JSON number exactly as written in the response, and ``note``
``BDL var <id>, attr <attrId> (<symbol>): <description>`` (and, for a proxy, the mapping's
deviation), so every value keeps its variable id and flag. A repair is recorded in the table's ``repairs`` (original and repaired text, column ``value``),
``bdl_unit_conversion``, where the mapping's conversion is not 1 (``12.5`` tys. zł → ``12500``).
Each table declares its decimal mark ``.`` (JSON always writes a decimal point), so ingest reads
``2.782`` as 2.782 in a Polish city, where a lone group in a CSV file would be read as 2782.

The flag ``attrId`` decides the status (:data:`ATTRIBUTES`): 1 (and 3 "k", 7 "a", 20/21 "v",
94 "z", kept with the note) a value; 9 "s" provisional; 11, 13, 17, 98 (methodological change)
break; 4, 14, 15, 50, 91 not available, with no value and the attribute's description in the note.
Any other flag is a problem (``bdl_unknown_attribute``), not a guess.

Problems: ``snapshot_file_missing`` (a file snapshot.yaml lists is gone), ``snapshot_changed``
(its SHA-256 or size differs), ``snapshot_unlisted_file`` (a file nobody retrieved),
``bdl_bad_response`` (not JSON, e.g. truncated, or not the shape of a ``data/by-unit`` or
``data/by-variable`` response),
``bdl_unmapped_variable`` (a response variable not in the mapping), ``bdl_missing_year`` (a year
asked for with no value of a variable), ``bdl_unknown_attribute``, and ``bdl_powiat_for_gmina``: a
value published for the powiat, when the city is a gmina that is not a city with powiat rights, is
the county's and is refused unless the registry variable is in ``accept_powiat`` (the city accepts
it as a proxy). A city with powiat rights is recognised by its TERYT powiat code (61 and above:
the ``PP`` digits of the 12-digit id), and its powiat values are the city's.

**A snapshot of all gminas** (scope ``all-gminas``, ``snapshot.yaml`` version 2, written by
``iso37120 fetch bdl --all-gminas`` into a folder of many cities): its data are
``data/by-variable`` responses, whose ``results`` are units (``{id, name, values}``), one file per
page of one variable. ``row`` counts the values of the file in the same way, and ``city`` is the
TERYT code (``WWPPGGT``) of the value's gmina, so the folder's rows carry the city column. The
gminas are those of types 1–3 in the snapshot's ``/units?level=6`` responses; the values of parts
of gminas (types 4, 5, 8, 9: the town and rural area of an urban-rural gmina, districts) are in
the files but no city's. A powiat's value (``unit-level=5``) goes to the city with powiat rights
of that powiat, and to another gmina of it only if that city lists the variable under
``accept_powiat`` (``accept_by_city``); a land county's value is otherwise left unread, not
refused, since no gmina asked for it. ``bdl_missing_year`` is a year asked for that BDL gives for
no unit at all (not yet published?); a single gmina without a value gets no row, as in any input
of many cities. ``bdl_unknown_unit``: a unit in a response that the units responses do not list.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline.catalogue.sources import (
    SNAPSHOT_FILE,
    BdlVariable,
    Snapshot,
    SnapshotRequest,
    SourceMapping,
    is_gmina,
    powiat_rights,
    teryt_of,
)
from pipeline.i18n import N_, msg
from pipeline.ingest.reading import STAGING_COLUMNS, Table
from pipeline.problems import Problem
from pipeline.yamlio import YamlFile

SOURCE_ID = "BDL"

ATTRIBUTES: dict[int, tuple[str | None, bool]] = {
    # attrId: (status, the value is kept) — the dictionary is GUS's /attributes (bdl-samples)
    1: (None, True),                 # wartość
    3: (None, True),                 # k: aggregate may be incomplete (note)
    7: (None, True),                 # a: less than the display precision (note)
    20: (None, True), 21: (None, True),  # v: low precision (note)
    94: (None, True),                # z: a true zero from non-zero inputs
    9: ("provisional", True),        # s: preliminary estimate
    11: ("break", True),             # M: methodological change
    13: ("break", True),             # K: methodological change, aggregate may be incomplete
    17: ("break", True),             # A: methodological change, less than the display precision
    98: ("break", True),             # Z: methodological change, a true zero
    4: ("not_available", False),     # x: no information or confidential
    14: ("not_available", False),    # X: methodological change, no information
    15: ("not_available", False),    # -: territorial or list changes
    50: ("not_available", False),    # n: not yet available
    91: ("not_available", False),    # x: no information or confidential
}

_UNMAPPED = N_("the response holds BDL var {var}, which indicators/sources/bdl.yaml does not map to a registry variable; "
               "map it or fetch without it")
_NOT_IN_REGISTRY = N_("{variable} is not a variable of the registry")


def _plain(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _parse(data: bytes, file_id: str, problems: list[Problem], exact: bool) -> Any:
    """The JSON document, numbers kept as written when ``exact``; None with ``bdl_bad_response``."""
    try:
        return json.loads(data, parse_int=str, parse_float=str) if exact else json.loads(data)
    except UnicodeDecodeError as e:
        problems.append(Problem(file=file_id, rule="bdl_bad_response", **msg(
            N_("the response is not UTF-8 text ({reason} at byte {start}); fetch a new snapshot"), reason=e.reason, start=e.start)))
    except ValueError as e:
        lineno = getattr(e, "lineno", None)
        problems.append(Problem(file=file_id, rule="bdl_bad_response", line=lineno,
                                **msg(N_("the response is not valid JSON, truncated or damaged ({detail}); fetch a new snapshot"),
                                      detail=e)))
    return None


def _results(doc: Any, file_id: str, problems: list[Problem], what: str) -> list[Any] | None:
    results = doc.get("results") if isinstance(doc, dict) else None
    if not isinstance(results, list):
        problems.append(Problem(file=file_id, rule="bdl_bad_response",
                                **msg(N_("not a {what} response: it has no list 'results'"), what=what)))
        return None
    return results


def read_snapshot(folder: Path, file_id_prefix: str, mappings: SourceMapping | Sequence[BdlVariable],
                  registry_units: Mapping[str, str], accept_powiat: AbstractSet[str] = frozenset(),
                  source_id: str = SOURCE_ID, accept_by_city: Mapping[str, AbstractSet[str]] | None = None,
                  ) -> tuple[list[Table], list[Problem], dict[str, str] | None]:
    """The observation tables, the problems and the source row of one snapshot folder.

    ``file_id_prefix`` is the folder's path as ingest names files (``gdansk/snapshots/bdl-2025-01-31``);
    ``registry_units`` maps each registry variable to its unit; ``accept_powiat`` names the
    registry variables whose powiat value the city accepts as a proxy for its own (a snapshot of
    one unit), ``accept_by_city`` the same by city code (a snapshot of all gminas)."""
    folder = Path(folder)
    prefix = file_id_prefix.rstrip("/")
    problems: list[Problem] = []

    def fid(name: str) -> str:
        return f"{prefix}/{name}" if prefix else name

    variables = list(mappings.variables if isinstance(mappings, SourceMapping) else mappings)
    meta_path = folder / SNAPSHOT_FILE
    if not meta_path.is_file():
        return [], [Problem(file=fid(SNAPSHOT_FILE), rule="snapshot_file_missing",
                            **msg(N_("the snapshot folder has no snapshot.yaml, so its files cannot be checked; fetch a new "
                                     "snapshot")))], None
    y = YamlFile(meta_path, fid(SNAPSHOT_FILE), problems)
    meta: Snapshot | None = y.model(Snapshot) if y.load() else None
    if meta is None:
        return [], problems, None

    bodies = _intact_files(folder, meta, fid, problems)
    attrs: dict[int, tuple[str, str]] = {}
    for r in meta.requests:
        if r.kind == "attributes" and r.file in bodies:
            doc = _parse(bodies[r.file], fid(r.file), problems, exact=False)
            listed = _results(doc, fid(r.file), problems, "attributes") if doc is not None else None
            for a in listed or []:
                if isinstance(a, dict) and isinstance(a.get("id"), int):
                    attrs[a["id"]] = (str(a.get("symbol") or "").strip(), str(a.get("description") or "").strip())

    by_id = {m.bdl_variable_id: m for m in variables}
    if meta.scope == "all-gminas":
        tables, where = _all_gminas(meta, bodies, fid, by_id, attrs, registry_units, accept_by_city or {}, source_id, problems)
        requested = sorted({r.variable_id for r in meta.requests if r.kind == "data-by-variable" and r.variable_id})
    else:
        tables = _one_unit(meta, bodies, fid, by_id, attrs, registry_units, accept_powiat, source_id, problems)
        requested = sorted({int(v) for r in meta.requests if r.kind == "data" for v in r.params.get("var-id", []) if v.isdigit()})
        assert meta.unit is not None  # the model requires it for scope unit
        where = f"jednostka {meta.unit.id} ({meta.unit.name})"
    source = {
        "source_id": source_id,
        "organisation": meta.organisation,
        "dataset": f"Bank Danych Lokalnych, zmienne {', '.join(map(str, requested))}; {where}",
        "url": meta.endpoint,
        "retrieved_on": meta.retrieved_at.date().isoformat(),
        "licence": f"{meta.licence}; {meta.attribution}",
        "origin": f"BDL API snapshot {folder.name}, retrieved {meta.retrieved_at.isoformat()}",
    }
    return tables, problems, source


def _one_unit(meta: Snapshot, bodies: dict[str, bytes], fid: Callable[[str], str], by_id: dict[int, BdlVariable],
              attrs: dict[int, tuple[str, str]], registry_units: Mapping[str, str], accept_powiat: AbstractSet[str],
              source_id: str, problems: list[Problem]) -> list[Table]:
    """The tables of a snapshot of one unit (``data/by-unit`` responses; rows without a city)."""
    city = meta.unit
    assert city is not None
    county_is_city = city.level != 6 or powiat_rights(city.id)
    seen: set[tuple[int, str]] = set()
    skip: set[int] = set()  # variables refused or unreadable: no missing-year problems for them
    tables: list[Table] = []
    for r in meta.requests:
        if r.kind != "data":
            continue
        if r.file not in bodies:
            skip.update(int(v) for v in r.params.get("var-id", []) if v.isdigit())
            continue
        table = _data_table(r, bodies[r.file], fid(r.file), meta, by_id, attrs, registry_units, accept_powiat,
                            county_is_city, source_id, seen, skip, problems)
        if table is not None:
            tables.append(table)

    for r in meta.requests:  # every year asked for has a value (or a flag) for every mapped variable asked for
        if r.kind != "data" or r.page not in (0, None):
            continue
        for var in (int(v) for v in r.params.get("var-id", []) if v.isdigit()):
            if var not in by_id or var in skip:
                continue
            for year in (str(y) for y in meta.years if (var, str(y)) not in seen):
                problems.append(Problem(file=fid(r.file), rule="bdl_missing_year", value=year,
                                        **msg(N_("BDL gave no value for {year} of {variable} (BDL var {var}) for unit {unit}, "
                                                 "though the year was asked for; not yet published, or not at this level?"),
                                              year=year, variable=by_id[var].variable, var=var, unit=r.unit_id)))
                seen.add((var, year))
    return tables


def _intact_files(folder: Path, meta: Snapshot, fid: Callable[[str], str], problems: list[Problem]) -> dict[str, bytes]:
    """The bodies of the listed files whose size and SHA-256 are those recorded."""
    bodies: dict[str, bytes] = {}
    when = meta.retrieved_at.date().isoformat()
    for r in meta.requests:
        path = folder / r.file
        if not path.is_file():
            problems.append(Problem(file=fid(r.file), rule="snapshot_file_missing",
                                    **msg(N_("snapshot.yaml lists this response ({path}) but the file is missing; a snapshot "
                                             "is kept whole: restore the file or fetch a new snapshot"), path=r.path)))
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != r.sha256 or len(data) != r.bytes:
            problems.append(Problem(file=fid(r.file), rule="snapshot_changed", value=f"{digest[:12]}…",
                                    **msg(N_("the file is not the response retrieved on {date}: SHA-256 {sha256}…, {bytes} "
                                             "bytes, where snapshot.yaml records {recorded_sha256}…, {recorded_bytes} bytes; raw "
                                             "snapshots are never edited: restore the file or fetch a new snapshot"),
                                          date=when, sha256=digest[:12], bytes=f"{len(data):,}", recorded_sha256=r.sha256[:12],
                                          recorded_bytes=f"{r.bytes:,}")))
            continue
        bodies[r.file] = data
    listed = {r.file for r in meta.requests} | {SNAPSHOT_FILE}
    for path in sorted(folder.iterdir()):
        if not path.name.startswith(".") and path.name not in listed:
            problems.append(Problem(file=fid(path.name), rule="snapshot_unlisted_file",
                                    **msg(N_("snapshot.yaml does not list this file, so it was not retrieved with the snapshot; "
                                             "move it out"))))
    return bodies


def _data_table(r: SnapshotRequest, body: bytes, file_id: str, meta: Snapshot, by_id: dict[int, BdlVariable],
                attrs: dict[int, tuple[str, str]], registry_units: Mapping[str, str], accept_powiat: AbstractSet[str],
                county_is_city: bool, source_id: str, seen: set[tuple[int, str]], skip: set[int],
                problems: list[Problem]) -> Table | None:
    requested = {int(v) for v in r.params.get("var-id", []) if v.isdigit()}
    doc = _parse(body, file_id, problems, exact=True)
    results = _results(doc, file_id, problems, "data/by-unit") if doc is not None else None
    if results is None:
        skip.update(requested)
        return None
    city = meta.unit
    assert city is not None  # a snapshot of one unit
    unit_id = str(doc.get("unitId") or r.unit_id or "")
    if unit_id not in {city.id, meta.powiat_unit_id}:
        problems.append(Problem(file=file_id, rule="bdl_bad_response", value=unit_id,
                                **msg(N_("the response is for unit {unit}, but the snapshot is of gmina {gmina} ({name}) and "
                                         "its powiat {powiat}"), unit=repr(unit_id), gmina=city.id, name=city.name,
                                      powiat=meta.powiat_unit_id)))
        skip.update(requested)
        return None
    county = unit_id != city.id
    out = _Rows(file_id, attrs, source_id, seen, problems)
    pos = 0

    def bad(message: dict, row: int | None = None, value: str | None = None) -> None:
        problems.append(Problem(file=file_id, rule="bdl_bad_response", row=row, value=value, **message))

    for n, result in enumerate(results, 1):
        values = result.get("values") if isinstance(result, dict) else None
        var_text = str(result.get("id")) if isinstance(result, dict) else ""
        if not isinstance(values, list) or not var_text.isdigit():
            bad(msg(N_("result {n} is not a variable with a list of values (id and values)"), n=n), row=pos + 1)
            continue
        var = int(var_text)
        m = by_id.get(var)
        first = pos + 1
        if m is None:
            problems.append(Problem(file=file_id, rule="bdl_unmapped_variable", row=first, value=var_text,
                                    **msg(_UNMAPPED, var=var)))
            pos += len(values)
            continue
        if county and not county_is_city and m.variable not in accept_powiat:
            problems.append(Problem(file=file_id, rule="bdl_powiat_for_gmina", row=first, value=var_text,
                                    **msg(N_("{variable} (BDL var {var}) is published for powiat {powiat}, the whole county, "
                                             "but {name} ({gmina}) is a gmina without powiat rights; list {variable} under the "
                                             "city's accepted powiat proxies to use the county's value, or leave it out"),
                                          variable=m.variable, var=var, powiat=unit_id, name=city.name, gmina=city.id)))
            skip.add(var)
            pos += len(values)
            continue
        unit = registry_units.get(m.variable)
        if unit is None:
            problems.append(Problem(file=file_id, rule="unknown_variable", row=first, value=m.variable,
                                    **msg(_NOT_IN_REGISTRY, variable=m.variable)))
            skip.add(var)
            pos += len(values)
            continue
        where = "" if not county else (f"; published for powiat {unit_id} (the city with powiat rights)" if county_is_city else
                                       f"; value of powiat {unit_id}, the county, accepted as a proxy for gmina {city.id}")
        if m.deviation is not None:  # a proxy is declared where the value is shown, as the standard asks
            where += f"; proxy: {m.deviation.en}"
        pos = out.add(values, pos, var, m, unit, where)
    return out.table()


class _Rows:
    """The observation rows of one response file, value by value: the flag decides the status, the
    note names the BDL variable and its flag, a unit conversion is a recorded repair."""

    def __init__(self, file_id: str, attrs: dict[int, tuple[str, str]], source_id: str, seen: set[tuple[int, str]],
                 problems: list[Problem]):
        self.file_id, self.attrs, self.source_id, self.seen, self.problems = file_id, attrs, source_id, seen, problems
        self._table = Table(file_id, decimal_mark=".")
        self.rows: list[int] = []
        self.cols: dict[str, list[str | None]] = {c: [] for c in STAGING_COLUMNS}
        self._repaired: set[int] = set()

    def add(self, values: list[Any], pos: int, var: int, m: BdlVariable, unit: str, where: str, city: str | None = None) -> int:
        """The rows of ``values`` (the values of one variable of one unit, whose first is at
        ``pos + 1`` in the file) for ``city``; returns the position of the last."""
        for v in values:
            pos += 1
            year = str(v.get("year")) if isinstance(v, dict) else ""
            attr_text = str(v.get("attrId")) if isinstance(v, dict) else ""
            if not re.fullmatch(r"\d{4}", year) or not attr_text.isdigit():
                self.problems.append(Problem(file=self.file_id, rule="bdl_bad_response", row=pos, value=str(v)[:60],
                                             **msg(N_("value {n} of BDL var {var} has no year (YYYY) or no attrId"),
                                                   n=pos, var=var)))
                continue
            attr = int(attr_text)
            symbol, description = self.attrs.get(attr, ("", ""))
            note = f"BDL var {var}, attr {attr}" + (f" ({symbol})" if symbol else "") + (f": {description}" if description else "") + where
            if attr not in ATTRIBUTES:
                self.problems.append(Problem(
                    file=self.file_id, rule="bdl_unknown_attribute", row=pos, column="attrId", value=attr_text,
                    **msg(N_("BDL var {var}, {year}: flag attrId {attr} ({symbol}: {description}) is not one ingest knows "
                             "how to read; add it to ATTRIBUTES in pipeline/ingest/snapshot.py") if symbol or description else
                          N_("BDL var {var}, {year}: flag attrId {attr} (not in the snapshot's /attributes) is not one ingest "
                             "knows how to read; add it to ATTRIBUTES in pipeline/ingest/snapshot.py"),
                          var=var, year=year, attr=attr, symbol=symbol, description=description)))
                self.seen.add((var, year))
                continue
            status, keep = ATTRIBUTES[attr]
            text: str | None = None
            if keep:
                raw = v.get("val")
                try:
                    Decimal(raw if isinstance(raw, str) else "x")
                except InvalidOperation:
                    self.problems.append(Problem(file=self.file_id, rule="bdl_bad_response", row=pos, value=str(raw),
                                                 **msg(N_("BDL var {var}, {year}: the value {value} is not a number"),
                                                       var=var, year=year, value=repr(raw))))
                    self.seen.add((var, year))
                    continue
                text = raw
                if m.conversion != 1:
                    converted = _plain(Decimal(raw) * m.conversion)
                    if pos not in self._repaired:  # once per value, also where two cities take it
                        self._table.repair("bdl_unit_conversion", row=pos, column="value", original=raw, repaired=converted)
                        self._repaired.add(pos)
                    text = converted
            self.seen.add((var, year))
            self.rows.append(pos)
            for col, cell in zip(STAGING_COLUMNS, (city, year, m.variable, text, unit, self.source_id, status, note)):
                self.cols[col].append(cell)
        return pos

    def table(self) -> Table:
        self._table.header = list(STAGING_COLUMNS)
        self._table.data = pa.table({"row": pa.array(self.rows, pa.int32()),
                                     **{c: pa.array(self.cols[c], pa.string()) for c in STAGING_COLUMNS}})
        return self._table


# --- a snapshot of all gminas (version 2): /data/by-variable ------------------------------------


def _all_gminas(meta: Snapshot, bodies: dict[str, bytes], fid: Callable[[str], str], by_id: dict[int, BdlVariable],
                attrs: dict[int, tuple[str, str]], registry_units: Mapping[str, str],
                accept_by_city: Mapping[str, AbstractSet[str]], source_id: str,
                problems: list[Problem]) -> tuple[list[Table], str]:
    """The tables of a snapshot of all gminas, each row with its city (the gmina's TERYT code), and
    the words for the source register (``wszystkie gminy (2477)``)."""
    gminas: dict[str, tuple[str, str | None]] = {}  # BDL id: (name, parent powiat id)
    parts: set[str] = set()
    listing = [r for r in meta.requests if r.kind == "units" and r.path == "/units" and r.params.get("level") == ["6"]]
    units_complete = bool(listing)  # every units response read: a unit not in them is then an error
    for r in listing:
        doc = _parse(bodies[r.file], fid(r.file), problems, exact=False) if r.file in bodies else None
        listed = _results(doc, fid(r.file), problems, "units") if doc is not None else None
        if listed is None:
            units_complete = False
            continue
        for u in listed:
            uid = str(u.get("id", "")) if isinstance(u, dict) else ""
            if re.fullmatch(r"\d{12}", uid) and u.get("level") == 6:
                if is_gmina(uid):
                    gminas[uid] = (str(u.get("name") or ""), u.get("parentId") if isinstance(u.get("parentId"), str) else None)
                else:
                    parts.add(uid)
    if not listing or (units_complete and not gminas):
        problems.append(Problem(file=fid(SNAPSHOT_FILE), rule="bdl_bad_response",
                                **msg(N_("the snapshot has no units response (/units?level=6) that lists a gmina, so its "
                                         "values belong to no city; fetch a new snapshot"))))
    in_powiat: dict[str, list[str]] = {}
    for uid, (_, parent_id) in gminas.items():
        in_powiat.setdefault(parent_id or uid[:9] + "000", []).append(uid)

    seen: set[tuple[int, str]] = set()
    skip: set[int] = set()
    tables: list[Table] = []
    for r in meta.requests:
        if r.kind != "data-by-variable" or r.variable_id is None:
            continue
        var = r.variable_id
        file_id = fid(r.file)
        if r.file not in bodies:
            skip.add(var)
            continue
        m = by_id.get(var)
        if m is None:
            problems.append(Problem(file=file_id, rule="bdl_unmapped_variable", value=str(var), **msg(_UNMAPPED, var=var)))
            skip.add(var)
            continue
        unit = registry_units.get(m.variable)
        if unit is None:
            problems.append(Problem(file=file_id, rule="unknown_variable", value=m.variable,
                                    **msg(_NOT_IN_REGISTRY, variable=m.variable)))
            skip.add(var)
            continue
        level = r.params.get("unit-level", [""])[0]
        doc = _parse(bodies[r.file], file_id, problems, exact=True)
        results = _results(doc, file_id, problems, "data/by-variable") if doc is not None else None
        if results is None:
            skip.add(var)
            continue
        if level not in ("5", "6") or str(doc.get("variableId", var)) != str(var):
            problems.append(Problem(file=file_id, rule="bdl_bad_response", value=str(doc.get("variableId", level)),
                                    **msg(N_("the response is not of BDL var {var} at unit level 5 or 6, as snapshot.yaml "
                                             "records (variableId {variable_id}, unit-level {level}); fetch a new snapshot"),
                                          var=var, variable_id=repr(doc.get("variableId")), level=repr(level))))
            skip.add(var)
            continue
        proxy = f"; proxy: {m.deviation.en}" if m.deviation is not None else ""
        out = _Rows(file_id, attrs, source_id, seen, problems)
        pos = 0
        for n, result in enumerate(results, 1):
            values = result.get("values") if isinstance(result, dict) else None
            uid = str(result.get("id")) if isinstance(result, dict) else ""
            if not isinstance(values, list) or not re.fullmatch(r"\d{12}", uid):
                problems.append(Problem(file=file_id, rule="bdl_bad_response", row=pos + 1,
                                        **msg(N_("result {n} is not a unit with a list of values (id and values)"), n=n)))
                continue
            for v in values:  # a year with a value for any unit is published, whichever city takes it
                if isinstance(v, dict) and re.fullmatch(r"\d{4}", str(v.get("year"))):
                    seen.add((var, str(v.get("year"))))
            if level == "6":
                if uid in gminas:
                    pos = out.add(values, pos, var, m, unit, proxy, teryt_of(uid))
                    continue
                if uid not in parts and units_complete:
                    problems.append(Problem(file=file_id, rule="bdl_unknown_unit", row=pos + 1, value=uid,
                                            **msg(N_("unit {unit} ({name}) is not among the units of level 6 the snapshot lists "
                                                     "(units-level6-*.json), so its city is not known; fetch a new snapshot"),
                                                  unit=uid, name=str(result.get("name")))))
                pos += len(values)  # a part of a gmina (a town or rural area, a district) is no city
                continue
            for g in in_powiat.get(uid, []):  # a powiat's value: its city with powiat rights, or a gmina that accepts it
                city = teryt_of(g)
                if powiat_rights(g):
                    out.add(values, pos, var, m, unit, f"; published for powiat {uid} (the city with powiat rights){proxy}", city)
                elif m.variable in accept_by_city.get(city, ()):
                    out.add(values, pos, var, m, unit, f"; value of powiat {uid}, the county, accepted as a proxy for gmina "
                            f"{g}{proxy}", city)
            pos += len(values)
        if out.rows:  # a page of parts of gminas, or of powiats without a city, gives no table
            tables.append(out.table())

    for r in meta.requests:  # a year asked for that BDL gives for no unit at all: not yet published?
        if r.kind != "data-by-variable" or r.page not in (0, None) or r.variable_id not in by_id or r.variable_id in skip:
            continue
        var = r.variable_id
        for year in (str(y) for y in meta.years if (var, str(y)) not in seen):
            problems.append(Problem(file=fid(r.file), rule="bdl_missing_year", value=year,
                                    **msg(N_("BDL gave no value for {year} of {variable} (BDL var {var}) for any unit of level "
                                             "{level}, though the year was asked for; not yet published?"),
                                          year=year, variable=by_id[var].variable, var=var,
                                          level=r.params.get("unit-level", ["?"])[0])))
            seen.add((var, year))
    n = len(gminas)
    where = (f"wszystkie gminy ({n})" if meta.parent is None else
             f"gminy jednostki {meta.parent.id} ({meta.parent.name}), {n}")
    return tables, where


__all__ = ["ATTRIBUTES", "SOURCE_ID", "powiat_rights", "read_snapshot"]
