"""Which simulated figures make an indicator break one of its checks (a range, a year-on-year
change), judged on the values the project's calculation gives (:mod:`pipeline.synth.calculation`),
so that :func:`pipeline.synth.simulate.simulate` can draw those figures again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.catalogue import Catalogue
from pipeline.catalogue.formula import uses_previous
from pipeline.catalogue.models import (
    Indicator,
    RangeCheck,
    VariableKind,
    YearOverYearCheck,
)
from pipeline.synth.profile import Profile, Split


@dataclass(frozen=True)
class Checked:
    """An indicator with a range or year-on-year check, and the variables it reads."""

    ind: Indicator
    inputs: tuple[str, ...]
    previous: tuple[str, ...]
    """The variables it reads in the year before, through ``previous()``."""


def checked_indicators(catalogue: Catalogue, editions: Sequence[str]) -> list[Checked]:
    """The indicators of ``editions`` with a range or year-on-year check (text values have none)."""
    out = []
    for ind in catalogue.indicators.values():
        if ind.edition not in editions or not any(isinstance(c, (RangeCheck, YearOverYearCheck)) for c in ind.checks):
            continue
        if any(catalogue.variables[v].kind is VariableKind.text for v in ind.variables):
            continue
        prev = tuple(uses_previous(ind.calculation.expression)) if ind.calculation.kind == "expression" else ()
        out.append(Checked(ind, tuple(ind.variables), prev))
    return out


def violations(checked: list[Checked], values: dict[str, np.ndarray], t_first: int,
               shifted: dict[str, set[int]], noted: dict[str, set[int]] | None = None,
               ) -> list[tuple[Checked, np.ndarray, str]]:
    """(indicator, mask cities × timeline, check) for each broken range or yoy check of the
    indicator ``values`` (per uid, cities × timeline), from the first requested year on (yoy from
    the second), skipping years an intended shift explains and years in which a note on an input
    explains the value (``noted``: as validation shows it, as information)."""
    found = []
    noted = noted or {}
    for c in checked:
        x = values[c.ind.uid]
        T = x.shape[1]
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


def holdable(c: Checked, profile: Profile, split_of: dict[str, Split]) -> str | None:
    """The input of an indicator that may be held at last year's figure: its numerator (or the
    variable it reports) if that is a city figure outside any split, else the first such input."""
    calc = c.ind.calculation
    first = getattr(calc, "numerator", None) or getattr(calc, "variable", None)
    candidates = ([first] if first else []) + list(c.inputs)
    for v in candidates:
        if v and v not in split_of and v != profile.population and not profile.rules[v].country:
            return v
    return None
