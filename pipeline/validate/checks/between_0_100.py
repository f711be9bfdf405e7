"""Percentages given as inputs lie within 0–100."""

from pipeline.catalogue.models import Severity, VariableKind
from pipeline.i18n import N_, msg
from pipeline.validate.base import OBS_PLACE, CheckKind, message, sql_in, text

FOUND = N_("{variable} is a percentage outside 0–100")


def variables(catalogue) -> list[str]:
    return [v.id for v in catalogue.variables.values() if v.kind is VariableKind.share]


def _rules(catalogue):
    ids = sql_in(variables(catalogue))
    return [CHECK.make(
        "between_0_100_observations_value", msg(N_("Percentages given as inputs lie within 0–100.")),
        f"SELECT count(*) FROM observations WHERE variable IN {ids} AND value IS NOT NULL",
        f"""SELECT o.city_code, o.year, NULL, o.variable, {text('o.value')}, '0–100',
            {message(FOUND, variable="o.variable")}, {OBS_PLACE}
            FROM observations o WHERE o.variable IN {ids} AND (o.value < 0 OR o.value > 100)""")]


CHECK = CheckKind(test="between_0_100", rule_id="between_0_100_observations_value", target="observations", level=1,
                  severity=Severity.error, engine="great_expectations",
                  summary="input variables of kind share lie within 0–100", rules=_rules)
