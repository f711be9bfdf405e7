"""A computed ratio re-computes from its numerator and denominator within its rounding."""

from pipeline.catalogue.models import Ratio, Severity
from pipeline.i18n import N_, msg
from pipeline.validate.base import COMPUTED, PARAMS, RESULT_PLACE, CheckKind, counted, message, num, q, text

# Within half a unit of the last decimal the value was published with.
TOLERANCE = "0.5 * power(10, -r.decimals) + 1e-9"

FOUND = N_("the value does not re-compute from its numerator and denominator")


def expected(multiplier: str = "r.multiplier") -> str:
    return f"CAST(r.numerator AS DOUBLE) / CAST(r.denominator AS DOUBLE) * CAST({multiplier} AS DOUBLE)"


def _rules(catalogue):
    checked = counted(f"FROM {PARAMS} p JOIN results r ON r.indicator_uid = p.indicator_uid WHERE {COMPUTED}")
    sql = f"""SELECT p.rule_id, r.city_code, r.year, r.indicator_uid, NULL, {text('r.value')}, CAST({expected()} AS VARCHAR),
              {message(FOUND)}, {RESULT_PLACE}
              FROM results r JOIN {PARAMS} p ON r.indicator_uid = p.indicator_uid
              WHERE {COMPUTED} AND abs(CAST(r.value AS DOUBLE) - {expected()}) > {TOLERANCE}"""
    out = []
    for ind in catalogue.indicators.values():
        calc = ind.calculation
        if not isinstance(calc, Ratio):
            continue
        out.append(CHECK.batched(
            f"recomputes_results_{ind.uid}", msg(N_("{indicator} = numerator / denominator × {multiplier}, within rounding."), indicator=ind.id, multiplier=num(calc.multiplier)),
            {"indicator_uid": q(ind.uid)}, checked, sql))
    return out


CHECK = CheckKind(test="recomputes", rule_id="recomputes_results_<indicator>", target="results", level=1,
                  severity=Severity.error, engine="great_expectations",
                  summary="value = numerator / denominator × multiplier, within the rounding it was published with",
                  rules=_rules,
                  indicator_rule_ids=lambda ind: [f"recomputes_results_{ind.uid}"] if isinstance(ind.calculation, Ratio) else [])
