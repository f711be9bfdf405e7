"""The formula allow-list: arithmetic over variables passes, anything else is refused."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.catalogue.formula import FormulaError, expression_variables, render, uses_previous


@pytest.mark.parametrize("formula, variables", [
    ("a / b * 100", ["a", "b"]),
    ("(a - previous(a)) / previous(a) * 100", ["a"]),
    ("round(abs(a - b), 2) + greatest(c, 0) - least(a, 1) / nullif(b, 0) + coalesce(d, 0)", ["a", "b", "c", "d"]),
    ("-a", ["a"]),
])
def test_allowed(formula, variables):
    assert expression_variables(formula) == variables


@pytest.mark.parametrize("formula", [
    "(SELECT 1)",
    "a FROM t",
    "read_csv('/etc/passwd')",
    "a + (SELECT count(*) FROM read_parquet('x.parquet'))",
    "getenv('HOME')",
    "current_setting('threads')",
    "a; COPY t TO 'x.csv'",
    "COPY t TO 'x.csv'",
    "ATTACH 'x.db'",
    "INSTALL httpfs",
    "SET threads = 1",
    "other_table.a",
    '"a"',
    "'text'",
    "a || b",
    "exp(a)",
    "previous(a, 2)",
])
def test_refused(formula):
    with pytest.raises(FormulaError):
        expression_variables(formula)


def test_render_runs_in_duckdb():
    sql = render("(a - previous(a)) / previous(a) * 100", lambda v: f'cur."{v}"', lambda v: f'prev."{v}"')
    assert sql == '(cur."a" - prev."a") / prev."a" * 100'
    assert uses_previous("(a - previous(a)) / previous(b)") == ["a", "b"]
    got = duckdb.sql(f"SELECT {sql} FROM (SELECT 110 AS a) cur, (SELECT 100 AS a) prev").fetchall()[0][0]
    assert got == pytest.approx(10.0)
