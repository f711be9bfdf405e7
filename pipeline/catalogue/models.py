"""Typed definitions of the catalogue: editions, themes, variables, indicators.

These models are the public contract of the YAML files under ``indicators/``; their JSON Schemas
are generated into ``schemas/`` (``iso37120 schemas``). Everything forbids unknown keys, so a
misspelt field is an error and not a silently ignored line.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SLUG = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
VARIABLE_ID = r"^[a-z][a-z0-9_]*$"
INDICATOR_ID = r"^(?:[0-9]{1,2}\.[0-9]{1,2}(?:\.[0-9]{1,2})?|P[0-9]{2}-[A-Z]{1,3}-[0-9]{2})$"
"""A clause number (``5.1``, or ``5.9.1`` under a clause), or a local profile id (``P01-P-01``)."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Text(Strict):
    """A text in English and Polish."""

    en: str = Field(min_length=1)
    pl: str = Field(min_length=1)


class Tier(StrEnum):
    core = "core"
    supporting = "supporting"
    profile = "profile"
    """Data about the city, not an indicator; never counted towards a certification level."""
    indicator = "indicator"
    """An indicator of a standard that does not split its indicators into core and supporting
    (ISO 37122, ISO 37123)."""


class TierBasis(StrEnum):
    """Where an indicator's tier comes from."""

    confirmed = "confirmed"
    """Stated in the standard's text, or in public material that quotes it."""
    inferred = "inferred"
    """Inferred (from the previous edition, the order of the list): certification levels computed
    on it must say so. A city that holds the standard's text corrects it in the definition."""


class Confidence(StrEnum):
    """How well public material supports a definition's title and calculation."""

    high = "high"
    medium = "medium"
    low = "low"


class Severity(StrEnum):
    """How a finding weighs: an error blocks the release unless accepted, a warning is shown and
    needs a look, information is shown."""

    error = "error"
    warning = "warning"
    information = "information"


class VariableKind(StrEnum):
    """What a variable measures; it decides which values are admissible."""

    count = "count"
    """A number of things or people: a non-negative whole number."""
    quantity = "quantity"
    """A non-negative physical quantity (kWh, tonnes, m², km, hours, litres, µg/m³)."""
    money = "money"
    """An amount of money in the unit given (a currency code, or LCU for the city's currency)."""
    share = "share"
    """A percentage between 0 and 100."""
    measure = "measure"
    """A measurement that may be negative (temperature, change)."""
    text = "text"
    """A fact in words (type of government, climate type); never calculated with."""

    @property
    def non_negative(self) -> bool:
        return self in {VariableKind.count, VariableKind.quantity, VariableKind.share}


class Provider(Strict):
    """A kind of organisation that typically supplies some of the variables."""

    id: Annotated[str, Field(pattern=SLUG)]
    name: Text


class Variable(Strict):
    """An input figure a city collects; shared by every indicator that uses it."""

    id: Annotated[str, Field(pattern=VARIABLE_ID)]
    """Stable identifier used in the observation files (``variable`` column)."""
    name: Text
    unit: str = Field(min_length=1)
    """The unit values must be given in. ``LCU`` stands for the city's own currency."""
    kind: VariableKind
    description: Text
    """What is counted or measured, over which period and boundary."""
    provider: str
    """Id of the provider (see ``providers.yaml``) that usually supplies it."""
    not_above: str | None = None
    """Id of a variable this one is a part of, so it can never exceed it."""
    integer: bool = False
    """Values must be whole numbers (counts of persons, objects, events). Leave it false for counts
    that are legitimately fractional: full-time equivalents, survey-weighted or modelled estimates,
    counts derived by multiplication. A figure with status ``estimated`` may be fractional anyway."""


class Ratio(Strict):
    """``numerator / denominator × multiplier``."""

    kind: Literal["ratio"]
    numerator: str
    denominator: str
    multiplier: Decimal = Decimal(1)

    @field_validator("multiplier")
    @classmethod
    def _positive(cls, v: Decimal) -> Decimal:
        if v <= 0:
            raise ValueError("multiplier must be positive")
        return v


class Direct(Strict):
    """The value of one variable, reported as it is (life expectancy, a concentration)."""

    kind: Literal["direct"]
    variable: str


class Expression(Strict):
    """A small arithmetic formula over declared variables.

    Allowed: variable ids, numbers, ``+ - * /``, parentheses, ``abs``, ``round``, ``least``,
    ``greatest``, ``nullif``, ``coalesce``, and ``previous(variable)`` for the variable's value in
    the year before. Nothing else is accepted (see :mod:`pipeline.catalogue.formula`).
    """

    kind: Literal["expression"]
    expression: str = Field(min_length=1)
    numerator: str | None = None
    """Optionally, the variable to show as numerator in the dossier."""
    denominator: str | None = None
    """Optionally, the variable to show as denominator in the dossier."""


Calculation = Annotated[Union[Ratio, Direct, Expression], Field(discriminator="kind")]


class _Check(Strict):
    severity: Severity | None = None
    """The severity of a finding; left out, the check kind's default (see the README)."""


class _Bounds(_Check):
    min: Decimal | None = None
    max: Decimal | None = None

    @model_validator(mode="after")
    def _bounds(self):
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class RangeCheck(_Bounds):
    """The plausible range of the value (either bound may be left open). A value outside it is a
    warning by default, shown as information when a note on an input explains it."""

    kind: Literal["range"]


class LimitsCheck(_Bounds):
    """The bounds outside which a value is impossible or absurd (an enrolment of thousands of per
    cent, hundreds of MWh per person): an error by default, which a note cannot explain."""

    kind: Literal["limits"]


class ShareBoundsCheck(_Check):
    """The numerator is a true part of the denominator: ``0 ≤ numerator ≤ denominator``. Declare it
    only where the standard defines a part of a whole counted on one basis; an error by default."""

    kind: Literal["share_bounds"]


class YearOverYearCheck(_Check):
    """How large a change against the previous year is plausible without an explanation.

    A change is implausible when it exceeds every bound given: with both, a small value may
    double (relative) as long as it moves little (absolute), and a large one may move many
    units as long as it changes little relatively."""

    kind: Literal["yoy_change"]
    max_relative: Decimal | None = Field(default=None, gt=0)
    """Largest plausible relative change, as a fraction (0.25 = ±25 %)."""
    max_absolute: Decimal | None = Field(default=None, gt=0)
    """Largest plausible absolute change, in the indicator's unit (percentage points for %)."""

    @model_validator(mode="after")
    def _one(self) -> YearOverYearCheck:
        if self.max_relative is None and self.max_absolute is None:
            raise ValueError("give max_relative, max_absolute or both")
        return self


class PartsSumCheck(_Check):
    """Indicators of one group split one whole: together they sum to ``total``."""

    kind: Literal["parts_sum"]
    group: Annotated[str, Field(pattern=SLUG)]
    total: Decimal = Decimal(100)
    tolerance: Decimal = Field(default=Decimal("0.5"), ge=0)


Check = Annotated[Union[RangeCheck, LimitsCheck, ShareBoundsCheck, YearOverYearCheck, PartsSumCheck],
                  Field(discriminator="kind")]


class Indicator(Strict):
    """One indicator of one edition of a standard."""

    id: Annotated[str, Field(pattern=INDICATOR_ID)]
    """The clause number in the standard (``5.1``), or our local id for profile data."""
    edition: Annotated[str, Field(pattern=SLUG)]
    theme: int | str
    """Theme number for indicators, and for profile items listed under a theme (ISO 37120:2018
    5.9.1); the profile category id for profile data listed apart (ISO 37120:2014 Annex A)."""
    tier: Tier
    tier_basis: TierBasis = TierBasis.confirmed
    """``inferred`` where the tier is not confirmed by the standard's text (see :class:`TierBasis`)."""
    confidence: Confidence = Confidence.high
    """How well public material supports the title and the calculation; ``low`` is shown as such."""
    name: Text
    unit: Text
    definition: Text
    """What the indicator measures, in our own words."""
    calculation: Calculation
    decimals: int = Field(default=2, ge=0, le=6)
    """Rounding rule: the value is rounded half away from zero to this many decimals, or to more
    where ``significant_digits`` asks for them. Fewer than 2 needs ``decimals_reason``. A value
    reported directly (``direct``) keeps the decimals its input was written with."""
    decimals_reason: Text | None = None
    """Why the value is published with fewer than 2 decimals (a count, whole currency units)."""
    significant_digits: int = Field(default=4, ge=1, le=8)
    """A value below 1 in magnitude keeps at least this many significant digits (0.02345, not
    0.02), so that small magnitudes keep their meaning."""
    checks: list[Check] = Field(default_factory=list)
    notes: Text | None = None
    """Interpretation notes, known deviations, what the standard leaves open."""

    @property
    def uid(self) -> str:
        """Stable node id, unique across editions: ``iso37120-2014:5.1``."""
        return f"{self.edition}:{self.id}"

    @property
    def slug(self) -> str:
        """Id safe in URLs and portal slugs: ``iso37120-2014-5-1``."""
        return re.sub(r"[^a-z0-9]+", "-", self.uid.lower()).strip("-")

    @property
    def variables(self) -> list[str]:
        """The input variables the calculation uses, in order of first use."""
        from pipeline.catalogue.formula import expression_variables

        c = self.calculation
        if isinstance(c, Ratio):
            return [c.numerator, c.denominator]
        if isinstance(c, Direct):
            return [c.variable]
        return expression_variables(c.expression)

    @property
    def multiplier(self) -> Decimal | None:
        return self.calculation.multiplier if isinstance(self.calculation, Ratio) else None


class Theme(Strict):
    number: int = Field(ge=1)
    id: Annotated[str, Field(pattern=SLUG)]
    name: Text


class ProfileCategory(Strict):
    id: Annotated[str, Field(pattern=SLUG)]
    code: str = Field(pattern=r"^[A-Z]{1,3}$")
    """The letters used in local profile ids (``P`` in ``P14-P-01``)."""
    name: Text


class CertificationLevel(Strict):
    """A WCCD level: reached when the counts reach these minimums."""

    id: Annotated[str, Field(pattern=SLUG)]
    name: Text
    min_total: int = Field(ge=0)
    """Least number of core + supporting indicators reported."""
    min_core: int = Field(ge=0)
    """Least number of core indicators reported."""


class Edition(Strict):
    """One edition of a standard: its themes, profile categories and certification levels."""

    id: Annotated[str, Field(pattern=SLUG)]
    standard: str
    year: int
    title: Text
    themes: list[Theme]
    profile_categories: list[ProfileCategory] = Field(default_factory=list)
    certification_levels: list[CertificationLevel] = Field(default_factory=list)
    """Ordered from the lowest level to the highest."""
    default: bool = False
    """The standard a city reports when its ``city.yaml`` names none (one edition of a catalogue at
    most; a catalogue of one edition has it as its default anyway)."""


class VariableRegistry(Strict):
    """``indicators/variables.yaml``: every input variable, declared once."""

    variables: list[Variable]


class ProviderRegistry(Strict):
    """``indicators/providers.yaml``: the kinds of organisations that supply data."""

    providers: list[Provider]
