"""The tables of the bundle, read from the store, and their tidy CSV form.

Rows hold typed values (``Decimal``, ``int``, ``date``, ``str``, ``None``), keyed by the names of
:mod:`pipeline.publish.fields`. The CSV is RFC 4180: UTF-8 without BOM, comma separator, CRLF
line ends, one header, ``.`` decimals and no thousands separators; an empty cell is a missing
value. Text cells that a spreadsheet would run as a formula are neutralised (OWASP: a leading
apostrophe); numbers are never touched.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import duckdb

from pipeline.catalogue import Catalogue
from pipeline.publish.fields import INDICATOR_INPUTS, INDICATORS, OBSERVATIONS, SOURCES, FieldSpec, TableSpec

Row = dict[str, object]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LCU = re.compile(r"\bLCU\b")


class PublishError(Exception):
    """The store does not hold what the bundle needs (a bug upstream, not a problem of the inputs)."""


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> list[Row]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def currency(unit: str | None, code: str) -> str | None:
    """The catalogue's ``LCU`` (the city's currency) written as the city's ISO 4217 code."""
    return LCU.sub(code, unit) if unit else unit


def indicator_rows(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> list[Row]:
    """``indicators.csv``: every result, with the catalogue's names, sorted by city, the standard's order and year."""
    position = {uid: n for n, uid in enumerate(catalogue.indicators)}
    currencies = dict(con.execute("SELECT city_code, currency FROM cities").fetchall())
    rows = []
    for r in _fetch(con, """SELECT city_code, indicator_uid, indicator_id, edition, year, value, value_text, unit,
                                   numerator, denominator, multiplier, status, decimals, reason_code, reason,
                                   flags, source_ids
                            FROM results"""):
        ind = catalogue.indicators.get(r["indicator_uid"])
        if ind is None:
            raise PublishError(f"the store holds results of {r['indicator_uid']}, which is not in the catalogue; "
                               "publish with the catalogue the store was calculated with")
        theme = catalogue.theme_names[(ind.edition, ind.theme)]
        reported = r["status"] == "reported"
        rows.append({
            "city_code": r["city_code"], "indicator_id": r["indicator_id"], "year": r["year"],
            "value": r["value"] if reported else None,
            "value_text": r["value_text"] if reported else None,
            "unit": currency(r["unit"], currencies[r["city_code"]]), "status": r["status"], "reason_code": r["reason_code"], "reason": r["reason"],
            "flags": " ".join(r["flags"] or []) or None,
            "numerator": r["numerator"], "denominator": r["denominator"], "multiplier": r["multiplier"],
            "decimals": r["decimals"],
            "source_ids": " ".join(r["source_ids"] or []) or None,
            "edition": r["edition"], "indicator_uid": r["indicator_uid"], "theme": str(ind.theme),
            "theme_name_en": theme.en, "theme_name_pl": theme.pl, "tier": ind.tier.value,
            "name_en": ind.name.en, "name_pl": ind.name.pl, "unit_pl": currency(ind.unit.pl, currencies[r["city_code"]]),
            "_position": position[r["indicator_uid"]],
        })
    rows.sort(key=lambda x: (x["city_code"], x["_position"], x["year"]))
    for x in rows:
        del x["_position"]
    return rows


def source_rows(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """``sources.csv``: the source register of every city (a folder's register serves each of its cities)."""
    return _fetch(con, """SELECT c.city_code, s.source_id, s.organisation, s.dataset, s.url, s.retrieved_on, s.licence,
                                 s.quality_class, s.origin, s.file_id, s.row
                          FROM sources s JOIN cities c USING (folder)
                          ORDER BY c.city_code, s.source_id""")


def observation_rows(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """``observations.csv``: every input figure with its file place and the file's SHA-256."""
    rows = _fetch(con, """SELECT o.city_code, o.year, o.variable, o.value, o.value_text, o.unit, o.source_id, o.status,
                                 o.note, o.file_id, o.sheet, o.row, f.sha256, c.currency
                          FROM observations o JOIN input_files f USING (file_id) JOIN cities c USING (city_code)
                          ORDER BY o.city_code, o.year, o.variable""")
    for r in rows:
        r["unit"] = currency(r["unit"], r.pop("currency"))
    return rows


def input_rows(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """``indicator_inputs.csv``: which observation fed which value."""
    return _fetch(con, """SELECT ri.city_code, r.indicator_id, ri.year, ri.role, ri.variable, ri.obs_year
                          FROM result_inputs ri JOIN results r USING (city_code, indicator_uid, year)
                          ORDER BY ri.city_code, r.indicator_id, ri.year, ri.variable, ri.obs_year""")


def read_tables(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> dict[str, list[Row]]:
    """Every table of the bundle, by table name, checked against its specification."""
    tables = {
        INDICATORS.name: indicator_rows(con, catalogue),
        SOURCES.name: source_rows(con),
        OBSERVATIONS.name: observation_rows(con),
        INDICATOR_INPUTS.name: input_rows(con),
    }
    for spec in (INDICATORS, SOURCES, OBSERVATIONS, INDICATOR_INPUTS):
        check(spec, tables[spec.name])
    return tables


def check(spec: TableSpec, rows: list[Row]) -> None:
    """The rows have the spec's columns, its required cells, enumerations and a unique primary key."""
    seen: set[tuple] = set()
    for r in rows:
        if list(r) != spec.names:
            raise PublishError(f"{spec.name}: columns {list(r)} differ from the specification {spec.names}")
        for f in spec.fields:
            v = r[f.name]
            if v is None and f.required:
                raise PublishError(f"{spec.name}: {f.name} is empty in {_key(spec, r)}")
            if v is not None and f.enum and not all(t in f.enum for t in (v.split(f.separator) if f.separator else [v])):
                raise PublishError(f"{spec.name}: {f.name} = {v!r} is not one of {', '.join(f.enum)} in {_key(spec, r)}")
        key = _key(spec, r)
        if key in seen:
            raise PublishError(f"{spec.name}: the key {key} is not unique")
        seen.add(key)


def _key(spec: TableSpec, r: Row) -> tuple:
    return tuple(r[k] for k in spec.primary_key)


# --- CSV ----------------------------------------------------------------------------------------


def plain_number(d: Decimal | int, decimals: int | None = None) -> str:
    """A number as a plain decimal: ``.`` point, no exponent, no thousands separator, no ``-0``."""
    if isinstance(d, int):
        return str(d)
    if decimals is not None:
        d = d.quantize(Decimal(1).scaleb(-decimals))
    elif d == d.to_integral_value():
        d = d.quantize(Decimal(1))
    else:
        d = d.normalize()
    if d == 0:
        d = abs(d)
    return format(d, "f")


def neutralise(text: str) -> str:
    """OWASP's defence against CSV formula injection: a leading apostrophe on a text a spreadsheet would run."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(spec: FieldSpec, value: object, row: Row) -> str:
    if value is None:
        return ""
    if spec.type == "number":
        places = row[spec.decimals_from] if spec.decimals_from else None
        return plain_number(value if isinstance(value, Decimal) else Decimal(str(value)), places)  # type: ignore[arg-type]
    if spec.type == "integer":
        return str(int(value))  # type: ignore[call-overload]
    if spec.type == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    return neutralise(str(value))


def to_csv(spec: TableSpec, rows: list[Row]) -> bytes:
    """The table as RFC 4180 CSV bytes."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=",", quotechar='"', doublequote=True, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    w.writerow(spec.names)
    for r in rows:
        w.writerow([cell(f, r[f.name], r) for f in spec.fields])
    return buf.getvalue().encode("utf-8")


__all__ = ["PublishError", "Row", "check", "neutralise", "plain_number", "read_tables", "to_csv"]
