"""The message catalogues: plural forms, dates, units, a third language added as a catalogue only,
and no English word of the catalogue left on a Polish page."""

from __future__ import annotations

import re
import shutil
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from babel.messages.pofile import read_po

from pipeline import i18n
from pipeline.catalogue import load_catalogue
from pipeline.dossier import collect, render_dossier, render_html
from pipeline.dossier.comparison import render_comparison
from pipeline.store import connect
from pipeline.catalogue.models import VariableKind
from pipeline.ingest.models import QualityClass, Status
from pipeline.templates import OBSERVATION_COLUMNS, SOURCE_SHEET_COLUMNS, write_templates
from tests.conftest import write_catalogue
from tests.dossier.conftest import tiny_city  # noqa: F401  (a fixture)
from tests.dossier.test_comparison import build  # noqa: F401  (a fixture)


def test_languages_are_the_catalogues_present():
    assert i18n.languages() == ("en", "pl")
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        i18n.gettext("xx")


def test_polish_plural_forms_and_header():
    with (i18n.LOCALE_DIR / "pl" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        cat = read_po(f)
    assert cat.num_plurals == 3
    assert cat.plural_expr == "(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)"
    forms = {n: i18n.unit_count("persons", n, "pl") for n in (1, 2, 4, 5, 12, 14, 21, 22, 25, 112, 122)}
    assert forms == {1: "osoba", 2: "osoby", 4: "osoby", 5: "osób", 12: "osób", 14: "osób", 21: "osób", 22: "osoby",
                     25: "osób", 112: "osób", 122: "osoby"}
    assert [i18n.unit_count("persons", n, "en") for n in (1, 2)] == ["person", "persons"]
    assert i18n.unit_label("persons", "pl") == "osoby" and i18n.unit_label("persons", "en") == "persons"
    assert i18n.unit_label("tonnes", "pl") == "tony" and i18n.unit_count("tonnes", 5, "pl") == "ton"
    assert i18n.unit_label("km2", "pl") == "km2"  # a symbol is the same in every language


def test_dates_in_words():
    assert i18n.format_date(date(2024, 6, 14), "pl") == "14 czerwca 2024"
    assert i18n.format_date(date(2024, 6, 14), "en") == "14 June 2024"
    assert i18n.format_date(None, "pl") == "—"


def test_every_message_has_a_polish_translation():
    with (i18n.LOCALE_DIR / "pl" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        cat = read_po(f)
    missing = [m.id for m in cat if m.id and (not m.string or isinstance(m.string, tuple) and not all(m.string))]
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert missing == [] and fuzzy == []


def test_every_unit_of_the_registry_is_in_the_catalogue():
    with (i18n.LOCALE_DIR / "messages.pot").open("rb") as f:
        pot = read_po(f)
    text = (Path(__file__).parents[1] / "indicators" / "variables.yaml").read_text(encoding="utf-8")
    units = {u.strip().strip("\"'") for u in re.findall(r"^\s*unit:\s*(.+?)\s*$", text, re.M)}
    missing = [u for u in sorted(units - i18n.UNIT_SYMBOLS) if pot.get(u, context="unit") is None]
    assert missing == []


# --- a third language is a catalogue, no code ------------------------------------------------------

DE_PO = r'''msgid ""
msgstr ""
"Language: de\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"
"Content-Type: text/plain; charset=utf-8\n"

msgid "Evidence dossier"
msgstr "Nachweisdossier"

msgid "Contents"
msgstr "Inhalt"

msgctxt "status"
msgid "reported"
msgstr "gemeldet"

msgctxt "unit"
msgid "persons"
msgstr "Personen"

msgctxt "unit count"
msgid "persons"
msgid_plural "persons"
msgstr[0] "Person"
msgstr[1] "Personen"
'''


@pytest.fixture
def with_german(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, root)
    (root / "de" / "LC_MESSAGES").mkdir(parents=True)
    (root / "de" / "LC_MESSAGES" / "messages.po").write_text(DE_PO, encoding="utf-8")
    monkeypatch.setenv(i18n.ENV_VAR, str(root))
    return root


def test_a_third_catalogue_adds_a_language(with_german, tiny_city, tmp_path):  # noqa: F811
    assert i18n.languages() == ("de", "en", "pl")
    assert i18n.unit_count("persons", 1, "de") == "Person" and i18n.unit_count("persons", 3, "de") == "Personen"
    assert i18n.format_date(date(2024, 6, 14), "de") == "14 Juni 2024"
    con = connect(tiny_city.store, read_only=True)
    try:
        paths = render_dossier(con, tiny_city.catalogue, tmp_path / "out", pdf=False)  # every language present
        d = collect(con, tiny_city.catalogue, "0001")
    finally:
        con.close()
    names = sorted(p.name for p in paths)
    assert "dossier-0001-de.html" in names and "comparison-de.html" in names
    de = (tmp_path / "out" / "dossier-0001-de.html").read_text(encoding="utf-8")
    assert de == render_html(d, "de", "dossier-0001-en.html")  # the same page, rendered alone
    assert '<html lang="de"' in de
    assert "Nachweisdossier" in de and "Inhalt" in de and "Personen" in de
    assert "Evidence dossier" not in visible_text(de)
    assert "Validation" in de  # not translated in the stub: the English msgid


# --- no English word of the catalogue on a Polish page ----------------------------------------------

class _Text(HTMLParser):
    """The text a reader sees in the page's language: no style, no script, no code (ids and codes
    are not words), and nothing marked as another language (``lang="en"`` on a Polish page: the
    other language's names, and the validation rules' texts, which stay English for now)."""

    SKIP = {"style", "script", "code"}

    def __init__(self, lang: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = lang
        self.parts: list[str] = []
        self.skipping: list[str] = []  # the open tags of a skipped element, outermost first

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = self.lang or a.get("lang")
            return
        if self.skipping:
            if tag == self.skipping[0]:
                self.skipping.append(tag)
        elif tag in self.SKIP or (self.lang and a.get("lang") not in (None, self.lang)):
            self.skipping.append(tag)

    def handle_endtag(self, tag):
        if self.skipping and tag == self.skipping[0]:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str, lang: str | None = None) -> str:
    p = _Text(lang)
    p.feed(html)
    text = " ".join(p.parts)
    text = re.sub(r"\S*/\S*", " ", text)  # paths and media types (testville/sources.csv, text/csv) are codes
    return re.sub(r"\s+", " ", text)


# Words that are the same in a Polish text because they are names, ids or codes.
IGNORED = {"Python", "ISO 37120"}


def english_words() -> dict[str, str]:
    """Each English message of the catalogue whose Polish translation differs, as the literal
    text a page would show (the longest piece between placeholders), with its msgid."""
    with (i18n.LOCALE_DIR / "pl" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        cat = read_po(f)
    out = {}
    for m in cat:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for msgid in ids:
            if msgid in strings or msgid in IGNORED:
                continue
            piece = max(re.split(r"\{\w*\}", msgid), key=len).strip(" :;,.()")
            if len(re.findall(r"[^\W\d_]", piece)) >= 3:  # a piece of words, not "0 ≤"
                out[piece] = msgid
    return out


def untranslated(text: str, known_english: set[str] = frozenset(), codes: set[str] = frozenset()) -> list[str]:
    """The English messages of the catalogue found in ``text``, once ``known_english`` (free text
    of the inputs, shown as written) and ``codes`` (whole words) are taken out."""
    for known in known_english:
        text = text.replace(known, " ")
    for code in codes:
        text = re.sub(r"(?<![\w-])" + re.escape(code) + r"(?![\w-])", " ", text)
    words = english_words()
    found = []
    for piece, msgid in sorted(words.items()):
        if re.search(r"(?<![\w-])" + re.escape(piece) + r"(?![\w-])", text):
            found.append(msgid)
    return found


# English free text of the fixtures (data, shown as written): not the pipeline's words.
FIXTURE_ENGLISH = {"Testville City Office", "Estimate from tax data", "Statistics unit", "Head of the statistics unit"}


def dossier_text(city, lang: str) -> str:
    """The visible text of the tiny city's dossier in ``lang``."""
    con = connect(city.store, read_only=True)
    try:
        d = collect(con, city.catalogue, "0001")
    finally:
        con.close()
    return visible_text(render_html(d, lang))


def test_no_english_on_the_polish_dossier(tiny_city):  # noqa: F811
    text = dossier_text(tiny_city, "pl")
    assert untranslated(text, FIXTURE_ENGLISH) == []
    assert "persons" not in text and "osób" in text or "osoby" in text


def test_the_check_finds_english(tiny_city):  # noqa: F811
    assert "Input inventory" in untranslated(dossier_text(tiny_city, "en"))


def test_no_english_on_the_polish_comparison(build):  # noqa: F811
    text = visible_text(render_comparison(build.d, "pl"))
    assert untranslated(text, FIXTURE_ENGLISH) == []


def test_no_english_in_the_polish_column_of_a_workbook(tmp_path):
    catalogue = load_catalogue(write_catalogue(tmp_path / "cat"))
    path = write_templates(catalogue, tmp_path / "out", single=True)[0]
    wb = openpyxl.load_workbook(path)
    polish = [str(c.value) for c in wb["instructions"]["A"] if c.value]
    prompts = [dv.prompt.split("\n")[0] for ws in wb for dv in ws.data_validations.dataValidation if dv.prompt]
    assert polish and prompts
    # what a provider types or reads as a name is a code, the same in every language
    codes = ({s.value for s in Status} | {q.value for q in QualityClass} | {k.value for k in VariableKind}
             | set(OBSERVATION_COLUMNS) | set(SOURCE_SHEET_COLUMNS) | set(wb.sheetnames) | {"city"})  # the column of a many-city file
    assert untranslated(" | ".join(polish + prompts), codes=codes) == []
    assert "confidential" in untranslated(" | ".join(polish + prompts))  # the check sees a code as English


def test_the_catalogues_hold_every_marked_message(tmp_path):
    """``make messages`` has been run: the template and each catalogue have every message of the
    code, the templates and the registry's units."""
    import subprocess
    import sys

    root = Path(__file__).parents[1]
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg", "-k", "N_",
                    "-k", "NC_:1c,2", "-k", "Nn_:1,2", "--no-location", "-o", str(pot), "."],
                   cwd=root, check=True, capture_output=True)

    def keys(path: Path) -> set:
        with path.open("rb") as f:
            return {(m.context, m.id) for m in read_po(f) if m.id}

    fresh = keys(pot)
    assert fresh == keys(i18n.LOCALE_DIR / "messages.pot")
    for lang in i18n.languages():
        assert fresh <= keys(i18n.po_file(lang)), lang
