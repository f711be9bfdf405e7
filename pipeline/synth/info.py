"""What :func:`pipeline.synth.generate` (or :func:`pipeline.synth.write_sample_city`) wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.synth.broken import BrokenRow
from pipeline.synth.simulate import Simulation


@dataclass
class GeneratedInfo:
    """What :func:`pipeline.synth.generate` (or :func:`pipeline.synth.write_sample_city`) wrote."""

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
