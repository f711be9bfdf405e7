"""One entry of ``profile.yaml``: how one variable is generated (:class:`Rule`), read and checked."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.catalogue import Catalogue
from pipeline.catalogue.models import VariableKind

RULES = ("value", "per_capita", "per_1000", "per_100k", "share", "ratio", "sum_of", "lag_of", "text")
PER = {"per_capita": 1.0, "per_1000": 1e-3, "per_100k": 1e-5}
"""The rules that give a rate per resident, and the factor of each."""
KEYS = set(RULES) | {"of", "years", "trend", "noise", "decimals", "scope", "to_usd", "log", "every", "from"}


@dataclass(frozen=True)
class Rule:
    """How one variable is generated (one entry of ``profile.yaml``)."""

    variable: str
    rule: str
    """value | per_capita | per_1000 | per_100k | share | ratio | sum_of | lag_of | text"""
    range: tuple[float, float] = (0.0, 0.0)
    """The parameter's range in the first year (a value, a rate, a percentage or a factor)."""
    of: str | None = None
    """The variable a share, ratio or lag is taken of."""
    parts: tuple[str, ...] = ()
    lag: int = 0
    trend: tuple[float, float] = (0.0, 0.0)
    """Range of the relative change of the parameter per year (drawn once per city)."""
    noise: float = 0.0
    """Standard deviation of the relative year-to-year noise of the parameter."""
    decimals: int = 0
    country: bool = False
    """The same figure for every city (a national figure)."""
    to_usd: str | None = None
    """Divide by this exchange-rate variable (LCU per USD): the rule gives LCU."""
    log: bool = False
    """Draw the first-year parameter log-uniformly (for sizes spanning orders of magnitude)."""
    choices: tuple[str, ...] = ()
    every: int = 0
    """If set, the figure changes only every ``every`` years counted from ``since`` (a survey, an
    election) and is repeated in the years between."""
    since: int = 0

    @property
    def inputs(self) -> list[str]:
        deps = [self.of] if self.of else []
        deps += list(self.parts)
        if self.to_usd:
            deps.append(self.to_usd)
        return deps


def pair(x, what: str) -> tuple[float, float]:
    """A range ``[lo, hi]`` (or one number, for both ends)."""
    if isinstance(x, (int, float)):
        return (float(x), float(x))
    lo, hi = (float(v) for v in x)
    if lo > hi:
        raise ValueError(f"{what}: {lo} is above {hi}")
    return (lo, hi)


def parse_rule(var_id: str, entry: dict, defaults: dict, catalogue: Catalogue) -> Rule:
    """The rule of ``var_id`` from its entry of the profile; raises ``ValueError`` (``TypeError``) saying what is wrong."""
    if not isinstance(entry, dict):
        raise TypeError("the rule must be a mapping")
    unknown = set(entry) - KEYS
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)} (allowed: {sorted(KEYS)})")
    kinds = [k for k in RULES if k in entry]
    if len(kinds) != 1:
        raise ValueError(f"give exactly one of {', '.join(RULES)} (found {kinds or 'none'})")
    kind = kinds[0]
    v = catalogue.variables[var_id]
    if kind in ("share", "ratio") and "of" not in entry:
        raise ValueError(f"`{kind}` needs `of: <variable>`")
    if kind not in ("share", "ratio") and "of" in entry:
        raise ValueError("`of` goes with `share` or `ratio` only")
    default_decimals = {VariableKind.money: 2, VariableKind.quantity: 1, VariableKind.measure: 1}.get(v.kind, 0)
    decimals = 0 if v.integer else int(entry.get("decimals", default_decimals))
    rng = (0.0, 0.0)
    of, parts, lag, choices = entry.get("of"), (), 0, ()
    if kind == "sum_of":
        parts = tuple(entry["sum_of"])
    elif kind == "lag_of":
        of, lag = entry["lag_of"], int(entry.get("years", 1))
        if lag < 1:
            raise ValueError("`years` of a lag must be at least 1")
    elif kind == "text":
        choices = tuple(str(c) for c in entry["text"])
        if not choices:
            raise ValueError("`text` needs at least one choice")
    else:
        rng = pair(entry[kind], kind)
        if rng[0] < 0 and (v.kind.non_negative or kind != "value"):
            raise ValueError(f"{kind} range {rng} below zero for a non-negative variable")
        if kind == "share" and rng[1] > 100:
            raise ValueError("a share is a percentage of its whole (0–100)")
    every, since = int(entry.get("every", 0)), int(entry.get("from", 0))
    if every < 0 or (every and "from" not in entry):
        raise ValueError("`every: n` needs `from: <year>` and n ≥ 1")
    scope = entry.get("scope", "city")
    if scope not in ("city", "country"):
        raise ValueError("scope is city or country")
    return Rule(variable=var_id, rule=kind, range=rng, of=of, parts=parts, lag=lag,
                trend=pair(entry.get("trend", defaults.get("trend", 0.0)), "trend"),
                noise=float(entry.get("noise", defaults.get("noise", 0.0))), decimals=decimals,
                country=scope == "country", to_usd=entry.get("to_usd"), log=bool(entry.get("log", False)),
                choices=choices, every=every, since=since)
