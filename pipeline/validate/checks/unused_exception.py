"""An accepted exception that matches no finding of the build is stale: shown so it is removed."""

from pipeline.catalogue.models import Severity
from pipeline.validate.base import CheckKind

CHECK = CheckKind(test="unused_exception", rule_id="unused_exception_<rule id>", target="results", level=1,
                  severity=Severity.information, engine="duckdb",
                  summary="an acceptance in exceptions.yaml that matches no finding of this build")
