"""The keeper's pages and every role's home on a 390 px phone (issue 18): check-in, release and return
show each line as a stacked card with its decision (or tick) visible, and nothing scrolls sideways."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from custody.domain import clock as app_clock

from ..conftest import TEST_PASSWORD
from .conftest import live_otp, login, logout, screenshot
from .journeys import PHONE_390, Api, a_case_awaiting_check_in, a_case_with_stored_items, scan_like_a_scanner

pytestmark = pytest.mark.browser
HOME_USERS = (
    "police_officer",
    "police_approver",
    "police_keeper",
    "prosecutor",
    "judge",
    "court_keeper",
    "auditor",
    "admin",
)


WIDER_THAN_THE_SCREEN = """() => Array.from(document.querySelectorAll("body *"))
  .filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest(".table-wrap"))
  .filter(e => !Array.from(e.children).some(c => c.getBoundingClientRect().right > innerWidth + 1))
  .slice(0, 6)
  .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))"""


def no_sideways_scrolling(page: Page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    if width > PHONE_390["width"]:  # name the widest culprits, innermost first
        culprits = page.evaluate(WIDER_THAN_THE_SCREEN)
        raise AssertionError(f"{page.url} is {width}px wide on a 390 px phone: {culprits}")


def each_card_shows_its_tick(page: Page, selector: str) -> None:
    cards = page.locator(selector)
    assert cards.count() >= 1
    for n in range(cards.count()):
        box = cards.nth(n).locator("input[type=checkbox]").bounding_box()
        assert box, box
        assert box["x"] >= 0, box
        assert box["x"] + box["width"] <= PHONE_390["width"], box


class ApiWithSecondFactor(Api):
    """An approver's token: the approvers' accounts have a second factor."""

    def __init__(self, page: Page, username: str) -> None:
        self.request = page.request
        answer = page.request.post(
            "/api/v1/tokens",
            data={"username": username, "password": TEST_PASSWORD, "otp": live_otp(username)},
        )
        assert answer.ok, answer.text()
        self.headers = {"Authorization": f"Bearer {answer.json()['token']}"}


def approved_checkout(page: Page, items: list[dict[str, Any]]) -> int:
    officer, approver = Api(page.request, "police_officer"), ApiWithSecondFactor(page, "police_approver")
    checkout = officer(
        "POST",
        "/api/v1/checkouts",
        data={
            "item_ids": [item["id"] for item in items],
            "purpose": "appraisal",
            "counterparty": "上海市公安局物证鉴定中心",
            "due_at": (app_clock.now() + timedelta(days=2)).isoformat(),
        },
    )
    approver("POST", f"/api/v1/checkouts/{checkout['id']}/approve", data={})
    return checkout["id"]


def test_the_keepers_pages_and_every_home_fit_a_390_px_phone(page: Page):
    _, [bag] = a_case_awaiting_check_in(page)
    _case, to_release = a_case_with_stored_items(page, 2)
    _case, to_return = a_case_with_stored_items(page, 2)
    release_id = approved_checkout(page, to_release)
    return_id = approved_checkout(page, to_return)
    Api(page.request, "police_keeper")("POST", f"/api/v1/checkouts/{return_id}/release", data={})
    page.set_viewport_size(PHONE_390)

    login(page, "police_keeper")
    no_sideways_scrolling(page)  # the keeper's home
    page.goto("/storage/check-in")
    page.locator("#scan-code").click()
    scan_like_a_scanner(page, "LOC:PDZX:R1-B-02")
    scan_like_a_scanner(page, bag["label_code"])
    row = page.locator(f"#batch .batch-row[data-code='{bag['label_code']}']")
    expect(row).to_contain_text(bag["name"])
    box = row.bounding_box()
    assert box, box
    assert box["x"] + box["width"] <= PHONE_390["width"], box
    no_sideways_scrolling(page)

    page.goto(f"/checkouts/{release_id}")  # release: each item a card, ticked by scanning it
    each_card_shows_its_tick(page, "#release .confirm-card")
    scan_like_a_scanner(page, to_release[0]["label_code"])
    expect(
        page.locator(f"#release .confirm-card[data-code='{to_release[0]['label_code']}'] input")
    ).to_be_checked()
    no_sideways_scrolling(page)
    screenshot(page, "release-390")

    page.goto(f"/checkouts/{return_id}")  # return: the same cards
    each_card_shows_its_tick(page, "#return .confirm-card")
    no_sideways_scrolling(page)
    screenshot(page, "return-390")
    logout(page)

    for username in HOME_USERS:
        login(page, username)
        no_sideways_scrolling(page)
        logout(page)
