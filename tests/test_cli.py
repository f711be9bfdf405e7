"""The command line as a user meets it: output formats, exit codes, no tracebacks on bad input."""

from __future__ import annotations

import json
import os

from typer.testing import CliRunner

from pipeline.cli import EXIT_BAD_INPUT, app
from tests.conftest import CATALOGUE, INDICATORS, write_catalogue, write_city

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_catalog_list_json_lists_the_whole_edition():
    r = invoke("catalog", "list", "--catalogue", CATALOGUE, "--format", "json", "--edition", "iso37120-2014")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    tiers = [x["tier"] for x in rows]
    assert (tiers.count("core"), tiers.count("supporting")) == (46, 54)
    assert tiers.count("profile") >= 30
    assert len({x["theme"] for x in rows if x["tier"] != "profile"}) == 17
    assert all(x["name_en"] and x["name_pl"] for x in rows)


def test_catalog_list_filters_and_csv(mini_catalogue):
    r = invoke("catalog", "list", "--catalogue", mini_catalogue, "--theme", "5", "--tier", "core", "--format", "csv")
    assert r.exit_code == 0
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("uid,id,edition,theme") and len(lines) == 2 and lines[1].startswith("test-ed:5.1,5.1,")


def test_catalog_show_text_and_json(mini_catalogue):
    r = invoke("catalog", "show", "5.2", "--catalogue", mini_catalogue)
    assert r.exit_code == 0 and "firefighters / population * 100000" in r.stdout and "Strażacy" in r.stdout
    doc = json.loads(invoke("catalog", "show", "5.2", "--catalogue", mini_catalogue, "--format", "json").stdout)
    assert doc["uid"] == "test-ed:5.2" and [v["id"] for v in doc["variables"]] == ["firefighters", "population"]
    assert invoke("catalog", "show", "9.9", "--catalogue", mini_catalogue).exit_code == EXIT_BAD_INPUT


def test_catalog_check_reports_every_problem_without_traceback(tmp_path):
    root = write_catalogue(tmp_path, {**INDICATORS, "5.1": INDICATORS["5.1"].replace("decimals: 2", "decimals: two"),
                                      "5.2": INDICATORS["5.2"].replace("theme: 5", "theme: 99")})
    r = invoke("catalog", "check", "--catalogue", root)
    assert r.exit_code == EXIT_BAD_INPUT
    assert "Traceback" not in r.output
    assert "schema.int_parsing" in r.stderr and "unknown_theme" in r.stderr and "5.2.yaml" in r.stderr


def test_ingest_calculate_explain(tmp_path, mini_catalogue):
    write_city(tmp_path / "raw", [{"year": 2023, "variable": "population", "value": 1000},
                                  {"year": 2023, "variable": "firefighters", "value": 3}])
    store = tmp_path / "store.duckdb"
    r = invoke("ingest", tmp_path / "raw", "--store", store, "--catalogue", mini_catalogue, "--report", tmp_path / "ingest.json")
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "ingest.json").read_text())["observations"] == 2
    r = invoke("calculate", "--store", store, "--catalogue", mini_catalogue)
    assert r.exit_code == 0 and "0001" in r.stdout
    r = invoke("explain", "5.2", "--city", "0001", "--year", "2023", "--store", store, "--catalogue", mini_catalogue)
    assert r.exit_code == 0 and "300.00 per 100 000 population" in r.stdout and "obs.csv, row 3" in r.stdout
    doc = json.loads(invoke("explain", "5.2", "--city", "0001", "--year", "2023", "--store", store,
                            "--catalogue", mini_catalogue, "--format", "json").stdout)
    assert doc["value"] == "300.00" and doc["origin"] == "computed" and doc["inputs"][0]["row"] == 3
    assert invoke("explain", "5.2", "--city", "0001", "--year", "1999", "--store", store,
                  "--catalogue", mini_catalogue).exit_code == EXIT_BAD_INPUT


def test_bad_input_gives_a_table_a_json_file_and_exit_2(tmp_path, mini_catalogue):
    write_city(tmp_path / "raw", "year,variable,value,unit,source_id\n2023,population,1;000,persons,S1\n")
    r = invoke("ingest", tmp_path / "raw", "--store", tmp_path / "s.duckdb", "--catalogue", mini_catalogue,
               "--problems", tmp_path / "problems.json")
    assert r.exit_code == EXIT_BAD_INPUT and "Traceback" not in r.output
    assert "not_a_number" in r.stderr and "obs.csv" in r.stderr
    [p] = json.loads((tmp_path / "problems.json").read_text())
    assert (p["file"], p["row"], p["column"], p["rule"]) == ("testville/observations/obs.csv", 2, "value", "not_a_number")
    assert not (tmp_path / "s.duckdb").exists()


HEAVY = ("duckdb", "pandas", "pyarrow", "great_expectations", "jinja2", "openpyxl", "babel", "sqlglot", "ruamel")


def test_help_and_light_commands_start_without_the_heavy_libraries(tmp_path):
    """A command imports what it needs when it runs: ``--help`` loads none of the heavy libraries,
    and listing the catalogue from the catalogue cache only its own (the YAML and formula parsers)."""
    import subprocess
    import sys

    def loaded(*args: str) -> set[str]:
        code = ("import sys\nfrom pipeline.cli import app\nsys.argv = ['iso37120', *sys.argv[1:]]\ntry:\n    app()\n"
                "except SystemExit:\n    pass\nprint(' '.join(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)\n")
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                              env={**os.environ, "ISO37120_CACHE_DIR": str(tmp_path / "cache")})
        return set(done.stderr.split()) & set(HEAVY)

    assert loaded("--help") == set()
    assert loaded("catalog", "--help") == set()
    assert loaded("build", "--help") == set()
    loaded("catalog", "list", "--catalogue", str(CATALOGUE), "--format", "csv")  # a full load, kept in the cache
    assert loaded("catalog", "list", "--catalogue", str(CATALOGUE), "--format", "csv") <= {"ruamel", "sqlglot"}
