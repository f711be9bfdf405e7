"""A released value that changes has a revision record: run against the previous release only."""

from pipeline.catalogue.models import Severity
from pipeline.validate.base import CheckKind, Rule, text


def rule() -> Rule:
    """The rule over a ``previous_results`` table (the values of the previous release)."""
    return CHECK.make(
        "revision_results_value",
        "A value already released that changes has a revision record (an input with status revised and a note).",
        "SELECT count(*) FROM results r JOIN previous_results p USING (city_code, indicator_uid, year) WHERE p.value IS NOT NULL",
        f"""SELECT r.city_code, r.year, r.indicator_uid, NULL, {text('p.value')} || ' → ' || coalesce({text('r.value')}, r.status),
                   'a revision record', 'the released value changed without an input marked revised', NULL, NULL, NULL
            FROM results r JOIN previous_results p USING (city_code, indicator_uid, year)
            WHERE p.value IS DISTINCT FROM r.value AND p.value IS NOT NULL
              AND NOT list_contains(r.flags, 'revised')""")


CHECK = CheckKind(test="revision", rule_id="revision_results_value", target="results", level=2,
                  severity=Severity.warning, engine="duckdb",
                  summary="a released value that changed needs an input marked revised (with --previous or in the build)")
