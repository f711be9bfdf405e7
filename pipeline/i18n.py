"""The words a person reads, in gettext message catalogues managed with Babel.

``pipeline/locale/<lang>/LC_MESSAGES/messages.po`` holds one language; the msgid is the English
text (the English catalogue only fills plural forms and unit names). The catalogues are read from
the .po files at run time with :func:`babel.messages.pofile.read_po` and compiled in memory into a
:class:`babel.support.Translations`: the .po file is the only copy kept in git and there is no .mo
to forget to rebuild; compiling ~600 messages takes milliseconds and is done once per language and
process. The languages are the catalogues present: adding a language is adding a catalogue.

``ISO37120_LOCALE_DIR`` (or the ``root`` argument) points the loader at another locale folder.

``make messages`` extracts ``messages.pot`` (``pybabel extract -F babel.cfg``) and updates every
catalogue (``pybabel update``)."""

from __future__ import annotations

import functools
import json
import os
import stat
from collections.abc import Callable
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale
    from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
ENV_VAR = "ISO37120_LOCALE_DIR"


def N_(text: str) -> str:
    """Marks ``text`` for extraction without translating it (translated where it is shown)."""
    return text


def NC_(context: str, text: str) -> tuple[str, str]:
    """Marks ``text`` for extraction with a message context (msgctxt); translated where shown."""
    return context, text


def Nn_(singular: str, plural: str) -> tuple[str, str, None]:
    """Marks a message with a plural form for extraction; translated with the count where shown."""
    return singular, plural, None


MessageArgs = dict[str, str | dict[str, str]]
"""The values of a message template's fields; a definition's own text (an indicator's unit) is a
mapping by language."""


def msg(template: str, **args: object) -> dict[str, object]:
    """A message in English and the means to translate it: ``message`` (the English text),
    ``message_id`` (the template, a msgid of the catalogues: mark it with ``N_`` where it is
    written) and ``message_args`` (the values of its ``{fields}``, as text). Splat it into a
    :class:`~pipeline.problems.Problem`: ``Problem(file=f, rule=r, **msg(N_("not {what}"), what=x))``."""
    values = {k: _arg(v) for k, v in args.items()}
    return {"message": template.format_map({k: _in(v, "en") for k, v in values.items()}), "message_id": template,
            "message_args": values}


def _arg(v: object) -> str | dict[str, str]:
    """A field's value as text; a definition's own text in several languages (an object with
    ``model_dump``, such as :class:`~pipeline.catalogue.models.Text`) as a mapping by language."""
    if hasattr(v, "model_dump"):
        return v.model_dump()
    return "" if v is None else str(v)


def _in(v: object, lang: str) -> str:
    if isinstance(v, dict):
        return str(v.get(lang) or v.get("en") or "")
    return "" if v is None else str(v)


class _Fields(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(message_id: str | None, args: dict[str, object] | str | None, lang: str, fallback: str = "") -> str:
    """A message of the catalogues in ``lang``: its template translated, then its fields filled.
    ``args`` may be the JSON text the store keeps. Without a template, ``fallback`` (the English
    text kept beside it). A translation whose fields do not match its template falls back to the
    English template, so a translator's slip never loses the message."""
    if not message_id:
        return fallback
    if isinstance(args, str):
        args = json.loads(args)
    values = _Fields({k: _in(v, lang) for k, v in (args or {}).items()})
    try:
        return gettext(lang)(message_id).format_map(values)
    except (ValueError, IndexError, AttributeError):
        return message_id.format_map(values)


def plural_category(n: int, lang: str) -> str:
    """The CLDR plural category of the whole number ``n`` (Babel): Polish ``one`` / ``few`` /
    ``many``, English ``one`` / ``other``. ValueError for a language without a catalogue."""
    check_language(lang)
    loc = _locale(lang)
    if loc is None:
        raise ValueError(f"no plural rule for language {lang!r}")
    return loc.plural_form(n)


def locale_dir(root: Path | str | None = None) -> Path:
    return Path(root or os.environ.get(ENV_VAR) or LOCALE_DIR)


def po_file(lang: str, root: Path | str | None = None) -> Path:
    return locale_dir(root) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages(root: Path | str | None = None) -> tuple[str, ...]:
    """The languages with a catalogue, sorted."""
    base = locale_dir(root)
    if not base.is_dir():
        return ()
    return tuple(sorted(p.name for p in base.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()))


def check_language(lang: str, root: Path | str | None = None) -> None:
    langs = languages(root)
    if lang not in langs:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(langs)}")


@functools.cache
def _translations(lang: str, po: str, version: tuple[int, ...]) -> Translations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    with open(po, "rb") as f:
        catalog = read_po(f, domain=DOMAIN)  # the plural rule comes from the catalogue's Plural-Forms header
    buf = BytesIO()
    write_mo(buf, catalog)  # untranslated and fuzzy entries are left out: they fall back to the English msgid
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


@functools.lru_cache(maxsize=64)
def _entries(base: str, version: tuple[int, ...]) -> frozenset[str]:
    """The names in the locale folder ``base`` (as it was at ``version``: a folder's entries
    change only with its mtime)."""
    return frozenset(os.listdir(base))


def translations(lang: str, root: Path | str | None = None) -> Translations:
    """The compiled catalogue of ``lang``, compiled again when its .po file changes. A page of
    the dossier asks for it thousands of times: a call costs two ``stat`` calls, no listing."""
    base = os.fspath(root or os.environ.get(ENV_VAR) or LOCALE_DIR)  # locale_dir(root), without making a Path
    po = os.path.join(base, lang, "LC_MESSAGES", f"{DOMAIN}.po")
    try:
        found, folder = os.stat(po), os.stat(base)
    except (OSError, ValueError):
        found = folder = None
    if (found is None or not stat.S_ISREG(found.st_mode) or os.path.basename(lang) != lang or lang in ("", ".", "..")
            or lang not in _entries(base, (folder.st_dev, folder.st_ino, folder.st_mtime_ns))):
        check_language(lang, root)  # raises ValueError naming the languages there are
        found = os.stat(po)  # it is there after all: the folder changed meanwhile
    return _translations(lang, po, (found.st_dev, found.st_ino, found.st_mtime_ns, found.st_size))


def gettext(lang: str, root: Path | str | None = None) -> Callable[[str], str]:
    return translations(lang, root).gettext


def ngettext(lang: str, root: Path | str | None = None) -> Callable[[str, str, int], str]:
    return translations(lang, root).ngettext


def pgettext(lang: str, root: Path | str | None = None) -> Callable[[str, str], str]:
    return translations(lang, root).pgettext


def npgettext(lang: str, root: Path | str | None = None) -> Callable[[str, str, str, int], str]:
    return translations(lang, root).npgettext


def _locale(lang: str) -> Locale | None:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(lang)
    except (ValueError, UnknownLocaleError):
        return None


def format_date(d: date | None, lang: str) -> str:
    """A date in words, day first: ``14 czerwca 2024``, ``14 June 2024`` (Babel, CLDR month names
    in the form a date takes: Polish genitive). A language Babel does not know gets the ISO date."""
    if d is None:
        return "—"
    from babel.dates import format_date as babel_date

    loc = _locale(lang)
    return babel_date(d, "d MMMM y", locale=loc) if loc is not None else d.isoformat()


def unit_label(unit: str | None, lang: str, root: Path | str | None = None) -> str:
    """A unit of the registry (an English id such as ``persons``) as a label: ``osoby``. Symbols
    (``km2``, ``%``) are not in the catalogue and are shown as they are."""
    if not unit:
        return ""
    return pgettext(lang, root)("unit", unit)


def unit_count(unit: str | None, n: object, lang: str, root: Path | str | None = None) -> str:
    """The unit after the number ``n``, in the plural form the number takes: 1 osoba, 2 osoby,
    5 osób. A number with decimals takes the label form (2,5 osoby; 2.5 persons)."""
    if not unit:
        return ""
    try:
        whole = n is not None and int(n) == n  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        return unit_label(unit, lang, root)
    return npgettext(lang, root)("unit count", unit, unit, abs(int(n)))  # type: ignore[call-overload]


def install(env, lang: str, root: Path | str | None = None) -> None:
    """Install the language's catalogue into a Jinja2 environment with the i18n extension
    (``{% trans %}``, ``_()``, ``ngettext()``, ``pgettext()``)."""
    if "jinja2.ext.InternationalizationExtension" not in env.extensions:
        env.add_extension("jinja2.ext.i18n")
    env.install_gettext_translations(translations(lang, root), newstyle=True)


# Units of the registry that are symbols, the same in every language: not in the catalogues.
UNIT_SYMBOLS = frozenset({"%", "GJ", "LCU", "MW", "TB", "USD", "cm", "ha", "kWh", "km", "km2", "m2", "m3", "mm", "°C", "µg/m3"})


def extract_units(fileobj, keywords, comment_tags, options):
    """A Babel extractor (``babel.cfg``) for the ``unit`` of each variable of the registry
    (``indicators/variables.yaml``): one message to label it (msgctxt ``unit``) and one with a
    plural to show it after a number (msgctxt ``unit count``). Symbols are left out."""
    import re

    seen: set[str] = set()
    for lineno, line in enumerate(fileobj.read().decode("utf-8").splitlines(), start=1):
        m = re.match(r"\s*unit:\s*(.+?)\s*$", line)
        if not m:
            continue
        unit = m.group(1).strip().strip("\"'")
        if not unit or unit in UNIT_SYMBOLS or unit in seen:
            continue
        seen.add(unit)
        yield lineno, "pgettext", ("unit", unit), ["a unit of the registry, as a label (table header)"]
        yield lineno, "npgettext", ("unit count", unit, unit), ["the same unit after a number: 1 / 2 / 5"]
