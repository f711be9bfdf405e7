"""The BDL client and the snapshot writer, offline: httpx.MockTransport, a fake clock and sleep."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest
from ruamel.yaml import YAML

from pipeline.catalogue.sources import Snapshot
from pipeline.fetch import bdl
from pipeline.fetch.bdl import (
    ANONYMOUS_QUOTAS,
    KEY_QUOTAS,
    BdlError,
    RateLimiter,
    check_mapping,
    format_check_report,
    gminas_in,
    resolve_unit,
    retry_after,
)
from tests.fetch.fakebdl import GDANSK, GDANSK_POWIAT, FakeBdl, make_snapshot, mapping, sample

# --- units --------------------------------------------------------------------------------------


def test_teryt_is_resolved_through_the_voivodeship_and_its_paged_gmina_list():
    fake = FakeBdl(page_size=2)  # the voivodeship's gminas come on several pages
    with fake.client() as client:
        unit, fetched = resolve_unit(client, "2261011")
    assert unit.id == "042214361011" and unit.name == "Gdańsk" and unit.parent_id == "042214361000" and unit.teryt == "2261011"
    paths = [(f.path, dict(f.params).get("level"), f.page) for f in fetched]
    assert paths[0] == ("/units", "2", 0)
    assert [p for p in paths[1:]] == [("/units", "6", n) for n in range(len(paths) - 1)] and len(paths) >= 3
    assert all(("format", "json") in f.params and ("lang", "pl") in f.params for f in fetched)


def test_teryt_is_resolved_by_name_search():
    fake = FakeBdl()
    with fake.client() as client:
        unit, fetched = resolve_unit(client, "2261011", name="Gdańsk")
    assert unit.id == GDANSK["id"]
    assert [f.path for f in fetched] == ["/units/search"] and ("name", "Gdańsk") in fetched[0].params


def test_a_bdl_id_is_checked_with_the_units_endpoint():
    with FakeBdl().client() as client:
        unit, fetched = resolve_unit(client, "011212001011")  # Bochnia, from the recorded units response
    assert (unit.name, unit.level, unit.kind, unit.parent_id) == ("Bochnia", 6, "1", "011212001000")
    assert fetched[0].path == "/units/011212001011"


def test_an_unknown_teryt_or_a_powiat_is_refused_with_the_url():
    with FakeBdl().client() as client:
        with pytest.raises(BdlError, match=r"expected one gmina \(level 6\) for TERYT 2299011, found none in https://bdl"):
            resolve_unit(client, "2299011")
        with pytest.raises(BdlError, match="found 042214361000 Powiat m. Gdańsk \\(level 5\\)"):
            resolve_unit(client, GDANSK_POWIAT["id"])
        with pytest.raises(BdlError, match="neither a TERYT"):
            resolve_unit(client, "Gdańsk")


def test_gminas_of_a_powiat_for_all_gminas():
    with FakeBdl().client() as client:
        units, fetched = gminas_in(client, "011212001000")  # powiat bocheński, recorded
    assert [u.name for u in units][:2] == ["Bochnia", "Bochnia"] and all(u.level == 6 for u in units)
    assert fetched[0].params[:2] == (("level", "6"), ("parent-id", "011212001000"))


# --- paging, errors, retries ---------------------------------------------------------------------


def test_pages_follow_links_next_until_it_is_absent(tmp_path: Path):
    data = {GDANSK["id"]: {v: [("2023", v, 1)] for v in (72305, 60811)}, GDANSK_POWIAT["id"]: {8813: [("2023", 5, 1)]}}
    fake = FakeBdl(data=data, page_size=1)
    snap = make_snapshot(tmp_path, fake, years=(2023,))
    names = sorted(p.name for p in snap.iterdir() if p.name.startswith("data"))
    assert names == ["data-by-unit-042214361000-p0-1.json", "data-by-unit-042214361011-p0-1.json",
                     "data-by-unit-042214361011-p1-1.json"]
    second = [r for r in fake.requests if r.url.path.endswith("042214361011") and r.url.params.get("page") == "1"]
    assert len(second) == 1 and second[0].url.params.get_list("var-id") == ["72305", "60811"]
    last = json.loads((snap / "data-by-unit-042214361011-p1-1.json").read_bytes())
    assert "next" not in last["links"]


def test_a_next_link_to_another_host_is_not_followed():
    fake = FakeBdl()
    body = {"results": [], "links": {"next": "https://evil.example.org/api/v1/attributes?page=1"}}
    fake.queue("/attributes", httpx.Response(200, json=body))
    with fake.client() as client, pytest.raises(BdlError, match="leads outside https://bdl.stat.gov.pl/api/v1"):
        client.pages("/attributes", kind="attributes")


def test_429_waits_as_retry_after_says_then_succeeds():
    fake = FakeBdl()
    fake.queue("/attributes", httpx.Response(429, headers={"Retry-After": "7"}, text="Too many requests"))
    sleeps: list[float] = []
    with fake.client(sleeps=sleeps, limiter=RateLimiter(clock=lambda: 0.0, sleep=sleeps.append, quotas=())) as client:
        pages = client.pages("/attributes", kind="attributes")
    assert sleeps == [7.0]
    assert len(fake.requests) == 2 and pages[0].status == 200 and pages[0].results()[1]["name"] == "wartość"


def test_429_without_retry_after_backs_off_and_gives_up_after_the_bounded_retries():
    fake = FakeBdl()
    fake.queue("/attributes", *[httpx.Response(429) for _ in range(4)])
    sleeps: list[float] = []
    with fake.client(sleeps=sleeps, limiter=RateLimiter(quotas=(), sleep=sleeps.append)) as client, \
            pytest.raises(BdlError, match=r"HTTP 429 Too Many Requests for https://bdl.stat.gov.pl/api/v1/attributes\?page=0") as e:
        client.pages("/attributes", kind="attributes")
    assert sleeps == [2.0, 4.0, 8.0] and e.value.status == 429 and len(fake.requests) == 4


def test_retry_after_as_an_http_date():
    from datetime import UTC, datetime
    assert retry_after("Fri, 31 Jan 2025 10:00:30 GMT", now=datetime(2025, 1, 31, 10, 0, 0, tzinfo=UTC)) == 30.0
    assert retry_after("soon") is None and retry_after(None) is None


def test_a_server_error_is_a_clear_error_naming_url_and_status(tmp_path: Path):
    fake = FakeBdl()
    fake.queue("/data/by-unit/042214361011", httpx.Response(500, text="Internal Server Error"))
    with pytest.raises(BdlError) as e:
        make_snapshot(tmp_path, fake)
    message = str(e.value)
    assert message.startswith("BDL API: HTTP 500 Internal Server Error for https://bdl.stat.gov.pl/api/v1/data/by-unit/042214361011?var-id=72305")
    assert e.value.status == 500 and "Traceback" not in message
    assert not (tmp_path / "raw" / "gdansk" / "snapshots").exists() or not any((tmp_path / "raw" / "gdansk" / "snapshots").iterdir())


def test_a_truncated_list_response_stops_the_fetch(tmp_path: Path):
    fake = FakeBdl()
    fake.truncate.add("/data/by-unit/042214361011")  # its links cannot be read, so neither can the next page
    with pytest.raises(BdlError, match=r"the response to https://bdl.stat.gov.pl/api/v1/data/by-unit/042214361011\?.* is not JSON"):
        make_snapshot(tmp_path, fake)
    assert not (tmp_path / "raw" / "gdansk" / "snapshots").exists() or not any((tmp_path / "raw" / "gdansk" / "snapshots").iterdir())


def test_a_network_error_is_a_clear_error():
    fake = FakeBdl()
    fake.queue("/attributes", httpx.ConnectError("Name or service not known"))
    with fake.client() as client, pytest.raises(BdlError, match="no response from https://bdl.stat.gov.pl/api/v1/attributes.*ConnectError"):
        client.pages("/attributes", kind="attributes")


def test_api_key_from_the_environment_goes_in_the_header_and_raises_the_quotas(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BDL_API_KEY", "secret-key")
    fake = FakeBdl()
    client = bdl.BdlClient(httpx.Client(transport=httpx.MockTransport(fake)))
    assert client.limiter.quotas == KEY_QUOTAS
    client.get("/version", kind="version")
    assert fake.requests[0].headers["X-ClientId"] == "secret-key"
    monkeypatch.delenv("BDL_API_KEY")
    anonymous = bdl.BdlClient(httpx.Client(transport=httpx.MockTransport(fake)))
    anonymous.get("/version", kind="version")
    assert "X-ClientId" not in fake.requests[1].headers and anonymous.limiter.quotas == ANONYMOUS_QUOTAS


# --- the rate limiter ------------------------------------------------------------------------------


def _clocked(quotas=ANONYMOUS_QUOTAS, max_wait: float = 900.0) -> tuple[RateLimiter, list[float], list[float]]:
    now, sleeps = [0.0], []

    def sleep(s: float) -> None:
        sleeps.append(s)
        now[0] += s
    return RateLimiter(quotas, clock=lambda: now[0], sleep=sleep, max_wait=max_wait), now, sleeps


def test_rate_limiter_keeps_five_per_second_and_a_hundred_per_quarter_hour():
    limiter, now, sleeps = _clocked()
    for _ in range(5):
        assert limiter.acquire() == 0.0
    assert limiter.acquire() == pytest.approx(1.0)  # the sixth waits for the one-second window
    for _ in range(94):
        limiter.acquire()
    assert now[0] < 60  # 100 requests in well under a minute
    waited = limiter.acquire()  # the 101st waits for the first of the 15-minute window to age out
    assert now[0] == pytest.approx(900.0) and waited == pytest.approx(900.0 - 19.0)


def test_rate_limiter_stops_instead_of_waiting_hours():
    limiter, now, _ = _clocked(quotas=((12 * 3600, 2),))
    limiter.acquire()
    limiter.acquire()
    with pytest.raises(BdlError, match="2 requests per 12 h are used up.*BDL_API_KEY"):
        limiter.acquire()


# --- the snapshot ----------------------------------------------------------------------------------


def test_snapshot_holds_every_body_as_received_with_its_hash(tmp_path: Path):
    fake = FakeBdl()
    snap = make_snapshot(tmp_path, fake)
    assert snap == tmp_path / "raw" / "gdansk" / "snapshots" / "bdl-2025-01-31"
    meta_doc = YAML(typ="safe", pure=True).load((snap / "snapshot.yaml").read_text(encoding="utf-8"))
    meta = Snapshot.model_validate(meta_doc)
    files = sorted(p.name for p in snap.iterdir())
    assert files == sorted([r.file for r in meta.requests] + ["snapshot.yaml"])
    for r in meta.requests:
        body = (snap / r.file).read_bytes()
        assert hashlib.sha256(body).hexdigest() == r.sha256 and len(body) == r.bytes
    served = {str(req.url): req for req in fake.requests}
    assert len(served) == len(meta.requests)
    data = [r for r in meta.requests if r.kind == "data"]
    assert [(r.path, r.params["var-id"], r.params["year"]) for r in data] == [
        ("/data/by-unit/042214361011", ["72305", "60811"], ["2022", "2023"]),
        ("/data/by-unit/042214361000", ["8813"], ["2022", "2023"])]
    assert meta.retrieved_at.isoformat() == "2025-01-31T10:15:30+00:00"
    assert meta.unit.id == "042214361011" and meta.powiat_unit_id == "042214361000" and meta.years == [2022, 2023]
    assert [m.variable for m in meta.mappings] == ["population", "dwellings", "youth_unemployed_persons"]
    assert meta.attribution == "Źródło: GUS, Bank Danych Lokalnych" and meta.licence and meta.api_version
    assert {r.kind for r in meta.requests} == {"units", "attributes", "version", "data"}
    text = (snap / "snapshot.yaml").read_text(encoding="utf-8")
    assert text.startswith("# A frozen snapshot") and "Źródło: GUS, Bank Danych Lokalnych" in text


def test_snapshot_bodies_are_the_bytes_the_server_sent(tmp_path: Path):
    fake = FakeBdl()
    odd = b'{"totalRecords":0,  "results":[] ,"links":{}}\n'  # spacing the JSON parser would not keep
    fake.queue("/attributes", httpx.Response(200, content=odd))
    snap = make_snapshot(tmp_path, fake)
    assert (snap / "attributes-p0.json").read_bytes() == odd


def test_an_existing_snapshot_is_never_overwritten(tmp_path: Path):
    snap = make_snapshot(tmp_path)
    before = {p.name: p.read_bytes() for p in snap.iterdir()}
    fake = FakeBdl()
    with pytest.raises(BdlError, match="already exists; a snapshot is never overwritten"):
        make_snapshot(tmp_path, fake)
    assert fake.requests == []  # refused before asking anything
    assert {p.name: p.read_bytes() for p in snap.iterdir()} == before
    other = make_snapshot(tmp_path, FakeBdl(), folder_name="bdl-2025-01-31-b")
    assert other.name == "bdl-2025-01-31-b"


def test_a_failure_midway_leaves_no_snapshot_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    snapshots = tmp_path / "raw" / "gdansk" / "snapshots"
    fake = FakeBdl()  # the network fails on the second data request
    fake.queue("/data/by-unit/042214361000", httpx.ReadTimeout("timed out"))
    with pytest.raises(BdlError, match="no response from"):
        make_snapshot(tmp_path, fake)
    assert not snapshots.exists() or list(snapshots.iterdir()) == []

    def broken(meta):  # the disk fails after the bodies were written, before snapshot.yaml
        raise OSError("No space left on device")
    monkeypatch.setattr(bdl, "snapshot_yaml", broken)
    with pytest.raises(OSError, match="No space left"):
        make_snapshot(tmp_path, FakeBdl())
    assert list(snapshots.iterdir()) == []  # neither the snapshot nor its temporary folder


def test_variables_are_asked_for_at_most_fifty_at_a_time(tmp_path: Path):
    many = mapping()
    extra = [many.variables[1].model_copy(update={"variable": f"v{n}", "bdl_variable_id": 100000 + n}) for n in range(110)]
    many = many.model_copy(update={"variables": [many.variables[0], *extra]})
    fake = FakeBdl(data={GDANSK["id"]: {72305: [("2023", 1, 1)]}})
    make_snapshot(tmp_path, fake, source=many, years=(2023,))
    sizes = [len(r.url.params.get_list("var-id")) for r in fake.requests if "/data/" in r.url.path]
    assert sizes == [50, 50, 11]
    snap = tmp_path / "raw" / "gdansk" / "snapshots" / "bdl-2025-01-31"
    assert sorted(p.name for p in snap.glob("data-*")) == [f"data-by-unit-042214361011-p0-{n}.json" for n in (1, 2, 3)]


def test_only_the_variables_asked_for_are_fetched(tmp_path: Path):
    fake = FakeBdl()
    make_snapshot(tmp_path, fake, variables=["population"])
    data = [r for r in fake.requests if "/data/" in r.url.path]
    assert len(data) == 1 and data[0].url.params.get_list("var-id") == ["72305"]
    with pytest.raises(BdlError, match="not in the bdl mapping: nothing"):
        make_snapshot(tmp_path, FakeBdl(), variables=["nothing"], folder_name="x")


# --- checking the mapping -----------------------------------------------------------------------------


def test_check_mapping_compares_unverified_entries_with_the_variable_records():
    real = sample("variables", "get_variable")  # var 10, recorded: P1313, n1 ogółem, n2 25-29, level 6, osoba
    variables = {
        10: real,
        60811: {"id": 60811, "subjectId": "P2430", "n1": "ogółem", "level": 6, "measureUnitId": 62, "measureUnitName": "mieszk."},
    }
    m = mapping()
    entry10 = m.variables[1].model_copy(update={"variable": "male_population", "bdl_variable_id": 10, "subject_id": "P1313",
                                                "unit": "osoba", "dimensions": m.variables[1].dimensions.model_copy(
                                                    update={"n1": "ogółem", "n2": "25-29"})})
    m = m.model_copy(update={"variables": [*m.variables, entry10]})
    fake = FakeBdl(variables=variables)
    with fake.client() as client:
        checks = check_mapping(client, m)
    assert [c.variable for c in checks] == ["dwellings", "youth_unemployed_persons", "male_population"]  # confirmed skipped
    dwellings, youth, male = checks
    assert not dwellings.ok and {f.field: f.outcome for f in dwellings.fields} == {
        "subject_id": "unknown", "n1": "unknown", "level": "match", "unit": "match"}
    assert not youth.found and "HTTP 404" in youth.message and "/variables/8813" in youth.message
    assert male.ok and {f.field for f in male.fields} == {"subject_id", "n1", "n2", "level", "unit"}
    report = format_check_report(checks)
    assert "dwellings ← BDL var 60811 (unverified): incomplete mapping" in report
    assert "subject_id: unknown (mapping None, API 'P2430')" in report
    assert "youth_unemployed_persons ← BDL var 8813 (unverified): not found" in report
    assert "male_population ← BDL var 10 (unverified): matches" in report
    assert report.endswith("1 of 3 entries match the API; write what the API says into the mapping, and mark an entry confirmed only after checking it.")
    assert all("/variables/" in str(r.url) for r in fake.requests)


def test_check_mapping_reports_a_differing_level_and_unit():
    variables = {8813: {"id": 8813, "subjectId": "P1946", "n1": "18-24", "level": 6, "measureUnitName": "tys. osób"}}
    with FakeBdl(variables=variables).client() as client:
        youth = check_mapping(client, mapping(variables=[mapping().variables[2]]))[0]
    outcomes = {f.field: (f.outcome, f.mapping, f.api) for f in youth.fields}
    assert outcomes["level"] == ("differs", "5", "6") and outcomes["unit"] == ("differs", "osoba", "tys. osób")
    assert outcomes["subject_id"] == ("match", "P1946", "P1946")
    assert "differs" in format_check_report([youth])
