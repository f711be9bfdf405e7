"""The files of the bundle as a catalogue describes them: title, description, format, media type,
and the specifications they conform to."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.catalogue.models import Text
from pipeline.publish.fields import TABLES

DATAPACKAGE = "datapackage.json"
CSVW = "indicators.csv-metadata.json"
JSONSTAT = "indicators.jsonstat.json"
PARQUET = "indicators.parquet"
DCAT_JSONLD = "dcat.jsonld"
DCAT_TURTLE = "dcat.ttl"

RFC4180 = "https://www.rfc-editor.org/rfc/rfc4180"
TABULAR_DATA_PACKAGE = "https://specs.frictionlessdata.io/tabular-data-package/"
CSVW_SPEC = "https://www.w3.org/TR/tabular-metadata/"
JSONSTAT_SPEC = "https://json-stat.org/format/"
PARQUET_SPEC = "https://parquet.apache.org/docs/file-format/"
DCAT_AP = "http://data.europa.eu/r5r/"

STANDARDS = {
    RFC4180: "RFC 4180: Common Format and MIME Type for Comma-Separated Values (CSV) Files",
    TABULAR_DATA_PACKAGE: "Frictionless Tabular Data Package",
    CSVW_SPEC: "Metadata Vocabulary for Tabular Data (CSV on the Web)",
    JSONSTAT_SPEC: "JSON-stat 2.0 format",
    PARQUET_SPEC: "Apache Parquet file format",
}
"""The format specifications the files conform to, with their titles."""


@dataclass(frozen=True)
class FileSpec:
    filename: str
    title: Text
    description: Text
    file_type: str
    """Code in the EU file-type vocabulary (http://publications.europa.eu/resource/authority/file-type/)."""
    media_type: str
    """IANA media type."""
    conforms_to: tuple[str, ...] = ()


def _tables() -> list[FileSpec]:
    return [FileSpec(t.path, Text(en=f"{t.title} (CSV)", pl=f"{t.title_pl} (CSV)"),
                     Text(en=t.description + " Tidy CSV (RFC 4180, UTF-8); its Table Schema is in datapackage.json.",
                          pl=t.description_pl + " Uporządkowany CSV (RFC 4180, UTF-8); schemat tabeli w datapackage.json."),
                     "CSV", "text/csv", (RFC4180,))
            for t in TABLES]


DISTRIBUTIONS: tuple[FileSpec, ...] = (
    *_tables(),
    FileSpec(DATAPACKAGE, Text(en="Data package (Frictionless)", pl="Pakiet danych (Frictionless)"),
             Text(en="Frictionless Tabular Data Package describing the CSV files: the Table Schema of each (types, "
                     "descriptions, constraints, primary and foreign keys), licence, sources, sizes and SHA-256.",
                  pl="Pakiet danych Frictionless opisujący pliki CSV: schemat każdej tabeli (typy, opisy, "
                     "ograniczenia, klucze główne i obce), licencja, źródła, rozmiary i skróty SHA-256."),
             "JSON", "application/json", (TABULAR_DATA_PACKAGE,)),
    FileSpec(CSVW, Text(en="CSV on the Web metadata", pl="Metadane CSV on the Web"),
             Text(en="W3C CSVW metadata of the CSV files: columns, datatypes, titles in English and Polish, keys.",
                  pl="Metadane W3C CSVW plików CSV: kolumny, typy danych, tytuły po angielsku i polsku, klucze."),
             "JSON", "application/csvm+json", (CSVW_SPEC,)),
    FileSpec(JSONSTAT, Text(en="Indicator values (JSON-stat 2.0)", pl="Wartości wskaźników (JSON-stat 2.0)"),
             Text(en="The indicator values as a JSON-stat 2.0 cube: city × indicator × year, with a status per value.",
                  pl="Wartości wskaźników jako kostka JSON-stat 2.0: miasto × wskaźnik × rok, ze statusem każdej wartości."),
             "JSON", "application/json", (JSONSTAT_SPEC,)),
    FileSpec(PARQUET, Text(en="Indicator values (Parquet)", pl="Wartości wskaźników (Parquet)"),
             Text(en="The indicator table as Apache Parquet, typed, with the description of each column.",
                  pl="Tabela wskaźników w formacie Apache Parquet, z typami i opisem każdej kolumny."),
             "PARQUET", "application/vnd.apache.parquet", (PARQUET_SPEC,)),
)
"""Every file the DCAT record describes, in its order."""

MEDIA_TYPES = {**{d.filename: d.media_type for d in DISTRIBUTIONS},
               DCAT_JSONLD: "application/ld+json", DCAT_TURTLE: "text/turtle"}
