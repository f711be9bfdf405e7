"""Synthetic inputs: realistic, internally consistent raw folders for tests, benchmarks and the sample.

:func:`generate` writes N cities × Y years of inputs covering every variable of the registry,
either as one folder per city (``layout="folders"``: ``city.yaml``, ``sources.csv``,
``observations/<provider>.csv|.xlsx``) or as one folder holding all cities (``layout="multi"``:
``cities.yaml`` and one observation file per provider with a ``city`` column), optionally with a
known number of deliberately broken rows. :func:`write_sample_city` writes the shipped, fictional
sample city (``data/raw/zielonogrod``).

How each variable is generated is data, not code: ``profile.yaml`` gives one rule per registry
variable for a mid-sized Polish city (a value range, a rate per resident, a share of another
variable, a sum, a lag…) with a yearly trend and noise. The generator adds what the catalogue
implies: the parts of every ``parts_sum`` group are generated together so that they add up
exactly to their common denominator, no variable exceeds its ``not_above`` whole, whole-number
variables are whole, and year-on-year changes are kept within the indicators' ``yoy_change``
checks (noise is damped, or a small count held, where a draw would break one), except where an
intended break (a shift) or a note explains the change.

The figures have the shapes real cities write: full-time equivalents with a decimal (firefighters,
police officers), tax collected sometimes above tax billed (arrears), and every 10th generated
city lies abroad (``foreign`` in the profile: Slovakia, in euros), its amounts written ``€1234.50``.
The sample city adds its providers' habits (decimal commas, thousands separators, lone thousands
groups that the file's other figures settle, currency signs and codes).

Everything is deterministic: the same catalogue, profile, arguments and seed give the same bytes.
Each variable draws from its own random stream (seeded by the seed and the variable id), so adding
a variable to the registry does not change the figures of the others, and city *i* gets the
same figures whatever the number of cities generated after it.

Only :mod:`pipeline.catalogue` and :mod:`pipeline.ingest.models` are imported from the pipeline.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import re
import shutil
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from ruamel.yaml import YAML

from pipeline.catalogue import Catalogue
from pipeline.catalogue.formula import indicator_formula, render, uses_previous
from pipeline.catalogue.loader import POPULATION
from pipeline.catalogue.models import Indicator, PartsSumCheck, Ratio, RangeCheck, VariableKind, YearOverYearCheck
from pipeline.ingest.models import REQUIRED_COLUMNS, SOURCE_COLUMNS, SOURCE_OPTIONAL, Cities, City, SourceRow, Status

PROFILE = Path(__file__).with_name("profile.yaml")
SAMPLE = Path(__file__).with_name("sample_city.yaml")
LAYOUTS = ("folders", "multi")
OBS_COLUMNS = REQUIRED_COLUMNS + ("status", "note")
MULTI_COLUMNS = ("city",) + OBS_COLUMNS
ZIP_TIME = (2024, 1, 1, 0, 0, 0)
XLSX_MAX_ROWS = 1_000_000
"""Above this many rows a provider's file is written as CSV even if XLSX was drawn (sheet limit)."""

_MAX_DECIMALS = 10
"""The most decimals the store keeps (``pipeline.calculate.compile.MAX_DECIMALS``)."""
_RULES = ("value", "per_capita", "per_1000", "per_100k", "share", "ratio", "sum_of", "lag_of", "text")
_PER = {"per_capita": 1.0, "per_1000": 1e-3, "per_100k": 1e-5}
_KEYS = set(_RULES) | {"of", "years", "trend", "noise", "decimals", "scope", "to_usd", "log", "every", "from"}


class ProfileError(ValueError):
    """The profile does not fit the catalogue; the message lists every problem."""


# --- the profile -------------------------------------------------------------------------------


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


def _read_yaml(path: Path):
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def load_profile(catalogue: Catalogue, path: Path = PROFILE) -> Profile:
    """Read ``profile.yaml`` and check it against the catalogue: every registry variable has
    exactly one rule, every reference exists, split parts are shares of their whole, text rules
    only for text variables. Raises :class:`ProfileError` listing every problem."""
    doc = _read_yaml(Path(path)) or {}
    defaults = doc.get("defaults", {})
    problems: list[str] = []
    rules: dict[str, Rule] = {}
    entries = doc.get("variables") or {}
    for var_id, entry in entries.items():
        if var_id not in catalogue.variables:
            problems.append(f"{var_id}: not a variable of the registry")
            continue
        try:
            rules[var_id] = _rule(var_id, entry, defaults, catalogue)
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
        if r.rule in _PER and var_id == POPULATION:
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
    _order(profile, catalogue)  # raises on cycles
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


def _pair(x, what: str) -> tuple[float, float]:
    if isinstance(x, (int, float)):
        return (float(x), float(x))
    lo, hi = (float(v) for v in x)
    if lo > hi:
        raise ValueError(f"{what}: {lo} is above {hi}")
    return (lo, hi)


def _rule(var_id: str, entry: dict, defaults: dict, catalogue: Catalogue) -> Rule:
    if not isinstance(entry, dict):
        raise ValueError("the rule must be a mapping")
    unknown = set(entry) - _KEYS
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)} (allowed: {sorted(_KEYS)})")
    kinds = [k for k in _RULES if k in entry]
    if len(kinds) != 1:
        raise ValueError(f"give exactly one of {', '.join(_RULES)} (found {kinds or 'none'})")
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
        rng = _pair(entry[kind], kind)
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
                trend=_pair(entry.get("trend", defaults.get("trend", 0.0)), "trend"),
                noise=float(entry.get("noise", defaults.get("noise", 0.0))), decimals=decimals,
                country=scope == "country", to_usd=entry.get("to_usd"), log=bool(entry.get("log", False)),
                choices=choices, every=every, since=since)


def _order(profile: Profile, catalogue: Catalogue) -> list[str | Split]:
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
        if r.rule in _PER:
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


# --- simulation ----------------------------------------------------------------------------------


def _stream(seed: int, *parts: str) -> np.random.Generator:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    words = [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]
    return np.random.default_rng(np.random.SeedSequence([seed & 0xFFFFFFFF, *words]))


def _round_half_away(x: np.ndarray, decimals: int) -> np.ndarray:
    scale = 10.0 ** decimals
    return np.sign(x) * np.floor(np.abs(x) * scale + 0.5) / scale


@dataclass
class SimCity:
    code: str
    name_pl: str
    name_en: str
    region: str | None = None
    country: str = "PL"
    currency: str = "PLN"


@dataclass
class Simulation:
    """Generated figures of N cities over the years, before they are written to files."""

    catalogue: Catalogue
    profile: Profile
    cities: list[SimCity]
    years: list[int]
    values: dict[str, np.ndarray]
    """Per numeric variable: an array (cities × years) of the figures as they will be written."""
    text: dict[str, list[str]]
    """Per text variable: one value per city."""
    implausible: list[tuple[str, str, int, str]] = field(default_factory=list)
    """(indicator id, city code, year, check) left breaking a check after damping (should be empty)."""

    def value(self, city: int, variable: str, year: int) -> float:
        return float(self.values[variable][city, self.years.index(year)])

    def abroad(self) -> np.ndarray:
        """Per city: whether it is a city abroad (``foreign`` in the profile), whose files write
        the profile's currency sign before amounts in LCU."""
        f = self.profile.foreign
        return np.array([f is not None and c.country == f.country for c in self.cities], dtype=bool)


class _Engine:
    """Generates every variable for N cities over a timeline (the requested years preceded by the
    years needed for lags and ``previous()``), vectorised over cities."""

    def __init__(self, catalogue: Catalogue, profile: Profile, n: int, years: list[int], seed: int,
                 anchors: dict[str, float | dict[int, float]] | None = None,
                 shifts: dict[str, dict[int, float]] | None = None):
        self.cat, self.profile, self.n, self.seed = catalogue, profile, n, seed
        self.years = sorted(years)
        max_lag = max([r.lag for r in profile.rules.values()] + [1])
        self.t0 = max_lag
        self.timeline = list(range(self.years[0] - max_lag, self.years[-1] + 1))
        self.T = len(self.timeline)
        self.anchors = anchors or {}
        self.shifts = shifts or {}
        self.order = _order(profile, catalogue)
        self.split_of = {p: s for s in profile.splits for p in s.parts}
        self.quiet: dict[str, np.ndarray] = {}
        self.hold: dict[str, np.ndarray] = {}
        self._draws: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    # parameter paths ---------------------------------------------------------------------------

    def draws(self, r: Rule) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """First-year parameter, yearly trend and standard-normal noise of a rule."""
        if r.variable not in self._draws:
            m = 1 if r.country else self.n
            lo, hi = r.range
            u = _stream(self.seed, r.variable, "level").random(m)
            if r.log and lo > 0:
                base = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
            else:
                base = lo + u * (hi - lo)
            trend = r.trend[0] + _stream(self.seed, r.variable, "trend").random(m) * (r.trend[1] - r.trend[0])
            # noise within two standard deviations: a national figure (scope: country) is never
            # damped afterwards, and a 4-sigma draw in one year broke its year-on-year check
            z = np.clip(_stream(self.seed, r.variable, "noise").standard_normal((m, self.T)), -2.0, 2.0)
            self._draws[r.variable] = (base, trend, z)
        return self._draws[r.variable]

    def param(self, r: Rule, shifted: bool = True) -> np.ndarray:
        base, trend, z = self.draws(r)
        anchor = self.anchors.get(r.variable)
        steps = np.arange(self.T) - self.t0
        known: dict[int, float] = {}
        if isinstance(anchor, dict):
            known = {self.timeline.index(y): float(v) for y, v in anchor.items() if y in self.timeline}
            if known:
                base = np.full_like(base, known[min(known)])
        elif anchor is not None:
            base = np.full_like(base, float(anchor))
        path = base[:, None] * (1.0 + trend[:, None]) ** steps[None, :]
        noise = r.noise * z
        q = self.quiet.get(r.variable)
        if q is not None:
            noise = np.where(q, 0.0, noise) if not r.country else noise
        p = path * (1.0 + noise)
        for t, v in known.items():
            p[:, t] = v
        if shifted and r.variable in self.shifts:
            for year, factor in self.shifts[r.variable].items():
                if year in self.timeline:
                    p[:, self.timeline.index(year):] *= factor
        return np.broadcast_to(p, (self.n, self.T)).copy() if r.country else p

    # generation ----------------------------------------------------------------------------------

    def run(self) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
        vals: dict[str, np.ndarray] = {}
        text: dict[str, list[str]] = {}
        pop_rule = self.profile.rules[self.profile.population]
        self.latent_pop = self.param(pop_rule, shifted=False)
        for node in self.order:
            if isinstance(node, Split):
                self._split(node, vals)
                continue
            r = self.profile.rules[node]
            if r.rule == "text":
                pick = _stream(self.seed, r.variable, "text").integers(0, len(r.choices), 1 if r.country else self.n)
                chosen = [r.choices[int(i)] for i in pick]
                text[node] = chosen * self.n if r.country else chosen
                continue
            vals[node] = self._finish(node, self._raw(r, vals), vals)
        return vals, text

    def _raw(self, r: Rule, vals: dict[str, np.ndarray]) -> np.ndarray:
        if r.rule == "value":
            x = self.param(r)
        elif r.rule in _PER:
            x = self.param(r) * _PER[r.rule] * self.latent_pop
        elif r.rule == "share":
            x = np.clip(self.param(r), 0, 100) / 100.0 * vals[r.of]
        elif r.rule == "ratio":
            x = self.param(r) * vals[r.of]
        elif r.rule == "sum_of":
            x = sum(vals[p] for p in r.parts)
        elif r.rule == "lag_of":
            x = np.full((self.n, self.T), np.nan)
            x[:, r.lag:] = vals[r.of][:, : self.T - r.lag]
        else:  # pragma: no cover - rules are validated on load
            raise ProfileError(f"unknown rule {r.rule}")
        if r.to_usd:
            x = x / vals[r.to_usd]
        return x

    def _finish(self, var_id: str, x: np.ndarray, vals: dict[str, np.ndarray]) -> np.ndarray:
        r = self.profile.rules[var_id]
        v = self.cat.variables[var_id]
        if v.kind.non_negative:
            x = np.where(np.isnan(x), x, np.maximum(x, 0.0))
        x = _round_half_away(x, r.decimals)
        if r.every:
            first = self.timeline[0]
            src = [max(0, (y - (y - r.since) % r.every) - first) for y in self.timeline]
            x = x[:, src]
        hold = self.hold.get(var_id)
        if hold is not None:
            for t in range(1, self.T):
                x[:, t] = np.where(hold[:, t], x[:, t - 1], x[:, t])
        if v.not_above and v.not_above in vals:
            x = np.where(np.isnan(x), x, np.minimum(x, vals[v.not_above]))
        return x

    def _split(self, s: Split, vals: dict[str, np.ndarray]) -> None:
        whole = vals[s.whole]
        d = self.profile.rules[s.whole].decimals
        scale = 10 ** d
        units = np.rint(whole * scale).astype(np.int64)
        weights = np.stack([np.clip(self.param(self.profile.rules[p]), 0, None) for p in s.parts])
        total = weights.sum(axis=0)
        share = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
        raw = share * units[None]
        floor = np.floor(raw).astype(np.int64)
        remainder = units - floor.sum(axis=0)
        frac = raw - floor
        order = np.argsort(-frac, axis=0, kind="stable")
        ranks = np.argsort(order, axis=0, kind="stable")
        floor += (ranks < remainder[None]).astype(np.int64)
        for i, p in enumerate(s.parts):
            vals[p] = floor[i] / scale


# --- checks of the generated figures -------------------------------------------------------------

_FUNCS = {
    "ABS": np.abs, "ROUND": lambda x, d=0: _round_half_away(np.asarray(x, dtype=float), int(d)),
    "LEAST": lambda *a: np.minimum.reduce([np.asarray(x, dtype=float) for x in a]),
    "GREATEST": lambda *a: np.maximum.reduce([np.asarray(x, dtype=float) for x in a]),
    "NULLIF": lambda a, b: np.where(np.asarray(a) == np.asarray(b), np.nan, a),
    "COALESCE": lambda *a: _coalesce(*a),
}


def _coalesce(*args):
    out = np.asarray(args[0], dtype=float).copy()
    for a in args[1:]:
        out = np.where(np.isnan(out), a, out)
    return out


@dataclass(frozen=True)
class _Compiled:
    ind: Indicator
    code: object
    inputs: tuple[str, ...]
    previous: tuple[str, ...]


def _compile(catalogue: Catalogue, editions: Sequence[str]) -> list[_Compiled]:
    out = []
    for ind in (i for i in catalogue.indicators.values() if i.edition in editions):
        if any(catalogue.variables[v].kind is VariableKind.text for v in ind.variables):
            continue
        formula = indicator_formula(ind)
        prev = tuple(uses_previous(formula)) if ind.calculation.kind == "expression" else ()
        expr = render(formula, lambda v: f"c__{v}", lambda v: f"p__{v}")
        expr = re.sub(r"\b(abs|round|least|greatest|nullif|coalesce)\s*\(", lambda m: m.group(1).upper() + "(", expr, flags=re.I)
        out.append(_Compiled(ind, compile(expr, f"<{ind.uid}>", "eval"), tuple(ind.variables), prev))
    return out


def indicator_values(compiled: list[_Compiled], vals: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every (non-text) indicator over the timeline, rounded as the calculation stage rounds."""
    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for c in compiled:
            ns = dict(_FUNCS)
            for v in c.inputs:
                ns[f"c__{v}"] = vals[v]
            for v in c.previous:
                prev = np.full_like(vals[v], np.nan)
                prev[:, 1:] = vals[v][:, :-1]
                ns[f"p__{v}"] = prev
            raw = np.asarray(eval(c.code, {"__builtins__": {}}, ns), dtype=float)  # noqa: S307 - allow-listed formula
            raw = np.where(np.isfinite(raw), raw, np.nan)
            if c.ind.calculation.kind == "direct":  # keeps the decimals its input is written with
                out[c.ind.uid] = raw
                continue
            # at least `decimals`, and `significant_digits` below 1 in magnitude (as calculate does)
            mag = np.floor(np.log10(np.where((raw != 0) & np.isfinite(raw), np.abs(raw), 1.0)))
            d = np.where(np.abs(raw) < 1, np.clip(c.ind.significant_digits - 1 - mag, c.ind.decimals, _MAX_DECIMALS),
                         c.ind.decimals)
            scale = 10.0 ** np.nan_to_num(d, nan=c.ind.decimals)
            out[c.ind.uid] = np.sign(raw) * np.floor(np.abs(raw) * scale + 0.5) / scale
    return out


def _violations(compiled: list[_Compiled], vals: dict[str, np.ndarray], t_first: int,
                shifted: dict[str, set[int]], noted: dict[str, set[int]] | None = None,
                ) -> list[tuple[_Compiled, np.ndarray, str]]:
    """(indicator, mask cities × timeline, check) for each broken range or yoy check, from the first
    requested year on (yoy from the second), skipping years an intended shift explains and years
    in which a note on an input explains the value (``noted``: as validation shows it, as
    information)."""
    found = []
    values = indicator_values(compiled, vals)
    T = next(iter(vals.values())).shape[1]
    noted = noted or {}
    for c in compiled:
        x = values[c.ind.uid]
        excused = np.zeros(T, dtype=bool)
        explained = np.zeros(T, dtype=bool)
        for v in c.inputs:
            for t in noted.get(v, ()):
                explained[t] = True
        for v in c.inputs:
            for t in shifted.get(v, ()):
                excused[t] = True
        excused |= explained
        for v in c.previous:  # previous(x) carries the shift into the year after
            for t in shifted.get(v, ()):
                excused[min(t + 1, T - 1)] = True
        live = np.zeros(T, dtype=bool)
        live[t_first:] = True
        for chk in c.ind.checks:
            if isinstance(chk, RangeCheck):
                bad = np.zeros_like(x, dtype=bool)
                if chk.min is not None:
                    bad |= x < float(chk.min)
                if chk.max is not None:
                    bad |= x > float(chk.max)
                bad &= (live & ~explained)[None, :]
                if bad.any():
                    found.append((c, bad, "range"))
            elif isinstance(chk, YearOverYearCheck):
                prev = np.full_like(x, np.nan)
                prev[:, 1:] = x[:, :-1]
                change = np.abs(x - prev)
                bad = np.zeros_like(x, dtype=bool)
                with np.errstate(divide="ignore", invalid="ignore"):
                    if chk.max_absolute is not None:
                        bad |= change > float(chk.max_absolute) + 1e-9
                    if chk.max_relative is not None:
                        rel = np.where(prev != 0, change / np.abs(prev), np.nan)
                        bad |= rel > float(chk.max_relative) + 1e-9
                live_yoy = live.copy()
                live_yoy[t_first] = False
                bad &= (live_yoy & ~excused)[None, :]
                if bad.any():
                    found.append((c, bad, "yoy_change"))
    return found


def simulate(catalogue: Catalogue, n_cities: int, years: Sequence[int], seed: int = 0, *,
             profile: Profile | None = None, editions: Sequence[str] | None = None,
             anchors: dict[str, float | dict[int, float]] | None = None,
             shifts: dict[str, dict[int, float]] | None = None,
             cities: list[SimCity] | None = None,
             noted: dict[str, Iterable[int]] | None = None) -> Simulation:
    """Generate the figures of ``n_cities`` cities for ``years`` (consecutive or not), in memory.

    ``anchors`` fix a variable's parameter in the first year (or give it per year, as a mapping);
    ``shifts`` multiply a variable's parameter by a factor from a year on (an intended break, such
    as a census re-basing): the checks are not enforced across a shift. ``noted`` gives the years
    in which a variable carries a note that explains an unusual value (validation shows it as
    information): the checks of the indicators using it are not enforced in those years.
    Every ``foreign.every``-th city (unless ``cities`` are given) is a city abroad (see
    :func:`_localise`).
    """
    if n_cities < 1:
        raise ValueError("n_cities must be at least 1")
    years = sorted(set(int(y) for y in years))
    if not years:
        raise ValueError("give at least one year")
    profile = profile or load_profile(catalogue)
    eng = _Engine(catalogue, profile, n_cities, years, seed, anchors, shifts)
    compiled = _compile(catalogue, list(editions) if editions is not None else [catalogue.default_edition])
    sim_cities = cities or [_sim_city(i, seed, profile.foreign) for i in range(n_cities)]
    abroad = np.array([profile.foreign is not None and c.country == profile.foreign.country for c in sim_cities])
    shifted: dict[str, set[int]] = defaultdict(set)
    for var, by_year in (shifts or {}).items():
        for y in by_year:
            if y in eng.timeline:
                shifted[var].add(eng.timeline.index(y))
    noted_t = {var: {eng.timeline.index(int(y)) for y in ys if int(y) in eng.timeline} for var, ys in (noted or {}).items()}
    # A shift of a whole moves its parts and of a part its siblings: excuse them too.
    for s in profile.splits:
        ts = set().union(*(shifted.get(v, set()) for v in (s.whole, *s.parts)))
        for v in s.parts:
            shifted[v] |= ts
    pop_shift = shifted.get(profile.population, set())
    from_population = _descendants(profile, profile.population)
    for var_id in from_population:
        shifted[var_id] |= pop_shift
    t_first = eng.t0
    vals, text = _localise(*eng.run(), abroad, profile, catalogue, seed)
    for attempt in range(5):
        found = _violations(compiled, vals, t_first, shifted, noted_t)
        if not found:
            break
        for c, bad, kind in found:
            ci, ti = np.nonzero(bad)
            if attempt < 2:  # damp the noise of the indicator's inputs around the year
                for v in c.inputs:
                    q = eng.quiet.setdefault(v, np.zeros((n_cities, eng.T), dtype=bool))
                    for dt in (-1, 0, 1):
                        q[ci, np.clip(ti + dt, 0, eng.T - 1)] = True
            elif attempt == 2:  # the city's whole series without noise
                for v in profile.rules:
                    q = eng.quiet.setdefault(v, np.zeros((n_cities, eng.T), dtype=bool))
                    q[ci, :] = True
            else:  # hold a small count at last year's figure
                target = _holdable(c, profile, eng.split_of)
                if target is not None:
                    h = eng.hold.setdefault(target, np.zeros((n_cities, eng.T), dtype=bool))
                    for i, t in zip(ci, ti):
                        h[i, t:] = True
        vals, text = _localise(*eng.run(), abroad, profile, catalogue, seed)
    sel = slice(t_first, None)
    out = {k: np.ascontiguousarray(v[:, sel]) for k, v in vals.items()}
    sim = Simulation(catalogue, profile, sim_cities, years=list(eng.timeline[sel]), values=out, text=text)
    for c, bad, kind in _violations(compiled, vals, t_first, shifted, noted_t):
        for ci, ti in zip(*np.nonzero(bad)):
            sim.implausible.append((c.ind.uid, sim_cities[ci].code, eng.timeline[ti], kind))
    if sim.years != years:  # non-consecutive years asked for: keep only those
        idx = [sim.years.index(y) for y in years]
        sim.values = {k: np.ascontiguousarray(v[:, idx]) for k, v in sim.values.items()}
        sim.years = years
    return sim


def _localise(vals: dict[str, np.ndarray], text: dict[str, list[str]], abroad: np.ndarray, profile: Profile,
              catalogue: Catalogue, seed: int) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """Make the cities abroad (``abroad``, per city) those of the profile's ``foreign`` country:
    figures in LCU converted at one fixed rate (so their USD figures stay alike, and parts, sums,
    lags and ``not_above`` still hold: scaling by one factor keeps the order, and each split's last
    part takes the rounding), national figures scaled to the country, text facts drawn anew."""
    f = profile.foreign
    if f is None or not abroad.any():
        return vals, text
    idx = np.nonzero(abroad)[0]
    scaled: set[str] = set()
    for var_id, x in vals.items():
        factor = f.national.get(var_id, 1.0)
        if "LCU" in catalogue.variables[var_id].unit.split():  # LCU, LCU per USD
            factor *= f.lcu_per_pln
        if factor != 1.0:
            y = x.copy()
            y[idx] = _round_half_away(x[idx] * factor, profile.rules[var_id].decimals)
            vals[var_id] = y
            scaled.add(var_id)
    for s in profile.splits:
        if scaled & {s.whole, *s.parts}:
            scale = 10.0 ** profile.rules[s.whole].decimals
            rest = np.rint(vals[s.whole][idx] * scale) - sum(np.rint(vals[p][idx] * scale) for p in s.parts[:-1])
            vals[s.parts[-1]] = vals[s.parts[-1]].copy()
            vals[s.parts[-1]][idx] = rest / scale
    for var_id, r in profile.rules.items():
        if r.rule == "sum_of" and scaled & set(r.parts):
            vals[var_id] = vals[var_id].copy()
            vals[var_id][idx] = sum(vals[p][idx] for p in r.parts)
    for var_id, choices in f.text.items():
        pick = _stream(seed, var_id, "foreign-text").integers(0, len(choices), len(abroad))
        text[var_id] = [choices[int(pick[i])] if abroad[i] else t for i, t in enumerate(text[var_id])]
    return vals, text


def _descendants(profile: Profile, root: str) -> set[str]:
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


def _holdable(c: _Compiled, profile: Profile, split_of: dict[str, Split]) -> str | None:
    calc = c.ind.calculation
    first = getattr(calc, "numerator", None) or getattr(calc, "variable", None)
    candidates = ([first] if first else []) + list(c.inputs)
    for v in candidates:
        if v and v not in split_of and v != profile.population and not profile.rules[v].country:
            return v
    return None


# --- fictional cities ------------------------------------------------------------------------------

_STEMS = ["Cisowo", "Biało", "Czarno", "Jasno", "Wysoko", "Sucho", "Kamienno", "Dębo", "Brzozo", "Lipo",
          "Wierzbo", "Jeziorno", "Rzeczno", "Górno", "Dolno", "Złoto", "Srebrno", "Modro", "Bukowo", "Grabo",
          "Jodło", "Olszo", "Sosno", "Wrzoso", "Borowo", "Łąko", "Polno", "Leśno", "Miodo", "Różano"]
_ENDS = ["gród", "wice", "dział", "pole", "brzeg", "las", "góra", "staw", "bór", "wola", "mierz", "szyn",
         "łęka", "dół", "most", "ziec"]
_ASCII = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def city_code(i: int) -> str:
    """A TERYT-shaped code in voivodeship 99, which does not exist, so it cannot clash with a
    real gmina; counties 10–98 (the sample city uses county 01)."""
    county, gmina = divmod(i, 99)
    if county + 10 > 98:
        return f"99X{i:06d}"
    return f"99{county + 10:02d}{gmina + 1:02d}1"


def _sim_city(i: int, seed: int, foreign: Foreign | None = None) -> SimCity:
    h = hashlib.sha256(f"{seed}:{i}".encode()).digest()
    name = _STEMS[h[0] % len(_STEMS)] + _ENDS[h[1] % len(_ENDS)]
    if i >= len(_STEMS) * len(_ENDS) // 2:
        name += f" {['Górny', 'Dolny', 'Nowy', 'Stary', 'Wielki', 'Mały'][h[2] % 6]}"
    if foreign is not None and foreign.of(i):
        return SimCity(code=city_code(i), name_pl=name, name_en=name.translate(_ASCII),
                       country=foreign.country, currency=foreign.currency)
    return SimCity(code=city_code(i), name_pl=name, name_en=name.translate(_ASCII))


# --- writing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokenRow:
    """A row broken on purpose; ingest must report exactly one problem for it."""

    file: str
    """Path relative to the output folder, POSIX separators (as ingest names it below the raw root)."""
    sheet: str | None
    row: int
    city: str
    year: int
    variable: str
    rule: str
    """The ingest rule it breaks (``unknown_variable``, ``not_a_number``…)."""


@dataclass
class GeneratedInfo:
    """What :func:`generate` (or :func:`write_sample_city`) wrote."""

    out: Path
    layout: str
    cities: list[str]
    years: list[int]
    files: list[str]
    """Every file written, relative to ``out``."""
    observations: int
    """Observation rows written (broken and duplicate rows included)."""
    broken: list[BrokenRow] = field(default_factory=list)
    simulation: Simulation | None = field(default=None, repr=False)


BROKEN_RULES = ("unknown_variable", "not_a_number", "unit_mismatch", "not_whole_number", "unknown_source",
                "ambiguous_separator", "missing_value", "duplicate_observation")
"""The kinds of broken rows :func:`generate` injects, in turn; each gives exactly one problem."""


_XML_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _col(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def _cell(ref: str, v) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, np.integer)):
        return f'<c r="{ref}"><v>{int(v)}</v></c>'
    if isinstance(v, (float, np.floating)):
        return f'<c r="{ref}"><v>{float(v)!r}</v></c>'
    t = _XML_BAD.sub("", str(v)).translate(_XML_ESCAPE)
    space = ' xml:space="preserve"' if t != t.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{t}</t></is></c>'


def _sheet_xml(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    cols = [_col(i) for i in range(len(header))]
    parts = []
    n = 0
    for r, values in enumerate([list(header), *rows], start=1):
        n = r
        parts.append(f'<row r="{r}">' + "".join(_cell(f"{c}{r}", v) for c, v in zip(cols, values)) + "</row>")
    dim = f"A1:{cols[-1]}{n}"
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<dimension ref="{dim}"/><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>'
            + "".join(parts) + "</sheetData></worksheet>").encode("utf-8")


def _save_xlsx(path: Path, sheets: list[tuple[str, Sequence[str], Iterable[Sequence]]]) -> None:
    """A minimal Office Open XML workbook (inline strings, no styles beyond the default), written
    directly: openpyxl needs ~200 µs a row, far too slow for national-scale files. The bytes
    depend only on the content (fixed zip times and attributes)."""
    ns_main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    ns_rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ns_pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    files: list[tuple[str, bytes]] = []
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1))
    files.append(("[Content_Types].xml", (head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        + overrides + "</Types>").encode()))
    files.append(("_rels/.rels", (head + f'<Relationships xmlns="{ns_pkg}">'
        f'<Relationship Id="rId1" Type="{ns_rel}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
        'Target="docProps/core.xml"/></Relationships>').encode()))
    files.append(("docProps/core.xml", (head + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>pipeline.synth</dc:creator>'
        '<dcterms:created xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:created>'
        '<dcterms:modified xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:modified>'
        '</cp:coreProperties>').encode()))
    sheet_list = "".join(f'<sheet name="{title.translate(_XML_ESCAPE)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, (title, _, _) in enumerate(sheets, start=1))
    files.append(("xl/workbook.xml", (head + f'<workbook xmlns="{ns_main}" xmlns:r="{ns_rel}"><sheets>{sheet_list}</sheets></workbook>').encode()))
    rels = "".join(f'<Relationship Id="rId{i}" Type="{ns_rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, len(sheets) + 1))
    rels += f'<Relationship Id="rId{len(sheets) + 1}" Type="{ns_rel}/styles" Target="styles.xml"/>'
    files.append(("xl/_rels/workbook.xml.rels", (head + f'<Relationships xmlns="{ns_pkg}">{rels}</Relationships>').encode()))
    files.append(("xl/styles.xml", (head + f'<styleSheet xmlns="{ns_main}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '</styleSheet>').encode()))
    for i, (_, header, rows) in enumerate(sheets, start=1):
        files.append((f"xl/worksheets/sheet{i}.xml", _sheet_xml(header, rows)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            z.writestr(info, data, compresslevel=6)
    path.write_bytes(out.getvalue())


def _format_array(x: np.ndarray, decimals: int):
    """Numbers as text with a decimal point and exactly ``decimals`` decimals, in Arrow (fast)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    scale = 10 ** decimals
    units = np.rint(np.abs(x) * scale).astype(np.int64)
    whole = pa.array(units // scale).cast(pa.string())
    if decimals:
        frac = pc.utf8_lpad(pa.array(units % scale).cast(pa.string()), width=decimals, padding="0")
        whole = pc.binary_join_element_wise(whole, frac, ".")
    if (x < 0).any():
        whole = pc.if_else(pa.array(x < 0), pc.binary_join_element_wise("-", whole, ""), whole)
    return whole


def _csv_bytes(header: Sequence[str], columns: list, bom: bool = False) -> bytes:
    """Comma-separated bytes of string columns (Arrow arrays or scalars) that need no quoting."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = max(len(c) for c in columns if not isinstance(c, str))
    cols = [pa.array([c] * n, pa.string()) if isinstance(c, str) else c for c in columns]
    lines = pc.binary_join_element_wise(*cols, pa.array([""] * n, pa.string()) if n else "", ",",
                                        null_handling="replace", null_replacement="")
    # Each line now ends in a separator: swap it for the line break.
    lines = pc.replace_substring_regex(lines, pattern=",$", replacement="\n")
    arr = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32 if arr.type == pa.string() else np.int64)
    body = arr.buffers()[2].to_pybytes()[offsets[arr.offset]:offsets[arr.offset + len(arr)]] if n else b""
    return (b"\xef\xbb\xbf" if bom else b"") + (",".join(header) + "\n").encode() + body


def _csv_quote(s: str) -> str:
    return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\n\r;') else s


@dataclass
class _Block:
    """The rows of one provider for some cities: columns as arrays, ready for CSV or XLSX."""

    cities: np.ndarray
    years: np.ndarray
    variables: np.ndarray
    numbers: np.ndarray
    decimals: np.ndarray
    units: np.ndarray
    signed: np.ndarray
    """Per row: an amount in LCU of a city abroad, written with the profile's currency sign."""

    def __len__(self) -> int:
        return len(self.numbers)


def _block(sim: Simulation, var_ids: list[str], city_idx: np.ndarray) -> _Block:
    nv, ny, nc = len(var_ids), len(sim.years), len(city_idx)
    stack = np.stack([sim.values[v][city_idx] for v in var_ids], axis=-1)  # cities × years × vars
    codes = np.array([sim.cities[i].code for i in city_idx], dtype=object)
    rules = sim.profile.rules
    lcu = np.array([sim.catalogue.variables[v].unit == "LCU" for v in var_ids], dtype=bool)
    return _Block(
        cities=np.repeat(codes, ny * nv),
        years=np.tile(np.repeat(np.array(sim.years), nv), nc),
        variables=np.tile(np.array(var_ids, dtype=object), nc * ny),
        numbers=stack.reshape(-1),
        decimals=np.tile(np.array([rules[v].decimals for v in var_ids]), nc * ny),
        units=np.tile(np.array([sim.catalogue.variables[v].unit for v in var_ids], dtype=object), nc * ny),
        signed=np.repeat(sim.abroad()[city_idx], ny * nv) & np.tile(lcu, nc * ny),
    )


def _value_strings(b: _Block):
    import pyarrow as pa
    import pyarrow.compute as pc

    out = None
    for d in np.unique(b.decimals):
        mask = b.decimals == d
        formatted = _format_array(np.where(mask, b.numbers, 0.0), int(d))
        out = formatted if out is None else pc.if_else(pa.array(mask), formatted, out)
    return out


def _corrupt(rule: str, var_id: str, value: str, unit: str, sim: Simulation) -> dict[str, str]:
    """The changed cells of a row broken by ``rule``."""
    if rule == "unknown_variable":
        return {"variable": var_id + "_old"}
    if rule == "not_a_number":
        return {"value": "b.d."}
    if rule == "unit_mismatch":
        return {"unit": "thousand " + unit}
    if rule == "not_whole_number":
        return {"value": f"{float(value) + 0.5:.1f}"}
    if rule == "unknown_source":
        return {"source_id": "NO-SUCH-SOURCE"}
    if rule == "ambiguous_separator":
        return {"value": "1,395"}
    if rule == "missing_value":
        return {"value": ""}
    raise ValueError(rule)


def _first_not_in(taken: dict[int, str], k: int, n: int) -> list[int]:
    """The first ``k`` row positions below ``n`` that are not in ``taken``."""
    out, p = [], 0
    while len(out) < k and p < n:
        if p not in taken:
            out.append(p)
        p += 1
    return out


def _with_mark(value: str, mark: str) -> str:
    """A number written with a decimal mark (``,`` or ``.``) and at least one decimal, never as a
    lone group (three decimals get a fourth): the same figure, evidence of the file's marks."""
    whole, _, frac = value.partition(".")
    frac = frac or "0"
    if len(frac) == 3:
        frac += "0"
    return f"{whole}{mark}{frac}"


def _source_id(provider: str) -> str:
    return "SYN-" + provider.upper()


def _source_rows(catalogue: Catalogue, providers: list[str], years: list[int], seed: int) -> list[dict[str, str]]:
    out = []
    for p in providers:
        prov = catalogue.providers[p]
        out.append({"source_id": _source_id(p), "organisation": prov.name.en,
                    "dataset": f"Synthetic extract: {prov.name.en} ({prov.name.pl})",
                    "url": f"https://example.org/synthetic/{p}", "retrieved_on": f"{max(years) + 1}-03-31",
                    "licence": "CC0-1.0", "quality_class": "assumption_estimate",
                    "origin": f"generated by pipeline.synth (seed {seed}); not real figures", "contact": ""})
    for row in out:
        SourceRow.model_validate({k: v for k, v in row.items() if v})
    return out


def _write_csv_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], delimiter: str = ",",
                    bom: bool = False) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))


_YAML_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}
_YAML_PLAIN = re.compile(r"[^\W\d_][^:#\n\"'{}\[\],&*!|>%@`]*", re.UNICODE)


def _scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    if _YAML_PLAIN.fullmatch(s) and s == s.strip() and s.lower() not in _YAML_RESERVED:
        return s
    return json.dumps(s, ensure_ascii=False)


def _yaml_dump(data, indent: int = 0) -> str:
    """Block-style YAML of plain dicts, lists and scalars (fast and deterministic; strings that
    are not safe as plain scalars are written JSON-quoted, which YAML reads as double-quoted)."""
    pad = " " * indent
    lines = []
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, dict) and v and all(not isinstance(x, (dict, list)) for x in v.values()) and len(v) <= 2 \
                    and sum(len(str(x)) for x in v.values()) < 60:
                lines.append(f"{pad}{k}: {{" + ", ".join(f"{a}: {_scalar(b)}" for a, b in v.items()) + "}")
            elif isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{k}:")
                lines.append(_yaml_dump(v, indent + 2).rstrip("\n"))
            else:
                lines.append(f"{pad}{k}: {_scalar(v) if not isinstance(v, (dict, list)) else ('{}' if isinstance(v, dict) else '[]')}")
    else:
        for item in data:
            body = _yaml_dump(item, indent + 2).rstrip("\n") if isinstance(item, (dict, list)) else pad + "  " + _scalar(item)
            lines.append(pad + "- " + body[indent + 2:])
    return "\n".join(lines) + "\n"


def _city_doc(sim: Simulation, i: int, seed: int, standards: Sequence[str]) -> dict:
    c = sim.cities[i]
    doc = {
        "code": c.code,
        "name": {"en": c.name_en, "pl": c.name_pl},
        "country": c.country,
        "standards": list(standards),
        "currency": c.currency,
        "fictional": True,
        "description": {"en": f"Fictional city generated by pipeline.synth (seed {seed}); the figures are synthetic.",
                        "pl": f"Fikcyjne miasto wygenerowane przez pipeline.synth (ziarno {seed}); dane są syntetyczne."},
    }
    region = c.region
    if region is None and "region" in sim.text:
        m = re.search(r";\s*(.+?) (?:Voivodeship|Region)\b", sim.text["region"][i])
        region = m.group(1) if m else None
    if region:
        doc["region"] = region
    doc["text_facts"] = {k: v[i] for k, v in sim.text.items()}
    City.model_validate(doc)
    return doc


def _providers(sim: Simulation, standards: Sequence[str]) -> dict[str, list[str]]:
    """The numeric variables the indicators of ``standards`` use, by provider, in the order of the
    registries: a city collects what the standards it reports need."""
    used = sim.catalogue.used_by(standards)
    by: dict[str, list[str]] = {p: [] for p in sim.catalogue.providers}
    for v in sim.catalogue.variables.values():
        if v.kind is not VariableKind.text and v.id in used:
            by[v.provider].append(v.id)
    return {p: vs for p, vs in by.items() if vs}


def generate(out: Path, catalogue: Catalogue, n_cities: int, years: list[int], seed: int = 0,
             layout: str = "folders", xlsx_share: float = 0.2, broken_share: float = 0.0,
             profile: Profile | None = None, standards: Sequence[str] | None = None) -> GeneratedInfo:
    """Write the raw inputs of ``n_cities`` fictional cities for ``years`` into ``out``.

    ``layout="folders"``: ``out/<code>/`` per city with ``city.yaml``, ``sources.csv`` and
    ``observations/<provider>.csv`` (or ``.xlsx`` for a drawn ``xlsx_share`` of the providers).
    ``layout="multi"``: ``out/cities.yaml``, ``out/sources.csv`` and one observation file per
    provider with a ``city`` column; the smallest providers are written as XLSX.
    Every ``foreign.every``-th city of the profile (the 10th, the 20th…) lies abroad and reports in
    euros, its amounts in LCU written with the sign (``€1234.50``); ingest removes it (a repair).
    ``broken_share`` > 0 breaks that share of the rows (at least one), each in one of the ways of
    :data:`BROKEN_RULES`, and lists them in :attr:`GeneratedInfo.broken`.
    ``standards``: the standards (catalogue editions) every city reports (default: the catalogue's
    default edition); the figures are drawn so that the indicators of all of them stay plausible.
    ``out`` must not exist or be empty.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    if not 0 <= xlsx_share <= 1 or not 0 <= broken_share <= 1:
        raise ValueError("xlsx_share and broken_share are fractions between 0 and 1")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    out.mkdir(parents=True, exist_ok=True)
    standards = list(standards) if standards else [catalogue.default_edition]
    unknown = [e for e in standards if e not in catalogue.editions]
    if unknown:
        raise ValueError(f"no edition {', '.join(unknown)} in the catalogue (known: {', '.join(catalogue.editions)})")
    sim = simulate(catalogue, n_cities, years, seed, profile=profile, editions=standards)
    providers = _providers(sim, standards)
    pids = list(providers)
    n_xlsx = round(xlsx_share * len(pids))
    rows_per_city = len(sim.years)
    if layout == "multi":
        by_size = sorted(pids, key=lambda p: (len(providers[p]), p))
        xlsx = {p for p in by_size[:n_xlsx] if len(providers[p]) * rows_per_city * n_cities <= XLSX_MAX_ROWS}
    else:
        drawn = _stream(seed, "xlsx-providers").permutation(len(pids))
        xlsx = {pids[i] for i in drawn[:n_xlsx]}

    # Which rows to break: positions over the rows of all files, in the order they are written.
    units = [(city_key, p) for city_key in (range(n_cities) if layout == "folders" else [None]) for p in pids]
    sizes = [len(providers[p]) * rows_per_city * (1 if ck is not None else n_cities) for ck, p in units]
    total = int(sum(sizes))
    n_broken = 0 if broken_share == 0 else max(1, round(broken_share * total))
    picks = np.sort(_stream(seed, "broken").choice(total, size=min(n_broken, total), replace=False)) if n_broken else np.array([], int)
    starts = np.concatenate([[0], np.cumsum(sizes)])

    info = GeneratedInfo(out=out, layout=layout, cities=[c.code for c in sim.cities], years=sim.years, files=[],
                         observations=0, simulation=sim)
    source_rows = _source_rows(catalogue, pids, sim.years, seed)
    broken_no = 0
    for u, (ck, p) in enumerate(units):
        if layout == "folders":
            folder = out / sim.cities[ck].code
            city_idx = np.array([ck])
            if u == 0 or units[u - 1][0] != ck:
                (folder / "observations").mkdir(parents=True, exist_ok=True)
                (folder / "city.yaml").write_text(_yaml_dump(_city_doc(sim, ck, seed, standards)), encoding="utf-8")
                _write_csv_rows(folder / "sources.csv", SOURCE_COLUMNS + SOURCE_OPTIONAL,
                                [[r[c] for c in SOURCE_COLUMNS + SOURCE_OPTIONAL] for r in source_rows])
                info.files += [f"{folder.name}/city.yaml", f"{folder.name}/sources.csv"]
            header = OBS_COLUMNS
        else:
            folder = out
            city_idx = np.arange(n_cities)
            (out / "observations").mkdir(exist_ok=True)
            header = MULTI_COLUMNS
        local = picks[(picks >= starts[u]) & (picks < starts[u + 1])] - starts[u]
        rules = []
        for _ in local:
            rules.append(BROKEN_RULES[broken_no % len(BROKEN_RULES)])
            broken_no += 1
        rel = _write_provider(folder, p, providers[p], sim, city_idx, header, p in xlsx, dict(zip(local.tolist(), rules)), info)
        info.files.append((Path(folder.name) / "observations" / rel).as_posix() if layout == "folders" else f"observations/{rel}")
    if layout == "multi":
        docs = [_city_doc(sim, i, seed, standards) for i in range(n_cities)]
        Cities.model_validate({"cities": docs})
        (out / "cities.yaml").write_text(_yaml_dump({"cities": docs}), encoding="utf-8")
        _write_csv_rows(out / "sources.csv", SOURCE_COLUMNS + SOURCE_OPTIONAL,
                        [[r[c] for c in SOURCE_COLUMNS + SOURCE_OPTIONAL] for r in source_rows])
        info.files = ["cities.yaml", "sources.csv"] + info.files
    info.files.sort()
    return info


def _write_provider(folder: Path, provider: str, var_ids: list[str], sim: Simulation, city_idx: np.ndarray,
                    header: Sequence[str], as_xlsx: bool, broken: dict[int, str], info: GeneratedInfo) -> str:
    """One provider's observation file; returns its name. ``broken`` maps row positions (0-based
    over the data rows) to the rule to break there. Amounts in LCU of cities abroad carry the
    profile's currency sign (``€1234.50``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    b = _block(sim, var_ids, city_idx)
    n = len(b)
    with_city = header[0] == "city"
    name = f"{provider}.{'xlsx' if as_xlsx else 'csv'}"
    rel_file = (Path(folder.name) / "observations" / name).as_posix() if not with_city else f"observations/{name}"
    source = _source_id(provider)
    values = _value_strings(b)
    extra: list[dict[str, str]] = []
    changes: dict[int, dict[str, str]] = {}
    dup_no = 0
    # A lone group (1,395) is read as the file's other numbers say, so an ambiguous one needs a file
    # that writes both decimal marks: two rows that are not broken are written so (1234,0 and 1234.0).
    spare = _first_not_in(broken, 2, n) if "ambiguous_separator" in broken.values() else []
    if len(spare) == 2:
        for p, mark in zip(spare, ",."):
            changes[p] = {"value": _with_mark(values[p].as_py(), mark)}
    for pos, rule in sorted(broken.items()):
        var_id, year, code = str(b.variables[pos]), int(b.years[pos]), str(b.cities[pos])
        if rule == "not_whole_number" and not sim.catalogue.variables[var_id].integer:
            rule = "not_a_number"
        if rule == "ambiguous_separator" and len(spare) < 2:
            rule = "not_a_number"
        if rule == "duplicate_observation":
            extra.append({"pos": pos})
            dup_no += 1
            row = n + 1 + dup_no
        else:
            changes[pos] = _corrupt(rule, var_id, values[pos].as_py(), str(b.units[pos]), sim)
            row = pos + 2
        info.broken.append(BrokenRow(rel_file, "observations" if as_xlsx else None, row, code, year, var_id, rule))
    info.observations += n + len(extra)
    sign = sim.profile.foreign.sign if sim.profile.foreign is not None else ""

    if as_xlsx:
        def rows():
            cities, years, variables, units = b.cities.tolist(), b.years.tolist(), b.variables.tolist(), b.units.tolist()
            numbers, decimals, signed = b.numbers.tolist(), b.decimals.tolist(), b.signed.tolist()
            order = list(range(n)) + [e["pos"] for e in extra]
            for i in order:
                val = int(numbers[i]) if decimals[i] == 0 else float(numbers[i])
                if signed[i]:
                    val = f"{sign}{numbers[i]:.{decimals[i]}f}"
                cells = {"city": cities[i], "year": years[i], "variable": variables[i], "value": val, "unit": units[i],
                         "source_id": source, "status": None, "note": None}
                if i in changes and i < n:
                    cells.update({k: (v if v != "" else None) for k, v in changes.pop(i).items()})
                yield [cells[c] for c in header]
        _save_xlsx(folder / "observations" / name, [("observations", header, rows())])
        return name

    if b.signed.any():
        values = pc.if_else(pa.array(b.signed), pc.binary_join_element_wise(sign, values, ""), values)
    cols = {"city": pa.array(b.cities, pa.string()), "year": pa.array(b.years).cast(pa.string()),
            "variable": pa.array(b.variables, pa.string()), "value": values, "unit": pa.array(b.units, pa.string()),
            "source_id": source, "status": "", "note": ""}
    if changes:
        for col in {c for ch in changes.values() for c in ch}:
            arr = cols[col].to_pylist() if not isinstance(cols[col], str) else [cols[col]] * n
            for pos, ch in changes.items():
                if col in ch:
                    arr[pos] = _csv_quote(ch[col])
            cols[col] = pa.array(arr, pa.string())
    data = _csv_bytes(header, [cols[c] for c in header])
    if extra:
        lines = data.decode("utf-8").split("\n")
        data += "".join(lines[e["pos"] + 1] + "\n" for e in extra).encode("utf-8")
    (folder / "observations" / name).write_bytes(data)
    return name


# --- the shipped sample city -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    """How one provider writes its file (see ``providers`` in ``sample_city.yaml``)."""

    file: str
    delimiter: str = ","
    decimal: str = "."
    thousands: str = ""
    bom: bool = False
    header: tuple[str, ...] = OBS_COLUMNS
    order: str = "year"
    blank_line_between_years: bool = False
    pad_values: bool = False
    currency: str = ""
    """How an amount is written, ``{number}`` the figure and ``{code}`` its currency (the city's
    for LCU): ``"{number} zł"``, ``"{code} {number}"``; empty: no sign."""
    text_values: bool = False
    units: tuple[tuple[str, str], ...] = ()
    info_sheet: str | None = None

    @property
    def xlsx(self) -> bool:
        return self.file.endswith(".xlsx")


def _local_number(x: float, decimals: int, style: _Style, currency: str | None = None) -> str:
    """A figure as the provider writes it: decimal comma or point, thousands separators (space with
    a decimal comma; a comma with a decimal point, leaving lone groups such as ``2,782`` that the
    file's decimals settle), and, for an amount in ``currency``, the provider's currency sign."""
    d = decimals
    if style.decimal == "," and d == 3:
        d = 4  # "0,287" would be ambiguous (a decimal or a thousands separator); "0,2870" is not
    text = f"{abs(x):.{d}f}" if d else str(int(round(abs(x))))
    whole, _, frac = text.partition(".")
    if style.thousands and len(whole) > 3 and (style.decimal == "," or style.thousands == "," or not frac):
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = style.thousands.join([whole, *groups])
    text = whole + (style.decimal + frac if frac else "")
    if x < 0:
        text = "-" + text
    if currency and style.currency:
        text = style.currency.format(number=text, code=currency)
    return text


def _sample_config(catalogue: Catalogue, path: Path = SAMPLE) -> dict:
    cfg = _read_yaml(path)
    problems = []
    known = set(catalogue.variables)
    for section in ("not_available", "zero"):
        problems += [f"{section}: unknown variable {v}" for v in cfg.get(section) or {} if v not in known]
    for st in cfg.get("statuses") or []:
        problems += [f"statuses: unknown variable {v}" for v in st["variables"] if v not in known]
        if st["status"] not in {s.value for s in Status}:
            problems.append(f"statuses: unknown status {st['status']}")
    for nt in cfg.get("notes") or []:
        problems += [f"notes: unknown variable {v}" for v in nt["variables"] if v not in known]
    providers = cfg.get("providers") or {}
    for p in catalogue.providers:
        if p not in providers and any(v.provider == p and v.kind is not VariableKind.text for v in catalogue.variables.values()):
            problems.append(f"providers: no file for provider {p}")
    for p, spec in providers.items():
        if p not in catalogue.providers:
            problems.append(f"providers: unknown provider {p}")
        defaults = [s for s in spec.get("sources", []) if s.get("default")]
        if len(defaults) != 1:
            problems.append(f"providers.{p}: exactly one source needs `default: true`")
    if problems:
        raise ProfileError("sample_city.yaml does not fit the catalogue:\n  " + "\n  ".join(problems))
    return cfg


def write_sample_city(out: Path, catalogue: Catalogue, overwrite: bool = False, config: Path = SAMPLE) -> GeneratedInfo:
    """Write the fictional sample city Zielonogród into ``out/<folder>/`` (``data/raw/zielonogrod``).

    Deterministic: the same catalogue, profile and ``sample_city.yaml`` give the same bytes. The
    result ingests with no problem (and some repairs: the providers' local formatting).
    """
    cfg = _sample_config(catalogue, Path(config))
    folder = Path(out) / cfg["folder"]
    if folder.exists():
        if not overwrite:
            raise FileExistsError(f"{folder} exists; pass overwrite=True to write it again")
        shutil.rmtree(folder)
    years = [int(y) for y in cfg["years"]]
    seed = int(cfg["seed"])
    city = dict(cfg["city"])
    anchors = {k: ({int(y): float(x) for y, x in v.items()} if isinstance(v, dict) else float(v))
               for k, v in (cfg.get("anchors") or {}).items()}
    shifts = {k: {int(y): float(f) for y, f in v.items()} for k, v in (cfg.get("shifts") or {}).items()}
    # Notes without a status: an unusual figure explained (validation shows it as information).
    notes: dict[tuple[str, int], str] = {}
    for nt in cfg.get("notes") or []:
        for v in nt["variables"]:
            for y in nt["years"]:
                notes[(v, int(y))] = " ".join(nt["note"].split())
    noted: dict[str, list[int]] = defaultdict(list)
    for v, y in notes:
        noted[v].append(y)
    profile = load_profile(catalogue)
    sim = simulate(catalogue, 1, years, seed, profile=profile, editions=city["standards"],
                   anchors=anchors, shifts=shifts, noted=dict(noted),
                   cities=[SimCity(city["code"], city["name"]["pl"], city["name"]["en"], city.get("region"),
                                   country=city["country"], currency=city["currency"])])
    if sim.implausible:
        raise ProfileError("the sample city breaks checks that no status explains: "
                           + ", ".join(f"{i} {y} ({k})" for i, _, y, k in sim.implausible))
    zero = cfg.get("zero") or {}
    for v in zero:
        if np.any(sim.values[v] != 0):
            raise ProfileError(f"sample_city.yaml says {v} is zero, but profile.yaml does not generate 0")
    not_available = cfg.get("not_available") or {}
    status: dict[tuple[str, int], tuple[str, str]] = {}
    for st in cfg.get("statuses") or []:
        for v in st["variables"]:
            for y in st["years"]:
                if (v, int(y)) in status:
                    raise ProfileError(f"sample_city.yaml gives {v} {y} two statuses")
                status[(v, int(y))] = (st["status"], " ".join(st["note"].split()))
    for key in set(status) & set(notes):
        raise ProfileError(f"sample_city.yaml gives {key[0]} {key[1]} a status and a note: give the note with the status")

    # The city file: the text facts of the registry come from the config, every one of them.
    text_vars = [v.id for v in catalogue.variables.values() if v.kind is VariableKind.text]
    missing = [v for v in text_vars if v not in (city.get("text_facts") or {})]
    if missing:
        raise ProfileError(f"sample_city.yaml: text_facts lacks {', '.join(missing)}")
    city["text_facts"] = {k: " ".join(str(city["text_facts"][k]).split()) for k in text_vars}
    city["description"] = {k: " ".join(v.split()) for k, v in city["description"].items()}
    City.model_validate(city)
    (folder / "observations").mkdir(parents=True)
    (folder / "city.yaml").write_text(
        "# FICTIONAL sample city, written by pipeline.synth.write_sample_city; see README.md.\n" + _yaml_dump(city),
        encoding="utf-8")

    # The source register and which source each variable comes from.
    source_of: dict[str, str] = {}
    register: list[dict[str, str]] = []
    styles: dict[str, _Style] = {}
    for p, spec in cfg["providers"].items():
        for src in spec["sources"]:
            row = {c: str(src.get(c, "") or "") for c in SOURCE_COLUMNS + SOURCE_OPTIONAL}
            SourceRow.model_validate({k: v for k, v in row.items() if v})
            register.append(row)
            for v in src.get("variables", []):
                source_of[v] = src["source_id"]
        default = next(s["source_id"] for s in spec["sources"] if s.get("default"))
        for v in catalogue.variables.values():
            if v.provider == p:
                source_of.setdefault(v.id, default)
        keys = {f.name for f in dataclasses.fields(_Style)} - {"units", "header"}
        opts = {k: v for k, v in spec.items() if k in keys}
        styles[p] = _Style(**opts, header=tuple(spec.get("header", OBS_COLUMNS)),
                           units=tuple((spec.get("units") or {}).items()))
    _write_csv_rows(folder / "sources.csv", SOURCE_COLUMNS + SOURCE_OPTIONAL,
                    [[r[c] for c in SOURCE_COLUMNS + SOURCE_OPTIONAL] for r in register])

    info = GeneratedInfo(out=Path(out), layout="folders", cities=[city["code"]], years=years,
                         files=[f"{folder.name}/city.yaml", f"{folder.name}/sources.csv"], observations=0, simulation=sim)
    for p, var_ids in _providers(sim, city["standards"]).items():
        style = styles[p]
        units = dict(style.units)
        records = []
        order = [(y, v) for y in years for v in var_ids] if style.order == "year" else [(y, v) for v in var_ids for y in years]
        for y, v in order:
            var = catalogue.variables[v]
            x = sim.value(0, v, y)
            unit = units.get(var.unit, var.unit)
            st, note = status.get((v, y), ("", notes.get((v, y), "")))
            money = (city["currency"] if var.unit == "LCU" else var.unit) if var.kind is VariableKind.money else None
            if v in not_available:
                value, st, note = "", "not_available", " ".join(not_available[v].split())
            elif style.text_values or not style.xlsx:
                value = _local_number(x, profile.rules[v].decimals, style, money)
            else:
                value = int(x) if profile.rules[v].decimals == 0 else float(x)
            if v in zero:
                note = " ".join(zero[v].split())
            if style.pad_values and isinstance(value, str) and value:
                value = value.rjust(9)
            cells = {"year": y, "variable": v, "value": value, "unit": unit, "source_id": source_of[v],
                     "status": st, "note": note}
            records.append([cells[c] for c in OBS_COLUMNS])
        info.observations += len(records)
        path = folder / "observations" / style.file
        if style.xlsx:
            sheets = [("observations", list(style.header), [[c if c != "" else None for c in r] for r in records])]
            if style.info_sheet:
                prov = catalogue.providers[p]
                sheets.append((style.info_sheet, ["Informacja", "Information"], [
                    [f"Dane przekazane przez: {prov.name.pl}", f"Figures supplied by: {prov.name.en}"],
                    ["Miasto fikcyjne — dane przykładowe.", "Fictional city — sample figures."],
                    ["Arkusz 'observations' zawiera dane; ten arkusz jest pomijany.", "The 'observations' sheet holds the figures; this one is skipped."],
                ]))
            _save_xlsx(path, sheets)
        else:
            rows: list[list] = []
            for n, r in enumerate(records):
                if style.blank_line_between_years and n and r[0] != records[n - 1][0]:
                    rows.append([])
                rows.append([str(c) for c in r])
            _write_csv_rows(path, style.header, rows, delimiter=style.delimiter, bom=style.bom)
        info.files.append(f"{folder.name}/observations/{style.file}")
    # Counts of persons given with decimals: full-time equivalents (posts filled), with an example.
    fte = {p: [(v, _local_number(sim.value(0, v, years[-1]), profile.rules[v].decimals, styles[p]))
               for v in var_ids if catalogue.variables[v].kind is VariableKind.count and profile.rules[v].decimals
               and catalogue.variables[v].unit == "persons" and v not in not_available]
           for p, var_ids in _providers(sim, city["standards"]).items()}
    readme = _sample_readme(cfg, catalogue, styles, not_available, zero, status, notes, register, fte)
    (folder / "README.md").write_text(readme, encoding="utf-8")
    info.files.append(f"{folder.name}/README.md")
    info.files.sort()
    return info


def _sample_readme(cfg: dict, catalogue: Catalogue, styles: dict[str, _Style], not_available: dict[str, str],
                   zero: dict[str, str], status: dict[tuple[str, int], tuple[str, str]], notes: dict[tuple[str, int], str],
                   register: list[dict], fte: dict[str, list[tuple[str, str]]]) -> str:
    city = cfg["city"]
    years = cfg["years"]
    uses: dict[str, list[str]] = defaultdict(list)
    for ind in catalogue.indicators.values():
        if ind.edition in city["standards"]:
            for v in ind.variables:
                uses[v].append(ind.id)
    lines = [
        f"# {city['name']['pl']} — FICTIONAL sample city",
        "",
        f"**{city['name']['pl']} is not a real place.** It is a made-up, mid-sized Polish city whose inputs show",
        "what a complete yearly submission to this pipeline looks like. None of its figures describe a real",
        "city; they were generated by `pipeline.synth.write_sample_city` from `pipeline/synth/profile.yaml` and",
        "`pipeline/synth/sample_city.yaml`. Its code "
        f"`{city['code']}` has the shape of a TERYT code but uses voivodeship 99, which does",
        "not exist, so it cannot clash with a real municipality. The organisations in `sources.csv` are where a",
        "Polish city would get such figures; every extract is invented (\"fictional extract\").",
        "",
        "Regenerate (the files are committed and must not be edited by hand):",
        "",
        "```sh",
        ".venv/bin/python -c \"from pathlib import Path; from pipeline.catalogue import load_catalogue; "
        "from pipeline.synth import write_sample_city; write_sample_city(Path('data/raw'), load_catalogue(), overwrite=True)\"",
        "```",
        "",
        f"Years {years[0]}–{years[-1]}; currency {city['currency']}; standards {', '.join(f'`{e}`' for e in city['standards'])}.",
        "",
        "## Files",
        "",
        "| file | provider | written as |",
        "|---|---|---|",
    ]
    for p, st in styles.items():
        how = []
        if st.xlsx:
            how.append("XLSX" + (" with every value as local text" if st.text_values else ""))
            if st.info_sheet:
                how.append(f"an extra sheet `{st.info_sheet}` that ingest skips")
        else:
            how.append("CSV" + (f", `{st.delimiter}`-separated" if st.delimiter != "," else ""))
            if st.bom:
                how.append("UTF-8 BOM")
            if st.header != OBS_COLUMNS:
                how.append("capitalised header")
            if st.blank_line_between_years:
                how.append("blank line between years")
            if st.pad_values:
                how.append("right-aligned values")
        if st.decimal == ",":
            how.append("decimal commas")
        if st.thousands == ",":
            how.append(f"decimal points and comma thousands separators, so that a figure of four to six digits is a "
                       f"lone group (e.g. `{_local_number(2782, 0, st)}` beside `{_local_number(27.9, 1, st)}`) that the "
                       "file's decimal points settle")
        elif st.thousands:
            how.append("space thousands separators" if st.thousands == " " else f"`{st.thousands}` thousands separators")
        if st.currency:
            own = " (each with its own currency code, `USD` for amounts in dollars)" if "{code}" in st.currency else ""
            how.append(f"amounts written `{_local_number(1234.5, 2, st, city['currency'])}`{own}")
        if fte.get(p):
            examples = ", ".join(f"`{v}` {x}" for v, x in fte[p])
            how.append(f"full-time equivalents with one decimal ({examples} in {years[-1]})")
        if st.units:
            how.append("units written " + ", ".join(f"`{b}`" for _, b in st.units))
        lines.append(f"| `observations/{st.file}` | {catalogue.providers[p].name.en} | {'; '.join(how)} |")
    lines += ["", "Ingest repairs the local formatting and records every repair; nothing in these files is rejected.",
              "", "## Not available", "",
              "These figures are rows with an empty value, status `not_available` and the reason in `note`, in every year:",
              ""]
    for v, reason in not_available.items():
        lines.append(f"- `{v}` (indicator {', '.join(uses.get(v, [])) or '—'}): {' '.join(reason.split())}")
    lines += ["", "## Zero by nature", ""]
    for v, reason in zero.items():
        lines.append(f"- `{v}` (indicator {', '.join(uses.get(v, [])) or '—'}): {' '.join(reason.split())}")
    lines += ["", "## Statuses and breaks in series", ""]
    grouped: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for (v, y), (st, note) in status.items():
        grouped[(st, note)].append((v, y))
    for (st, note), items in grouped.items():
        vars_ = sorted({v for v, _ in items})
        yrs = sorted({y for _, y in items})
        lines.append(f"- **{st}** {', '.join(str(y) for y in yrs)}: {', '.join(f'`{v}`' for v in vars_)} — {note}")
    if notes:
        lines += ["", "## Unusual figures explained", "",
                  "A note (no status) explains a figure that validation would otherwise warn about; validation shows it "
                  "as information, quoting the note:", ""]
        by_note: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for (v, y), note in notes.items():
            by_note[note].append((v, y))
        for note, items in by_note.items():
            vars_ = sorted({v for v, _ in items})
            yrs = sorted({y for _, y in items})
            lines.append(f"- {', '.join(str(y) for y in yrs)}: {', '.join(f'`{v}`' for v in vars_)} — {note}")
    lines += ["", "## Sources", "", f"{len(register)} sources in `sources.csv`, at least one per provider.", ""]
    return "\n".join(lines) + "\n"
