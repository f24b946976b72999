"""Lifecycle pages: who may open them, readable 403/404 pages, and the two printed forms.

The flows themselves are walked through the forms in test_lifecycle_checkouts.py,
test_lifecycle_dispositions.py and test_lifecycle_freezes.py; the helpers here are shared.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from custody.domain import clock
from custody.domain import clock as app_clock
from custody.domain.enums import DispositionKind
from custody.domain.lifecycle import Recipient
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.services import checkouts, dispositions

from ..conftest import csrf_token
from ..factories import act, close_case, stored_items
from ..helpers import events, fresh, row_counts
from .builders import (
    JUDGMENT,
    approved_disposition,
    documented_ring,
    released_checkout,
    requested_checkout,
)
from .ui import client_for, flat, get, local_input, pdf_text, submit, text_of

# -- helpers shared by the lifecycle page tests ------------------------------------------------


# -- who may open the pages -------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for url in (
        "/checkouts",
        "/checkouts/new?item_ids=1",
        "/checkouts/1",
        "/checkouts/1/slip.pdf",
        "/dispositions",
        "/dispositions/new",
        "/dispositions/1",
        "/dispositions/1/return-list.pdf",
        "/freezes",
        "/freezes/new/1",
        "/freezes/1",
        "/corrections",
        "/corrections/new/1",
        "/corrections/1",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"], url
    response = client.post("/checkouts/1", data={})
    assert response.status_code in (302, 400)  # no session: login, or the missing CSRF token


def test_another_agencys_records_are_a_readable_404(app):
    case, [item, other] = stored_items(2)
    checkout = requested_checkout([item.id])
    from .builders import freeze_of, frozen_account

    freeze = freeze_of(frozen_account(case))
    close_case(case)
    disposition = approved_disposition([other.id], DispositionKind.CONFISCATE, legal_basis=JUDGMENT)
    from custody.services.corrections import propose_correction

    correction = propose_correction(
        db.session,
        act("police_officer"),
        item_id=item.id,
        field="name",
        new_value="涉案物品一号",
        reason="登记笔误",
    )
    db.session.commit()
    prosecutor = client_for(app, "prosecutor")
    for url in (
        f"/checkouts/{checkout.id}",
        f"/checkouts/{checkout.id}/slip.pdf",
        f"/checkouts/new?item_ids={item.id}",
        f"/dispositions/{disposition.id}",
        f"/dispositions/new?item_ids={item.id}",
        f"/freezes/new/{item.id}",
        f"/corrections/new/{item.id}",
        f"/corrections/{correction.id}",
        f"/freezes/{freeze.id}",
        "/checkouts/999999",
        "/freezes/999999",
        "/dispositions/999999",
        "/corrections/999999",
        "/checkouts/new?item_ids=abc",
    ):
        page = get(prosecutor, url, 404)
        assert "未找到" in page, url
        assert "记录不存在，或本单位无权查看" in page, url
    for url in (
        "/checkouts/99999999999999999999",
        "/freezes/new/2147483648",  # beyond PostgreSQL's INTEGER keys: names no record
        "/items/2147483648",
        "/api/v1/items/2147483648",
        "/dispositions/new?item_ids=" + "9" * 21,
    ):
        assert prosecutor.get(url).status_code == 404, url
    # A POST to someone else's record is the same 404, and nothing happens.
    response = submit(prosecutor, f"/checkouts/{checkout.id}", "decide", "approve")
    assert response.status_code == 404
    # The lists simply do not show them.
    assert checkout.checkout_no not in get(prosecutor, "/checkouts")
    assert disposition.disposition_no not in get(prosecutor, "/dispositions")
    assert "6222021001122334455" not in get(prosecutor, "/freezes")
    assert submit(prosecutor, f"/freezes/{freeze.id}", "release", doc_no="x").status_code == 404


def test_forms_a_role_may_not_use_are_not_shown_and_forged_posts_get_a_403_page(app):
    case, [item] = stored_items(1)
    checkout = requested_checkout([item.id])
    url = f"/checkouts/{checkout.id}"
    keeper = client_for(app, "police_keeper")
    page = get(keeper, url)
    assert "已申请" in page
    assert checkout.checkout_no in page
    assert 'name="decide-approve"' not in page
    assert 'name="release-submit"' not in page
    before = row_counts(AuditEvent)
    response = submit(keeper, url, "decide", "approve")
    assert response.status_code == 403
    page = text_of(response)
    assert response.mimetype == "text/html"
    assert "无权操作" in page
    denied = events("permission.denied")
    assert denied
    assert denied[-1].data["code"] == "policy.approve_checkout"
    assert (
        row_counts(AuditEvent)[AuditEvent.__tablename__] == before[AuditEvent.__tablename__] + 1
    )  # only the denial

    auditor = client_for(app, "auditor")  # sees everything, acts on nothing
    page = get(auditor, url)
    assert checkout.checkout_no in page
    assert '<form method="post"' not in page.split("<main")[1]
    assert submit(auditor, url, "cancel").status_code == 403


# -- printed forms ----------------------------------------------------------------------------


def test_checkout_slip_pdf_has_the_chinese_form(app):
    case, stored = stored_items(2)
    checkout = requested_checkout([i.id for i in stored])
    officer = client_for(app, "police_officer")
    page = get(officer, f"/checkouts/{checkout.id}/slip.pdf", 409)  # not before approval
    assert "状态冲突" in page
    checkouts.decide_checkout(db.session, act("police_approver"), checkout.id, approve=True)
    checkouts.release_checkout(db.session, act("police_keeper"), checkout.id, released_to="钱工")
    db.session.commit()
    response = officer.get(f"/checkouts/{checkout.id}/slip.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for expected in (
        "涉案财物调用出库单",
        checkout.checkout_no,
        "涉案物品1",
        "涉案物品2",
        stored[0].label_code,
        "鉴定",
        "钱工",
        "市公安局物证鉴定中心",
        "李振华",
        "张丽",
        "王建国",
        "保管员（出库）",
        "领用人",
        "归还登记",
        "张某某诈骗案",
        "送检比对",
    ):
        assert expected in text, expected
    # Chinese whatever the UI language.
    officer.post("/language", data={"csrf_token": csrf_token(officer, "/checkouts"), "locale": "en"})
    assert "Check-outs" in get(officer, "/checkouts")
    assert "鉴定" in pdf_text(officer.get(f"/checkouts/{checkout.id}/slip.pdf").data)
    # Two slips printed, each on the security record; the refused one (before approval) is not.
    slips = events("export", object_type="checkout", object_id=str(checkout.id))
    assert [(e.actor["username"], e.data["document"], e.data["checkout_no"]) for e in slips] == [
        ("police_officer", "checkout_slip", checkout.checkout_no)
    ] * 2


def test_return_list_pdf_has_values_in_yuan_and_the_agent(app):
    case = stored_items(0)[0]
    ring = documented_ring(case)
    disposition = approved_disposition([ring.id], DispositionKind.PRETRIAL_RETURN)
    dispositions.execute_disposition(
        db.session,
        act("police_keeper"),
        disposition.id,
        receipt_no="发还回执 2026-07",
        recipient=Recipient(name="王某之子", is_agent=True, authorisation_ref="授权委托书 2026-07号"),
    )
    db.session.commit()
    response = client_for(app, "police_keeper").get(f"/dispositions/{disposition.id}/return-list.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for expected in (
        "涉案财物先行发还清单",
        disposition.disposition_no,
        "钻石戒指",
        ring.label_code,
        "受害人王某",
        "310115198808081234",
        "代领人",
        "王某之子",
        "授权委托书2026-07号",
        "25,000.00",
        "人民币贰万伍仟元整",
        "经办人",
        "浦东公安分局",
        "发还回执2026-07",
    ):
        assert expected in text, expected
    # Auditors see personal data (as in the API); they print the same list.
    text = pdf_text(client_for(app, "auditor").get(f"/dispositions/{disposition.id}/return-list.pdf").data)
    assert "310115198808081234" in text
    assert "王某之子" in text
    printed = events("export", object_type="disposition", object_id=str(disposition.id))
    assert [(e.actor["username"], e.data["document"]) for e in printed] == [
        ("police_keeper", "return_list"),
        ("auditor", "return_list"),
    ]


@pytest.mark.parametrize("kind", [DispositionKind.CONFISCATE])
def test_no_return_list_for_other_kinds(app, kind):
    case, [item] = stored_items(1)
    close_case(case)
    disposition = approved_disposition([item.id], kind, legal_basis=JUDGMENT)
    page = get(client_for(app, "police_officer"), f"/dispositions/{disposition.id}/return-list.pdf", 409)
    assert "状态冲突" in page


# -- language ---------------------------------------------------------------------------------


@pytest.mark.live_rows_diverge(reason="makes the check-out overdue with a direct update")
def test_pages_are_chinese_first_and_english_on_request(app):
    """Headings, labels, hints, badges and form errors are in Chinese by default; every one of them
    is English after switching."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("zh_CN"):
        assert gettext("Check-out no.") != "Check-out no.", "the zh catalog lacks the lifecycle messages"
    case, [item] = stored_items(1)
    checkout = released_checkout([item.id])
    from sqlalchemy import update

    from custody.models.lifecycle import Checkout

    db.session.execute(
        update(Checkout).where(Checkout.id == checkout.id).values(due_at=app_clock.now() - timedelta(hours=1))
    )
    db.session.commit()
    officer = client_for(app, "police_officer")
    page = flat(get(officer, "/checkouts"))
    for expected in (
        "调用",
        "处置",
        "冻结",
        "更正",
        "调用单号",
        "领用人",
        "应还时间",
        "逾期",
        "筛选",
        "只看逾期",
        "钱工",
        "鉴定",
        "已出库",
    ):
        assert expected in page, expected
    page = flat(get(officer, f"/checkouts/{checkout.id}"))
    for expected in (
        f"调用单{checkout.checkout_no}",
        "已逾期：应于",
        "申请延期",
        "延期理由",
        "打印调用出库单（PDF）",
        "尚未归还",
    ):
        assert expected in page, expected
    response = submit(
        officer,
        f"/checkouts/new?item_ids={item.id}",
        purpose="",
        counterparty_name="",
        due_at="",
        item_ids=[item.id],
    )
    assert response.status_code == 422
    page = flat(text_of(response))
    assert "调用事由" in page
    assert "领用人姓名" in page
    assert "该字段是必填字段" in page
    assert 'value="提交申请"' in text_of(response)

    keeper = client_for(app, "police_keeper")
    page = get(keeper, f"/checkouts/{checkout.id}")
    assert "归还入库" in page
    assert "归还时状况" in page
    assert "差异情况" in page
    assert 'value="登记归还"' in page

    ring = documented_ring(case)
    sale = approved_disposition([ring.id], DispositionKind.PRETRIAL_RETURN)
    page = flat(get(keeper, f"/dispositions/{sale.id}"))
    for expected in (
        "登记执行",
        "执行回单号",
        "领取人姓名",
        "领取人身份",
        "持书面委托书的受托人",
        "打印发还清单（PDF）",
    ):
        assert expected in page, expected
    response = submit(
        keeper,
        f"/dispositions/{sale.id}",
        "execute",
        receipt_no="",
        recipient_name="王某之子",
        recipient_is_agent="y",
    )
    assert response.status_code == 422
    assert "该字段是必填字段" in text_of(response)
    assert 'value="王某之子"' in text_of(response)
    from custody.web.lifecycle_forms import parse_yuan

    for typed, message in (
        ("abc", "请输入以元为单位的金额"),
        ("1.234", "最多两位小数"),
        ("-1", "金额不能为负数"),
    ):
        with pytest.raises(ValueError) as refused:
            parse_yuan(typed)
        with app.test_request_context(), force_locale("zh_CN"):
            assert message in str(refused.value.args[0]), typed

    page = flat(get(officer, f"/freezes/new/{item.id}"))
    assert "该财物登记的措施不是“冻结”" in page
    assert "法定最长冻结期限" in page
    page = flat(get(officer, f"/corrections/new/{item.id}"))
    assert "可更正的字段及当前值" in page
    assert "型号规格" in page
    assert "权属明确、无争议" in page

    officer.post("/language", data={"csrf_token": csrf_token(officer, "/checkouts"), "locale": "en"})
    page = flat(get(officer, f"/checkouts/{checkout.id}"))
    for expected in (
        f"Check-out{checkout.checkout_no}",
        "Overdue",
        "Requestanextension",
        "Released",
        "Takenby",
    ):
        assert expected in page, expected
    assert "申请延期" not in page


# -- bad input --------------------------------------------------------------------------------

NASTY = [
    "",
    "abc",
    "\x00",
    "１２３",
    "-1",
    "99999999999999999999999",
    "1e400",
    "NaN",
    "2026-02-30",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "x" * 3000,
]


def test_no_page_answers_500_to_bad_input(app):
    """Each field of each form gets junk while the others are valid; filters get junk too. The
    answer is always a page with a 2xx-4xx status, never a 500."""
    case, [item, other, third] = stored_items(3)
    checkout = released_checkout([item.id])
    from custody.services.corrections import propose_correction

    correction = propose_correction(
        db.session, act("police_officer"), item_id=other.id, field="name", new_value="改名", reason="笔误"
    )
    db.session.commit()
    close_case(case)
    disposition = approved_disposition([other.id], DispositionKind.DESTROY, legal_basis=JUDGMENT)
    db.session.commit()
    users = {u: client_for(app, u) for u in ("police_officer", "police_approver", "police_keeper")}
    later = local_input(timedelta(days=5))
    today = clock.today().isoformat()
    forms = [
        (
            "police_officer",
            f"/checkouts/new?item_ids={third.id}",
            None,
            {
                "item_ids": str(third.id),
                "purpose": "appraisal",
                "counterparty_kind": "person",
                "counterparty_name": "钱工",
                "counterparty_organisation": "鉴定中心",
                "counterparty_contact": "1",
                "due_at": later,
                "note": "n",
            },
        ),
        ("police_officer", f"/checkouts/{checkout.id}", "extend", {"due_at": later, "reason": "r"}),
        ("police_keeper", f"/checkouts/{checkout.id}", "release", {"released_to": "钱工"}),
        (
            "police_keeper",
            f"/checkouts/{checkout.id}",
            "return",
            {"item_ids": str(item.id), "condition": "好", "discrepancy": "damage", "discrepancy_note": "n"},
        ),
        (
            "police_officer",
            f"/dispositions/new?item_ids={third.id}",
            None,
            {
                "item_ids": str(third.id),
                "kind": "confiscate",
                "legal_basis": "判决",
                "reason": "r",
                "owner_consent": "c",
            },
        ),
        (
            "police_keeper",
            f"/dispositions/{disposition.id}",
            "execute",
            {"receipt_no": "R", "witness": "court_keeper", "proceeds": "1", "recipient_name": "x"},
        ),
        (
            "police_officer",
            f"/freezes/new/{third.id}",
            None,
            {
                "asset_type": "deposit",
                "institution": "银行",
                "account_no": "1",
                "amount": "1",
                "start_on": today,
                "period_months": "6",
                "notice_doc_no": "n",
            },
        ),
        (
            "police_officer",
            f"/corrections/new/{third.id}?field=quantity",
            None,
            {"new_value": "2", "reason": "r"},
        ),
        (
            "police_officer",
            f"/corrections/new/{third.id}?field=measure_date",
            None,
            {"new_value": today, "reason": "r"},
        ),
        (
            "police_officer",
            f"/corrections/new/{third.id}?field=estimated_value_fen",
            None,
            {"new_value": "1", "reason": "r"},
        ),
        (
            "police_officer",
            f"/corrections/new/{third.id}?field=details",
            None,
            {"details_weight_g": "1", "reason": "r"},
        ),
        ("police_approver", f"/corrections/{correction.id}", "decide", {"reason": "r"}),
    ]
    for username, url, prefix, valid in forms:
        client = users[username]
        token = csrf_token(client, url)
        for name in valid:
            for junk in NASTY:
                response = submit(client, url, prefix, token=token, **{**valid, name: junk})
                assert response.status_code < 500, (url, name, junk, text_of(response)[-800:])
            fresh()
    for path in (
        "/checkouts",
        "/dispositions",
        "/freezes",
        "/corrections",
        "/checkouts/new",
        "/dispositions/new",
        f"/corrections/new/{third.id}",
    ):
        for junk in NASTY:
            response = users["police_officer"].get(
                path,
                query_string={
                    "status": junk,
                    "kind": junk,
                    "overdue": junk,
                    "expiring": junk,
                    "page": junk,
                    "codes": junk,
                    "field": junk,
                },
            )
            assert response.status_code < 500, (path, junk)
