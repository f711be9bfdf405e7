"""The README is tested against the code: a command, option or make target it does not document fails."""

from __future__ import annotations

import re

import typer.main

from pipeline.cli import app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands(group: typer.Typer, prefix: str = "iso37120") -> list[str]:
    click_group = typer.main.get_command(group)
    out = []

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, f"{path} {name}")
        else:
            out.append(path)

    walk(click_group, prefix)
    return out


def test_every_command_is_documented():
    missing = [c for c in commands(app) if f"`{c}" not in README and f"{c} " not in README]
    assert missing == [], f"undocumented commands: {missing}"


def test_every_make_target_is_documented():
    targets = re.findall(r"^([a-z-]+):.*## ", (ROOT / "Makefile").read_text(), flags=re.M)
    missing = [t for t in targets if f"make {t}" not in README]
    assert missing == [], f"undocumented make targets: {missing}"


def test_every_documented_command_exists():
    known = set(commands(app))
    documented = set(re.findall(r"(iso37120(?: [a-z][a-z-]*)+)", README))
    phantom = [d for d in documented if not any(k == d or d.startswith(k + " ") or k.startswith(d + " ") for k in known)]
    assert phantom == [], f"README documents commands that do not exist: {phantom}"


def test_every_check_kind_is_documented_with_its_id_level_and_severity():
    from pipeline.validate.checks import CHECKS

    missing = [c.rule_id for c in CHECKS.values()
               if f"| `{c.rule_id}` | {c.level} | {c.severity.value} |" not in README]
    assert missing == [], f"check kinds missing from the README's rule table, or with another level or severity: {missing}"


def test_every_documented_rule_id_is_a_check_kind():
    from pipeline.validate.checks import CHECKS

    documented = re.findall(r"^\| `([a-z0-9_<>:. -]+)` \| \d \|", README, flags=re.M)
    assert documented and set(documented) == {c.rule_id for c in CHECKS.values()}


def test_every_bdl_mapping_entry_is_in_the_readme_table():
    from pipeline.catalogue import load_catalogue

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {f"| `{v.variable}` | {v.bdl_variable_id} | {v.level.value} | {v.concept.value} | {v.status.value} |"
            for v in load_catalogue(ROOT / "indicators").sources["bdl"].variables}
    assert {r for r in rows if r not in text} == set()
