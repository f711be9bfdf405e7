"""The dossier in a real browser: headless Chromium from the system packages, driven by Playwright.

It opens without a network (every request that is not file: or data: fails the test), its links
work, print hides the navigation, and screenshots of the summary and of one indicator, in English
and Polish, are saved to $DOSSIER_SCREENSHOTS (default: the test's temporary folder) for a person
to look at."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipeline.dossier import CHROMIUM_ARGS, render_dossier
from pipeline.store import connect

CHROMIUM = shutil.which(os.environ.get("ISO37120_CHROMIUM", "")) or shutil.which("/usr/bin/chromium") or shutil.which("chromium")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed: apt-get install -y --no-install-recommends chromium")


@pytest.fixture(scope="module")
def pages(tiny_city, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dossier-browser")
    con = connect(tiny_city.store, read_only=True)
    try:
        render_dossier(con, tiny_city.catalogue, out, ["en", "pl"], pdf=False)
    finally:
        con.close()
    return out


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (requirements.lock has it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS[1:]))  # Playwright adds --headless
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("DOSSIER_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_offline(browser, html: Path):
    """A page on the dossier in which anything asked of a network fails (and is recorded)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, offline=True)
    page = context.new_page()
    outside: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("request", lambda req: None if req.url.startswith(("file:", "data:")) else outside.append(req.url))
    page.goto(html.resolve().as_uri(), wait_until="load")
    return context, page, outside


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_dossier_in_a_browser(browser, pages, shots, lang):
    context, page, outside = open_offline(browser, pages / f"dossier-0001-{lang}.html")
    try:
        assert page.locator("h1").inner_text() == ("Testville" if lang == "en" else "Testowo")
        assert page.locator("script").count() == 0 and page.locator("script[src]").count() == 0
        assert page.locator("link[rel=stylesheet], img, iframe, object, embed").count() == 0
        assert page.locator("svg.coverage-chart").count() == 1 and page.locator("svg.trend-chart").count() >= 4
        # fonts: only what the system has (no @font-face), and no style sheet other than the inline one
        assert page.evaluate("document.fonts.size") == 0
        assert page.evaluate("Array.from(document.styleSheets).every(s => s.href === null)")
        # every in-page link has its target
        missing = page.evaluate("""Array.from(document.querySelectorAll('a[href^="#"]'))
                                     .map(a => a.getAttribute('href').slice(1))
                                     .filter(id => !document.getElementById(id))""")
        assert missing == []
        page.screenshot(path=str(shots / f"dossier-{lang}-summary.png"))

        # from the summary table to an indicator, and from the indicator to its source in the inventory
        page.locator('#indicators a[href="#ind-test-ed-5-1"]').click()
        assert page.evaluate("location.hash") == "#ind-test-ed-5-1"
        article = page.locator("#ind-test-ed-5-1")
        assert article.is_visible()
        assert abs(article.bounding_box()["y"]) < 40  # scrolled to it
        value = "10.39" if lang == "en" else "10,39"
        assert article.locator(".headline .value").inner_text().startswith(value)
        assert "Unemployment rate" in article.inner_text() and "Stopa bezrobocia" in article.inner_text()
        assert article.locator("details.sql pre").is_hidden()  # folded
        article.locator("details.sql summary").click()
        assert article.locator("details.sql pre").is_visible() and "calculation_keys" in article.locator("details.sql pre").inner_text()
        article.locator("details.sql summary").click()
        page.screenshot(path=str(shots / f"dossier-{lang}-indicator.png"))

        article.locator('a[href="#src-S1"]').first.click()
        assert page.evaluate("location.hash") == "#src-S1"
        assert page.locator("#src-S1").is_visible() and "Test office" in page.locator("#src-S1").inner_text()
        article_file = page.locator('#ind-test-ed-5-1 a[href^="#file-"]').first
        target = article_file.get_attribute("href")
        article_file.click()
        assert page.locator(target).is_visible() and len(page.locator(f"{target} .hash").inner_text()) == 64

        # print: no navigation, a new page before each theme
        page.emulate_media(media="print")
        assert page.locator("nav.toc").is_hidden()
        assert page.evaluate("getComputedStyle(document.querySelector('section.theme')).breakBefore") == "page"
        page.emulate_media(media="screen")
        assert page.locator("nav.toc").is_visible()
    finally:
        context.close()
    assert outside == [], f"the dossier asked the network for {outside}"
