"""Every label of the dossier and the comparison, keyed, with its English text marked for the
message catalogues (``pipeline/locale``, see :mod:`pipeline.i18n`): the words of every language
are in the catalogues, the templates are the same for every language. Numbers are written the
way each language writes them (below)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from pipeline import i18n as _i18n
from pipeline.i18n import N_, NC_, Nn_


def languages() -> tuple[str, ...]:
    """The languages with a message catalogue."""
    return _i18n.languages()


LABELS: dict[str, str | tuple[str, str] | tuple[str, str, None]] = {  # key: N_(msg), NC_(context, msg) or Nn_(one, many)
    # document
    "dossier": N_('Evidence dossier'),
    "dossier_for": N_('ISO 37120 evidence dossier'),
    "contents": N_('Contents'),
    "other_language": N_('Polish version'),
    "fictional": N_('A fictional city: the figures are invented for testing and demonstration.'),
    "generated_by": N_("Generated from the build's store by the ISO 37120 pipeline; dossier schema version"),
    "how_to_read": N_('How to verify a value: open the indicator from the table of indicators; its section gives '
                      'the value, the formula as run, the numerator and denominator, every input with its file '
                      "and row (the file's SHA-256 is in the input inventory), the source, the rules that ran and"
                      ' their outcome.'),
    # the printed page: running header and footer (CSS page-margin boxes)
    "page_of": N_('Page {page} of {pages}'),
    "running_build": N_('build {build}'),
    "running_inputs": N_('inputs {inputs}'),
    "running_released": N_('released {date}'),
    # title page
    "city": N_('City'),
    "city_code": N_('City code'),
    "country": N_('Country'),
    "region": N_('Region'),
    "currency": N_('Currency (LCU)'),
    "edition": N_('Edition'),
    "reference_years": N_('Reference years'),
    "build_id": N_('Build id'),
    "build_id_none": N_('not given — see manifest.json of the release'),
    "inputs_sha256": N_('Inputs fingerprint (SHA-256 over the inventory)'),
    "status": N_('Status'),
    "build_status": N_('Build status'),
    "build_released": N_('released'),
    "build_releasable": N_('releasable: no validation error is left unaccepted'),
    "publisher": N_('Publisher (data owner)'),
    "contact": N_('Contact (preparer)'),
    "website": N_('Website'),
    # sections
    "sec_coverage": N_('Coverage and certification level'),
    "sec_validation": N_('Validation'),
    "sec_exceptions": N_('Accepted exceptions'),
    "sec_not_available": N_('Indicators not available'),
    "sec_revisions": N_('Revisions against the previous release'),
    "sec_quality": N_('Quality statement'),
    "sec_indicators": N_('Indicators at a glance'),
    "sec_inventory": N_('Input inventory'),
    "sec_manifest": N_('Build manifest'),
    "sec_signoff": N_('Release approval'),
    "sec_themes": N_('Indicators by theme'),
    "sec_profile": N_('Profile data'),
    # coverage
    "coverage_chart": N_('Indicators reported by theme'),
    "coverage_by_theme": N_('Coverage by theme and tier (reported / defined)'),
    "certification": N_('Certification level by year'),
    "year": N_('Year'),
    "years": N_('Years'),
    "theme": N_('Theme'),
    "tier": N_('Tier'),
    "core": N_('Core'),
    "supporting": N_('Supporting'),
    "profile": N_('Profile'),
    "core_and_supporting": N_('Core + supporting'),
    "level": N_('Level'),
    "below_lowest": N_('below the lowest level'),
    "total": N_('All themes'),
    "legend_core": N_('core reported'),
    "legend_supporting": N_('supporting reported'),
    "legend_missing": N_('not reported'),
    "legend_reported": N_('reported'),
    # validation
    "rules_run": N_('Rules that ran'),
    "summary_by_level": N_('Findings by level and severity'),
    "ess_level": N_('ESS level'),
    "severity": N_('Severity'),
    "rules": N_('Rules'),
    "findings": N_('Findings'),
    "accepted": N_('Accepted'),
    "open": N_('Open'),
    "no_findings": N_('Validation found nothing for this city.'),
    "open_findings": N_('Open errors and warnings'),
    "no_open_findings": N_('No error or warning is open.'),
    "accepted_findings": N_('Accepted findings'),
    "information_count": N_('Findings of severity information (shown with their indicators)'),
    "rule": N_('Rule'),
    "indicator": N_('Indicator'),
    "variable": N_('Variable'),
    "observed": N_('Observed'),
    "expected": N_('Expected'),
    "message": N_('Message'),
    "place": N_('Place'),
    "accepted_by": N_('Accepted by'),
    "role": N_('Role'),
    "date": N_('Date'),
    "reason": N_('Reason'),
    "matched": N_('Findings matched'),
    "no_exceptions": N_('No finding was accepted as an exception.'),
    "stale_exception": N_('matches no finding of this build: to be removed'),
    "exception_file": N_('Recorded in'),
    "every_year": N_('every year'),
    # not available
    "not_available_intro": N_('Every indicator without a value in a reference year, with the reason given with its '
                              'inputs.'),
    "none_not_available": N_('Every indicator has a value in every reference year.'),
    # revisions
    "revisions_none_compared": N_('The build was not compared with a previous release (there is none, or it was not given): '
                                  'no revision can be reported.'),
    "revisions_none": N_('No released value changed without a revision record, and no input is marked revised.'),
    "revisions_not_compared_inputs": N_('The build was not compared with a previous release; the inputs marked revised are listed '
                                        'below.'),
    "kind_unexplained_change": N_('released value changed without a revision record'),
    "kind_revised_input": N_('input marked revised'),
    "change": N_('Change'),
    "why": N_('Why'),
    "kind": N_('Kind'),
    "indicators": N_('Indicators'),
    # inventory
    "files": N_('Files'),
    "sources": N_('Sources'),
    "file": N_('File'),
    "bytes": N_('Bytes'),
    "media_type": N_('Media type'),
    "source": N_('Source'),
    "organisation": N_('Organisation'),
    "dataset": N_('Dataset'),
    "retrieved_on": N_('Retrieved on'),
    "licence": N_('Licence'),
    "quality_class": N_('Data-quality class'),
    "origin": N_('Origin'),
    "figures": N_('Figures'),
    "register_row": N_('Register row'),
    # manifest
    "manifest_none": N_('The manifest of this build is in manifest.json of the release.'),
    "release_date": N_('Release date'),
    "code_version": N_('Code version'),
    "lock_sha256": N_('Dependency lock (SHA-256)'),
    "python": N_('Python'),
    "packages": N_('Packages'),
    "package": N_('Package'),
    "version": N_('Version'),
    "configuration": N_('Configuration'),
    "setting": N_('Setting'),
    "value_col": N_('Value'),
    "editions": N_('Editions'),
    "definitions_sha256": N_('Definitions (SHA-256)'),
    "outputs": N_('Outputs'),
    "inputs": N_('Inputs'),
    "path": N_('Path'),
    "manifest_version": N_('Manifest version'),
    "previous_build": N_('Previous release compared (build id)'),
    "previous_files": N_('Files read from the previous release'),
    # sign-off
    "signoff_intro": N_('To be filled on paper by the person who approves the release.'),
    "data_owner": N_('Data owner'),
    "preparer": N_('Prepared by'),
    "approver": N_('Approved by (name)'),
    "approver_role": N_('Role'),
    "approval_date": N_('Date'),
    "decision": N_('Decision'),
    "decision_approved": N_('approved'),
    "decision_conditions": N_('approved with conditions'),
    "decision_rejected": N_('rejected'),
    "signature": N_('Signature'),
    # indicators
    "indicators_intro": N_("Latest reference year; each id links to the indicator's section."),
    "id": N_('Id'),
    "name": N_('Name'),
    "value": N_('Value'),
    "unit": N_('Unit'),
    "flags": N_('Flags'),
    "clause": N_('Clause'),
    "clause_profile": N_('{edition}, profile ({id})'),  # the clause of a profile indicator: TEST:2014, profile (P14-P-09)
    "uid": N_('Identifier'),
    "reference_year": N_('Reference year'),
    "definition": N_('Definition (in our words)'),
    "formula": N_('Formula as run'),
    "computation": N_('Computation'),
    "numerator": N_('Numerator'),
    "denominator": N_('Denominator'),
    "multiplier": N_('Multiplier'),
    "sql_as_run": N_('SQL as run on the store'),
    "time_series": N_('Time series'),
    "continued_intro": N_('In the years below this indicator has no value; the series continues with the value of the '
                          'indicator of another standard the city reports that measures the same (crosswalk), with a '
                          'break in series where the measure changed.'),
    "continued_from": N_('Continued from'),
    "relation": N_('Relation'),
    "other_standards": N_('Other standards of the city'),
    "tiers_inferred_badge": N_('inferred tiers'),
    "indicators_reported": N_('Indicators reported'),
    "no_levels": N_('This standard has no certification levels: the table counts the indicators reported.'),
    "previous": N_('Previous year'),
    "yoy_change": N_('Change'),
    "yoy_relative": N_('Change %'),
    "trend": N_('Trend'),
    "inputs_sources": N_('Inputs: figures, file rows and sources'),
    "as_written": N_('as written'),
    "row": N_('row'),
    "line": N_('line'),
    "sheet": N_('sheet'),
    "method": N_("Method note and deviations from the standard's definition"),
    "definition_note": N_('Note of the definition'),
    "input_notes": N_('Notes given with the inputs'),
    "reported_not_computed": N_('reported, not computed'),
    "no_deviation": N_('No deviation is declared, neither in the definition nor with the inputs.'),
    "checks": N_('Validation: rules that ran and their outcome'),
    "checked_rows": N_('Rows checked'),
    "outcome": N_('Outcome'),
    "no_rules": N_('No rule ran on this indicator.'),
    "verdict": N_("Verifier's verdict"),
    "verdict_confirmed": N_('confirmed'),
    "verdict_remarks": N_('confirmed with remarks'),
    "verdict_not_confirmed": N_('not confirmed'),
    "remarks": N_('Remarks'),
    "verifier": N_('Verifier, date'),
    "no_value_years": N_('No value in any reference year.'),
    "back_to_top": N_('Back to the indicators'),
    "none": N_('none'),
    "yes": N_('yes'),
    "no": N_('no'),
    # comparison across cities (comparison.html.j2)
    "cmp_title": N_('Comparison of cities ({n}), {year}'),
    "cmp_title_no_year": N_('Comparison of cities ({n})'),
    "cmp_kicker": N_('ISO 37120 comparison across cities'),
    "cmp_intro": N_("Every city of the build side by side: certification levels by year, each city's coverage "
                    'and open findings in the latest reference year, and the spread of each indicator across '
                    "the cities. Each city's name opens its evidence dossier, where every value can be "
                    'verified.'),
    "cmp_number_of_cities": NC_('number of', 'Cities'),
    "cmp_latest_year": N_('Latest reference year'),
    "cmp_generated_by": N_("Generated from the build's store by the ISO 37120 pipeline; comparison schema version"),
    "cmp_no_cities": N_('The store holds no city.'),
    "cmp_sec_levels": N_('Cities by certification level'),
    "cmp_levels_intro": N_('Cities calculated in each reference year, by the highest certification level they reach.'),
    "cmp_all_cities": N_('All cities'),
    "cmp_sec_cities": N_('Cities'),
    "cmp_cities_intro": N_("Ordered by city code; each name opens the city's evidence dossier. Level and indicators "
                           'reported (reported / defined) in {year}; open findings are the errors and warnings nobody '
                           'accepted.'),
    "cmp_open_errors": N_('Open errors'),
    "cmp_open_warnings": N_('Open warnings'),
    "cmp_not_calculated": N_('not calculated in this year'),
    "cmp_sec_indicators": N_('Indicators across cities'),
    "cmp_indicators_intro": N_('Over the cities that reported the indicator in {year}. Quartiles are interpolated between '
                               "values; every figure is rounded half away from zero to the indicator's decimals. A city "
                               "code opens the indicator in that city's dossier."),
    "cmp_reporting": N_('Cities reporting'),
    "cmp_min": N_('Minimum (city)'),
    "cmp_p25": N_('Lower quartile'),
    "cmp_median": N_('Median'),
    "cmp_p75": N_('Upper quartile'),
    "cmp_max": N_('Maximum (city)'),
    "cmp_text_only": N_('a fact in words: cities reporting only'),
}

ENUMS: dict[str, dict[str, tuple[str, str]]] = {  # kind: code: (context, English); the context is the kind
    "status": {
        "reported": NC_("status", 'reported'),
        "not_available": NC_("status", 'not available'),
        "not_applicable": NC_("status", 'not applicable'),
    },
    "relation": {
        "same": NC_("relation", 'the same measure'),
        "renamed": NC_("relation", 'the same measure, renamed'),
        "changed": NC_("relation", 'the measure changed'),
        "related": NC_("relation", 'a related measure'),
    },
    "flag": {
        "estimated": NC_("flag", 'estimated'),
        "provisional": NC_("flag", 'provisional'),
        "revised": NC_("flag", 'revised'),
        "break": NC_("flag", 'break in series'),
        "confidential": NC_("flag", 'confidential'),
        "not_available": NC_("flag", 'not available'),
        "not_applicable": NC_("flag", 'not applicable'),
    },
    "severity": {
        "error": NC_("severity", 'error'),
        "warning": NC_("severity", 'warning'),
        "information": NC_("severity", 'information'),
    },
    "level": {
        "0": NC_("level", '0 format'),
        "1": NC_("level", '1 within the data set'),
        "2": NC_("level", '2 against other periods'),
        "3": NC_("level", '3 against other sources'),
        "4": NC_("level", '4 against other domains'),
        "5": NC_("level", '5 against external benchmarks'),
    },
    "tier": {
        "core": NC_("tier", 'core'),
        "supporting": NC_("tier", 'supporting'),
        "profile": NC_("tier", 'profile'),
        "indicator": NC_("tier", 'indicator'),
    },
    "quality_class": {
        "measured": NC_("quality_class", 'measured'),
        "survey_extrapolation": NC_("quality_class", 'extrapolated from a survey'),
        "higher_level_extrapolation": NC_("quality_class", 'extrapolated from higher-level data'),
        "assumption_estimate": NC_("quality_class", 'estimate on stated assumptions'),
        "expert_estimate": NC_("quality_class", 'expert estimate'),
        "unknown": NC_("quality_class", 'unknown'),
    },
    "reason_code": {
        "missing_input": NC_("reason_code", 'no figure given'),
        "input_not_available": NC_("reason_code", 'an input is not available'),
        "confidential": NC_("reason_code", 'confidential'),
        "not_applicable": NC_("reason_code", 'not applicable'),
        "zero_denominator": NC_("reason_code", 'zero denominator'),
        "no_finite_value": NC_("reason_code", 'no finite value'),
    },
    "role": {
        "numerator": NC_("role", 'numerator'),
        "denominator": NC_("role", 'denominator'),
        "input": NC_("role", 'input'),
        "previous": NC_("role", 'previous year'),
        "city": NC_("role", 'city description'),
        "sources": NC_("role", 'source register'),
        "observations": NC_("role", 'observations'),
        "exceptions": NC_("role", 'accepted exceptions'),
        "other": NC_("role", 'other'),
    },
    "outcome": {
        "passed": NC_("outcome", 'passed'),
        "accepted": NC_("outcome", 'findings accepted'),
        "findings": NC_("outcome", 'findings'),
    },
    "kind": {
        "ratio": NC_("kind", 'ratio'),
        "direct": NC_("kind", 'direct value'),
        "expression": NC_("kind", 'expression'),
    },
}

# Labels with a count: the form follows the number ({n} given to label()).
LABELS["build_blocked"] = Nn_("blocked: {n} validation error not accepted", "blocked: {n} validation errors not accepted")
LABELS["tiers_inferred"] = Nn_("The levels are computed on inferred tiers: {n} core or supporting indicator of this standard "
                               "has a tier inferred from public material, not confirmed by the standard's text.",
                               "The levels are computed on inferred tiers: {n} core and supporting indicators of this "
                               "standard have a tier inferred from public material, not confirmed by the standard's text.")
LABELS["rounding"] = Nn_("rounded half away from zero to {n} decimal", "rounded half away from zero to {n} decimals")

assert all(isinstance(v, str) and v or isinstance(v, tuple) and all(isinstance(x, str) and x for x in v if x is not None)
           for v in LABELS.values())


def label(key: str, lang: str, **kw: object) -> str:
    """The label ``key`` in ``lang``; ``kw`` fills its ``{placeholders}`` (``n`` also picks the plural form)."""
    msg = LABELS[key]
    if isinstance(msg, str):
        text = _i18n.gettext(lang)(msg)
    elif len(msg) == 3:
        text = _i18n.ngettext(lang)(msg[0], msg[1], int(kw["n"]))  # type: ignore[call-overload]
    else:
        text = _i18n.pgettext(lang)(*msg)
    return text.format(**kw) if kw else text


class Words(dict):
    """The words of one kind of coded value in one language, for templates (``E[kind][code]``);
    an unknown code is shown as :func:`enum` shows it."""

    def __init__(self, kind: str, lang: str):
        tr = _i18n.pgettext(lang)
        super().__init__((code, tr(*msg)) for code, msg in ENUMS[kind].items())
        self.kind, self.lang = kind, lang

    def __missing__(self, value: object) -> str:
        return enum(self.kind, value, self.lang)


def labels(lang: str) -> dict[str, str]:
    """Every label without a count in ``lang``, for templates (``T[key]``)."""
    return {key: label(key, lang) for key, msg in LABELS.items() if not (isinstance(msg, tuple) and len(msg) == 3)}


def enums(lang: str) -> dict[str, Words]:
    return {kind: Words(kind, lang) for kind in ENUMS}


def enum(kind: str, value: object, lang: str) -> str:
    """A coded value in words; an unknown code is shown as it is."""
    if value is None:
        return ""
    msg = ENUMS[kind].get(str(value))
    return _i18n.pgettext(lang)(*msg) if msg else str(value).replace("_", " ")


def _group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    return sep.join([digits, *out])


def plain(d: Decimal) -> str:
    """A decimal without trailing zeros and never in exponent form: ``100``, ``12.5``."""
    d = d.normalize()
    return format(d.quantize(Decimal(1)) if d == d.to_integral_value() else d, "f")


def number(d: Decimal | int | None, lang: str, decimals: int | None = None) -> str:
    """A number as the language writes it: ``1,234.50`` in English, ``1 234,50`` in Polish
    (groups from five digits on, with a no-break space: Polish writes ``8157`` without a space,
    four-digit numbers are not grouped, CLDR's minimumGroupingDigits 2 for pl). This is right as it
    is, so numbers stay here, not in the catalogues; a language other than Polish is written the
    English way. ``decimals`` fixes the decimals shown (half away from zero); without it, the number
    is shown with the digits it has."""
    if d is None:
        return "—"
    d = Decimal(d)
    text = format(d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP), "f") if decimals is not None else plain(d)
    sign = ""
    if text.startswith("-"):
        sign, text = "−", text[1:]
    whole, _, frac = text.partition(".")
    if lang == "pl":
        whole = _group(whole, "\u00a0") if len(whole) > 4 else whole
        return sign + whole + ("," + frac if frac else "")
    return sign + _group(whole, ",") + ("." + frac if frac else "")


def signed(d: Decimal | None, lang: str, decimals: int | None = None) -> str:
    if d is None:
        return "—"
    text = number(d, lang, decimals)
    return text if text.startswith("−") or Decimal(d) == 0 else "+" + text


def name(text, lang: str) -> str:
    """The catalogue's name (a Text with en and pl) in the language."""
    if text is None:
        return ""
    return getattr(text, lang, None) or text.en  # a language the YAML does not have: English


def unit(unit: str | None, lang: str) -> str:
    """A unit of the registry as a label (``osoby``, ``persons``, ``km2``)."""
    return _i18n.unit_label(unit, lang)


def unit_count(unit: str | None, n: object, lang: str) -> str:
    """A unit after a number, in the number's plural form (``1 osoba``, ``2 osoby``, ``5 osób``)."""
    return _i18n.unit_count(unit, n, lang)


def other(lang: str) -> str:
    """The language the page links to (English and Polish link to each other; any other to English)."""
    return "pl" if lang == "en" else "en"
