"""A flagged figure (estimated, provisional, revised, break in series) says why."""

from pipeline.catalogue.models import Severity
from pipeline.validate.base import OBS_PLACE, CheckKind

FLAGGED = "('estimated', 'provisional', 'revised', 'break')"


def _rules(catalogue):
    return [CHECK.make(
        "note_on_flag_observations_note",
        "An estimated, provisional, revised or break-in-series figure carries a note saying why.",
        f"SELECT count(*) FROM observations WHERE status IN {FLAGGED}",
        f"""SELECT o.city_code, o.year, NULL, o.variable, o.status, 'a note', 'the figure is flagged ' || o.status || ' without a note', {OBS_PLACE}
            FROM observations o WHERE o.status IN {FLAGGED} AND o.note IS NULL""")]


CHECK = CheckKind(test="note_on_flag", rule_id="note_on_flag_observations_note", target="observations", level=1,
                  severity=Severity.warning, engine="duckdb",
                  summary="an estimated, provisional, revised or break-in-series figure carries a note", rules=_rules)
