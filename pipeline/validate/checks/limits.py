"""The bounds outside which an indicator's value is impossible or absurd (``kind: limits``): an
error that no note explains (an enrolment of thousands of per cent, hundreds of MWh per person)."""

from pipeline.catalogue.models import Severity
from pipeline.i18n import N_
from pipeline.validate.base import bounds_rules, CheckKind, declared

CHECK = CheckKind(test="limits", rule_id="limits_results_<indicator>", target="results", level=1,
                  severity=Severity.error, engine="duckdb",
                  summary="the value lies within the bounds outside which it is impossible or absurd",
                  rules=lambda catalogue: bounds_rules(CHECK, catalogue, N_("{indicator} is outside the bounds of what is possible {bounds}")),
                  indicator_rule_ids=declared("limits"))
