"""The dossier's content, read from the build's store and the catalogue (nothing else).

Every query fetches its rows in a fixed order, so the same store gives the same dossier.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import duckdb

from pipeline.catalogue import Catalogue
from pipeline.catalogue.models import (
    Direct,
    Expression,
    Indicator,
    Ratio,
    Text,
    Tier,
    TierBasis,
    VariableKind,
)
from pipeline import i18n as _i18n
from pipeline.dossier import i18n
from pipeline.i18n import N_, Nn_
from pipeline.dossier.models import (
    BuildPart,
    CertificationRow,
    CityPart,
    ClassCount,
    Contact,
    ContinuedYear,
    CoverageRow,
    Dossier,
    EditionPart,
    ExceptionRow,
    FindingRow,
    IndicatorPart,
    IndicatorRef,
    InputNote,
    InputRow,
    InventoryFile,
    InventoryPart,
    InventorySource,
    NotAvailableRow,
    QualityPart,
    RevisionRow,
    RevisionsPart,
    RuleOutcome,
    SignOff,
    ThemePart,
    ValidationPart,
    ValidationSummaryRow,
    VariableRef,
    YearRow,
)
from pipeline.store.models import Manifest
from pipeline.validate.checks import indicator_rule_ids, revision

REVISION_RULE = revision.CHECK.rule_id
SEVERITY_ORDER = {"error": 0, "warning": 1, "information": 2}


def records(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> list[dict]:
    """The rows of a query as dicts by column name."""
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def city_codes(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [c for (c,) in con.execute("SELECT city_code FROM cities ORDER BY city_code").fetchall()]


def anchor(prefix: str, key: str) -> str:
    return prefix + "-" + re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-")


def indicator_anchor(ind: Indicator) -> str:
    return "ind-" + ind.slug


def theme_anchor(theme: int | str) -> str:
    return anchor("theme", str(theme))


def _dec(d: Decimal | None) -> Decimal | None:
    """A figure without trailing zeros (and never in exponent form)."""
    return None if d is None else Decimal(i18n.plain(d))


def rounded(d: Decimal | None, decimals: int) -> Decimal | None:
    """Half away from zero to ``decimals``, as the dossier shows values."""
    return None if d is None else Decimal(d).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def is_text(ind: Indicator, catalogue: Catalogue) -> bool:
    """Whether the indicator reports a text (a direct text variable), not a number."""
    c = ind.calculation
    return isinstance(c, Direct) and c.variable in catalogue.variables and catalogue.variables[c.variable].kind is VariableKind.text


def clause(ind: Indicator, catalogue: Catalogue) -> str:
    ed = catalogue.editions[ind.edition]
    if ind.tier is Tier.profile:
        return f"{ed.standard}:{ed.year}, profile ({ind.id})"
    return f"{ed.standard}:{ed.year}, {ind.id}"


_CODES = "WITH codes AS (SELECT unnest($codes::VARCHAR[]) AS code) "
_IN = "city_code IN (SELECT code FROM codes)"
_FOLDERS = "folder IN (SELECT folder FROM cities WHERE " + _IN + ")"
# A total order (rows equal in all of it are equal in every column): a city's rows and the build's
# (city_code NULL) are read together, and a workbook's sheets share row numbers.
_FINDING_ORDER = """level, CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, rule_id, year NULLS FIRST,
    indicator_uid NULLS FIRST, variable NULLS FIRST, file_id NULLS FIRST, row NULLS FIRST, observed NULLS FIRST, message,
    city_code NULLS FIRST, sheet NULLS FIRST, expected NULLS FIRST, severity"""
# Each query reads the rows of a batch of cities at once, ordered by city first ("_for" names the
# city a row belongs to), so that a national build reads each table once per batch, not per city.
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
    "revised": f"""SELECT city_code AS _for, year, variable, value, value_text, note, file_id, sheet, row FROM observations
                   WHERE {_IN} AND status = 'revised' ORDER BY city_code, year, variable""",
    "findings": f"""SELECT * FROM (SELECT city_code AS _for, * FROM findings WHERE {_IN}
                                  UNION ALL SELECT c.code, f.* FROM findings f, codes c WHERE f.city_code IS NULL)
                    ORDER BY _for, {_FINDING_ORDER}""",
}
FOLDER_QUERIES = {
    "files": f"SELECT * FROM input_files WHERE {_FOLDERS} ORDER BY folder, file_id",
    "sources": f"SELECT * FROM sources WHERE {_FOLDERS} ORDER BY folder, source_id",
    "exceptions": f"SELECT * FROM accepted_exceptions WHERE {_FOLDERS} ORDER BY folder, file_id, line",
}


@dataclass(frozen=True)
class Shared:
    """What every city's dossier reads alike: the rules that ran and the calculations."""

    runs: list[dict]
    calcs: dict[str, dict]


@dataclass(frozen=True)
class CityRows:
    """The store's rows about one city (and its folder), as :func:`fetch` reads them."""

    code: str
    rows: dict[str, list[dict]]


def fetch_shared(con: duckdb.DuckDBPyConnection) -> Shared:
    return Shared(runs=records(con, "SELECT * FROM rule_runs ORDER BY level, rule_id"),
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


def city_manifest(manifest: Manifest | None, file_ids: set[str]) -> Manifest | None:
    """The build manifest as one city's dossier shows it: the input files of the city's folder and
    the build's outputs other than the archived inputs (which mirror the inputs), so that a
    dossier's size does not grow with the number of cities in the build."""
    if manifest is None:
        return None
    return manifest.model_copy(update={
        "inputs": [i for i in manifest.inputs if i.file_id in file_ids],
        "outputs": [o for o in manifest.outputs if not o.path.startswith("archive/")]})


def _inventory(got: dict[str, list[dict]], manifest: Manifest | None
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
    inventory = InventoryPart(
        files=[InventoryFile(file_id=f["file_id"], anchor=file_anchors[f["file_id"]], role=f["role"], bytes=f["bytes"],
                             sha256=f["sha256"], media_type=f["media_type"]) for f in files],
        sources=[InventorySource(source_id=s["source_id"], anchor=source_anchors[s["source_id"]], organisation=s["organisation"],
                                 dataset=s["dataset"], url=s["url"], retrieved_on=s["retrieved_on"], licence=s["licence"],
                                 quality_class=s["quality_class"], origin=s["origin"], contact=s["contact"],
                                 file_id=s["file_id"], row=s["row"], observations=obs_by_source.get(s["source_id"], 0))
                 for s in sources])
    fingerprint = hashlib.sha256("".join(f"{f['sha256']}  {f['file_id']}\n" for f in files).encode()).hexdigest()
    return inventory, (file_anchors, source_anchors), fingerprint, manifest


def _validation(got: dict[str, list[dict]], runs: list[dict], by_uid: dict[str, Indicator], file_anchors: dict[str, str],
                city_code: str) -> tuple[list[FindingRow], ValidationPart, int]:
    """The findings of a city on the inputs and on the values of one standard (``by_uid``), the
    validation part of its dossier, and the number of errors not accepted."""
    raw_findings = [f for f in got["findings"] if f["indicator_uid"] is None or f["indicator_uid"] in by_uid]

    def finding(f: dict) -> FindingRow:
        ind = by_uid.get(f["indicator_uid"]) if f["indicator_uid"] else None
        return FindingRow(rule_id=f["rule_id"], test=f["test"], level=f["level"], severity=f["severity"], year=f["year"],
                          indicator_uid=f["indicator_uid"], indicator_id=ind.id if ind else None,
                          anchor=indicator_anchor(ind) if ind else None, variable=f["variable"], observed=f["observed"],
                          expected=f["expected"], message=f["message"], message_id=f["message_id"],
                          message_args=json.loads(f["message_args"]), file_id=f["file_id"], sheet=f["sheet"], row=f["row"],
                          file_anchor=file_anchors.get(f["file_id"]), accepted=f["accepted"], accepted_by=f["accepted_by"],
                          accepted_role=f["accepted_role"], accepted_on=f["accepted_on"],
                          acceptance_reason=f["acceptance_reason"])

    findings = [finding(f) for f in raw_findings]
    rules_by_ls = Counter((r["level"], r["severity"]) for r in runs)
    found_by_ls = Counter((f.level, f.severity) for f in findings)
    acc_by_ls = Counter((f.level, f.severity) for f in findings if f.accepted)
    keys = sorted(set(rules_by_ls) | set(found_by_ls), key=lambda k: (k[0], SEVERITY_ORDER.get(k[1], 3), k[1]))
    summary = [ValidationSummaryRow(level=lv, severity=sev, rules=rules_by_ls[(lv, sev)], findings=found_by_ls[(lv, sev)],
                                    accepted=acc_by_ls[(lv, sev)], open=found_by_ls[(lv, sev)] - acc_by_ls[(lv, sev)])
               for lv, sev in keys]
    exceptions = []
    for e in (e for e in got["exceptions"] if e["city_code"] in (None, city_code)):
        matched = sum(1 for f in findings if f.accepted and f.rule_id == e["rule_id"] and f.accepted_by == e["accepted_by"]
                      and (e["year"] is None or f.year == e["year"])
                      and (e["variable"] is None or f.variable == e["variable"]))
        exceptions.append(ExceptionRow(rule_id=e["rule_id"], city_code=e["city_code"], year=e["year"], variable=e["variable"],
                                       accepted_by=e["accepted_by"], role=e["role"], accepted_on=e["accepted_on"],
                                       reason=e["reason"], file_id=e["file_id"], line=e["line"], matched=matched))
    blocking = sum(1 for f in findings if f.severity == "error" and not f.accepted)
    validation = ValidationPart(
        rules_run=len(runs), summary=summary,
        open_findings=[f for f in findings if not f.accepted and f.severity in ("error", "warning")],
        accepted_findings=[f for f in findings if f.accepted],
        information=sum(1 for f in findings if f.severity == "information"),
        exceptions=exceptions)
    return findings, validation, blocking


def assemble(data: CityRows, shared: Shared, catalogue: Catalogue, manifest: Manifest | None = None,
             edition_id: str | None = None) -> Dossier:
    """The dossier of one city from its rows, for one standard it reports (default: its primary
    one): no store access, so it can run in a worker process. The inputs, sources and findings on
    inputs are the city's; the values, levels and findings on values are the standard's."""
    got = data.rows
    if not got["city"]:
        raise KeyError(f"no city {data.code} in the store")
    city_code = data.code
    city_row = got["city"][0]
    facts = json.loads(city_row["facts"]) if city_row["facts"] else {}
    editions = list(city_row["editions"])
    if edition_id is not None and edition_id not in editions:
        raise KeyError(f"city {city_code} does not report {edition_id}; it reports {', '.join(editions)}")
    edition = catalogue.editions[edition_id or editions[0]]
    indicators = catalogue.of_edition(edition.id)
    by_uid = {i.uid: i for i in indicators}
    folder = city_row["folder"]
    runs, calcs = shared.runs, shared.calcs

    def ref(uid: str) -> IndicatorRef | None:
        ind = by_uid.get(uid) if uid else None
        return IndicatorRef(uid=ind.uid, id=ind.id, anchor=indicator_anchor(ind), name=ind.name) if ind else None

    inventory, anchors, fingerprint, manifest = _inventory(got, manifest)
    file_anchors, source_anchors = anchors
    findings, validation, blocking = _validation(got, runs, by_uid, file_anchors, city_code)

    # --- results, lineage ----------------------------------------------------------------------
    years = [r["year"] for r in got["years"]]
    latest = years[-1] if years else None
    results = got["results"]
    results_by_uid: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        results_by_uid[r["indicator_uid"]].append(r)
    lineage = got["lineage"]
    lineage_by: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for t in lineage:
        lineage_by[(t["indicator_uid"], t["year"])].append(t)

    def vname(variable: str) -> Text:
        try:
            return catalogue.input_name(variable)
        except KeyError:
            return Text(en=variable, pl=variable)

    def input_row(t: dict) -> InputRow:
        return InputRow(role=t["role"], variable=t["variable"], name=vname(t["variable"]), obs_year=t["obs_year"],
                        value=_dec(t["value"]), value_text=t["value_text"], raw_value=t["raw_value"], unit=t["unit"],
                        status=t["status"], note=t["note"], file_id=t["file_id"], file_anchor=file_anchors.get(t["file_id"]),
                        sheet=t["sheet"], row=t["row"], source_id=t["source_id"],
                        source_anchor=source_anchors.get(t["source_id"]), quality_class=t["quality_class"])

    # Findings on an input figure belong to every indicator that uses the figure.
    uses: dict[tuple[str, int], set[str]] = defaultdict(set)
    for t in lineage:
        uses[(t["variable"], t["obs_year"])].add(t["indicator_uid"])
    findings_by_uid: dict[str, list[FindingRow]] = defaultdict(list)
    for f in findings:
        if f.indicator_uid:
            findings_by_uid[f.indicator_uid].append(f)
        elif f.variable is not None and f.year is not None:
            for uid in sorted(uses.get((f.variable, f.year), ())):
                findings_by_uid[uid].append(f)
    runs_by_id = {r["rule_id"]: r for r in runs}

    def rule_outcomes(ind: Indicator, mine: list[FindingRow]) -> list[RuleOutcome]:
        ids = indicator_rule_ids(ind) + [f.rule_id for f in mine]
        out = []
        for rid in dict.fromkeys(ids):
            run = runs_by_id.get(rid)
            if run is None:
                continue
            hits = [f for f in mine if f.rule_id == rid]
            outcome = "passed" if not hits else "accepted" if all(f.accepted for f in hits) else "findings"
            out.append(RuleOutcome(rule_id=rid, test=run["test"], level=run["level"], severity=run["severity"],
                                   description=run["description"], description_id=run["description_id"],
                                   description_args=json.loads(run["description_args"]), checked=run["checked"], findings=len(hits), outcome=outcome))
        return sorted(out, key=lambda o: (o.level, SEVERITY_ORDER.get(o.severity, 3), o.rule_id))

    def varref(variable: str | None) -> VariableRef | None:
        if variable is None:
            return None
        v = catalogue.variables.get(variable)
        return VariableRef(variable=variable, name=vname(variable), unit=v.unit if v else "")

    def continued(ind: Indicator, years: list[YearRow]) -> list[ContinuedYear]:
        """The years without a value that an indicator of another standard of the city continues."""
        have = {y.year for y in years if y.status == "reported"}
        out: dict[int, ContinuedYear] = {}
        for link in catalogue.crosswalks.before(ind.uid):
            src = catalogue.indicators.get(link.from_uid)
            for r in results_by_uid.get(link.from_uid, []) if src else []:
                if r["status"] == "reported" and r["year"] not in have and r["year"] not in out:
                    out[r["year"]] = ContinuedYear(
                        year=r["year"], value=rounded(r["value"], r["decimals"]), value_text=r["value_text"], decimals=r["decimals"],
                        source=IndicatorRef(uid=src.uid, id=src.id, anchor=indicator_anchor(src), name=src.name),
                        clause=clause(src, catalogue), relation=link.relation.value, breaks=link.relation.breaks)
        return [out[y] for y in sorted(out)]

    # --- per indicator -------------------------------------------------------------------------
    themes: list[ThemePart] = []
    theme_index: dict[str, int] = {}
    for ind in indicators:
        rows = results_by_uid.get(ind.uid, [])
        year_rows = []
        for r in rows:
            rel = r["yoy_relative"]
            year_rows.append(YearRow(
                year=r["year"], value=rounded(r["value"], r["decimals"]), value_text=r["value_text"], status=r["status"],
                origin=r["origin"], decimals=r["decimals"],
                flags=list(r["flags"] or []), reason_code=r["reason_code"], reason=r["reason"], missing=list(r["missing"] or []),
                numerator=_dec(r["numerator"]), denominator=_dec(r["denominator"]), multiplier=_dec(r["multiplier"]),
                previous_value=rounded(r["previous_value"], r["decimals"]), yoy_change=rounded(r["yoy_change"], r["decimals"]),
                yoy_relative=None if rel is None else Decimal(repr(rel * 100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                inputs=[input_row(t) for t in lineage_by.get((ind.uid, r["year"]), [])]))
        traces = [t for r in rows for t in lineage_by.get((ind.uid, r["year"]), [])]
        notes = sorted({(t["obs_year"], t["variable"], t["status"] or "", t["note"]) for t in traces if t["note"]})
        calc = calcs.get(ind.uid)
        c = ind.calculation
        num = c.numerator if isinstance(c, (Ratio, Expression)) else None
        den = c.denominator if isinstance(c, (Ratio, Expression)) else None
        mine = findings_by_uid.get(ind.uid, [])
        part = IndicatorPart(
            uid=ind.uid, id=ind.id, anchor=indicator_anchor(ind), clause=clause(ind, catalogue), edition=ind.edition,
            theme=str(ind.theme), theme_name=catalogue.theme_names[(ind.edition, ind.theme)], tier=ind.tier.value,
            name=ind.name, unit=ind.unit, definition=ind.definition, notes=ind.notes, kind=c.kind,
            text=is_text(ind, catalogue),
            formula=calc["formula"] if calc else "", sql=calc["sql"] if calc else None, decimals=ind.decimals,
            multiplier=_dec(ind.multiplier), numerator=varref(num), denominator=varref(den),
            quality_classes=sorted({t["quality_class"] or "unknown" for t in traces if t["source_id"]}),
            input_notes=[InputNote(year=y, variable=v, status=s or None, note=n) for y, v, s, n in notes],
            years=year_rows, continued=continued(ind, year_rows), rules=rule_outcomes(ind, mine), findings=mine)
        key = str(ind.theme)
        if key not in theme_index:
            theme_index[key] = len(themes)
            themes.append(ThemePart(theme=key, anchor=theme_anchor(ind.theme), name=part.theme_name,
                                    profile=ind.tier is Tier.profile, indicators=[]))
        themes[theme_index[key]].indicators.append(part)

    # --- coverage, certification ---------------------------------------------------------------
    theme_names = {str(k[1]): v for k, v in catalogue.theme_names.items() if k[0] == edition.id}
    order = {str(t.number): n for n, t in enumerate(edition.themes)}
    order.update({p.id: len(edition.themes) + n for n, p in enumerate(edition.profile_categories)})
    cov_rows = [r for r in got["coverage"] if r["edition"] == edition.id]
    tier_order = {"core": 0, "supporting": 1, "profile": 2}
    coverage = [CoverageRow(year=r["year"], theme=r["theme"], theme_name=theme_names.get(r["theme"], Text(en=r["theme"], pl=r["theme"])),
                            tier=r["tier"], defined=r["defined"], reported=r["reported"])
                for r in sorted(cov_rows, key=lambda r: (r["year"], order.get(r["theme"], 999), r["theme"], tier_order.get(r["tier"], 3)))]
    level_names = {lv.id: lv.name for lv in edition.certification_levels}
    certification = [CertificationRow(year=r["year"], core_reported=r["core_reported"], core_defined=r["core_defined"],
                                      total_reported=r["total_reported"], total_defined=r["total_defined"], level=r["level"],
                                      level_name=level_names.get(r["level"]))
                     for r in got["certification"] if r["edition"] == edition.id]

    # --- not available, revisions ----------------------------------------------------------------
    not_available = [NotAvailableRow(indicator=ref(ind.uid), tier=ind.tier.value, year=r["year"], status=r["status"],
                                     reason_code=r["reason_code"], reason=r["reason"])
                     for ind in indicators for r in results_by_uid.get(ind.uid, []) if r["status"] != "reported"]
    compared = REVISION_RULE in runs_by_id
    revisions = [RevisionRow(kind="unexplained_change", year=f.year, indicators=[x for x in [ref(f.indicator_uid)] if x],
                             variable=None, change=f.observed, note=f.message, note_id=f.message_id,
                             note_args=f.message_args, file_id=None, sheet=None, row=None,
                             file_anchor=None)
                 for f in findings if f.rule_id == REVISION_RULE]
    for o in got["revised"]:
        fed = sorted(uses.get((o["variable"], o["year"]), ()), key=lambda u: (list(by_uid).index(u) if u in by_uid else 10**6, u))
        revisions.append(RevisionRow(
            kind="revised_input", year=o["year"], indicators=[x for x in (ref(u) for u in fed) if x], variable=o["variable"],
            change=o["value_text"] if o["value"] is None else i18n.plain(o["value"]), note=o["note"], file_id=o["file_id"],
            sheet=o["sheet"], row=o["row"], file_anchor=file_anchors.get(o["file_id"])))

    # --- quality statement, sign-off -------------------------------------------------------------
    cert_latest = next((c for c in certification if c.year == latest), None)
    latest_inputs = [t for t in lineage if t["year"] == latest and t["source_id"]
                     and any(r["status"] == "reported" and r["year"] == latest for r in results_by_uid.get(t["indicator_uid"], []))]
    class_inputs = Counter(t["quality_class"] or "unknown" for t in latest_inputs)
    class_sources = Counter(s.quality_class or "unknown" for s in inventory.sources)
    class_order = list(i18n.ENUMS["quality_class"])
    classes = [ClassCount(quality_class=k, sources=class_sources[k], inputs=class_inputs[k])
               for k in sorted(set(class_inputs) | set(class_sources), key=lambda k: (class_order.index(k) if k in class_order else 99, k))]
    flagged = Counter(fl for r in results if r["year"] == latest and r["status"] == "reported" for fl in (r["flags"] or []))
    open_errors = sum(1 for f in findings if f.severity == "error" and not f.accepted)
    open_warnings = sum(1 for f in findings if f.severity == "warning" and not f.accepted)
    accepted = sum(1 for f in findings if f.accepted)
    share = None
    if cert_latest and cert_latest.total_defined:
        share = (Decimal(cert_latest.total_reported) * 100 / cert_latest.total_defined).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    level_name = cert_latest.level_name if cert_latest else None
    city_name = Text(en=city_row["name_en"], pl=city_row["name_pl"])
    statement = _statement(city_name, latest, cert_latest, share, level_name, classes, dict(sorted(flagged.items())),
                           open_errors, open_warnings, accepted, len(runs), len(latest_inputs),
                           levels=bool(edition.certification_levels))
    quality = QualityPart(year=latest, reported=cert_latest.total_reported if cert_latest else 0,
                          defined=cert_latest.total_defined if cert_latest else 0, share_reported=share,
                          core_reported=cert_latest.core_reported if cert_latest else 0,
                          core_defined=cert_latest.core_defined if cert_latest else 0,
                          level=cert_latest.level if cert_latest else None, quality_classes=classes,
                          flagged_values=dict(sorted(flagged.items())), open_errors=open_errors, open_warnings=open_warnings,
                          accepted=accepted, statement=statement)

    contact = facts.get("contact")
    contact_part = Contact(name=contact["name"], email=contact.get("email"), organisation=contact.get("organisation")) if contact else None
    desc = facts.get("description")
    city = CityPart(code=city_code, name=city_name, country=city_row["country"], edition=edition.id, editions=editions,
                    currency=city_row["currency"],
                    folder=folder, file_id=city_row["file_id"], fictional=bool(facts.get("fictional")),
                    description=Text(**desc) if desc else None, region=facts.get("region"), website=facts.get("website"),
                    publisher=facts.get("publisher"), contact=contact_part)
    build = BuildPart(build_id=manifest.build_id if manifest else None, inputs_sha256=fingerprint,
                      status="blocked" if blocking else "released" if manifest else "releasable", blocking=blocking,
                      reference_years=years, latest_year=latest)
    return Dossier(
        city=city, edition=EditionPart(id=edition.id, standard=edition.standard, year=edition.year, title=edition.title,
                                       tiers_inferred=sum(1 for i in indicators if i.tier_basis is TierBasis.inferred
                                                          and i.tier in (Tier.core, Tier.supporting)),
                                       tiers=any(i.tier in (Tier.core, Tier.supporting) for i in indicators),
                                       levels=bool(edition.certification_levels)),
        build=build, coverage=coverage, certification=certification, validation=validation, not_available=not_available,
        revisions=RevisionsPart(compared=compared, rows=revisions), quality=quality, inventory=inventory, manifest=manifest,
        sign_off=SignOff(data_owner=facts.get("publisher") or (contact_part.organisation if contact_part else None) or city_name.en,
                         preparer=contact_part),
        themes=themes)


def _statement(city: Text, year, cert, share, level_name, classes, flagged, errors, warnings, accepted, rules, inputs,
               levels: bool = True) -> list[Text]:
    """The quality statement in sentences, from the facts only (the words in the catalogues)."""
    def both(fn) -> Text:
        return Text(en=fn("en"), pl=fn("pl"))

    def tr(lang: str, msg: str, **kw: object) -> str:
        return _i18n.gettext(lang)(msg).format(**kw)

    def count(lang: str, msg: tuple[str, str, None], n: int) -> str:
        return _i18n.ngettext(lang)(msg[0], msg[1], n).format(n=n)

    out = []
    if cert is None:
        out.append(both(lambda lang: tr(lang, N_("{city} has no calculated values in this build."), city=getattr(city, lang))))
        return out

    def coverage(lang: str) -> str:
        lvl = getattr(level_name, lang) if level_name else None
        if not levels:  # a standard without tiers and certification levels (ISO 37122, 37123)
            return (tr(lang, N_("In {year}, {city} reported {reported} of the {defined} indicators of this standard ({share} %); "
                                "the standard has no certification levels."),
                       year=year, city=getattr(city, lang), reported=cert.total_reported, defined=cert.total_defined,
                       share=i18n.number(share, lang, 1))
                    + " " + tr(lang, N_("Every indicator without a value is listed with its reason.")))
        return (tr(lang, N_("In {year}, {city} reported {reported} of {defined} core and supporting indicators ({share} %), "
                            "{core} of the {core_defined} core ones;"),
                   year=year, city=getattr(city, lang), reported=cert.total_reported, defined=cert.total_defined,
                   share=i18n.number(share, lang, 1), core=cert.core_reported, core_defined=cert.core_defined)
                + " " + (tr(lang, N_("this reaches the certification level {level}."), level=lvl) if lvl
                         else tr(lang, N_("this is below the lowest certification level.")))
                + " " + tr(lang, N_("Every indicator without a value is listed with its reason.")))
    out.append(both(coverage))

    def quality(lang: str) -> str:
        parts = ", ".join(f"{i18n.enum('quality_class', c.quality_class, lang)} {c.inputs}" for c in classes if c.inputs)
        s = _i18n.ngettext(lang)(*_INPUT_FIGURES[:2], inputs).format(year=year, n=inputs)
        s += tr(lang, N_(", by data-quality class of their source: {classes}."), classes=parts) if parts else "."
        if flagged:
            fl = ", ".join(f"{i18n.enum('flag', k, lang)} {v}" for k, v in flagged.items())
            s += " " + tr(lang, N_("Values carrying flags: {flags}."), flags=fl)
        return s
    out.append(both(quality))

    def checks(lang: str) -> str:
        return tr(lang, N_("{rules}: {errors} and {warnings} are open; {accepted} accepted by a named person "
                           "(who, role, date and reason are listed)."),
                  rules=count(lang, _RULES, rules), errors=count(lang, _ERRORS, errors),
                  warnings=count(lang, _WARNINGS, warnings), accepted=count(lang, _ACCEPTED, accepted))
    out.append(both(checks))
    out.append(both(lambda lang: tr(lang, N_(
        "Every value can be traced to its input figures, their file rows and SHA-256 hashes, and their sources (see each "
        "indicator and the input inventory); this dossier is generated from the build's store alone, and rendering it "
        "again from the same store gives the same bytes."))))
    return out


# The counts of the quality statement, with their plural forms.
_INPUT_FIGURES = Nn_("The reported values of {year} rest on {n} input figure", "The reported values of {year} rest on {n} input figures")
_RULES = Nn_("Validation ran {n} rule", "Validation ran {n} rules")
_ERRORS = Nn_("{n} error", "{n} errors")
_WARNINGS = Nn_("{n} warning", "{n} warnings")
_ACCEPTED = Nn_("{n} finding was", "{n} findings were")
