"""The case money's journey in a real browser (issue 13): the police keeper deposits the seized cash
with the bank slip and records the interest; the case goes to the procuratorate and on to the court
(the money follows it by record); the judge records the judgment, the victims and the judgment's
orders to pay them; the plan generated from those orders is approved (with the second factor),
the two victims are paid and the remainder goes to the treasury; the court sees the executed orders
in its inbox; the case's sub-ledger and the restitution list are printed and read back with pypdf.

The case and its cash item are made through the JSON API (the same services); every money step is
done on the pages. The live server is shared, so the test makes its own case.
"""

from __future__ import annotations

import io
import itertools
import re

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from ..web.ui import zh
from .conftest import login, logout, screenshot
from .journeys import Api

pytestmark = pytest.mark.browser
_numbers = itertools.count(1)

TITLE = "钱某某集资诈骗案"
SLIP = "工行存款凭条 0426"
INTEREST = "结息单 2026-Q4"
JUDGMENT = "(2026)沪0115刑初731号刑事判决书"
VICTIMS = (("李某", "310101198001011234", "2000"), ("王某", "310101198502025678", "3000"))
RECEIPTS = ("领款凭证 L-1", "领款凭证 W-2")
TREASURY = "国库缴款书 GK-2026-0731"


def submit(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).first.click()


def pdf_text(page: Page, href: str) -> str:
    answer = page.request.get(href)  # the browser context's session cookie
    assert answer.ok, answer.status
    assert answer.headers["content-type"].startswith("application/pdf"), answer.status
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.body())).pages)
    return re.sub(r"\s+", "", text)  # a table cell wraps long references over lines


def sign_for_all(page: Page, case_no: str) -> None:
    """The receiver opens the incoming transfer from the inbox and signs for every line."""
    page.locator("#queue-incoming tbody tr", has_text=TITLE).locator("a").first.click()
    page.fill("#case_no", case_no)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-accept-all]").click()
    submit(page, "#submit")
    expect(page.locator(".flash-success")).to_be_visible()


def test_cash_from_deposit_to_the_victims_and_the_treasury(page: Page):
    number = next(_numbers)
    officer = Api(page.request, "police_officer")
    case = officer(
        "POST",
        "/api/v1/cases",
        data={"police_case_no": f"沪公(浦)立字[2026]73{number:02d}号", "title": TITLE},
    )
    item = officer(
        "POST",
        f"/api/v1/cases/{case['id']}/items",
        data={
            "name": "人民币现金",
            "category": "cash",
            "quantity": 1,
            "unit": "元",
            "holder_name": "钱某某",
            "details": {"amount_fen": 1_000_000},
        },
    )
    money_url = f"/cases/{case['id']}/money"

    # 1. The police keeper deposits the cash with the bank slip, then records the interest.
    login(page, "police_keeper")
    page.goto(f"/items/{item['id']}")
    page.locator(f"a[href='/items/{item['id']}/deposit']").first.click()
    expect(page.locator("#amount")).to_have_value("10000.00")  # the amount counted at seizure
    page.fill("#slip_no", SLIP)
    page.fill("#bank", "中国工商银行上海浦东分行")
    submit(page, "main form [type=submit]")
    expect(page.locator(".flash-success")).to_have_text(
        zh("Deposit recorded: the cash is in the case-money account.")
    )
    expect(page.locator("#money-total")).to_contain_text("10,000.00")
    page.locator("details.money-actions summary").first.click()
    interest = page.locator(f"form[aria-label='{zh('Interest')}']")
    interest.locator("input[name$='-amount']").fill("12.34")
    interest.locator("input[name$='-reference']").fill(INTEREST)
    submit(page, f"form[aria-label='{zh('Interest')}'] [type=submit]")
    expect(page.locator("#money-total")).to_contain_text("10,012.34")
    sub_ledger = page.locator("#sub-ledger tbody tr")
    expect(sub_ledger).to_have_count(2)
    expect(sub_ledger.first).to_contain_text(INTEREST)
    logout(page)

    # 2. The case goes police → procuratorate → court; the money follows it by record.
    login(page, "police_officer")
    page.goto(f"/cases/{case['id']}")
    page.get_by_role("link", name=zh("Build a transfer")).click()
    submit(page, "#submit")
    logout(page)
    login(page, "prosecutor")
    sign_for_all(page, f"浦检刑诉[2026]73{number:02d}号")
    page.goto(f"/cases/{case['id']}")
    page.get_by_role("link", name=zh("Build a transfer")).click()
    expect(page.locator("#kind")).to_have_value("indictment")
    submit(page, "#submit")
    logout(page)
    login(page, "judge")
    sign_for_all(page, f"(2026)沪0115刑初73{number:02d}号")

    # 3. The judge records the judgment, the victims and the judgment's orders to pay them.
    page.goto(money_url)
    expect(page.locator("section[aria-labelledby=money-balances] tbody tr").first).to_contain_text(
        "浦东新区人民法院"
    )
    transfers = page.locator("#sub-ledger tbody tr", has_text=zh("Transferred with the case"))
    expect(transfers).to_have_count(2)
    page.goto(f"/oversight/cases/{case['id']}")
    page.fill("#judgment-judgment_no", JUDGMENT)
    submit(page, "#judgment-submit")
    expect(page.locator(".flash-success")).to_have_text(zh("Judgment recorded; the case is in execution."))
    page.goto(money_url)
    for name, id_no, _amount in VICTIMS:
        page.fill("#victim-name", name)
        page.fill("#victim-id_no", id_no)
        submit(page, "[name=victim-submit]")
        expect(page.locator(".flash-success")).to_be_visible()
    page.goto(f"/oversight/cases/{case['id']}")
    for name, _id_no, amount in VICTIMS:
        page.select_option("#order-kind", "pay_victim")
        page.fill("#order-amount", amount)
        page.select_option("#order-victim_id", label=name)
        submit(page, "#order-submit")
    orders = page.locator("#order-list tbody tr")
    expect(orders).to_have_count(2)
    expect(orders.first).to_contain_text("李某")

    # 4. The plan is generated from the orders: each victim in full, the remainder to the treasury.
    page.goto(money_url)
    submit(page, "[name=plan-submit]")
    expect(page).to_have_url(re.compile(r"/money/plans/\d+$"))
    plan_url = page.url
    lines = page.locator("#plan-lines-table tbody tr")
    expect(lines).to_have_count(3)
    expect(lines.nth(0)).to_contain_text("李某")
    expect(lines.nth(0)).to_contain_text("2,000.00")
    expect(lines.nth(0)).to_contain_text(zh("Judgment line %(n)s", n=1))  # the order the line pays
    expect(lines.nth(1)).to_contain_text("王某")
    expect(lines.nth(2)).to_contain_text("国库")
    expect(lines.nth(2)).to_contain_text("5,012.34")
    logout(page)

    # 5. Another person approves it, with the second factor (the approver's login).
    login(page, "court_approver")
    page.goto(plan_url)
    submit(page, "[name=decision-approve]")
    expect(page.locator("#plan-status")).to_contain_text(zh("Approved"))
    logout(page)

    # 6. The keeper pays the two victims and remits the remainder to the treasury.
    login(page, "court_keeper")
    page.goto(plan_url)
    for line_no, receipt in ((1, RECEIPTS[0]), (2, RECEIPTS[1]), (3, TREASURY)):
        page.fill(f"#pay-{line_no}-receipt_no", receipt)
        submit(page, f"[name='pay-{line_no}-submit']")
        expect(page.locator(f"#line-{line_no}")).to_contain_text(receipt)
    expect(page.locator("#plan-status")).to_contain_text(zh("Completed"))
    screenshot(page, "money-journey-plan")
    page.goto(money_url)
    expect(page.locator("#money-total")).to_contain_text("0.00")
    printed = pdf_text(page, page.locator("a", has_text=zh("Sub-ledger (PDF)")).first.get_attribute("href"))
    for text in ("涉案款分户账", SLIP, INTEREST, RECEIPTS[0], RECEIPTS[1], TREASURY, "保管员", "监督员"):
        assert re.sub(r"\s+", "", text) in printed, (text, printed)
    logout(page)

    # 7. The court sees the executed orders awaiting their receipts; the restitution list is printed.
    login(page, "judge")
    expect(page.locator("#queue-receipts")).to_contain_text(TITLE)
    logout(page)
    login(page, "court_approver")  # the list names victims: a fresh proof of identity (the login)
    page.goto(plan_url)
    listed = pdf_text(
        page, page.locator("a", has_text=zh("Restitution list (PDF)")).first.get_attribute("href")
    )
    for text in (
        "发还（退赔）清单",
        "李某",
        "王某",
        "国库",
        "5,012.34",
        RECEIPTS[0],
        TREASURY,
        "领款人签名",
    ):
        assert re.sub(r"\s+", "", text) in listed, (text, listed)
    logout(page)
