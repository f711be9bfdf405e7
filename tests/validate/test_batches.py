"""Rules of one kind that differ only in constants run together (one statement per batch); each
rule's own SQL, run alone, finds the same rows and counts the same rows."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from pipeline.catalogue import load_catalogue
from pipeline.validate import FINDING_COLUMNS, run_batch
from pipeline.validate.base import decimal
from pipeline.validate.checks import all_rules
from tests.validate.test_validate import GOOD, rows, run

BAD = {**GOOD, "unemployed": (50, 600), "firefighters": (-1, 30), "green_share": (30, 120), "life_expectancy": (78, None)}


def test_a_batch_finds_what_its_rules_find_one_by_one(tmp_path, mini_catalogue):
    _, con = run(tmp_path, mini_catalogue, rows(BAD, [{"year": 2023, "variable": "employed", "value": 400,
                                                       "status": "estimated"}]))
    rules = all_rules(load_catalogue(mini_catalogue))
    batches: dict[str, list] = {}
    for r in rules:
        if r.batch is not None:
            batches.setdefault(r.batch, []).append(r)
    assert {r.test for rs in batches.values() for r in rs} >= {"range", "recomputes", "yoy_change", "share_bounds",
                                                                 "not_above", "reason_for_missing"}
    found = 0
    for part in batches.values():
        con.execute("DELETE FROM findings")
        checked = run_batch(con, part)
        batched = Counter(con.execute(f"SELECT rule_id, test, level, severity, {FINDING_COLUMNS} FROM findings").fetchall())
        alone = Counter()
        for r in part:
            alone.update((r.rule_id, r.test, r.level, r.severity.value, *row) for row in con.execute(r.sql).fetchall())
            assert checked[r.rule_id] == con.execute(r.checked_sql).fetchall()[0][0]
        assert batched == alone
        found += sum(batched.values())
    assert found >= 6


def test_a_bound_the_batch_cannot_hold_exactly_runs_alone():
    assert decimal(Decimal("0.5")) == ("CAST(0.5 AS DECIMAL(38, 10))", True)
    assert decimal(None) == ("CAST(NULL AS DECIMAL(38, 10))", True)
    assert decimal(Decimal("0.00000000001")) == ("0.00000000001", False)
    assert decimal(Decimal("1e30"))[1] is False
