"""A core indicator that is not reported has a stated reason."""

from pipeline.catalogue.models import Severity, Tier
from pipeline.validate.base import RESULT_PLACE, CheckKind, q


def _rules(catalogue):
    out = []
    for ind in catalogue.indicators.values():
        if ind.tier is not Tier.core:
            continue
        where = f"r.indicator_uid = {q(ind.uid)}"
        out.append(CHECK.make(
            f"reason_for_missing_results_{ind.uid}",
            f"If core indicator {ind.id} is not reported, the city states why (a not_available or not_applicable row with a note).",
            f"SELECT count(*) FROM results r WHERE {where} AND r.status <> 'reported'",
            f"""SELECT r.city_code, r.year, r.indicator_uid, NULL, r.reason, 'a stated reason',
                {q(f'core indicator {ind.id} is missing and no reason was given: ')} || r.reason, {RESULT_PLACE}
                FROM results r WHERE {where} AND r.status <> 'reported' AND r.reason_code IN ('missing_input', 'no_finite_value')"""))
    return out


CHECK = CheckKind(test="reason_for_missing", rule_id="reason_for_missing_results_<core indicator>", target="results",
                  level=1, severity=Severity.error, engine="duckdb",
                  summary="a core indicator that is not reported has a stated reason (a not_available row with a note)",
                  rules=_rules,
                  indicator_rule_ids=lambda ind: [f"reason_for_missing_results_{ind.uid}"] if ind.tier is Tier.core else [])
