"""The dossier's content, read from the build's store and the catalogue (nothing else).

Every query fetches its rows in a fixed order, so the same store gives the same dossier. What the
dossier counts of the validation (findings by level and severity, open and accepted, the findings
each acceptance matched, each rule's findings on an indicator) is counted here in SQL; the parts
of the dossier are built from the rows by :mod:`.sections`, and :func:`assemble` puts them together.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass

import duckdb

from pipeline.catalogue import Catalogue
from pipeline.catalogue.models import Edition, Indicator, Text, Tier, TierBasis
from pipeline.dossier import sections
from pipeline.dossier.models import (
    BuildPart,
    CityPart,
    Contact,
    Dossier,
    EditionPart,
    InventoryFile,
    InventoryPart,
    InventorySource,
    SignOff,
)
from pipeline.dossier.sections import anchor, indicator_anchor, is_text, rounded
from pipeline.store.models import Manifest

__all__ = ["CITY_QUERIES", "FOLDER_QUERIES", "CityRows", "Shared", "assemble", "city_codes", "collect", "fetch",
           "fetch_shared", "indicator_anchor", "is_text", "records", "rounded"]


def records(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> list[dict]:
    """The rows of a query as dicts by column name."""
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def city_codes(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [c for (c,) in con.execute("SELECT city_code FROM cities ORDER BY city_code").fetchall()]


_CODES = "WITH codes AS (SELECT unnest($codes::VARCHAR[]) AS code) "
_IN = "city_code IN (SELECT code FROM codes)"
_FOLDERS = "folder IN (SELECT folder FROM cities WHERE " + _IN + ")"
_SEVERITY_ORDER = "CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 WHEN 'information' THEN 2 ELSE 3 END"
# A total order (rows equal in all of it are equal in every column): a city's rows and the build's
# (city_code NULL) are read together, and a workbook's sheets share row numbers.
_FINDING_ORDER = f"""level, {_SEVERITY_ORDER}, rule_id, year NULLS FIRST,
    indicator_uid NULLS FIRST, variable NULLS FIRST, file_id NULLS FIRST, row NULLS FIRST, observed NULLS FIRST, message,
    city_code NULLS FIRST, sheet NULLS FIRST, expected NULLS FIRST, severity"""
# The findings about each city: its own and the build's (city_code NULL).
_CITY_FINDINGS = f"""SELECT city_code AS _for, * FROM findings WHERE {_IN}
                     UNION ALL SELECT c.code, f.* FROM findings f, codes c WHERE f.city_code IS NULL"""
# The findings of each dossier of a city, one per standard it reports ("scopes"): those on the
# city's inputs (no indicator) and those on an indicator of that standard.
_SCOPED = f""", scopes AS (SELECT city_code AS _for, unnest(editions) AS edition FROM cities WHERE {_IN}),
    scoped AS (SELECT s.edition, f.* FROM scopes s JOIN ({_CITY_FINDINGS}) f ON f._for = s._for
               LEFT JOIN calculations k ON k.indicator_uid = f.indicator_uid
               WHERE f.indicator_uid IS NULL OR k.edition = s.edition) """
# The findings on each indicator ("for_indicator"): those on the indicator's values, and those on
# an input figure (no indicator), which belong to every indicator whose values use the figure.
_ATTRIBUTED = f""", mine AS ({_CITY_FINDINGS}),
    uses AS (SELECT DISTINCT city_code AS _for, variable, obs_year AS year, indicator_uid AS for_indicator
             FROM result_inputs WHERE {_IN}),
    attributed AS (SELECT indicator_uid AS for_indicator, * FROM mine WHERE indicator_uid IS NOT NULL
                   UNION ALL SELECT u.for_indicator, m.* FROM mine m JOIN uses u USING (_for, variable, year)
                             WHERE m.indicator_uid IS NULL) """
# Each query reads the rows of a batch of cities at once, ordered by city first ("_for" names the
# city a row belongs to), so that a national build reads each table once per batch, not per city.
# Rows with an "edition" column belong to one of a city's dossiers (one per standard it reports).
CITY_QUERIES = {
    "city": f"SELECT city_code AS _for, * FROM cities WHERE {_IN}",
    "obs_by_source": f"""SELECT city_code AS _for, source_id, count(*) AS n FROM observations
                         WHERE {_IN} AND source_id IS NOT NULL GROUP BY ALL ORDER BY ALL""",
    "years": f"SELECT DISTINCT city_code AS _for, year FROM calculation_keys WHERE {_IN} ORDER BY ALL",
    "results": f"SELECT city_code AS _for, * FROM results WHERE {_IN} ORDER BY city_code, indicator_uid, year",
    "lineage": f"""SELECT city_code AS _for, indicator_uid, year, role, variable, obs_year, value, value_text, unit, status,
                          note, raw_value, file_id, sheet, row, source_id, quality_class
                   FROM lineage WHERE {_IN}
                   ORDER BY city_code, indicator_uid, year,
                            CASE role WHEN 'numerator' THEN 0 WHEN 'denominator' THEN 1 WHEN 'input' THEN 2 ELSE 3 END,
                            variable, obs_year""",
    "coverage": f"SELECT city_code AS _for, * FROM coverage WHERE {_IN} AND theme <> '*' ORDER BY ALL",
    "certification": f"SELECT city_code AS _for, * FROM certification WHERE {_IN} ORDER BY city_code, edition, year",
    # each revised input figure with the indicators (of every standard) whose values use it
    "revised": """SELECT o.city_code AS _for, o.year, o.variable, o.value, o.value_text, o.note, o.file_id, o.sheet, o.row,
                         coalesce(list(DISTINCT u.indicator_uid ORDER BY u.indicator_uid)
                                  FILTER (WHERE u.indicator_uid IS NOT NULL), []) AS fed
                  FROM observations o
                  LEFT JOIN result_inputs u ON u.city_code = o.city_code AND u.variable = o.variable AND u.obs_year = o.year
                  WHERE o.city_code IN (SELECT code FROM codes) AND o.status = 'revised'
                  GROUP BY ALL ORDER BY o.city_code, o.year, o.variable""",
    "findings": f"{_SCOPED} SELECT * FROM scoped ORDER BY _for, edition, {_FINDING_ORDER}",
    # the validation summary: rules that ran (of the whole build) and findings by level and severity
    "validation_summary": f"""{_SCOPED}, ran AS (SELECT level, severity, count(*) AS rules FROM rule_runs GROUP BY ALL),
        found AS (SELECT _for, edition, level, severity, count(*) AS findings, count(*) FILTER (WHERE accepted) AS accepted
                  FROM scoped GROUP BY ALL)
        SELECT _for, edition, level, severity, coalesce(rules, 0) AS rules, coalesce(findings, 0) AS findings,
               coalesce(accepted, 0) AS accepted, coalesce(findings, 0) - coalesce(accepted, 0) AS open
        FROM (SELECT * FROM scopes, ran) FULL JOIN found USING (_for, edition, level, severity)
        ORDER BY _for, edition, level, {_SEVERITY_ORDER}, severity""",
    "finding_totals": f"""{_SCOPED}
        SELECT s._for, s.edition,
               count(f.rule_id) FILTER (WHERE f.severity = 'error' AND NOT f.accepted) AS open_errors,
               count(f.rule_id) FILTER (WHERE f.severity = 'warning' AND NOT f.accepted) AS open_warnings,
               count(f.rule_id) FILTER (WHERE f.accepted) AS accepted,
               count(f.rule_id) FILTER (WHERE f.severity = 'information') AS information
        FROM scopes s LEFT JOIN scoped f ON f._for = s._for AND f.edition = s.edition
        GROUP BY ALL ORDER BY ALL""",
    # each acceptance of the city's folder that concerns the city, with the findings it matched
    "exceptions": f"""{_SCOPED}
        SELECT s._for, s.edition, e.rule_id, e.city_code, e.year, e.variable, e.accepted_by, e.role, e.accepted_on,
               e.reason, e.file_id, e.line,
               (SELECT count(*) FROM scoped f
                WHERE f._for = s._for AND f.edition = s.edition AND f.accepted AND f.rule_id = e.rule_id
                  AND f.accepted_by = e.accepted_by AND (e.year IS NULL OR f.year = e.year)
                  AND (e.variable IS NULL OR f.variable = e.variable)) AS matched
        FROM scopes s JOIN cities c ON c.city_code = s._for
        JOIN accepted_exceptions e ON e.folder = c.folder AND (e.city_code IS NULL OR e.city_code = s._for)
        ORDER BY s._for, s.edition, e.file_id, e.line, e.rowid""",
    "indicator_findings": f"{_ATTRIBUTED} SELECT * FROM attributed ORDER BY _for, for_indicator, {_FINDING_ORDER}",
    # each rule's findings on each indicator, and whether every one of them is accepted
    "rule_hits": f"""{_ATTRIBUTED}
        SELECT _for, for_indicator, rule_id, count(*) AS findings, bool_and(accepted) AS accepted
        FROM attributed GROUP BY ALL ORDER BY ALL""",
}
FOLDER_QUERIES = {
    "files": f"SELECT * FROM input_files WHERE {_FOLDERS} ORDER BY folder, file_id",
    "sources": f"SELECT * FROM sources WHERE {_FOLDERS} ORDER BY folder, source_id",
}


@dataclass(frozen=True)
class Shared:
    """What every city's dossier reads alike: the rules that ran (by rule id, in level order) and
    the calculations."""

    runs: dict[str, dict]
    calcs: dict[str, dict]


@dataclass(frozen=True)
class CityRows:
    """The store's rows about one city (and its folder), as :func:`fetch` reads them."""

    code: str
    rows: dict[str, list[dict]]


def fetch_shared(con: duckdb.DuckDBPyConnection) -> Shared:
    return Shared(runs={r["rule_id"]: r for r in records(con, "SELECT * FROM rule_runs ORDER BY level, rule_id")},
                  calcs={c["indicator_uid"]: c for c in records(con, "SELECT * FROM calculations ORDER BY indicator_uid")})


def fetch(con: duckdb.DuckDBPyConnection, codes: list[str]) -> list[CityRows]:
    """The rows of each city in ``codes`` (in that order), read with one query per table."""
    params = {"codes": list(codes)}
    per_city: dict[str, dict[str, list[dict]]] = {c: {k: [] for k in (*CITY_QUERIES, *FOLDER_QUERIES)} for c in codes}
    for key, sql in CITY_QUERIES.items():
        for r in records(con, _CODES + sql, params):
            per_city[r.pop("_for")][key].append(r)
    by_folder: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for key, sql in FOLDER_QUERIES.items():
        for r in records(con, _CODES + sql, params):
            by_folder[r["folder"]][key].append(r)
    out = []
    for code in codes:
        rows = per_city[code]
        if rows["city"]:
            rows.update({k: list(v) for k, v in by_folder[rows["city"][0]["folder"]].items()})
        out.append(CityRows(code=code, rows=rows))
    return out


def collect(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, city_code: str, manifest: Manifest | None = None,
            edition: str | None = None) -> Dossier:
    """The whole dossier of one city of the build in ``con``, for one standard it reports (default:
    its primary one)."""
    return assemble(fetch(con, [city_code])[0], fetch_shared(con), catalogue, manifest, edition)


def assemble(data: CityRows, shared: Shared, catalogue: Catalogue, manifest: Manifest | None = None,
             edition_id: str | None = None) -> Dossier:
    """The dossier of one city from its rows, for one standard it reports (default: its primary
    one): no store access, so it can run in a worker process. The inputs, sources and findings on
    inputs are the city's; the values, levels and findings on values are the standard's."""
    got = data.rows
    city_row, edition = city_edition(got, data.code, catalogue, edition_id)
    inventory, anchors, fingerprint, manifest = inventory_part(got, manifest)
    scope = sections.scope(got, catalogue, edition, anchors)
    totals = sections.finding_totals(got, edition)
    validation, findings = sections.validation(got, scope, len(shared.runs), totals)
    certification = sections.certification(got, edition)
    city = city_part(data.code, city_row, edition)
    return Dossier(
        city=city, edition=edition_part(edition, scope.indicators),
        build=build_part(manifest, fingerprint, totals["open_errors"], scope.years),
        coverage=sections.coverage(got, catalogue, edition), certification=certification, validation=validation,
        not_available=sections.not_available(scope), revisions=sections.revisions(got, findings, scope, shared.runs),
        quality=sections.quality(got, scope, certification, inventory, totals, city.name, len(shared.runs)),
        inventory=inventory, manifest=manifest, sign_off=sign_off(city),
        themes=sections.themes(got, scope, shared.runs, shared.calcs))


# --- the parts about the city and the build: city, standard, inventory, build, sign-off ------------

def city_edition(got: dict[str, list[dict]], city_code: str, catalogue: Catalogue, edition_id: str | None
                 ) -> tuple[dict, Edition]:
    """The city's row and the standard of its dossier (default: the city's primary one)."""
    if not got["city"]:
        raise KeyError(f"no city {city_code} in the store")
    city_row = got["city"][0]
    editions = list(city_row["editions"])
    if edition_id is not None and edition_id not in editions:
        raise KeyError(f"city {city_code} does not report {edition_id}; it reports {', '.join(editions)}")
    return city_row, catalogue.editions[edition_id or editions[0]]


def city_part(city_code: str, city_row: dict, edition: Edition) -> CityPart:
    facts = json.loads(city_row["facts"]) if city_row["facts"] else {}
    contact, desc = facts.get("contact"), facts.get("description")
    return CityPart(code=city_code, name=Text(en=city_row["name_en"], pl=city_row["name_pl"]), country=city_row["country"],
                    edition=edition.id, editions=list(city_row["editions"]), currency=city_row["currency"],
                    folder=city_row["folder"], file_id=city_row["file_id"], fictional=bool(facts.get("fictional")),
                    description=Text(**desc) if desc else None, region=facts.get("region"), website=facts.get("website"),
                    publisher=facts.get("publisher"),
                    contact=Contact(name=contact["name"], email=contact.get("email"), organisation=contact.get("organisation"))
                    if contact else None)


def edition_part(edition: Edition, indicators: list[Indicator]) -> EditionPart:
    tiered = (Tier.core, Tier.supporting)
    return EditionPart(id=edition.id, standard=edition.standard, year=edition.year, title=edition.title,
                       tiers_inferred=sum(1 for i in indicators if i.tier_basis is TierBasis.inferred and i.tier in tiered),
                       tiers=any(i.tier in tiered for i in indicators), levels=bool(edition.certification_levels))


def build_part(manifest: Manifest | None, fingerprint: str, blocking: int, years: list[int]) -> BuildPart:
    """The build: its id, the digest of the city's inputs, and whether errors not accepted block it."""
    return BuildPart(build_id=manifest.build_id if manifest else None, inputs_sha256=fingerprint,
                     status="blocked" if blocking else "released" if manifest else "releasable", blocking=blocking,
                     reference_years=years, latest_year=years[-1] if years else None)


def sign_off(city: CityPart) -> SignOff:
    """The sign-off block: who owns the data and who prepared it; the approval is filled on paper."""
    return SignOff(data_owner=city.publisher or (city.contact.organisation if city.contact else None) or city.name.en,
                   preparer=city.contact)


def city_manifest(manifest: Manifest | None, file_ids: set[str]) -> Manifest | None:
    """The build manifest as one city's dossier shows it: the input files of the city's folder and
    the build's outputs other than the archived inputs (which mirror the inputs), so that a
    dossier's size does not grow with the number of cities in the build."""
    if manifest is None:
        return None
    return manifest.model_copy(update={
        "inputs": [i for i in manifest.inputs if i.file_id in file_ids],
        "outputs": [o for o in manifest.outputs if not o.path.startswith("archive/")]})


def inventory_part(got: dict[str, list[dict]], manifest: Manifest | None
                   ) -> tuple[InventoryPart, tuple[dict[str, str], dict[str, str]], str, Manifest | None]:
    """The input inventory of a city: its files (with anchors to link them) and sources, the
    digest of its inputs, and the manifest as its dossier shows it."""
    files = got["files"]
    manifest = city_manifest(manifest, {f["file_id"] for f in files})
    file_anchors: dict[str, str] = {}
    for f in files:
        a = anchor("file", f["file_id"])
        while a in file_anchors.values():
            a += "-x"
        file_anchors[f["file_id"]] = a
    obs_by_source = {r["source_id"]: r["n"] for r in got["obs_by_source"]}
    sources = got["sources"]
    source_anchors = {s["source_id"]: anchor("src", s["source_id"]) for s in sources}
    part = InventoryPart(
        files=[InventoryFile(file_id=f["file_id"], anchor=file_anchors[f["file_id"]], role=f["role"], bytes=f["bytes"],
                             sha256=f["sha256"], media_type=f["media_type"]) for f in files],
        sources=[InventorySource(source_id=s["source_id"], anchor=source_anchors[s["source_id"]], organisation=s["organisation"],
                                 dataset=s["dataset"], url=s["url"], retrieved_on=s["retrieved_on"], licence=s["licence"],
                                 quality_class=s["quality_class"], origin=s["origin"], contact=s["contact"],
                                 file_id=s["file_id"], row=s["row"], observations=obs_by_source.get(s["source_id"], 0))
                 for s in sources])
    fingerprint = hashlib.sha256("".join(f"{f['sha256']}  {f['file_id']}\n" for f in files).encode()).hexdigest()
    return part, (file_anchors, source_anchors), fingerprint, manifest
