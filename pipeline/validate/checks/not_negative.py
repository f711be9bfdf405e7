"""Counts and physical quantities given as inputs are never negative."""

from pipeline.catalogue.models import Severity, VariableKind
from pipeline.i18n import N_, msg
from pipeline.validate.base import OBS_PLACE, CheckKind, message, sql_in, text

FOUND = N_("{variable} is negative")


def variables(catalogue) -> list[str]:
    return [v.id for v in catalogue.variables.values() if v.kind in (VariableKind.count, VariableKind.quantity)]


def _rules(catalogue):
    ids = sql_in(variables(catalogue))
    return [CHECK.make(
        "not_negative_observations_value", msg(N_("Counts and physical quantities are not negative.")),
        f"SELECT count(*) FROM observations WHERE variable IN {ids} AND value IS NOT NULL",
        f"""SELECT o.city_code, o.year, NULL, o.variable, {text('o.value')}, '>= 0',
            {message(FOUND, variable="o.variable")}, {OBS_PLACE}
            FROM observations o WHERE o.variable IN {ids} AND o.value < 0""")]


CHECK = CheckKind(test="not_negative", rule_id="not_negative_observations_value", target="observations", level=1,
                  severity=Severity.error, engine="great_expectations",
                  summary="counts and physical quantities are not negative", rules=_rules)
