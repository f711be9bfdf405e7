"""What every HTML page of the dossier shares: the template environment and the inlined CSS."""

from __future__ import annotations

from importlib.resources import files

from jinja2 import Environment, PackageLoader, StrictUndefined

from pipeline.catalogue.cache import template_cache

CSS = files("pipeline.dossier").joinpath("dossier.css").read_text(encoding="utf-8")


def environment() -> Environment:
    """Autoescaped, strict (an unknown name is an error, not an empty string)."""
    return Environment(loader=PackageLoader("pipeline.dossier", "templates"), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                       bytecode_cache=template_cache("pipeline.dossier"))
