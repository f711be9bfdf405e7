"""A flagged figure (estimated, provisional, revised, break in series) says why."""

from pipeline.catalogue.models import Severity
from pipeline.i18n import N_, msg
from pipeline.validate.base import OBS_PLACE, CheckKind, messages, q

FLAGGED = "('estimated', 'provisional', 'revised', 'break')"
FLAGGED_MESSAGE = messages([("o.status = 'estimated'", N_("the figure is flagged estimated without a note")),
                            ("o.status = 'provisional'", N_("the figure is flagged provisional without a note")),
                            ("o.status = 'revised'", N_("the figure is flagged revised without a note")),
                            ("true", N_("the figure is flagged as a break in series without a note"))])

EXPECTED = N_("a note")


def _rules(catalogue):
    return [CHECK.make(
        "note_on_flag_observations_note",
        msg(N_("An estimated, provisional, revised or break-in-series figure carries a note saying why.")),
        f"SELECT count(*) FROM observations WHERE status IN {FLAGGED}",
        f"""SELECT o.city_code, o.year, NULL, o.variable, o.status, {q(EXPECTED)}, {FLAGGED_MESSAGE}, {OBS_PLACE}
            FROM observations o WHERE o.status IN {FLAGGED} AND o.note IS NULL""")]


CHECK = CheckKind(test="note_on_flag", rule_id="note_on_flag_observations_note", target="observations", level=1,
                  severity=Severity.warning, engine="duckdb",
                  summary="an estimated, provisional, revised or break-in-series figure carries a note", rules=_rules)
