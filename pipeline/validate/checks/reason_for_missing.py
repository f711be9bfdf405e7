"""A core indicator that is not reported has a stated reason."""

from pipeline.catalogue.models import Severity, Tier
from pipeline.i18n import N_, msg
from pipeline.validate.base import RESULT_PLACE, CheckKind, messages, q

EXPECTED = N_("a stated reason")
NO_FIGURE = N_("core indicator {indicator} is missing and no reason was given: no figure for {inputs}")
NO_FINITE_VALUE = N_("core indicator {indicator} is missing and no reason was given: the formula gives no finite value")


def _rules(catalogue):
    out = []
    for ind in catalogue.indicators.values():
        if ind.tier is not Tier.core:
            continue
        where = f"r.indicator_uid = {q(ind.uid)}"
        out.append(CHECK.make(
            f"reason_for_missing_results_{ind.uid}",
            msg(N_("If core indicator {indicator} is not reported, the city states why (a not_available or not_applicable row with a note)."), indicator=ind.id),
            f"SELECT count(*) FROM results r WHERE {where} AND r.status <> 'reported'",
            f"""SELECT r.city_code, r.year, r.indicator_uid, NULL, r.reason, {q(EXPECTED)},
                {messages([("r.reason_code = 'missing_input'", NO_FIGURE),
                           ("true", NO_FINITE_VALUE)],
                          indicator=q(ind.id), inputs="r.reason")}, {RESULT_PLACE}
                FROM results r WHERE {where} AND r.status <> 'reported' AND r.reason_code IN ('missing_input', 'no_finite_value')"""))
    return out


CHECK = CheckKind(test="reason_for_missing", rule_id="reason_for_missing_results_<core indicator>", target="results",
                  level=1, severity=Severity.error, engine="duckdb",
                  summary="a core indicator that is not reported has a stated reason (a not_available row with a note)",
                  rules=_rules,
                  indicator_rule_ids=lambda ind: [f"reason_for_missing_results_{ind.uid}"] if ind.tier is Tier.core else [])
