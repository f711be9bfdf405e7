"""The yearly build: atomic releases, blocked and failed builds that lose nothing, incremental
builds, verification by re-running, one build at a time, and a build killed in the middle."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.build import ReleaseBlocked, build, verify
from pipeline.catalogue import load_catalogue
from pipeline.cli import EXIT_BAD_INPUT, EXIT_BLOCKED, app
from pipeline.problems import ProblemsFound
from tests.conftest import ROOT, write_city
from tests.publish.conftest import CONFIG
from tests.validate.test_validate import GOOD, rows

BAD = {**GOOD, "unemployed": (50, 600)}  # more unemployed than the labour force: errors that block


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def setup(tmp_path, mini_catalogue):
    cat = load_catalogue(mini_catalogue)
    raw = tmp_path / "raw"
    write_city(raw, rows(GOOD))

    def run(**kw):
        return build(raw, tmp_path / "out", cat, reports=tmp_path / "reports", store=tmp_path / "work" / "store.duckdb",
                     pdf=False, publish_config=CONFIG, **kw)

    return tmp_path, raw, cat, run


def test_release_holds_outputs_archive_and_a_true_manifest(setup):
    tmp, raw, _, run = setup
    result = run()
    out = tmp / "out"
    assert not result.up_to_date
    for name in ("open-data/indicators.csv", "open-data/datapackage.json", "store/results.parquet", "store/findings.parquet",
                 "dossier/dossier-0001-en.html", "dossier/dossier-0001-pl.html", "dossier/dossier-0001.json",
                 "validation-report.json", "manifest.json", "archive/raw/testville/observations/obs.csv",
                 "archive/indicators/variables.yaml"):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    files = snapshot(out)
    assert {o["path"]: o["sha256"] for o in manifest["outputs"]} == {
        p: h for p, h in files.items() if p != "manifest.json" and not p.startswith("archive/")}
    assert [i["file_id"] for i in manifest["inputs"]] == ["testville/city.yaml", "testville/observations/obs.csv", "testville/sources.csv"]
    assert manifest["reference_years"] == [2022, 2023] and manifest["editions"] == ["test-ed"]
    assert (tmp / "work" / "store.duckdb").is_file()
    assert sorted(p.name for p in (tmp / "reports").iterdir()) == [
        "comparison-en.html", "comparison-pl.html", "comparison.json",
        "dossier-0001-en.html", "dossier-0001-pl.html", "dossier-0001.json", "validation-report.json"]
    assert [p.name for p in tmp.iterdir() if p.name.startswith(".out.staging")] == []


def test_unchanged_inputs_do_no_work(setup):
    tmp, raw, _, run = setup
    first = run()
    before = snapshot(tmp / "out")
    again = run()
    assert again.up_to_date and again.manifest.build_id == first.manifest.build_id
    assert snapshot(tmp / "out") == before
    (raw / "testville" / "observations" / "obs.csv").write_text(
        (raw / "testville" / "observations" / "obs.csv").read_text() + "2023,employed,400,persons,S1,,\n")
    assert not run().up_to_date


def test_reports_are_links_to_the_release_and_large_builds_print_no_pdf(setup, monkeypatch):
    import pipeline.build

    tmp, raw, cat, run = setup
    run()
    page = tmp / "reports" / "dossier-0001-en.html"
    assert os.path.samefile(page, tmp / "out" / "dossier" / page.name)  # linked, not copied
    monkeypatch.setattr(pipeline.build, "PDF_PAGE_LIMIT", 1)
    monkeypatch.setenv("ISO37120_CHROMIUM", str(tmp / "no-such-browser"))
    notes: list[str] = []
    build(raw, tmp / "out", cat, reports=tmp / "reports", store=tmp / "work" / "store.duckdb", pdf=True,
          publish_config=CONFIG, force=True, note=notes.append)
    assert notes == ["PDF skipped: 2 dossier pages are more than the build prints (1); "
                     "print the cities you need with `iso37120 dossier --city CODE`."]
    assert not list((tmp / "reports").glob("*.pdf"))


def test_blocked_build_keeps_the_previous_release(setup):
    tmp, raw, _, run = setup
    run()
    before = snapshot(tmp / "out")
    raw_before = snapshot(raw)
    write_city(raw, rows(BAD))
    with pytest.raises(ReleaseBlocked) as e:
        run()
    assert e.value.report.blocking > 0
    assert snapshot(tmp / "out") == before
    report = json.loads((tmp / "reports" / "validation-report.json").read_text())
    assert report["blocking"] == e.value.report.blocking
    assert (tmp / "work" / "store.duckdb").is_file(), "the blocked build's store is kept for explain"
    assert snapshot(raw) != raw_before and [p.name for p in tmp.iterdir() if ".staging" in p.name] == []


def test_bad_input_keeps_the_previous_release(setup):
    tmp, raw, _, run = setup
    run()
    before = snapshot(tmp / "out")
    write_city(raw, "year,variable,value,unit,source_id\n2023,population,lots,persons,S1\n")
    raw_before = snapshot(raw)
    with pytest.raises(ProblemsFound):
        run()
    assert snapshot(tmp / "out") == before and snapshot(raw) == raw_before


def test_verify_reproduces_byte_for_byte_and_finds_a_tampered_file(setup, tmp_path):
    tmp, _, _, run = setup
    run()
    report = verify(tmp / "out", tmp_path / "scratch1")
    assert report.identical and report.files_compared > 20 and report.differences == [] and report.integrity == []
    indicators = tmp / "out" / "open-data" / "indicators.csv"
    indicators.write_bytes(indicators.read_bytes().replace(b"10.78", b"10.79"))
    tampered = verify(tmp / "out", tmp_path / "scratch2")
    assert not tampered.identical
    assert [(d.path, d.status) for d in tampered.differences] == [("open-data/indicators.csv", "changed")]
    assert [(m.path, m.what, m.status) for m in tampered.integrity] == [("open-data/indicators.csv", "output", "changed")]


def test_verify_names_each_mismatch_with_the_manifest(setup, tmp_path):
    tmp, _, _, run = setup
    run()
    out = tmp / "out"
    manifest = json.loads((out / "manifest.json").read_text())
    listed = next(o for o in manifest["outputs"] if o["path"] == "open-data/datapackage.json")
    listed["sha256"] = "0" * 64  # an output's hash changed in the manifest, not in the file
    (out / "manifest.json").write_text(json.dumps(manifest))
    obs = out / "archive" / "raw" / "testville" / "observations" / "obs.csv"
    obs.write_text(obs.read_text().replace("2023,labour_force,510", "2023,labour_force,511"))
    report = verify(out, tmp_path / "scratch")
    assert not report.identical
    found = {(m.path, m.what, m.status) for m in report.integrity}
    assert ("open-data/datapackage.json", "output", "changed") in found
    assert ("archive/raw/testville/observations/obs.csv", "input", "changed") in found
    assert ("archive/raw/testville/observations/obs.csv", "archive", "changed") in found
    assert ("manifest.json", "build_id", "inconsistent") in found  # the build id is not the hash of the archive
    [named] = [m for m in report.integrity if m.what == "input"]
    assert "testville/observations/obs.csv" in named.message
    shown = CliRunner().invoke(app, ["verify", str(out)], catch_exceptions=False)
    assert shown.exit_code == EXIT_BLOCKED and "Traceback" not in shown.output
    assert "input testville/observations/obs.csv" in shown.stdout and "open-data/datapackage.json" in shown.stdout
    assert "NOT reproduced" in shown.stdout


def test_verify_reproduces_a_release_built_on_a_previous_one(setup, tmp_path):
    """A city's second year: the build compares with the first release (the revision rule) and
    archives what it read of it, so verify re-runs the same comparison."""
    tmp, raw, _, run = setup
    first = run()
    obs = raw / "testville" / "observations" / "obs.csv"
    obs.write_text(obs.read_text().replace("2023,labour_force,510", "2023,labour_force,530"))
    second = run()
    assert second.manifest.previous is not None and second.manifest.previous.build_id == first.manifest.build_id
    assert (tmp / "out" / "archive" / "previous" / "results.parquet").is_file()
    assert "revision_results_value" in {r.rule_id for r in second.validation.rules if r.failed}
    report = verify(tmp / "out", tmp_path / "scratch")
    assert report.integrity == [] and report.differences == [] and report.identical


def test_a_second_build_in_another_process_is_refused_while_the_first_runs(tmp_path):
    from pipeline.synth import generate

    raw = tmp_path / "raw"
    generate(raw, load_catalogue(ROOT / "indicators"), n_cities=3, years=[2021, 2022, 2023], seed=3, layout="multi")
    config = tmp_path / "publish.yaml"
    config.write_text("dataset_id: iso37120-test-region\npublisher: {name: Region office, homepage: 'https://region.example.org/'}\n"
                      "contact: {name: Open data team, email: opendata@region.example.org}\n")
    cmd = [sys.executable, "-m", "pipeline.cli", "build", str(raw), "--out", str(tmp_path / "out"), "--no-pdf",
           "--reports", str(tmp_path / "reports"), "--config", str(config), "--catalogue", str(ROOT / "indicators")]
    first = subprocess.Popen([*cmd, "--store", str(tmp_path / "a.duckdb")], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(tmp_path.glob(".out.staging-*")) and first.poll() is None:
        time.sleep(0.02)
    assert list(tmp_path.glob(".out.staging-*")), "the first build never started writing"
    second = subprocess.run([*cmd, "--store", str(tmp_path / "b.duckdb")], cwd=ROOT, capture_output=True, text=True)
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err[-2000:]
    assert second.returncode == EXIT_BAD_INPUT, second.stderr[-2000:]
    assert "build_running" in second.stderr and "another build is writing" in second.stderr
    assert "Traceback" not in second.stderr
    assert not (tmp_path / "b.duckdb").exists()


def test_cli_exit_codes(setup, mini_catalogue, tmp_path):
    tmp, raw, _, _ = setup
    config = tmp_path / "publish.yaml"
    config.write_text("publisher: {name: Testville City Office, homepage: 'https://testville.example.org/'}\n"
                      "contact: {name: Open data team, email: opendata@testville.example.org}\n")
    args = ["build", str(raw), "--out", str(tmp / "out"), "--reports", str(tmp / "reports"), "--no-pdf",
            "--store", str(tmp / "w.duckdb"), "--catalogue", str(mini_catalogue), "--config", str(config)]
    runner = CliRunner()
    ok = runner.invoke(app, args, catch_exceptions=False)
    assert ok.exit_code == 0, ok.output
    assert "Release" in ok.stdout and "0001" in ok.stdout
    # off a terminal: a log line as each stage starts and ends
    assert all(f"s  {stage}\n" in ok.stderr and f"s  {stage} took " in ok.stderr for stage in ("ingest", "site", "release"))
    assert "up to date" in runner.invoke(app, args, catch_exceptions=False).stdout
    folder = write_city(raw, rows(BAD))
    (folder / "exceptions.yaml").write_text(  # accepts a rule id that fires nowhere: the user must see it
        "exceptions:\n  - rule_id: range_results_test-ed:9.9\n    accepted_by: Anna Nowak\n    role: Head of statistics\n"
        "    accepted_on: 2024-03-12\n    reason: Checked with the department.\n", encoding="utf-8")
    blocked = runner.invoke(app, args, catch_exceptions=False)
    assert blocked.exit_code == EXIT_BLOCKED and "Release blocked" in blocked.stderr and "Traceback" not in blocked.output
    assert "Accepted exceptions that match no finding" in blocked.stdout
    assert "range_results_test-ed:9.9" in blocked.stdout and "testville/exceptions.yaml row 2" in blocked.stdout
    assert "no rule has this id" in blocked.stdout
    (folder / "exceptions.yaml").unlink()
    write_city(raw, "year,variable,value,unit,source_id\n2023,population,lots,persons,S1\n")
    bad = runner.invoke(app, args, catch_exceptions=False)
    assert bad.exit_code == EXIT_BAD_INPUT and "not_a_number" in bad.stderr
    assert runner.invoke(app, ["build", "--no-such-option"]).exit_code == EXIT_BAD_INPUT


def test_a_build_out_of_memory_says_so_and_releases_nothing(setup, mini_catalogue, monkeypatch):
    import pipeline.store

    tmp, raw, _, run = setup
    run()
    before = snapshot(tmp / "out")
    monkeypatch.setattr(pipeline.store, "MEMORY_LIMIT", "1MB")
    args = ["build", str(raw), "--out", str(tmp / "out"), "--reports", str(tmp / "reports"), "--no-pdf", "--force",
            "--store", str(tmp / "w.duckdb"), "--catalogue", str(mini_catalogue)]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == EXIT_BAD_INPUT and "Traceback" not in result.output
    assert "ran out of DuckDB's memory limit (1MB)" in result.stderr and "ISO37120_MEMORY_LIMIT=4GB" in result.stderr
    assert snapshot(tmp / "out") == before


@pytest.mark.slow
def test_a_build_killed_in_the_middle_leaves_the_previous_release(tmp_path):
    """Really kills a build process (SIGKILL) while it writes, then builds again."""
    from pipeline.synth import generate

    cat = load_catalogue(ROOT / "indicators")
    raw = tmp_path / "raw"
    generate(raw, cat, n_cities=3, years=[2021, 2022, 2023], seed=3, layout="multi")
    config = tmp_path / "publish.yaml"
    config.write_text("dataset_id: iso37120-test-region\npublisher: {name: Region office, homepage: 'https://region.example.org/'}\n"
                      "contact: {name: Open data team, email: opendata@region.example.org}\n")
    cmd = [sys.executable, "-m", "pipeline.cli", "build", str(raw), "--out", str(tmp_path / "out"), "--no-pdf",
           "--reports", str(tmp_path / "reports"), "--store", str(tmp_path / "work.duckdb"), "--config", str(config),
           "--catalogue", str(ROOT / "indicators")]
    first = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert first.returncode == 0, first.stderr[-2000:]
    released = snapshot(tmp_path / "out")
    import shutil
    shutil.rmtree(raw)
    generate(raw, cat, n_cities=4, years=[2021, 2022, 2023], seed=4, layout="multi")  # next year's inputs
    proc = subprocess.Popen(cmd + ["--force"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not list(tmp_path.glob(".out.staging-*/.work/store.duckdb")):
        time.sleep(0.05)
    assert list(tmp_path.glob(".out.staging-*")), "the build never started writing"
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert snapshot(tmp_path / "out") == released
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 0, again.stderr[-2000:]
    assert snapshot(tmp_path / "out") != released
    assert [p.name for p in tmp_path.iterdir() if ".staging" in p.name or ".previous" in p.name] == []


def test_a_value_given_as_reported_is_released_with_its_origin_and_lineage(tmp_path, mini_catalogue):
    cat = load_catalogue(mini_catalogue)
    raw = tmp_path / "raw"
    write_city(raw, rows({**GOOD, "firefighters": (10, None)},
                         [{"year": 2023, "variable": "5.2", "value": "1180.5", "unit": "per 100 000 population"}]))
    build(raw, tmp_path / "out", cat, reports=tmp_path / "reports", store=tmp_path / "work" / "store.duckdb",
          pdf=False, publish_config=CONFIG)
    data = tmp_path / "out" / "open-data"
    import csv

    [row] = [r for r in csv.DictReader((data / "indicators.csv").open(encoding="utf-8"))
             if r["indicator_id"] == "5.2" and r["year"] == "2023"]
    assert (row["value"], row["origin"], row["decimals"]) == ("1180.5", "reported", "1")
    [link] = [r for r in csv.DictReader((data / "indicator_inputs.csv").open(encoding="utf-8"))
              if r["indicator_uid"] == "test-ed:5.2" and r["year"] == "2023"]
    assert (link["role"], link["variable"]) == ("reported", "test-ed:5.2")


def test_paths_with_quotes_reach_duckdb_as_arguments(tmp_path, mini_catalogue):
    """An apostrophe (or SQL) in a folder name is only a name: the store is exported, read back and
    verified there."""
    from pipeline.store import open_store

    base = tmp_path / "O'Brien'); DROP TABLE results; --"
    raw = base / "raw"
    write_city(raw, rows(GOOD))
    out = base / "release's"
    build(raw, out, load_catalogue(mini_catalogue), reports=base / "reports", store=base / "work's" / "store.duckdb",
          pdf=False, publish_config=CONFIG)
    con = open_store(out)
    assert con.execute("SELECT count(*) FROM results").fetchall()[0][0] > 0
    con.close()
    assert verify(out, base / "scratch'").identical


def test_a_blocked_first_build_does_not_claim_an_earlier_release(tmp_path, mini_catalogue):
    raw = tmp_path / "raw"
    write_city(raw, rows(BAD))
    args = ["build", str(raw), "--out", str(tmp_path / "out"), "--reports", str(tmp_path / "reports"), "--no-pdf",
            "--store", str(tmp_path / "w.duckdb"), "--catalogue", str(mini_catalogue)]
    blocked = CliRunner().invoke(app, args, catch_exceptions=False)
    assert blocked.exit_code == EXIT_BLOCKED
    assert "there is no earlier release" in blocked.stderr and "previous release" not in blocked.stderr
    assert not (tmp_path / "out").exists()


def test_many_cities_without_a_dataset_id_stop_before_any_stage(tmp_path, mini_catalogue, monkeypatch):
    import pipeline.build

    write_city(tmp_path / "raw", rows(GOOD))
    write_city(tmp_path / "raw", rows(GOOD), code="0002", name="otherville")
    monkeypatch.setattr(pipeline.build, "ingest", lambda *a, **k: pytest.fail("ingest ran before the configuration was checked"))
    (tmp_path / "publish.yaml").write_text("publisher: {name: Region office, homepage: 'https://region.example.org/'}\n")
    args = ["build", str(tmp_path / "raw"), "--out", str(tmp_path / "out"), "--no-pdf", "--store", str(tmp_path / "w.duckdb"),
            "--catalogue", str(mini_catalogue), "--config", str(tmp_path / "publish.yaml")]
    got = CliRunner().invoke(app, args, catch_exceptions=False)
    assert got.exit_code == EXIT_BAD_INPUT and "dataset_id_required" in got.stderr and "2 cities" in got.stderr


def test_the_closing_summary_counts_cities_per_level_at_scale(capsys, catalogue):
    from types import SimpleNamespace

    from pipeline.cli import LEVEL_ROWS, print_levels

    levels = [SimpleNamespace(city_code=f"{n:04d}", edition="iso37120-2014", year=y, core_reported=46, core_defined=46, total_reported=90,
                              total_defined=100, level="platinum" if n % 2 else None)
              for n in range(LEVEL_ROWS) for y in (2022, 2023)]
    print_levels(levels, catalogue)
    shown = capsys.readouterr().out
    assert "Cities per certification level (50 cities" in shown
    assert "2023 | Platinum | 25" in shown and "2023 | — | 25" in shown and "0007" not in shown


def test_the_closing_summary_counts_open_findings_per_rule_at_scale(capsys):
    from types import SimpleNamespace

    from pipeline.cli import print_validation

    def finding(n: int, rule: str, severity: str):
        return SimpleNamespace(rule_id=rule, severity=severity, accepted=False, city_code=f"{n % 7:04d}", year=2023, test="range",
                               observed="1", message="m", message_id=None, message_args=None, file_id=None, sheet=None, row=None)

    findings = [finding(n, "range_results_iso37120-2014:5.1", "warning") for n in range(30)]
    findings += [finding(n, "reason_for_missing_results_iso37120-2014:10.2", "error") for n in range(3)]
    print_validation(SimpleNamespace(summary=[], rules=[1, 2], blocking=3, findings=findings), limit=10, where="out/validation-report.json")
    shown = capsys.readouterr().out
    assert "Findings not accepted by rule (2 of 2 rules shown)" in shown
    by_rule = shown[shown.index("by rule"):shown.index("Every finding")]
    assert by_rule.index("reason_for_missing") < by_rule.index("range_results")  # errors first
    assert "range_results_iso37120-2014:5.1 | 30 | 7" in shown and "| 3 | 3" in shown
    assert "Every finding, with its place, is in out/validation-report.json." in shown
    assert "Findings not accepted (10 of 33 shown)" in shown


def test_a_long_stage_logs_a_line_per_tenth_of_its_cities(tmp_path):
    """Off a terminal the dossier and site stages say how many cities are done, once per tenth of them."""
    from pipeline.cli import app as cli

    from pipeline.synth import generate

    raw = tmp_path / "raw"
    generate(raw, load_catalogue(ROOT / "indicators"), n_cities=45, years=[2023], seed=2, layout="multi")
    config = tmp_path / "publish.yaml"
    config.write_text("dataset_id: iso37120-test-region\npublisher: {name: Region office, homepage: 'https://region.example.org/'}\n"
                      "contact: {name: Open data team, email: opendata@region.example.org}\n")
    got = CliRunner().invoke(cli, ["build", str(raw), "--out", str(tmp_path / "out"), "--no-pdf", "--lang", "en",
                                   "--reports", str(tmp_path / "reports"), "--store", str(tmp_path / "s.duckdb"),
                                   "--config", str(config), "--catalogue", str(ROOT / "indicators")],
                             env={"ISO37120_LANG": "en"}, catch_exceptions=False)
    assert got.exit_code == 0, got.output
    lines = [ln.split("s  ", 1)[1] for ln in got.stderr.splitlines() if "of 45 cities" in ln]
    # batches of 20 cities: 20, 40 and 45 done, each past a new tenth (the dossiers' workers may
    # finish while the site is written); the site's city pages come in batches of 50: one line
    assert [ln for ln in lines if ln.startswith("dossier")] == [f"dossier: {n} of 45 cities" for n in (20, 40, 45)]
    assert [ln for ln in lines if ln.startswith("site")] == ["site: 45 of 45 cities"]
