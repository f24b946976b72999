"""The custody pages through the Flask test client, on every engine: each form calls the same service
as the API, refuses bad input with field errors in Chinese and keeps what was typed, hides other
agencies' cases (404) and sends anonymous users to the login page."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from custody.domain import clock as app_clock
from custody.domain.clock import LOCAL_TZ
from custody.domain.enums import CustodyState, ItemCategory, LineDecision, LocationState, TransferStatus
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.case import Case
from custody.models.item import Attachment, Item
from custody.models.transfer import Transfer

from ..factories import agency, location, open_case, register, send_to_procuratorate, stored_items
from ..helpers import events, fresh, row_counts
from .ui import client_for, pdf_text, png, post, text, token, zh

IMEI = "490154203237518"


def item_by_name(name: str) -> Item:
    fresh()
    return db.session.scalar(select(Item).where(Item.name == name))


# -- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/cases/",
        "/cases/new",
        "/cases/1",
        "/items/",
        "/items/1",
        "/transfers/",
        "/transfers/new?case_id=1",
        "/storage/check-in",
        "/scan?code=PDGA-2026-000001",
        "/items/labels.pdf?item_ids=1",
        "/cases/1/seizure-lists/1.pdf",
    ],
)
def test_anonymous_users_are_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_another_agencys_case_and_item_are_a_404_page(app):
    case, [item] = stored_items(1)
    judge = client_for(app, "judge")
    for path in (
        f"/cases/{case.id}",
        f"/items/{item.id}",
        f"/cases/{case.id}/items/new",
        f"/cases/{case.id}/seizure-lists/{item.seizure_list_id}.pdf",
        f"/scan?code={item.label_code}",
    ):
        response = judge.get(path)
        assert response.status_code == 404, path
        assert "text/html" in response.content_type
        assert item.name not in response.get_data(as_text=True)
    assert "记录不存在，或本单位无权查看" in text(judge.get(f"/items/{item.id}"))


def test_a_role_without_the_permission_gets_a_403_page(app):
    keeper = client_for(app, "police_keeper")
    response = keeper.get("/cases/new")
    assert response.status_code == 403
    assert "无权操作" in text(response)
    officer = client_for(app, "police_officer")
    assert officer.get("/storage/check-in").status_code == 403


def test_forms_without_the_csrf_token_are_refused(app):
    officer = client_for(app, "police_officer")
    before = row_counts(Case)
    response = officer.post("/cases/new", data={"police_case_no": "X-1", "title": "无令牌"})
    assert response.status_code == 400
    assert "表单已失效" in text(response)
    assert row_counts(Case) == before


# -- open a case, register items ----------------------------------------------------------------


def test_officer_opens_a_case_and_registers_an_item_with_a_photo(app):
    officer = client_for(app, "police_officer")
    response = post(
        officer,
        "/cases/new",
        {
            "police_case_no": "沪公(浦)立字[2026]9001号",
            "title": "李某盗窃案",
            "filed_on": "",
            "summary": "夜间入室盗窃",
        },
    )
    assert response.status_code == 302
    case = db.session.scalar(select(Case).where(Case.police_case_no == "沪公(浦)立字[2026]9001号"))
    page = text(officer.get(response.location))
    assert "李某盗窃案" in page
    assert "沪公(浦)立字[2026]9001号" in page
    assert "浦东公安分局" in page

    form_page = f"/cases/{case.id}/items/new"
    response = post(
        officer,
        form_page,
        {
            "seizure_list_id": "0",
            "seized_place": "浦东新区某小区",
            "holder_name": "李某",
            "holder_signature": "signed",
            "name": "黑色苹果手机",
            "category": "phone",
            "quantity": "1",
            "unit": "部",
            "measure": "seized",
            "d_phone_imei": IMEI,
            "d_phone_brand_model": "iPhone 15",
            "estimated_value": "5999.50",
            "features": "屏幕有裂痕",
            "photo": (io.BytesIO(png()), "phone.png", "image/png"),
            "external_kind": "",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, text(response)[:2000]
    item = item_by_name("黑色苹果手机")
    assert item.details == {"imei": IMEI, "brand_model": "iPhone 15"}
    assert item.estimated_value_fen == 599950
    assert item.location_state is LocationState.AWAITING_CHECK_IN
    assert item.seizure_list.holder_name == "李某"
    [photo] = item.attachments
    page = officer.get(f"/items/{item.id}").get_data(as_text=True)
    assert item.label_code in page
    assert "iPhone 15" in page
    assert "¥5,999.50" in page
    assert f"/items/attachments/{photo.id}?thumb=1" in page
    assert "<svg" in page  # the label's QR code on screen

    thumb = officer.get(f"/items/attachments/{photo.id}?thumb=1")
    assert thumb.status_code == 200
    assert thumb.mimetype == "image/png"
    assert thumb.headers["X-Content-SHA256"] == photo.sha256
    original = officer.get(f"/items/attachments/{photo.id}")
    assert original.headers["Content-Disposition"] == "inline"
    assert original.headers["Cache-Control"] == "no-store"
    assert (
        officer.get(
            f"/items/attachments/{photo.id}", headers={"If-None-Match": original.headers["ETag"]}
        ).status_code
        == 304
    )
    assert app.test_client().get(f"/items/attachments/{photo.id}").status_code == 302  # anonymous: log in
    assert client_for(app, "judge").get(f"/items/attachments/{photo.id}").status_code == 404


def test_registration_errors_are_in_chinese_and_keep_what_was_typed(app):
    case = open_case()
    officer = client_for(app, "police_officer")
    before = row_counts(Item)
    response = post(
        officer,
        f"/cases/{case.id}/items/new",
        {
            "seizure_list_id": "0",
            "holder_signature": "absent",
            "name": "白色华为手机",
            "category": "phone",
            "quantity": "2",
            "unit": "部",
            "measure": "seized",
            "d_phone_imei": "12345678901234",  # 14 digits
            "d_phone_brand_model": "Mate 60",
            "estimated_value": "",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "IMEI 为 15 位数字" in text(page)  # the domain's rule, translated, on the IMEI field
    assert 'value="白色华为手机"' in page
    assert 'value="Mate 60"' in page
    assert 'value="12345678901234"' in page
    assert re.search(r'<option selected value="phone">|<option value="phone" selected>', page)
    assert row_counts(Item) == before

    # With the IMEI right, the seizure list's own rule speaks: the holder did not sign, say why.
    response = post(
        officer,
        f"/cases/{case.id}/items/new",
        {
            "seizure_list_id": "0",
            "holder_signature": "absent",
            "name": "白色华为手机",
            "category": "phone",
            "quantity": "2",
            "unit": "部",
            "measure": "seized",
            "d_phone_imei": IMEI,
        },
    )
    assert response.status_code == 422
    assert "请注明持有人未签名的原因" in text(response)
    assert row_counts(Item) == before

    # A required field left empty: WTForms' own message, in Chinese too.
    response = post(
        officer,
        f"/cases/{case.id}/items/new",
        {
            "seizure_list_id": "0",
            "name": "",
            "category": "goods",
            "quantity": "1",
            "unit": "件",
            "measure": "seized",
            "holder_signature": "signed",
        },
    )
    assert response.status_code == 422
    assert "该字段是必填字段" in text(response)


def test_register_and_add_another_keeps_the_seizure_list(app):
    case = open_case()
    officer = client_for(app, "police_officer")
    data = {
        "seizure_list_id": "0",
        "holder_signature": "signed",
        "holder_name": "王某",
        "category": "goods",
        "quantity": "1",
        "unit": "件",
        "measure": "seized",
        "submit_another": "y",
    }
    first = post(officer, f"/cases/{case.id}/items/new", {**data, "name": "铁锤"})
    assert first.status_code == 302
    assert "seizure_list_id=" in first.location
    list_id = item_by_name("铁锤").seizure_list_id
    assert f'<option selected value="{list_id}">' in officer.get(first.location).get_data(as_text=True)
    second = post(
        officer, f"/cases/{case.id}/items/new", {**data, "name": "撬棍", "seizure_list_id": str(list_id)}
    )
    assert second.status_code == 302
    assert item_by_name("撬棍").seizure_list_id == list_id


def test_bulk_import_reports_each_bad_row_in_chinese_and_registers_nothing(app):
    case = open_case()
    officer = client_for(app, "police_officer")
    header = "名称,类别,数量,单位,IMEI,估价（元）\n"
    bad = header + f"手机甲,手机,1,部,{IMEI},100\n手机乙,手机,0,部,123,abc\n"
    before = row_counts(Item)
    response = post(
        officer,
        f"/cases/{case.id}/import",
        {"file": (io.BytesIO(bad.encode("utf-8-sig")), "list.csv"), "seizure_list_id": "0"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = text(response)
    assert "共 2 行中有 1 行有错误，未登记任何财物" in page
    assert "不是以元为单位的金额" in page  # row 3, the value column
    assert row_counts(Item) == before

    good = header + f"手机甲,手机,1,部,{IMEI},100\n手机乙,手机,1,部,,200\n"
    response = post(
        officer,
        f"/cases/{case.id}/import",
        {
            "file": (io.BytesIO(good.encode("utf-8-sig")), "list.csv"),
            "seizure_list_id": "0",
            "holder_name": "赵某",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert item_by_name("手机乙").seizure_list.holder_name == "赵某"
    page = officer.get(f"/cases/{case.id}/import").get_data(as_text=True)
    assert "/api/v1/import-template?format=xlsx" in page
    assert "/api/v1/import-template?format=csv" in page


# -- storage -----------------------------------------------------------------------------------


def test_keeper_checks_in_a_scanned_batch_all_or_nothing(app):
    case = open_case()
    phone, bag = register(case, "苹果手机"), register(case, "帆布包", ItemCategory.GOODS)
    keeper = client_for(app, "police_keeper")
    bin_ = location("R1-A-02")

    # One unknown code spoils the batch: nothing is checked in, each row says what is wrong.
    response = post(
        keeper,
        "/storage/check-in",
        {"location_id": bin_.id, "codes": [phone.label_code, "PDGA-2099-999999", bag.label_code.lower()]},
    )
    assert response.status_code == 409  # the batch is refused before anything is written
    page = text(response)
    assert "PDGA-2099-999999" in page
    assert "苹果手机" in page
    assert "帆布包" in page
    assert item_by_name("苹果手机").location_state is LocationState.AWAITING_CHECK_IN

    response = post(
        keeper,
        "/storage/check-in",
        {
            "location_id": bin_.id,
            "condition": "封装完好",
            "codes": [phone.label_code],
            "codes_text": bag.label_code,
        },
    )
    assert response.status_code == 302
    for name in ("苹果手机", "帆布包"):
        item = item_by_name(name)
        assert item.location_state is LocationState.IN_STORAGE
        assert item.storage_location_id == bin_.id
        assert item.condition == "封装完好"
    flash = text(keeper.get(response.location))
    assert "01格" in flash or "02格" in flash

    # Checking in again: the service refuses, the batch page says so per item.
    response = post(keeper, "/storage/check-in", {"location_id": bin_.id, "codes": [phone.label_code]})
    assert response.status_code == 409
    assert "只有待入库或在外保管的财物才能入库" in text(response) or "入库" in text(response)


def test_lookup_tells_the_batch_page_what_a_scanned_code_is(app):
    case = open_case()
    item = register(case, "金项链", ItemCategory.VALUABLES)
    keeper = client_for(app, "police_keeper")
    answer = keeper.get(f"/storage/lookup?code={item.label_code.lower()}").get_json()
    assert answer["found"]
    assert answer["ok"]
    assert answer["name"] == "金项链"
    assert answer["hours"] is not None
    assert keeper.get("/storage/lookup?code=NOPE").status_code == 404
    court_keeper = client_for(app, "court_keeper")
    assert court_keeper.get(f"/storage/lookup?code={item.label_code}").status_code == 404


def test_keeper_moves_an_item_and_records_condition_back_dated_with_reason(app, clock):
    _case, [item] = stored_items(1)
    keeper = client_for(app, "police_keeper")
    target = location("R1-B-01")
    response = post(keeper, f"/storage/items/{item.id}/move", {"location_id": target.id})
    assert response.status_code == 302
    assert item_by_name(item.name).storage_location_id == target.id
    clock.advance(timedelta(hours=3))  # the condition is recorded later, and dated back (after the move)

    # Before the seizure: refused. Back-dated without a reason: refused, the reason field marked.
    response = post(
        keeper,
        f"/storage/items/{item.id}/condition",
        {"condition": "外包装破损", "occurred_at": "2020-01-01T10:00"},
    )
    assert response.status_code == 422
    assert "早于上一环节" in text(response)
    an_hour_ago = (app_clock.now() - timedelta(hours=1)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    response = post(
        keeper, f"/storage/items/{item.id}/condition", {"condition": "外包装破损", "occurred_at": an_hour_ago}
    )
    assert response.status_code == 422
    assert "补录时必填" in text(response)
    assert "外包装破损" in response.get_data(as_text=True)
    response = post(  # a full stop is no reason (issue 14)
        keeper,
        f"/storage/items/{item.id}/condition",
        {"condition": "外包装破损", "occurred_at": an_hour_ago, "reason": "."},
    )
    assert response.status_code == 422
    assert "补录时必填" in text(response)
    ok = post(
        keeper,
        f"/storage/items/{item.id}/condition",
        {"condition": "外包装破损", "occurred_at": an_hour_ago, "reason": "当日漏记"},
    )
    assert ok.status_code == 302
    fresh()
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.item_id == item.id, AuditEvent.action == "item.condition")
    )
    assert event.reason == "当日漏记"
    assert (event.recorded_at - event.occurred_at) > timedelta(minutes=50)
    page = text(client_for(app, "auditor").get(f"/items/{item.id}"))
    assert "当日漏记" in page
    assert zh("Back-dated") in page


# -- transfers ---------------------------------------------------------------------------------


def test_transfer_builder_and_sign_for_with_one_line_rejected(app):
    case, stored = stored_items(3)
    officer = client_for(app, "police_officer")
    builder = f"/transfers/new?case_id={case.id}"
    page = officer.get(builder).get_data(as_text=True)
    assert all(item.label_code in page for item in stored)
    response = post(
        officer,
        builder,
        {
            "kind": "prosecution",
            "to_agency_id": agency("PDJC").id,
            "note": "随案移送",
            "item_ids": [i.id for i in stored],
            f"disposition-{stored[0].id}": "confiscate",
            f"mode-{stored[1].id}": "physical",
        },
    )
    assert response.status_code == 302, text(response)[:1500]
    fresh()
    transfer = db.session.scalar(select(Transfer).where(Transfer.case_id == case.id))
    assert [line.mode.value for line in transfer.lines] == ["by_record", "physical", "by_record"]

    prosecutor = client_for(app, "prosecutor")
    screen = f"/transfers/{transfer.id}"
    page = text(prosecutor.get(screen))
    assert all(item.name in page and item.label_code in page for item in stored)
    assert "一号库房" in page  # each line's storage location
    assert transfer.transfer_no in text(prosecutor.get("/"))  # the prosecutor's inbox lists it

    # Rejecting without a reason, and no case number: refused, choices kept, nothing decided.
    decisions = {
        f"decision-{stored[0].id}": "accept",
        f"decision-{stored[1].id}": "reject",
        f"decision-{stored[2].id}": "accept",
    }
    response = post(prosecutor, screen, {**decisions, "case_no": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="reject" checked' in page
    summary = page[
        page.index('id="error-summary"') : page.index('id="sign-for"')
    ]  # at the top, before the form
    assert 'role="alert"' in summary
    assert f'href="#reason-{stored[1].id}"' in summary
    fresh()
    assert all(line.decision is LineDecision.PENDING for line in db.session.get(Transfer, transfer.id).lines)

    response = post(
        prosecutor,
        screen,
        {**decisions, f"reason-{stored[1].id}": "封条破损", "case_no": "浦检刑诉[2026]77号"},
    )
    assert response.status_code == 302, text(response)[:1500]
    fresh()
    done = db.session.get(Transfer, transfer.id)
    assert done.status is TransferStatus.COMPLETED
    assert [line.decision for line in done.lines] == [
        LineDecision.ACCEPTED,
        LineDecision.REJECTED,
        LineDecision.ACCEPTED,
    ]
    assert done.case.procuratorate_case_no == "浦检刑诉[2026]77号"
    rejected = db.session.get(Item, stored[1].id)
    assert rejected.flag_reason == "封条破损"
    assert rejected.custodian_agency_id == agency("PDGA").id
    assert db.session.get(Item, stored[0].id).custodian_agency_id == agency("PDJC").id
    # The sender's inbox shows the rejected item with the reason.
    assert "封条破损" in text(officer.get("/"))


def test_sender_recalls_an_undecided_transfer(app):
    case, stored = stored_items(1)
    transfer = send_to_procuratorate(case, [stored[0].id])
    officer = client_for(app, "police_officer")
    response = post(
        officer,
        f"/transfers/{transfer.id}/recall",
        {"recall-reason": "清单有误"},
        form_page=f"/transfers/{transfer.id}",
    )
    assert response.status_code == 302
    fresh()
    assert db.session.get(Transfer, transfer.id).status is TransferStatus.RECALLED
    assert db.session.get(Item, stored[0].id).custody_state is CustodyState.HELD


# -- inbox, scan, search, timeline -------------------------------------------------------------


def test_each_role_lands_on_its_queue(app):
    case = open_case()
    late = register(
        case,
        "逾期未入库的电脑",
        ItemCategory.ELECTRONICS,
        details={},
        seized_at=app_clock.now() - timedelta(hours=30),
    )
    officer_home = officer_page = client_for(app, "police_officer").get("/").get_data(as_text=True)
    assert late.label_code in officer_home
    assert "30." in text(officer_page)
    assert 'class="late"' in officer_home
    keeper_home = client_for(app, "police_keeper").get("/").get_data(as_text=True)
    assert late.label_code in keeper_home
    assert "/storage/check-in" in keeper_home
    assert late.label_code not in client_for(app, "prosecutor").get("/").get_data(as_text=True)
    auditor_home = text(client_for(app, "auditor").get("/"))
    assert "王建国（浦东公安分局）" in auditor_home or "王建国 (浦东公安分局)" in auditor_home
    admin_home = client_for(app, "admin").get("/").get_data(as_text=True)
    assert "/admin/users" in admin_home
    assert late.label_code not in admin_home


def test_scan_opens_the_item_or_says_clearly_there_is_none(app):
    case = open_case()
    item = register(case)
    officer = client_for(app, "police_officer")
    response = officer.get(f"/scan?code={item.label_code.lower()}")
    assert response.status_code == 302
    assert response.location == f"/items/{item.id}"
    missing = officer.get("/scan?code=PDGA-1999-000000")
    assert missing.status_code == 404
    assert "PDGA-1999-000000" in text(missing)


def test_item_search_filters_and_paginates(app):
    case, stored = stored_items(2)
    extra = register(case, "待入库的箱子", ItemCategory.GOODS)
    officer = client_for(app, "police_officer")
    page = text(officer.get(f"/items/?case_id={case.id}&status=awaiting_check_in"))
    assert extra.name in page
    assert stored[0].name not in page
    page = text(officer.get("/items/?q=涉案物品&sort=name"))
    assert stored[0].name in page
    assert stored[1].name in page
    bad = officer.get("/items/?seized_from=not-a-date")
    assert bad.status_code == 422 and "日期" in text(bad) or bad.status_code == 422


def test_item_search_says_more_than_the_count_limit(app):
    """Past CUSTODY_LIST_COUNT_LIMIT rows (and the page's end) the list says "more than"; the next
    page is offered and counts far enough to know the total."""
    case = open_case()
    for n in range(51):
        register(case, f"箱子{n:02d}", ItemCategory.GOODS)
    officer = client_for(app, "police_officer")
    listed = f"/items/?case_id={case.id}&sort=id"
    assert zh("%(total)s items found", total=51) in text(officer.get(listed))
    app.config["CUSTODY_LIST_COUNT_LIMIT"] = 2  # below a page: counted to the page's end, 50
    page = text(officer.get(listed))
    assert zh("More than %(total)s items found: narrow the search to see how many", total=50) in page
    assert zh("%(first)s–%(last)s of more than %(total)s", first=1, last=50, total=50) in page
    assert "箱子49" in page
    assert "箱子50" not in page
    assert zh("Next page") in page
    assert zh("Page %(page)s", page=1) in page
    second = text(officer.get(listed + "&page=2"))
    assert zh("%(total)s items found", total=51) in second
    assert "箱子50" in second
    assert zh("Page %(page)s of %(pages)s", page=2, pages=2) in second


def test_timeline_reads_as_sentences_and_auditors_see_the_chain(app):
    case, [item] = stored_items(1)
    auditor = client_for(app, "auditor")
    page = text(auditor.get(f"/items/{item.id}"))
    events = list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.item_id == item.id).order_by(AuditEvent.item_seq)
        )
    )
    assert [e.action for e in events] == ["item.register", "item.check_in"]
    who = zh("%(name)s (%(agency)s)", name="张丽", agency="浦东公安分局")
    assert (
        zh(
            "%(who)s received the item into storage at %(location)s",
            who=who,
            location=item.storage_location.path,
        )
        in page
        or who in page
    )
    assert events[1].hash[:12] in page  # the chain is visible to auditors
    officer_page = text(client_for(app, "police_officer").get(f"/items/{item.id}"))
    assert events[1].hash[:12] not in officer_page


# -- printing ----------------------------------------------------------------------------------


def test_printed_documents_carry_the_right_chinese_text(app):
    case, stored = stored_items(2)
    transfer = send_to_procuratorate(case, [i.id for i in stored])
    officer = client_for(app, "police_officer")

    response = officer.get(f"/cases/{case.id}/seizure-lists/{stored[0].seizure_list_id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    content = pdf_text(response.data)
    assert "扣押清单" in content
    assert stored[0].name in content
    assert stored[0].label_code in content
    assert re.sub(r"\s+", "", case.police_case_no) in content
    assert "见证人" in content

    response = officer.get(f"/transfers/{transfer.id}.pdf")
    content = pdf_text(response.data)
    assert "涉案财物移送清单" in content
    assert "移送审查起诉" in content
    assert "浦东新区人民检察院" in content
    assert "移交人" in content
    assert "接收人" in content
    assert all(item.label_code in content for item in stored)

    response = officer.get(f"/items/labels.pdf?item_ids={stored[0].id}&item_ids={stored[1].id}")
    content = pdf_text(response.data)
    assert stored[0].label_code in content
    assert stored[1].label_code in content
    assert officer.get(f"/items/labels.pdf?case_id={case.id}").status_code == 200

    judge = client_for(app, "judge")
    assert judge.get(f"/transfers/{transfer.id}.pdf").status_code == 404
    assert judge.get(f"/items/labels.pdf?item_ids={stored[0].id}").status_code == 422

    # Each printed document is on the security record: who printed what; refusals print nothing.
    printed = [
        (e.actor["username"], e.data["document"], e.object_type, e.object_id, e.case_id)
        for e in events("export")
    ]
    assert printed == [
        ("police_officer", "seizure_list", "seizure_list", str(stored[0].seizure_list_id), None),
        ("police_officer", "transfer_list", "transfer", str(transfer.id), None),
        ("police_officer", "label_sheet", "item", None, None),
        ("police_officer", "label_sheet", "item", None, None),
    ]
    assert events("export")[2].data["item_ids"] == [stored[0].id, stored[1].id]


def test_csrf_token_is_on_every_custody_form(app):
    case, [item] = stored_items(1)
    officer = client_for(app, "police_officer")
    for path in (
        f"/cases/{case.id}/items/new",
        f"/cases/{case.id}/import",
        f"/transfers/new?case_id={case.id}",
        f"/items/{item.id}",
    ):
        assert token(officer, path)
    keeper = client_for(app, "police_keeper")
    for path in ("/storage/check-in", f"/storage/items/{item.id}/move", f"/storage/items/{item.id}/external"):
        assert token(keeper, path)
    assert db.session.scalar(select(Attachment).limit(1)) is None


def test_every_item_event_the_services_write_has_a_timeline_sentence():
    """A new item action must also get its sentence in custody/web/timeline.py (no raw codes)."""
    import re
    from pathlib import Path

    from custody.web.timeline import KNOWN_ACTIONS

    services = Path(__file__).resolve().parents[2] / "custody" / "services"
    written = set()
    for path in services.glob("*.py"):
        written |= set(
            re.findall(r'append_item_event\(\s*session,\s*[^,]+,\s*[^,]+,\s*"([a-z_.]+)"', path.read_text())
        )
    assert written, "no item actions found: the pattern is stale"
    assert written <= KNOWN_ACTIONS, sorted(written - KNOWN_ACTIONS)


def test_odd_query_values_are_ignored_not_500(client, login_as):
    login_as("police_officer")
    for path in [
        "/items/?page=²",
        "/items/?status=+",
        "/items/?category=+",
        "/items/?seized_from=0001-01-01",
        "/cases/?page=²",
        "/transfers/?page=²",
        "/transfers/new?case_id=²",
        "/items/labels.pdf?item_ids=²",
    ]:
        response = client.get(path)
        assert response.status_code < 500, (path, response.status_code)
