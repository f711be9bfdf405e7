"""Synthetic inputs: realistic, internally consistent raw folders for tests, benchmarks and the sample.

:func:`generate` writes N cities × Y years of inputs covering every variable of the registry, one
folder per city or one folder holding all of them, optionally with a known number of deliberately
broken rows; :func:`write_sample_city` writes the shipped, fictional sample city
(``data/raw/zielonogrod``). How each variable is generated is data (``profile.yaml``: a range, a
rate per resident, a share, a sum, a lag… with a yearly trend and noise); parts add up exactly to
their whole, no part exceeds it, whole numbers are whole, and the figures are drawn so that the
indicators the project's own calculation (:mod:`pipeline.calculate`) gives from them stay within
their checks, except where an intended shift or a note explains a change.

Deterministic: the same catalogue, profile, arguments and seed give the same bytes; each variable
draws from its own stream, so city *i* gets the same figures whatever the number of cities after it.

The modules, one job each: :mod:`~pipeline.synth.rules`, :mod:`~pipeline.synth.profile` (the
profile); :mod:`~pipeline.synth.streams`, :mod:`~pipeline.synth.engine`,
:mod:`~pipeline.synth.abroad`, :mod:`~pipeline.synth.simulate` (the figures);
:mod:`~pipeline.synth.calculation`, :mod:`~pipeline.synth.checks` (the indicators and their
checks); :mod:`~pipeline.synth.names` (city codes and names); :mod:`~pipeline.synth.xlsx`,
:mod:`~pipeline.synth.csvfiles`, :mod:`~pipeline.synth.yamlwrite` (file writers);
:mod:`~pipeline.synth.broken`, :mod:`~pipeline.synth.observations`, :mod:`~pipeline.synth.info`,
:mod:`~pipeline.synth.generate` (generated folders); :mod:`~pipeline.synth.styles`,
:mod:`~pipeline.synth.sample`, :mod:`~pipeline.synth.sample_readme` (the sample city).
"""

from pipeline.synth.broken import BROKEN_RULES, BrokenRow
from pipeline.synth.generate import LAYOUTS, generate
from pipeline.synth.info import GeneratedInfo
from pipeline.synth.names import SimCity, city_code
from pipeline.synth.profile import Profile, ProfileError, load_profile, parts_sum_splits
from pipeline.synth.sample import write_sample_city
from pipeline.synth.simulate import Simulation, simulate

__all__ = ["BROKEN_RULES", "LAYOUTS", "BrokenRow", "GeneratedInfo", "Profile", "ProfileError", "SimCity", "Simulation",
           "city_code", "generate", "load_profile", "parts_sum_splits", "simulate", "write_sample_city"]
