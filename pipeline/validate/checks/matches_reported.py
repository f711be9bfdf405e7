"""Where a city gave an indicator's value as reported and its inputs too, the two agree within the
rounding of the reported value."""

from pipeline.catalogue.models import Severity
from pipeline.i18n import N_, msg
from pipeline.validate.base import COMPUTED, RESULT_PLACE, CheckKind, message, text

WHERE = f"{COMPUTED} AND r.reported_value IS NOT NULL"

FOUND = N_("the value computed from the inputs differs from the value given as reported")


def _rules(catalogue):
    return [CHECK.make(
        "matches_reported_results_value",
        msg(N_("A value computed from the inputs agrees with the value the city gave as reported, within its rounding.")),
        f"SELECT count(*) FROM results r WHERE {WHERE}",
        f"""SELECT r.city_code, r.year, r.indicator_uid, NULL, {text('r.value')}, {text('r.reported_value')},
            {message(FOUND)}, {RESULT_PLACE}
            FROM results r WHERE {WHERE}
              AND abs(r.value_unrounded - CAST(r.reported_value AS DOUBLE)) > 0.5 * power(10, -r.reported_decimals) + 1e-9""")]


CHECK = CheckKind(test="matches_reported", rule_id="matches_reported_results_value", target="results", level=1,
                  severity=Severity.warning, engine="duckdb",
                  summary="a value computed from the inputs agrees with the value given as reported, within its rounding",
                  rules=_rules)
