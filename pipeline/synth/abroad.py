"""Cities abroad (``foreign`` in the profile): their figures in their own currency and country."""

from __future__ import annotations

import numpy as np

from pipeline.catalogue import Catalogue
from pipeline.synth.profile import Profile
from pipeline.synth.streams import round_half_away, stream


def localise(vals: dict[str, np.ndarray], text: dict[str, list[str]], abroad: np.ndarray, profile: Profile,
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
            y[idx] = round_half_away(x[idx] * factor, profile.rules[var_id].decimals)
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
        pick = stream(seed, var_id, "foreign-text").integers(0, len(choices), len(abroad))
        text[var_id] = [choices[int(pick[i])] if abroad[i] else t for i, t in enumerate(text[var_id])]
    return vals, text
