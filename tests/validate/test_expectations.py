"""Great Expectations counts the same failing rows however the store is cut into ranges of cities,
in the worker process or in this one."""

from __future__ import annotations

import pytest

from pipeline.calculate import calculate
from pipeline.catalogue import load_catalogue
from pipeline.ingest import ingest
from pipeline.store import connect
from pipeline.validate import expectations
from tests.conftest import write_city
from tests.validate.test_validate import GOOD, rows

BAD = {**GOOD, "unemployed": (50, 600), "firefighters": (-1, 30), "green_share": (30, 120)}


@pytest.fixture
def store(tmp_path, mini_catalogue):
    """Three cities, two with bad figures (a negative count, a share above 100, a ratio above its range)."""
    cat = load_catalogue(mini_catalogue)
    for code, data in (("0001", BAD), ("0002", GOOD), ("0003", {**BAD, "firefighters": (-5, -7)})):
        write_city(tmp_path / "raw", rows(data), code=code, name=f"city{code}")
    ingest(tmp_path / "raw", cat, tmp_path / "store.duckdb")
    con = connect(tmp_path / "store.duckdb")
    calculate(con, cat)
    return con, cat


def test_counts_are_the_same_in_one_range_in_ranges_of_one_city_and_in_the_worker(store):
    con, cat = store
    expectations.stop()
    whole = expectations.start(con, cat, range_rows=10**9).result()
    assert whole["not_negative_observations_value"] == 3 and whole["between_0_100_observations_value"] == 2
    assert whole["unique_observations_city_year_variable"] == 0
    assert expectations._ranges(con, 1) == [("0001", "0001"), ("0002", "0002"), ("0003", "0003")]
    assert expectations.start(con, cat, range_rows=1).result() == whole
    expectations.warm_up()
    try:
        assert expectations._worker is not None
        assert expectations.start(con, cat, range_rows=1).result() == whole
        assert expectations._worker.poll() is None  # it answered every range and lives on
    finally:
        expectations.stop()


def test_a_figure_given_twice_is_found_in_ranges_of_one_city(store):
    """GX counts every row of a key given twice (two years here: four rows); the key includes the
    city, so a range never splits them."""
    con, cat = store
    con.execute("INSERT INTO observations SELECT * FROM observations WHERE city_code = '0002' AND variable = 'population'")
    assert expectations.start(con, cat, range_rows=1).result()["unique_observations_city_year_variable"] == 4


def test_counts_that_disagree_with_sql_stop_validation_now_or_when_the_caller_checks(store, monkeypatch):
    """A build asks for the cross-check once its bundle is written (``later``); ``iso37120
    validate`` at once. Either way GX and SQL must agree (here GX is made to miss a negative count)."""
    from pipeline.validate import ValidationError, validate

    con, cat = store
    real = expectations.Pending.result

    def one_short(self):
        counts = dict(real(self))
        counts["not_negative_observations_value"] -= 1
        return counts

    monkeypatch.setattr(expectations.Pending, "result", one_short)
    later: list = []
    report = validate(con, cat, later=later)  # returns; the check waits for the caller
    assert report.findings and len(later) == 1
    with pytest.raises(ValidationError, match="not_negative_observations_value: Great Expectations found 2 failing rows, SQL 3"):
        later[0]()
    with pytest.raises(ValidationError, match="Great Expectations found 2 failing rows, SQL 3"):
        validate(con, cat)
