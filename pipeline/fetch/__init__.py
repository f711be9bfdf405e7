"""The fetch stage: public statistics from the network into a frozen snapshot in a city's raw folder.

Nothing downstream talks to the network: ingest reads the snapshot's files (response bodies exactly
as received, with their SHA-256 in ``snapshot.yaml``) like any other raw input. A snapshot holds one
city (``fetch_snapshot``) or every gmina of the country in a folder of many cities
(``fetch_all_gminas``, with ``write_city_files`` for its ``cities.yaml``). One module per
source; :mod:`pipeline.fetch.bdl` is Statistics Poland's Local Data Bank.
"""

from __future__ import annotations

from pipeline.fetch.bdl import (
    AllGminas,
    BdlClient,
    BdlError,
    CityFiles,
    MappingCheck,
    RateLimiter,
    check_mapping,
    fetch_all_gminas,
    fetch_snapshot,
    format_check_report,
    gminas_in,
    resolve_unit,
    write_city_files,
)

__all__ = ["AllGminas", "BdlClient", "BdlError", "CityFiles", "MappingCheck", "RateLimiter", "check_mapping",
           "fetch_all_gminas", "fetch_snapshot", "format_check_report", "gminas_in", "resolve_unit", "write_city_files"]
