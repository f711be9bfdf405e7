"""indicators.csv and the lineage tables: tidy, exact decimals, missing values empty with a reason,
formula injection neutralised in text and never in numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from pipeline.publish.fields import INDICATORS
from pipeline.publish.tidy import decimal_text
from tests.publish.conftest import HOSTILE_NOTE
from tests.publish.reference import cell, neutralise, plain_number


def read(bundle, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(bundle.text(name), newline="")))


def row(rows, indicator: str, year: int) -> dict[str, str]:
    return next(r for r in rows if r["indicator_id"] == indicator and r["year"] == str(year))


def test_one_row_per_city_indicator_and_year_in_the_standards_order(bundle):
    rows = read(bundle, "indicators.csv")
    assert [(r["indicator_id"], r["year"]) for r in rows][:4] == [("5.1", "2022"), ("5.1", "2023"), ("5.2", "2022"), ("5.2", "2023")]
    assert len(rows) == 12 == bundle.report.rows
    assert len({(r["city_code"], r["indicator_id"], r["year"]) for r in rows}) == 12


def test_values_are_written_with_exactly_their_decimals(bundle):
    rows = read(bundle, "indicators.csv")
    assert row(rows, "5.1", 2023)["value"] == "1.29"          # decimals 2
    assert row(rows, "5.2", 2023)["value"] == "159.09"        # decimals 2: 1567 / 985000 × 100000
    assert row(rows, "6.1", 2023)["value"] == "78.45"         # a direct value keeps the decimals it was written with
    assert row(rows, "5.1", 2023)["origin"] == "computed"
    assert row(rows, "P14-P-09", 2023)["value"] == "-1.50"    # a negative number stays a number
    for r in rows:
        if r["value"]:
            assert len(r["value"].partition(".")[2]) == int(r["decimals"])


def test_missing_values_are_empty_with_their_reason(bundle):
    rows = read(bundle, "indicators.csv")
    r = row(rows, "5.1", 2022)
    assert (r["value"], r["status"], r["reason_code"]) == ("", "not_available", "input_not_available")
    assert r["reason"] == f"unemployed: {HOSTILE_NOTE}"    # the note inside a reason is harmless
    r = row(rows, "5.3", 2022)
    assert (r["value"], r["status"], r["reason_code"], r["reason"]) == ("", "not_available", "missing_input", "income_lcu")
    assert all(r["value"] == "" and r["reason"] for r in rows if r["status"] != "reported")


def test_text_values_have_their_own_column_and_are_neutralised(bundle):
    r = row(read(bundle, "indicators.csv"), "P14-GAC-02", 2023)
    assert (r["value"], r["value_text"], r["status"]) == ("", "'@Dfb", "reported")


def test_a_hostile_note_is_neutralised(bundle):
    obs = read(bundle, "observations.csv")
    note = next(o["note"] for o in obs if o["variable"] == "unemployed" and o["year"] == "2022")
    assert note == "'" + HOSTILE_NOTE
    assert b"\r\n0001,2022,unemployed,,,persons,,not_available," in (bundle.out / "observations.csv").read_bytes()


def test_flags_sources_and_lineage(bundle):
    r = row(read(bundle, "indicators.csv"), "5.1", 2023)
    assert (r["flags"], r["source_ids"], r["numerator"], r["denominator"], r["multiplier"]) == ("estimated", "S1", "9021", "700000", "100")
    assert r["unit"] == "%" and r["name_pl"] == "Stopa bezrobocia" and r["tier"] == "core" and r["theme_name_pl"] == "Ekonomia"
    assert row(read(bundle, "indicators.csv"), "5.3", 2023)["unit"] == "PLN per capita"   # LCU is the city's currency
    inputs = [(i["role"], i["variable"], i["obs_year"]) for i in read(bundle, "indicator_inputs.csv")
              if i["indicator_uid"] == "test-ed:P14-P-09" and i["year"] == "2023"]
    assert sorted(inputs) == [("input", "population", "2023"), ("previous", "population", "2022")]
    obs = next(o for o in read(bundle, "observations.csv") if o["variable"] == "population" and o["year"] == "2023")
    assert (obs["value"], obs["file_id"], obs["row"]) == ("985000", "testville/observations/obs.csv", "3")
    assert len(obs["sha256"]) == 64
    src = read(bundle, "sources.csv")
    assert [(s["city_code"], s["source_id"], s["retrieved_on"]) for s in src] == [("0001", "S1", "2024-01-31")]


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-10**12, max_value=10**12))
def test_numbers_are_plain_decimals_that_read_back(d: Decimal):
    text = plain_number(d)
    assert Decimal(text) == d and "E" not in text and "," not in text and text != "-0"


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**6, max_value=10**6))
def test_the_formula_guard_never_touches_a_number(d: Decimal):
    value = INDICATORS.field("value")
    assert cell(value, d, {"decimals": 2}) == format(d.quantize(Decimal("0.01")), "f").replace("-0.00", "0.00")


@given(st.text())
def test_no_neutralised_text_starts_a_formula(text: str):
    out = neutralise(text)
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert out == text or out == "'" + text


_WIDE = [("DECIMAL(38,10)", 10), ("DECIMAL(38,0)", 0), ("DECIMAL(38,17)", 17), ("DECIMAL(30,4)", 4)]


@given(st.sampled_from(_WIDE), st.integers(min_value=-10**20, max_value=10**20))
def test_a_wide_decimal_has_the_same_text_through_the_narrow_cast(wide, units):
    """decimal_text: the text of a DECIMAL(38, s) is CAST's, whether the value fits in 18 digits or not."""
    sql_type, scale = wide
    value = Decimal(units).scaleb(-scale)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t (x {sql_type})")
    con.execute("INSERT INTO t VALUES (?)", [str(value)])
    fast, plain = con.execute(f"SELECT {decimal_text('x', sql_type)}, CAST(x AS VARCHAR) FROM t").fetchall()[0]
    assert fast == plain


def test_the_narrow_cast_is_taken_up_to_18_digits_and_not_beyond():
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x DECIMAL(38,10))")
    edge = "99999999.9999999999"
    con.executemany("INSERT INTO t VALUES (?)", [[edge], ["-" + edge], ["100000000"], ["-100000000.0000000001"], ["0"]])
    assert con.execute(f"SELECT list({decimal_text('x', 'DECIMAL(38,10)')} ORDER BY x) = list(CAST(x AS VARCHAR) ORDER BY x) "
                       "FROM t").fetchall()[0][0]
    assert "DECIMAL(18, 10)" in decimal_text("x", "DECIMAL(38,10)")
    assert decimal_text("x", "DECIMAL(18,4)") == decimal_text("x", "INTEGER") == "CAST(x AS VARCHAR)"
