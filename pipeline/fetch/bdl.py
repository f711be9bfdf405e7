"""Statistics Poland's Local Data Bank (BDL) API → a frozen snapshot in a city's raw folder.

**Why an own client.** The PyPI package ``pybdl`` 1.1.0 (MIT; read in its repository
AN0DA/pyBDL, by the author of the response samples we test against) covers the whole API with
sync and async clients, the quotas and retries on 429, but it is built for analysis: its access
layer returns pandas DataFrames and its API layer decoded JSON, never the bytes as received, which
a snapshot must keep and hash; by default it answers from an SQLite HTTP cache (hishel, one hour)
and keeps quota counts in a cache folder (``.cache/pybdl``, or a per-user one via platformdirs),
so a "fresh" fetch can silently be a cached copy. It builds its ``httpx.Client`` inside (no
transport to inject: tests would patch internals), its retries call ``time.sleep`` directly, and
it brings pandas, hishel, platformdirs and tqdm for what is here a few hundred lines on httpx,
which the project already pins. So this is a small own client: raw bodies, an injected
``httpx.Client`` (``httpx.MockTransport`` in tests), an injectable clock and sleep, no cache.

**What it does.**

- ``GET {base}/…?format=json&lang=pl`` with the optional API key in the header ``X-ClientId``
  (argument, or the environment variable ``BDL_API_KEY``); lists are read with
  ``page=0&page-size=100`` and ``links.next`` is followed until it is absent (only to the same
  endpoint).
- A client-side rate limiter keeps to the quotas of SOURCES.md §1.2 (anonymous 5/s, 100/15 min,
  1 000/12 h, 10 000/7 days; with a key 10/s, 500/15 min, 5 000/12 h, 50 000/7 days) for the
  requests of this process; when a quota would need a wait longer than ``max_wait`` (15 min) it
  stops with :class:`BdlError` instead of sleeping for hours. HTTP 429 waits for ``Retry-After``
  (seconds or an HTTP date), else 2, 4, 8… s, and retries at most ``max_retries`` times. Any other
  HTTP error or a network error raises :class:`BdlError` naming the URL and the status: the CLI
  prints ``str(error)`` and exits 2, no traceback.
- :func:`resolve_unit`: TERYT (7 digits, ``WWPPGGT``) → the BDL gmina (level 6) from the API,
  never guessed. A BDL id is ``MM WW R SS PP GG T`` (SOURCES.md §1.3): the voivodeship, powiat,
  gmina and type digits are TERYT, the macroregion, region and subregion digits are BDL's own, so
  the unit is looked up: with a name, ``/units/search?name=…&level=6``; without, ``/units?level=2``
  (the voivodeship whose ``WW`` matches) then ``/units?level=6&parent-id=<voivodeship>``; the one
  unit whose ``WW`` + ``PPGGT`` equal the TERYT code is taken. A 12-digit BDL id is checked with
  ``/units/{id}``. Every units response used is kept in the snapshot. (The walk assumes that
  ``parent-id`` with ``level`` lists every unit of that level below the parent, not only its
  children; the name search does not. Check it on the first live run.)
- :func:`fetch_snapshot`: the units lookup, ``/attributes`` (the flag dictionary), ``/version``,
  and ``/data/by-unit/{unit}?var-id=…&year=…`` for every mapped variable, at most 50 var-ids per
  request: gmina-level variables from the gmina, powiat-level ones from its parent powiat (the
  ``parentId`` the API gave). Ingest decides whether a powiat value may stand for the city.
- :func:`check_mapping`: ``/variables/{id}`` for every ``unverified`` entry, compared field by
  field (subject, n1…n5, level, unit) with the mapping; nothing is written.

- :func:`fetch_all_gminas` (``--all-gminas``): every gmina of the country (or below ``--parent``)
  in one snapshot for a folder of many cities: ``/units?level=2`` (the voivodeships, for the
  regions), ``/units?level=6`` (paged: the gminas, and the parts of gminas that BDL lists at level
  6 too), the dictionaries, and per mapped variable ``/data/by-variable/{var}?unit-level=6&year=…``
  (``unit-level=5`` for a powiat-level one), paged. About 40 pages a variable for 2,477 gminas and
  their parts: a few hundred requests for the whole mapping, where the by-unit route would need
  thousands; anonymously the 100 per 15 min quota makes it about an hour of waiting, with a key a
  few minutes. :func:`write_city_files` then writes the folder's ``cities.yaml`` (one city per
  gmina) and ``sources.csv`` (header only) if they are absent. (``unit-parent-id``, like
  ``parent-id``, is assumed to filter every unit below the parent; check it on the first live run.)
**The snapshot** (``<raw city folder>/snapshots/bdl-<YYYY-MM-DD>/``, the UTC date of retrieval)::

    units-1.json …                          units responses, in the order requested
    attributes-p0.json                      the attribute (flag) dictionary
    version.json                            /version (left out if the API has none)
    data-by-unit-<unit>-p<page>-<n>.json    data: unit id, 0-based page, n-th chunk of var-ids
    snapshot.yaml                           source, endpoint, API version, retrieval time (UTC),
                                            licence and attribution, the unit, the years, the
                                            mapping entries used, and per file: kind, URL path,
                                            parameters, HTTP status, SHA-256 and size

A snapshot of all gminas (``snapshot_version: 2``, ``scope: all-gminas``, no ``unit``; ``parent``
when ``--parent`` was given) holds ``units-parent.json``, ``units-level2-p<page>.json``,
``units-level6-p<page>.json``, the dictionaries, and ``data-by-variable-<var>-p<page>.json`` (kind
``data-by-variable`` with its ``variable_id``). A snapshot of one unit is still written as version
1, which earlier releases read.

Every body is written exactly as received. The folder is written under a hidden temporary name
beside it and renamed into place when complete, so a failure leaves nothing; an existing folder of
the same name is never overwritten (:class:`BdlError`; pass ``folder_name`` for a second snapshot
on one day). Ingest walks the raw folder and skips hidden names, so a leftover temporary folder is
never read.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from ruamel.yaml import YAML

from pipeline.catalogue.sources import (
    GMINA_TYPES,
    BdlVariable,
    Level,
    MappingStatus,
    Snapshot,
    SnapshotRequest,
    SnapshotUnit,
    SNAPSHOT_FILE,
    SNAPSHOTS_DIR,
    SourceMapping,
    is_gmina,
    powiat_rights,
    teryt_of,
)

BASE_URL = "https://bdl.stat.gov.pl/api/v1"
API_KEY_ENV = "BDL_API_KEY"
PAGE_SIZE = 100
VARS_PER_REQUEST = 50
MAX_PAGES = 1000
CITIES_FILE = "cities.yaml"
SOURCES_FILE = "sources.csv"
SOURCES_HEADER = "source_id,organisation,dataset,url,retrieved_on,licence\n"
"""The required columns of ``sources.csv`` (``pipeline.ingest.models.SOURCE_COLUMNS``; fetch does not import ingest)."""
ANONYMOUS_QUOTAS: tuple[tuple[float, int], ...] = ((1, 5), (15 * 60, 100), (12 * 3600, 1_000), (7 * 86400, 10_000))
KEY_QUOTAS: tuple[tuple[float, int], ...] = ((1, 10), (15 * 60, 500), (12 * 3600, 5_000), (7 * 86400, 50_000))
DATASET = "Bank Danych Lokalnych (BDL)"


class BdlError(Exception):
    """A failure talking to the BDL API or writing a snapshot. The message names the URL and the
    HTTP status and is meant to be printed as it is (no traceback)."""

    def __init__(self, message: str, url: str | None = None, status: int | None = None):
        super().__init__(message)
        self.url = url
        self.status = status


def _period(seconds: float) -> str:
    for size, name in ((7 * 86400, "7 days"), (12 * 3600, "12 h"), (15 * 60, "15 min")):
        if seconds == size:
            return name
    return f"{seconds:g} s"


class RateLimiter:
    """Keeps the requests of this process within sliding-window quotas ``(seconds, requests)``.

    ``clock`` (monotonic seconds) and ``sleep`` are injectable, so tests do not wait. A wait longer
    than ``max_wait`` seconds raises :class:`BdlError` instead of sleeping."""

    def __init__(self, quotas: Sequence[tuple[float, int]] = ANONYMOUS_QUOTAS, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, max_wait: float = 900.0):
        self.quotas = tuple(quotas)
        self.clock, self.sleep, self.max_wait = clock, sleep, max_wait
        self._sent: list[deque[float]] = [deque() for _ in self.quotas]

    def acquire(self) -> float:
        """Wait until a request may be sent and count it; return the seconds waited."""
        waited = 0.0
        while True:
            now = self.clock()
            wait, binding = 0.0, None
            for (period, limit), sent in zip(self.quotas, self._sent):
                while sent and sent[0] <= now - period:
                    sent.popleft()
                if len(sent) >= limit and sent[0] + period - now > wait:
                    wait, binding = sent[0] + period - now, (period, limit)
            if binding is None:
                for sent in self._sent:
                    sent.append(now)
                return waited
            if wait > self.max_wait:
                raise BdlError(f"BDL quota: {binding[1]} requests per {_period(binding[0])} are used up and the next slot is "
                               f"{wait:,.0f} s away; run again later, or with an API key (header X-ClientId, environment "
                               f"variable {API_KEY_ENV}) for higher quotas")
            self.sleep(wait)
            waited += wait


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date), or None."""
    if not value or not value.strip():
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class Fetched:
    """One response: what was asked (path below the endpoint, parameters) and the body as received."""

    kind: str
    url: str
    path: str
    params: tuple[tuple[str, str], ...]
    status: int
    body: bytes
    unit_id: str | None = None
    page: int | None = None

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as e:
            raise BdlError(f"BDL API: the response to {self.url} is not JSON ({e}); it starts {self.body[:60]!r}",
                           url=self.url, status=self.status) from None

    def results(self) -> list[Any]:
        data = self.json()
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            raise BdlError(f"BDL API: the response to {self.url} has no list 'results'", url=self.url, status=self.status)
        return results


class BdlClient:
    """A small BDL API client on an injected ``httpx.Client`` (a real one by default)."""

    def __init__(self, http: httpx.Client | None = None, *, api_key: str | None = None, base_url: str = BASE_URL,
                 lang: str = "pl", limiter: RateLimiter | None = None, sleep: Callable[[float], None] = time.sleep,
                 max_retries: int = 3, backoff: float = 2.0, max_retry_wait: float = 900.0, timeout: float = 60.0):
        self.api_key = api_key if api_key is not None else (os.environ.get(API_KEY_ENV) or None)
        self._own = http is None
        self.http = http if http is not None else httpx.Client(timeout=timeout)
        self.base_url = base_url.rstrip("/")
        self.lang = lang
        self.sleep = sleep
        self.limiter = limiter or RateLimiter(KEY_QUOTAS if self.api_key else ANONYMOUS_QUOTAS, sleep=sleep)
        self.max_retries, self.backoff, self.max_retry_wait = max_retries, backoff, max_retry_wait
        self.headers = {"Accept": "application/json", **({"X-ClientId": self.api_key} if self.api_key else {})}

    def close(self) -> None:
        if self._own:
            self.http.close()

    def __enter__(self) -> BdlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, params: Sequence[tuple[str, str]] = (), *, kind: str, unit_id: str | None = None,
            page: int | None = None) -> Fetched:
        """One ``GET {base}{path}`` with ``format=json&lang=…`` added."""
        return self._send(self.base_url + path, path, (*params, ("format", "json"), ("lang", self.lang)), kind, unit_id, page)

    def pages(self, path: str, params: Sequence[tuple[str, str]] = (), *, kind: str, unit_id: str | None = None) -> list[Fetched]:
        """Every page of a list: ``page=0&page-size=100``, then ``links.next`` until it is absent."""
        out = [self.get(path, (*params, ("page", "0"), ("page-size", str(PAGE_SIZE))), kind=kind, unit_id=unit_id, page=0)]
        base = urlsplit(self.base_url)
        seen: set[str] = set()
        while (link := _next_link(out[-1])) is not None:
            parts = urlsplit(link)
            if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or not parts.path.startswith(base.path + "/"):
                raise BdlError(f"BDL API: links.next of {out[-1].url} leads outside {self.base_url} ({link}); not followed",
                               url=out[-1].url)
            if link in seen or len(out) >= MAX_PAGES:
                raise BdlError(f"BDL API: paging of {path} does not end (links.next {link} after {len(out)} pages)", url=link)
            seen.add(link)
            query = tuple(parse_qsl(parts.query, keep_blank_values=True))
            page = next((int(v) for k, v in query if k == "page" and v.isdigit()), len(out))
            out.append(self._send(f"{parts.scheme}://{parts.netloc}{parts.path}", parts.path[len(base.path):], query,
                                  kind, unit_id, page))
        return out

    def _send(self, url: str, path: str, params: tuple[tuple[str, str], ...], kind: str, unit_id: str | None,
              page: int | None) -> Fetched:
        shown = f"{url}?{urlencode(params)}" if params else url
        for attempt in range(self.max_retries + 1):
            self.limiter.acquire()
            try:
                r = self.http.get(url, params=list(params), headers=self.headers)
            except httpx.HTTPError as e:
                raise BdlError(f"BDL API: no response from {shown} ({type(e).__name__}: {e or 'network error'})", url=shown) from None
            if r.status_code == 429 and attempt < self.max_retries:
                wait = retry_after(r.headers.get("Retry-After"))
                wait = self.backoff * 2 ** attempt if wait is None else wait
                if wait > self.max_retry_wait:
                    raise BdlError(f"BDL API: HTTP 429 Too Many Requests for {shown}; the API asks to wait {wait:,.0f} s, "
                                   "longer than this run waits; run again later", url=shown, status=429)
                self.sleep(wait)
                continue
            if r.status_code != 200:
                detail = r.text.strip().replace("\n", " ")[:200] if r.content else ""
                extra = (f" after {self.max_retries} retries; the quota is used up: run again later, or with an API key"
                         if r.status_code == 429 else "")
                raise BdlError(f"BDL API: HTTP {r.status_code} {r.reason_phrase} for {shown}{extra}" + (f": {detail}" if detail else ""),
                               url=shown, status=r.status_code)
            return Fetched(kind, shown, path, params, r.status_code, r.content, unit_id, page)
        raise AssertionError("unreachable")


def _next_link(f: Fetched) -> str | None:
    data = f.json()
    links = data.get("links") if isinstance(data, dict) else None
    link = links.get("next") if isinstance(links, dict) else None
    return link if isinstance(link, str) and link else None


# --- units ------------------------------------------------------------------------------------


def _unit(record: dict[str, Any]) -> SnapshotUnit:
    return SnapshotUnit(id=record["id"], name=record.get("name", ""), level=record.get("level", -1), kind=record.get("kind"),
                        parent_id=record.get("parentId"), teryt=teryt_of(record["id"]) if record.get("level") == 6 else None)


def resolve_unit(client: BdlClient, unit: str, name: str | None = None) -> tuple[SnapshotUnit, list[Fetched]]:
    """The BDL gmina (level 6) of a TERYT code (or a 12-digit BDL id), from the units endpoint,
    with the responses used."""
    unit = unit.strip()
    if re.fullmatch(r"\d{12}", unit):
        fetched = [client.get(f"/units/{unit}", kind="units")]
        record = fetched[0].json()
        candidates = [record] if isinstance(record, dict) and record.get("id") == unit else []
        wanted = f"BDL unit {unit}"
    elif re.fullmatch(r"\d{7}", unit):
        wanted = f"TERYT {unit}"
        if name:
            fetched = client.pages("/units/search", [("name", name), ("level", "6")], kind="units")
        else:
            fetched = client.pages("/units", [("level", "2")], kind="units")
            regions = [u for f in fetched for u in f.results() if isinstance(u, dict) and str(u.get("id", ""))[2:4] == unit[:2]]
            if len(regions) != 1:
                raise BdlError(f"BDL units: {len(regions)} voivodeships with TERYT {unit[:2]} in {fetched[0].url}; "
                               "give the city's name (--name) to search for it instead", url=fetched[0].url)
            fetched += client.pages("/units", [("level", "6"), ("parent-id", regions[0]["id"])], kind="units")
        candidates = [u for f in fetched for u in f.results()
                      if isinstance(u, dict) and re.fullmatch(r"\d{12}", str(u.get("id", ""))) and teryt_of(u["id"]) == unit]
    else:
        raise BdlError(f"{unit!r} is neither a TERYT gmina code (7 digits, e.g. 2261011) nor a BDL unit id (12 digits)")
    gminas = [u for u in candidates if u.get("level") == 6]
    if len(gminas) != 1:
        found = ", ".join(f"{u.get('id')} {u.get('name')} (level {u.get('level')})" for u in candidates) or "none"
        raise BdlError(f"BDL units: expected one gmina (level 6) for {wanted}, found {found} in "
                       + ", ".join(f.url for f in fetched[:3]) + ("…" if len(fetched) > 3 else ""))
    return _unit(gminas[0]), fetched


def gminas_in(client: BdlClient, parent_id: str | None = None) -> tuple[list[SnapshotUnit], list[Fetched]]:
    """Every unit of level 6 below a BDL unit (a powiat, a voivodeship), or of the whole country
    when ``parent_id`` is None, for ``--all-gminas``. Level 6 holds the parts of gminas too
    (:func:`~pipeline.catalogue.sources.is_gmina` tells the gminas)."""
    fetched = client.pages("/units", [("level", "6"), *([("parent-id", parent_id)] if parent_id else [])], kind="units")
    units = [_unit(u) for f in fetched for u in f.results() if isinstance(u, dict) and u.get("level") == 6]
    return units, fetched


# --- the snapshot -------------------------------------------------------------------------------


def _chunks(items: Sequence[BdlVariable], size: int) -> Iterable[Sequence[BdlVariable]]:
    return (items[i:i + size] for i in range(0, len(items), size))


def _version(client: BdlClient) -> tuple[Fetched | None, str | None]:
    """``/version``, or (None, None) where the API answers it with a client error."""
    try:
        f = client.get("/version", kind="version")
    except BdlError as e:
        if e.status is not None and 400 <= e.status < 500 and e.status != 429:
            return None, None
        raise
    try:
        data = json.loads(f.body)
    except ValueError:
        data = f.body.decode("utf-8", "replace").strip()
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f, text[:200] or None


def fetch_snapshot(client: BdlClient, raw_folder: Path, unit: str, years: Sequence[int], mapping: SourceMapping, *,
                   name: str | None = None, variables: Iterable[str] | None = None, folder_name: str | None = None,
                   now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Path:
    """Fetch every mapped variable (or only ``variables``, registry ids) of one gmina for ``years``
    into ``<raw_folder>/snapshots/<folder_name or bdl-YYYY-MM-DD>/``; return that folder.

    Raises :class:`BdlError` (and writes nothing) on any failure, and when the folder exists."""
    started = now().astimezone(UTC)
    target = Path(raw_folder) / SNAPSHOTS_DIR / (folder_name or f"bdl-{started.date().isoformat()}")
    if target.exists():
        raise BdlError(f"{target} already exists; a snapshot is never overwritten (raw inputs are never modified). "
                       "Fetch on another day, or name the new snapshot folder")
    years = _check_years(years)
    entries = _entries(mapping, variables)

    city, units = resolve_unit(client, unit, name)
    files: list[tuple[str, Fetched]] = [(f"units-{n}.json", f) for n, f in enumerate(units, 1)]
    api_version = _dictionaries(client, files)
    by_unit: dict[str, list[BdlVariable]] = {}
    for v in entries:
        unit_id = city.id if v.level is Level.gmina else city.parent_id
        if unit_id is None:
            raise BdlError(f"BDL units: gmina {city.id} has no parent powiat in the units response, needed for {v.variable}")
        by_unit.setdefault(unit_id, []).append(v)
    for unit_id, group in by_unit.items():
        for n, chunk in enumerate(_chunks(group, VARS_PER_REQUEST), 1):
            params = [("var-id", str(v.bdl_variable_id)) for v in chunk] + [("year", str(y)) for y in years]
            for f in client.pages(f"/data/by-unit/{unit_id}", params, kind="data", unit_id=unit_id):
                files.append((f"data-by-unit-{unit_id}-p{f.page}-{n}.json", f))

    meta = Snapshot(
        source=mapping.id, organisation=mapping.organisation, dataset=DATASET, endpoint=client.base_url,
        api_version=api_version, retrieved_at=started.replace(microsecond=0), licence=mapping.licence,
        attribution=mapping.attribution, unit=city,
        powiat_unit_id=city.parent_id if any(v.level is Level.powiat for v in entries) else None,
        years=years, mappings=entries, requests=[_request(file, f) for file, f in files])
    write_snapshot(target, [(file, f.body) for file, f in files], meta)
    return target


def _check_years(years: Iterable[int]) -> list[int]:
    out = sorted(set(years))
    if not out:
        raise BdlError("no years to fetch")
    return out


def _entries(mapping: SourceMapping, variables: Iterable[str] | None) -> list[BdlVariable]:
    """The mapping entries asked for (all by default); an unknown registry variable is an error."""
    wanted = set(variables) if variables is not None else None
    entries = [v for v in mapping.variables if wanted is None or v.variable in wanted]
    if wanted is not None and (unknown := wanted - {v.variable for v in entries}):
        raise BdlError(f"not in the {mapping.id} mapping: {', '.join(sorted(unknown))}")
    return entries


def _dictionaries(client: BdlClient, files: list[tuple[str, Fetched]]) -> str | None:
    """``/attributes`` (every page) and ``/version`` into ``files``; the API version."""
    files += [(f"attributes-p{f.page}.json", f) for f in client.pages("/attributes", kind="attributes")]
    version, api_version = _version(client)
    if version is not None:
        files.append(("version.json", version))
    return api_version


def _request(file: str, f: Fetched, variable_id: int | None = None) -> SnapshotRequest:
    return SnapshotRequest(file=file, kind=f.kind, path=f.path, params=_params(f.params), unit_id=f.unit_id,
                           variable_id=variable_id, page=f.page, status=f.status, sha256=hashlib.sha256(f.body).hexdigest(),
                           bytes=len(f.body))


# --- every gmina: one multi-city snapshot -------------------------------------------------------


@dataclass(frozen=True)
class AllGminas:
    """What :func:`fetch_all_gminas` wrote and found."""

    folder: Path
    """The snapshot folder."""
    gminas: tuple[SnapshotUnit, ...]
    """The gminas (types 1–3), the cities of the folder, in the order of the units responses."""
    parts: int
    """Level-6 units that are parts of gminas (types 4, 5, 8, 9): kept in the responses, no cities."""
    regions: dict[str, str]
    """Voivodeship names (lower case, as Polish writes them) by TERYT code (``22`` → ``pomorskie``)."""
    powiat_variables: tuple[str, ...]
    """Registry variables fetched at powiat level (their values go to the cities with powiat rights)."""
    requests: int


def fetch_all_gminas(client: BdlClient, raw_folder: Path, years: Sequence[int], mapping: SourceMapping, *,
                     parent: str | None = None, variables: Iterable[str] | None = None, folder_name: str | None = None,
                     now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> AllGminas:
    """Fetch every mapped variable (or only ``variables``) of every gmina of the country (or of the
    gminas below ``parent``, a 12-digit BDL id of level 0–5) for ``years`` into one snapshot of scope
    ``all-gminas`` (``snapshot.yaml`` version 2) in ``<raw_folder>/snapshots/<folder_name or bdl-YYYY-MM-DD>/``.

    One ``/data/by-variable/{var}?unit-level=6&year=…`` list per gmina-level variable (about 40
    pages of 100 units for the whole country), ``unit-level=5`` for a powiat-level one (about 4
    pages); the voivodeships (``/units?level=2``) and every unit of level 6 (``/units?level=6``),
    from which ingest and the folder's ``cities.yaml`` (:func:`write_city_files`) take the gminas.
    Raises :class:`BdlError` (and writes nothing) on any failure, when the folder exists, and when
    ``raw_folder`` is the folder of one city (``city.yaml``)."""
    started = now().astimezone(UTC)
    raw_folder = Path(raw_folder)
    if (raw_folder / "city.yaml").exists():
        raise BdlError(f"{raw_folder} is the folder of one city (city.yaml); --all-gminas fills a folder of many cities "
                       "(cities.yaml): give another --raw, e.g. data/raw/poland")
    target = raw_folder / SNAPSHOTS_DIR / (folder_name or f"bdl-{started.date().isoformat()}")
    if target.exists():
        raise BdlError(f"{target} already exists; a snapshot is never overwritten (raw inputs are never modified). "
                       "Fetch on another day, or name the new snapshot folder")
    years = _check_years(years)
    entries = _entries(mapping, variables)
    files: list[tuple[str, Fetched]] = []
    variable_of: dict[str, int] = {}

    parent_unit: SnapshotUnit | None = None
    if parent is not None:
        parent = parent.strip()
        if not re.fullmatch(r"\d{12}", parent):
            raise BdlError(f"--parent {parent!r}: give a 12-digit BDL unit id above the gminas (a voivodeship such as "
                           "042200000000, a powiat such as 042214361000)")
        f = client.get(f"/units/{parent}", kind="units")
        record = f.json()
        if not isinstance(record, dict) or record.get("id") != parent or not isinstance(record.get("level"), int):
            raise BdlError(f"BDL units: {f.url} is not the record of unit {parent}", url=f.url)
        if not 0 <= record["level"] <= 5:
            raise BdlError(f"--parent {parent} is {record.get('name')} (level {record['level']}); give a unit above the "
                           "gminas: the country (0), a voivodeship (2), a powiat (5)…", url=f.url)
        parent_unit = _unit(record)
        files.append(("units-parent.json", f))
    voivodeships = client.pages("/units", [("level", "2")], kind="units")
    files += [(f"units-level2-p{f.page}.json", f) for f in voivodeships]
    regions = {u["id"][2:4]: str(u.get("name") or "").strip().lower() for f in voivodeships for u in f.results()
               if isinstance(u, dict) and re.fullmatch(r"\d{12}", str(u.get("id", ""))) and u.get("level") == 2 and u.get("name")}
    units, fetched = gminas_in(client, parent)
    files += [(f"units-level6-p{f.page}.json", f) for f in fetched]
    gminas = [u for u in units if is_gmina(u.id)]
    if not gminas:
        raise BdlError(f"BDL units: no gmina (level 6, type 1-3) in {fetched[0].url}", url=fetched[0].url)
    api_version = _dictionaries(client, files)

    for v in entries:
        level = v.level.bdl_level
        # the gminas' powiats lie below the parent, unless the parent is a powiat itself: then below its parent
        within = None if parent_unit is None else parent_unit.id if level == 6 or parent_unit.level < 5 else parent_unit.parent_id
        params = [("unit-level", str(level)), *([("unit-parent-id", within)] if within else []), *(("year", str(y)) for y in years)]
        for f in client.pages(f"/data/by-variable/{v.bdl_variable_id}", params, kind="data-by-variable"):
            name = f"data-by-variable-{v.bdl_variable_id}-p{f.page}.json"
            files.append((name, f))
            variable_of[name] = v.bdl_variable_id

    meta = Snapshot(
        snapshot_version=2, scope="all-gminas", source=mapping.id, organisation=mapping.organisation, dataset=DATASET,
        endpoint=client.base_url, api_version=api_version, retrieved_at=started.replace(microsecond=0), licence=mapping.licence,
        attribution=mapping.attribution, parent=parent_unit, years=years, mappings=entries,
        requests=[_request(file, f, variable_of.get(file)) for file, f in files])
    write_snapshot(target, [(file, f.body) for file, f in files], meta)
    return AllGminas(target, tuple(gminas), len(units) - len(gminas), regions,
                     tuple(v.variable for v in entries if v.level is Level.powiat), len(files))


@dataclass(frozen=True)
class CityFiles:
    """What :func:`write_city_files` did."""

    written: tuple[Path, ...]
    kept: tuple[Path, ...]
    """Files that existed and were left as they were (a raw file is never overwritten)."""
    not_declared: tuple[str, ...]
    """TERYT codes of gminas of the snapshot that an existing ``cities.yaml`` does not declare."""


def city_records(gminas: Iterable[SnapshotUnit], regions: dict[str, str]) -> list[dict[str, Any]]:
    """One ``cities.yaml`` entry per gmina: code (TERYT), name (BDL's, in both languages), PL, PLN,
    the voivodeship where known, and a description with the gmina type (two gminas may share a name:
    Bochnia the town and Bochnia the rural gmina)."""
    out = []
    for u in sorted(gminas, key=lambda u: teryt_of(u.id)):
        en, pl = GMINA_TYPES[u.id[-1]]
        rights_en, rights_pl = (", a city with powiat rights", ", miasto na prawach powiatu") if powiat_rights(u.id) else ("", "")
        record: dict[str, Any] = {"code": teryt_of(u.id), "name": {"en": u.name, "pl": u.name}, "country": "PL", "currency": "PLN"}
        if region := regions.get(u.id[2:4]):
            record["region"] = region
        record["description"] = {"en": f"{en[0].upper()}{en[1:]}{rights_en} (BDL unit {u.id})",
                                 "pl": f"{pl[0].upper()}{pl[1:]}{rights_pl} (jednostka BDL {u.id})"}
        out.append(record)
    return out


def write_city_files(raw_folder: Path, gminas: Sequence[SnapshotUnit], regions: dict[str, str], snapshot: str) -> CityFiles:
    """``cities.yaml`` (one city per gmina, :func:`city_records`) and ``sources.csv`` (the header
    only: the BDL row comes from the snapshot) in a folder of many cities, each only if absent. An
    existing ``cities.yaml`` is kept and compared: the gminas it does not declare are returned."""
    raw_folder = Path(raw_folder)
    written: list[Path] = []
    kept: list[Path] = []
    cities = raw_folder / CITIES_FILE
    if cities.exists():
        kept.append(cities)
        try:
            doc = YAML(typ="safe", pure=True).load(cities.read_text(encoding="utf-8"))
            declared = {str(c.get("code")) for c in doc.get("cities") or [] if isinstance(c, dict)} if isinstance(doc, dict) else set()
        except Exception:  # noqa: BLE001 (ingest reports what is wrong with it, with the line)
            declared = set()
        missing = tuple(sorted(teryt_of(u.id) for u in gminas if teryt_of(u.id) not in declared))
    else:
        y = YAML(typ="rt", pure=True)
        y.default_flow_style = False
        y.width = 4096
        y.allow_unicode = True
        body = io.StringIO()
        y.dump({"cities": city_records(gminas, regions)}, body)
        header = (f"# The cities of this folder: every gmina of the BDL snapshot {snapshot}, written once by\n"
                  "# `iso37120 fetch bdl --all-gminas` and never overwritten: edit it freely. code is the TERYT code\n"
                  "# (WWPPGGT), name BDL's name. To take the county's value of a powiat-level variable for a gmina\n"
                  "# without powiat rights, list the variable under accept_powiat in that city's entry.\n")
        _create(cities, header + body.getvalue())
        written.append(cities)
        missing = ()
    sources = raw_folder / SOURCES_FILE
    if sources.exists():
        kept.append(sources)
    else:
        _create(sources, SOURCES_HEADER)
        written.append(sources)
    return CityFiles(tuple(written), tuple(kept), missing)


def _create(path: Path, text: str) -> None:
    """Write a new file; never replace one (``x`` mode), and leave no half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as f:
            f.write(text)
    except FileExistsError:
        raise BdlError(f"{path} appeared while it was being written; a raw file is never overwritten") from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _params(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def snapshot_yaml(meta: Snapshot) -> str:
    """``snapshot.yaml``: a header comment and the metadata, in a stable order."""
    y = YAML(typ="rt", pure=True)
    y.default_flow_style = False
    y.width = 4096
    y.allow_unicode = True
    out = io.StringIO()
    # version 1 (one unit) is written without the fields of version 2, so that earlier releases read it
    y.dump(json.loads(meta.model_dump_json(exclude_none=True, exclude={"scope"} if meta.snapshot_version == 1 else None)), out)
    command = "iso37120 fetch bdl" + (" --all-gminas" if meta.scope == "all-gminas" else "")
    header = (f"# A frozen snapshot of the {meta.dataset} API, written by `{command}`.\n"
              f"# {meta.attribution}. Do not edit: ingest checks every file against the SHA-256 below.\n")
    return header + out.getvalue()


def write_snapshot(target: Path, files: Sequence[tuple[str, bytes]], meta: Snapshot) -> None:
    """Write the files and ``snapshot.yaml`` into a hidden temporary folder beside ``target`` and
    rename it into place; on any failure remove the temporary folder. Never overwrites."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        for file, body in files:
            (tmp / file).write_bytes(body)
        (tmp / SNAPSHOT_FILE).write_text(snapshot_yaml(meta), encoding="utf-8", newline="\n")
        if target.exists():
            raise BdlError(f"{target} already exists; a snapshot is never overwritten")
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# --- checking the mapping against the API -------------------------------------------------------


@dataclass(frozen=True)
class FieldCheck:
    field: str
    mapping: str | None
    """What the mapping says; None where it says nothing."""
    api: str | None

    @property
    def outcome(self) -> str:
        """``match``, ``differs``, or ``unknown`` (the mapping does not say; the API's value is the lead)."""
        return "unknown" if self.mapping is None else "match" if self.mapping == self.api else "differs"


@dataclass(frozen=True)
class MappingCheck:
    """One mapping entry compared with ``/variables/{id}``."""

    variable: str
    bdl_variable_id: int
    status: str
    found: bool
    fields: tuple[FieldCheck, ...] = ()
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.found and all(f.outcome == "match" for f in self.fields)


def _compare(v: BdlVariable, record: dict[str, Any]) -> tuple[FieldCheck, ...]:
    dims = v.dimensions.model_dump()
    given = {"subject_id": v.subject_id, **dims, "level": str(v.level.bdl_level), "unit": v.unit}
    api = {"subject_id": record.get("subjectId"), **{k: record.get(k) for k in dims}, "level": record.get("level"),
           "unit": record.get("measureUnitName")}
    return tuple(FieldCheck(k, given[k], None if api[k] is None else str(api[k])) for k in given
                 if not (given[k] is None and api[k] is None))


def check_mapping(client: BdlClient, mapping: SourceMapping, include_confirmed: bool = False) -> list[MappingCheck]:
    """Compare every ``unverified`` entry (every entry with ``include_confirmed``) with the API's
    variable record: subject, n1…n5, level and unit. A variable the API does not know is reported,
    not raised; other errors raise :class:`BdlError`."""
    out = []
    for v in mapping.variables:
        if v.status is MappingStatus.confirmed and not include_confirmed:
            continue
        try:
            record = client.get(f"/variables/{v.bdl_variable_id}", kind="variables").json()
        except BdlError as e:
            if e.status in (400, 404):
                out.append(MappingCheck(v.variable, v.bdl_variable_id, v.status.value, False, message=str(e)))
                continue
            raise
        if not isinstance(record, dict) or record.get("id") != v.bdl_variable_id:
            out.append(MappingCheck(v.variable, v.bdl_variable_id, v.status.value, False,
                                    message=f"the API's answer is not the record of variable {v.bdl_variable_id}"))
            continue
        out.append(MappingCheck(v.variable, v.bdl_variable_id, v.status.value, True, _compare(v, record)))
    return out


def format_check_report(checks: Sequence[MappingCheck]) -> str:
    """The report as text, one block per entry: each field with the mapping's and the API's value."""
    lines = []
    for c in checks:
        head = "matches" if c.ok else "not found" if not c.found else "differs" if any(
            f.outcome == "differs" for f in c.fields) else "incomplete mapping"
        lines.append(f"{c.variable} ← BDL var {c.bdl_variable_id} ({c.status}): {head}")
        if c.message:
            lines.append(f"    {c.message}")
        lines += [f"    {f.field}: {f.outcome} (mapping {f.mapping!r}, API {f.api!r})" for f in c.fields if f.outcome != "match"]
    n_ok = sum(c.ok for c in checks)
    lines.append(f"{n_ok} of {len(checks)} entries match the API; write what the API says into the mapping, "
                 "and mark an entry confirmed only after checking it.")
    return "\n".join(lines)
