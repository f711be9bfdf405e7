"""Problems found in user-supplied files, reported together and located precisely.

Every stage that reads something a person wrote (definitions, a city's raw inputs) collects
:class:`Problem` records instead of stopping at the first one, then raises
:class:`ProblemsFound` carrying all of them. The CLI prints them as a table and writes them as
JSON; nothing downstream runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pydantic import BaseModel, ConfigDict

from pipeline.i18n import N_, MessageArgs, gettext, render

# The words that name a place in a file, in the catalogues (``Problem.text``).
PLACE_WORDS = {
    "sheet": N_("sheet {sheet}"),
    "row": N_("row {row}"),
    "line": N_("line {line}"),
    "column": N_("column {column}"),
    "field": N_("field {field}"),
}


class _Kept(dict):
    """The fields of a message; a field the template names but the message lacks stays ``{name}``."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Problem(BaseModel):
    """One thing wrong with one place in one file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    """Path of the file, relative to the folder the user named where possible."""
    rule: str
    """Stable id of the rule that was broken, e.g. ``yaml_syntax`` or ``unknown_variable``."""
    message: str
    """What is wrong and what is expected, in words a statistician can act on (English)."""
    message_id: str | None = None
    """The message's template in the message catalogues (its English msgid, with ``{fields}``),
    to show it in another language; see :func:`pipeline.i18n.msg`."""
    message_args: MessageArgs | None = None
    """The values of the template's fields."""
    line: int | None = None
    """1-based line in a text file (YAML, CSV)."""
    sheet: str | None = None
    """Worksheet name for spreadsheets."""
    row: int | None = None
    """1-based row of a table (the header is row 1, as a spreadsheet shows it)."""
    column: str | None = None
    """Column name of a table."""
    field: str | None = None
    """Dotted path of a field in a structured file, e.g. ``calculation.numerator``."""
    value: str | None = None
    """The offending value, as written."""

    def _places(self) -> list[tuple[str, str]]:
        """The parts of the place: (its word's key, its value as shown)."""
        parts = []
        if self.sheet:
            parts.append(("sheet", repr(self.sheet)))
        if self.row is not None:
            parts.append(("row", str(self.row)))
        if self.line is not None:
            parts.append(("line", str(self.line)))
        if self.column:
            parts.append(("column", repr(self.column)))
        if self.field:
            parts.append(("field", repr(self.field)))
        return parts

    @property
    def place(self) -> str:
        return ", ".join([self.file, *(PLACE_WORDS[k].format_map({k: v}) for k, v in self._places())])

    def place_in(self, lang: str, translate: Callable[[str], str] | None = None) -> str:
        """The place in ``lang``: ``plik.csv, arkusz 'Dane', wiersz 4, kolumna 'value'``. ``translate``
        (``i18n.gettext(lang)``, looked up once for many problems) saves looking the catalogue up."""
        _ = translate or gettext(lang)
        return ", ".join([self.file, *(_(PLACE_WORDS[k]).format_map({k: v}) for k, v in self._places())])

    def message_in(self, lang: str, translate: Callable[[str], str] | None = None) -> str:
        """The message in ``lang`` (the English ``message`` where it has no template, or where a
        translation's fields do not fit its template); ``translate`` as for :meth:`place_in`."""
        if translate is None or not self.message_id:
            return render(self.message_id, self.message_args, lang, self.message)
        try:
            return translate(self.message_id).format_map(_Kept(self.message_args or {}))
        except (ValueError, IndexError, AttributeError):
            return self.message

    def text(self, lang: str = "en", translate: Callable[[str], str] | None = None) -> str:
        """The whole problem in ``lang``, as :meth:`__str__` says it in English."""
        _ = translate or gettext(lang)
        return f"{self.place_in(lang, _)}: [{self.rule}] {self.message_in(lang, _)}"

    def __str__(self) -> str:
        return f"{self.place}: [{self.rule}] {self.message}"


def sort_key(p: Problem) -> tuple:
    return (p.file, p.sheet or "", p.row or 0, p.line or 0, p.column or "", p.field or "", p.rule)


class ProblemsFound(Exception):
    """Raised with every problem of a run; the run changed nothing."""

    def __init__(self, problems: Iterable[Problem], what: str = "input"):
        self.problems = sorted(problems, key=sort_key)
        self.what = what
        super().__init__(
            f"{len(self.problems)} problem(s) in the {what}:\n"
            + "\n".join(str(p) for p in self.problems[:50])
        )
