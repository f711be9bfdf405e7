"""DuckDB writes numbers in the site's tables exactly as the dossier writes them (Python), in
English and in Polish, for any value the store can hold."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.dossier import i18n
from pipeline.site.cells import _number, number_parts
from pipeline.site.data import fixed, local

CON = duckdb.connect()

values = st.decimals(min_value=Decimal("-1e17"), max_value=Decimal("1e17"), places=10, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(value=values, decimals=st.integers(min_value=0, max_value=10))
@pytest.mark.parametrize("lang", ["en", "pl"])
def test_a_stored_value_is_written_as_the_dossier_writes_it(lang, value, decimals):
    written_as_the_dossier(lang, value, decimals)


@pytest.mark.parametrize("lang", ["en", "pl"])
@pytest.mark.parametrize("value, decimals", [(Decimal("-1234567890123456789012345"), 0), (Decimal("9876543210987654321.25"), 2),
                                             (Decimal("999999999999999999"), 0), (Decimal("1000"), 0), (Decimal("-0.5"), 1)])
def test_numbers_of_every_length_are_grouped(lang, value, decimals):
    """Up to 18 digits before the point, beyond (DECIMAL(38, 10) holds 28), and the edges."""
    written_as_the_dossier(lang, value, decimals)


def written_as_the_dossier(lang: str, value: Decimal, decimals: int) -> None:
    rounded = value.quantize(Decimal(1).scaleb(-decimals))  # the store keeps a value rounded to its decimals
    rounded = rounded.copy_abs() if rounded == 0 else rounded  # and has no negative zero
    sql = f"SELECT {_number('p', lang)} FROM (SELECT {number_parts('fx')} FROM (SELECT CASE WHEN $d > 0 " \
          "THEN left(t, strpos(t, '.') + $d) ELSE split_part(t, '.', 1) END AS fx " \
          "FROM (SELECT CAST($v::DECIMAL(38, 10) AS VARCHAR) AS t))) p"
    (got,) = CON.execute(sql, {"v": str(rounded), "d": decimals}).fetchone()
    assert got == i18n.number(rounded, lang, decimals)
    text = CON.execute("SELECT CAST($v::DECIMAL(38, 10) AS VARCHAR)", {"v": str(rounded)}).fetchone()[0]
    assert local(fixed(text, decimals), lang) == got
