"""Indicators that split one whole (``kind: parts_sum`` with a group) sum to its total."""

from pipeline.catalogue.models import Severity
from pipeline.i18n import N_, msg
from pipeline.validate.base import RESULT_PLACE, CheckKind, message, num, q, sql_in, text

FOUND = N_("the parts of {group} do not sum to {total}")


def rule_id(edition: str, group: str) -> str:
    return f"parts_sum_results_{edition}:{group}"


def _rules(catalogue):
    groups: dict[tuple[str, str], tuple[object, list[str]]] = {}
    for ind in catalogue.indicators.values():
        for chk in ind.checks:
            if chk.kind == "parts_sum":
                groups.setdefault((ind.edition, chk.group), (chk, []))[1].append(ind.uid)
    out = []
    for (edition, group), (chk, members) in groups.items():
        n, total, tol = len(members), num(chk.total), num(chk.tolerance)
        out.append(CHECK.make(
            rule_id(edition, group), msg(N_("The parts of {group} ({parts}) sum to {total} ± {tolerance}."), group=group,
                                        parts=", ".join(m.split(":")[1] for m in members), total=total, tolerance=tol),
            f"""SELECT count(*) FROM (SELECT city_code, year FROM results WHERE indicator_uid IN {sql_in(members)}
                AND status = 'reported' GROUP BY ALL HAVING count(*) = {n})""",
            f"""SELECT city_code, year, NULL, NULL, {text('sum(value)')}, {q(f'{total} ± {tol}')},
                {message(FOUND, group=q(group), total=q(total))}, {RESULT_PLACE}
                FROM results WHERE indicator_uid IN {sql_in(members)} AND status = 'reported'
                GROUP BY city_code, year HAVING count(*) = {n} AND abs(sum(value) - {total}) > {tol}""", chk.severity))
    return out


CHECK = CheckKind(test="parts_sum", rule_id="parts_sum_results_<edition>:<group>", target="results", level=1,
                  severity=Severity.error, engine="duckdb",
                  summary="the indicators of one group split one whole and sum to its total (waste routes, wastewater treatment levels, age groups)",
                  rules=_rules,
                  indicator_rule_ids=lambda ind: [rule_id(ind.edition, c.group) for c in ind.checks if c.kind == "parts_sum"])
