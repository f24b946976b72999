"""Batch move in a real browser (issue 18): scan the shelf's label, then the items put there."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import login
from .journeys import Api, a_case_with_stored_items, scan_like_a_scanner

pytestmark = pytest.mark.browser


def test_a_keeper_scans_a_shelf_then_the_items_and_moves_them_there(page: Page):
    _case, items = a_case_with_stored_items(page, 2)  # in R1-B-02
    login(page, "police_keeper")
    page.goto("/storage/move")
    page.locator("#scan-code").click()
    scan_like_a_scanner(page, "LOC:PDZX:R3-A-01")
    expect(page.locator("#location_id option:checked")).to_contain_text("R3-A-01")
    for item in items:
        scan_like_a_scanner(page, item["label_code"])
        expect(page.locator(f"#batch .batch-row[data-code='{item['label_code']}']")).to_contain_text(
            item["name"]
        )
    expect(page.locator("[data-batch-status]")).to_have_attribute("data-scan-result", "ok")
    with page.expect_navigation():
        page.locator("#submit").click()
    expect(page.locator(".flash-success")).to_be_visible()
    keeper = Api(page.request, "police_keeper")
    for item in items:
        assert keeper("GET", f"/api/v1/items/{item['id']}")["location"]["storage"]["code"] == "R3-A-01"
