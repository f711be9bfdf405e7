"""Every figure names a source of its folder's register."""

from pipeline.catalogue.models import Severity
from pipeline.i18n import N_, msg
from pipeline.validate.base import OBS_PLACE, CheckKind, message, q

EXPECTED = N_("a source of sources.csv")
FOUND = N_("the figure has no known source")


def _rules(catalogue):
    return [CHECK.make(
        "relationships_observations_source_id", msg(N_("Every figure names a source of its folder's register.")),
        "SELECT count(*) FROM observations WHERE value IS NOT NULL",
        f"""SELECT o.city_code, o.year, NULL, o.variable, o.source_id, {q(EXPECTED)},
            {message(FOUND)}, {OBS_PLACE}
            FROM observations o LEFT JOIN sources s ON s.folder = o.folder AND s.source_id = o.source_id
            WHERE (o.value IS NOT NULL OR o.value_text IS NOT NULL) AND s.source_id IS NULL
              AND o.file_id NOT LIKE '%city.yaml' AND o.file_id NOT LIKE '%cities.yaml'""")]


CHECK = CheckKind(test="relationships", rule_id="relationships_observations_source_id", target="observations",
                  level=0, severity=Severity.error, engine="duckdb",
                  summary="every figure names a source of its folder's sources.csv", rules=_rules)
