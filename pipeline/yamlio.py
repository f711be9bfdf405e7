"""Reading YAML that people write: safely, keeping line numbers, reporting every problem.

Used by the catalogue (definitions) and by ingest (``city.yaml``, exceptions). Loading is done
with ruamel.yaml's round-trip loader, which builds only plain mappings, lists and scalars (no
Python objects) and remembers where each key stands, so a pydantic error can name its line.
A value shaped like a date that is no date (``2024-02-30``) is kept as the text written, so the
model refuses it with the line of its field instead of the loader failing without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError

from pipeline.i18n import N_, msg
from pipeline.problems import Problem


def line_of(doc: Any, path: Sequence[str | int]) -> int | None:
    """1-based line of the deepest part of ``path`` that exists in the YAML document."""
    line: int | None = None
    node = doc
    for part in path:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        elif isinstance(node, (CommentedMap, CommentedSeq)):
            continue  # a discriminator tag in pydantic's location, not a key in the file
        else:
            break
    if line is None and isinstance(doc, (CommentedMap, CommentedSeq)) and doc.lc.line is not None:
        line = doc.lc.line + 1
    return line


class _Constructor(RoundTripConstructor):
    """The round-trip constructor, except that an impossible date or time stays text."""

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:  # day is out of range for month, hour must be in 0..23...
            return self.construct_scalar(node)


_Constructor.add_default_constructor("timestamp")


class YamlFile:
    """A YAML file read for checking: its document, and the problems found in it so far."""

    def __init__(self, path: Path, shown: str, problems: list[Problem]):
        self.path = path
        self.shown = shown
        self.problems = problems
        self.doc: Any = None

    def load(self, text: str | None = None) -> bool:
        """Parse the file; on failure record the problem and return False."""
        try:
            if text is None:
                text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            self.add("encoding", msg(N_("not UTF-8 text ({reason} at byte {start}); save the file as UTF-8"),
                                     reason=e.reason, start=e.start))
            return False
        y = YAML(typ="rt", pure=True)
        y.Constructor = _Constructor
        y.allow_duplicate_keys = False
        try:
            self.doc = y.load(text)
        except MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            self.problems.append(
                Problem(file=self.shown, line=mark.line + 1 if mark else None, rule="yaml_syntax",
                        **msg(N_("YAML syntax error: {detail}"), detail=e.problem or e.context))
            )
            return False
        except Exception as e:  # ruamel raises a few errors without a mark
            self.add("yaml_syntax", msg(N_("YAML error: {detail}"), detail=e))
            return False
        if not isinstance(self.doc, CommentedMap):
            self.problems.append(Problem(file=self.shown, line=1, rule="yaml_not_mapping",
                                         **msg(N_("expected a mapping of fields (key: value) at the top level"))))
            return False
        return True

    def add(self, rule: str, message: dict[str, Any], path: Sequence[str | int] = (), value: Any = None) -> None:
        """Record a problem at ``path``; ``message`` is a :func:`pipeline.i18n.msg`."""
        self.problems.append(
            Problem(
                file=self.shown,
                line=line_of(self.doc, path) if self.doc is not None else None,
                field=".".join(str(p) for p in path) or None,
                rule=rule,
                **message,
                value=None if value is None else str(value),
            )
        )

    def model(self, cls: type[BaseModel], data: Any = None, prefix: Sequence[str | int] = ()) -> Any:
        """Validate (part of) the document as ``cls``; record every error with its line."""
        try:
            return cls.model_validate(self.doc if data is None else data)
        except ValidationError as e:
            for err in e.errors():
                value = err.get("input")
                shown = value if isinstance(value, (str, int, float)) else None
                self.add(f"schema.{err['type']}", explain(err), (*prefix, *err["loc"]), shown)
            return None


def explain(err: dict) -> dict[str, Any]:
    """A pydantic error as a message (:func:`pipeline.i18n.msg`): unknown and missing fields in
    the project's words, any other error in pydantic's."""
    name = err["loc"][-1] if err["loc"] else "document"
    if err["type"] == "extra_forbidden":
        return msg(N_("unknown field {name} (check its spelling; the allowed fields are in the JSON Schema under schemas/)"),
                   name=repr(name))
    if err["type"] == "missing":
        return msg(N_("required field {name} is missing"), name=repr(name))
    return msg(N_("{detail}"), detail=err["msg"])
