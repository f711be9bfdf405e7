"""JSON Schemas of every file format the project reads or writes, generated from the models.

``iso37120 schemas`` writes them into ``schemas/``; a test fails when they are stale. Editors
use them to complete and check the YAML (see ``.vscode/settings.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from pipeline import __version__
from pipeline.catalogue.models import Edition, Indicator, ProviderRegistry, VariableRegistry

SCHEMA_DIR = Path("schemas")
BASE_URI = "https://iso37120-pipeline.example.org/schemas/"


def _models() -> dict[str, type[BaseModel]]:
    from pipeline.dossier.comparison import Comparison
    from pipeline.dossier.models import Dossier
    from pipeline.ingest.models import Cities, City, Exceptions, ObservationRow, SourceRow
    from pipeline.diff import ReleaseDiff
    from pipeline.publish.config import PublishConfig
    from pipeline.publish.models import PublishReport
    from pipeline.store import models as store

    return {
        "edition.schema.json": Edition,
        "indicator.schema.json": Indicator,
        "variables.schema.json": VariableRegistry,
        "providers.schema.json": ProviderRegistry,
        "city.schema.json": City,
        "cities.schema.json": Cities,
        "exceptions.schema.json": Exceptions,
        "sources-row.schema.json": SourceRow,
        "observation-row.schema.json": ObservationRow,
        "publish-config.schema.json": PublishConfig,
        "publish-report.schema.json": PublishReport,
        **{f"{name}.schema.json": m for name, m in store.ARTEFACTS.items()},
        "dossier.schema.json": Dossier,
        "comparison.schema.json": Comparison,
        "release-diff.schema.json": ReleaseDiff,
    }


def render(name: str, model: type[BaseModel]) -> str:
    schema = model.model_json_schema(mode="validation")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BASE_URI + name,
        **schema,
    }
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def expected() -> dict[str, str]:
    return {name: render(name, model) for name, model in sorted(_models().items())}


def stale(directory: Path = SCHEMA_DIR) -> list[str]:
    """Names of schema files that are missing or differ from what the models generate."""
    return [n for n, text in expected().items() if not (directory / n).is_file() or (directory / n).read_text(encoding="utf-8") != text]


def write(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for name, text in expected().items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        out.append(path)
    return out


__all__ = ["expected", "stale", "write", "__version__"]
