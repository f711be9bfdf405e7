"""Property tests for the parsers: any number written in an unambiguous local style reads back
exactly, and the fast (DuckDB) and exact (Python) CSV readers agree on every row and cell."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest.reading import Table, _python_csv, read_csv_table

NUMBERS = st.decimals(min_value=Decimal("-99999999"), max_value=Decimal("99999999"), places=2, allow_nan=False, allow_infinity=False)


def polish(d: Decimal) -> str:
    """1 395 290,5 style: space thousands, decimal comma."""
    sign = "-" if d < 0 else ""
    whole, _, frac = format(abs(d), "f").partition(".")
    groups = f"{int(whole):,}".replace(",", " ")
    return f"{sign}{groups}" + (f",{frac}" if frac.strip("0") else "")


def normalise_one(con, text: str) -> Decimal | None:
    from pipeline.ingest.normalise import normalise

    con.execute("CREATE OR REPLACE TEMP TABLE staging (file_id VARCHAR, sheet VARCHAR, row INTEGER, city VARCHAR, year VARCHAR, variable VARCHAR, value VARCHAR, unit VARCHAR, source_id VARCHAR, status VARCHAR, note VARCHAR, folder VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE registry AS SELECT 'x' AS variable, 'tonnes' AS unit, 'measure' AS kind, false AS is_integer")
    con.execute("CREATE OR REPLACE TEMP TABLE folder_cities AS SELECT 'f' AS folder, 'C' AS city_code, 'PLN' AS currency")
    con.execute("INSERT INTO staging VALUES ('a.csv', NULL, 2, NULL, '2023', 'x', ?, 'tonnes', 'S', NULL, NULL, 'f')", [text])
    normalise(con)
    return con.execute("SELECT value_num FROM parsed").fetchall()[0][0]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(NUMBERS)
def test_polish_style_numbers_read_back_exactly(d):
    con = duckdb.connect()
    got = normalise_one(con, polish(d))
    expected = Decimal(polish(d).replace(" ", "").replace(",", "."))
    assert got == expected


@settings(max_examples=150, deadline=None)
@given(NUMBERS)
def test_plain_numbers_read_back_exactly(d):
    con = duckdb.connect()
    assert normalise_one(con, format(d, "f")) == d


CELL = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(CELL, CELL, CELL), min_size=1, max_size=20), st.sampled_from([",", ";"]))
def test_fast_and_exact_csv_readers_agree(tmp_path_factory, rows, delim):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim, lineterminator="\n")
    w.writerow(["year", "variable", "value"])
    w.writerows(rows)
    text = buf.getvalue()
    path = tmp_path_factory.mktemp("csv") / "x.csv"
    path.write_bytes(text.encode("utf-8"))
    con = duckdb.connect()
    fast = read_csv_table(con, path, text.encode("utf-8"), "x.csv", required=("year", "variable", "value"), optional=())
    exact = Table("x.csv", header=["year", "variable", "value"])
    _python_csv(text, delim, exact)
    assert not exact.problems and not fast.problems
    norm = lambda t: [tuple(v or "" for v in r.values()) for r in t.data.to_pylist()]  # noqa: E731  DuckDB reads "" as NULL
    assert norm(fast) == norm(exact)
