"""The plausible range an indicator's definition declares (``kind: range``): a value outside it is
a warning, shown as information when a note on an input explains it."""

from pipeline.catalogue.models import Severity
from pipeline.i18n import N_
from pipeline.validate.base import bounds_rules, CheckKind, declared

CHECK = CheckKind(test="range", rule_id="range_results_<indicator>", target="results", level=1,
                  severity=Severity.warning, engine="great_expectations", explainable=True,
                  summary="the value lies within its plausible range (a note on an input explains a value outside it)",
                  rules=lambda catalogue: bounds_rules(CHECK, catalogue, N_("{indicator} is outside its plausible range {bounds}")),
                  indicator_rule_ids=declared("range"))
