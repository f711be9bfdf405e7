"""How much an indicator may change from one year to the next without an explanation
(``kind: yoy_change``): a larger change is a warning, information when a note on an input explains it."""

from pipeline.catalogue.models import Severity
from pipeline.validate.base import RESULT_PLACE, CheckKind, declared, num, q, text


def _rules(catalogue):
    out = []
    for ind in catalogue.indicators.values():
        for chk in ind.checks:
            if chk.kind != "yoy_change":
                continue
            conds = []
            if chk.max_absolute is not None:
                conds.append(f"abs(r.yoy_change) > {num(chk.max_absolute)}")
            if chk.max_relative is not None:
                conds.append(f"abs(r.yoy_relative) > {num(chk.max_relative)}")
            unit = "percentage points" if ind.unit.en.startswith("%") else ind.unit.en
            limit = " and ".join(filter(None, [
                f"±{num(chk.max_absolute)} {unit}" if chk.max_absolute is not None else "",
                f"±{num(chk.max_relative * 100)} %" if chk.max_relative is not None else ""]))
            where = f"r.indicator_uid = {q(ind.uid)} AND r.yoy_change IS NOT NULL"
            out.append(CHECK.make(
                f"yoy_change_results_{ind.uid}",
                f"{ind.id} changes from one year to the next by no more than {limit}, unless a note of its inputs explains the change.",
                f"SELECT count(*) FROM results r WHERE {where}",
                f"""SELECT r.city_code, r.year, r.indicator_uid, NULL,
                    {text('r.previous_value')} || ' → ' || {text('r.value')}, {q(limit)},
                    {q(f'{ind.id} changed by more than {limit} against the year before')}, {RESULT_PLACE}
                    FROM results r WHERE {where} AND {' AND '.join(conds)}""", chk.severity))
    return out


CHECK = CheckKind(test="yoy_change", rule_id="yoy_change_results_<indicator>", target="results", level=2,
                  severity=Severity.warning, engine="duckdb", explainable=True,
                  summary="the change against the year before stays within the declared bounds (a note on an input explains a larger one)",
                  rules=_rules, indicator_rule_ids=declared("yoy_change"))
