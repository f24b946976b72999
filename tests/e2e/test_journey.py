"""The whole life of seized property, in a real browser, as the demo users would do it.

police officer opens a case and registers three items (one with a photo) → police keeper scans
them into storage on the batch page (label code + Enter in the scan box) → officer builds a
transfer to the procuratorate → prosecutor signs for it with one line rejected → check-out for an
appraisal, approved, released and returned → prosecutor transfers to the court → judge signs →
judge records the effective judgment (a final disposal needs it) → judge orders confiscation, citing
it → court approver approves → court keeper executes → the auditor opens the item's timeline and
reads every step in Chinese.

The test asserts what the pages show (headings, flashes, table rows, timeline sentences), not only
status codes, and saves screenshots of the key pages under test-artifacts/screenshots/journey-*.
Text is compared with what the compiled catalog says for each msgid (``zh``), so the assertions
hold before and after new translations are merged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Page, expect

from ..web.ui import zh
from .conftest import login, logout, screenshot
from .journeys import photo_png

pytestmark = pytest.mark.browser

CASE_NO = "沪公(浦)立字[2026]7001号"
CASE_TITLE = "张某某电信网络诈骗案"
PROCURATORATE_NO = "浦检刑诉[2026]88号"
COURT_NO = "(2026)沪0115刑初99号"
JUDGMENT = "(2026)沪0115刑初99号刑事判决书"
RECEIPT = "国库缴款书 ZX-2026-0007"
PHONE, LAPTOP, CARD = "黑色苹果手机", "银灰色笔记本电脑", "工商银行借记卡"


def pattern(msgid: str, **known: str) -> re.Pattern[str]:
    """A regex for the Chinese sentence of ``msgid``: the known slots filled, the others any text."""
    template = zh(msgid)
    parts = re.split(r"(%\(\w+\)s)", template)
    regex = ""
    for part in parts:
        slot = re.fullmatch(r"%\((\w+)\)s", part)
        if slot:
            regex += re.escape(known[slot.group(1)]) if slot.group(1) in known else ".+?"
        else:
            regex += re.escape(part)
    return re.compile(regex)


def who(name: str, agency: str) -> str:
    return zh("%(name)s (%(agency)s)", name=name, agency=agency)


def submit(page: Page, selector: str = "main form [type=submit].primary") -> None:
    with page.expect_navigation():
        page.locator(selector).first.click()


def scan_each_item_in_hand(page: Page) -> None:
    """Release, return, execution: scan each item's label into the scan box; its card is ticked."""
    for code in page.locator(".confirm-card").evaluate_all("cards => cards.map(card => card.dataset.code)"):
        page.locator("#scan-code").fill(code)
        page.locator("#scan-code").press("Enter")
        expect(page.locator(f".confirm-card[data-code='{code}'] input[type=checkbox]")).to_be_checked()


def flash(page: Page) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


@dataclass
class Journey:
    labels: dict[str, str] = field(default_factory=dict)  # item name → label code
    case_url: str = ""
    shots: bool = True

    def shot(self, page: Page, name: str) -> None:
        if self.shots:
            screenshot(page, f"journey-{name}")


# -- the steps (also used by scripts/ that take the README screenshots) -------------------------


def officer_opens_case_and_registers(page: Page, j: Journey) -> None:
    login(page, "police_officer")
    page.locator(".actions.quick").get_by_role("link", name=zh("Open a case")).click()
    page.fill("#police_case_no", CASE_NO)
    page.fill("#title", CASE_TITLE)
    page.fill("#summary", "被告人张某某冒充客服实施诈骗")
    submit(page)
    expect(page.locator("h1")).to_contain_text(CASE_TITLE)
    expect(page.locator(".flash-success")).to_contain_text(CASE_NO)
    j.case_url = page.url

    page.get_by_role("link", name=zh("Register an item")).first.click()
    page.fill("#seized_place", "浦东新区张江路 100 号")
    page.fill("#holder_name", "张某某")
    page.select_option("#holder_signature", "signed")  # asked, never assumed (issue 18)
    page.fill("#witness", "物业 刘某")
    page.fill("#name", PHONE)
    page.select_option("#category", "phone")
    expect(page.locator("#details-phone")).to_be_visible()  # the phone's own fields, and only those
    expect(page.locator("#details-vehicle")).to_be_hidden()
    page.fill("#unit", "部")
    page.fill("#d_phone_imei", "490154203237518")
    page.fill("#d_phone_brand_model", "iPhone 15 Pro")
    page.fill("#features", "屏幕右上角有裂痕，黑色手机壳")
    page.fill("#estimated_value", "6999")
    page.set_input_files(
        "#photo", files=[{"name": "phone.png", "mimeType": "image/png", "buffer": photo_png()}]
    )
    submit(page, "#submit_another")
    expect(page.locator(".flash-success")).to_contain_text(PHONE)

    # The next item goes on the same seizure list (preselected), then one more.
    page.fill("#name", LAPTOP)
    page.select_option("#category", "electronics")
    page.fill("#unit", "台")
    page.fill("#d_electronics_serial_no", "C02XK1ABJGH5")
    page.fill("#estimated_value", "8500")
    submit(page, "#submit_another")
    page.fill("#name", CARD)
    page.select_option("#category", "documents")
    page.fill("#unit", "张")
    submit(page, "#submit")
    expect(page.locator("h1")).to_contain_text(CARD)

    page.goto(j.case_url)
    rows = page.locator("section[aria-labelledby=case-items] tbody tr")
    expect(rows).to_have_count(3)
    for row in rows.all():
        code = row.locator("a.code").inner_text().strip()
        name = row.locator("td").nth(2).inner_text().strip()
        j.labels[name] = code
        expect(row).to_contain_text(zh("Awaiting check-in"))
    assert set(j.labels) == {PHONE, LAPTOP, CARD}
    expect(page.locator("section[aria-labelledby=case-lists] tbody tr")).to_have_count(1)  # one seizure list
    j.shot(page, "01-case")

    page.goto(
        page.locator("section[aria-labelledby=case-items] a.code", has_text=j.labels[PHONE]).get_attribute(
            "href"
        )
    )
    thumb = page.locator("#photos img")
    thumb.scroll_into_view_if_needed()  # (loaded lazily)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    expect(page.locator(".qr-box svg")).to_be_visible()
    logout(page)


def keeper_scans_items_into_storage(page: Page, j: Journey) -> None:
    login(page, "police_keeper")
    queue = page.locator("#queue-awaiting")
    for code in j.labels.values():
        expect(queue).to_contain_text(code)
    queue.get_by_role("link", name=zh("Open batch check-in")).click()
    expect(page.locator("h1")).to_have_text(zh("Batch check-in"))
    bin_value = page.locator(
        "#location_id option", has_text="一号库房（一般物品） › A架 › 01格"
    ).get_attribute("value")
    page.select_option("#location_id", bin_value)
    page.fill("#condition", "封装完好，与清单一致")

    box = page.locator("#scan-code")
    batch = page.locator("#batch")
    page.keyboard.press("F2")
    expect(box).to_be_focused()
    for name, code in j.labels.items():  # a USB scanner types the code and Enter
        page.keyboard.type(code.lower())
        page.keyboard.press("Enter")
        expect(box).to_have_value("")
        expect(batch.locator(f"li[data-code='{code}']")).to_contain_text(name)
    page.keyboard.type("PDGA-2099-999999")  # a label that does not exist
    page.keyboard.press("Enter")
    unknown = batch.locator("li[data-code='PDGA-2099-999999']")
    expect(unknown).to_have_class(re.compile("has-problem"))
    page.keyboard.type(j.labels[PHONE])  # scanned twice: flagged, not added again
    page.keyboard.press("Enter")
    expect(page.locator("[data-batch-status]")).to_contain_text(j.labels[PHONE])
    expect(batch.locator("li")).to_have_count(4)
    unknown.locator("[data-remove]").click()
    expect(batch.locator("li")).to_have_count(3)
    expect(page.locator("[data-batch-count]")).to_have_text("3")
    j.shot(page, "02-batch-check-in")
    submit(page, "#submit")
    expect(page.locator(".flash-success")).to_contain_text("01格")
    expect(page.locator("#batch li")).to_have_count(0)  # ready for the next batch, same location
    expect(page.locator("#location_id")).to_have_value(bin_value)
    page.goto("/")
    for code in j.labels.values():  # (other tests share the server: only ours are known to be gone)
        expect(page.locator("#queue-awaiting")).not_to_contain_text(code)
    logout(page)


def officer_builds_transfer(page: Page, j: Journey) -> None:
    login(page, "police_officer")
    page.goto(j.case_url)
    page.get_by_role("link", name=zh("Build a transfer")).click()
    expect(page.locator("#kind")).to_have_value("prosecution")
    expect(page.locator("#to_agency_id option:checked")).to_contain_text("浦东新区人民检察院")
    for code in j.labels.values():
        expect(page.locator(f"tr[data-code='{code}'] input[name=item_ids]")).to_be_checked()
    phone_id = page.locator(f"tr[data-code='{j.labels[PHONE]}'] input[name=item_ids]").get_attribute("value")
    page.select_option(f"#disposition-{phone_id}", "confiscate")
    page.fill("#note", "随案移送审查起诉，财物原地保管")
    j.shot(page, "03-transfer-builder")
    submit(page, "#submit")
    expect(page.locator("h1")).to_contain_text(zh("Awaiting decision"))
    expect(page.locator("table.lines tbody tr")).to_have_count(3)
    logout(page)


def prosecutor_signs_rejecting_one_line(page: Page, j: Journey) -> None:
    login(page, "prosecutor")
    incoming = page.locator("#queue-incoming")
    expect(incoming).to_contain_text(CASE_TITLE)
    incoming.locator("tbody tr", has_text=CASE_TITLE).locator("a").first.click()
    expect(page.locator("#sign-title")).to_have_text(zh("Sign for the items"))
    lines = page.locator("table.lines tbody tr")
    expect(lines).to_have_count(3)
    phone_line = page.locator(f"tr[data-code='{j.labels[PHONE]}']")
    expect(phone_line.locator("img")).to_be_visible()  # the photo to compare with
    expect(phone_line).to_contain_text("01格")  # where it is stored
    expect(page.locator("table.lines input[type=radio]:checked")).to_have_count(0)  # undecided
    for code in lines.evaluate_all("rows => rows.map(row => row.dataset.code)"):
        if code != j.labels[CARD]:  # each accepted line checked by scanning its label
            page.locator("#scan-code").fill(code)
            page.locator("#scan-code").press("Enter")
            expect(page.locator(f"tr[data-code='{code}'] input[value=accept]")).to_be_checked()
    card_line = page.locator(f"tr[data-code='{j.labels[CARD]}']")
    card_line.locator("input[value=reject]").check()
    card_line.locator("input[name^=reason]").fill("清单记载为两张，实物仅一张")
    page.fill("#case_no", PROCURATORATE_NO)
    j.shot(page, "04-sign-for")
    submit(page, "#submit")
    expect(page.locator(".flash-success")).to_have_text(
        zh("Signed for %(accepted)s lines, rejected %(rejected)s.", accepted=2, rejected=1)
    )
    expect(card_line).to_contain_text("清单记载为两张，实物仅一张")
    expect(page.locator("h1")).to_contain_text(zh("Partly rejected"))
    logout(page)

    login(page, "police_officer")  # the sender sees the rejected item flagged, with the reason
    flagged = page.locator("#queue-flagged")
    expect(flagged).to_contain_text(j.labels[CARD])
    expect(flagged).to_contain_text("清单记载为两张，实物仅一张")
    logout(page)


def checkout_and_return(page: Page, j: Journey) -> None:
    """Through the lifecycle pages (custody/web/lifecycle.py)."""
    login(page, "prosecutor")
    page.goto(f"/scan?code={j.labels[PHONE]}")
    page.locator(".item-actions").get_by_role("link", name=zh("Request check-out")).click()
    page.select_option("#purpose", "appraisal")
    page.fill("#counterparty_name", "李鉴定")
    page.fill("#counterparty_organisation", "上海某司法鉴定中心")
    submit(page, "#submit")
    expect(page).to_have_url(re.compile(r"/checkouts/\d+$"))
    checkout_url = page.url
    logout(page)

    login(page, "prosecutor_approver")
    expect(page.locator("#queue-approve_checkouts")).to_contain_text("李鉴定")
    page.goto(checkout_url)
    submit(page, "#decide-approve")
    logout(page)

    login(page, "procuratorate_keeper")
    expect(page.locator("#queue-release")).to_contain_text("李鉴定")
    page.goto(checkout_url)
    scan_each_item_in_hand(page)  # each item confirmed in hand by scanning its label
    submit(page, "#release-submit")
    page.goto("/")
    expect(page.locator("#queue-take_back")).to_contain_text("李鉴定")
    page.goto(checkout_url)
    page.fill("#return-condition", "完好，鉴定封条已拆除后重新封装")
    for box in page.locator(".confirm-card input[type=checkbox]").all():
        box.check()  # or ticked by hand
    submit(page, "#return-submit")
    expect(page.locator(".flash-success")).to_be_visible()
    page.goto(f"/scan?code={j.labels[PHONE]}")
    expect(page.locator(".status-line")).to_contain_text(zh("In storage"))
    logout(page)


def prosecutor_sends_to_court(page: Page, j: Journey) -> None:
    login(page, "prosecutor")
    page.goto(j.case_url)
    expect(page.locator("main")).to_contain_text(PROCURATORATE_NO)
    page.get_by_role("link", name=zh("Build a transfer")).click()
    expect(page.locator("#kind")).to_have_value("indictment")
    expect(page.locator(f"tr[data-code='{j.labels[CARD]}']")).to_have_count(0)  # still with the police
    submit(page, "#submit")
    expect(page.locator("table.lines tbody tr")).to_have_count(2)
    logout(page)


def judge_signs(page: Page, j: Journey) -> None:
    login(page, "judge")
    page.locator("#queue-incoming tbody tr", has_text=CASE_TITLE).locator("a").first.click()
    page.fill("#case_no", COURT_NO)
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.locator("[data-accept-all]").click()  # 全部签收: only after confirming
    expect(page.locator("table.lines input[value=accept]:checked")).to_have_count(2)
    assert asked, asked
    assert "2" in asked[0], asked
    submit(page, "#submit")
    expect(page.locator(".flash-success")).to_have_text(
        zh("Signed for %(accepted)s lines, rejected %(rejected)s.", accepted=2, rejected=0)
    )


def judge_records_judgment(page: Page, j: Journey) -> None:
    """Still logged in as the judge. A final disposal carries out the judgment: the proposal page
    says none is recorded yet and links to the case's milestones page, where the judge records it."""
    page.goto(f"/scan?code={j.labels[PHONE]}")
    page.locator(".item-actions").get_by_role("link", name=zh("Propose disposal")).click()
    outcome = page.locator("#case-outcome")
    expect(outcome).to_contain_text(
        zh(
            "No effective judgment or closing decision is recorded on this case yet: early sale, pre-trial "
            "return, and the disposals the law orders before judgment (unrelated, contraband, unclaimed) are "
            "possible now."
        )
    )
    outcome.get_by_role("link", name=zh("Case deadlines and milestones")).click()
    expect(page.locator("h1")).to_have_text(zh("Case deadlines and milestones"))
    page.fill("#judgment-judgment_no", JUDGMENT)  # effective today (the date field's default)
    submit(page, "#judgment-submit")
    expect(page.locator(".flash-success")).to_have_text(zh("Judgment recorded; the case is in execution."))
    expect(page.locator("dl.facts")).to_contain_text(JUDGMENT)


def judge_orders_disposition(page: Page, j: Journey) -> None:
    """Still logged in as the judge, through the lifecycle pages."""
    page.goto(f"/scan?code={j.labels[PHONE]}")
    expect(page.locator(".dimensions")).to_contain_text("浦东新区人民法院")
    page.locator(".item-actions").get_by_role("link", name=zh("Propose disposal")).click()
    expect(page.locator("#case-outcome")).to_contain_text(JUDGMENT)
    expect(page.locator("#legal_basis")).to_have_value(JUDGMENT)  # cited from the recorded judgment
    page.select_option("#kind", "confiscate")
    page.fill("#reason", "判决没收作案工具")
    submit(page, "#submit")
    disposal_url = page.url
    logout(page)

    login(page, "court_approver")
    expect(page.locator("#queue-approve_dispositions")).to_contain_text(JUDGMENT)
    page.locator("#queue-approve_dispositions tbody tr", has_text=JUDGMENT).locator("a").first.click()
    submit(page, "#decide-approve")
    logout(page)

    login(page, "court_keeper")
    expect(page.locator("#queue-execute")).to_contain_text(JUDGMENT)
    page.goto(disposal_url)
    page.fill("#execute-receipt_no", RECEIPT)
    scan_each_item_in_hand(page)
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    submit(page, "#execute-submit")  # 执行处置 cannot be undone: asked first
    assert asked, "the execution was not confirmed"
    expect(page.locator(".flash-success")).to_be_visible()
    page.goto(f"/scan?code={j.labels[PHONE]}")
    expect(page.locator(".status-line")).to_contain_text(zh("Disposed"))
    expect(page.locator(".item-actions")).to_have_count(0)  # a disposed item accepts no further action
    logout(page)


def auditor_reads_the_timeline(page: Page, j: Journey) -> None:
    login(page, "auditor")
    expect(page.locator("main")).to_contain_text(zh("Recent custody activity"))
    page.keyboard.press("F2")
    page.keyboard.type(j.labels[PHONE])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text(PHONE)
    timeline = page.locator("ol.timeline")
    sentences = [s.strip() for s in timeline.locator(".tl-sentence").all_inner_texts()]
    police, procuratorate, court = "浦东公安分局", "浦东新区人民检察院", "浦东新区人民法院"
    expected = [
        pattern(
            "%(who)s registered the item (label %(label)s, seizure list %(list)s); custody: %(holder)s",
            who=who("王建国", police),
            label=j.labels[PHONE],
            holder=police,
        ),
        pattern("%(who)s added a %(kind)s: %(filename)s", who=who("王建国", police), filename="phone.png"),
        pattern(
            "%(who)s received the item into storage at %(location)s, %(hours)s hours after seizure",
            who=who("张丽", police),
        ),
        pattern(
            "%(who)s offered the item to %(to)s in transfer %(no)s (%(kind)s); it awaits their signature",
            who=who("王建国", police),
            to=procuratorate,
        ),
        pattern(
            "%(who)s signed for the item (transfer %(no)s); custody moved from %(from)s to %(to)s",
            who=who("陈静", procuratorate),
            **{"from": police, "to": procuratorate},
        ),
        pattern(
            "%(who)s requested check-out %(no)s for %(purpose)s by %(counterparty)s, due back %(due)s",
            who=who("陈静", procuratorate),
            counterparty="李鉴定",
        ),
        pattern("%(who)s approved check-out %(no)s", who=who("刘明", procuratorate)),
        pattern(
            "%(who)s released the item to %(to)s (check-out %(no)s, %(purpose)s), due back %(due)s",
            who=who("赵敏", procuratorate),
            to="李鉴定",
        ),
        pattern("%(who)s took the item back into storage (check-out %(no)s)", who=who("赵敏", procuratorate)),
        pattern(
            "%(who)s offered the item to %(to)s in transfer %(no)s (%(kind)s); it awaits their signature",
            who=who("陈静", procuratorate),
            to=court,
        ),
        pattern(
            "%(who)s signed for the item (transfer %(no)s); custody moved from %(from)s to %(to)s",
            who=who("周正", court),
            **{"from": procuratorate, "to": court},
        ),
        pattern(
            "%(who)s proposed disposal %(no)s: %(kind)s",
            who=who("周正", court),
            kind=zh("Confiscate to the treasury"),
        ),
        pattern("%(who)s approved disposal %(no)s: %(kind)s", who=who("吴昊", court)),
        pattern(
            "%(who)s executed disposal %(no)s: %(kind)s (receipt %(receipt)s); the item has left custody",
            who=who("郑芳", court),
            receipt=RECEIPT,
        ),
    ]
    assert len(sentences) == len(expected), sentences
    for sentence, regex in zip(sentences, expected, strict=True):
        assert regex.fullmatch(sentence), f"{sentence!r} does not read as {regex.pattern!r}"
    expect(timeline).to_contain_text(JUDGMENT)  # the legal basis, under the proposal
    expect(timeline.locator(".tl-chain .badge-ok")).to_have_count(len(expected))  # the chain, for auditors
    j.shot(page, "05-item-timeline")

    card = j.labels[CARD]  # the rejected card stayed with the police, flagged
    page.goto(f"/scan?code={card}")
    expect(page.locator(".dimensions")).to_contain_text(police)
    expect(page.locator(".flash-error")).to_contain_text("清单记载为两张，实物仅一张")
    logout(page)


JOURNEY = (
    officer_opens_case_and_registers,
    keeper_scans_items_into_storage,
    officer_builds_transfer,
    prosecutor_signs_rejecting_one_line,
    checkout_and_return,
    prosecutor_sends_to_court,
    judge_signs,
    judge_records_judgment,
    judge_orders_disposition,
    auditor_reads_the_timeline,
)


def test_full_journey_from_seizure_to_disposal(page: Page):
    journey = Journey()
    for step in JOURNEY:
        step(page, journey)
