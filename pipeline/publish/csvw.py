"""``indicators.csv-metadata.json``: CSV on the Web (W3C) metadata of the bundle's CSVs.

A table group with one table per CSV, its columns, datatypes, keys and foreign keys, generated
from the same field specifications as the Table Schema (:mod:`pipeline.publish.fields`).
"""

from __future__ import annotations

from pipeline.publish.fields import FieldSpec, TableSpec
from pipeline.publish.metadata import Meta

DATATYPES = {"string": "string", "integer": "integer", "number": "decimal", "date": "date"}


def column(f: FieldSpec) -> dict:
    datatype: dict = {"base": DATATYPES[f.type]}
    if f.enum:
        datatype["format"] = "^(" + "|".join(f.enum) + ")$"
    elif f.pattern:
        datatype["format"] = f"^({f.pattern})$"
    if f.minimum is not None:
        datatype["minimum"] = f.minimum
    if f.maximum is not None:
        datatype["maximum"] = f.maximum
    out: dict = {
        "name": f.name,
        "titles": {"en": f.title, "pl": f.title_pl},
        "dc:description": f.description,
        "datatype": datatype,
        "required": f.required,
        "null": "",
    }
    if f.separator:  # a list: the datatype applies to each item
        out["separator"] = f.separator
    return out


def table(spec: TableSpec) -> dict:
    schema: dict = {"columns": [column(f) for f in spec.fields], "primaryKey": list(spec.primary_key)}
    if spec.foreign_keys:
        schema["foreignKeys"] = [{"columnReference": list(fk.fields),
                                  "reference": {"resource": f"{fk.resource}.csv", "columnReference": list(fk.reference)}}
                                 for fk in spec.foreign_keys]
    return {
        "url": spec.path,
        "dc:title": [{"@value": spec.title, "@language": "en"}, {"@value": spec.title_pl, "@language": "pl"}],
        "dc:description": [{"@value": spec.description, "@language": "en"},
                           {"@value": spec.description_pl, "@language": "pl"}],
        "tableSchema": schema,
    }


def metadata(meta: Meta, specs: tuple[TableSpec, ...]) -> dict:
    return {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "@id": meta.url("indicators.csv-metadata.json"),
        "dc:title": [{"@value": meta.title.en, "@language": "en"}, {"@value": meta.title.pl, "@language": "pl"}],
        "dc:identifier": meta.dataset_id,
        "dc:license": {"@id": meta.config.licence.uri},
        "dc:publisher": meta.publisher.name,
        "dc:issued": {"@value": meta.release_date.isoformat(), "@type": "xsd:date"},
        "dialect": {"encoding": "utf-8", "delimiter": ",", "doubleQuote": True, "header": True, "headerRowCount": 1,
                    "lineTerminators": ["\r\n"], "quoteChar": '"', "skipBlankRows": False, "trim": False},
        "tables": [table(s) for s in specs],
    }
