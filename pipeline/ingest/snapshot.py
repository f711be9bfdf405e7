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
(the folder's city), ``year`` the text BDL gave, ``variable`` and ``unit`` the registry's,
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
``bdl_bad_response`` (not JSON, e.g. truncated, or not the shape of a ``data/by-unit`` response),
``bdl_unmapped_variable`` (a response variable not in the mapping), ``bdl_missing_year`` (a year
asked for with no value of a variable), ``bdl_unknown_attribute``, and ``bdl_powiat_for_gmina``: a
value published for the powiat, when the city is a gmina that is not a city with powiat rights, is
the county's and is refused unless the registry variable is in ``accept_powiat`` (the city accepts
it as a proxy). A city with powiat rights is recognised by its TERYT powiat code (61 and above:
the ``PP`` digits of the 12-digit id), and its powiat values are the city's.
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

from pipeline.catalogue.sources import BdlVariable, Snapshot, SnapshotRequest, SourceMapping
from pipeline.ingest.reading import STAGING_COLUMNS, Table
from pipeline.problems import Problem
from pipeline.yamlio import YamlFile

SNAPSHOT_FILE = "snapshot.yaml"
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

def powiat_rights(unit_id: str) -> bool:
    """Whether a 12-digit BDL gmina id is a city with powiat rights (TERYT powiat code 61–99)."""
    return unit_id[7:9].isdigit() and int(unit_id[7:9]) >= 61


def _plain(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _parse(data: bytes, file_id: str, problems: list[Problem], exact: bool) -> Any:
    """The JSON document, numbers kept as written when ``exact``; None with ``bdl_bad_response``."""
    try:
        return json.loads(data, parse_int=str, parse_float=str) if exact else json.loads(data)
    except UnicodeDecodeError as e:
        problems.append(Problem(file=file_id, rule="bdl_bad_response", message=f"the response is not UTF-8 text ({e.reason} at byte {e.start}); fetch a new snapshot"))
    except ValueError as e:
        lineno = getattr(e, "lineno", None)
        problems.append(Problem(file=file_id, rule="bdl_bad_response", line=lineno,
                                message=f"the response is not valid JSON, truncated or damaged ({e}); fetch a new snapshot"))
    return None


def _results(doc: Any, file_id: str, problems: list[Problem], what: str) -> list[Any] | None:
    results = doc.get("results") if isinstance(doc, dict) else None
    if not isinstance(results, list):
        problems.append(Problem(file=file_id, rule="bdl_bad_response", message=f"not a {what} response: it has no list 'results'"))
        return None
    return results


def read_snapshot(folder: Path, file_id_prefix: str, mappings: SourceMapping | Sequence[BdlVariable],
                  registry_units: Mapping[str, str], accept_powiat: AbstractSet[str] = frozenset(),
                  source_id: str = SOURCE_ID) -> tuple[list[Table], list[Problem], dict[str, str] | None]:
    """The observation tables, the problems and the source row of one snapshot folder.

    ``file_id_prefix`` is the folder's path as ingest names files (``gdansk/snapshots/bdl-2025-01-31``);
    ``registry_units`` maps each registry variable to its unit; ``accept_powiat`` names the
    registry variables whose powiat value the city accepts as a proxy for its own."""
    folder = Path(folder)
    prefix = file_id_prefix.rstrip("/")
    problems: list[Problem] = []

    def fid(name: str) -> str:
        return f"{prefix}/{name}" if prefix else name

    variables = list(mappings.variables if isinstance(mappings, SourceMapping) else mappings)
    meta_path = folder / SNAPSHOT_FILE
    if not meta_path.is_file():
        return [], [Problem(file=fid(SNAPSHOT_FILE), rule="snapshot_file_missing",
                            message="the snapshot folder has no snapshot.yaml, so its files cannot be checked; fetch a new snapshot")], None
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
    city = meta.unit
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
                                        message=f"BDL gave no value for {year} of {by_id[var].variable} (BDL var {var}) for unit "
                                        f"{r.unit_id}, though the year was asked for; not yet published, or not at this level?"))
                seen.add((var, year))

    requested = sorted({int(v) for r in meta.requests if r.kind == "data" for v in r.params.get("var-id", []) if v.isdigit()})
    source = {
        "source_id": source_id,
        "organisation": meta.organisation,
        "dataset": f"Bank Danych Lokalnych, zmienne {', '.join(map(str, requested))}; jednostka {city.id} ({city.name})",
        "url": meta.endpoint,
        "retrieved_on": meta.retrieved_at.date().isoformat(),
        "licence": f"{meta.licence}; {meta.attribution}",
        "origin": f"BDL API snapshot {folder.name}, retrieved {meta.retrieved_at.isoformat()}",
    }
    return tables, problems, source


def _intact_files(folder: Path, meta: Snapshot, fid: Callable[[str], str], problems: list[Problem]) -> dict[str, bytes]:
    """The bodies of the listed files whose size and SHA-256 are those recorded."""
    bodies: dict[str, bytes] = {}
    when = meta.retrieved_at.date().isoformat()
    for r in meta.requests:
        path = folder / r.file
        if not path.is_file():
            problems.append(Problem(file=fid(r.file), rule="snapshot_file_missing",
                                    message=f"snapshot.yaml lists this response ({r.path}) but the file is missing; "
                                    "a snapshot is kept whole: restore the file or fetch a new snapshot"))
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != r.sha256 or len(data) != r.bytes:
            problems.append(Problem(file=fid(r.file), rule="snapshot_changed", value=f"{digest[:12]}…",
                                    message=f"the file is not the response retrieved on {when}: SHA-256 {digest[:12]}…, "
                                    f"{len(data):,} bytes, where snapshot.yaml records {r.sha256[:12]}…, {r.bytes:,} bytes; "
                                    "raw snapshots are never edited: restore the file or fetch a new snapshot"))
            continue
        bodies[r.file] = data
    listed = {r.file for r in meta.requests} | {SNAPSHOT_FILE}
    for path in sorted(folder.iterdir()):
        if not path.name.startswith(".") and path.name not in listed:
            problems.append(Problem(file=fid(path.name), rule="snapshot_unlisted_file",
                                    message="snapshot.yaml does not list this file, so it was not retrieved with the snapshot; move it out"))
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
    unit_id = str(doc.get("unitId") or r.unit_id or "")
    if unit_id not in {city.id, meta.powiat_unit_id}:
        problems.append(Problem(file=file_id, rule="bdl_bad_response", value=unit_id,
                                message=f"the response is for unit {unit_id!r}, but the snapshot is of gmina {city.id} "
                                f"({city.name}) and its powiat {meta.powiat_unit_id}"))
        skip.update(requested)
        return None
    county = unit_id != city.id
    table = Table(file_id, decimal_mark=".")
    rows: list[int] = []
    cols: dict[str, list[str | None]] = {c: [] for c in STAGING_COLUMNS}
    pos = 0

    def bad(message: str, row: int | None = None, value: str | None = None) -> None:
        problems.append(Problem(file=file_id, rule="bdl_bad_response", row=row, value=value, message=message))

    for n, result in enumerate(results, 1):
        values = result.get("values") if isinstance(result, dict) else None
        var_text = str(result.get("id")) if isinstance(result, dict) else ""
        if not isinstance(values, list) or not var_text.isdigit():
            bad(f"result {n} is not a variable with a list of values (id and values)", row=pos + 1)
            continue
        var = int(var_text)
        m = by_id.get(var)
        first = pos + 1
        if m is None:
            problems.append(Problem(file=file_id, rule="bdl_unmapped_variable", row=first, value=var_text,
                                    message=f"the response holds BDL var {var}, which indicators/sources/bdl.yaml does not map "
                                    "to a registry variable; map it or fetch without it"))
            pos += len(values)
            continue
        if county and not county_is_city and m.variable not in accept_powiat:
            problems.append(Problem(file=file_id, rule="bdl_powiat_for_gmina", row=first, value=var_text,
                                    message=f"{m.variable} (BDL var {var}) is published for powiat {unit_id}, the whole county, "
                                    f"but {city.name} ({city.id}) is a gmina without powiat rights; list {m.variable} under the "
                                    "city's accepted powiat proxies to use the county's value, or leave it out"))
            skip.add(var)
            pos += len(values)
            continue
        unit = registry_units.get(m.variable)
        if unit is None:
            problems.append(Problem(file=file_id, rule="unknown_variable", row=first, value=m.variable,
                                    message=f"{m.variable} is not a variable of the registry"))
            skip.add(var)
            pos += len(values)
            continue
        where = "" if not county else (f"; published for powiat {unit_id} (the city with powiat rights)" if county_is_city else
                                       f"; value of powiat {unit_id}, the county, accepted as a proxy for gmina {city.id}")
        if m.deviation is not None:  # a proxy is declared where the value is shown, as the standard asks
            where += f"; proxy: {m.deviation.en}"
        for v in values:
            pos += 1
            year = str(v.get("year")) if isinstance(v, dict) else ""
            attr_text = str(v.get("attrId")) if isinstance(v, dict) else ""
            if not re.fullmatch(r"\d{4}", year) or not attr_text.isdigit():
                bad(f"value {pos} of BDL var {var} has no year (YYYY) or no attrId", row=pos, value=str(v)[:60])
                continue
            attr = int(attr_text)
            symbol, description = attrs.get(attr, ("", ""))
            note = f"BDL var {var}, attr {attr}" + (f" ({symbol})" if symbol else "") + (f": {description}" if description else "") + where
            if attr not in ATTRIBUTES:
                problems.append(Problem(file=file_id, rule="bdl_unknown_attribute", row=pos, column="attrId", value=attr_text,
                                        message=f"BDL var {var}, {year}: flag attrId {attr}"
                                        + (f" ({symbol}: {description})" if symbol or description else " (not in the snapshot's /attributes)")
                                        + " is not one ingest knows how to read; add it to ATTRIBUTES in pipeline/ingest/snapshot.py"))
                seen.add((var, year))
                continue
            status, keep = ATTRIBUTES[attr]
            text: str | None = None
            if keep:
                raw = v.get("val")
                try:
                    Decimal(raw if isinstance(raw, str) else "x")
                except InvalidOperation:
                    bad(f"BDL var {var}, {year}: the value {raw!r} is not a number", row=pos, value=str(raw))
                    seen.add((var, year))
                    continue
                text = raw
                if m.conversion != 1:
                    converted = _plain(Decimal(raw) * m.conversion)
                    table.repair("bdl_unit_conversion", row=pos, column="value", original=raw, repaired=converted)
                    text = converted
            seen.add((var, year))
            rows.append(pos)
            for col, cell in zip(STAGING_COLUMNS, (None, year, m.variable, text, unit, source_id, status, note)):
                cols[col].append(cell)
    table.header = list(STAGING_COLUMNS)
    table.data = pa.table({"row": pa.array(rows, pa.int32()), **{c: pa.array(cols[c], pa.string()) for c in STAGING_COLUMNS}})
    return table


__all__ = ["ATTRIBUTES", "SOURCE_ID", "powiat_rights", "read_snapshot"]
