"""The numerator of a share is a true part of its denominator (``kind: share_bounds``, declared
where the standard defines a part of a whole): 0 ≤ numerator ≤ denominator."""

from pipeline.catalogue.models import Severity
from pipeline.i18n import N_, msg
from pipeline.validate.base import (
    PARAMS,
    RESULT_PLACE,
    CheckKind,
    counted,
    declared,
    message,
    q,
    text,
)

EXPECTED = N_("0 ≤ numerator ≤ denominator")
FOUND = N_("{numerator} is not between 0 and {denominator}")

BOTH = "r.numerator IS NOT NULL AND r.denominator IS NOT NULL"


def _rules(catalogue):
    checked = counted(f"FROM {PARAMS} p JOIN results r ON r.indicator_uid = p.indicator_uid WHERE {BOTH}")
    sql = f"""SELECT p.rule_id, r.city_code, r.year, r.indicator_uid, NULL,
              {text('r.numerator')} || ' / ' || {text('r.denominator')}, {q(EXPECTED)},
              {message(FOUND, numerator='p.numerator', denominator='p.denominator')}, {RESULT_PLACE}
              FROM results r JOIN {PARAMS} p ON r.indicator_uid = p.indicator_uid
              WHERE {BOTH} AND (r.numerator < 0 OR r.numerator > r.denominator)"""
    out = []
    for ind in catalogue.indicators.values():
        for chk in ind.checks:
            if chk.kind != "share_bounds":
                continue
            calc = ind.calculation
            out.append(CHECK.batched(
                f"share_bounds_results_{ind.uid}", msg(N_("For {indicator}, 0 ≤ {numerator} ≤ {denominator}."), indicator=ind.id,
                                                        numerator=calc.numerator, denominator=calc.denominator),
                {"indicator_uid": q(ind.uid), "numerator": q(calc.numerator), "denominator": q(calc.denominator)},
                checked, sql, chk.severity))
    return out


CHECK = CheckKind(test="share_bounds", rule_id="share_bounds_results_<indicator>", target="results", level=1,
                  severity=Severity.error, engine="duckdb",
                  summary="where declared, the numerator is a part of the denominator: 0 ≤ numerator ≤ denominator",
                  rules=_rules, indicator_rule_ids=declared("share_bounds"))
