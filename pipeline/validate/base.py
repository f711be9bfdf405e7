"""What every check kind shares: the rule model, the kind's declaration, and SQL helpers.

A rule id says what is checked and where (``<test>_<target>_<what>``, as dbt names its tests).
Each check kind lives in one module of :mod:`pipeline.validate.checks` and declares its id
pattern, level of the ESS validation typology, default severity and description there; the
validator, the dossier, the exceptions and the README take them from that registry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict

from pipeline.catalogue import Catalogue
from pipeline.catalogue.models import Indicator, Severity, Text
from pipeline.i18n import N_, MessageArgs, msg, render
from pipeline.store import decimal_text as text
from pipeline.store import literal

Engine = Literal["great_expectations", "duckdb"]
Target = Literal["observations", "results"]


class Rule(BaseModel):
    """One rule. ``sql`` selects its findings: city_code, year, indicator_uid, variable, observed,
    expected, message, message_id, message_args, file_id, sheet, row (:func:`message` gives the
    three message columns)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: str
    test: str
    level: int
    severity: Severity
    engine: Engine
    target: Target
    description: str
    """What the rule checks, in English."""
    description_id: str
    """Its template in the message catalogues (see :func:`pipeline.i18n.msg`)."""
    description_args: MessageArgs
    checked_sql: str
    """Counts the rows the rule looks at."""
    sql: str
    batch: str | None = None
    """For a rule of a batch (rules of one kind that differ only in constants): the batch's SQL,
    which reads the constants of every rule of the batch from :data:`PARAMS` (see
    :meth:`CheckKind.batched`); None for a rule that runs on its own."""
    batch_checked: str | None = None
    params: dict[str, str] = {}
    """The rule's constants: SQL literals by column of :data:`PARAMS`."""


@dataclass(frozen=True)
class CheckKind:
    """One kind of check: what it is, and how its rules are made from the catalogue."""

    test: str
    """The kind's name: the first part of its rule ids, and ``kind`` in a definition's checks."""
    rule_id: str
    """The pattern of its rule ids, as the README documents it (``range_results_<indicator>``)."""
    target: Target
    level: int
    severity: Severity
    """The default severity; a definition may declare another for its own check."""
    engine: Engine
    summary: str
    """What it checks, in one sentence (README, catalogue docs)."""
    rules: Callable[[Catalogue], list[Rule]] = lambda catalogue: []
    indicator_rule_ids: Callable[[Indicator], list[str]] = lambda ind: []
    """The ids of its rules that concern one indicator (for the dossier)."""
    explainable: bool = False
    """A warning of this kind that a note on an input explains is shown as information."""

    def make(self, rule_id: str, description: dict, checked_sql: str, sql: str, severity: Severity | None = None) -> Rule:
        """A rule of this kind; ``description`` is :func:`pipeline.i18n.msg` of its template."""
        return Rule(rule_id=rule_id, test=self.test, level=self.level, severity=severity or self.severity,
                    engine=self.engine, target=self.target, description=description["message"],
                    description_id=description["message_id"], description_args=description["message_args"],
                    checked_sql=checked_sql, sql=sql)

    def batched(self, rule_id: str, description: dict, params: dict[str, str], checked_sql: str, sql: str,
                severity: Severity | None = None, batch: bool = True) -> Rule:
        """A rule whose SQL reads its constants (``params``: typed SQL literals by name) as columns of
        ``p``, the relation :data:`PARAMS`. ``sql`` selects ``p.rule_id`` and then the finding columns,
        ``checked_sql`` (:func:`counted`) ``p.rule_id`` and ``n``; each for every row of ``p``.
        Rules of one kind with the same SQL run together, one row each in ``p``
        (:func:`pipeline.validate.run_batch`); the rule's own ``sql`` and ``checked_sql`` are the same
        statements over its row alone. ``batch=False``: the rule runs on its own (a constant that the
        batch's column type would not hold exactly)."""
        one = "(SELECT " + ", ".join(f"{v} AS {k}" for k, v in {"rule_id": q(rule_id), **params}.items()) + ")"
        rule = self.make(rule_id, description, f"SELECT n FROM ({checked_sql.replace(PARAMS, one)})",
                         f"SELECT * EXCLUDE (rule_id) FROM ({sql.replace(PARAMS, one)})", severity)
        return rule.model_copy(update={"batch": sql, "batch_checked": checked_sql, "params": params}) if batch else rule


q = literal
"""A SQL string literal (for ids and texts of the catalogue, never for user input)."""

PARAMS = "__rule_params__"
"""Where the SQL of a batched rule (:meth:`CheckKind.batched`) names the relation of its constants."""


def counted(joins: str) -> str:
    """The ``checked_sql`` of a batched rule: ``p.rule_id`` and ``n``, the rows that ``joins`` (from
    :data:`PARAMS` ``p`` on, with its conditions) matches for each rule of ``p``, 0 included."""
    return (f"SELECT p0.rule_id, coalesce(c.n, 0) AS n FROM {PARAMS} p0 "
            f"LEFT JOIN (SELECT p.rule_id, count(*) AS n {joins} GROUP BY p.rule_id) c ON c.rule_id = p0.rule_id")


def decimal(d: Decimal | None) -> tuple[str, bool]:
    """A number of the catalogue as a DECIMAL(38, 10) literal (the type of the store's values, which
    compare with it exactly), and True; or, if that type would not hold it exactly, as the literal of
    its own digits, and False (its rule then runs on its own)."""
    if d is None:
        return "CAST(NULL AS DECIMAL(38, 10))", True
    exponent = d.normalize().as_tuple().exponent
    if d.is_finite() and abs(d) < Decimal(10) ** 28 and isinstance(exponent, int) and exponent >= -10:
        return f"CAST({num(d)} AS DECIMAL(38, 10))", True
    return num(d), False


class Localised(str):
    """SQL: a JSON object of a text in every language of the catalogue's YAML (``{"en": …, "pl":
    …}``), for a field of a message whose value is a definition's own text (an indicator's unit)."""


def localised(text: Text) -> Localised:
    return Localised("json_object(" + ", ".join(f"{q(k)}, {q(v)}" for k, v in text.model_dump().items()) + ")")


def messages(cases: list[tuple[str, str]], **args: str) -> str:
    """SQL: the three message columns of a finding (``message`` in English, ``message_id``,
    ``message_args``) from templates of the message catalogues (each written in ``N_``) and SQL
    expressions for their ``{fields}``. ``cases`` pairs a condition with its template; the first
    whose condition holds is the message (give ``true`` last)."""
    def english(template: str) -> str:
        sql = q(template)
        for name, expr in args.items():
            if "{" + name + "}" in template:
                value = f"({expr})->>'en'" if isinstance(expr, Localised) else f"CAST(({expr}) AS VARCHAR)"
                sql = f"replace({sql}, {q('{' + name + '}')}, coalesce({value}, ''))"
        return sql

    def case(render) -> str:
        if len(cases) == 1:
            return render(cases[0][1])
        return "CASE " + " ".join(f"WHEN {cond} THEN {render(t)}" for cond, t in cases) + " END"

    fields = ", ".join(f"{q(name)}, {expr if isinstance(expr, Localised) else f'CAST(({expr}) AS VARCHAR)'}"
                       for name, expr in args.items())
    return f"{case(english)}, {case(q)}, json_object({fields})"


def message(template: str, **args: str) -> str:
    """:func:`messages` of one template."""
    return messages([("true", template)], **args)


def num(d: Decimal) -> str:
    return format(d.normalize(), "f")


def sql_in(values: list[str]) -> str:
    return "(" + ", ".join(q(v) for v in values) + ")" if values else "(NULL)"


def bounds_text(lo: Decimal | None, hi: Decimal | None) -> str:
    return f"[{num(lo) if lo is not None else '−∞'}, {num(hi) if hi is not None else '∞'}]"


OBS_PLACE = "o.file_id, o.sheet, o.row"
RESULT_PLACE = "NULL::VARCHAR, NULL::VARCHAR, NULL::INTEGER"
REPORTED = "r.status = 'reported' AND r.value IS NOT NULL"
COMPUTED = f"{REPORTED} AND r.origin = 'computed'"

# The notes of a result's inputs (this year's and, for previous(), last year's): what explains a
# value outside its plausible range or a large change. Gathered once per validation run.
PREPARE_SQL = """
CREATE OR REPLACE TEMP TABLE input_notes AS
SELECT city_code, indicator_uid, year,
       string_agg(DISTINCT variable || ': ' || note, '; ' ORDER BY variable || ': ' || note) AS notes,
       string_agg(DISTINCT variable || coalesce(': ' || note, ''), '; '
                  ORDER BY variable || coalesce(': ' || note, '')) FILTER (WHERE status = 'break') AS breaks
FROM lineage WHERE note IS NOT NULL OR status = 'break'
GROUP BY city_code, indicator_uid, year
"""


EXPLAINED = N_("; explained: {explained}")
"""How the notes that explain a finding (its field ``explained``) follow its message."""


def finding_text(template: str | None, args: dict | str | None, lang: str, english: str = "") -> str:
    """A finding's message (or a rule's description) in ``lang``, with the notes that explain it."""
    if isinstance(args, str):
        args = json.loads(args)
    text = render(template, args, lang, english)
    if template and args and "explained" in args and "{explained}" not in template:
        text += render(EXPLAINED, args, lang)
    return text


def bounds_rules(check: CheckKind, catalogue: Catalogue, outside: str) -> list[Rule]:
    """The rules of a bounds kind (``range``, ``limits``): one per indicator that declares it;
    ``outside`` is the template of its finding (``{indicator}``, ``{bounds}``)."""
    checked = counted(f"FROM {PARAMS} p JOIN results r ON r.indicator_uid = p.indicator_uid WHERE {REPORTED}")
    sql = f"""SELECT p.rule_id, r.city_code, r.year, r.indicator_uid, NULL, {text('r.value')}, p.bounds,
              {message(outside, indicator='p.indicator', bounds='p.bounds')}, {RESULT_PLACE}
              FROM results r JOIN {PARAMS} p ON r.indicator_uid = p.indicator_uid
              WHERE {REPORTED} AND (r.value < p.lo OR r.value > p.hi)"""
    out = []
    for ind in catalogue.indicators.values():
        for chk in ind.checks:
            if chk.kind != check.test:
                continue
            (lo, lo_exact), (hi, hi_exact) = decimal(chk.min), decimal(chk.max)
            b = bounds_text(chk.min, chk.max)
            out.append(check.batched(
                f"{check.test}_results_{ind.uid}", msg(N_("{indicator} lies within {bounds}."), indicator=ind.id, bounds=b),
                {"indicator_uid": q(ind.uid), "indicator": q(ind.id), "bounds": q(b), "lo": lo, "hi": hi},
                checked, sql, chk.severity, batch=lo_exact and hi_exact))
    return out


def declared(test: str) -> Callable[[Indicator], list[str]]:
    """Rule ids ``<test>_results_<uid>`` of the indicators that declare a check of kind ``test``."""
    return lambda ind: [f"{test}_results_{ind.uid}" for c in ind.checks if c.kind == test]
