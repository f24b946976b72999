"""The keeper's working day in a real browser (issue 18): scanner input always lands in the batch,
never in the field the cursor happens to be in; a batch refuses items kept outside the centre line by
line before anything is written.

The data is made through the JSON API (the same services) so each test sets up in a moment; the
live server is shared, so every test makes its own case.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .conftest import login, screenshot
from .journeys import PHONE_390, Api, _numbers, a_case_awaiting_check_in, scan_like_a_scanner

pytestmark = pytest.mark.browser


def test_a_scan_while_the_cursor_is_in_the_condition_field_goes_to_the_batch(page: Page):
    keeper, [bag] = a_case_awaiting_check_in(page)
    login(page, "police_keeper")
    page.goto("/storage/check-in")
    page.select_option(
        "#location_id", label="R1-B-02 · 浦东新区涉案财物管理中心 › 一号库房（一般物品） › B架 › 02格"
    )
    page.click("#condition")
    page.keyboard.type("封装完好")
    scan_like_a_scanner(page, bag["label_code"])
    row = page.locator(f"#batch .batch-row[data-code='{bag['label_code']}']")
    expect(row).to_contain_text("黑色双肩包")
    expect(page.locator("#condition")).to_have_value("封装完好")  # the code is not the condition
    assert page.url.endswith("/storage/check-in")  # Enter did not submit the batch
    page.click("#condition")
    page.keyboard.press("Enter")  # Enter typed in a field never submits the batch either
    expect(page.locator(".flash")).to_have_count(0)
    with page.expect_navigation():
        page.locator("#submit").click()
    expect(page.locator(".flash-success")).to_be_visible()
    stored = keeper("GET", f"/api/v1/items/{bag['id']}")
    assert stored["location"]["state"] == "in_storage"
    assert stored["location"]["condition"] == "封装完好"


def test_a_batch_refuses_a_car_kept_at_the_impound_lot_line_by_line(page: Page):
    keeper, [bag, car] = a_case_awaiting_check_in(page, with_car=True)
    login(page, "police_keeper")
    page.goto("/storage/check-in")
    page.select_option(
        "#location_id", label="R3-A-01 · 浦东新区涉案财物管理中心 › 三号库房（电子产品） › A架 › 01格"
    )
    for code in (bag["label_code"], car["label_code"]):
        page.locator("#scan-code").click()
        scan_like_a_scanner(page, code)
    car_row = page.locator(f"#batch .batch-row[data-code='{car['label_code']}']")
    expect(car_row).to_have_class("batch-row has-problem")  # flagged as it is scanned
    # Submitted anyway (as the old page did, or a keeper typing the codes): refused before anything
    # is written, the car's line saying why.
    page.locator("details.subgroup summary").click()
    page.fill("#codes_text", car["label_code"])
    with page.expect_navigation():
        page.locator("#submit").click()
    refused = page.locator(f"#batch .batch-row[data-code='{car['label_code']}'] .batch-error")
    expect(refused).to_contain_text("外")
    for item in (bag, car):
        assert keeper("GET", f"/api/v1/items/{item['id']}")["location"]["state"] != "in_storage"


def fits_the_phone(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than a 390 px phone"


def test_a_prosecutor_signs_for_a_transfer_by_scanning_on_a_phone(page: Page):
    officer, keeper = Api(page.request, "police_officer"), Api(page.request, "police_keeper")
    case_id = officer(
        "POST",
        "/api/v1/cases",
        data={"police_case_no": f"沪公(浦)立字[2026]9{next(_numbers):03d}号", "title": "钱某某诈骗案"},
    )["id"]
    items = [
        officer(
            "POST",
            f"/api/v1/cases/{case_id}/items",
            data={"name": name, "category": "phone", "quantity": 1, "unit": "部", "details": {"imei": imei}},
        )
        for name, imei in (("黑色手机", "490154203237518"), ("银色手机", "356938035643809"))
    ]
    bin_id = next(loc["id"] for loc in keeper("GET", "/api/v1/locations") if loc["code"] == "R1-B-01")
    keeper(
        "POST",
        "/api/v1/check-ins",
        data={"label_codes": [i["label_code"] for i in items], "location_id": bin_id},
    )
    agencies = {a["code"]: a["id"] for a in officer("GET", "/api/v1/agencies")}
    transfer = officer(
        "POST",
        "/api/v1/transfers",
        data={
            "case_id": case_id,
            "to_agency_id": agencies["PDJC"],
            "kind": "prosecution",
            "item_ids": [i["id"] for i in items],
        },
    )
    page.set_viewport_size(PHONE_390)
    login(page, "prosecutor")
    page.goto(f"/transfers/{transfer['id']}")
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)  # lines start undecided
    fits_the_phone(page)
    page.fill("#case_no", f"浦检刑诉[2026]{transfer['id']}号")

    def scan_line(item: dict[str, Any]) -> None:
        page.locator("#scan-code").click()
        scan_like_a_scanner(page, item["label_code"])
        line = page.locator(f"tr[data-code='{item['label_code']}']")
        expect(line.locator("input[type=radio][value=accept]")).to_be_checked()
        box = line.locator(".decision-cell").bounding_box()
        assert box, "the decision cell is not shown"
        assert box["x"] >= 0, box  # visible: not off the left edge
        assert box["x"] + box["width"] <= PHONE_390["width"], box  # nor off the right one

    scan_line(items[0])
    expect(page.locator("[data-decided-count]")).to_have_text("1")
    fits_the_phone(page)
    screenshot(page, "sign-for-390")
    # Submitting before every line is checked: refused, the page says to check each line.
    with page.expect_navigation():
        page.locator("#submit").click()
    expect(page.locator("#error-summary")).to_contain_text("请逐项核对")
    scan_line(items[1])
    expect(page.locator("[data-decided-count]")).to_have_text(str(len(items)))
    fits_the_phone(page)
    with page.expect_navigation():
        page.locator("#submit").click()
    expect(page.locator(".flash-success")).to_be_visible()
    decided = officer("GET", f"/api/v1/transfers/{transfer['id']}")
    assert {line["decision"] for line in decided["lines"]} == {"accepted"}


def test_a_keeper_scans_the_shelf_then_two_items_on_a_phone_and_prints_the_hand_over_record(page: Page):
    keeper, [bag] = a_case_awaiting_check_in(page)
    _same_keeper, [second] = a_case_awaiting_check_in(page)
    page.set_viewport_size(PHONE_390)
    login(page, "police_keeper")
    page.goto("/storage/check-in")
    page.fill("#handed_over_by", "王建国")
    page.fill("input.select-filter[data-filter-for=location_id]", "三号 a-01")  # the picker filters
    expect(page.locator("#location_id option:checked")).to_contain_text("R3-A-01")
    page.locator("#scan-code").click()
    scan_like_a_scanner(page, "LOC:PDZX:R1-B-02")  # the shelf's label first: the batch goes there
    expect(page.locator("#location_id option:checked")).to_contain_text("R1-B-02")
    status = page.locator("[data-batch-status]")
    expect(status).to_contain_text("R1-B-02")
    for item in (bag, second):
        scan_like_a_scanner(page, item["label_code"])
        expect(page.locator(f"#batch .batch-row[data-code='{item['label_code']}']")).to_contain_text(
            item["name"]
        )
    expect(status).to_have_attribute("data-scan-result", "ok")
    scan_like_a_scanner(page, bag["label_code"])  # again: said and shown, not added twice
    expect(status).to_have_attribute("data-scan-result", "twice")
    expect(status).to_be_visible()
    expect(page.locator("#batch input[name=codes]")).to_have_count(2)
    fits_the_phone(page)
    screenshot(page, "check-in-390")
    with page.expect_navigation():
        page.locator("#submit").click()
    link = page.locator("#receipt-ready a")
    expect(link).to_be_visible()
    for item in (bag, second):
        stored = keeper("GET", f"/api/v1/items/{item['id']}")
        assert stored["location"]["state"] == "in_storage", stored["location"]
    record = page.request.get(link.get_attribute("href") or "")
    assert record.ok
    assert record.body().startswith(b"%PDF-")


def test_the_approver_of_a_cash_confiscation_sees_the_amount(page: Page):
    """A cash item counted at ¥12,350.50 was shown to the approver as "1 元, 估价 —": the amount counted
    (``details.amount_fen``) is what the disposal page shows."""
    officer, keeper = Api(page.request, "police_officer"), Api(page.request, "police_keeper")
    case = officer(
        "POST",
        "/api/v1/cases",
        data={"police_case_no": f"沪公(浦)立字[2026]9{next(_numbers) + 500:03d}号", "title": "孙某某诈骗案"},
    )
    cash = officer(
        "POST",
        f"/api/v1/cases/{case['id']}/items",
        data={
            "name": "人民币现金",
            "category": "cash",
            "quantity": 1,
            "unit": "元",
            "features": "百元券为主",
            "details": {"amount_fen": 1_235_050},
        },
    )
    vault = next(loc["id"] for loc in keeper("GET", "/api/v1/locations") if loc["code"] == "R2-S1-01")
    keeper(
        "POST", f"/api/v1/items/{cash['id']}/check-in", data={"location_id": vault, "condition": "封装完好"}
    )
    decision = f"沪公(浦)撤字[2026]{case['id']}号撤销案件决定书"
    officer("POST", f"/api/v1/cases/{case['id']}/close", data={"legal_basis": decision, "reason": "撤销案件"})
    disposal = officer(
        "POST",
        "/api/v1/dispositions",
        data={"item_ids": [cash["id"]], "kind": "confiscate", "legal_basis": decision},
    )

    login(page, "police_approver")
    page.goto(f"/dispositions/{disposal['id']}")
    main = page.locator("main")
    expect(main).to_contain_text("¥12,350.50")
    expect(main).not_to_contain_text("1 元")
    screenshot(page, "cash-confiscation-approver")
