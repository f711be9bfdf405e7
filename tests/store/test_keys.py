"""The keys of the big tables are checked after loading, not kept as in-memory indexes."""

from __future__ import annotations

import pytest

from pipeline.store import KEYS, DuplicateKey, check_keys, connect


def test_the_big_tables_declare_no_index_and_their_keys_are_columns(tmp_path):
    con = connect(tmp_path / "s.duckdb")
    indexed = {t for (t,) in con.execute("SELECT DISTINCT table_name FROM duckdb_constraints() "
                                         "WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')").fetchall()}
    assert not indexed & set(KEYS)
    for table, key in KEYS.items():
        columns = {c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table]).fetchall()}
        assert set(key) <= columns


def test_a_key_given_twice_is_named_with_its_table(tmp_path):
    con = connect(tmp_path / "s.duckdb")
    row = ("'1'", "2023", "'population'", "1", "NULL", "'persons'", "'S1'", "NULL", "NULL", "'city'", "'a.csv'", "NULL", "2", "'1'", "0")
    con.execute(f"INSERT INTO observations VALUES ({', '.join(row)})")
    check_keys(con, *KEYS)  # one row: unique
    con.execute(f"INSERT INTO observations VALUES ({', '.join(row)})")
    with pytest.raises(DuplicateKey, match=r"observations: \{'city_code': '1', 'year': 2023, 'variable': 'population'\} "
                                           r"is there 2 times; the key of observations is \(city_code, year, variable\)"):
        check_keys(con, "observations")
    check_keys(con, "results", "result_inputs")  # the other tables are empty


def test_the_big_tables_lie_in_the_order_export_writes(tmp_path, catalogue):
    """Export writes the tables of KEYS as they lie, without sorting them again: ingest and
    calculate insert their rows in the order of all their columns."""
    from pipeline.calculate import calculate
    from pipeline.ingest import ingest
    from pipeline.synth import generate

    generate(tmp_path / "raw", catalogue, n_cities=4, years=[2022, 2023], seed=3, layout="multi",
             standards=["iso37120-2014", "iso37120-2018"])
    ingest(tmp_path / "raw", catalogue, tmp_path / "s.duckdb")
    con = connect(tmp_path / "s.duckdb")
    calculate(con, catalogue)
    for table in KEYS:
        as_they_lie = con.execute(f"SELECT * FROM {table}").fetchall()
        assert len(as_they_lie) > 100 and as_they_lie == con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall(), table
