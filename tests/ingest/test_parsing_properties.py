"""Property tests for the parsers: any number written in a local style that is unambiguous, alone
or by the evidence of its file, with or without a sign of the city's currency or a %, reads back
exactly, and the fast (DuckDB) and exact (Python) CSV readers agree on every row and cell."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest.reading import Table, _python_csv, read_csv_table
from pipeline.limits import Limits

NUMBERS = st.decimals(min_value=Decimal("-99999999"), max_value=Decimal("99999999"), places=2, allow_nan=False, allow_infinity=False)


def polish(d: Decimal) -> str:
    """1 395 290,5 style: space thousands, decimal comma."""
    sign = "-" if d < 0 else ""
    whole, _, frac = format(abs(d), "f").partition(".")
    groups = f"{int(whole):,}".replace(",", " ")
    return f"{sign}{groups}" + (f",{frac}" if frac.strip("0") else "")


def english(d: Decimal) -> str:
    """1,395,290.5 style: comma thousands, decimal point (a lone group such as 1,395 included)."""
    sign = "-" if d < 0 else ""
    whole, _, frac = format(abs(d), "f").partition(".")
    return f"{sign}{int(whole):,}" + (f".{frac}" if frac.strip("0") else "")


def german(d: Decimal) -> str:
    """1.395.290,5 style: dot thousands, decimal comma (a lone group such as 1.395 included)."""
    return english(d).translate(str.maketrans(",.", ".,"))


REGISTRY = {"x": ("tonnes", "measure", False), "money": ("LCU", "money", False), "share": ("%", "measure", False),
            "count": ("persons", "count", True)}


def normalise_cells(con, *texts: str, variable: str = "x", currency: str = "PLN") -> list:
    """The rows of ``parsed`` (value_num, and the problems' inputs) for cells of one file; the
    first is of ``variable``, the others (evidence of the file's style) of ``x``."""
    from pipeline.ingest.normalise import normalise

    con.execute("CREATE OR REPLACE TEMP TABLE staging (file_id VARCHAR, sheet VARCHAR, row INTEGER, city VARCHAR, year VARCHAR, variable VARCHAR, value VARCHAR, unit VARCHAR, source_id VARCHAR, status VARCHAR, note VARCHAR, folder VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE registry (variable VARCHAR, unit VARCHAR, kind VARCHAR, is_integer BOOLEAN, canonical VARCHAR)")
    con.executemany("INSERT INTO registry VALUES (?, ?, ?, ?, NULL)", [(k, *v) for k, v in REGISTRY.items()])
    con.execute("CREATE OR REPLACE TEMP TABLE folder_cities AS SELECT 'f' AS folder, 'C' AS city_code, ?::VARCHAR AS currency, NULL::VARCHAR AS decimal_mark", [currency])
    con.executemany("INSERT INTO staging VALUES ('a.csv', NULL, ?, NULL, '2023', ?, ?, 'u', 'S', NULL, NULL, 'f')",
                    [(n + 2, variable if n == 0 else "x", t) for n, t in enumerate(texts)])
    normalise(con)
    return con.execute("SELECT value_num, ambiguous, currency_sign, currency_ok, had_percent FROM parsed ORDER BY row").fetchall()


def normalise_one(con, text: str) -> Decimal | None:
    return normalise_cells(con, text)[0][0]


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


@settings(max_examples=150, deadline=None)
@given(NUMBERS, st.sampled_from(["1,865.10", "27.9", "0.5", "1,395,290"]))
def test_english_style_numbers_read_back_exactly_in_a_file_with_decimal_points(d, evidence):
    con = duckdb.connect()
    [(got, ambiguous, *_), _] = normalise_cells(con, english(d), evidence)
    assert (got, ambiguous) == (d, False)


@settings(max_examples=150, deadline=None)
@given(NUMBERS, st.sampled_from(["78,4", "0,5", "1.395.290", "1 395,5"]))
def test_german_style_numbers_read_back_exactly_in_a_file_with_decimal_commas(d, evidence):
    con = duckdb.connect()
    [(got, ambiguous, *_), _] = normalise_cells(con, german(d), evidence)
    assert (got, ambiguous) == (d, False)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=-99999999, max_value=99999999), st.sampled_from([english, german]))
def test_whole_numbers_with_separators_read_back_exactly_without_evidence(n, style):
    con = duckdb.connect()
    [(got, ambiguous, *_)] = normalise_cells(con, style(Decimal(n)), variable="count")
    assert (got, ambiguous) == (n, False)


def _sign_cases():
    from pipeline.ingest.currencies import CODES, SIGNS

    return [(sign, code) for sign, codes in SIGNS.items() for code in codes] + [(code, code) for code in CODES]


@settings(max_examples=200, deadline=None)
@given(NUMBERS, st.sampled_from(_sign_cases()), st.booleans(), st.sampled_from(["", " "]),
       st.sampled_from([str, str.lower, str.upper]), st.sampled_from([lambda d: format(d, "f"), polish]))
def test_an_amount_with_a_sign_of_the_city_s_currency_reads_back_exactly(d, sign_code, before, space, case, style):
    sign, code = sign_code
    written = case(sign) if sign == code else sign
    number = style(d)
    text = f"{written}{space}{number}" if before else f"{number}{space}{written}"
    con = duckdb.connect()
    [(got, ambiguous, found, ok, _)] = normalise_cells(con, text, variable="money", currency=code)
    assert (got, ambiguous, found, ok) == (d, False, written, True)


@settings(max_examples=100, deadline=None)
@given(NUMBERS, st.sampled_from(["%", " %"]), st.sampled_from([lambda d: format(d, "f"), polish]))
def test_a_percentage_with_its_sign_reads_back_exactly(d, sign, style):
    con = duckdb.connect()
    [(got, _, _, _, had_percent)] = normalise_cells(con, style(d) + sign, variable="share")
    assert (got, had_percent) == (d, True)


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
    _python_csv(text, delim, exact, Limits())
    assert not exact.problems and not fast.problems
    norm = lambda t: [tuple(v or "" for v in r.values()) for r in t.data.to_pylist()]  # noqa: E731  DuckDB reads "" as NULL
    assert norm(fast) == norm(exact)
