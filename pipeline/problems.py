"""Problems found in user-supplied files, reported together and located precisely.

Every stage that reads something a person wrote (definitions, a city's raw inputs) collects
:class:`Problem` records instead of stopping at the first one, then raises
:class:`ProblemsFound` carrying all of them. The CLI prints them as a table and writes them as
JSON; nothing downstream runs.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict


class Problem(BaseModel):
    """One thing wrong with one place in one file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    """Path of the file, relative to the folder the user named where possible."""
    rule: str
    """Stable id of the rule that was broken, e.g. ``yaml_syntax`` or ``unknown_variable``."""
    message: str
    """What is wrong and what is expected, in words a statistician can act on."""
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

    @property
    def place(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column:
            parts.append(f"column {self.column!r}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts)

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
