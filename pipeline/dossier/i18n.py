"""Every label of the dossier in English and Polish, in one table, and numbers written the way
each language writes them. The templates are the same for both languages; only these words and
the catalogue's own names change."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

LANGS = ("en", "pl")

LABELS: dict[str, tuple[str, str]] = {
    # document
    "dossier": ("Evidence dossier", "Dossier dowodowe"),
    "dossier_for": ("ISO 37120 evidence dossier", "Dossier dowodowe ISO 37120"),
    "contents": ("Contents", "Spis treści"),
    "other_language": ("Polish version", "Wersja angielska"),
    "fictional": ("A fictional city: the figures are invented for testing and demonstration.",
                  "Miasto fikcyjne: liczby są zmyślone na potrzeby testów i demonstracji."),
    "generated_by": ("Generated from the build's store by the ISO 37120 pipeline; dossier schema version",
                     "Wygenerowano z magazynu danych kompilacji przez potok ISO 37120; wersja schematu dossier"),
    "how_to_read": (("How to verify a value: open the indicator from the table of indicators; its section gives the value, "
                     "the formula as run, the numerator and denominator, every input with its file and row (the file's SHA-256 is "
                     "in the input inventory), the source, the rules that ran and their outcome."),
                    ("Jak sprawdzić wartość: otwórz wskaźnik z tabeli wskaźników; jego sekcja podaje wartość, wzór w postaci "
                     "wykonanej, licznik i mianownik, każdą daną wejściową z plikiem i wierszem (skrót SHA-256 pliku "
                     "jest w spisie danych wejściowych), źródło, "
                     "reguły walidacji, które zostały uruchomione, i ich wynik.")),
    # the printed page: running header and footer (CSS page-margin boxes)
    "page_of": ("Page {page} of {pages}", "Strona {page} z {pages}"),
    "running_build": ("build {build}", "kompilacja {build}"),
    "running_inputs": ("inputs {inputs}", "dane wejściowe {inputs}"),
    "running_released": ("released {date}", "wydano {date}"),
    # title page
    "city": ("City", "Miasto"),
    "city_code": ("City code", "Kod miasta"),
    "country": ("Country", "Kraj"),
    "region": ("Region", "Region"),
    "currency": ("Currency (LCU)", "Waluta (LCU)"),
    "edition": ("Edition", "Edycja"),
    "reference_years": ("Reference years", "Lata odniesienia"),
    "build_id": ("Build id", "Identyfikator kompilacji"),
    "build_id_none": ("not given — see manifest.json of the release", "nie podano — zob. manifest.json wydania"),
    "inputs_sha256": ("Inputs fingerprint (SHA-256 over the inventory)", "Odcisk danych wejściowych (SHA-256 spisu plików)"),
    "status": ("Status", "Status"),
    "build_status": ("Build status", "Status kompilacji"),
    "build_released": ("released", "wydana"),
    "build_releasable": ("releasable: no validation error is left unaccepted", "gotowa do wydania: każdy błąd walidacji został zaakceptowany lub go nie ma"),
    "build_blocked": ("blocked: {n} validation error(s) not accepted", "zablokowana: {n} niezaakceptowany(ch) błąd(ów) walidacji"),
    "publisher": ("Publisher (data owner)", "Wydawca (właściciel danych)"),
    "contact": ("Contact (preparer)", "Kontakt (osoba przygotowująca)"),
    "website": ("Website", "Strona internetowa"),
    # sections
    "sec_coverage": ("Coverage and certification level", "Kompletność i poziom certyfikacji"),
    "sec_validation": ("Validation", "Walidacja"),
    "sec_exceptions": ("Accepted exceptions", "Zaakceptowane wyjątki"),
    "sec_not_available": ("Indicators not available", "Wskaźniki niedostępne"),
    "sec_revisions": ("Revisions against the previous release", "Rewizje względem poprzedniego wydania"),
    "sec_quality": ("Quality statement", "Deklaracja jakości"),
    "sec_indicators": ("Indicators at a glance", "Przegląd wskaźników"),
    "sec_inventory": ("Input inventory", "Spis danych wejściowych"),
    "sec_manifest": ("Build manifest", "Manifest kompilacji"),
    "sec_signoff": ("Release approval", "Zatwierdzenie wydania"),
    "sec_themes": ("Indicators by theme", "Wskaźniki według tematów"),
    "sec_profile": ("Profile data", "Dane profilowe"),
    # coverage
    "coverage_chart": ("Indicators reported by theme", "Wskaźniki podane według tematów"),
    "coverage_by_theme": ("Coverage by theme and tier (reported / defined)", "Kompletność według tematów i poziomów (podane / zdefiniowane)"),
    "certification": ("Certification level by year", "Poziom certyfikacji według lat"),
    "year": ("Year", "Rok"),
    "years": ("Years", "Lata"),
    "theme": ("Theme", "Temat"),
    "tier": ("Tier", "Poziom"),
    "core": ("Core", "Podstawowe"),
    "supporting": ("Supporting", "Uzupełniające"),
    "profile": ("Profile", "Profilowe"),
    "core_and_supporting": ("Core + supporting", "Podstawowe + uzupełniające"),
    "level": ("Level", "Poziom"),
    "below_lowest": ("below the lowest level", "poniżej najniższego poziomu"),
    "total": ("All themes", "Wszystkie tematy"),
    "legend_core": ("core reported", "podane podstawowe"),
    "legend_supporting": ("supporting reported", "podane uzupełniające"),
    "legend_missing": ("not reported", "niepodane"),
    # validation
    "rules_run": ("Rules that ran", "Uruchomione reguły"),
    "summary_by_level": ("Findings by level and severity", "Wyniki według poziomu i wagi"),
    "ess_level": ("ESS level", "Poziom ESS"),
    "severity": ("Severity", "Waga"),
    "rules": ("Rules", "Reguły"),
    "findings": ("Findings", "Wyniki"),
    "accepted": ("Accepted", "Zaakceptowane"),
    "open": ("Open", "Otwarte"),
    "no_findings": ("Validation found nothing for this city.", "Walidacja nie wykazała niczego dla tego miasta."),
    "open_findings": ("Open errors and warnings", "Otwarte błędy i ostrzeżenia"),
    "no_open_findings": ("No error or warning is open.", "Nie ma otwartych błędów ani ostrzeżeń."),
    "accepted_findings": ("Accepted findings", "Zaakceptowane wyniki"),
    "information_count": ("Findings of severity information (shown with their indicators)", "Wyniki o wadze informacyjnej (podane przy wskaźnikach)"),
    "rule": ("Rule", "Reguła"),
    "indicator": ("Indicator", "Wskaźnik"),
    "variable": ("Variable", "Zmienna"),
    "observed": ("Observed", "Stwierdzono"),
    "expected": ("Expected", "Oczekiwano"),
    "message": ("Message", "Komunikat"),
    "place": ("Place", "Miejsce"),
    "accepted_by": ("Accepted by", "Zaakceptował(a)"),
    "role": ("Role", "Funkcja"),
    "date": ("Date", "Data"),
    "reason": ("Reason", "Uzasadnienie"),
    "matched": ("Findings matched", "Dopasowane wyniki"),
    "no_exceptions": ("No finding was accepted as an exception.", "Żaden wynik nie został zaakceptowany jako wyjątek."),
    "stale_exception": ("matches no finding of this build: to be removed", "nie pasuje do żadnego wyniku tej kompilacji: do usunięcia"),
    "exception_file": ("Recorded in", "Zapisano w"),
    "every_year": ("every year", "każdy rok"),
    # not available
    "not_available_intro": ("Every indicator without a value in a reference year, with the reason given with its inputs.",
                            "Każdy wskaźnik bez wartości w danym roku odniesienia, z przyczyną podaną przy danych wejściowych."),
    "none_not_available": ("Every indicator has a value in every reference year.", "Każdy wskaźnik ma wartość w każdym roku odniesienia."),
    # revisions
    "revisions_none_compared": (("The build was not compared with a previous release (there is none, or it was not given): "
                                 "no revision can be reported."),
                                ("Kompilacji nie porównano z poprzednim wydaniem (nie ma go albo go nie wskazano): "
                                 "nie można wykazać rewizji.")),
    "revisions_none": ("No released value changed without a revision record, and no input is marked revised.",
                       "Żadna wydana wartość nie zmieniła się bez zapisu rewizji i żadna dana wejściowa nie jest oznaczona jako zrewidowana."),
    "revisions_not_compared_inputs": ("The build was not compared with a previous release; the inputs marked revised are listed below.",
                                      "Kompilacji nie porównano z poprzednim wydaniem; poniżej wymieniono dane wejściowe oznaczone jako zrewidowane."),
    "kind_unexplained_change": ("released value changed without a revision record", "wydana wartość zmieniła się bez zapisu rewizji"),
    "kind_revised_input": ("input marked revised", "dana wejściowa oznaczona jako zrewidowana"),
    "change": ("Change", "Zmiana"),
    "why": ("Why", "Dlaczego"),
    "kind": ("Kind", "Rodzaj"),
    "indicators": ("Indicators", "Wskaźniki"),
    # inventory
    "files": ("Files", "Pliki"),
    "sources": ("Sources", "Źródła"),
    "file": ("File", "Plik"),
    "bytes": ("Bytes", "Bajty"),
    "media_type": ("Media type", "Typ"),
    "source": ("Source", "Źródło"),
    "organisation": ("Organisation", "Organizacja"),
    "dataset": ("Dataset", "Zbiór danych"),
    "retrieved_on": ("Retrieved on", "Pobrano"),
    "licence": ("Licence", "Licencja"),
    "quality_class": ("Data-quality class", "Klasa jakości danych"),
    "origin": ("Origin", "Pochodzenie"),
    "figures": ("Figures", "Liczby"),
    "register_row": ("Register row", "Wiersz rejestru"),
    # manifest
    "manifest_none": ("The manifest of this build is in manifest.json of the release.",
                      "Manifest tej kompilacji znajduje się w pliku manifest.json wydania."),
    "release_date": ("Release date", "Data wydania"),
    "code_version": ("Code version", "Wersja kodu"),
    "lock_sha256": ("Dependency lock (SHA-256)", "Plik zależności (SHA-256)"),
    "python": ("Python", "Python"),
    "packages": ("Packages", "Pakiety"),
    "package": ("Package", "Pakiet"),
    "version": ("Version", "Wersja"),
    "configuration": ("Configuration", "Konfiguracja"),
    "setting": ("Setting", "Ustawienie"),
    "value_col": ("Value", "Wartość"),
    "editions": ("Editions", "Edycje"),
    "definitions_sha256": ("Definitions (SHA-256)", "Definicje (SHA-256)"),
    "outputs": ("Outputs", "Wyniki kompilacji"),
    "inputs": ("Inputs", "Dane wejściowe"),
    "path": ("Path", "Ścieżka"),
    "manifest_version": ("Manifest version", "Wersja manifestu"),
    "previous_build": ("Previous release compared (build id)", "Porównane poprzednie wydanie (identyfikator kompilacji)"),
    "previous_files": ("Files read from the previous release", "Pliki odczytane z poprzedniego wydania"),
    # sign-off
    "signoff_intro": ("To be filled on paper by the person who approves the release.",
                      "Wypełnia odręcznie osoba zatwierdzająca wydanie."),
    "data_owner": ("Data owner", "Właściciel danych"),
    "preparer": ("Prepared by", "Przygotował(a)"),
    "approver": ("Approved by (name)", "Zatwierdził(a) (imię i nazwisko)"),
    "approver_role": ("Role", "Funkcja"),
    "approval_date": ("Date", "Data"),
    "decision": ("Decision", "Decyzja"),
    "decision_approved": ("approved", "zatwierdzono"),
    "decision_conditions": ("approved with conditions", "zatwierdzono z zastrzeżeniami"),
    "decision_rejected": ("rejected", "odrzucono"),
    "signature": ("Signature", "Podpis"),
    # indicators
    "indicators_intro": ("Latest reference year; each id links to the indicator's section.",
                         "Ostatni rok odniesienia; każdy identyfikator prowadzi do sekcji wskaźnika."),
    "id": ("Id", "Id"),
    "name": ("Name", "Nazwa"),
    "value": ("Value", "Wartość"),
    "unit": ("Unit", "Jednostka"),
    "flags": ("Flags", "Flagi"),
    "clause": ("Clause", "Punkt normy"),
    "uid": ("Identifier", "Identyfikator"),
    "reference_year": ("Reference year", "Rok odniesienia"),
    "definition": ("Definition (in our words)", "Definicja (własnymi słowami)"),
    "formula": ("Formula as run", "Wzór w postaci wykonanej"),
    "rounding": ("rounded half away from zero to {n} decimal(s)", "zaokrąglone połówkowo od zera do {n} miejsc(a) po przecinku"),
    "computation": ("Computation", "Obliczenie"),
    "numerator": ("Numerator", "Licznik"),
    "denominator": ("Denominator", "Mianownik"),
    "multiplier": ("Multiplier", "Mnożnik"),
    "sql_as_run": ("SQL as run on the store", "SQL wykonany na magazynie danych"),
    "time_series": ("Time series", "Szereg czasowy"),
    "previous": ("Previous year", "Rok poprzedni"),
    "yoy_change": ("Change", "Zmiana"),
    "yoy_relative": ("Change %", "Zmiana %"),
    "trend": ("Trend", "Trend"),
    "inputs_sources": ("Inputs: figures, file rows and sources", "Dane wejściowe: liczby, wiersze plików i źródła"),
    "as_written": ("as written", "jak zapisano"),
    "row": ("row", "wiersz"),
    "line": ("line", "wiersz"),
    "sheet": ("sheet", "arkusz"),
    "method": ("Method note and deviations from the standard's definition", "Uwagi metodyczne i odstępstwa od definicji normy"),
    "definition_note": ("Note of the definition", "Uwaga do definicji"),
    "input_notes": ("Notes given with the inputs", "Uwagi podane przy danych wejściowych"),
    "reported_not_computed": ("reported, not computed", "podana przez miasto, nie obliczona"),
    "no_deviation": ("No deviation is declared, neither in the definition nor with the inputs.",
                     "Nie zgłoszono odstępstw ani w definicji, ani przy danych wejściowych."),
    "checks": ("Validation: rules that ran and their outcome", "Walidacja: reguły i ich wynik"),
    "checked_rows": ("Rows checked", "Sprawdzone wiersze"),
    "outcome": ("Outcome", "Wynik"),
    "no_rules": ("No rule ran on this indicator.", "Żadna reguła nie dotyczyła tego wskaźnika."),
    "verdict": ("Verifier's verdict", "Ocena weryfikatora"),
    "verdict_confirmed": ("confirmed", "potwierdzono"),
    "verdict_remarks": ("confirmed with remarks", "potwierdzono z uwagami"),
    "verdict_not_confirmed": ("not confirmed", "nie potwierdzono"),
    "remarks": ("Remarks", "Uwagi"),
    "verifier": ("Verifier, date", "Weryfikator, data"),
    "no_value_years": ("No value in any reference year.", "Brak wartości w każdym roku odniesienia."),
    "back_to_top": ("Back to the indicators", "Powrót do przeglądu wskaźników"),
    "none": ("none", "brak"),
    "yes": ("yes", "tak"),
    "no": ("no", "nie"),
    # comparison across cities (comparison.html.j2)
    "cmp_title": ("Comparison of cities ({n}), {year}", "Porównanie miast ({n}), {year}"),
    "cmp_title_no_year": ("Comparison of cities ({n})", "Porównanie miast ({n})"),
    "cmp_kicker": ("ISO 37120 comparison across cities", "Porównanie miast według ISO 37120"),
    "cmp_intro": (("Every city of the build side by side: certification levels by year, each city's coverage and open findings "
                   "in the latest reference year, and the spread of each indicator across the cities. Each city's name opens "
                   "its evidence dossier, where every value can be verified."),
                  ("Wszystkie miasta kompilacji obok siebie: poziomy certyfikacji według lat, kompletność i otwarte wyniki "
                   "walidacji każdego miasta w ostatnim roku odniesienia oraz rozrzut każdego wskaźnika między miastami. "
                   "Nazwa miasta prowadzi do jego dossier dowodowego, w którym można sprawdzić każdą wartość.")),
    "cmp_number_of_cities": ("Cities", "Liczba miast"),
    "cmp_latest_year": ("Latest reference year", "Ostatni rok odniesienia"),
    "cmp_generated_by": ("Generated from the build's store by the ISO 37120 pipeline; comparison schema version",
                         "Wygenerowano z magazynu danych kompilacji przez potok ISO 37120; wersja schematu porównania"),
    "cmp_no_cities": ("The store holds no city.", "Magazyn danych nie zawiera żadnego miasta."),
    "cmp_sec_levels": ("Cities by certification level", "Miasta według poziomu certyfikacji"),
    "cmp_levels_intro": ("Cities calculated in each reference year, by the highest certification level they reach.",
                         "Miasta obliczone w danym roku odniesienia według najwyższego osiągniętego poziomu certyfikacji."),
    "cmp_all_cities": ("All cities", "Wszystkie miasta"),
    "cmp_sec_cities": ("Cities", "Miasta"),
    "cmp_cities_intro": (("Ordered by city code; each name opens the city's evidence dossier. Level and indicators reported "
                          "(reported / defined) in {year}; open findings are the errors and warnings nobody accepted."),
                         ("Według kodu miasta; nazwa prowadzi do dossier dowodowego miasta. Poziom i podane wskaźniki "
                          "(podane / zdefiniowane) w roku {year}; otwarte wyniki to błędy i ostrzeżenia, których nikt nie zaakceptował.")),
    "cmp_open_errors": ("Open errors", "Otwarte błędy"),
    "cmp_open_warnings": ("Open warnings", "Otwarte ostrzeżenia"),
    "cmp_not_calculated": ("not calculated in this year", "nie obliczono w tym roku"),
    "cmp_sec_indicators": ("Indicators across cities", "Wskaźniki w przekroju miast"),
    "cmp_indicators_intro": (("Over the cities that reported the indicator in {year}. Quartiles are interpolated between values; "
                              "every figure is rounded half away from zero to the indicator's decimals. A city code opens the "
                              "indicator in that city's dossier."),
                             ("Wśród miast, które podały wskaźnik w roku {year}. Kwartyle są interpolowane między wartościami; "
                              "każda liczba jest zaokrąglona połówkowo od zera do liczby miejsc po przecinku wskaźnika. Kod "
                              "miasta prowadzi do wskaźnika w dossier tego miasta.")),
    "cmp_reporting": ("Cities reporting", "Miasta podające"),
    "cmp_min": ("Minimum (city)", "Minimum (miasto)"),
    "cmp_p25": ("Lower quartile", "Dolny kwartyl"),
    "cmp_median": ("Median", "Mediana"),
    "cmp_p75": ("Upper quartile", "Górny kwartyl"),
    "cmp_max": ("Maximum (city)", "Maksimum (miasto)"),
    "cmp_text_only": ("a fact in words: cities reporting only", "informacja słowna: tylko liczba podających miast"),
}

ENUMS: dict[str, dict[str, tuple[str, str]]] = {
    "status": {
        "reported": ("reported", "podany"),
        "not_available": ("not available", "niedostępny"),
        "not_applicable": ("not applicable", "nie dotyczy"),
    },
    "flag": {
        "estimated": ("estimated", "szacunek"),
        "provisional": ("provisional", "wstępne"),
        "revised": ("revised", "zrewidowane"),
        "break": ("break in series", "przerwa w szeregu"),
        "confidential": ("confidential", "poufne"),
        "not_available": ("not available", "niedostępne"),
        "not_applicable": ("not applicable", "nie dotyczy"),
    },
    "severity": {
        "error": ("error", "błąd"),
        "warning": ("warning", "ostrzeżenie"),
        "information": ("information", "informacja"),
    },
    "level": {
        "0": ("0 format", "0 format"),
        "1": ("1 within the data set", "1 w obrębie zbioru danych"),
        "2": ("2 against other periods", "2 względem innych okresów"),
        "3": ("3 against other sources", "3 względem innych źródeł"),
        "4": ("4 against other domains", "4 względem innych dziedzin"),
        "5": ("5 against external benchmarks", "5 względem zewnętrznych punktów odniesienia"),
    },
    "tier": {
        "core": ("core", "podstawowy"),
        "supporting": ("supporting", "uzupełniający"),
        "profile": ("profile", "profilowy"),
    },
    "quality_class": {
        "measured": ("measured", "pomiar"),
        "survey_extrapolation": ("extrapolated from a survey", "ekstrapolacja z badania"),
        "higher_level_extrapolation": ("extrapolated from higher-level data", "ekstrapolacja z danych wyższego szczebla"),
        "assumption_estimate": ("estimate on stated assumptions", "szacunek na podanych założeniach"),
        "expert_estimate": ("expert estimate", "szacunek ekspercki"),
        "unknown": ("unknown", "nieznana"),
    },
    "reason_code": {
        "missing_input": ("no figure given", "nie podano liczby"),
        "input_not_available": ("an input is not available", "dana wejściowa niedostępna"),
        "confidential": ("confidential", "poufne"),
        "not_applicable": ("not applicable", "nie dotyczy"),
        "zero_denominator": ("zero denominator", "mianownik równy zero"),
        "no_finite_value": ("no finite value", "brak skończonej wartości"),
    },
    "role": {
        "numerator": ("numerator", "licznik"),
        "denominator": ("denominator", "mianownik"),
        "input": ("input", "dana"),
        "previous": ("previous year", "rok poprzedni"),
        "city": ("city description", "opis miasta"),
        "sources": ("source register", "rejestr źródeł"),
        "observations": ("observations", "obserwacje"),
        "exceptions": ("accepted exceptions", "zaakceptowane wyjątki"),
        "other": ("other", "inne"),
    },
    "outcome": {
        "passed": ("passed", "spełniona"),
        "accepted": ("findings accepted", "wyniki zaakceptowane"),
        "findings": ("findings", "wyniki"),
    },
    "kind": {
        "ratio": ("ratio", "iloraz"),
        "direct": ("direct value", "wartość bezpośrednia"),
        "expression": ("expression", "wyrażenie"),
    },
}


assert all(isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, str) and x for x in v) for v in LABELS.values())


def label(key: str, lang: str, **kw: object) -> str:
    text = LABELS[key][LANGS.index(lang)]
    return text.format(**kw) if kw else text


class Words(dict):
    """The words of one kind of coded value in one language, for templates (``E[kind][code]``);
    an unknown code is shown as :func:`enum` shows it."""

    def __init__(self, kind: str, lang: str):
        super().__init__((code, pair[LANGS.index(lang)]) for code, pair in ENUMS[kind].items())
        self.kind, self.lang = kind, lang

    def __missing__(self, value: object) -> str:
        return enum(self.kind, value, self.lang)


def labels(lang: str) -> dict[str, str]:
    """Every label in ``lang``, for templates (``T[key]``)."""
    return {key: pair[LANGS.index(lang)] for key, pair in LABELS.items()}


def enums(lang: str) -> dict[str, Words]:
    return {kind: Words(kind, lang) for kind in ENUMS}


def enum(kind: str, value: object, lang: str) -> str:
    """A coded value in words; an unknown code is shown as it is."""
    if value is None:
        return ""
    pair = ENUMS[kind].get(str(value))
    return pair[LANGS.index(lang)] if pair else str(value).replace("_", " ")


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
    (groups from five digits on, with a no-break space). ``decimals`` fixes the decimals shown
    (half away from zero); without it, the number is shown with the digits it has."""
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


def day(d: date | None, lang: str) -> str:
    return d.isoformat() if d is not None else "—"


def name(text, lang: str) -> str:
    """The catalogue's name (a Text with en and pl) in the language."""
    if text is None:
        return ""
    return getattr(text, lang)


def other(lang: str) -> str:
    return "pl" if lang == "en" else "en"
