"""``datapackage.json``: a Frictionless Tabular Data Package of the bundle's CSVs.

Each resource carries its full Table Schema (a type, title, description and constraints for every
field, missing values, primary and foreign keys), generated from :mod:`pipeline.publish.fields`,
and the byte size and SHA-256 of its file, which ``frictionless validate`` checks.
"""

from __future__ import annotations

from pipeline.publish.fields import FieldSpec, TableSpec
from pipeline.publish.metadata import Meta

MISSING_VALUES = [""]
DIALECT = {"delimiter": ",", "doubleQuote": True, "header": True, "lineTerminator": "\r\n", "quoteChar": '"'}


def table_schema_field(f: FieldSpec) -> dict:
    out: dict = {"name": f.name, "type": f.type, "title": f.title, "description": f.description}
    if f.type == "date":
        out["format"] = "default"
    if f.type == "number":
        out["decimalChar"] = "."
        out["bareNumber"] = True
    constraints: dict = {}
    if f.required:
        constraints["required"] = True
    if f.enum:
        constraints["enum"] = list(f.enum)
    if f.minimum is not None:
        constraints["minimum"] = f.minimum
    if f.maximum is not None:
        constraints["maximum"] = f.maximum
    if f.cell_pattern:
        constraints["pattern"] = f.cell_pattern
    if constraints:
        out["constraints"] = constraints
    return out


def table_schema(spec: TableSpec) -> dict:
    schema: dict = {
        "fields": [table_schema_field(f) for f in spec.fields],
        "missingValues": MISSING_VALUES,
        "primaryKey": list(spec.primary_key),
    }
    if spec.foreign_keys:
        schema["foreignKeys"] = [{"fields": list(fk.fields), "reference": {"resource": fk.resource, "fields": list(fk.reference)}}
                                 for fk in spec.foreign_keys]
    return schema


def resource(spec: TableSpec, size: int, sha256: str) -> dict:
    return {
        "name": spec.name,
        "path": spec.path,
        "profile": "tabular-data-resource",
        "title": spec.title,
        "description": spec.description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": size,
        "hash": f"sha256:{sha256}",
        "dialect": DIALECT,
        "schema": table_schema(spec),
    }


def descriptor(meta: Meta, tables: list[tuple[TableSpec, int, str]]) -> dict:
    """The package descriptor; ``tables`` gives each CSV's spec, byte size and SHA-256."""
    lic = meta.config.licence
    return {
        "profile": "tabular-data-package",
        "name": meta.dataset_id,
        "id": meta.iri,
        "title": meta.title.en,
        "description": meta.description.en,
        "homepage": meta.iri,
        "version": meta.version,
        "created": meta.created,
        "keywords": sorted(set(meta.keywords_en) | set(meta.keywords_pl)),
        "licenses": [{"name": lic.id, "path": lic.url, "title": lic.title}],
        "contributors": [{"title": meta.publisher.name, "role": "publisher",
                          **({"path": meta.publisher.homepage} if meta.publisher.homepage else {})},
                         {"title": meta.contact.name, "role": "maintainer", "email": meta.contact.email}],
        "sources": [{"title": f"{s.organisation}: {s.dataset}", **({"path": s.url} if s.url else {})} for s in meta.sources],
        "resources": [resource(spec, size, sha) for spec, size, sha in tables],
    }
