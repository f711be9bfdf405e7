"""A fake BDL API for the offline tests: an ``httpx.MockTransport`` handler.

Dictionaries (attributes, units of powiat bocheński, a variable record) are the real recorded
responses in ``responses/``; everything about Gdańsk is constructed in their shape, with invented
values (see ``responses/README.md``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from pipeline.catalogue.sources import SourceMapping
from pipeline.fetch.bdl import AllGminas, BdlClient, RateLimiter, fetch_all_gminas, fetch_snapshot

RESPONSES = Path(__file__).parent / "responses"
BASE = "https://bdl.stat.gov.pl/api/v1"


def sample(name: str, key: str) -> Any:
    """A part of a recorded response file (``sample("attributes", "list_attributes")``)."""
    return json.loads((RESPONSES / f"samples_raw_{name}.json").read_text(encoding="utf-8"))[key]


POMORSKIE = {"id": "042200000000", "name": "POMORSKIE", "parentId": "040000000000", "level": 2, "hasDescription": True}
GDANSK = {"id": "042214361011", "name": "Gdańsk", "parentId": "042214361000", "level": 6, "kind": "1", "hasDescription": False}
GDANSK_POWIAT = {"id": "042214361000", "name": "Powiat m. Gdańsk", "parentId": "042214300000", "level": 5, "kind": "1",
                 "hasDescription": False}
GDYNIA = {"id": "042214362011", "name": "Gdynia", "parentId": "042214362000", "level": 6, "kind": "1", "hasDescription": False}
STAROGARD_LIKE = {"id": "042299913011", "name": "Gmina X (constructed)", "parentId": "042299913000", "level": 6, "kind": "1"}
"""A constructed gmina in powiat 13 (not a city with powiat rights); the real id of Starogard is not known offline."""
OTHER_GMINAS = [{"id": f"042214304{n:02d}2", "name": f"Gmina {n}", "parentId": "042214304000", "level": 6, "kind": "2"}
                for n in (1, 2, 3)]
"""Constructed neighbours in a constructed powiat 04, so the voivodeship's gmina list spans pages."""
URBAN_RURAL = [{"id": f"042299914{n:02d}{t}", "name": name, "parentId": "042299914000", "level": 6, "kind": str(t)}
               for n, t, name in ((3, 3, "Gmina Y (constructed)"), (3, 4, "Y - miasto (constructed)"),
                                  (3, 5, "Y - obszar wiejski (constructed)"))]
"""A constructed urban-rural gmina (type 3) with its town (4) and rural area (5): BDL lists all three at
level 6, but only the gmina is a city."""


def mapping(**changes: Any) -> SourceMapping:
    """A small mapping for tests: population (confirmed), dwellings and youth unemployment (powiat)."""
    doc = {
        "id": "bdl", "name": {"en": "BDL", "pl": "BDL"}, "organisation": "Główny Urząd Statystyczny (GUS)",
        "base_url": BASE, "licence": "Public information open to re-use", "attribution": "Źródło: GUS, Bank Danych Lokalnych",
        "variables": [
            {"variable": "population", "bdl_variable_id": 72305, "subject_id": "P2137", "dimensions": {"n1": "ogółem", "n2": "ogółem"},
             "level": "gmina", "unit": "osoba", "concept": "same", "status": "confirmed",
             "evidence": {"tag": "R", "citation": "SOURCES.md §1.4"}},
            {"variable": "dwellings", "bdl_variable_id": 60811, "level": "gmina", "unit": "mieszk.", "concept": "same",
             "status": "unverified", "evidence": {"tag": "E", "citation": "one repository"}},
            {"variable": "youth_unemployed_persons", "bdl_variable_id": 8813, "subject_id": "P1946", "level": "powiat", "unit": "osoba",
             "concept": "proxy", "deviation": {"en": "18-24, registered", "pl": "18-24, zarejestrowani"}, "status": "unverified",
             "evidence": {"tag": "E", "citation": "one repository"}},
        ],
    }
    doc.update(changes)
    return SourceMapping.model_validate(doc)


REGISTRY_UNITS = {"population": "persons", "dwellings": "dwellings", "youth_unemployed_persons": "persons",
                  "total_revenue_lcu": "LCU", "male_population": "persons"}


def envelope(results: list[Any], page: int, page_size: int, total: int, path: str, query: list[tuple[str, str]],
             **extra: Any) -> dict[str, Any]:
    """A list response as BDL sends it: totalRecords, page, pageSize, links (next only when there is one)."""
    def link(p: int) -> str:
        return f"{BASE}{path}?{urlencode([(k, v) for k, v in query if k != 'page'] + [('page', str(p))])}"
    last = max(0, (total - 1) // page_size)
    links = {"first": link(0), "self": link(page), **({"next": link(page + 1)} if page < last else {}), "last": link(last)}
    return {"totalRecords": total, "page": page, "pageSize": page_size, "links": links, **extra, "results": results}


class FakeBdl:
    """The handler: serves units, attributes, version, variables, data/by-unit and data/by-variable
    (both from ``data``: unit id → BDL variable → ``[(year, val, attrId)]``)."""

    def __init__(self, data: dict[str, dict[int, list[tuple[str, Any, int]]]] | None = None,
                 variables: dict[int, dict[str, Any]] | None = None, page_size: int = 100):
        self.data = data if data is not None else {
            GDANSK["id"]: {72305: [("2022", 486022, 1), ("2023", 486345, 9)], 60811: [("2022", 258004, 1), ("2023", 262109, 1)]},
            GDANSK_POWIAT["id"]: {8813: [("2022", 1103, 1), ("2023", 1047, 1)]},
        }
        self.units = [POMORSKIE, GDANSK, GDANSK_POWIAT, GDYNIA, STAROGARD_LIKE, *OTHER_GMINAS, *sample("units", "list_units")]
        self.variables = variables if variables is not None else {}
        self.page_size = page_size
        self.requests: list[httpx.Request] = []
        self.queued: dict[str, list[httpx.Response | Exception]] = {}
        """Responses (or exceptions) served first for a path, e.g. a 429 before the real answer."""
        self.truncate: set[str] = set()
        """Paths whose body is cut in half (a truncated response)."""

    def queue(self, path: str, *items: httpx.Response | Exception) -> None:
        self.queued.setdefault(path, []).extend(items)

    def client(self, clock: list[float] | None = None, sleeps: list[float] | None = None, **kw: Any) -> BdlClient:
        """A BdlClient on this handler, with a fake clock (advanced by the fake sleep)."""
        clock = clock if clock is not None else [0.0]
        sleeps = sleeps if sleeps is not None else []

        def sleep(s: float) -> None:
            sleeps.append(s)
            clock[0] += s
        limiter = kw.pop("limiter", None) or RateLimiter(clock=lambda: clock[0], sleep=sleep)
        return BdlClient(httpx.Client(transport=httpx.MockTransport(self)), limiter=limiter, sleep=sleep, **kw)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/api/v1")
        if self.queued.get(path):
            item = self.queued[path].pop(0)
            if isinstance(item, Exception):
                raise item
            return item
        params = request.url.params
        query = list(params.multi_items())
        page = int(params.get("page", "0"))
        if path == "/units":
            level = int(params["level"])
            parent = params.get("parent-id")
            found = [u for u in self.units if u["level"] == level and (parent is None or _below(u["id"], parent))]
            body = self._page(found, page, path, query)
        elif path == "/units/search":
            name, level = params["name"], int(params["level"])
            body = self._page([u for u in self.units if u["level"] == level and name.lower() in u["name"].lower()], page, path, query)
        elif path.startswith("/units/"):
            unit = next((u for u in self.units if u["id"] == path.split("/")[-1]), None)
            if unit is None:
                return httpx.Response(404, json={"errorResult": "Unit not found"})
            body = unit
        elif path == "/attributes":
            body = self._page(sample("attributes", "list_attributes"), page, path, query)
        elif path == "/version":
            body = {"version": "1.0 (constructed)"}
        elif path.startswith("/variables/"):
            var = self.variables.get(int(path.split("/")[-1]))
            if var is None:
                return httpx.Response(404, json={"errorResult": "Variable not found"})
            body = var
        elif path.startswith("/data/by-unit/"):
            unit_id = path.split("/")[-1]
            years = set(params.get_list("year"))
            series = self.data.get(unit_id, {})
            results = [{"id": int(v), "measureUnitId": 26, "lastUpdate": "2025-05-14T15:05:15.743",
                        "values": [{"year": y, "val": val, "attrId": a} for y, val, a in series[int(v)] if not years or y in years]}
                       for v in params.get_list("var-id") if int(v) in series]
            unit = next((u for u in self.units if u["id"] == unit_id), {"name": "?"})
            body = self._page(results, page, path, query, unitId=unit_id, unitName=unit["name"], aggregateId=1)
        elif path.startswith("/data/by-variable/"):
            var = int(path.split("/")[-1])
            level, parent = int(params["unit-level"]), params.get("unit-parent-id")
            years = set(params.get_list("year"))
            known = {u["id"]: u for u in self.units}
            results = []
            for unit_id, series in self.data.items():
                unit = known.get(unit_id, {"name": "?", "level": 5 if unit_id.endswith("000") else 6})
                if var in series and unit["level"] == level and (parent is None or _below(unit_id, parent)):
                    results.append({"id": unit_id, "name": unit["name"],
                                    "values": [{"year": y, "val": val, "attrId": a} for y, val, a in series[var] if not years or y in years]})
            body = self._page(results, page, path, query, variableId=var, measureUnitId=26, aggregateId=1,
                              lastUpdate="2025-05-14T15:05:15.743")
        else:
            return httpx.Response(404, json={"errorResult": f"no route {path}"})
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        if path in self.truncate:
            content = content[: len(content) // 2]
        return httpx.Response(200, content=content, headers={"Content-Type": "application/json; charset=utf-8"})

    def _page(self, items: list[Any], page: int, path: str, query: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
        size = self.page_size
        return envelope(items[page * size:(page + 1) * size], page, size, len(items), path, query, **extra)


def _below(unit_id: str, parent: str) -> bool:
    """Whether a unit lies below ``parent`` (its id begins with the parent's significant digits)."""
    significant = parent.rstrip("0")
    return unit_id != parent and unit_id.startswith(significant)


def fixed_now(day: str = "2025-01-31") -> Callable[[], datetime]:
    return lambda: datetime.fromisoformat(f"{day}T10:15:30.123456").replace(tzinfo=UTC)


def make_snapshot(tmp: Path, fake: FakeBdl | None = None, unit: str = "2261011", years: tuple[int, ...] = (2022, 2023),
                  source: SourceMapping | None = None, **kw: Any) -> Path:
    """A snapshot of the fake API in ``tmp/raw/gdansk/snapshots/bdl-2025-01-31``."""
    fake = fake or FakeBdl()
    with fake.client() as client:
        return fetch_snapshot(client, tmp / "raw" / "gdansk", unit, years, source or mapping(), now=fixed_now(), **kw)


def conversion_mapping(factor: str) -> SourceMapping:
    m = mapping()
    first = m.variables[0].model_copy(update={"conversion": Decimal(factor), "unit": "tys. osób"})
    return m.model_copy(update={"variables": [first, *m.variables[1:]]})


def national_data(years: tuple[str, ...] = ("2022", "2023")) -> dict[str, dict[int, list[tuple[str, Any, int]]]]:
    """Population (72305) of every level-6 unit of the fake API (gminas and parts of gminas), and
    youth unemployment (8813) of three powiats: Gdańsk's (a city with powiat rights), the
    constructed powiat 13 and powiat bocheński (land counties). Invented values."""
    units = [u for u in FakeBdl().units + URBAN_RURAL if u["level"] == 6]
    data: dict[str, dict[int, list[tuple[str, Any, int]]]] = {
        u["id"]: {72305: [(y, 10_000 + 1_000 * n + k, 1) for k, y in enumerate(years)]} for n, u in enumerate(units)}
    for n, powiat in enumerate((GDANSK_POWIAT["id"], "042299913000", "011212001000")):
        data[powiat] = {8813: [(y, 100 * (n + 1) + k, 1) for k, y in enumerate(years)]}
    return data


def national_fake(page_size: int = 4, data: dict | None = None) -> FakeBdl:
    """The fake API with the constructed urban-rural gmina and :func:`national_data`; lists of
    ``page_size`` so that every list spans pages."""
    fake = FakeBdl(data=data if data is not None else national_data(), page_size=page_size)
    fake.units += URBAN_RURAL
    return fake


def make_national(tmp: Path, fake: FakeBdl | None = None, years: tuple[int, ...] = (2022, 2023),
                  source: SourceMapping | None = None, **kw: Any) -> AllGminas:
    """A snapshot of all gminas of the fake API in ``tmp/raw/poland/snapshots/bdl-2025-01-31``."""
    fake = fake or national_fake()
    kw.setdefault("variables", ["population", "youth_unemployed_persons"])
    with fake.client() as client:
        return fetch_all_gminas(client, tmp / "raw" / "poland", years, source or mapping(), now=fixed_now(), **kw)
