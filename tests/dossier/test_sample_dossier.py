"""The dossier of the shipped sample city: every indicator of its edition (100 and the profile
data) has its section, reached from the summary, and the JSON holds them all."""

from __future__ import annotations

import json
import re
from collections import Counter

import jsonschema
import pytest

from pipeline.calculate import calculate
from pipeline.dossier import render_dossier
from pipeline.ingest import ingest
from pipeline.store import connect
from pipeline.validate import validate
from tests.conftest import ROOT, SAMPLE_RAW

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not any(SAMPLE_RAW.glob("*/city.yaml")), reason="no sample city under data/raw/"),
]


@pytest.fixture(scope="module")
def sample(catalogue, tmp_path_factory):
    root = tmp_path_factory.mktemp("sample-dossier")
    ingest(SAMPLE_RAW, catalogue, root / "store.duckdb")
    con = connect(root / "store.duckdb")
    try:
        calculate(con, catalogue)
        validate(con, catalogue)
        paths = render_dossier(con, catalogue, root / "reports", ["en", "pl"], pdf=False)
        codes = [c for (c,) in con.execute("SELECT city_code FROM cities ORDER BY 1").fetchall()]
        editions = dict(con.execute("SELECT city_code, editions[1] FROM cities").fetchall())  # the primary standard
    finally:
        con.close()
    return paths, codes, editions


def test_the_quality_part_counts_the_flags_of_its_own_standard(sample):
    paths, codes, _ = sample
    for p in paths:
        if p.suffix != ".json" or not p.name.startswith("dossier-"):
            continue
        data = json.loads(p.read_text(encoding="utf-8"))
        latest = data["quality"]["year"]
        own = Counter(f for th in data["themes"] for i in th["indicators"] for y in i["years"]
                      if y["year"] == latest and y["status"] == "reported" for f in y["flags"])
        assert data["quality"]["flagged_values"] == dict(sorted(own.items())), p.name


def test_every_indicator_has_a_section(sample, catalogue):
    paths, codes, editions = sample
    names = {p.name for p in paths}
    for code in codes:
        indicators = catalogue.of_edition(editions[code])
        assert len([i for i in indicators if i.tier.value != "profile"]) >= 100
        for lang in ("en", "pl"):
            assert f"dossier-{code}-{lang}.html" in names
            html = next(p for p in paths if p.name == f"dossier-{code}-{lang}.html").read_text(encoding="utf-8")
            sections = set(re.findall(r'<article class="indicator" id="([^"]+)"', html))
            assert sections == {f"ind-{i.slug}" for i in indicators}
            glance = html[html.index('<section id="indicators"'):html.index('<section class="theme"')]
            assert all(f'href="#ind-{i.slug}"' in glance for i in indicators)
            assert set(re.findall(r'href="#([^"]+)"', html)) <= set(re.findall(r'\sid="([^"]+)"', html))
            assert "<script" not in html
        data = json.loads(next(p for p in paths if p.name == f"dossier-{code}.json").read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator(json.loads((ROOT / "schemas" / "dossier.schema.json").read_text())).validate(data)
        assert sorted(i["uid"] for th in data["themes"] for i in th["indicators"]) == sorted(i.uid for i in indicators)


def test_each_indicator_shows_the_rules_of_every_kind_that_concern_it(sample):
    """The ids come from the check registry: the parts-sum rule of 16.3's group is shown with 16.3."""
    paths, codes, _ = sample
    data = json.loads(next(p for p in paths if p.name == f"dossier-{codes[0]}.json").read_text(encoding="utf-8"))
    by_id = {i["id"]: i for th in data["themes"] for i in th["indicators"]}
    rules = {r["rule_id"]: r for r in by_id["16.3"]["rules"]}
    assert {"range_results_iso37120-2014:16.3", "share_bounds_results_iso37120-2014:16.3",
            "recomputes_results_iso37120-2014:16.3", "parts_sum_results_iso37120-2014:solid-waste-routes"} <= set(rules)
    assert rules["range_results_iso37120-2014:16.3"]["severity"] == "warning"
    assert rules["share_bounds_results_iso37120-2014:16.3"]["severity"] == "error"
