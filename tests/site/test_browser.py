"""The site in a real browser (headless Chromium from the system packages, driven by Playwright):
from its index, opened from disk with the network cut, every link of every page is followed; each
page loads with nothing asked of a network (only file: and data: requests), the city table filters
and an indicator table sorts. Screenshots of the index, a city page, an indicator page and the
changes page are saved to $SITE_SCREENSHOTS (default: the test's temporary folder)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

from tests.dossier.test_browser import CHROMIUM, browser  # noqa: F401 - the fixture
from tests.dossier.test_browser import open_offline

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed: apt-get install -y --no-install-recommends chromium")


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SITE_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_every_link_from_the_index_opens_offline(browser, releases):  # noqa: F811
    start = (releases.site / "index.html").resolve().as_uri()
    out = releases.site.parent.resolve().as_uri()
    context, page, outside = open_offline(browser, releases.site / "index.html")
    seen, todo, failed = set(), [start], []
    try:
        while todo:
            url = todo.pop()
            if url in seen:
                continue
            seen.add(url)
            if not url.endswith(".html"):  # a download (CSV, JSON, the bundle): the browser would save it
                if not Path(unquote(urlsplit(url).path)).is_file():
                    failed.append(url)
                continue
            response = page.goto(url, wait_until="load")
            if response is not None and not response.ok:
                failed.append(url)
                continue
            for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                target, _ = urldefrag(href)
                if target.startswith("file:") and target not in seen:
                    assert target.startswith(out), f"{url} links outside the release: {href}"
                    todo.append(target)
    finally:
        context.close()
    assert failed == [] and outside == []
    pages = {u for u in seen if u.endswith(".html")}
    assert len(pages) >= 2 * (1 + 1 + 3 + len(releases.catalogue.indicators)) + 1  # index, changes, cities, indicators; languages


def test_the_city_table_filters_and_an_indicator_table_sorts(browser, releases, shots):  # noqa: F811
    context, page, outside = open_offline(browser, releases.site / "en" / "index.html")
    try:
        box = page.locator("#city-filter")
        assert box.is_visible()
        box.fill("otherton")
        assert page.locator("#city-table tbody tr:not([hidden])").count() == 1
        assert page.locator("#city-filter-count").inner_text() == "1 / 3"
        page.screenshot(path=str(shots / "site-index-en.png"), full_page=False)
        page.goto((releases.site / "en" / "indicators" / "test-ed" / "5.1.html").resolve().as_uri(), wait_until="load")
        header = page.locator("#ind-table thead th", has_text="Value")
        header.click()
        values = [float(v) for v in page.eval_on_selector_all("#ind-table tbody td[data-value]", "els => els.map(e => e.dataset.value)")]
        assert values == sorted(values)
        header.click()
        values = [float(v) for v in page.eval_on_selector_all("#ind-table tbody td[data-value]", "els => els.map(e => e.dataset.value)")]
        assert values == sorted(values, reverse=True)
        assert page.locator("svg.distribution-chart").count() == 1 and page.locator("svg.quartile-chart").count() == 1
        page.screenshot(path=str(shots / "site-indicator-en.png"), full_page=True)
        for name, path in (("city-pl", releases.site / "pl" / "cities" / "0001.html"),
                           ("changes-pl", releases.site / "pl" / "changes.html")):
            page.goto(path.resolve().as_uri(), wait_until="load")
            page.screenshot(path=str(shots / f"site-{name}.png"), full_page=True)
    finally:
        context.close()
    assert outside == []
