"""Whatever a person types in the ``value`` column, ingest either reads a figure or refuses the row
with a problem naming its rule: never an exception.

The text goes through the whole of :func:`pipeline.ingest.ingest` (a CSV file written with
quoting, read by DuckDB or Python's csv module, staged, normalised in SQL, problems placed), not
only the SQL: a crash in the reading of a quote, a line break or a NUL is as much a defect as one
in the number parser. A catalogue is loaded once; each example costs one small ingest.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.catalogue import load_catalogue
from pipeline.ingest import ingest
from pipeline.problems import ProblemsFound
from tests.conftest import write_catalogue, write_city

UNITS = {"population": "persons", "income_lcu": "PLN", "green_share": "%", "life_expectancy": "years", "climate": "text"}

# Everything: digits and separators of every convention, signs, spaces, letters, control characters
# (NUL included), line breaks, quotes and any other unicode (no lone surrogates: they are not text).
NUMBERISH = st.text(alphabet=st.sampled_from(list("0123456789 ,.-−–+eE%$€£¥zł\u00a0\u202f'\"\t\r\n\x00\x1b;=()")), max_size=16)
VALUE = st.one_of(NUMBERISH, st.text(max_size=16))


@pytest.fixture(scope="module")
def mini():
    root = Path(tempfile.mkdtemp(prefix="number-property-"))
    try:
        yield load_catalogue(write_catalogue(root))
    finally:
        shutil.rmtree(root)


@settings(max_examples=60, deadline=None)
@given(value=VALUE, variable=st.sampled_from(sorted(UNITS)))
def test_any_value_is_read_or_refused_with_a_rule(mini, value, variable):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["year", "variable", "value", "unit", "source_id", "status", "note"])
    w.writerow([2023, variable, value, UNITS[variable], "S1", "", ""])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_city(tmp / "raw", buf.getvalue())
        store = tmp / "store.duckdb"
        try:
            report = ingest(tmp / "raw", mini, store)
        except ProblemsFound as e:
            assert e.problems
            for p in e.problems:
                assert p.rule and p.message and p.file == "testville/observations/obs.csv", p
                assert p.row == 2 or p.rule == "wrong_field_count" and p.row is not None, p
                assert "\x00" not in p.message + (p.value or ""), p
            assert not store.exists()
            return
        assert report.observations == 1
        con = duckdb.connect(str(store), read_only=True)
        try:
            [(number, text, raw)] = con.execute("SELECT value, value_text, raw_value FROM observations").fetchall()
        finally:
            con.close()
        assert (text if variable == "climate" else number) is not None, (value, raw)
