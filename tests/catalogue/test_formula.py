"""The formula allow-list: arithmetic over variables passes, anything else is refused."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@pytest.mark.parametrize("formula, words", [
    ("a + 'b", "not a valid expression"),                        # an unterminated string (sqlglot's TokenError)
    ('a + "b', "not a valid expression"),
    ("(" * 10_000 + "a" + ")" * 10_000, "max_formula_chars"),   # a RecursionError in the parser before
    ("(" * 31 + "a" + ")" * 31, "max_formula_depth"),
    ("abs(" * 31 + "a" + ")" * 31, "max_formula_depth"),
    ("a" + " + a" * 600, "max_formula_chars"),
])
def test_hostile_formulas_are_refused_with_their_limit(formula, words):
    with pytest.raises(FormulaError, match=words):
        expression_variables(formula)


def test_limits_are_read_from_the_environment(monkeypatch):
    formula = "(" * 5 + "a" + ")" * 5
    assert expression_variables(formula) == ["a"]
    monkeypatch.setenv("ISO37120_MAX_FORMULA_DEPTH", "4")
    with pytest.raises(FormulaError, match="ISO37120_MAX_FORMULA_DEPTH"):
        expression_variables(formula)


# Any text at all is either a formula or a FormulaError: never another exception (a parser error,
# a recursion, a crash in the allow-list).
FORMULA_ALPHABET = st.sampled_from(list("ab_1.0 +-*/(),;'\"|%") + ["previous(", "abs(", "round(", "SELECT ", "e9", "\\", "\n", "\x00"])


@given(st.one_of(st.text(max_size=80), st.lists(FORMULA_ALPHABET, max_size=60).map("".join)))
@settings(max_examples=400, deadline=None)
def test_any_text_is_a_formula_or_a_formula_error(text):
    try:
        variables = expression_variables(text)
    except FormulaError as e:
        assert str(e)
    else:
        assert all(isinstance(v, str) and v for v in variables)
        render(text, lambda v: f'cur."{v}"', lambda v: f'prev."{v}"')
