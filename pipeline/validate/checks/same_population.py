"""Every per-capita indicator of a city and year divides by the same population."""

from pipeline.catalogue.models import Ratio, Severity
from pipeline.i18n import N_, msg
from pipeline.validate.base import RESULT_PLACE, CheckKind, message, q, sql_in, text

EXPECTED = N_("one figure")
FOUND = N_("per-capita indicators use different population figures")


def _rules(catalogue):
    per_pop = sql_in([i.uid for i in catalogue.indicators.values()
                      if isinstance(i.calculation, Ratio) and i.calculation.denominator == "population"])
    return [CHECK.make(
        "same_population_results_denominator", msg(N_("Every per-capita indicator of a city and year uses the same population figure.")),
        f"SELECT count(*) FROM results WHERE indicator_uid IN {per_pop} AND denominator IS NOT NULL",
        f"""SELECT city_code, year, NULL, 'population', string_agg(DISTINCT {text('denominator')}, ', ' ORDER BY {text('denominator')}),
            {q(EXPECTED)}, {message(FOUND)}, {RESULT_PLACE}
            FROM results WHERE indicator_uid IN {per_pop} AND denominator IS NOT NULL
            GROUP BY city_code, year HAVING count(DISTINCT denominator) > 1""")]


CHECK = CheckKind(test="same_population", rule_id="same_population_results_denominator", target="results", level=1,
                  severity=Severity.error, engine="duckdb",
                  summary="every per-capita indicator of a city and year uses the same population figure", rules=_rules)
