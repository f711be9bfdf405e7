"""The validation stage: rules derived from the definitions, run on the store, results as data.

Row-level rules run as Great Expectations expectations (imported only here, in
:mod:`.expectations`), set-level rules as DuckDB SQL; every finding is located with SQL and
written to ``findings`` with its raw place, every rule that ran to ``rule_runs``. Findings named
in a folder's ``exceptions.yaml`` are marked accepted (who, role, when, why). An error that is not
accepted blocks the release.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipeline.catalogue import Catalogue
from pipeline.i18n import N_
from pipeline.store import insert, open_store
from pipeline.store.models import Finding, RuleRun, SummaryRow, ValidationReport
from pipeline.validate.base import (
    EXPLAINED,
    PARAMS,
    PREPARE_SQL,
    Rule,
    messages,
    q,
    sql_in,
)
from pipeline.validate.checks import CHECKS, all_rules, revision, unused_exception

if TYPE_CHECKING:  # imported when validation runs: importing this package does not start GX
    from pipeline.validate import expectations

FINDING_COLUMNS = ("city_code, year, indicator_uid, variable, observed, expected, message, message_id, message_args, "
                   "file_id, sheet, row")
FINDING_ORDER = ("level, severity, rule_id, city_code, year, variable, file_id, row, "
                 "indicator_uid, sheet, observed, expected, message")
"""The order of the report's findings: a total one (a rule for every indicator, such as
break_in_series or revision, has many findings that differ only in the indicator; a workbook's
sheets share row numbers); rows equal in every key are equal in every column."""


class ValidationError(RuntimeError):
    """The two engines disagree about a rule: a defect of the pipeline, not of the data."""


def _previous_results(con: duckdb.DuckDBPyConnection, previous: Path) -> None:
    """The previous release's values and the inputs behind them, for the revision rule."""
    prev = open_store(previous)
    try:
        con.register("previous_results", prev.sql("SELECT city_code, indicator_uid, year, value FROM results").to_arrow_table())
        con.register("previous_observations", prev.sql("SELECT city_code, year, variable, value, value_text FROM observations").to_arrow_table())
    finally:
        prev.close()


# A warning of an explainable kind (a value outside its plausible range, a large change) that a
# note on one of the value's inputs explains is shown as information, with the notes (the field
# ``explained`` of its message; :data:`~pipeline.validate.base.EXPLAINED` is how it is shown).
EXPLAIN_SQL = """
UPDATE findings f SET severity = 'information', message = f.message || replace(?, '{{explained}}', n.notes),
       message_args = json_merge_patch(f.message_args, json_object('explained', n.notes))
FROM input_notes n
WHERE f.test IN {tests} AND f.severity = 'warning' AND n.notes IS NOT NULL
  AND n.city_code = f.city_code AND n.indicator_uid = f.indicator_uid AND n.year = f.year
"""


RULES_PER_STATEMENT = 25


def validate(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, previous: Path | None = None,
             later: list[Callable[[], None]] | None = None) -> ValidationReport:
    """Run every rule on the store's observations and results (calculate first). ``previous`` is
    the previous release (its folder or store file), for the revision rule.

    Great Expectations' counts are checked against those of SQL (a difference raises
    :class:`ValidationError`): here, or, with ``later``, by a call appended to it that the caller
    makes once it has done more (a build, after publishing: Great Expectations then never keeps
    it waiting, not even while its worker is still importing it)."""
    from pipeline.validate import expectations

    rules = all_rules(catalogue)
    if previous is not None and Path(previous).exists():
        _previous_results(con, Path(previous))
        rules.append(revision.rule())
    gx = expectations.start(con, catalogue)  # GX validates in its worker (if warmed up) while the SQL rules run
    con.execute(PREPARE_SQL)

    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM findings")
        con.execute("DELETE FROM rule_runs")
        checked: dict[str, int] = {}
        batches: dict[str, list[Rule]] = {}
        for r in rules:
            if r.batch is not None:
                batches.setdefault(r.batch, []).append(r)
        for part in batches.values():  # the rules of a kind that differ only in constants: one statement
            checked.update(run_batch(con, part))
        # The other rules a few per statement: each holds its own joins and aggregates in memory, and
        # a statement of hundreds of them outgrows DuckDB's memory limit even on a small store.
        singles = [r for r in rules if r.batch is None]
        for chunk in range(0, len(singles), RULES_PER_STATEMENT):
            part = singles[chunk:chunk + RULES_PER_STATEMENT]
            con.execute("INSERT INTO findings (rule_id, test, level, severity, " + FINDING_COLUMNS + ") " + " UNION ALL ".join(
                f"SELECT '{r.rule_id}', '{r.test}', {r.level}, '{r.severity.value}', * FROM ({r.sql})" for r in part))
            checked.update(con.execute(" UNION ALL ".join(f"SELECT '{r.rule_id}', ({r.checked_sql})" for r in part)).fetchall())
        con.execute(EXPLAIN_SQL.format(tests=sql_in([c.test for c in CHECKS.values() if c.explainable])), [EXPLAINED])
        failed = dict(con.execute("SELECT rule_id, count(*) FROM findings GROUP BY rule_id").fetchall())
        insert(con, "rule_runs", [(r.rule_id, r.test, r.level, r.severity.value, r.engine, r.target, r.description,
                                   r.description_id, json.dumps(r.description_args, ensure_ascii=False, sort_keys=True),
                                   checked[r.rule_id], failed.get(r.rule_id, 0)) for r in rules])
        cross_check = functools.partial(_cross_check, rules, failed, gx)
        if later is None:
            cross_check()
        else:
            later.append(cross_check)
        _accept(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return report(con)


def run_batch(con: duckdb.DuckDBPyConnection, rules: list[Rule]) -> dict[str, int]:
    """Run rules of one batch (the same ``batch`` SQL) in one statement over a table of their
    constants; insert their findings and return the rows each looked at. The findings and counts
    are those of running each rule's own ``sql`` and ``checked_sql``."""
    names = list(rules[0].params)
    rows = ", ".join("(" + ", ".join([q(r.rule_id), q(r.test), str(r.level), q(r.severity.value)] + [r.params[n] for n in names]) + ")"
                     for r in rules)
    con.execute(f"CREATE OR REPLACE TEMP TABLE rule_params AS SELECT * FROM (VALUES {rows}) AS p(rule_id, test, level, severity, "
                f"{', '.join(names)})")
    try:
        con.execute(f"""INSERT INTO findings (rule_id, test, level, severity, {FINDING_COLUMNS})
                        SELECT m.rule_id, m.test, m.level, m.severity, f.* EXCLUDE (rule_id)
                        FROM ({rules[0].batch.replace(PARAMS, 'rule_params')}) f JOIN rule_params m ON m.rule_id = f.rule_id""")
        return dict(con.execute(rules[0].batch_checked.replace(PARAMS, "rule_params")).fetchall())
    finally:
        con.execute("DROP TABLE rule_params")


def _cross_check(rules: list[Rule], failed: dict[str, int], gx: expectations.Pending) -> None:
    """GX's unexpected counts must equal the findings SQL located for the same rules."""
    gx_counts = gx.result()

    def sql_count(prefix: str) -> int:
        return sum(failed.get(r.rule_id, 0) for r in rules if r.rule_id.startswith(prefix))

    pairs = {rid: (gx_counts[rid], failed.get(rid, 0)) for rid in gx_counts if not rid.startswith(("range_results", "recomputes_results"))}
    pairs["range_results"] = (gx_counts["range_results_lo"] + gx_counts["range_results_hi"], sql_count("range_results_"))
    pairs["recomputes_results"] = (gx_counts["recomputes_results_lo"] + gx_counts["recomputes_results_hi"], sql_count("recomputes_results_"))
    for rule, (gx_n, sql_n) in pairs.items():
        if rule.startswith("unique_"):
            continue  # GX counts every row of a duplicate group, SQL too, but GX also counts NULL keys
        if gx_n != sql_n:
            raise ValidationError(f"{rule}: Great Expectations found {gx_n} failing rows, SQL {sql_n}")


# The acceptance of each finding that an entry of exceptions.yaml names. Where several entries name
# the same finding (one for the whole folder and one for its year, say), the first in the file
# (file, line, then every other column, so that even two entries on one line are ordered) gives
# who accepted it: an UPDATE ... FROM with several matching rows would take any one of them.
ACCEPT_SQL = """
UPDATE findings SET accepted = true, accepted_by = m.e.accepted_by, accepted_role = m.e.role,
       accepted_on = m.e.accepted_on, acceptance_reason = m.e.reason
FROM (SELECT f.rowid AS finding,
             first({'accepted_by': e.accepted_by, 'role': e.role, 'accepted_on': e.accepted_on, 'reason': e.reason}
                   ORDER BY e.file_id, e.line, e.city_code NULLS FIRST, e.year NULLS FIRST, e.variable NULLS FIRST,
                            e.accepted_by, e.role, e.accepted_on, e.reason) AS e
      FROM findings f
      JOIN cities c ON c.city_code = f.city_code
      JOIN accepted_exceptions e ON c.folder = e.folder AND e.rule_id = f.rule_id
      WHERE (e.city_code IS NULL OR e.city_code = f.city_code)
        AND (e.year IS NULL OR e.year = f.year)
        AND (e.variable IS NULL OR e.variable = f.variable)
      GROUP BY f.rowid) m
WHERE findings.rowid = m.finding
"""


UNUSED = messages([("e.rule_id IN (SELECT rule_id FROM rule_runs)", N_("this accepted exception matches no finding of this build")),
                   ("true", N_("no rule has this id (the README lists the rule ids)"))], rule="e.rule_id")


def _accept(con: duckdb.DuckDBPyConnection) -> None:
    stale = unused_exception.CHECK
    con.execute(ACCEPT_SQL)
    # An acceptance that matches nothing is stale: say so, so that it is removed or corrected.
    con.execute(f"""
        INSERT INTO findings (rule_id, test, level, severity, city_code, year, variable, observed, expected,
                              message, message_id, message_args, file_id, row)
        SELECT ? || '_' || e.rule_id, ?, ?, ?,
               coalesce(e.city_code, (SELECT min(c.city_code) FROM cities c WHERE c.folder = e.folder HAVING count(*) = 1)),
               e.year, e.variable,
               e.rule_id, ?, {UNUSED}, e.file_id, e.line
        FROM accepted_exceptions e
        WHERE NOT EXISTS (SELECT 1 FROM findings f JOIN cities c ON c.city_code = f.city_code
                          WHERE c.folder = e.folder AND f.rule_id = e.rule_id
                            AND (e.city_code IS NULL OR e.city_code = f.city_code)
                            AND (e.year IS NULL OR e.year = f.year)
                            AND (e.variable IS NULL OR e.variable = f.variable))""",
                [stale.test, stale.test, stale.level, stale.severity.value, N_("a finding to accept")])


def report(con: duckdb.DuckDBPyConnection) -> ValidationReport:
    cur = con.execute("SELECT * FROM rule_runs ORDER BY level, rule_id")
    names = [d[0] for d in cur.description]
    runs = [RuleRun(**dict(zip(names, r))) for r in cur.fetchall()]
    cols = [d[0] for d in con.execute("SELECT * FROM findings LIMIT 0").description]
    findings = [Finding(**dict(zip(cols, r))) for r in con.execute(
        f"SELECT * FROM findings ORDER BY {FINDING_ORDER}").fetchall()]
    summary = [SummaryRow(level=lv, severity=sev, findings=n, accepted=a) for lv, sev, n, a in con.execute(
        """SELECT level, severity, count(*), count(*) FILTER (WHERE accepted) FROM findings
           GROUP BY level, severity ORDER BY level, CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END""").fetchall()]
    blocking = sum(1 for f in findings if f.severity == "error" and not f.accepted)
    return ValidationReport(rules=runs, findings=findings, summary=summary, blocking=blocking)
