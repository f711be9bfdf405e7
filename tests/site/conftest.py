"""Two releases of three small cities built in code (a mini catalogue), the second with a revised
input, an input no longer given and a new city file: its site has something on every page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.build import BuildResult, build
from pipeline.catalogue import Catalogue, load_catalogue
from tests.conftest import write_catalogue, write_city
from tests.publish.conftest import CONFIG
from tests.validate.test_validate import GOOD, rows

CITIES = {"0001": ("testville", 1.0), "0002": ("otherton", 1.5), "0003": ("thirdham", 0.8)}


def _city_yaml(code: str, name: str) -> str:
    return (f'code: "{code}"\nname: {{en: {name.title()}, pl: {name.title()}-PL}}\ncountry: PL\nedition: test-ed\n'
            "currency: PLN\nfictional: true\n")


def _rows(scale: float, revised: bool = False, without: str | None = None) -> list[dict]:
    values = {k: tuple(round(x * scale) if isinstance(x, int) else x for x in v) for k, v in GOOD.items() if k != without}
    out = rows(values)
    if revised:
        for r in out:
            if r["variable"] == "population" and r["year"] == 2023:
                r.update(value=r["value"] + 40, status="revised", note="Census correction")
    return out


@dataclass
class Releases:
    root: Path
    catalogue: Catalogue
    first: BuildResult
    second: BuildResult

    @property
    def site(self) -> Path:
        return self.root / "out" / "site"

    @property
    def store(self) -> Path:
        return self.root / "work" / "store.duckdb"


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> Releases:
    root = tmp_path_factory.mktemp("site")
    cat = load_catalogue(write_catalogue(root))
    raw = root / "raw"

    def city(code: str, **kw) -> None:
        name, scale = CITIES[code]
        write_city(raw, _rows(scale, **kw), code=code, name=name, city_yaml=_city_yaml(code, name))

    def run() -> BuildResult:
        return build(raw, root / "out", cat, reports=root / "reports", store=root / "work" / "store.duckdb", pdf=False,
                     publish_config=CONFIG.model_copy(update={"dataset_id": "site-test"}))

    for code in CITIES:
        city(code)
    first = run()
    city("0001", revised=True)
    city("0002", without="firefighters")
    second = run()
    return Releases(root, cat, first, second)
