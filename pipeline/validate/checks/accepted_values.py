"""Every figure is a variable of the registry, or an indicator's value given as reported."""

from pipeline.catalogue.models import Severity
from pipeline.i18n import N_, msg
from pipeline.validate.base import OBS_PLACE, CheckKind, message, q, sql_in

EXPECTED = N_("a registry variable")
FOUND = N_("unknown variable")


def values(catalogue) -> list[str]:
    return list(catalogue.variables) + list(catalogue.indicators)


def _rules(catalogue):
    return [CHECK.make(
        "accepted_values_observations_variable",
        msg(N_("Every figure is a variable of the registry, or an indicator's value given as reported.")),
        "SELECT count(*) FROM observations",
        f"""SELECT o.city_code, o.year, NULL, o.variable, o.variable, {q(EXPECTED)}, {message(FOUND)}, {OBS_PLACE}
            FROM observations o WHERE o.variable NOT IN {sql_in(values(catalogue))}""")]


CHECK = CheckKind(test="accepted_values", rule_id="accepted_values_observations_variable", target="observations",
                  level=0, severity=Severity.error, engine="great_expectations",
                  summary="every figure is a registry variable or an indicator of the catalogue", rules=_rules)
