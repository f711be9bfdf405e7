"""A value computed from an input flagged as a break in series is shown as such."""

from pipeline.catalogue.models import Severity
from pipeline.i18n import N_, msg
from pipeline.validate.base import RESULT_PLACE, CheckKind, message, q

EXPECTED = N_("comparable with the year before")
FOUND = N_("break in series: {inputs}")


def _rules(catalogue):
    return [CHECK.make(
        "break_in_series_results_flags", msg(N_("A value computed from an input flagged as a break in series is shown as such.")),
        "SELECT count(*) FROM results WHERE status = 'reported'",
        f"""SELECT r.city_code, r.year, r.indicator_uid, NULL, 'break', {q(EXPECTED)},
            {message(FOUND, inputs="n.breaks")}, {RESULT_PLACE}
            FROM results r LEFT JOIN input_notes n USING (city_code, indicator_uid, year)
            WHERE list_contains(r.flags, 'break')""")]


CHECK = CheckKind(test="break_in_series", rule_id="break_in_series_results_flags", target="results", level=2,
                  severity=Severity.information, engine="duckdb",
                  summary="a value computed from an input flagged as a break in series is shown as such", rules=_rules)
