"""The comparison view across the cities of a build: one self-contained HTML page per language
(``comparison-<lang>.html``) and the same content as JSON (``comparison.json``).

For a national build of thousands of cities, every figure is computed in DuckDB with one
``GROUP BY`` query per table (never one query per city); Python only maps the rows to models and
attaches the catalogue's names. Every query is ordered by a full key, so the same store gives
the same HTML and JSON bytes.

    d = collect_comparison(con, catalogue)
    (out / COMPARISON_JSON).write_text(comparison_json(d), encoding="utf-8")
    (out / comparison_name("en")).write_text(render_comparison(d, "en", env), encoding="utf-8")
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
from jinja2 import Environment
from markupsafe import Markup

from pipeline.catalogue import Catalogue
from pipeline.catalogue.models import Text
from pipeline import i18n as i18n_core
from pipeline.dossier import i18n
from pipeline.dossier.models import Part
from pipeline.dossier.pages import CSS, environment
from pipeline.dossier.queries import indicator_anchor, is_text, records, rounded

COMPARISON_VERSION = "1.0"
COMPARISON_JSON = "comparison.json"
TEMPLATE = "comparison.html.j2"


# --- the comparison as data --------------------------------------------------------------------

class CityRow(Part):
    """One city of the build and one standard it reports, in the latest reference year."""

    code: str
    name: Text
    edition: str
    """A standard (catalogue edition) the city reports: a city of several standards has a row for each."""
    primary: bool = True
    """The city's primary standard (its dossier is ``dossier-<code>-<lang>.html``; another one's
    ``dossier-<code>-<edition>-<lang>.html``)."""
    level: str | None
    """The highest certification level reached in the latest year, or None below the lowest (or not calculated)."""
    level_name: Text | None
    calculated: bool
    """False when the city has no calculation (or no certification) in the latest year: the counts are then None."""
    core_reported: int | None
    core_defined: int | None
    total_reported: int | None
    """Core and supporting indicators reported."""
    total_defined: int | None
    open_errors: int
    """Validation errors not accepted: the city's own and those of the whole build, as its dossier counts them."""
    open_warnings: int


class LevelCount(Part):
    """How many cities reached one certification level (None: below the lowest) in one year."""

    year: int
    edition: str
    level: str | None
    level_name: Text | None
    cities: int


class IndicatorSpread(Part):
    """One indicator of the catalogue across the cities in the latest reference year. The figures
    are over the cities that reported a number; quartiles are interpolated (``quantile_cont``);
    all are rounded half away from zero to ``decimals``, the most any city's value was published
    with. A fact in words (``text``) has counts only."""

    uid: str
    id: str
    edition: str
    anchor: str
    """The indicator's section in each city's dossier (``dossier-<code>-<lang>.html#<anchor>``)."""
    name: Text
    unit: Text
    tier: str
    text: bool
    decimals: int
    cities_reported: int
    cities_total: int
    """Cities calculated against the indicator's edition in the latest year."""
    min: Decimal | None
    p25: Decimal | None
    median: Decimal | None
    p75: Decimal | None
    max: Decimal | None
    min_city: str | None
    """The city with the lowest value (ties: the lowest city code)."""
    max_city: str | None
    """The city with the highest value (ties: the lowest city code)."""


class Comparison(Part):
    """``comparison.json``: every city of one build side by side."""

    comparison_version: str = COMPARISON_VERSION
    latest_year: int | None
    years: list[int]
    """Every reference year calculated for some city."""
    cities: list[CityRow]
    """Ordered by city code."""
    levels: list[LevelCount]
    """Per year and edition, every level of the edition (lowest first), then below the lowest."""
    indicators: list[IndicatorSpread]
    """In the catalogue's order, for the editions the cities report against."""


# --- from the store ----------------------------------------------------------------------------

YEARS_SQL = "SELECT DISTINCT year FROM calculation_keys ORDER BY year"

CITIES_SQL = """
WITH open_findings AS (
    SELECT city_code, count(*) FILTER (WHERE severity = 'error') AS errors,
           count(*) FILTER (WHERE severity = 'warning') AS warnings
    FROM findings WHERE NOT accepted AND severity IN ('error', 'warning')
    GROUP BY city_code),
everyone AS (   -- findings of the whole build (no city): every city's dossier counts them
    SELECT coalesce(sum(errors), 0) AS errors, coalesce(sum(warnings), 0) AS warnings FROM open_findings WHERE city_code IS NULL)
SELECT ci.city_code, ci.name_en, ci.name_pl, ci.edition, ci.rank = 1 AS "primary",
       c.level, c.city_code IS NOT NULL AS calculated, c.core_reported, c.core_defined, c.total_reported, c.total_defined,
       (coalesce(o.errors, 0) + e.errors)::BIGINT AS open_errors, (coalesce(o.warnings, 0) + e.warnings)::BIGINT AS open_warnings
FROM (SELECT city_code, name_en, name_pl, unnest(editions) AS edition, generate_subscripts(editions, 1) AS rank FROM cities) ci
CROSS JOIN everyone e
LEFT JOIN certification c ON c.city_code = ci.city_code AND c.year = $latest AND c.edition = ci.edition
LEFT JOIN open_findings o ON o.city_code = ci.city_code
ORDER BY ci.city_code, ci.rank
"""

LEVELS_SQL = """
WITH lv AS (SELECT unnest($lv_edition::VARCHAR[]) AS edition, unnest($lv_level::VARCHAR[]) AS level,
                   unnest($lv_rank::INTEGER[]) AS rank),
keys AS (SELECT DISTINCT year, edition FROM calculation_keys),
grid AS (SELECT k.year, k.edition, lv.level, lv.rank FROM keys k JOIN lv ON lv.edition = k.edition
         UNION ALL SELECT year, edition, NULL, NULL FROM keys),
counts AS (   -- every city calculated in a year counts once, at its level (none: below the lowest)
    SELECT k.year, k.edition, c.level, count(*) AS cities
    FROM calculation_keys k
    LEFT JOIN certification c ON c.city_code = k.city_code AND c.year = k.year AND c.edition = k.edition
    GROUP BY k.year, k.edition, c.level)
SELECT coalesce(g.year, n.year) AS year, coalesce(g.edition, n.edition) AS edition, coalesce(g.level, n.level) AS level,
       coalesce(n.cities, 0)::BIGINT AS cities
FROM grid g
FULL JOIN counts n ON n.year = g.year AND n.edition = g.edition AND n.level IS NOT DISTINCT FROM g.level
ORDER BY year, edition, coalesce(g.level, n.level) IS NULL, coalesce(g.rank, 2147483647), coalesce(g.level, n.level)
"""

SPREAD_SQL = """
WITH cat AS (SELECT unnest($uids::VARCHAR[]) AS uid, unnest($editions::VARCHAR[]) AS edition,
                    unnest($ords::INTEGER[]) AS ord),
totals AS (SELECT edition, count(*) AS n FROM calculation_keys WHERE year = $latest GROUP BY edition),
spread AS (
    SELECT indicator_uid AS uid, count(*) AS reported, min(value) AS lo, max(value) AS hi, max(decimals) AS decimals,
           quantile_cont(value, [0.25, 0.5, 0.75]) AS q,
           first(city_code ORDER BY value ASC, city_code ASC) FILTER (WHERE value IS NOT NULL) AS lo_city,
           first(city_code ORDER BY value DESC, city_code ASC) FILTER (WHERE value IS NOT NULL) AS hi_city
    FROM results
    WHERE year = $latest AND status = 'reported' AND indicator_uid IN (SELECT uid FROM cat)
    GROUP BY indicator_uid)
SELECT cat.uid, coalesce(t.n, 0)::BIGINT AS cities_total, coalesce(s.reported, 0)::BIGINT AS cities_reported,
       s.lo, s.q[1] AS p25, s.q[2] AS median, s.q[3] AS p75, s.hi, s.lo_city, s.hi_city, s.decimals
FROM cat
LEFT JOIN totals t ON t.edition = cat.edition
LEFT JOIN spread s ON s.uid = cat.uid
ORDER BY cat.ord, cat.uid
"""


def collect_comparison(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> Comparison:
    """Every city of the store in ``con`` side by side: their certification and open findings in
    the latest reference year, the number of cities at each level per year, and the spread of
    each indicator across the cities in the latest year."""
    years = [y for (y,) in con.execute(YEARS_SQL).fetchall()]
    latest = years[-1] if years else None

    level_names = {(ed.id, lv.id): lv.name for ed in catalogue.editions.values() for lv in ed.certification_levels}
    cities = [CityRow(code=r["city_code"], name=Text(en=r["name_en"], pl=r["name_pl"]), edition=r["edition"], primary=r["primary"],
                      level=r["level"],
                      level_name=level_names.get((r["edition"], r["level"])), calculated=r["calculated"],
                      core_reported=r["core_reported"], core_defined=r["core_defined"], total_reported=r["total_reported"],
                      total_defined=r["total_defined"], open_errors=r["open_errors"], open_warnings=r["open_warnings"])
              for r in records(con, CITIES_SQL, {"latest": latest})]

    lv = [(ed.id, level.id, rank) for ed in catalogue.editions.values() for rank, level in enumerate(ed.certification_levels)]
    levels = [LevelCount(year=r["year"], edition=r["edition"], level=r["level"],
                         level_name=level_names.get((r["edition"], r["level"])), cities=r["cities"])
              for r in records(con, LEVELS_SQL, {"lv_edition": [x[0] for x in lv], "lv_level": [x[1] for x in lv],
                                               "lv_rank": [x[2] for x in lv]})]

    editions = {e for (e,) in con.execute("SELECT DISTINCT unnest(editions) FROM cities").fetchall()}
    inds = [i for i in catalogue.indicators.values() if i.edition in editions]
    by_uid = {i.uid: i for i in inds}
    spread_rows = records(con, SPREAD_SQL, {"uids": [i.uid for i in inds], "editions": [i.edition for i in inds],
                                          "ords": list(range(len(inds))), "latest": latest})
    indicators = []
    for r in spread_rows:
        ind = by_uid[r["uid"]]
        text = is_text(ind, catalogue)
        decimals = r["decimals"] if r["decimals"] is not None else ind.decimals  # small magnitudes keep their digits

        def fig(v: Decimal | None, decimals=decimals, text=text) -> Decimal | None:
            return None if text else rounded(v, decimals)

        indicators.append(IndicatorSpread(
            uid=ind.uid, id=ind.id, edition=ind.edition, anchor=indicator_anchor(ind), name=ind.name, unit=ind.unit,
            tier=ind.tier.value, text=text, decimals=decimals, cities_reported=r["cities_reported"],
            cities_total=r["cities_total"], min=fig(r["lo"]), p25=fig(r["p25"]), median=fig(r["median"]), p75=fig(r["p75"]),
            max=fig(r["hi"]), min_city=None if text else r["lo_city"], max_city=None if text else r["hi_city"]))
    return Comparison(latest_year=latest, years=years, cities=cities, levels=levels, indicators=indicators)


# --- as files ----------------------------------------------------------------------------------

def comparison_name(lang: str) -> str:
    return f"comparison-{lang}.html"


def comparison_json(d: Comparison) -> str:
    """The content of :data:`COMPARISON_JSON`."""
    return d.model_dump_json(indent=2) + "\n"


def level_table(d: Comparison) -> list[dict]:
    """Rows of the level table: one per edition and level (in the order of ``d.levels``), a cell per year."""
    rows: dict[tuple[str, str | None], dict] = {}
    for c in d.levels:
        row = rows.setdefault((c.edition, c.level), {"edition": c.edition, "level": c.level, "level_name": c.level_name,
                                                     "cells": {y: 0 for y in d.years}})
        row["cells"][c.year] = c.cities
    return list(rows.values())


def render_comparison(d: Comparison, lang: str, env: Environment | None = None, *, other_href: str | None = None) -> str:
    """The comparison as one self-contained HTML page in ``lang`` (a language with a catalogue): no script, nothing
    fetched. ``env`` is the dossier's template environment; ``other_href`` links the other language."""
    i18n_core.check_language(lang)
    env = env or environment()
    i18n_core.install(env, lang)
    totals = {y: sum(c.cities for c in d.levels if c.year == y) for y in d.years}
    return env.get_template(TEMPLATE).render(
        d=d, lang=lang, other_lang=i18n.other(lang), other_href=other_href, css=Markup(CSS),
        t=lambda key, **kw: i18n.label(key, lang, **kw), en=lambda kind, value: i18n.enum(kind, value, lang),
        nm=lambda text: i18n.name(text, lang), num=lambda v, decimals=None: i18n.number(v, lang, decimals),
        level_table=level_table(d), year_totals=totals,
        editions=sorted({c.edition for c in d.cities}), primary={c.code: c.edition for c in d.cities if c.primary},
        version=COMPARISON_VERSION)


__all__ = ["COMPARISON_JSON", "COMPARISON_VERSION", "CityRow", "Comparison", "IndicatorSpread", "LevelCount",
           "collect_comparison", "comparison_json", "comparison_name", "render_comparison"]
