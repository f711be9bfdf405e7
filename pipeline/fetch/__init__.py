"""The fetch stage: public statistics from the network into a frozen snapshot in a city's raw folder.

Nothing downstream talks to the network: ingest reads the snapshot's files (response bodies exactly
as received, with their SHA-256 in ``snapshot.yaml``) like any other raw input. One module per
source; :mod:`pipeline.fetch.bdl` is Statistics Poland's Local Data Bank.
"""

from __future__ import annotations

from pipeline.fetch.bdl import (
    BdlClient,
    BdlError,
    MappingCheck,
    RateLimiter,
    check_mapping,
    fetch_snapshot,
    format_check_report,
    gminas_in,
    resolve_unit,
)

__all__ = ["BdlClient", "BdlError", "MappingCheck", "RateLimiter", "check_mapping", "fetch_snapshot",
           "format_check_report", "gminas_in", "resolve_unit"]
