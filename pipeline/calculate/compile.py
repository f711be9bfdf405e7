"""Indicator definitions compiled to DuckDB SQL: one SELECT per indicator, for all cities and years.

Each SELECT reads the ``calculation_keys`` table (every city and year with observations, and the edition the
city reports against) and joins, for each input variable, its observation in the reference year
(and in the year before, for ``previous()``). It yields the unrounded value, numerator and
denominator, and the list of inputs with their status, note and source; :func:`rounded` adds each
value's decimals and the rounded value over many SELECTs at once, and :mod:`pipeline.calculate`
derives status, reason, flags and lineage in one pass.

Arithmetic is done in DOUBLE (IEEE 754), the result fixed to 12 decimals and then rounded half
away from zero, in DECIMAL, to the value's decimals: the indicator's ``decimals``, more where a
value below 1 needs them to keep ``significant_digits``, and for a value reported directly the
decimals its input was written with. The same inputs give the same digits on every run.

A city may also give an indicator's value as reported (an observation whose ``variable`` is the
indicator's uid); the SELECT joins it too, and :mod:`pipeline.calculate` uses it where the value
cannot be computed from the inputs.
"""

from __future__ import annotations

from pipeline.catalogue.formula import indicator_formula, render, uses_previous
from pipeline.catalogue.models import Indicator, Ratio, Variable, VariableKind
from pipeline.store import literal


REPORTED_TYPE = ("STRUCT(value DECIMAL(38, 10), value_text VARCHAR, decimals INTEGER, status VARCHAR, note VARCHAR, "
                 "source_id VARCHAR)")
"""The value given as reported, where one is (else NULL)."""

MAX_DECIMALS = 10
"""The scale of values in the store (``results.value`` is DECIMAL(38, 10))."""

OBSERVATION_COLUMNS = ("city_code", "year", "variable", "value", "value_text", "status", "note", "source_id", "decimals")
"""The columns of ``observations`` the SELECTs read."""



def compile_indicator(ind: Indicator, variables: dict[str, Variable], reported: bool = True) -> str:
    """The SELECT of one indicator; ``reported``: whether the store holds values given as reported
    for it (without any, the join that reads them is left out)."""
    calc = ind.calculation
    used = ind.variables
    prev = set(uses_previous(calc.expression)) if calc.kind == "expression" else set()
    alias = {v: f"o{n}" for n, v in enumerate(used)}
    palias = {v: f"p{n}" for n, v in enumerate(used) if v in prev}

    joins = []
    for v in used:
        joins.append(f"LEFT JOIN observations {alias[v]} ON {alias[v]}.city_code = k.city_code "
                     f"AND {alias[v]}.year = k.year AND {alias[v]}.variable = {literal(v)}")
        if v in palias:
            joins.append(f"LEFT JOIN observations {palias[v]} ON {palias[v]}.city_code = k.city_code "
                         f"AND {palias[v]}.year = k.year - 1 AND {palias[v]}.variable = {literal(v)}")

    is_text = calc.kind == "direct" and variables[calc.variable].kind is VariableKind.text
    if is_text:
        raw, text = "CAST(NULL AS DOUBLE)", f"{alias[calc.variable]}.value_text"
    else:
        raw = render(indicator_formula(ind), lambda v: f"CAST({alias[v]}.value AS DOUBLE)",
                     lambda v: f"CAST({palias[v]}.value AS DOUBLE)")
        text = "CAST(NULL AS VARCHAR)"

    def role(v: str) -> str:
        if isinstance(calc, Ratio):
            return "numerator" if v == calc.numerator else "denominator"
        if calc.kind == "expression":
            return "numerator" if v == calc.numerator else "denominator" if v == calc.denominator else "input"
        return "input"

    def entry(a: str, v: str, year: str, r: str) -> str:
        return (f"{{'variable': {literal(v)}, 'role': {literal(r)}, 'obs_year': {year}, 'found': {a}.city_code IS NOT NULL, "
                f"'value': {a}.value, 'status': {a}.status, 'note': {a}.note, 'source_id': {a}.source_id}}")

    inputs = [entry(alias[v], v, "k.year", role(v)) for v in used]
    inputs += [entry(palias[v], v, "k.year - 1", "previous") for v in used if v in palias]
    num_var = getattr(calc, "numerator", None)
    den_var = getattr(calc, "denominator", None)
    numerator = f"{alias[num_var]}.value" if num_var else "CAST(NULL AS DECIMAL(38, 10))"
    denominator = f"{alias[den_var]}.value" if den_var else "CAST(NULL AS DECIMAL(38, 10))"
    multiplier = f"CAST({format(calc.multiplier.normalize(), 'f')} AS DECIMAL(38, 10))" if isinstance(calc, Ratio) else "CAST(NULL AS DECIMAL(38, 10))"

    if calc.kind == "direct" and not is_text:  # the decimals its input was written with
        written, significant = f"{alias[calc.variable]}.decimals", "NULL::INTEGER"
    else:
        written, significant = "NULL::INTEGER", str(ind.significant_digits)
    if reported:
        joins.append(f"LEFT JOIN observations rp ON rp.city_code = k.city_code AND rp.year = k.year AND rp.variable = {literal(ind.uid)}")
        rp = ("CASE WHEN rp.city_code IS NOT NULL THEN {'value': rp.value, 'value_text': rp.value_text, 'decimals': rp.decimals, "
              "'status': rp.status, 'note': rp.note, 'source_id': rp.source_id} END AS reported")
    else:
        rp = f"NULL::{REPORTED_TYPE} AS reported"
    return (
        f"SELECT k.city_code, {literal(ind.uid)} AS indicator_uid, k.year,\n"
        f"       {raw} AS raw, {written} AS input_decimals, {ind.decimals} AS base_decimals, {significant} AS significant,\n"
        f"       {text} AS value_text,\n"
        f"       {numerator} AS numerator, {denominator} AS denominator, {multiplier} AS multiplier,\n"
        f"       [{', '.join(inputs)}] AS inputs,\n"
        f"       {rp}\n"
        f"FROM calculation_keys k\n" + "\n".join(joins) + f"\nWHERE k.edition = {literal(ind.edition)}"
    )


_ROUNDED = " ".join(f"WHEN {d} THEN CAST(round(CAST(raw AS DECIMAL(38, 12)), {d}) AS DECIMAL(38, {MAX_DECIMALS}))"
                    for d in range(MAX_DECIMALS + 1))


def rounded(selects: list[str]) -> str:
    """The SELECTs of :func:`compile_indicator`, together, with each value's decimals and the value
    rounded to them: the indicator's ``decimals``; below 1 in magnitude at least ``significant``
    digits; for a value reported directly the decimals its input was written with. Done once over
    the rows of all the SELECTs (raw is read as a column, never computed twice)."""
    union = "\nUNION ALL\n".join(f"({sql})" for sql in selects)
    return f"""SELECT *, CASE value_decimals {_ROUNDED} END AS rounded FROM (
SELECT *, CASE WHEN NOT (isfinite(raw) AND abs(raw) < 1e25) THEN NULL
               WHEN significant IS NULL THEN least({MAX_DECIMALS}, coalesce(input_decimals, base_decimals))
               WHEN raw = 0 OR abs(raw) >= 1 THEN base_decimals
               ELSE least({MAX_DECIMALS}, greatest(base_decimals, significant - 1 - CAST(floor(log10(abs(raw))) AS INTEGER)))
          END AS value_decimals
FROM (
{union}))"""
