"""The page writers of the site, one module per kind of page, each with one call shape:
``write(site: Site, con) -> list[Path]``. A new kind of page is a new module added to
:data:`PAGES`; nothing else changes."""

from __future__ import annotations

from pipeline.site.pages import changes, cities, index, indicators

PAGES = (index, indicators, cities, changes)
"""In the order they are written."""
