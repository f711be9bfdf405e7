"""How much an indicator may change from one year to the next without an explanation
(``kind: yoy_change``): a larger change is a warning, information when a note on an input explains it."""

from pipeline.catalogue.models import Severity, Text
from pipeline.i18n import N_, gettext, msg
from pipeline.validate.base import (PARAMS, RESULT_PLACE, CheckKind, Localised, counted, decimal, declared, localised,
                                    message, num, q, text)

# By which bounds: (description, finding), each with {indicator}, {absolute}, {unit}, {relative}.
TEMPLATES = {
    (True, True): (N_("{indicator} changes from one year to the next by no more than ±{absolute} {unit} and ±{relative} %, "
                      "unless a note of its inputs explains the change."),
                   N_("{indicator} changed by more than ±{absolute} {unit} and ±{relative} % against the year before")),
    (True, False): (N_("{indicator} changes from one year to the next by no more than ±{absolute} {unit}, "
                       "unless a note of its inputs explains the change."),
                    N_("{indicator} changed by more than ±{absolute} {unit} against the year before")),
    (False, True): (N_("{indicator} changes from one year to the next by no more than ±{relative} %, "
                       "unless a note of its inputs explains the change."),
                    N_("{indicator} changed by more than ±{relative} % against the year before")),
}
POINTS = N_("percentage points")


def _unit(unit: Text) -> Text:
    """The unit of an absolute change: percentage points for a percentage."""
    return Text(**{lang: gettext(lang)(POINTS) for lang in Text.model_fields}) if unit.en.startswith("%") else unit


def _rules(catalogue):
    checked = counted(f"FROM {PARAMS} p JOIN results r ON r.indicator_uid = p.indicator_uid WHERE r.yoy_change IS NOT NULL")

    def sql(found: str) -> str:  # an absent bound is NULL: only the declared ones are compared
        return f"""SELECT p.rule_id, r.city_code, r.year, r.indicator_uid, NULL,
                   {text('r.previous_value')} || ' → ' || {text('r.value')}, p.expected,
                   {message(found, indicator='p.indicator', absolute='p.absolute', unit=Localised('p.unit'), relative='p.relative')},
                   {RESULT_PLACE}
                   FROM results r JOIN {PARAMS} p ON r.indicator_uid = p.indicator_uid
                   WHERE r.yoy_change IS NOT NULL AND (p.max_absolute IS NULL OR abs(r.yoy_change) > p.max_absolute)
                     AND (p.max_relative IS NULL OR abs(r.yoy_relative) > p.max_relative)"""

    out = []
    for ind in catalogue.indicators.values():
        for chk in ind.checks:
            if chk.kind != "yoy_change":
                continue
            absolute = num(chk.max_absolute) if chk.max_absolute is not None else ""
            relative = num(chk.max_relative * 100) if chk.max_relative is not None else ""
            unit = _unit(ind.unit)
            describe, found = TEMPLATES[(bool(absolute), bool(relative))]
            # in no language: the unit of an absolute bound is in the message
            expected = " / ".join(filter(None, [f"±{absolute}" if absolute else "", f"±{relative} %" if relative else ""]))
            max_absolute, exact = decimal(chk.max_absolute)
            # yoy_relative is a DOUBLE: the bound is compared as the DOUBLE nearest to it, as its literal would be
            max_relative = f"CAST({num(chk.max_relative)} AS DOUBLE)" if chk.max_relative is not None else "CAST(NULL AS DOUBLE)"
            out.append(CHECK.batched(
                f"yoy_change_results_{ind.uid}",
                msg(describe, indicator=ind.id, absolute=absolute, unit=unit, relative=relative),
                {"indicator_uid": q(ind.uid), "indicator": q(ind.id), "absolute": q(absolute), "relative": q(relative),
                 "unit": localised(unit), "expected": q(expected), "max_absolute": max_absolute, "max_relative": max_relative},
                checked, sql(found), chk.severity, batch=exact))
    return out


CHECK = CheckKind(test="yoy_change", rule_id="yoy_change_results_<indicator>", target="results", level=2,
                  severity=Severity.warning, engine="duckdb", explainable=True,
                  summary="the change against the year before stays within the declared bounds (a note on an input explains a larger one)",
                  rules=_rules, indicator_rule_ids=declared("yoy_change"))
