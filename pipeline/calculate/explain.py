"""Where a value comes from: a result with its formula, inputs, raw file places, hashes and sources."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
from pydantic import BaseModel, ConfigDict

from pipeline.catalogue import Catalogue


class InputTrace(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: str
    variable: str
    name: str
    obs_year: int
    value: Decimal | None
    value_text: str | None
    unit: str | None
    status: str | None
    note: str | None
    file_id: str | None
    sheet: str | None
    row: int | None
    sha256: str | None
    source_id: str | None
    organisation: str | None
    dataset: str | None
    retrieved_on: date | None
    licence: str | None


class Explanation(BaseModel):
    """The lineage of one value, as data (``iso37120 explain --format json``)."""

    model_config = ConfigDict(frozen=True)

    indicator_uid: str
    indicator_id: str
    name_en: str
    city_code: str
    year: int
    value: Decimal | None
    value_text: str | None
    value_unrounded: float | None
    origin: str
    """computed (from the inputs) or reported (given by the city as a value, not computed)."""
    unit: str
    status: str
    reason: str | None
    flags: list[str]
    formula: str
    decimals: int
    sql: str
    numerator: Decimal | None
    denominator: Decimal | None
    multiplier: Decimal | None
    previous_value: Decimal | None
    inputs: list[InputTrace]


def explain(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, ref: str, city: str, year: int) -> Explanation:
    """Raise KeyError with a readable message when there is no such value. An id (``5.1``) that
    several editions use is the one of the city's first standard that has it."""
    found = con.execute("SELECT editions FROM cities WHERE city_code = ?", [city]).fetchall()
    ind = catalogue.get(ref, prefer=found[0][0] if found else ())
    row = con.execute(
        """SELECT r.value, r.value_text, r.value_unrounded, r.origin, r.unit, r.status, r.reason, r.flags, c.formula, r.decimals, c.sql,
                  r.numerator, r.denominator, r.multiplier, r.previous_value
           FROM results r JOIN calculations c USING (indicator_uid)
           WHERE r.indicator_uid = ? AND r.city_code = ? AND r.year = ?""", [ind.uid, city, year]).fetchall()
    if not row:
        years = [y for (y,) in con.execute("SELECT DISTINCT year FROM results WHERE city_code = ? ORDER BY 1", [city]).fetchall()]
        if not years:
            raise KeyError(f"no results for city {city!r} (run `iso37120 calculate` first, or check the code)")
        raise KeyError(f"no result of {ind.id} for {city} in {year}; the city has results for {', '.join(map(str, years))}")
    (value, value_text, unrounded, origin, unit, status, reason, flags, formula, decimals, sql, num, den, mult, prev) = row[0]
    step = Decimal(1).scaleb(-decimals)
    value, prev = (None if v is None else v.quantize(step) for v in (value, prev))
    traces = con.execute(
        """SELECT role, variable, obs_year, value, value_text, unit, status, note, file_id, sheet, row, sha256,
                  source_id, organisation, dataset, retrieved_on, licence
           FROM lineage WHERE indicator_uid = ? AND city_code = ? AND year = ?
           ORDER BY CASE role WHEN 'numerator' THEN 0 WHEN 'denominator' THEN 1 WHEN 'input' THEN 2 ELSE 3 END, variable, obs_year""",
        [ind.uid, city, year]).fetchall()
    inputs = [InputTrace(role=t[0], variable=t[1], name=catalogue.input_name(t[1]).en, obs_year=t[2], value=t[3],
                         value_text=t[4], unit=t[5], status=t[6], note=t[7], file_id=t[8], sheet=t[9], row=t[10],
                         sha256=t[11], source_id=t[12], organisation=t[13], dataset=t[14], retrieved_on=t[15],
                         licence=t[16]) for t in traces]
    return Explanation(indicator_uid=ind.uid, indicator_id=ind.id, name_en=ind.name.en, city_code=city, year=year,
                       value=value, value_text=value_text, value_unrounded=unrounded, origin=origin, unit=unit, status=status, reason=reason, flags=list(flags or []),
                       formula=formula, decimals=decimals, sql=sql, numerator=num, denominator=den, multiplier=mult,
                       previous_value=prev, inputs=inputs)


def _num(d: Decimal | None, decimals: int | None = None) -> str:
    if d is None:
        return "—"
    return format(d, f".{decimals}f") if decimals is not None else format(d.normalize(), "f")


def as_text(e: Explanation) -> str:
    """The lineage in sentences a person reads."""
    lines = [f"{e.indicator_id} {e.name_en} — city {e.city_code}, {e.year}"]
    if e.status == "reported":
        shown = e.value_text if e.value_text is not None else f"{_num(e.value, e.decimals)} {e.unit}"
        how = "reported" if e.origin == "computed" else "reported, not computed: the city gave the value itself"
        lines.append(f"Value: {shown} ({how}{'; flags: ' + ', '.join(e.flags) if e.flags else ''}).")
    else:
        lines.append(f"Status: {e.status.replace('_', ' ')} — {e.reason}.")
    lines.append(f"Formula: {e.formula}, rounded half away from zero to {e.decimals} decimal(s).")
    if e.numerator is not None and e.denominator is not None and e.multiplier is not None and e.status == "reported":
        lines.append(f"Computed: {_num(e.numerator)} / {_num(e.denominator)} × {_num(e.multiplier)} = {_num(e.value, e.decimals)}"
                     f" (unrounded {e.value_unrounded!r}).")
    if e.previous_value is not None:
        lines.append(f"Previous year: {_num(e.previous_value, e.decimals)} {e.unit}.")
    if e.inputs:
        lines.append("Inputs:")
    for i in e.inputs:
        val = i.value_text if i.value_text is not None else _num(i.value)
        where = f"{i.file_id}" + (f", sheet {i.sheet}" if i.sheet else "") + f", row {i.row}"
        lines.append(f"  - {i.role}: {i.variable} ({i.name}) for {i.obs_year} = {val} {i.unit or ''}"
                     + (f" [{i.status}]" if i.status else "") + (f" — note: {i.note}" if i.note else ""))
        lines.append(f"    from {where} (SHA-256 {i.sha256})")
        if i.source_id:
            lines.append(f"    source {i.source_id}: {i.organisation}, {i.dataset}; retrieved {i.retrieved_on}; licence {i.licence}")
    return "\n".join(lines)
