"""The check registry: one module per check kind, each declaring ``CHECK`` (a
:class:`~pipeline.validate.base.CheckKind`). A new kind is a new module here; the validator, the
dossier, the exceptions and the README's rule table read the registry.
"""

from __future__ import annotations

import importlib
import pkgutil

from pipeline.catalogue import Catalogue
from pipeline.catalogue.models import Indicator
from pipeline.validate.base import CheckKind, Rule


def _discover() -> dict[str, CheckKind]:
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        check = importlib.import_module(f"{__name__}.{info.name}").CHECK
        if check.test != info.name:
            raise RuntimeError(f"check module {info.name} declares the kind {check.test}")
        found[check.test] = check
    return dict(sorted(found.items(), key=lambda kv: (kv[1].target != "observations", kv[1].level, kv[0])))


CHECKS: dict[str, CheckKind] = _discover()


def all_rules(catalogue: Catalogue) -> list[Rule]:
    """Every rule of every kind for this catalogue, observations first."""
    return [rule for check in CHECKS.values() for rule in check.rules(catalogue)]


def indicator_rule_ids(ind: Indicator) -> list[str]:
    """The ids of the rules that concern one indicator, by kind."""
    return [rid for check in CHECKS.values() for rid in check.indicator_rule_ids(ind)]


__all__ = ["CHECKS", "all_rules", "indicator_rule_ids"]
