"""Every word a person reads of a problem, and of the command line's own output, comes from the
message catalogues: each problem carries its template (``message_id``) and the values of its fields
(``message_args``); the CLI speaks the language of ``ISO37120_LANG`` or of the locale."""

from __future__ import annotations

import ast
import json
import shutil
import string
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po, write_po
from typer.testing import CliRunner

from pipeline import i18n
from pipeline.catalogue import load_catalogue
from pipeline.cli import EXIT_BAD_INPUT, app, output_language
from pipeline.ingest import ingest
from pipeline.problems import Problem, ProblemsFound
from tests.conftest import INDICATORS, ROOT, SOURCES_CSV, write_catalogue, write_city

PIPELINE = ROOT / "pipeline"
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "NC_": ((1, "c"), 2), "Nn_": (1, 2)}  # as `make messages`

# --- every problem has a template --------------------------------------------------------------

# The helpers that take a message, and the position of the message among their arguments.
HELPERS = {"add": 1, "problem": 1, "file_problem": 2, "bad": 0, "FormulaError": 0}
FILES_PROBLEM = 2  # pipeline/files.py: problem(path, rule, message)


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _is_template(node: ast.expr) -> bool:
    """A template the extractor finds (``N_("...")``), or one picked from such templates: a
    conditional between templates, or a name, item or lookup of a table of them."""
    if isinstance(node, ast.Call) and _name(node.func) == "N_":
        return len(node.args) == 1 and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
    if isinstance(node, ast.IfExp):
        return _is_template(node.body) and _is_template(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return True  # TABLE.get(key, default): the table's values are N_ and checked by the extraction test
    return isinstance(node, (ast.Name, ast.Attribute, ast.Subscript))


def _is_message(node: ast.expr) -> bool:
    """A message (:func:`pipeline.i18n.msg`) or a value holding one, never words written here."""
    if isinstance(node, ast.Call) and _name(node.func) == "msg":
        return bool(node.args) and _is_template(node.args[0])
    if isinstance(node, ast.IfExp):
        return _is_message(node.body) and _is_message(node.orelse)
    if isinstance(node, ast.Call):
        return _name(node.func) not in ("str", "format", "repr")
    return isinstance(node, (ast.Name, ast.Attribute, ast.Subscript))


def test_every_problem_is_built_from_a_template():
    wrong = []
    for path in sorted(PIPELINE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            where = f"{rel}:{node.lineno}"
            if name == "msg" and (not node.args or not _is_template(node.args[0])):
                wrong.append(f"{where}: msg() without a template N_(\"...\")")
            if name == "Problem":
                if any(k.arg == "message" for k in node.keywords):
                    wrong.append(f"{where}: Problem(message=...) instead of **msg(N_(...))")
                splats = [k.value for k in node.keywords if k.arg is None]
                if not splats:
                    wrong.append(f"{where}: Problem() without **msg(...)")
                wrong += [f"{where}: Problem(**...) of no message" for s in splats if not _is_message(s)]
            position = FILES_PROBLEM if name == "problem" and rel == "pipeline/files.py" else HELPERS.get(name)
            if position is None or len(node.args) <= position:
                continue
            if name in ("add", "problem") and not (rel.startswith(("pipeline/ingest", "pipeline/catalogue", "pipeline/files"))
                                                   or rel in ("pipeline/yamlio.py",)):
                continue  # set.add, graph.add...: not a problem
            if name == "add" and isinstance(node.args[0], ast.Name):
                continue  # seen.add(x), skip.add(var): a set
            arg = node.args[position]
            if isinstance(arg, (ast.JoinedStr, ast.BinOp)) or (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                wrong.append(f"{where}: {name}() given words, not a message")
            elif not _is_message(arg):
                wrong.append(f"{where}: {name}() given {ast.unparse(arg)[:60]}, not a message")
    assert wrong == []


@cache
def extracted() -> dict[str, str | None]:
    """The msgids ``make messages`` extracts from pipeline/ (singular: plural or None)."""
    found: dict[str, str | None] = {}
    for path in sorted(PIPELINE.rglob("*.py")):
        for _lineno, message, _comments, _context in extract_from_file("python", str(path), keywords=KEYWORDS):
            if isinstance(message, tuple):
                found[message[0]] = message[1] if len(message) > 1 else None
            else:
                found[message] = None
    return found


# --- every template's fields are filled ----------------------------------------------------------

BAD_ROWS = """\
year,variable,value,unit,source_id,status,note
2023/24,population,1000,persons,S1,,
20x3,population,1000,persons,S1,,
1800,population,1000,persons,S1,,
,population,1000,persons,S1,,
2023,,1000,persons,S1,,
2023,populaton,1000,persons,S1,,
2023,firefighters,,persons,S1,,
2023,firefighters,3,persons,S1,bogus,
2023,employed,5,persons,S1,not_available,
2023,labour_force,1;000,persons,S1,,
2023,unemployed,=A1,persons,S1,,
2023,life_expectancy,80%,years,S1,,
2023,population,€5,persons,S1,,
2023,income_lcu,$5,PLN,S1,,
2022,population,1000,,S1,,
2022,firefighters,3,km,S1,,
2022,green_share,0.5,%,S1,,
2022,employed,5.5,persons,S1,,
2022,unemployed,5,persons,,,
2022,labour_force,5,persons,S9,,
2021,population,1000,persons,S1,,
2021,population,1000,persons,S1,,
2020,population,10\x01,persons,S1,,
2020,firefighters,1000000000000000000000000000000,persons,S1,,
2020,labour_force,1,2,3
"""


def bad_city(raw: Path) -> Path:
    folder = write_city(raw, BAD_ROWS)
    (folder / "observations" / "notes.txt").write_text("not data\n", encoding="utf-8")
    (folder / "observations" / "empty.csv").write_text("year,variable,value,unit,source_id\n", encoding="utf-8")
    (folder / "observations" / "cols.csv").write_text("year,variable,value,colour\n2023,population,1,x\n", encoding="utf-8")
    (folder / "sources.csv").write_text(SOURCES_CSV + SOURCES_CSV.splitlines()[1] + "\n", encoding="utf-8")
    return folder


def problems_of(run) -> list[Problem]:
    with pytest.raises(ProblemsFound) as e:
        run()
    return e.value.problems


def test_every_problem_fills_its_template_in_every_language(tmp_path):
    cat = load_catalogue(write_catalogue(tmp_path / "good"))
    bad_city(tmp_path / "raw")
    found = problems_of(lambda: ingest(tmp_path / "raw", cat, tmp_path / "store.duckdb"))
    broken = {**INDICATORS, "5.1": INDICATORS["5.1"].replace("decimals: 2", "decimals: two"),
              "5.2": INDICATORS["5.2"].replace("theme: 5", "theme: 99"),
              "P-01": INDICATORS["P-01"].replace("tier: profile", "tier: profile\nextra: 1"),
              "6.1": INDICATORS["6.1"].replace("edition: test-ed", "edition: other-ed")}
    found += problems_of(lambda: load_catalogue(write_catalogue(tmp_path / "broken", broken)))
    rules = {p.rule for p in found}
    assert {"fiscal_year", "not_a_year", "year_out_of_range", "missing_year", "missing_variable", "unknown_variable",
            "missing_value", "unknown_status", "value_with_not_available", "not_available_without_note", "not_a_number",
            "percent_sign_unexpected", "currency_unexpected", "missing_unit", "unit_mismatch", "share_as_fraction",
            "not_whole_number", "missing_source", "unknown_source", "duplicate_observation", "control_character",
            "number_out_of_range", "wrong_field_count", "unsupported_format", "no_rows", "unknown_column",
            "duplicate_source", "unknown_theme", "schema.int_parsing", "schema.extra_forbidden",
            "edition_mismatch"} <= rules, rules
    templates = extracted()
    for p in found:
        assert p.message_id, p
        assert p.message_id in templates, f"{p.rule}: {p.message_id!r} is not extracted by `make messages`"
        assert p.message == p.message_id.format_map(p.message_args), p  # the English is the template filled
        for lang in i18n.languages():
            text = p.text(lang)
            assert "{" not in text and "}" not in text, (lang, text)


def test_the_english_words_stay_as_they_were(tmp_path):
    cat = load_catalogue(write_catalogue(tmp_path / "good"))
    write_city(tmp_path / "raw", "year,variable,value,unit,source_id\n2023,population,1;000,persons,S1\n")
    [p] = problems_of(lambda: ingest(tmp_path / "raw", cat, tmp_path / "store.duckdb"))
    assert p.message == "1;000 is not a number"
    assert (p.message_id, p.message_args) == ("{value} is not a number", {"value": "1;000"})
    assert str(p) == "testville/observations/obs.csv, row 2, column 'value': [not_a_number] 1;000 is not a number"
    assert p.text("en") == str(p)


# --- the command line in Polish ----------------------------------------------------------------

POLISH = {
    # what the tests below read; the catalogue's own translation is used where it has one
    "row {row}": "wiersz {row}",
    "column {column}": "kolumna {column}",
    "{value} is not a number": "{value} nie jest liczbą",
    "file": "plik",
    "row/line": "wiersz/linia",
    "column/field": "kolumna/pole",
    "value": "wartość",
    "rule": "reguła",
    "message": "komunikat",
    "Nothing was written. Fix the files named above and run again.":
        "Niczego nie zapisano. Popraw wskazane wyżej pliki i uruchom ponownie.",
    "{n} problem in the input": ("{n} problems in the input", ["{n} problem w danych wejściowych",
                                                               "{n} problemy w danych wejściowych",
                                                               "{n} problemów w danych wejściowych"]),
}


def polish_catalogue(tmp_path: Path, translations: dict | None = None) -> Path:
    """A copy of the locale folder whose Polish catalogue has ``translations`` wherever it has no
    translation of its own (a msgid it lacks, or an empty or fuzzy msgstr)."""
    root = tmp_path / "locale"
    shutil.copytree(i18n.locale_dir(), root)
    po = root / "pl" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with po.open("rb") as f:
        catalog = read_po(f, domain=i18n.DOMAIN)
    for msgid, text in (translations or POLISH).items():
        plural, forms = text if isinstance(text, tuple) else (None, text)
        entry = catalog.get(msgid)
        if entry is not None and not entry.fuzzy and (all(entry.string) if isinstance(entry.string, tuple) else entry.string):
            continue  # translated already (the lead's merge)
        if entry is not None:
            catalog.delete(msgid)
        catalog.add((msgid, plural) if plural else msgid, tuple(forms) if plural else forms, flags=("python-brace-format",))
    with po.open("wb") as f:
        write_po(f, catalog, width=100)
    return root


runner = CliRunner()
NO_LOCALE = {"ISO37120_LANG": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


def run_ingest(tmp_path: Path, env: dict) -> tuple:
    cat = write_catalogue(tmp_path)
    write_city(tmp_path / "raw", "year,variable,value,unit,source_id\n2023,population,1;000,persons,S1\n")
    problems = tmp_path / "problems.json"
    r = runner.invoke(app, ["ingest", str(tmp_path / "raw"), "--store", str(tmp_path / "s.duckdb"), "--catalogue", str(cat),
                            "--problems", str(problems)], env={**NO_LOCALE, **env}, catch_exceptions=False)
    return r, json.loads(problems.read_text(encoding="utf-8"))


def test_the_cli_speaks_polish_to_a_polish_statistician(tmp_path, monkeypatch):
    locale = polish_catalogue(tmp_path)
    r, written = run_ingest(tmp_path, {"ISO37120_LANG": "pl", i18n.ENV_VAR: str(locale)})
    assert r.exit_code == EXIT_BAD_INPUT and "Traceback" not in r.output
    assert "1;000 nie jest liczbą" in r.stderr and "not_a_number" in r.stderr and "testville/observations/obs.csv" in r.stderr
    assert "1 problem w danych wejściowych" in r.stderr
    assert "plik | arkusz | wiersz/linia | kolumna/pole | wartość | reguła | komunikat" in r.stderr
    assert "Niczego nie zapisano. Popraw wskazane wyżej pliki i uruchom ponownie." in r.stderr
    assert "is not a number" not in r.stderr and "Nothing was written" not in r.stderr
    # the JSON file keeps the English message beside its template and fields
    [p] = written
    assert (p["message"], p["message_id"], p["message_args"]) == ("1;000 is not a number", "{value} is not a number",
                                                                  {"value": "1;000"})
    monkeypatch.setenv(i18n.ENV_VAR, str(locale))
    assert Problem.model_validate(p).text("pl") == "testville/observations/obs.csv, wiersz 2, kolumna 'value': " \
                                                    "[not_a_number] 1;000 nie jest liczbą"


def test_the_locale_chooses_polish_when_iso37120_lang_is_not_set(tmp_path):
    locale = polish_catalogue(tmp_path)
    r, _ = run_ingest(tmp_path, {"LANG": "pl_PL.UTF-8", i18n.ENV_VAR: str(locale)})
    assert "1;000 nie jest liczbą" in r.stderr and "Niczego nie zapisano" in r.stderr


@pytest.mark.parametrize("env", [{"ISO37120_LANG": "en", "LANG": "pl_PL.UTF-8"}, {"LANG": "C"}, {}],
                         ids=["ISO37120_LANG=en", "LANG=C", "no locale"])
def test_the_cli_speaks_english_otherwise_as_before(tmp_path, env):
    locale = polish_catalogue(tmp_path)
    r, _ = run_ingest(tmp_path, {**env, i18n.ENV_VAR: str(locale)})
    assert r.exit_code == EXIT_BAD_INPUT
    assert "1 problem in the input" in r.stderr and "1;000 is not a number" in r.stderr
    assert "file | sheet | row/line | column/field | value | rule | message" in r.stderr
    assert "Nothing was written. Fix the files named above and run again." in r.stderr
    assert "nie jest liczbą" not in r.stderr


@pytest.mark.parametrize(("env", "lang"), [
    ({"ISO37120_LANG": "pl"}, "pl"),
    ({"ISO37120_LANG": "pl_PL.UTF-8"}, "pl"),
    ({"ISO37120_LANG": "en", "LC_ALL": "pl_PL.UTF-8"}, "en"),
    ({"ISO37120_LANG": "xx"}, "en"),            # no catalogue for it: English
    ({"LC_ALL": "pl_PL.UTF-8", "LANG": "en_GB.UTF-8"}, "pl"),
    ({"LC_ALL": "C", "LANG": "pl_PL.UTF-8"}, "en"),  # LC_ALL decides, as for every program
    ({"LC_MESSAGES": "pl_PL", "LANG": "en_US.UTF-8"}, "pl"),
    ({"LANG": "pl_PL.UTF-8"}, "pl"),
    ({"LANG": "de_DE.UTF-8"}, "en"),
    ({}, "en"),
])
def test_the_language_of_the_output(monkeypatch, env, lang):
    for name in NO_LOCALE:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert output_language() == lang


def test_every_cli_text_is_a_literal_msgid():
    """``_()`` and ``ngettext()`` in the CLI are given literal words, so that `make messages` finds
    them, or words from a table of ``N_`` / ``Nn_`` (``STAGE_WORDS[stage]``, names unpacked from one)."""
    tree = ast.parse((PIPELINE / "cli.py").read_text(encoding="utf-8"))

    def literal(a: ast.expr) -> bool:
        return isinstance(a, ast.Constant) and isinstance(a.value, str)

    def from_table(a: ast.expr) -> bool:
        return (isinstance(a, ast.Subscript) and isinstance(a.value, ast.Name) and a.value.id.isupper()) or isinstance(a, ast.Name)

    wrong = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
            words = node.args[:2 if node.func.id == "ngettext" else 1]
            if not (all(literal(a) for a in words) or all(from_table(a) for a in words)):
                wrong.append(f"cli.py:{node.lineno}: {ast.unparse(node)[:80]}")
    assert wrong == []
    templates = extracted()
    for msgid in ("Nothing was written. Fix the files named above and run again.", "{n} problem in the input", "file"):
        assert msgid in templates
    assert templates["{n} problem in the input"] == "{n} problems in the input"


def test_polish_translations_keep_their_fields():
    """A translation in the Polish catalogue has the fields of its msgid (else it falls back to English)."""
    with i18n.po_file("pl").open("rb") as f:
        catalog = read_po(f)
    fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
    wrong = []
    for m in catalog:
        if not m.id or m.fuzzy or "python-brace-format" not in m.flags:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        want = set().union(*(fields(i) for i in ids))
        wrong += [(m.id, s) for s in strings if s and not fields(s) <= want]
    assert wrong == []
