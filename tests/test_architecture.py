"""Data flows one way: a stage imports only the stages upstream of it, and nothing imports the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

SHARED = {"problems", "limits", "files", "yamlio", "store", "catalogue", "i18n", "parallel"}
FLOW = ["ingest", "calculate", "validate", "publish", "dossier"]  # each may use the ones before it
UPSTREAM = {
    "i18n": set(),
    "parallel": set(),
    "problems": {"i18n"},
    "limits": {"problems", "i18n"},
    "files": {"problems", "limits", "i18n"},
    "yamlio": {"problems", "i18n"},
    "catalogue": {"problems", "limits", "files", "yamlio", "i18n"},
    "store": {"problems", "i18n"},
    **{stage: SHARED | set(FLOW[:n]) for n, stage in enumerate(FLOW)},
    "fetch": SHARED,   # the network, into a frozen snapshot in a raw folder; never run by the build
    "templates": SHARED | {"ingest"},
    "synth": SHARED | {"ingest", "calculate"},  # values from the real calculation
    "release": SHARED,
    "diff": SHARED,    # reads two releases' stores
    "site": SHARED | set(FLOW) | {"diff"},  # the release as pages: after every stage, with the changes
    "schemas": None,   # collects the models of every stage
    "build": None,     # orchestrates every stage
    "cli": None,
}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("pipeline.")}
    return found


def test_stages_import_only_upstream():
    wrong = []
    for path in sorted((ROOT / "pipeline").rglob("*.py")):
        rel = path.relative_to(ROOT / "pipeline")
        stage = rel.parts[0].removesuffix(".py")
        if stage == "__init__":
            continue
        allowed = UPSTREAM.get(stage, set())
        used = imports(path) - {stage}
        if "cli" in used:
            wrong.append(f"{rel} imports the CLI")
        if allowed is not None and not used <= allowed:
            wrong.append(f"{rel} imports {sorted(used - allowed)}")
    assert wrong == []


def test_great_expectations_is_imported_only_by_validation():
    users = [p.relative_to(ROOT).as_posix() for p in (ROOT / "pipeline").rglob("*.py")
             if "great_expectations" in p.read_text(encoding="utf-8") and "validate" not in p.parts]
    assert users == []


POSIX_ONLY = {"fcntl", "termios", "tty", "pty", "pwd", "grp", "resource", "posix"}


def test_no_posix_only_module_is_imported():
    """Build and verify must start on Windows, where many city offices work (the release lock is
    ``filelock``'s)."""
    found = []
    for path in sorted((ROOT / "pipeline").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            found += [f"{path.relative_to(ROOT)} imports {n}" for n in names if n.split(".")[0] in POSIX_ONLY]
    assert found == []
