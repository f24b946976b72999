"""A keeper counts a bin in Chromium: the scan box sends each code to the stocktake page
(custody:scan), the server judges it, and the counts update without a page load."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_scanning_into_a_stocktake(page: Page):
    login(page, "procuratorate_keeper")
    page.goto("/oversight/stocktakes")
    value = page.evaluate("""() => [...document.querySelectorAll('#location_id option')]
        .find(o => o.textContent.includes('三号库房') && o.textContent.trim().endsWith('02格')).value""")
    page.select_option("#location_id", value)
    with page.expect_navigation():
        page.locator("main form [type=submit]").first.click()
    expect(page.locator("[data-scan-target]")).to_have_count(1)
    expect(page.locator('[data-count="unexpected"]')).to_have_text("0")

    for code in ("E2E-UNKNOWN-1", "E2E-UNKNOWN-2"):
        page.fill("#scan-code", code)
        page.press("#scan-code", "Enter")
        expect(page.locator("#scan-log li").first).to_contain_text(code)
    expect(page.locator('[data-count="unexpected"]')).to_have_text("2")
    expect(page.locator("#scan-code")).to_have_value("")  # cleared for the next scan, still on this page
    assert "/oversight/stocktakes/" in page.url
    screenshot(page, "stocktake-scanning")

    with page.expect_navigation():
        page.locator("form[action$='/finish'] [type=submit]").click()
    expect(page.locator("main table")).to_contain_text("E2E-UNKNOWN-1")
    expect(page.locator("[data-scan-target]")).to_have_count(0)
