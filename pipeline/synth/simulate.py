"""The simulation: the figures of N cities over the years, in memory, drawn so that the indicators
the project computes from them keep within their checks (a draw that breaks one is damped, and at
last a small count held, except where an intended shift or a note explains the change)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from pipeline.catalogue import Catalogue
from pipeline.synth.abroad import localise
from pipeline.synth.calculation import IndicatorValues
from pipeline.synth.checks import checked_indicators, holdable, violations
from pipeline.synth.engine import Engine
from pipeline.synth.names import SimCity, sim_city
from pipeline.synth.profile import Profile, descendants, load_profile

ATTEMPTS = 5
"""Rounds of damping before the breaks left are reported in :attr:`Simulation.implausible`."""


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
    ``editions``: the standards whose indicators' checks are kept (default: the catalogue's
    default edition). Every ``foreign.every``-th city (unless ``cities`` are given) is a city
    abroad (see :func:`pipeline.synth.abroad.localise`).
    """
    if n_cities < 1:
        raise ValueError("n_cities must be at least 1")
    years = sorted({int(y) for y in years})
    if not years:
        raise ValueError("give at least one year")
    profile = profile or load_profile(catalogue)
    eng = Engine(catalogue, profile, n_cities, years, seed, anchors, shifts)
    checked = checked_indicators(catalogue, list(editions) if editions is not None else [catalogue.default_edition])
    calc = IndicatorValues(catalogue, [c.ind for c in checked], {v: r.decimals for v, r in profile.rules.items()},
                           n_cities, eng.timeline, first=eng.t0)  # the checks look from the first year asked for
    sim_cities = cities or [sim_city(i, seed, profile.foreign) for i in range(n_cities)]
    abroad = np.array([profile.foreign is not None and c.country == profile.foreign.country for c in sim_cities])
    shifted = _shifted(profile, eng.timeline, shifts)
    noted_t = {var: {eng.timeline.index(int(y)) for y in ys if int(y) in eng.timeline} for var, ys in (noted or {}).items()}
    t_first = eng.t0
    try:
        vals, text = localise(*eng.run(), abroad, profile, catalogue, seed)
        for attempt in range(ATTEMPTS):
            found = violations(checked, calc.update(vals), t_first, shifted, noted_t)
            if not found:
                break
            _steer(eng, found, attempt, profile, n_cities)
            vals, text = localise(*eng.run(), abroad, profile, catalogue, seed)
        left = violations(checked, calc.update(vals), t_first, shifted, noted_t)
    finally:
        calc.close()
    sel = slice(t_first, None)
    out = {k: np.ascontiguousarray(v[:, sel]) for k, v in vals.items()}
    sim = Simulation(catalogue, profile, sim_cities, years=list(eng.timeline[sel]), values=out, text=text)
    for c, bad, kind in left:
        for ci, ti in zip(*np.nonzero(bad)):
            sim.implausible.append((c.ind.uid, sim_cities[ci].code, eng.timeline[ti], kind))
    if sim.years != years:  # non-consecutive years asked for: keep only those
        idx = [sim.years.index(y) for y in years]
        sim.values = {k: np.ascontiguousarray(v[:, idx]) for k, v in sim.values.items()}
        sim.years = years
    return sim


def _shifted(profile: Profile, timeline: list[int], shifts: dict[str, dict[int, float]] | None) -> dict[str, set[int]]:
    """Per variable: the timeline positions from which an intended shift moves it."""
    shifted: dict[str, set[int]] = defaultdict(set)
    for var, by_year in (shifts or {}).items():
        for y in by_year:
            if y in timeline:
                shifted[var].add(timeline.index(y))
    # A shift of a whole moves its parts and of a part its siblings: excuse them too.
    for s in profile.splits:
        ts = set().union(*(shifted.get(v, set()) for v in (s.whole, *s.parts)))
        for v in s.parts:
            shifted[v] |= ts
    pop_shift = shifted.get(profile.population, set())
    for var_id in descendants(profile, profile.population):
        shifted[var_id] |= pop_shift
    return shifted


def _steer(eng: Engine, found: list, attempt: int, profile: Profile, n_cities: int) -> None:
    """Change the draws where ``found`` (indicator, mask, check) breaks a check: the first two
    attempts damp the noise of the indicator's inputs around the year, the third the city's whole
    series, later ones hold a small count at last year's figure."""
    for c, bad, _kind in found:
        ci, ti = np.nonzero(bad)
        if attempt < 2:
            for v in c.inputs:
                q = eng.quiet.setdefault(v, np.zeros((n_cities, eng.T), dtype=bool))
                for dt in (-1, 0, 1):
                    q[ci, np.clip(ti + dt, 0, eng.T - 1)] = True
        elif attempt == 2:
            for v in profile.rules:
                q = eng.quiet.setdefault(v, np.zeros((n_cities, eng.T), dtype=bool))
                q[ci, :] = True
        else:
            target = holdable(c, profile, eng.split_of)
            if target is not None:
                h = eng.hold.setdefault(target, np.zeros((n_cities, eng.T), dtype=bool))
                for i, t in zip(ci, ti):
                    h[i, t:] = True
