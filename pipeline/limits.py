"""How much the build reads before it refuses: one place for every resource limit.

A hostile or broken input (a zip bomb posing as a workbook, a 10 MB cell, a formula nested ten
thousand deep, millions of stray files) must end in a clear problem naming the file and the limit,
not in a machine out of memory or a Python traceback. Each limit has a default that real cities'
inputs are far below; an office with larger files raises it with an environment variable named
after the limit (``ISO37120_MAX_ROWS_PER_FILE=20000000``), and the problem says which one.
"""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.i18n import N_, msg
from pipeline.problems import Problem, ProblemsFound

ENV_PREFIX = "ISO37120_"


class Limits(BaseModel):
    """The resource limits of one run (defaults, or the environment's ``ISO37120_<NAME>``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_file_bytes: int = Field(1 << 30, gt=0)
    """Size of one raw file on disk."""
    max_files: int = Field(100_000, gt=0)
    """Files under the raw folder (a national build of 2,500 cities has about 10,000)."""
    max_rows_per_file: int = Field(10_000_000, gt=0)
    """Rows of one CSV file or worksheet."""
    max_field_chars: int = Field(100_000, gt=0)
    """Characters of one cell (a note of a hundred thousand characters is not a note)."""
    max_xlsx_uncompressed_bytes: int = Field(1 << 29, gt=0)
    """What a workbook's parts inflate to, summed over its zip directory (512 MiB), checked
    before anything is unpacked."""
    max_formula_chars: int = Field(2_000, gt=0)
    """Length of a definition's formula."""
    max_formula_depth: int = Field(30, gt=0)
    """Parentheses nested in a formula."""

    @staticmethod
    def env_name(name: str) -> str:
        return ENV_PREFIX + name.upper()

    def hint(self, name: str) -> str:
        """The words that end a problem about limit ``name``: its value and how to raise it."""
        return HINT.format_map(self.hint_args(name))

    def hint_args(self, name: str) -> dict[str, str]:
        """The fields of :data:`HINT` for limit ``name``, to fill a template that ends with it."""
        return {"limit": name, "limit_value": f"{getattr(self, name):,}", "env": self.env_name(name)}


HINT = "limit {limit} = {limit_value}; raise it with the environment variable {env}"
"""The words of :meth:`Limits.hint`; a message template about a limit ends with them."""


def limits() -> Limits:
    """The limits in force: the defaults, overridden by ``ISO37120_<NAME>`` environment variables.
    A value that is not a positive whole number raises :class:`ProblemsFound` naming the variable."""
    given = {name: os.environ[Limits.env_name(name)] for name in Limits.model_fields
             if Limits.env_name(name) in os.environ}
    try:
        return Limits.model_validate({k: v.replace("_", "") for k, v in given.items()})
    except ValidationError as e:
        raise ProblemsFound([Problem(file="environment", field=Limits.env_name(str(err["loc"][0])), rule="bad_limit",
                                     value=given.get(str(err["loc"][0])), **msg(N_("a limit is a positive whole number")))
                             for err in e.errors()], "configuration") from None
