"""The formula language of ``calculation: {kind: expression}``: parsed with sqlglot, allow-listed.

A formula is arithmetic over variable ids. It may not name a table, a file, a setting or any
function outside a short list; every other SQL construct is rejected before anything runs. The
calculation stage renders a checked formula into DuckDB SQL with :func:`render`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from pipeline.i18n import N_, msg
from pipeline.limits import limits

PREVIOUS = "previous"
"""``previous(x)``: the value of variable ``x`` in the year before the reference year."""

_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Neg, exp.Paren)
_FUNCTIONS = (exp.Abs, exp.Round, exp.Least, exp.Greatest, exp.Nullif, exp.Coalesce)
ALLOWED_FUNCTIONS = ("abs", "round", "least", "greatest", "nullif", "coalesce", PREVIOUS)


class FormulaError(ValueError):
    """A formula that is not valid or not allowed; the message says which part and why. ``message``
    is the message as :func:`pipeline.i18n.msg` gives it (the exception's text is its English)."""

    def __init__(self, message: dict | str):
        if isinstance(message, str):  # as copied or unpickled: the English text
            message = msg(N_("{detail}"), detail=message)
        super().__init__(message["message"])
        self.message = message


def parse(formula: str) -> exp.Expression:
    """Parse and check a formula; raise :class:`FormulaError` if it is not allowed. Its length
    and nesting are checked against the limits before the parser sees it."""
    limit = limits()
    if len(formula) > limit.max_formula_chars:
        raise FormulaError(msg(N_("the formula has {chars} characters (limit {limit} = {limit_value}; raise it with the "
                                  "environment variable {env})"), chars=f"{len(formula):,}", **limit.hint_args("max_formula_chars")))
    depth = deepest = 0
    for ch in formula:
        depth += (ch == "(") - (ch == ")")
        deepest = max(deepest, depth)
    if deepest > limit.max_formula_depth:
        raise FormulaError(msg(N_("the formula nests {depth} parentheses deep (limit {limit} = {limit_value}; raise it with "
                                  "the environment variable {env})"), depth=deepest, **limit.hint_args("max_formula_depth")))
    return _parse(formula)


@lru_cache(maxsize=1024)
def _parse(formula: str) -> exp.Expression:
    if ";" in formula:
        raise FormulaError(msg(N_("a formula is one expression; ';' is not allowed")))
    try:
        tree = sqlglot.parse_one(formula, read="duckdb")
    except SqlglotError as e:  # ParseError, TokenError (an unterminated string), ...
        errors = getattr(e, "errors", None)
        raise FormulaError(msg(N_("not a valid expression: {detail}"), detail=errors[0]["description"] if errors else e)) from None
    except RecursionError:
        raise FormulaError(msg(N_("not a valid expression: nested too deeply to read"))) from None
    if tree is None:
        raise FormulaError(msg(N_("empty formula")))
    for node in tree.walk():
        _check_node(node)
    return tree


def _check_node(node: exp.Expression) -> None:
    if isinstance(node, exp.Column):
        if node.table or not isinstance(node.this, exp.Identifier):
            raise FormulaError(msg(N_("{part}: only plain variable ids may be named, not tables"), part=repr(node.sql())))
        if node.this.quoted:
            raise FormulaError(msg(N_("{part}: variable ids are written without quotes"), part=repr(node.sql())))
        return
    if isinstance(node, exp.Identifier):
        return
    if isinstance(node, exp.Literal):
        if node.is_string:
            raise FormulaError(msg(N_("{part}: text literals are not allowed"), part=repr(node.sql())))
        return
    if isinstance(node, _ARITHMETIC + _FUNCTIONS):
        return
    if isinstance(node, exp.Anonymous) and node.name.lower() == PREVIOUS:
        args = node.expressions
        if len(args) != 1 or not isinstance(args[0], exp.Column):
            raise FormulaError(msg(N_("previous() takes exactly one variable id")))
        return
    what = node.sql(dialect="duckdb") if not isinstance(node, exp.Anonymous) else node.name
    raise FormulaError(msg(N_("{part} is not allowed in a formula (only variable ids, numbers, + - * /, parentheses and "
                              "the functions {functions})"), part=repr(what), functions=", ".join(ALLOWED_FUNCTIONS)))


def expression_variables(formula: str) -> list[str]:
    """The variable ids a formula uses, in order of first appearance."""
    seen: dict[str, None] = {}
    for col in parse(formula).find_all(exp.Column, bfs=False):
        seen.setdefault(col.name, None)
    return list(seen)


def uses_previous(formula: str) -> list[str]:
    """The variable ids used through ``previous()``."""
    seen: dict[str, None] = {}
    for fn in parse(formula).find_all(exp.Anonymous, bfs=False):
        if fn.name.lower() == PREVIOUS:
            seen.setdefault(fn.expressions[0].name, None)
    return list(seen)


def render(formula: str, current: Callable[[str], str], previous: Callable[[str], str]) -> str:
    """DuckDB SQL for a checked formula.

    ``current(var)`` and ``previous(var)`` give the SQL that stands for the variable's value in
    the reference year and in the year before.
    """

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and node.name.lower() == PREVIOUS:
            return _sql(previous(node.expressions[0].name)).copy()
        if isinstance(node, exp.Column):
            return _sql(current(node.name)).copy()
        return node

    tree = parse(formula).copy()
    return tree.transform(swap).sql(dialect="duckdb")


@lru_cache(maxsize=1024)
def _sql(text: str) -> exp.Expression:
    """The SQL a variable stands for, parsed once (a few dozen texts serve every formula)."""
    return sqlglot.parse_one(text, read="duckdb")


def indicator_formula(indicator) -> str:
    """Every calculation kind as a formula: ``numerator / denominator * multiplier`` for a ratio,
    the variable for a direct value, the expression itself otherwise."""
    c = indicator.calculation
    if c.kind == "ratio":
        scale = "" if c.multiplier == 1 else f" * {format(c.multiplier.normalize(), 'f')}"
        return f"{c.numerator} / {c.denominator}{scale}"
    if c.kind == "direct":
        return c.variable
    return c.expression
