"""One figure per city, year and variable."""

from pipeline.catalogue.models import Severity
from pipeline.i18n import N_, msg
from pipeline.validate.base import OBS_PLACE, CheckKind, message, q

EXPECTED = N_("one figure")
FOUND = N_("the figure is given more than once")


def _rules(catalogue):
    return [CHECK.make(
        "unique_observations_city_year_variable", msg(N_("One figure per city, year and variable.")),
        "SELECT count(*) FROM observations",
        f"""SELECT o.city_code, o.year, NULL, o.variable, NULL, {q(EXPECTED)}, {message(FOUND)}, {OBS_PLACE}
            FROM observations o JOIN (SELECT city_code, year, variable FROM observations GROUP BY ALL HAVING count(*) > 1)
            USING (city_code, year, variable)""")]


CHECK = CheckKind(test="unique", rule_id="unique_observations_city_year_variable", target="observations", level=0,
                  severity=Severity.error, engine="great_expectations",
                  summary="one figure per city, year and variable", rules=_rules)
