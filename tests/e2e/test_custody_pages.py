"""The custody pages in a real browser: they fit a 1366×768 desktop and a tablet without sideways
scrolling, their text is readable (contrast), the registration form shows only the chosen
category's fields, and the transfer builder ticks items by scanning, keyboard only.

The data is made through the JSON API (the same services) so each test sets up in a moment.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from ..web.ui import zh
from .conftest import contrast_failures, focus_ring, login, logout, screenshot
from .journeys import Api, a_case_with_stored_items

pytestmark = pytest.mark.browser


SIZES = (("desktop", 1366, 768), ("tablet", 820, 1180))


def assert_fits_and_reads(page: Page, what: str) -> None:
    """At a desktop and a tablet width (the same page, resized): no sideways scrolling, readable text."""
    for name, width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"{what} is {overflow}px wider than a {name} screen"
        expect(page.locator("#scan-code")).to_be_visible()
    failures = contrast_failures(page)
    assert not failures, f"{what}: text below 4.5:1 contrast:\n" + "\n".join(failures)
    page.set_viewport_size({"width": SIZES[0][1], "height": SIZES[0][2]})


def test_custody_pages_fit_desktop_and_tablet_and_are_readable(page: Page):
    case, items = a_case_with_stored_items(page)
    officer = Api(page.request, "police_officer")
    procuratorate = next(a["id"] for a in officer("GET", "/api/v1/agencies") if a["code"] == "PDJC")
    transfer = officer(
        "POST",
        "/api/v1/transfers",
        data={
            "case_id": case["id"],
            "to_agency_id": procuratorate,
            "kind": "prosecution",
            "item_ids": [i["id"] for i in items],
        },
    )
    login(page, "police_officer")
    for path in (
        "/",
        f"/cases/{case['id']}",
        f"/cases/{case['id']}/items/new",
        "/items/",
        f"/items/{items[0]['id']}",
    ):
        page.goto(path)
        assert_fits_and_reads(page, path)
    logout(page)
    login(page, "prosecutor")
    page.goto(f"/transfers/{transfer['id']}")
    expect(page.locator("table.lines img")).to_be_visible()
    assert_fits_and_reads(page, "the sign-for screen")
    page.set_viewport_size({"width": 820, "height": 1180})
    screenshot(page, "sign-for-tablet")
    logout(page)
    login(page, "police_keeper")
    page.goto("/storage/check-in")
    assert_fits_and_reads(page, "the batch check-in page")


def test_registration_shows_the_chosen_categorys_fields_only(page: Page):
    case, _items = a_case_with_stored_items(page, count=1)
    login(page, "police_officer")
    page.goto(f"/cases/{case['id']}/items/new")
    expect(page.locator("[data-new-list]")).to_be_visible()  # "a new seizure list" is preselected
    page.select_option("#seizure_list_id", index=1)  # an existing list: its holder fields go away
    expect(page.locator("[data-new-list]")).to_be_hidden()
    page.select_option("#category", "vehicle")
    expect(page.locator("#details-vehicle")).to_be_visible()
    expect(page.locator("#details-phone")).to_be_hidden()
    expect(page.locator("#d_phone_imei")).to_be_disabled()  # hidden groups are not sent
    page.fill("#name", "白色小型轿车")
    page.fill("#unit", "辆")
    page.fill("#d_vehicle_plate", "沪X12345")
    page.fill("#d_vehicle_vin", "LSVAB4BR0EN123456")  # an I/O/Q-free 17-character VIN
    with page.expect_navigation():
        page.locator("#submit").click()
    expect(page.locator("h1")).to_contain_text("白色小型轿车")
    expect(page.locator("main")).to_contain_text("沪X12345")

    # A wrong VIN: the error is next to the field, in Chinese, and the typed values are kept.
    page.goto(f"/cases/{case['id']}/items/new")
    page.select_option("#holder_signature", "signed")
    page.fill("#name", "黑色轿车")
    page.fill("#unit", "辆")
    page.select_option("#category", "vehicle")
    page.fill("#d_vehicle_vin", "NOT-A-VIN")
    with page.expect_navigation():
        page.locator("#submit").click()
    expect(page.locator("#d_vehicle_vin")).to_have_value("NOT-A-VIN")
    expect(page.locator("#d_vehicle_vin")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#details-vehicle .errors")).to_contain_text(
        zh("A VIN is 17 letters and digits (no I, O or Q).")
    )
    expect(page.locator("#name")).to_have_value("黑色轿车")
    screenshot(page, "register-item-error")


def test_transfer_builder_ticks_scanned_items_keyboard_only(page: Page):
    case, items = a_case_with_stored_items(page, count=3)
    login(page, "police_officer")
    page.goto(
        f"/transfers/new?case_id={case['id']}&item_ids={items[0]['id']}"
    )  # from an item page: one ticked
    boxes = page.locator("input[name=item_ids]")
    expect(boxes.nth(0)).to_be_checked()
    expect(boxes.nth(1)).not_to_be_checked()
    page.keyboard.press("F2")
    page.keyboard.type(items[2]["label_code"])
    page.keyboard.press("Enter")
    expect(boxes.nth(2)).to_be_checked()
    expect(page.locator("[data-picked-count]")).to_have_text("2")
    page.keyboard.type("PDGA-1999-000001")  # not in this case: refused, left in the box
    page.keyboard.press("Enter")
    expect(page.locator("#scan-code")).to_have_value("PDGA-1999-000001")
    expect(page.locator("[data-pick-status]")).to_contain_text("PDGA-1999-000001")
    page.locator("#submit").focus()
    ring = focus_ring(page)
    assert ring["outlineStyle"] != "none", ring
    assert ring["outlineWidth"] >= 2, ring
    with page.expect_navigation():
        page.keyboard.press("Enter")
    rows = page.locator("table.lines tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(items[0]["label_code"])
    expect(rows.nth(1)).to_contain_text(items[2]["label_code"])
