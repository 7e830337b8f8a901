"""The static site in a real browser: Debian's chromium, driven by playwright.

The real data are built and the site written once for the module; one browser and one page
open each kind of page from disk (file://) and check what a reader sees: no console error, no
failed request and none that leaves file://, charts that draw their marks, no sideways
scrolling at phone width, and the skip link as the first stop of the Tab key. No browser is
ever downloaded: playwright drives the system's chromium (``apt-get install chromium``).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).is_file():
    pytest.skip(
        "no system chromium (install Debian's: apt-get install chromium)", allow_module_level=True
    )

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
# Schemes a page may load from: its own files, inline data, and nothing else.
LOCAL = ("file:", "data:", "about:", "blob:")


@pytest.fixture(scope="module")
def site(real_site: Path) -> Path:
    return real_site


def _first(site: Path, folder: str, preferred: str) -> str:
    """``folder/preferred`` when the site has it, else the folder's first page by name."""
    if (site / folder / preferred).is_file():
        return f"{folder}/{preferred}"
    pages = sorted((site / folder).glob("*.html"))
    assert pages, f"no pages in {folder}/"
    return f"{folder}/{pages[0].name}"


class Browser:
    """One page of one chromium, reused, that records what goes wrong while a page loads."""

    def __init__(self, page: sync_api.Page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("request", self._request)
        # Recorded above, then refused: the test itself never touches the network.
        page.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: route.abort())

    def _console(self, message: sync_api.ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            self.problems.append(f"console {message.type}: {message.text}")

    def _failed(self, request: sync_api.Request) -> None:
        self.problems.append(f"failed request: {request.url} ({request.failure})")

    def _request(self, request: sync_api.Request) -> None:
        if not request.url.startswith(LOCAL):
            self.problems.append(f"request leaves file://: {request.url}")

    def open(self, path: Path) -> None:
        self.problems.clear()
        self.page.set_viewport_size(DESKTOP)
        self.page.goto(path.as_uri(), wait_until="load", timeout=60_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield Browser(chromium.new_page(viewport=DESKTOP))
        finally:
            chromium.close()


PAGES = {
    "index": lambda site: "index.html",
    "timeline": lambda site: "timeline.html",
    "map": lambda site: "map.html",
    "figures": lambda site: "figures.html",
    "place": lambda site: _first(site, "id/place", "lachin-district.html"),
    "event": lambda site: _first(site, "id/event", "army-entry-lachin.html"),
    "report": lambda site: _first(site, "id/source", "000-lachin-report.html"),
    "ontology": lambda site: "ontology/index.html",
}


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_page_loads_cleanly_and_fits_a_phone(
    kind: str, site: Path, browser: Browser, tmp_path: Path
) -> None:
    rel = PAGES[kind](site)
    page = browser.page
    browser.open(site / rel)
    assert browser.problems == [], rel
    assert page.title(), rel
    page.screenshot(path=str(tmp_path / f"{kind}.png"))

    # The first Tab stop is a visible skip link to the page's main content.
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => {
            const e = document.activeElement, r = e.getBoundingClientRect();
            const href = e.getAttribute('href') || '';
            return {tag: e.tagName, text: e.textContent.trim(), href: href,
                    target: href.startsWith('#') && !!document.getElementById(href.slice(1)),
                    visible: r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0};
        }"""
    )
    assert focused["tag"] == "A" and focused["text"].lower().startswith("skip"), (rel, focused)
    assert focused["target"] and focused["visible"], (rel, focused)

    # At phone width nothing makes the page scroll sideways.
    page.set_viewport_size(PHONE)
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    page.screenshot(path=str(tmp_path / f"{kind}-phone.png"))
    assert widths[0] <= widths[1], (rel, widths)
    assert browser.problems == [], rel


def _marks(browser: Browser, chart: str, selector: str) -> int:
    """How many ``selector`` elements of the chart's SVG the browser drew with a size."""
    return browser.page.evaluate(
        """([chart, selector]) => {
            const svg = document.querySelector('svg.' + chart)
                || document.querySelector('main svg');
            if (!svg) return -1;
            return [...svg.querySelectorAll(selector)].filter(e => {
                const r = e.getBoundingClientRect();
                return r.width > 0 && r.height > 0;
            }).length;
        }""",
        [chart, selector],
    )


def test_timeline_draws_its_events(site: Path, browser: Browser) -> None:
    browser.open(site / "timeline.html")
    # One mark per dated event (charts.timeline_svg puts data-event on each), linked to its page.
    assert _marks(browser, "kg-timeline", "[data-event]") >= 10
    assert _marks(browser, "kg-timeline", "a[href]") >= 10
    # Still drawn at phone width: the chart scales, it does not vanish.
    browser.page.set_viewport_size(PHONE)
    assert _marks(browser, "kg-timeline", "a[href]") >= 10


def test_map_draws_its_places(site: Path, browser: Browser) -> None:
    browser.open(site / "map.html")
    # One mark per place with coordinates (charts.map_svg puts data-place on each), linked.
    assert _marks(browser, "kg-map", "[data-place]") >= 10
    assert _marks(browser, "kg-map", "a[href]") >= 10


def test_figures_draw_a_series(site: Path, browser: Browser) -> None:
    browser.open(site / "figures.html")
    charts = browser.page.evaluate(
        """() => [...document.querySelectorAll('main svg[role="img"]')].map(svg => {
            const r = svg.getBoundingClientRect();
            const title = svg.querySelector('title');
            const drawn = [...svg.querySelectorAll('circle, rect, path, polyline, line')]
                .filter(e => { const b = e.getBoundingClientRect();
                               return b.width > 0 || b.height > 0; }).length;
            return {series: svg.classList.contains('kg-series'), drawn: drawn,
                    size: r.width > 0 && r.height > 0, title: !!title};
        })"""
    )
    assert charts, "figures.html has no chart"
    # charts.series_charts marks the chart of a figure series with the class kg-series.
    assert any(c["series"] for c in charts), charts
    assert all(c["size"] and c["title"] and c["drawn"] >= 3 for c in charts), charts


def test_ontology_page_shows_the_class_diagram(site: Path, browser: Browser) -> None:
    browser.open(site / "ontology" / "index.html")
    image = browser.page.evaluate(
        """() => { const img = document.querySelector('img[src="classes.svg"]');
                   return img && {w: img.naturalWidth, h: img.naturalHeight, alt: img.alt}; }"""
    )
    assert image and image["w"] > 300 and image["h"] > 300 and image["alt"], image
    browser.open(site / "ontology" / "classes.svg")
    assert browser.problems == []
    labels = browser.page.evaluate("[...document.querySelectorAll('text')].map(t => t.textContent)")
    assert {"Event", "Place", "Village", "occurredIn"} <= set(labels)
