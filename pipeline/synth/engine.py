"""The figures of every variable for N cities over a timeline, vectorised over cities: each rule's
parameter path (first-year level, yearly trend, noise), the rule applied to it, rounding, and the
splits of wholes into parts that add up exactly.

:func:`pipeline.synth.simulate.simulate` steers it through ``quiet`` (noise removed) and ``hold``
(a figure held at last year's) where a draw breaks an indicator's check.
"""

from __future__ import annotations

import numpy as np

from pipeline.catalogue import Catalogue
from pipeline.synth.profile import Profile, ProfileError, Split, generation_order
from pipeline.synth.rules import PER, Rule
from pipeline.synth.streams import round_half_away, stream


class Engine:
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
        self.order = generation_order(profile, catalogue)
        self.split_of = {p: s for s in profile.splits for p in s.parts}
        self.quiet: dict[str, np.ndarray] = {}
        """Per variable: (cities × timeline) where its noise is left out."""
        self.hold: dict[str, np.ndarray] = {}
        """Per variable: (cities × timeline) where it repeats the year before."""
        self._draws: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    # parameter paths ---------------------------------------------------------------------------

    def draws(self, r: Rule) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """First-year parameter, yearly trend and standard-normal noise of a rule."""
        if r.variable not in self._draws:
            m = 1 if r.country else self.n
            lo, hi = r.range
            u = stream(self.seed, r.variable, "level").random(m)
            if r.log and lo > 0:
                base = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
            else:
                base = lo + u * (hi - lo)
            trend = r.trend[0] + stream(self.seed, r.variable, "trend").random(m) * (r.trend[1] - r.trend[0])
            # noise within two standard deviations: a national figure (scope: country) is never
            # damped afterwards, and a 4-sigma draw in one year broke its year-on-year check
            z = np.clip(stream(self.seed, r.variable, "noise").standard_normal((m, self.T)), -2.0, 2.0)
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
        """Every numeric variable (cities × timeline) and every text variable (one per city)."""
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
                pick = stream(self.seed, r.variable, "text").integers(0, len(r.choices), 1 if r.country else self.n)
                chosen = [r.choices[int(i)] for i in pick]
                text[node] = chosen * self.n if r.country else chosen
                continue
            vals[node] = self._finish(node, self._raw(r, vals), vals)
        return vals, text

    def _raw(self, r: Rule, vals: dict[str, np.ndarray]) -> np.ndarray:
        if r.rule == "value":
            x = self.param(r)
        elif r.rule in PER:
            x = self.param(r) * PER[r.rule] * self.latent_pop
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
        x = round_half_away(x, r.decimals)
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
