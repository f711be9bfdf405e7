"""What the site's pages show, read from the build's store in a few set-based queries.

Every query is one ``GROUP BY`` or one ordered scan over all cities (or over a batch of cities for
the city pages), never one query per city or per indicator; every ``ORDER BY`` is over a full key,
so the same store gives the same pages. User values reach SQL only as parameters.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb

from pipeline.catalogue import Catalogue
from pipeline.catalogue.models import Indicator
from pipeline.dossier.queries import is_text, rounded


@dataclass(frozen=True)
class Quartiles:
    """One year of an indicator across the cities that reported a number."""

    year: int
    cities: int
    min: Decimal | None
    p25: Decimal | None
    median: Decimal | None
    p75: Decimal | None
    max: Decimal | None


@dataclass(frozen=True)
class CityValue:
    """One city's value of an indicator in the latest year (a row of the indicator's table)."""

    code: str
    name_en: str
    name_pl: str
    value: Decimal | None
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
SELECT indicator_uid, year, count(value) AS n, min(value) AS lo, quantile_cont(value, [0.25, 0.5, 0.75]) AS q,
       max(value) AS hi, max(decimals) AS decimals
FROM results
WHERE status = 'reported' AND value IS NOT NULL
GROUP BY indicator_uid, year
ORDER BY indicator_uid, year
"""

LATEST_SQL = """
SELECT r.indicator_uid, r.city_code, c.name_en, c.name_pl, r.value, r.value_text, r.decimals, r.status,
       coalesce(r.flags, []) AS flags, r.reason_code
FROM results r JOIN cities c USING (city_code)
WHERE r.year = $latest
ORDER BY r.indicator_uid, r.city_code
"""


def indicators(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, latest: int | None) -> list[IndicatorData]:
    """Every indicator of the standards the cities report, in the catalogue's order: its quartiles
    per year and every city's value in the latest year."""
    editions = {e for (e,) in con.execute("SELECT DISTINCT unnest(editions) FROM cities").fetchall()}
    out = {i.uid: IndicatorData(i, is_text(i, catalogue)) for i in catalogue.indicators.values() if i.edition in editions}
    for uid, year, n, lo, q, hi, decimals in con.execute(QUARTILES_SQL).fetchall():
        d = out.get(uid)
        if d is None or d.text:
            continue
        places = decimals if decimals is not None else d.indicator.decimals
        p25, median, p75 = (rounded(Decimal(str(x)), places) if x is not None else None for x in q)
        d.years.append(Quartiles(year, n, rounded(lo, places), p25, median, p75, rounded(hi, places)))
    if latest is not None:
        for uid, code, en, pl, value, text, decimals, status, flags, reason in con.execute(LATEST_SQL, {"latest": latest}).fetchall():
            if uid in out:
                out[uid].latest.append(CityValue(code, en, pl, value, text, decimals, status, tuple(flags), reason))
    return list(out.values())


# --- the city pages, a batch of cities at a time -------------------------------------------------

CITY_SQL = {
    "city": """SELECT city_code, name_en, name_pl, country, editions, currency, folder, file_id
               FROM cities WHERE city_code IN (SELECT unnest($codes)) ORDER BY city_code""",
    "certification": """SELECT city_code, edition, year, level, core_reported, core_defined, total_reported, total_defined
                        FROM certification WHERE city_code IN (SELECT unnest($codes)) ORDER BY city_code, edition, year""",
    "results": """SELECT city_code, indicator_uid, year, value, value_text, decimals, status, coalesce(flags, []) AS flags
                   FROM results WHERE city_code IN (SELECT unnest($codes)) ORDER BY city_code, indicator_uid, year""",
    "inputs": """SELECT city_code, variable, year, value, value_text, status, source_id, file_id, row, unit
                 FROM observations WHERE city_code IN (SELECT unnest($codes)) ORDER BY city_code, variable, year""",
    "files": """SELECT o.city_code, f.file_id, f.sha256, f.bytes, count(*) AS rows
                FROM observations o JOIN input_files f USING (file_id)
                WHERE o.city_code IN (SELECT unnest($codes))
                GROUP BY ALL ORDER BY o.city_code, f.file_id""",
    "sources": """SELECT DISTINCT o.city_code, s.source_id, s.organisation, s.dataset, s.url, s.retrieved_on, s.licence,
                         s.quality_class
                  FROM observations o JOIN sources s ON s.folder = o.folder AND s.source_id = o.source_id
                  WHERE o.city_code IN (SELECT unnest($codes))
                  ORDER BY o.city_code, s.source_id""",
    "findings": """SELECT city_code, severity, accepted, rule_id, year, coalesce(indicator_uid, variable) AS target,
                          message, message_id, message_args
                   FROM findings WHERE city_code IN (SELECT unnest($codes))
                   ORDER BY city_code, accepted, severity, rule_id, year NULLS FIRST, target NULLS FIRST, message""",
}


def city_batch(con: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[str, dict[str, list[tuple]]]:
    """Rows of each table in :data:`CITY_SQL` for the cities ``codes``, grouped by city:
    ``{code: {table: [row without the city code, ...]}}``."""
    got: dict[str, dict[str, list[tuple]]] = {c: defaultdict(list) for c in codes}
    for table, sql in CITY_SQL.items():
        for row in con.execute(sql, {"codes": codes}).fetchall():
            got[row[0]][table].append(row[1:])
    return got


def latest_year(con: duckdb.DuckDBPyConnection) -> tuple[list[int], int | None]:
    years = [y for (y,) in con.execute("SELECT DISTINCT year FROM calculation_keys ORDER BY year").fetchall()]
    return years, (years[-1] if years else None)
