"""What the site's pages show, read from the build's store in a few set-based queries.

Every query is one ``GROUP BY`` or one ordered scan over all cities (or over a batch of cities for
the city pages), never one query per city or per indicator; every ``ORDER BY`` is over a full key,
so the same store gives the same pages. User values reach SQL only as parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb

from pipeline.catalogue import Catalogue
from pipeline.catalogue.models import Indicator
from pipeline.dossier.queries import is_text, rounded
from pipeline.site.cells import input_cells_sql, value_cells_sql


@dataclass(frozen=True)
class Quartiles:
    """One year of an indicator across the cities that reported a number. The lowest and highest
    are values as published, with their own decimals; the quartiles are interpolated and shown
    with the decimals most of that year's values are published with."""

    year: int
    cities: int
    min: Decimal | None
    min_decimals: int
    p25: Decimal | None
    median: Decimal | None
    p75: Decimal | None
    decimals: int
    max: Decimal | None
    max_decimals: int


@dataclass(frozen=True)
class CityValue:
    """One city's value of an indicator in the latest year (a row of the indicator's table)."""

    code: str
    name_en: str
    name_pl: str
    value: str | None
    """As stored, as text (``12.3400000000``): :func:`fixed` shows it with its decimals."""
    value_text: str | None
    decimals: int
    status: str
    flags: tuple[str, ...]
    reason_code: str | None


@dataclass
class IndicatorData:
    indicator: Indicator
    text: bool
    years: list[Quartiles] = field(default_factory=list)
    latest: list[CityValue] = field(default_factory=list)


QUARTILES_SQL = """
SELECT indicator_uid, year, count(value) AS n, min(value) AS lo, arg_min(decimals, (value, city_code)) AS lo_decimals,
       quantile_cont(value, [0.25, 0.5, 0.75]) AS q, mode(decimals ORDER BY decimals) AS decimals,
       max(value) AS hi, arg_max(decimals, (value, city_code)) AS hi_decimals
FROM results
WHERE status = 'reported' AND value IS NOT NULL
GROUP BY indicator_uid, year
ORDER BY indicator_uid, year
"""

LATEST_SQL = """
SELECT r.indicator_uid, r.city_code, c.name_en, c.name_pl, CAST(r.value AS VARCHAR), r.value_text, r.decimals, r.status,
       coalesce(r.flags, []) AS flags, r.reason_code
FROM results r JOIN cities c USING (city_code)
WHERE r.year = $latest
ORDER BY r.indicator_uid, r.city_code
"""


def indicators(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, wanted: list[Indicator], latest: int | None,
               batch: int) -> Iterator[list[IndicatorData]]:
    """The ``wanted`` indicators, ``batch`` at a time in the order of their uids: each one's
    quartiles per year and every city's value in the latest year (one ordered scan, cut into
    indicators: a national release's latest values are never held at once)."""
    out = {i.uid: IndicatorData(i, is_text(i, catalogue)) for i in sorted(wanted, key=lambda i: i.uid)}
    for uid, year, n, lo, lo_decimals, q, decimals, hi, hi_decimals in con.execute(QUARTILES_SQL).fetchall():
        d = out.get(uid)
        if d is None or d.text:
            continue
        p25, median, p75 = (rounded(Decimal(str(x)), decimals) if x is not None else None for x in q)
        d.years.append(Quartiles(year, n, lo, lo_decimals, p25, median, p75, decimals, hi, hi_decimals))
    rows = _rows(con, LATEST_SQL, {"latest": latest}) if latest is not None else iter(())
    head = next(rows, None)
    done: list[IndicatorData] = []
    for uid, d in out.items():
        while head is not None and head[0] <= uid:
            if head[0] == uid:
                _, code, en, pl, value, text, decimals, status, flags, reason = head
                d.latest.append(CityValue(code, en, pl, value, text, decimals, status, tuple(flags), reason))
            head = next(rows, None)
        done.append(d)
        if len(done) == batch:
            yield done
            done = []
    if done:
        yield done


# --- the city pages: one ordered scan per table, cut into cities --------------------------------

CITY_SQL = {
    "city": """SELECT city_code, name_en, name_pl, country, editions, currency, folder, file_id FROM cities ORDER BY city_code""",
    "certification": """SELECT city_code, edition, year, level, core_reported, core_defined, total_reported, total_defined
                        FROM certification ORDER BY city_code, edition, year""",
    "files": """SELECT o.city_code, f.file_id, f.sha256, f.bytes, count(*) AS rows
                FROM observations o JOIN input_files f USING (file_id)
                GROUP BY ALL ORDER BY o.city_code, f.file_id""",
    "sources": """SELECT DISTINCT o.city_code, s.source_id, s.organisation, s.dataset, s.url, s.retrieved_on, s.licence,
                         s.quality_class
                  FROM observations o JOIN sources s ON s.folder = o.folder AND s.source_id = o.source_id
                  ORDER BY o.city_code, s.source_id""",
    "years": """SELECT city_code, year FROM (SELECT DISTINCT city_code, year FROM results
                                         UNION SELECT DISTINCT city_code, year FROM observations)
                ORDER BY city_code, year""",
    "findings": """SELECT city_code, severity, accepted, rule_id, year, coalesce(indicator_uid, variable) AS target,
                          message, message_id, message_args
                   FROM findings WHERE city_code IS NOT NULL
                   ORDER BY city_code, accepted, severity, rule_id, year NULLS FIRST, target NULLS FIRST, message""",
}
"""Each table's rows of every city, ordered by city first."""


CHUNK = 20_000


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> Iterator[tuple]:
    cur = con.cursor()  # a cursor each: the tables are read side by side
    try:
        cur.execute(sql, params)
        while chunk := cur.fetchmany(CHUNK):
            yield from chunk
    finally:
        cur.close()


def cities(con: duckdb.DuckDBPyConnection, langs: list[str], batch: int) -> Iterator[list[tuple[str, dict[str, list[tuple]]]]]:
    """Every city in code order, ``batch`` cities at a time, with its rows of each query of
    :data:`CITY_SQL` (one ordered scan each, whatever the number of cities) and its cells of values
    and inputs (:mod:`pipeline.site.cells`, one query per batch), without the city code."""
    streams = {table: _rows(con, sql, {}) for table, sql in CITY_SQL.items()}
    heads: dict[str, tuple | None] = {t: next(s, None) for t, s in streams.items()}
    cells = {"values": value_cells_sql(langs), "inputs": input_cells_sql(langs)}
    done: list[tuple[str, dict[str, list[tuple]]]] = []
    while heads["city"] is not None:
        code = heads["city"][0]
        got: dict[str, list[tuple]] = {}
        for table, stream in streams.items():
            rows = []
            head = heads[table]
            while head is not None and head[0] <= code:
                if head[0] == code:
                    rows.append(head[1:])
                head = next(stream, None)
            heads[table] = head
            got[table] = rows
        done.append((code, got))
        if len(done) == batch or heads["city"] is None:
            by_code = {c: g for c, g in done}
            for table, (sql, params) in cells.items():
                for g in by_code.values():
                    g[table] = []
                for row in con.execute(sql, {**params, "first": done[0][0], "last": done[-1][0]}).fetchall():
                    by_code[row[0]][table].append(row[1:])
            yield done
            done = []


def fixed(text: str | None, decimals: int) -> str | None:
    """A stored value's text (``12.3400000000``) with exactly ``decimals`` decimals (``12.34``):
    the value is already rounded to them."""
    if text is None:
        return None
    dot = text.find(".")
    if dot < 0:
        return text + ("." + "0" * decimals if decimals else "")
    return text[:dot + 1 + decimals] if decimals else text[:dot]


def local(text: str | None, lang: str) -> str:
    """A plain number's text as the language writes it, as :func:`pipeline.dossier.i18n.number`
    does (``1,234.5`` in English; ``1234,5`` and ``12\u00a0345,5`` in Polish; a minus sign)."""
    if text is None:
        return "—"
    sign = ""
    if text.startswith("-"):
        sign, text = "−", text[1:]
    whole, _, frac = text.partition(".")
    if lang == "pl":
        return sign + (_group(whole, "\u00a0") if len(whole) > 4 else whole) + ("," + frac if frac else "")
    return sign + (_group(whole, ",") if len(whole) > 3 else whole) + ("." + frac if frac else "")


def _group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    return sep.join([digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)])
