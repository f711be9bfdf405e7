"""A variable declared a part of another (``not_above`` in the registry) never exceeds it."""

from pipeline.catalogue.models import Severity
from pipeline.i18n import N_, msg
from pipeline.validate.base import OBS_PLACE, CheckKind, message, q, text

FOUND = N_("{variable} exceeds the whole it is part of, {whole}")


def _rules(catalogue):
    out = []
    for v in catalogue.variables.values():
        if v.not_above is None:
            continue
        out.append(CHECK.make(
            f"not_above_observations_{v.id}", msg(N_("{variable} is a part of {whole} and never exceeds it."), variable=v.id, whole=v.not_above),
            f"""SELECT count(*) FROM observations p JOIN observations w USING (city_code, year)
                WHERE p.variable = {q(v.id)} AND w.variable = {q(v.not_above)} AND p.value IS NOT NULL AND w.value IS NOT NULL""",
            f"""SELECT o.city_code, o.year, NULL, o.variable, {text('o.value')}, '≤ ' || {text('w.value')} || ' ({v.not_above})',
                {message(FOUND, variable=q(v.id), whole=q(v.not_above))}, {OBS_PLACE}
                FROM observations o JOIN observations w ON w.city_code = o.city_code AND w.year = o.year AND w.variable = {q(v.not_above)}
                WHERE o.variable = {q(v.id)} AND o.value > w.value"""))
    return out


CHECK = CheckKind(test="not_above", rule_id="not_above_observations_<variable>", target="observations", level=1,
                  severity=Severity.error, engine="duckdb",
                  summary="a part never exceeds the whole the registry names in not_above", rules=_rules)
