"""The validation rules, derived from the definitions: each with a stable id that says what it
checks and where (``<test>_<target>_<what>``, as dbt names its tests), a level of the ESS
validation typology and a severity.

Row-level rules run as Great Expectations expectations; set-level rules run as DuckDB SQL. Each
rule's findings are always found with SQL (the failing rows with their raw places); for the
row-level rules the count GX reports must agree with it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pipeline.catalogue import Catalogue
from pipeline.catalogue.models import PartsSumCheck, RangeCheck, Ratio, Tier, VariableKind, YearOverYearCheck


class Severity(StrEnum):
    error = "error"
    warning = "warning"
    information = "information"


class Rule(BaseModel):
    """One rule. ``sql`` selects its findings: city_code, year, indicator_uid, variable, observed,
    expected, message, file_id, sheet, row."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: str
    test: str
    level: int
    severity: Severity
    engine: Literal["great_expectations", "duckdb"]
    target: Literal["observations", "results"]
    description: str
    checked_sql: str
    """Counts the rows the rule looks at."""
    sql: str


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _num(d) -> str:
    return format(d.normalize(), "f")


def text(expr: str) -> str:
    """SQL: a decimal as text without trailing zeros (100.500000 → 100.5, 100.000000 → 100)."""
    return f"(CASE WHEN contains(CAST({expr} AS VARCHAR), '.') THEN rtrim(rtrim(CAST({expr} AS VARCHAR), '0'), '.') ELSE CAST({expr} AS VARCHAR) END)"


OBS_PLACE = "o.file_id, o.sheet, o.row"
RESULT_PLACE = "NULL::VARCHAR, NULL::VARCHAR, NULL::INTEGER"


def observation_rules(catalogue: Catalogue) -> list[Rule]:
    nonneg = [v.id for v in catalogue.variables.values() if v.kind in (VariableKind.count, VariableKind.quantity)]
    shares = [v.id for v in catalogue.variables.values() if v.kind is VariableKind.share]
    flagged = "('estimated', 'provisional', 'revised', 'break')"
    rules = [
        Rule(rule_id="not_negative_observations_value", test="not_negative", level=1, severity=Severity.error,
             engine="great_expectations", target="observations",
             description="Counts and physical quantities are not negative.",
             checked_sql=f"SELECT count(*) FROM observations WHERE variable IN {_in(nonneg)} AND value IS NOT NULL",
             sql=f"""SELECT o.city_code, o.year, NULL, o.variable, {text('o.value')}, '>= 0',
                     o.variable || ' is negative', {OBS_PLACE}
                     FROM observations o WHERE o.variable IN {_in(nonneg)} AND o.value < 0"""),
        Rule(rule_id="between_0_100_observations_value", test="between_0_100", level=1, severity=Severity.error,
             engine="great_expectations", target="observations",
             description="Percentages given as inputs lie within 0–100.",
             checked_sql=f"SELECT count(*) FROM observations WHERE variable IN {_in(shares)} AND value IS NOT NULL",
             sql=f"""SELECT o.city_code, o.year, NULL, o.variable, {text('o.value')}, '0–100',
                     o.variable || ' is a percentage outside 0–100', {OBS_PLACE}
                     FROM observations o WHERE o.variable IN {_in(shares)} AND (o.value < 0 OR o.value > 100)"""),
        Rule(rule_id="unique_observations_city_year_variable", test="unique", level=0, severity=Severity.error,
             engine="great_expectations", target="observations",
             description="One figure per city, year and variable.",
             checked_sql="SELECT count(*) FROM observations",
             sql=f"""SELECT o.city_code, o.year, NULL, o.variable, NULL, 'unique', 'the figure is given more than once', {OBS_PLACE}
                     FROM observations o JOIN (SELECT city_code, year, variable FROM observations GROUP BY ALL HAVING count(*) > 1)
                     USING (city_code, year, variable)"""),
        Rule(rule_id="accepted_values_observations_variable", test="accepted_values", level=0, severity=Severity.error,
             engine="great_expectations", target="observations",
             description="Every variable is one of the registry.",
             checked_sql="SELECT count(*) FROM observations",
             sql=f"""SELECT o.city_code, o.year, NULL, o.variable, o.variable, 'a registry variable', 'unknown variable', {OBS_PLACE}
                     FROM observations o WHERE o.variable NOT IN {_in(list(catalogue.variables))}"""),
        Rule(rule_id="relationships_observations_source_id", test="relationships", level=0, severity=Severity.error,
             engine="duckdb", target="observations",
             description="Every figure names a source of its folder's register.",
             checked_sql="SELECT count(*) FROM observations WHERE value IS NOT NULL",
             sql=f"""SELECT o.city_code, o.year, NULL, o.variable, o.source_id, 'a source of sources.csv',
                     'the figure has no known source', {OBS_PLACE}
                     FROM observations o LEFT JOIN sources s ON s.folder = o.folder AND s.source_id = o.source_id
                     WHERE (o.value IS NOT NULL OR o.value_text IS NOT NULL) AND s.source_id IS NULL
                       AND o.file_id NOT LIKE '%city.yaml' AND o.file_id NOT LIKE '%cities.yaml'"""),
        Rule(rule_id="note_on_flag_observations_note", test="note_on_flag", level=1, severity=Severity.warning,
             engine="duckdb", target="observations",
             description="An estimated, provisional, revised or break-in-series figure carries a note saying why.",
             checked_sql=f"SELECT count(*) FROM observations WHERE status IN {flagged}",
             sql=f"""SELECT o.city_code, o.year, NULL, o.variable, o.status, 'a note', 'the figure is flagged ' || o.status || ' without a note', {OBS_PLACE}
                     FROM observations o WHERE o.status IN {flagged} AND o.note IS NULL"""),
    ]
    for v in catalogue.variables.values():
        if v.not_above is None:
            continue
        rules.append(Rule(
            rule_id=f"not_above_observations_{v.id}", test="not_above", level=1, severity=Severity.error,
            engine="duckdb", target="observations",
            description=f"{v.id} is a part of {v.not_above} and never exceeds it.",
            checked_sql=f"""SELECT count(*) FROM observations p JOIN observations w USING (city_code, year)
                            WHERE p.variable = {_q(v.id)} AND w.variable = {_q(v.not_above)} AND p.value IS NOT NULL AND w.value IS NOT NULL""",
            sql=f"""SELECT o.city_code, o.year, NULL, o.variable, {text('o.value')}, '<= ' || {text('w.value')} || ' ({v.not_above})',
                    {_q(f'{v.id} exceeds the whole it is part of, {v.not_above}')}, {OBS_PLACE}
                    FROM observations o JOIN observations w ON w.city_code = o.city_code AND w.year = o.year AND w.variable = {_q(v.not_above)}
                    WHERE o.variable = {_q(v.id)} AND o.value > w.value"""))
    return rules


def _in(values: list[str]) -> str:
    return "(" + ", ".join(_q(v) for v in values) + ")" if values else "(NULL)"


# The notes of a result's inputs (this year's and, for previous(), last year's): what explains a
# change. ``PREPARE_SQL`` gathers them once per validation run.
PREPARE_SQL = """
CREATE OR REPLACE TEMP TABLE input_notes AS
SELECT city_code, indicator_uid, year,
       string_agg(DISTINCT variable || ': ' || note, '; ' ORDER BY variable || ': ' || note) AS notes,
       string_agg(DISTINCT variable || ': ' || coalesce(note, 'no note'), '; ') FILTER (WHERE status = 'break') AS breaks
FROM lineage WHERE note IS NOT NULL OR status = 'break'
GROUP BY city_code, indicator_uid, year;

-- the values with a year-over-year change, each with the notes of its inputs (joined once here,
-- not in each of the hundred rules that read it)
CREATE OR REPLACE TEMP TABLE changes AS
SELECT r.*, n.notes AS input_notes
FROM results r LEFT JOIN input_notes n USING (city_code, indicator_uid, year)
WHERE r.yoy_change IS NOT NULL
"""
EXPLANATION = "r.input_notes"
EXPLAINED = f"({EXPLANATION} IS NOT NULL)"


def result_rules(catalogue: Catalogue) -> list[Rule]:
    rules: list[Rule] = []
    explained: list[str] = []
    reported = "r.status = 'reported' AND r.value IS NOT NULL"
    for ind in catalogue.indicators.values():
        uid, where = ind.uid, f"r.indicator_uid = {_q(ind.uid)}"
        for chk in ind.checks:
            if isinstance(chk, RangeCheck):
                lo = f"r.value < {_num(chk.min)}" if chk.min is not None else "false"
                hi = f"r.value > {_num(chk.max)}" if chk.max is not None else "false"
                bounds = f"[{_num(chk.min) if chk.min is not None else '−∞'}, {_num(chk.max) if chk.max is not None else '∞'}]"
                rules.append(Rule(
                    rule_id=f"range_results_{uid}", test="range", level=1, severity=Severity.error,
                    engine="great_expectations", target="results",
                    description=f"{ind.id} lies within {bounds}.",
                    checked_sql=f"SELECT count(*) FROM results r WHERE {where} AND {reported}",
                    sql=f"""SELECT r.city_code, r.year, r.indicator_uid, NULL, {text('r.value')}, {_q(bounds)},
                            {_q(f'{ind.id} is outside its plausible range {bounds}')}, {RESULT_PLACE}
                            FROM results r WHERE {where} AND {reported} AND ({lo} OR {hi})"""))
            elif isinstance(chk, YearOverYearCheck):
                conds = []
                if chk.max_absolute is not None:
                    conds.append(f"abs(r.yoy_change) > {_num(chk.max_absolute)}")
                if chk.max_relative is not None:
                    conds.append(f"abs(r.yoy_relative) > {_num(chk.max_relative)}")
                limit = " and ".join(filter(None, [
                    f"±{_num(chk.max_absolute)} {'percentage points' if ind.unit.en.startswith('%') else ind.unit.en}"
                    if chk.max_absolute is not None else "",
                    f"±{_num(chk.max_relative * 100)} %" if chk.max_relative is not None else ""]))
                large = f"r.indicator_uid = {_q(ind.uid)} AND r.yoy_change IS NOT NULL AND {' AND '.join(conds)}"
                rules.append(Rule(
                    rule_id=f"yoy_change_results_{uid}", test="yoy_change", level=2, severity=Severity.warning,
                    engine="duckdb", target="results",
                    description=f"{ind.id} changes from one year to the next by no more than {limit}, unless a note of its inputs explains the change.",
                    checked_sql=f"SELECT count(*) FROM results r WHERE {where} AND r.yoy_change IS NOT NULL",
                    sql=f"""SELECT r.city_code, r.year, r.indicator_uid, NULL,
                            {text('r.previous_value')} || ' → ' || {text('r.value')}, {_q(limit)},
                            {_q(f'{ind.id} changed by more than {limit} against the year before, and no input note explains it')},
                            {RESULT_PLACE}
                            FROM changes r WHERE {large} AND NOT {EXPLAINED}"""))
                explained.append(f"""SELECT r.city_code, r.year, r.indicator_uid, NULL,
                            {text('r.previous_value')} || ' → ' || {text('r.value')}, {_q(limit)},
                            {_q(f'{ind.id} changed by more than {limit}; explained: ')} || {EXPLANATION},
                            {RESULT_PLACE}
                            FROM changes r WHERE {large} AND {EXPLAINED}""")
        calc = ind.calculation
        if isinstance(calc, Ratio):
            step = f"0.5 * 10 ** -{ind.decimals}"
            rules.append(Rule(
                rule_id=f"recomputes_results_{uid}", test="recomputes", level=1, severity=Severity.error,
                engine="great_expectations", target="results",
                description=f"{ind.id} = numerator / denominator × {_num(calc.multiplier)}, within rounding.",
                checked_sql=f"SELECT count(*) FROM results r WHERE {where} AND {reported}",
                sql=f"""SELECT r.city_code, r.year, r.indicator_uid, NULL, {text('r.value')},
                        CAST(CAST(r.numerator AS DOUBLE) / CAST(r.denominator AS DOUBLE) * {_num(calc.multiplier)} AS VARCHAR),
                        'the value does not re-compute from its numerator and denominator', {RESULT_PLACE}
                        FROM results r WHERE {where} AND {reported}
                          AND abs(CAST(r.value AS DOUBLE) - CAST(r.numerator AS DOUBLE) / CAST(r.denominator AS DOUBLE) * {_num(calc.multiplier)}) > {step} + 1e-9"""))
            if calc.multiplier == 100 and ind.unit.en.startswith("%"):
                rules.append(Rule(
                    rule_id=f"share_bounds_results_{uid}", test="share_bounds", level=1, severity=Severity.error,
                    engine="duckdb", target="results",
                    description=f"For {ind.id}, 0 ≤ {calc.numerator} ≤ {calc.denominator}.",
                    checked_sql=f"SELECT count(*) FROM results r WHERE {where} AND r.numerator IS NOT NULL AND r.denominator IS NOT NULL",
                    sql=f"""SELECT r.city_code, r.year, r.indicator_uid, NULL,
                            {text('r.numerator')} || ' / ' || {text('r.denominator')}, '0 ≤ numerator ≤ denominator',
                            {_q(f'{calc.numerator} is not between 0 and {calc.denominator}')}, {RESULT_PLACE}
                            FROM results r WHERE {where} AND (r.numerator < 0 OR r.numerator > r.denominator)"""))
        if ind.tier is Tier.core:
            rules.append(Rule(
                rule_id=f"reason_for_missing_results_{uid}", test="reason_for_missing", level=1, severity=Severity.error,
                engine="duckdb", target="results",
                description=f"If core indicator {ind.id} is not reported, the city states why (a not_available or not_applicable row with a note).",
                checked_sql=f"SELECT count(*) FROM results r WHERE {where} AND r.status <> 'reported'",
                sql=f"""SELECT r.city_code, r.year, r.indicator_uid, NULL, r.reason, 'a stated reason',
                        {_q(f'core indicator {ind.id} is missing and no reason was given: ')} || r.reason, {RESULT_PLACE}
                        FROM results r WHERE {where} AND r.status <> 'reported' AND r.reason_code IN ('missing_input', 'no_finite_value')"""))
    rules.append(Rule(
        rule_id="yoy_explained_results_change", test="yoy_explained", level=2, severity=Severity.information,
        engine="duckdb", target="results",
        description="A change beyond an indicator's plausible range that a note of its inputs explains (shown, not a warning).",
        checked_sql="SELECT count(*) FROM results WHERE yoy_change IS NOT NULL",
        sql=" UNION ALL ".join(explained) if explained else f"SELECT NULL, NULL, NULL, NULL, NULL, NULL, '', {RESULT_PLACE} WHERE false"))
    groups: dict[tuple[str, str], tuple[PartsSumCheck, list[str]]] = {}
    for ind in catalogue.indicators.values():
        for chk in ind.checks:
            if isinstance(chk, PartsSumCheck):
                groups.setdefault((ind.edition, chk.group), (chk, []))[1].append(ind.uid)
    for (edition, group), (chk, members) in groups.items():
        n, total, tol = len(members), _num(chk.total), _num(chk.tolerance)
        rules.append(Rule(
            rule_id=f"parts_sum_results_{edition}:{group}", test="parts_sum", level=1, severity=Severity.error,
            engine="duckdb", target="results",
            description=f"The parts of {group} ({', '.join(m.split(':')[1] for m in members)}) sum to {total} ± {tol}.",
            checked_sql=f"""SELECT count(*) FROM (SELECT city_code, year FROM results WHERE indicator_uid IN {_in(members)}
                            AND status = 'reported' GROUP BY ALL HAVING count(*) = {n})""",
            sql=f"""SELECT city_code, year, NULL, NULL, {text('sum(value)')}, {_q(f'{total} ± {tol}')},
                    {_q(f'the parts of {group} do not sum to {total}')}, {RESULT_PLACE}
                    FROM results WHERE indicator_uid IN {_in(members)} AND status = 'reported'
                    GROUP BY city_code, year HAVING count(*) = {n} AND abs(sum(value) - {total}) > {tol}"""))
    per_pop = [i.uid for i in catalogue.indicators.values()
               if isinstance(i.calculation, Ratio) and i.calculation.denominator == "population"]
    rules.append(Rule(
        rule_id="same_population_results_denominator", test="same_population", level=1, severity=Severity.error,
        engine="duckdb", target="results",
        description="Every per-capita indicator of a city and year uses the same population figure.",
        checked_sql=f"SELECT count(*) FROM results WHERE indicator_uid IN {_in(per_pop)} AND denominator IS NOT NULL",
        sql=f"""SELECT city_code, year, NULL, 'population', string_agg(DISTINCT {text('denominator')}, ', '), 'one figure',
                'per-capita indicators use different population figures', {RESULT_PLACE}
                FROM results WHERE indicator_uid IN {_in(per_pop)} AND denominator IS NOT NULL
                GROUP BY city_code, year HAVING count(DISTINCT denominator) > 1"""))
    rules.append(Rule(
        rule_id="break_in_series_results_flags", test="break_in_series", level=2, severity=Severity.information,
        engine="duckdb", target="results",
        description="A value computed from an input flagged as a break in series is shown as such.",
        checked_sql="SELECT count(*) FROM results WHERE status = 'reported'",
        sql=f"""SELECT r.city_code, r.year, r.indicator_uid, NULL, 'break', 'comparable with the year before',
                'break in series: ' || coalesce((SELECT n.breaks FROM input_notes n WHERE n.indicator_uid = r.indicator_uid
                 AND n.city_code = r.city_code AND n.year = r.year), ''), {RESULT_PLACE}
                FROM results r WHERE list_contains(r.flags, 'break')"""))
    return rules


def all_rules(catalogue: Catalogue) -> list[Rule]:
    return observation_rules(catalogue) + result_rules(catalogue)
