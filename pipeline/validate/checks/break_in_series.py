"""A value computed from an input flagged as a break in series is shown as such."""

from pipeline.catalogue.models import Severity
from pipeline.validate.base import RESULT_PLACE, CheckKind


def _rules(catalogue):
    return [CHECK.make(
        "break_in_series_results_flags", "A value computed from an input flagged as a break in series is shown as such.",
        "SELECT count(*) FROM results WHERE status = 'reported'",
        f"""SELECT r.city_code, r.year, r.indicator_uid, NULL, 'break', 'comparable with the year before',
            'break in series: ' || coalesce(n.breaks, ''), {RESULT_PLACE}
            FROM results r LEFT JOIN input_notes n USING (city_code, indicator_uid, year)
            WHERE list_contains(r.flags, 'break')""")]


CHECK = CheckKind(test="break_in_series", rule_id="break_in_series_results_flags", target="results", level=2,
                  severity=Severity.information, engine="duckdb",
                  summary="a value computed from an input flagged as a break in series is shown as such", rules=_rules)
