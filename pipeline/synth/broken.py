"""Rows broken on purpose (:func:`pipeline.synth.generate` with ``broken_share``): each breaks one
ingest rule, so ingest must report exactly one problem for it, and the list of them is the
problems ingest must find."""

from __future__ import annotations

from dataclasses import dataclass


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


BROKEN_RULES = ("unknown_variable", "not_a_number", "unit_mismatch", "not_whole_number", "unknown_source",
                "ambiguous_separator", "missing_value", "duplicate_observation")
"""The kinds of broken rows :func:`pipeline.synth.generate` injects, in turn; each gives exactly one problem."""


def corrupt(rule: str, var_id: str, value: str, unit: str) -> dict[str, str]:
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


def first_not_in(taken: dict[int, str], k: int, n: int) -> list[int]:
    """The first ``k`` row positions below ``n`` that are not in ``taken``."""
    out, p = [], 0
    while len(out) < k and p < n:
        if p not in taken:
            out.append(p)
        p += 1
    return out


def with_mark(value: str, mark: str) -> str:
    """A number written with a decimal mark (``,`` or ``.``) and at least one decimal, never as a
    lone group (three decimals get a fourth): the same figure, evidence of the file's marks."""
    whole, _, frac = value.partition(".")
    frac = frac or "0"
    if len(frac) == 3:
        frac += "0"
    return f"{whole}{mark}{frac}"
