"""Deterministic random streams and rounding: each variable draws from its own stream, seeded by
the seed and the variable id, so adding a variable does not change the figures of the others."""

from __future__ import annotations

import hashlib

import numpy as np


def stream(seed: int, *parts: str) -> np.random.Generator:
    """The random stream of ``seed`` and ``parts`` (a variable id and what is drawn)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    words = [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]
    return np.random.default_rng(np.random.SeedSequence([seed & 0xFFFFFFFF, *words]))


def round_half_away(x: np.ndarray, decimals: int) -> np.ndarray:
    """``x`` rounded half away from zero to ``decimals`` decimals."""
    scale = 10.0 ** decimals
    return np.sign(x) * np.floor(np.abs(x) * scale + 0.5) / scale
