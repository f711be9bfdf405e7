"""A variable declared a part of another (``not_above`` in the registry) never exceeds it."""

from pipeline.catalogue.models import Severity
from pipeline.i18n import N_, msg
from pipeline.validate.base import (
    OBS_PLACE,
    PARAMS,
    CheckKind,
    counted,
    message,
    q,
    text,
)

FOUND = N_("{variable} exceeds the whole it is part of, {whole}")

# the wholes are read first: a national table of every figure is not held to find a few variables in it
PAIRS = (f"{PARAMS} p JOIN observations o ON o.variable = p.variable "
         f"JOIN (SELECT * FROM observations WHERE variable IN (SELECT whole FROM {PARAMS})) w "
         "ON w.city_code = o.city_code AND w.year = o.year AND w.variable = p.whole")


def _rules(catalogue):
    checked = counted(f"FROM {PAIRS} WHERE o.value IS NOT NULL AND w.value IS NOT NULL")
    sql = f"""SELECT p.rule_id, o.city_code, o.year, NULL, o.variable, {text('o.value')}, '≤ ' || {text('w.value')} || ' (' || p.whole || ')',
              {message(FOUND, variable='p.variable', whole='p.whole')}, {OBS_PLACE}
              FROM {PAIRS}
              WHERE o.value > w.value"""
    out = []
    for v in catalogue.variables.values():
        if v.not_above is None:
            continue
        out.append(CHECK.batched(
            f"not_above_observations_{v.id}", msg(N_("{variable} is a part of {whole} and never exceeds it."), variable=v.id, whole=v.not_above),
            {"variable": q(v.id), "whole": q(v.not_above)}, checked, sql))
    return out


CHECK = CheckKind(test="not_above", rule_id="not_above_observations_<variable>", target="observations", level=1,
                  severity=Severity.error, engine="duckdb",
                  summary="a part never exceeds the whole the registry names in not_above", rules=_rules)
