"""``iso37120 diff``: what changed between two releases of a city, located to the inputs."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pipeline.build import build
from pipeline.catalogue import load_catalogue
from pipeline.cli import EXIT_BAD_INPUT, app
from pipeline.diff import diff_releases
from tests.conftest import write_city
from tests.publish.conftest import CONFIG
from tests.validate.test_validate import GOOD, rows


def test_a_second_release_against_the_first(tmp_path, mini_catalogue):
    cat = load_catalogue(mini_catalogue)

    def run(raw, out):
        return build(raw, out, cat, reports=tmp_path / f"reports-{out.name}", store=tmp_path / f"{out.name}.duckdb",
                     pdf=False, publish_config=CONFIG)

    raw = tmp_path / "raw"
    write_city(raw, rows(GOOD))
    run(raw, tmp_path / "first")
    # a year later: the labour force of 2023 revised with a note; the firefighters of 2023 changed
    # without one; the income of 2023 withdrawn; a README added to the folder
    second = [r for r in rows(GOOD) if not (r["variable"] in ("labour_force", "firefighters", "income_lcu") and r["year"] == 2023)]
    second += [{"year": 2023, "variable": "labour_force", "value": 530, "status": "revised", "note": "census correction"},
               {"year": 2023, "variable": "firefighters", "value": 13}]
    folder = write_city(raw, second)
    (folder / "README.md").write_text("How this folder was assembled.\n", encoding="utf-8")
    run(raw, tmp_path / "second")

    d = diff_releases(tmp_path / "first", tmp_path / "second")
    changed = {(c.indicator_uid, c.year): c for c in d.values_changed}
    assert set(changed) == {("test-ed:5.1", 2023), ("test-ed:5.2", 2023)}
    unemployment = changed[("test-ed:5.1", 2023)]
    assert (unemployment.old, unemployment.new) == ("10.78", "10.38")
    [revised] = unemployment.revised_inputs
    assert (revised.variable, revised.year, revised.note, revised.file_id) == (
        "labour_force", 2023, "census correction", "testville/observations/obs.csv")
    assert changed[("test-ed:5.2", 2023)].revised_inputs == [] and d.unexplained == 1
    assert [(c.indicator_uid, c.year, c.old_status, c.new_status) for c in d.no_longer_reported] == [
        ("test-ed:5.3", 2023, "reported", "not_available")]
    assert d.newly_reported == []
    assert [(i.file_id, i.change) for i in d.inputs] == [("testville/README.md", "added"),
                                                         ("testville/observations/obs.csv", "changed")]

    # the same through the CLI, as JSON and as text; a release compared with itself has no change
    res = CliRunner().invoke(app, ["diff", str(tmp_path / "first"), str(tmp_path / "second"), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["unexplained"] == 1
    res = CliRunner().invoke(app, ["diff", str(tmp_path / "first"), str(tmp_path / "second")], env={"ISO37120_LANG": "en"})
    assert "2 values changed (1 explained by no input marked revised)" in res.output
    assert "labour_force 2023: census correction" in res.output
    same = diff_releases(tmp_path / "second", tmp_path / "second")
    assert (same.values_changed, same.newly_reported, same.no_longer_reported, same.inputs) == ([], [], [], [])


def test_diff_of_a_folder_that_is_no_release(tmp_path):
    res = CliRunner().invoke(app, ["diff", str(tmp_path), str(tmp_path)])
    assert res.exit_code == EXIT_BAD_INPUT and "neither a release folder" in res.output
