"""The served dashboard in headless Chromium: it loads, shows results, reacts to a
change, and looks right (a screenshot is saved next to the test's temporary files)."""

from __future__ import annotations

import pytest

from costmodel.dashboard.testing import CHART, CHROMIUM, CHROMIUM_ARGS, IDLE, Server, amount

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs {CHROMIUM} (.ci/run installs it)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with Server(tmp_path_factory.mktemp("streamlit") / "server.log") as running:
        yield running


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=list(CHROMIUM_ARGS))
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 2200})
            tab.goto(server.url, wait_until="domcontentloaded")
            tab.wait_for_selector(IDLE, timeout=60_000)
            tab.wait_for_selector(CHART, timeout=60_000)
            yield tab
        finally:
            browser.close()


def _first_npv(page) -> float:
    """The first metric of the page: the first strategy's expected NPV (the Overview's
    first card, or an editing page's result strip)."""
    return amount(page.locator('[data-testid="stMetricValue"]').first.inner_text())


def _breach_chances(page) -> list[str]:
    """The Overview cards' chances of breaking the budget, as shown."""
    return [m.inner_text().splitlines()[-1] for m in
            page.locator('[data-testid="stMetric"]').filter(
                has_text="Chance of breaking the budget").all()]


def test_a_higher_discount_rate_and_budget_change_the_cards_in_a_real_browser(page, tmp_path):
    before = _first_npv(page)
    assert page.locator(".js-plotly-plot").count() >= 4
    breaches = _breach_chances(page)
    assert len(breaches) == 2 and breaches != ["0 %", "0 %"]  # the example breaks its cap
    page.get_by_role("link", name="Funding and budget").click()
    page.wait_for_selector(IDLE)
    for name, value in (("Discount rate [fraction per year]", "0.3"),
                        ("Cap [USD per fiscal year]", "1000000")):
        field = page.get_by_role("spinbutton", name=name)
        field.fill(value)
        field.press("Enter")
        page.wait_for_selector(IDLE)
    page.get_by_role("button", name="Apply changes").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stMetric\"]')].some("
        "m => m.innerText.includes('vs saved'))", timeout=30_000)
    page.wait_for_selector(IDLE)
    assert _first_npv(page) < before
    assert page.get_by_text("Unsaved edits").count() == 1
    page.get_by_role("link", name="Overview").click()
    page.wait_for_selector(IDLE)
    page.wait_for_selector(CHART)
    assert _first_npv(page) < before  # the card follows the applied change
    assert _breach_chances(page) == ["0 %", "0 %"]  # a cap no year reaches
    page.screenshot(path=str(tmp_path / "overview_after_change.png"))
    assert (tmp_path / "overview_after_change.png").stat().st_size > 10_000
