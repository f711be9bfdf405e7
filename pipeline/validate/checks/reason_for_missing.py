"""A core indicator that is not reported has a stated reason."""

from pipeline.catalogue.models import Severity, Tier
from pipeline.i18n import N_, msg
from pipeline.validate.base import PARAMS, RESULT_PLACE, CheckKind, counted, messages, q

EXPECTED = N_("a stated reason")
NO_FIGURE = N_("core indicator {indicator} is missing and no reason was given: no figure for {inputs}")
NO_FINITE_VALUE = N_("core indicator {indicator} is missing and no reason was given: the formula gives no finite value")


def _rules(catalogue):
    checked = counted(f"FROM {PARAMS} p JOIN results r ON r.indicator_uid = p.indicator_uid WHERE r.status <> 'reported'")
    sql = f"""SELECT p.rule_id, r.city_code, r.year, r.indicator_uid, NULL, r.reason, {q(EXPECTED)},
              {messages([("r.reason_code = 'missing_input'", NO_FIGURE), ("true", NO_FINITE_VALUE)],
                        indicator='p.indicator', inputs="r.reason")}, {RESULT_PLACE}
              FROM results r JOIN {PARAMS} p ON r.indicator_uid = p.indicator_uid
              WHERE r.status <> 'reported' AND r.reason_code IN ('missing_input', 'no_finite_value')"""
    out = []
    for ind in catalogue.indicators.values():
        if ind.tier is not Tier.core:
            continue
        out.append(CHECK.batched(
            f"reason_for_missing_results_{ind.uid}",
            msg(N_("If core indicator {indicator} is not reported, the city states why (a not_available or not_applicable row with a note)."), indicator=ind.id),
            {"indicator_uid": q(ind.uid), "indicator": q(ind.id)}, checked, sql))
    return out


CHECK = CheckKind(test="reason_for_missing", rule_id="reason_for_missing_results_<core indicator>", target="results",
                  level=1, severity=Severity.error, engine="duckdb",
                  summary="a core indicator that is not reported has a stated reason (a not_available row with a note)",
                  rules=_rules,
                  indicator_rule_ids=lambda ind: [f"reason_for_missing_results_{ind.uid}"] if ind.tier is Tier.core else [])
