"""The report in a real browser: Debian's headless Chromium, driven by Playwright, opens the
file from disk as an officer would, and the tests look at what shows, click through a
drill-down, filter, and watch that nothing leaves the page and nothing errs in the console.

Set GOVGATE_SCREENSHOTS=DIR to keep the screenshots (docs/report.md shows them)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import ThreeRuns

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")
if CHROMIUM is None:  # `make test` installs it (Debian's chromium package)
    pytest.skip("no chromium on PATH: apt-get install chromium", allow_module_level=True)

DESKTOP = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        # The system's browser: no browser download from the network, ever.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


class Page:
    """One open report with the console errors and requests the browser saw."""

    def __init__(self, browser: Any, report: Path, viewport: dict[str, int], js: bool = True):
        self.context = browser.new_context(viewport=viewport, java_script_enabled=js)
        self.page = self.context.new_page()
        self.page.set_default_timeout(5000)
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.url = report.resolve().as_uri()
        self.page.goto(self.url)

    def in_viewport(self, selector: str) -> bool:
        box = self.page.locator(selector).first.bounding_box()
        size = self.page.viewport_size
        return bool(box) and 0 <= box["y"] < size["height"] and box["x"] >= 0

    def shot(self, name: str) -> None:
        folder = os.environ.get("GOVGATE_SCREENSHOTS")
        if folder:
            self.page.screenshot(path=str(Path(folder) / name))


@pytest.fixture
def page(browser: Any, three_runs: ThreeRuns) -> Iterator[Page]:
    opened = Page(browser, three_runs.report, DESKTOP)
    yield opened
    opened.context.close()


def test_the_overview_shows_the_state_and_nothing_leaves_the_page(
    page: Page, three_runs: ThreeRuns
) -> None:
    latest = three_runs.latest
    assert page.page.locator("#gate").inner_text() == "FAIL"
    score = latest["readiness"]
    assert page.page.locator("#readiness").inner_text() == f"{score['score']}/{score['of']}"
    assert page.page.locator("#runs tbody tr").count() == 3
    assert page.page.get_by_role("link", name="EU AI Act").first.is_visible()
    assert page.errors == []
    assert page.requests == [page.url]


def test_a_click_on_a_changed_requirement_reaches_its_findings(
    page: Page, three_runs: ThreeRuns
) -> None:
    link = page.page.locator("#changes a").first
    requirement = link.inner_text()
    link.click()
    article = f"article#req-{requirement}"
    assert page.page.evaluate("location.hash") == f"#req-{requirement}"
    assert page.in_viewport(article)
    finding = page.page.locator(f"{article} li.finding-ref a").first
    rule = finding.inner_text()
    finding.click()
    target = page.page.evaluate("location.hash")
    assert target.startswith("#f-") and page.in_viewport(target)
    row = page.page.locator(target)
    assert row.get_attribute("data-status") in ("fail", "error")
    assert rule in row.locator("xpath=ancestor::div[1]").inner_text()
    assert page.errors == []
    assert page.requests == [page.url]


def test_from_a_finding_to_its_evidence_and_back_up_to_the_requirement(page: Page) -> None:
    page.page.get_by_role("link", name="GDPR", exact=True).first.click()
    assert page.page.evaluate("location.hash") == "#fw-GDPR"
    # The first finding of a GDPR requirement that cites evidence.
    refs = page.page.locator('article.req[data-framework="GDPR"] li.finding-ref a')
    finding = next(
        refs.nth(i)
        for i in range(refs.count())
        if page.page.locator(f"{refs.nth(i).get_attribute('href')} td a").count()
    )
    rule = finding.inner_text()
    finding.click()
    target = page.page.evaluate("location.hash")
    assert page.in_viewport(target)
    page.page.locator(f"{target} td a").first.click()
    evidence = page.page.evaluate("location.hash")
    assert evidence.startswith("#ev-") and page.in_viewport(evidence)
    supports = page.page.locator(evidence)
    assert rule in supports.inner_text()
    requirement = supports.locator('a[href^="#req-"]').first
    name = requirement.inner_text()
    requirement.click()
    assert page.in_viewport(f"article#req-{name}")
    page.shot("report-drilldown.png")
    assert page.errors == []
    assert page.requests == [page.url]


def test_the_status_filter_shows_only_unmet_requirements(page: Page, three_runs: ThreeRuns) -> None:
    unmet = sum(1 for r in three_runs.latest["requirements"] if r["status"] == "not_met")
    total = len(three_runs.latest["requirements"])
    page.page.select_option("#f-status", "not_met")
    visible = page.page.locator("article.req:visible")
    assert visible.count() == unmet > 0
    assert {visible.nth(i).get_attribute("data-status") for i in range(unmet)} == {"not_met"}
    assert page.page.locator("#f-count").inner_text() == f"{unmet} of {total} requirements shown"
    page.page.select_option("#f-status", "")
    page.page.select_option("#f-owner", "Privacy Office")
    owned = page.page.locator("article.req:visible")
    assert owned.count() > 0
    for i in range(owned.count()):
        assert "(owner: Privacy Office)" in owned.nth(i).inner_text()
    page.page.select_option("#f-owner", "")
    page.page.select_option("#f-since", "2")
    changed = page.page.locator("article.req:visible")
    assert changed.count() == page.page.locator("#changes tbody tr").count()
    assert page.errors == []


def test_without_javascript_the_content_is_all_there(browser: Any, three_runs: ThreeRuns) -> None:
    plain = Page(browser, three_runs.report, DESKTOP, js=False)
    try:
        total = len(three_runs.latest["requirements"])
        assert plain.page.locator("article.req:visible").count() == total
        assert not plain.page.locator("#filters").is_visible()  # no dead controls
        plain.page.locator("#changes a").first.click()
        assert plain.in_viewport(f"article{plain.page.evaluate('location.hash')}")
    finally:
        plain.context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["desktop", "narrow"])
def test_the_overview_fits_its_viewport_without_overlaps(
    browser: Any, three_runs: ThreeRuns, viewport: dict[str, int]
) -> None:
    opened = Page(browser, three_runs.report, viewport)
    try:
        page = opened.page
        width = page.evaluate("document.documentElement.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        boxes = [page.locator(".card").nth(i).bounding_box() for i in range(3)]
        for box in boxes:
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert a and b
                apart = (
                    a["x"] + a["width"] <= b["x"]
                    or b["x"] + b["width"] <= a["x"]
                    or a["y"] + a["height"] <= b["y"]
                    or b["y"] + b["height"] <= a["y"]
                )
                assert apart, "two overview cards overlap"
        heading = page.locator("h1").bounding_box()
        assert heading and heading["x"] + heading["width"] <= width
        opened.shot(f"report-{'narrow' if viewport is NARROW else 'desktop'}.png")
    finally:
        opened.context.close()
