"""A released value that changes has a revision record: run against the previous release only."""

from pipeline.catalogue.models import Severity
from pipeline.i18n import N_, msg
from pipeline.validate.base import CheckKind, Rule, messages, q, text


EXPECTED = N_("a revision record")
INPUTS_CHANGED = N_("{indicator} {year}: the released value {released} is now {now} and no input is marked revised; "
                    "inputs changed since: {changes}")
NO_INPUT_CHANGED = N_("{indicator} {year}: the released value {released} is now {now} and no input is marked revised; "
                      "no input changed (a definition or the calculation did)")


def rule() -> Rule:
    """The rule over ``previous_results`` and ``previous_observations`` (the previous release):
    its finding names the indicator, the year, the values, and each input that changed with its
    file and row (the first of them is the finding's place)."""
    return CHECK.make(
        "revision_results_value",
        msg(N_("A value already released that changes has a revision record (an input with status revised and a note).")),
        "SELECT count(*) FROM results r JOIN previous_results p USING (city_code, indicator_uid, year) WHERE p.value IS NOT NULL",
        f"""SELECT r.city_code, r.year, r.indicator_uid, NULL, {text('p.value')} || ' → ' || coalesce({text('r.value')}, r.status),
                   {q(EXPECTED)},
                   {messages([("ch.changes IS NOT NULL", INPUTS_CHANGED), ("true", NO_INPUT_CHANGED)],
                             indicator="split_part(r.indicator_uid, ':', 2)", year="r.year", released=text('p.value'),
                             now=f"coalesce({text('r.value')}, r.status)", changes="coalesce(ch.changes, '')")},
                   ch.file_id, ch.sheet, ch.row
            FROM results r JOIN previous_results p USING (city_code, indicator_uid, year)
            LEFT JOIN (
              SELECT ri.city_code, ri.indicator_uid, ri.year,
                     string_agg(ri.variable || ' ' || ri.obs_year || ' ' || coalesce({text('po.value')}, po.value_text, '—') || ' → '
                                || coalesce({text('o.value')}, o.value_text, '—') || ' (' || o.file_id
                                || coalesce(' [' || o.sheet || ']', '') || ':' || o.row || ')', '; '
                                ORDER BY ri.variable, ri.obs_year) AS changes,
                     arg_min(o.file_id, (ri.variable, ri.obs_year)) AS file_id, arg_min(o.sheet, (ri.variable, ri.obs_year)) AS sheet,
                     arg_min(o.row, (ri.variable, ri.obs_year)) AS row
              FROM result_inputs ri
              JOIN observations o ON o.city_code = ri.city_code AND o.year = ri.obs_year AND o.variable = ri.variable
              LEFT JOIN previous_observations po ON po.city_code = ri.city_code AND po.year = ri.obs_year AND po.variable = ri.variable
              WHERE po.value IS DISTINCT FROM o.value OR po.value_text IS DISTINCT FROM o.value_text
              GROUP BY ALL) ch USING (city_code, indicator_uid, year)
            WHERE p.value IS DISTINCT FROM r.value AND p.value IS NOT NULL
              AND NOT list_contains(r.flags, 'revised')""")


CHECK = CheckKind(test="revision", rule_id="revision_results_value", target="results", level=2,
                  severity=Severity.warning, engine="duckdb",
                  summary="a released value that changed needs an input marked revised (with --previous or in the build)")
