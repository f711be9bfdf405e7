"""DuckDB writes numbers in the site's tables exactly as the dossier writes them (Python), in
English and in Polish, for any value the store can hold."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.dossier import i18n
from pipeline.site.cells import _number
from pipeline.site.data import fixed, local

CON = duckdb.connect()

values = st.decimals(min_value=Decimal("-1e17"), max_value=Decimal("1e17"), places=10, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(value=values, decimals=st.integers(min_value=0, max_value=10))
@pytest.mark.parametrize("lang", ["en", "pl"])
def test_a_stored_value_is_written_as_the_dossier_writes_it(lang, value, decimals):
    rounded = value.quantize(Decimal(1).scaleb(-decimals))  # the store keeps a value rounded to its decimals
    rounded = rounded.copy_abs() if rounded == 0 else rounded  # and has no negative zero
    sql = f"SELECT {_number('fx', lang)} FROM (SELECT CASE WHEN $d > 0 THEN left(t, strpos(t, '.') + $d) " \
          "ELSE split_part(t, '.', 1) END AS fx FROM (SELECT CAST($v::DECIMAL(38, 10) AS VARCHAR) AS t))"
    (got,) = CON.execute(sql, {"v": str(rounded), "d": decimals}).fetchone()
    assert got == i18n.number(rounded, lang, decimals)
    text = CON.execute("SELECT CAST($v::DECIMAL(38, 10) AS VARCHAR)", {"v": str(rounded)}).fetchone()[0]
    assert local(fixed(text, decimals), lang) == got
