"""The real validators, run on a bundle folder: frictionless, pyshacl with the DCAT-AP shapes,
a JSON Schema of JSON-stat 2.0, and checks of the tidy CSV and of every size and checksum."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import warnings
from decimal import Decimal, InvalidOperation
from pathlib import Path

import jsonschema
import pyshacl
from frictionless import validate
from rdflib import RDF, Graph, Namespace, URIRef

from tests.publish.conftest import SHAPES

SH = Namespace("http://www.w3.org/ns/shacl#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
JSONSTAT_SCHEMA = Path(__file__).with_name("jsonstat-2.0-dataset.schema.json")


def frictionless_errors(out: Path) -> list[str]:
    """Every error ``frictionless validate`` finds in the data package (with its hashes, sizes, keys)."""
    report = validate(str(out / "datapackage.json"))
    return [f"{e.type}: {e.note}" for e in report.errors] + [
        f"{t.name}: {e.type}: {e.message}" for t in report.tasks for e in t.errors]


def dcat_graph(out: Path) -> Graph:
    with warnings.catch_warnings():  # rdflib's JSON-LD parser uses its own deprecated ConjunctiveGraph
        warnings.simplefilter("ignore", DeprecationWarning)
        return Graph().parse(out / "dcat.jsonld", format="json-ld")


def shacl_results(data: Graph, shapes: str) -> list[tuple[str, str, str, str]]:
    """(severity, focus node, path, message) of every result of one shapes file."""
    _, results, _ = pyshacl.validate(data, shacl_graph=Graph().parse(SHAPES / shapes, format="turtle"),
                                     inference="none", allow_warnings=True)
    out = []
    for r in results.subjects(RDF.type, SH.ValidationResult):
        out.append((str(results.value(r, SH.resultSeverity)).rsplit("#", 1)[-1], str(results.value(r, SH.focusNode)),
                    str(results.value(r, SH.resultPath)), str(results.value(r, SH.resultMessage))))
    return sorted(out)


def dcat_problems(out: Path) -> list[tuple[str, str, str, str]]:
    """Violations of the mandatory and range shapes, and warnings of the recommended shapes on the
    dataset and its distributions: all must be empty."""
    g = dcat_graph(out)
    problems = shacl_results(g, "shapes.ttl") + shacl_results(g, "range.ttl")
    core = {str(s) for s in g.subjects(RDF.type, DCAT.Dataset)} | {str(s) for s in g.subjects(RDF.type, DCAT.Distribution)}
    problems += [r for r in shacl_results(g, "shapes_recommended.ttl") if r[1] in core]
    return problems


def checksum_mismatches(out: Path) -> list[str]:
    """Every file whose size or SHA-256 in datapackage.json or the DCAT record differs from the file."""
    wrong = []
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    for res in package["resources"]:
        data = (out / res["path"]).read_bytes()
        if res["bytes"] != len(data) or res["hash"] != "sha256:" + hashlib.sha256(data).hexdigest():
            wrong.append(f"datapackage.json: {res['path']}")
    g = dcat_graph(out)
    distributions = list(g.subjects(RDF.type, DCAT.Distribution))
    for d in distributions:
        url = str(g.value(d, DCAT.downloadURL))
        data = (out / url.rsplit("/", 1)[-1]).read_bytes()
        checksum = g.value(d, SPDX.checksum)
        if (int(g.value(d, DCAT.byteSize)) != len(data)
                or str(g.value(checksum, SPDX.checksumValue)) != hashlib.sha256(data).hexdigest()
                or g.value(checksum, SPDX.algorithm) != URIRef(SPDX.checksumAlgorithm_sha256)):
            wrong.append(f"dcat.jsonld: {url}")
    described = {str(g.value(d, DCAT.downloadURL)).rsplit("/", 1)[-1] for d in distributions}
    on_disk = {p.name for p in out.iterdir()} - {"dcat.jsonld", "dcat.ttl"}
    if described != on_disk:
        wrong.append(f"dcat.jsonld describes {sorted(described)}, the folder holds {sorted(on_disk)}")
    return wrong


def jsonstat_errors(out: Path) -> list[str]:
    doc = json.loads((out / "indicators.jsonstat.json").read_text(encoding="utf-8"))
    schema = json.loads(JSONSTAT_SCHEMA.read_text(encoding="utf-8"))
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(doc)]
    n = 1
    for size in doc["size"]:
        n *= size
    if len(doc["value"]) != n or len(doc["status"]) != n:
        errors.append(f"{len(doc['value'])} values and {len(doc['status'])} statuses for a cube of {n}")
    if [len(doc["dimension"][d]["category"]["index"]) for d in doc["id"]] != doc["size"]:
        errors.append("size does not match the categories")
    return errors


def tidy_csv_problems(out: Path, name: str = "indicators.csv") -> list[str]:
    """RFC 4180 and tidy: no BOM, UTF-8, CRLF, one header, a unique (city, indicator, year), numbers
    that parse, an empty value unless reported, no cell a spreadsheet would run."""
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    schema = next(r["schema"] for r in package["resources"] if r["path"] == name)
    data = (out / name).read_bytes()
    problems = []
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append("starts with a BOM")
    text = data.decode("utf-8")
    if not text.endswith("\r\n") or "\n" in text.replace("\r\n", ""):
        problems.append("lines do not all end with CRLF")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    if header != [f["name"] for f in schema["fields"]]:
        problems.append(f"header {header} is not the schema's fields")
    keys = [tuple(r[header.index(k)] for k in schema["primaryKey"]) for r in body]
    if len(keys) != len(set(keys)):
        problems.append("the primary key is not unique")
    numeric = [f["name"] for f in schema["fields"] if f["type"] in ("number", "integer")]
    for n, r in enumerate(body, start=2):
        cells = dict(zip(header, r))
        if len(r) != len(header):
            problems.append(f"row {n}: {len(r)} cells")
        for col in numeric:
            if cells[col]:
                try:
                    Decimal(cells[col])
                except InvalidOperation:
                    problems.append(f"row {n}: {col} = {cells[col]!r} is not a number")
                if "," in cells[col] or " " in cells[col] or "e" in cells[col].lower():
                    problems.append(f"row {n}: {col} = {cells[col]!r} is not a plain decimal")
        for col, v in cells.items():
            if col not in numeric and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
                problems.append(f"row {n}: {col} = {v!r} would run as a formula")
        if "status" in cells and "value" in cells and name == "indicators.csv":
            if cells["status"] != "reported" and (cells["value"] or cells["value_text"]):
                problems.append(f"row {n}: a value with status {cells['status']}")
            if cells["status"] != "reported" and not cells["reason"]:
                problems.append(f"row {n}: status {cells['status']} without a reason")
            if cells["status"] == "reported" and bool(cells["value"]) == bool(cells["value_text"]):
                problems.append(f"row {n}: reported needs exactly one of value and value_text")
    return problems
