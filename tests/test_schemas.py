"""The JSON Schemas in schemas/ are generated from the models and must not go stale."""

from __future__ import annotations

import json

import jsonschema
from ruamel.yaml import YAML

from pipeline import schemas
from tests.conftest import CATALOGUE, ROOT


def test_schemas_are_up_to_date():
    assert schemas.stale(ROOT / "schemas") == [], "run `iso37120 schemas` (make schemas) and commit the result"


def test_every_schema_file_is_generated():
    on_disk = {p.name for p in (ROOT / "schemas").glob("*.schema.json")}
    assert on_disk == set(schemas.expected()), "a schema in schemas/ is no longer generated from a model"


def test_shipped_definitions_validate_against_their_schemas():
    load = YAML(typ="safe", pure=True).load
    indicator = json.loads((ROOT / "schemas" / "indicator.schema.json").read_text())
    for path in sorted((CATALOGUE / "iso37120-2014").rglob("*.yaml")):
        if path.name == "edition.yaml":
            continue
        jsonschema.validate(load(path.read_text(encoding="utf-8")), indicator)
    variables = json.loads((ROOT / "schemas" / "variables.schema.json").read_text())
    jsonschema.validate(load((CATALOGUE / "variables.yaml").read_text(encoding="utf-8")), variables)


def test_schema_rejects_an_unknown_key():
    indicator = json.loads((ROOT / "schemas" / "indicator.schema.json").read_text())
    doc = YAML(typ="safe", pure=True).load((CATALOGUE / "iso37120-2014" / "05-economy" / "5.1.yaml").read_text())
    doc["multipler"] = 100
    validator = jsonschema.Draft202012Validator(indicator)
    assert any("multipler" in e.message for e in validator.iter_errors(doc))
