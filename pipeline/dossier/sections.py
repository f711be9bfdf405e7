"""The sections of a city's dossier, one function each, built from the rows that
:func:`~pipeline.dossier.queries.fetch` read for the city: no store access, so that a worker
process can run them. Counts of findings come from the store as they are (its SQL aggregates);
the functions only put the rows of one standard into the dossier's models."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pipeline import i18n as _i18n
from pipeline.catalogue import Catalogue
from pipeline.catalogue.models import (
    Direct,
    Edition,
    Expression,
    Indicator,
    Ratio,
    Text,
    Tier,
    VariableKind,
)
from pipeline.dossier import i18n
from pipeline.dossier.models import (
    CertificationRow,
    ClassCount,
    ContinuedYear,
    CoverageRow,
    ExceptionRow,
    FindingRow,
    IndicatorPart,
    IndicatorRef,
    InputNote,
    InputRow,
    InventoryPart,
    NotAvailableRow,
    QualityPart,
    RevisionRow,
    RevisionsPart,
    RuleOutcome,
    ThemePart,
    ValidationPart,
    ValidationSummaryRow,
    VariableRef,
    YearRow,
)
from pipeline.i18n import N_, Nn_
from pipeline.validate.checks import indicator_rule_ids, revision

REVISION_RULE = revision.CHECK.rule_id
SEVERITY_ORDER = {"error": 0, "warning": 1, "information": 2}
Rows = dict[str, list[dict]]
"""The rows of one city (and its folder) by query, as :func:`~pipeline.dossier.queries.fetch` reads them."""


def anchor(prefix: str, key: str) -> str:
    return prefix + "-" + re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-")


def indicator_anchor(ind: Indicator) -> str:
    return "ind-" + ind.slug


def indicator_ref(ind: Indicator) -> IndicatorRef:
    return IndicatorRef(uid=ind.uid, id=ind.id, anchor=indicator_anchor(ind), name=ind.name)


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


def of_edition(got: Rows, key: str, edition: Edition) -> list[dict]:
    """The rows of query ``key`` about one standard of the city (queries with an ``edition`` column)."""
    return [r for r in got[key] if r["edition"] == edition.id]


@dataclass(frozen=True)
class Scope:
    """What the sections of one dossier share: the standard and its indicators, the city's values
    and the inputs behind them (of every standard it reports), and the anchors of its inventory."""

    catalogue: Catalogue
    edition: Edition
    indicators: list[Indicator]
    by_uid: dict[str, Indicator]
    years: list[int]
    results: dict[str, list[dict]]
    """The city's values by indicator uid, in year order."""
    lineage: dict[tuple[str, int], list[dict]]
    """The inputs of each value, by (indicator uid, year)."""
    file_anchors: dict[str, str]
    source_anchors: dict[str, str]

    @property
    def latest(self) -> int | None:
        return self.years[-1] if self.years else None

    def ref(self, uid: str | None) -> IndicatorRef | None:
        ind = self.by_uid.get(uid) if uid else None
        return indicator_ref(ind) if ind else None

    def input_name(self, variable: str) -> Text:
        try:
            return self.catalogue.input_name(variable)
        except KeyError:
            return Text(en=variable, pl=variable)

    def input_row(self, t: dict) -> InputRow:
        return InputRow(role=t["role"], variable=t["variable"], name=self.input_name(t["variable"]), obs_year=t["obs_year"],
                        value=_dec(t["value"]), value_text=t["value_text"], raw_value=t["raw_value"], unit=t["unit"],
                        status=t["status"], note=t["note"], file_id=t["file_id"], file_anchor=self.file_anchors.get(t["file_id"]),
                        sheet=t["sheet"], row=t["row"], source_id=t["source_id"],
                        source_anchor=self.source_anchors.get(t["source_id"]), quality_class=t["quality_class"])


def scope(got: Rows, catalogue: Catalogue, edition: Edition, anchors: tuple[dict[str, str], dict[str, str]]) -> Scope:
    indicators = catalogue.of_edition(edition.id)
    results: dict[str, list[dict]] = defaultdict(list)
    for r in got["results"]:
        results[r["indicator_uid"]].append(r)
    lineage: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for t in got["lineage"]:
        lineage[(t["indicator_uid"], t["year"])].append(t)
    return Scope(catalogue=catalogue, edition=edition, indicators=indicators, by_uid={i.uid: i for i in indicators},
                 years=[r["year"] for r in got["years"]], results=dict(results), lineage=dict(lineage),
                 file_anchors=anchors[0], source_anchors=anchors[1])


# --- validation ----------------------------------------------------------------------------------

def finding_row(f: dict, scope: Scope) -> FindingRow:
    ind = scope.by_uid.get(f["indicator_uid"]) if f["indicator_uid"] else None
    return FindingRow(rule_id=f["rule_id"], test=f["test"], level=f["level"], severity=f["severity"], year=f["year"],
                      indicator_uid=f["indicator_uid"], indicator_id=ind.id if ind else None,
                      anchor=indicator_anchor(ind) if ind else None, variable=f["variable"], observed=f["observed"],
                      expected=f["expected"], message=f["message"], message_id=f["message_id"],
                      message_args=json.loads(f["message_args"]), file_id=f["file_id"], sheet=f["sheet"], row=f["row"],
                      file_anchor=scope.file_anchors.get(f["file_id"]), accepted=f["accepted"], accepted_by=f["accepted_by"],
                      accepted_role=f["accepted_role"], accepted_on=f["accepted_on"], acceptance_reason=f["acceptance_reason"])


def finding_totals(got: Rows, edition: Edition) -> dict:
    """The store's counts of the findings of the city on its inputs and on the standard's values:
    open_errors (these block the release), open_warnings, accepted, information."""
    return of_edition(got, "finding_totals", edition)[0]


def validation(got: Rows, scope: Scope, rules_run: int, totals: dict) -> tuple[ValidationPart, list[FindingRow]]:
    """The validation part (the summary and the matches of each acceptance as the store counts
    them), and the findings of the city on its inputs and on the standard's values."""
    findings = [finding_row(f, scope) for f in of_edition(got, "findings", scope.edition)]
    part = ValidationPart(
        rules_run=rules_run,
        summary=[ValidationSummaryRow(**{k: r[k] for k in ValidationSummaryRow.model_fields})
                 for r in of_edition(got, "validation_summary", scope.edition)],
        open_findings=[f for f in findings if not f.accepted and f.severity in ("error", "warning")],
        accepted_findings=[f for f in findings if f.accepted], information=totals["information"],
        exceptions=[ExceptionRow(**{k: e[k] for k in ExceptionRow.model_fields}) for e in of_edition(got, "exceptions", scope.edition)])
    return part, findings


# --- themes and indicators -----------------------------------------------------------------------

def rule_outcomes(ind: Indicator, hits: dict[str, dict], runs: dict[str, dict]) -> list[RuleOutcome]:
    """Every rule that ran on an indicator, with the store's count of its findings (``hits`` by
    rule id; a rule without one passed)."""
    out = []
    for rid in dict.fromkeys(indicator_rule_ids(ind) + list(hits)):
        run, hit = runs.get(rid), hits.get(rid)
        if run is None:
            continue
        out.append(RuleOutcome(rule_id=rid, test=run["test"], level=run["level"], severity=run["severity"],
                               description=run["description"], description_id=run["description_id"],
                               description_args=json.loads(run["description_args"]), checked=run["checked"],
                               findings=hit["findings"] if hit else 0,
                               outcome="passed" if not hit else "accepted" if hit["accepted"] else "findings"))
    return sorted(out, key=lambda o: (o.level, SEVERITY_ORDER.get(o.severity, 3), o.rule_id))


def variable_ref(variable: str | None, scope: Scope) -> VariableRef | None:
    if variable is None:
        return None
    v = scope.catalogue.variables.get(variable)
    return VariableRef(variable=variable, name=scope.input_name(variable), unit=v.unit if v else "")


def year_row(r: dict, inputs: list[InputRow]) -> YearRow:
    rel, decimals = r["yoy_relative"], r["decimals"]
    return YearRow(
        year=r["year"], value=rounded(r["value"], decimals), value_text=r["value_text"], status=r["status"],
        origin=r["origin"], decimals=decimals, flags=list(r["flags"] or []), reason_code=r["reason_code"], reason=r["reason"],
        missing=list(r["missing"] or []), numerator=_dec(r["numerator"]), denominator=_dec(r["denominator"]),
        multiplier=_dec(r["multiplier"]), previous_value=rounded(r["previous_value"], decimals),
        yoy_change=rounded(r["yoy_change"], decimals),
        yoy_relative=None if rel is None else Decimal(repr(rel * 100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        inputs=inputs)


def continued(ind: Indicator, years: list[YearRow], scope: Scope) -> list[ContinuedYear]:
    """The years without a value that an indicator of another standard of the city continues."""
    catalogue = scope.catalogue
    have = {y.year for y in years if y.status == "reported"}
    out: dict[int, ContinuedYear] = {}
    for link in catalogue.crosswalks.before(ind.uid):
        src = catalogue.indicators.get(link.from_uid)
        for r in scope.results.get(link.from_uid, []) if src else []:
            if r["status"] == "reported" and r["year"] not in have and r["year"] not in out:
                out[r["year"]] = ContinuedYear(
                    year=r["year"], value=rounded(r["value"], r["decimals"]), value_text=r["value_text"], decimals=r["decimals"],
                    source=indicator_ref(src),
                    clause=clause(src, catalogue), relation=link.relation.value, breaks=link.relation.breaks)
    return [out[y] for y in sorted(out)]


def indicator_part(ind: Indicator, scope: Scope, calc: dict | None, rules: list[RuleOutcome],
                   findings: list[FindingRow]) -> IndicatorPart:
    catalogue, c = scope.catalogue, ind.calculation
    rows = scope.results.get(ind.uid, [])
    traces = {r["year"]: scope.lineage.get((ind.uid, r["year"]), []) for r in rows}
    years = [year_row(r, [scope.input_row(t) for t in traces[r["year"]]]) for r in rows]
    notes = sorted({(t["obs_year"], t["variable"], t["status"] or "", t["note"]) for ts in traces.values() for t in ts if t["note"]})
    ratio = isinstance(c, (Ratio, Expression))
    return IndicatorPart(
        uid=ind.uid, id=ind.id, anchor=indicator_anchor(ind), clause=clause(ind, catalogue), edition=ind.edition,
        theme=str(ind.theme), theme_name=catalogue.theme_names[(ind.edition, ind.theme)], tier=ind.tier.value,
        name=ind.name, unit=ind.unit, definition=ind.definition, notes=ind.notes, kind=c.kind, text=is_text(ind, catalogue),
        formula=calc["formula"] if calc else "", sql=calc["sql"] if calc else None, decimals=ind.decimals,
        multiplier=_dec(ind.multiplier), numerator=variable_ref(c.numerator if ratio else None, scope),
        denominator=variable_ref(c.denominator if ratio else None, scope),
        quality_classes=sorted({t["quality_class"] or "unknown" for ts in traces.values() for t in ts if t["source_id"]}),
        input_notes=[InputNote(year=y, variable=v, status=s or None, note=n) for y, v, s, n in notes],
        years=years, continued=continued(ind, years, scope), rules=rules, findings=findings)


def themes(got: Rows, scope: Scope, runs: dict[str, dict], calcs: dict[str, dict]) -> list[ThemePart]:
    """The standard's indicators by theme, each with its values, inputs, rules and findings (those
    on an input figure belong to every indicator that uses it: the store attributes them)."""
    hits: dict[str, dict[str, dict]] = defaultdict(dict)
    for h in got["rule_hits"]:
        hits[h["for_indicator"]][h["rule_id"]] = h
    findings: dict[str, list[FindingRow]] = defaultdict(list)
    for f in got["indicator_findings"]:
        if f["for_indicator"] in scope.by_uid:
            findings[f["for_indicator"]].append(finding_row(f, scope))
    by_theme: dict[str, list[IndicatorPart]] = {}
    for ind in scope.indicators:
        by_theme.setdefault(str(ind.theme), []).append(
            indicator_part(ind, scope, calcs.get(ind.uid), rule_outcomes(ind, hits[ind.uid], runs), findings[ind.uid]))
    return [ThemePart(theme=key, anchor=theme_anchor(key), name=parts[0].theme_name, profile=parts[0].tier == Tier.profile,
                      indicators=parts) for key, parts in by_theme.items()]


# --- coverage, certification, not available, revisions -----------------------------------------

def coverage(got: Rows, catalogue: Catalogue, edition: Edition) -> list[CoverageRow]:
    theme_names = {str(k[1]): v for k, v in catalogue.theme_names.items() if k[0] == edition.id}
    order = {str(t.number): n for n, t in enumerate(edition.themes)}
    order.update({p.id: len(edition.themes) + n for n, p in enumerate(edition.profile_categories)})
    tier_order = {"core": 0, "supporting": 1, "profile": 2}
    rows = sorted(of_edition(got, "coverage", edition),
                  key=lambda r: (r["year"], order.get(r["theme"], 999), r["theme"], tier_order.get(r["tier"], 3)))
    return [CoverageRow(year=r["year"], theme=r["theme"], theme_name=theme_names.get(r["theme"], Text(en=r["theme"], pl=r["theme"])),
                        tier=r["tier"], defined=r["defined"], reported=r["reported"]) for r in rows]


def certification(got: Rows, edition: Edition) -> list[CertificationRow]:
    level_names = {lv.id: lv.name for lv in edition.certification_levels}
    return [CertificationRow(year=r["year"], core_reported=r["core_reported"], core_defined=r["core_defined"],
                             total_reported=r["total_reported"], total_defined=r["total_defined"], level=r["level"],
                             level_name=level_names.get(r["level"]))
            for r in of_edition(got, "certification", edition)]


def not_available(scope: Scope) -> list[NotAvailableRow]:
    return [NotAvailableRow(indicator=scope.ref(ind.uid), tier=ind.tier.value, year=r["year"], status=r["status"],
                            reason_code=r["reason_code"], reason=r["reason"])
            for ind in scope.indicators for r in scope.results.get(ind.uid, []) if r["status"] != "reported"]


def revisions(got: Rows, findings: list[FindingRow], scope: Scope, runs: dict[str, dict]) -> RevisionsPart:
    """Values that changed against the previous release without a revised input, and the revised
    inputs with the indicators of the standard they feed (in catalogue order)."""
    position = {uid: n for n, uid in enumerate(scope.by_uid)}
    rows = [RevisionRow(kind="unexplained_change", year=f.year, indicators=[x for x in [scope.ref(f.indicator_uid)] if x],
                        variable=None, change=f.observed, note=f.message, note_id=f.message_id, note_args=f.message_args,
                        file_id=None, sheet=None, row=None, file_anchor=None)
            for f in findings if f.rule_id == REVISION_RULE]
    for o in got["revised"]:
        fed = sorted(o["fed"], key=lambda u: (position.get(u, 10**6), u))
        rows.append(RevisionRow(
            kind="revised_input", year=o["year"], indicators=[x for x in map(scope.ref, fed) if x], variable=o["variable"],
            change=o["value_text"] if o["value"] is None else i18n.plain(o["value"]), note=o["note"], file_id=o["file_id"],
            sheet=o["sheet"], row=o["row"], file_anchor=scope.file_anchors.get(o["file_id"])))
    return RevisionsPart(compared=REVISION_RULE in runs, rows=rows)


# --- quality statement ---------------------------------------------------------------------------

def quality_classes(inputs: list[dict], inventory: InventoryPart) -> list[ClassCount]:
    """Sources and input figures by the data-quality class of their source."""
    by_inputs = Counter(t["quality_class"] or "unknown" for t in inputs)
    by_sources = Counter(s.quality_class or "unknown" for s in inventory.sources)
    order = list(i18n.ENUMS["quality_class"])
    return [ClassCount(quality_class=k, sources=by_sources[k], inputs=by_inputs[k])
            for k in sorted(set(by_inputs) | set(by_sources), key=lambda k: (order.index(k) if k in order else 99, k))]


def quality(got: Rows, scope: Scope, certified: list[CertificationRow], inventory: InventoryPart, totals: dict,
            city: Text, rules_run: int) -> QualityPart:
    """The quality of the latest year: coverage, the classes of the sources behind its values, their
    flags, and the findings open and accepted (as the store counts them), with the statement."""
    latest = scope.latest
    cert = next((c for c in certified if c.year == latest), None)
    results = of_edition(got, "results", scope.edition)  # the values of this standard, not of the city's others
    reported = {(r["indicator_uid"], r["year"]) for r in results if r["status"] == "reported"}
    inputs = [t for t in got["lineage"] if t["year"] == latest and t["source_id"] and (t["indicator_uid"], latest) in reported]
    classes = quality_classes(inputs, inventory)
    flagged = dict(sorted(Counter(fl for r in results if r["year"] == latest and r["status"] == "reported"
                                  for fl in (r["flags"] or [])).items()))
    share = None
    if cert and cert.total_defined:
        share = (Decimal(cert.total_reported) * 100 / cert.total_defined).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    said = statement(city, latest, cert, share, classes, flagged, totals, rules_run, len(inputs),
                     levels=bool(scope.edition.certification_levels))
    return QualityPart(year=latest, reported=cert.total_reported if cert else 0, defined=cert.total_defined if cert else 0,
                       share_reported=share, core_reported=cert.core_reported if cert else 0,
                       core_defined=cert.core_defined if cert else 0, level=cert.level if cert else None,
                       quality_classes=classes, flagged_values=flagged, open_errors=totals["open_errors"],
                       open_warnings=totals["open_warnings"], accepted=totals["accepted"], statement=said)


def _tr(lang: str, msg: str, **kw: object) -> str:
    return _i18n.gettext(lang)(msg).format(**kw)


def _count(lang: str, msg: tuple[str, str, None], n: int) -> str:
    return _i18n.ngettext(lang)(msg[0], msg[1], n).format(n=n)


def _coverage_sentence(lang: str, city: Text, year: int, cert: CertificationRow, share: Decimal | None, levels: bool) -> str:
    name = getattr(city, lang)
    if not levels:  # a standard without tiers and certification levels (ISO 37122, 37123)
        said = _tr(lang, N_("In {year}, {city} reported {reported} of the {defined} indicators of this standard ({share} %); "
                            "the standard has no certification levels."),
                   year=year, city=name, reported=cert.total_reported, defined=cert.total_defined, share=i18n.number(share, lang, 1))
    else:
        lvl = getattr(cert.level_name, lang) if cert.level_name else None
        said = (_tr(lang, N_("In {year}, {city} reported {reported} of {defined} core and supporting indicators ({share} %), "
                             "{core} of the {core_defined} core ones;"),
                    year=year, city=name, reported=cert.total_reported, defined=cert.total_defined,
                    share=i18n.number(share, lang, 1), core=cert.core_reported, core_defined=cert.core_defined)
                + " " + (_tr(lang, N_("this reaches the certification level {level}."), level=lvl) if lvl
                         else _tr(lang, N_("this is below the lowest certification level."))))
    return said + " " + _tr(lang, N_("Every indicator without a value is listed with its reason."))


def _inputs_sentence(lang: str, year: int, classes: list[ClassCount], flagged: dict[str, int], inputs: int) -> str:
    parts = ", ".join(f"{i18n.enum('quality_class', c.quality_class, lang)} {c.inputs}" for c in classes if c.inputs)
    s = _i18n.ngettext(lang)(*_INPUT_FIGURES[:2], inputs).format(year=year, n=inputs)
    s += _tr(lang, N_(", by data-quality class of their source: {classes}."), classes=parts) if parts else "."
    if flagged:
        fl = ", ".join(f"{i18n.enum('flag', k, lang)} {v}" for k, v in flagged.items())
        s += " " + _tr(lang, N_("Values carrying flags: {flags}."), flags=fl)
    return s


def _checks_sentence(lang: str, totals: dict, rules: int) -> str:
    return _tr(lang, N_("{rules}: {errors} and {warnings} are open; {accepted} accepted by a named person "
                        "(who, role, date and reason are listed)."),
               rules=_count(lang, _RULES, rules), errors=_count(lang, _ERRORS, totals["open_errors"]),
               warnings=_count(lang, _WARNINGS, totals["open_warnings"]), accepted=_count(lang, _ACCEPTED, totals["accepted"]))


def statement(city: Text, year: int | None, cert: CertificationRow | None, share: Decimal | None, classes: list[ClassCount],
              flagged: dict[str, int], totals: dict, rules: int, inputs: int, levels: bool = True) -> list[Text]:
    """The quality statement in sentences, from the facts only (the words in the catalogues):
    ``totals`` are the store's counts of open and accepted findings (:func:`finding_totals`)."""
    def both(fn) -> Text:
        return Text(en=fn("en"), pl=fn("pl"))

    if cert is None:
        return [both(lambda lang: _tr(lang, N_("{city} has no calculated values in this build."), city=getattr(city, lang)))]
    return [both(lambda lang: _coverage_sentence(lang, city, year, cert, share, levels)),
            both(lambda lang: _inputs_sentence(lang, year, classes, flagged, inputs)),
            both(lambda lang: _checks_sentence(lang, totals, rules)),
            both(lambda lang: _tr(lang, N_(
                "Every value can be traced to its input figures, their file rows and SHA-256 hashes, and their sources (see "
                "each indicator and the input inventory); this dossier is generated from the build's store alone, and "
                "rendering it again from the same store gives the same bytes.")))]


# The counts of the quality statement, with their plural forms.
_INPUT_FIGURES = Nn_("The reported values of {year} rest on {n} input figure", "The reported values of {year} rest on {n} input figures")
_RULES = Nn_("Validation ran {n} rule", "Validation ran {n} rules")
_ERRORS = Nn_("{n} error", "{n} errors")
_WARNINGS = Nn_("{n} warning", "{n} warnings")
_ACCEPTED = Nn_("{n} finding was", "{n} findings were")
