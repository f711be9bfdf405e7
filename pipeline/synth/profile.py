"""The profile (``profile.yaml``): one :class:`~pipeline.synth.rules.Rule` per registry variable,
the splits of wholes into parts, and the cities abroad; read, checked against the catalogue, and
put in generation order."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from pipeline.catalogue import Catalogue
from pipeline.catalogue.loader import POPULATION
from pipeline.catalogue.models import Indicator, PartsSumCheck, Ratio, VariableKind
from pipeline.synth.rules import PER, Rule, parse_rule

PROFILE = Path(__file__).with_name("profile.yaml")


class ProfileError(ValueError):
    """The profile does not fit the catalogue; the message lists every problem."""


@dataclass(frozen=True)
class Split:
    """Parts that together make up exactly one whole (``sum(parts) == whole``)."""

    name: str
    whole: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Foreign:
    """Cities abroad (``foreign`` in ``profile.yaml``): every ``every``-th generated city lies in
    ``country`` and reports in ``currency``."""

    every: int
    country: str
    currency: str
    sign: str
    """Written before each amount in LCU in the observation files (``€1234.50``)."""
    lcu_per_pln: float
    """Figures in LCU (money and the LCU-per-USD rate) are the Polish figures times this."""
    national: dict[str, float]
    """National figures: the factor against Poland's."""
    text: dict[str, tuple[str, ...]]
    """Text facts drawn for these cities instead of the profile's."""

    def of(self, i: int) -> bool:
        """Whether generated city ``i`` (0-based) is one of these: the ``every``-th, the 2 × ``every``-th…"""
        return (i + 1) % self.every == 0


@dataclass(frozen=True)
class Profile:
    rules: dict[str, Rule]
    splits: tuple[Split, ...]
    population: str = POPULATION
    foreign: Foreign | None = None


def parts_sum_splits(catalogue: Catalogue) -> list[Split]:
    """The ``parts_sum`` groups of the catalogue as splits: the numerators of a group's ratio
    indicators are the parts of their common denominator."""
    groups: dict[tuple[str, str], list[Indicator]] = defaultdict(list)
    for ind in catalogue.indicators.values():
        for chk in ind.checks:
            if isinstance(chk, PartsSumCheck):
                groups[(ind.edition, chk.group)].append(ind)
    out: list[Split] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for (edition, group), members in groups.items():
        calcs = [m.calculation for m in members]
        if not all(isinstance(c, Ratio) for c in calcs) or len({c.denominator for c in calcs}) != 1:
            raise ProfileError(f"parts_sum group {group!r} of {edition}: the generator splits a whole only for ratio "
                               f"indicators over one common denominator ({', '.join(m.id for m in members)})")
        key = (calcs[0].denominator, tuple(sorted(c.numerator for c in calcs)))
        if key not in seen:
            seen.add(key)
            out.append(Split(group, calcs[0].denominator, tuple(c.numerator for c in calcs)))
    return out


def read_yaml(path: Path):
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def load_profile(catalogue: Catalogue, path: Path = PROFILE) -> Profile:
    """Read ``profile.yaml`` and check it against the catalogue: every registry variable has
    exactly one rule, every reference exists, split parts are shares of their whole, text rules
    only for text variables. Raises :class:`ProfileError` listing every problem."""
    doc = read_yaml(Path(path)) or {}
    defaults = doc.get("defaults", {})
    problems: list[str] = []
    rules: dict[str, Rule] = {}
    entries = doc.get("variables") or {}
    for var_id, entry in entries.items():
        if var_id not in catalogue.variables:
            problems.append(f"{var_id}: not a variable of the registry")
            continue
        try:
            rules[var_id] = parse_rule(var_id, entry, defaults, catalogue)
        except (TypeError, ValueError, KeyError) as e:
            problems.append(f"{var_id}: {e}")
    for var_id in catalogue.variables:
        if var_id not in entries:
            problems.append(f"{var_id}: no rule in {Path(path).name} (every registry variable needs one)")
    splits = list(parts_sum_splits(catalogue))
    for n, s in enumerate(doc.get("splits") or []):
        splits.append(Split(s.get("name", f"split-{n + 1}"), s["whole"], tuple(s["parts"])))
    in_split: dict[str, str] = {}
    for s in splits:
        for p in s.parts:
            if p in in_split:
                problems.append(f"{p}: part of two splits ({in_split[p]}, {s.name})")
            in_split[p] = s.name
            r = rules.get(p)
            if r is not None and (r.rule != "share" or r.of != s.whole):
                problems.append(f"{p}: a part of split {s.name!r} needs `of: {s.whole}` and `share: [lo, hi]`")
            v = catalogue.variables.get(p)
            if v is not None and v.not_above not in (None, s.whole):
                problems.append(f"{p}: a part of {s.whole} cannot be not_above {v.not_above}")
            if r is not None and r.to_usd:
                problems.append(f"{p}: a split part cannot be converted to USD")
        if s.whole in rules and rules[s.whole].country:
            problems.append(f"{s.whole}: the whole of a split must be a city figure")
    for var_id, r in rules.items():
        v = catalogue.variables[var_id]
        for dep in r.inputs:
            if dep not in catalogue.variables:
                problems.append(f"{var_id}: refers to unknown variable {dep!r}")
            elif catalogue.variables[dep].kind is VariableKind.text:
                problems.append(f"{var_id}: cannot be derived from text variable {dep!r}")
        if (r.rule == "text") != (v.kind is VariableKind.text):
            problems.append(f"{var_id}: text variables (and only they) take `text: [choices]`")
        if r.rule in PER and var_id == POPULATION:
            problems.append(f"{var_id}: the population cannot be per capita")
        if r.country and any(not rules.get(d, r).country for d in r.inputs if d in rules):
            problems.append(f"{var_id}: a national figure can only be derived from national figures")
    pop = catalogue.variables.get(POPULATION)
    if pop is None:
        problems.append(f"the registry has no {POPULATION!r} variable")
    foreign = _foreign(doc.get("foreign"), rules, catalogue, problems)
    if problems:
        raise ProfileError("profile.yaml does not fit the catalogue:\n  " + "\n  ".join(problems))
    profile = Profile(rules, tuple(splits), foreign=foreign)
    generation_order(profile, catalogue)  # raises on cycles
    return profile


def _foreign(doc: dict | None, rules: dict[str, Rule], catalogue: Catalogue, problems: list[str]) -> Foreign | None:
    """The ``foreign`` section of the profile, checked (problems are appended)."""
    if not doc:
        return None
    missing = {"every", "country", "currency", "sign", "lcu_per_pln"} - set(doc)
    if missing:
        problems.append(f"foreign: needs {', '.join(sorted(missing))}")
        return None
    f = Foreign(every=int(doc["every"]), country=str(doc["country"]), currency=str(doc["currency"]), sign=str(doc["sign"]),
                lcu_per_pln=float(doc["lcu_per_pln"]),
                national={str(k): float(v) for k, v in (doc.get("national") or {}).items()},
                text={str(k): tuple(str(c) for c in v) for k, v in (doc.get("text") or {}).items()})
    if f.every < 2:
        problems.append("foreign: every must be at least 2 (the first city is always at home)")
    if not re.fullmatch(r"[A-Z]{2}", f.country) or not re.fullmatch(r"[A-Z]{3}", f.currency):
        problems.append("foreign: country is an ISO 3166-1 alpha-2 code and currency an ISO 4217 code")
    if f.lcu_per_pln <= 0 or any(x <= 0 for x in f.national.values()):
        problems.append("foreign: lcu_per_pln and the national factors are positive")
    for v in f.national:
        if v not in rules or not rules[v].country:
            problems.append(f"foreign.national: {v} is not a national figure (scope: country) of the profile")
    for v, choices in f.text.items():
        if v not in catalogue.variables or catalogue.variables[v].kind is not VariableKind.text or not choices:
            problems.append(f"foreign.text: {v} is not a text variable of the registry, or has no choices")
    return f


def generation_order(profile: Profile, catalogue: Catalogue) -> list[str | Split]:
    """Generation order: each variable (or whole split) after everything it is derived from."""
    split_of = {p: s for s in profile.splits for p in s.parts}
    nodes: dict[str, str | Split] = {}
    deps: dict[str, set[str]] = {}

    def key(v: str) -> str:
        return f"split:{split_of[v].name}" if v in split_of else v

    for var_id, r in profile.rules.items():
        k = key(var_id)
        nodes[k] = split_of.get(var_id, var_id)
        d = deps.setdefault(k, set())
        d.update(key(x) for x in r.inputs)
        parent = catalogue.variables[var_id].not_above
        if parent:
            d.add(key(parent))
        if r.rule in PER:
            d.add(key(profile.population))
        d.discard(k)
    order: list[str | Split] = []
    state: dict[str, int] = {}

    def visit(k: str, path: list[str]) -> None:
        if state.get(k) == 2:
            return
        if state.get(k) == 1:
            raise ProfileError("profile.yaml has a cycle: " + " → ".join(path + [k]))
        state[k] = 1
        for d in sorted(deps.get(k, ())):
            visit(d, path + [k])
        state[k] = 2
        order.append(nodes[k])

    for k in sorted(nodes):
        visit(k, [])
    return order


def descendants(profile: Profile, root: str) -> set[str]:
    """Variables derived (by share, ratio, sum or lag) from ``root``, transitively."""
    children: dict[str, set[str]] = defaultdict(set)
    for var_id, r in profile.rules.items():
        for d in r.inputs:
            children[d].add(var_id)
    out, todo = set(), [root]
    while todo:
        for c in children[todo.pop()]:
            if c not in out:
                out.add(c)
                todo.append(c)
    return out
