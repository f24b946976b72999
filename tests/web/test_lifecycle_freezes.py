"""冻结 and 更正 through the pages: record, renew, release, lapse; propose and approve a correction."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from custody.domain import clock as app_clock
from custody.domain.clock import local_date
from custody.domain.lifecycle import CorrectionStatus, FreezeAssetType, FreezeStatus, freeze_expiry
from custody.extensions import db
from custody.models.item import Item
from custody.models.lifecycle import Correction, FreezeOrder, FreezeRenewal
from custody.services import freezes

from ..factories import act, dual_role_user, open_case, register
from ..helpers import events, fresh, row_counts
from .builders import freeze_of, frozen_account
from .ui import client_for, get, submit, text_of


def _freeze_url(response) -> str:
    assert response.status_code == 302, text_of(response)[:3000]
    return re.search(r"/freezes/\d+$", response.headers["Location"]).group(0)


def test_freeze_recorded_renewed_and_released_through_the_forms(app):
    account = frozen_account()
    officer = client_for(app, "police_officer")
    new_url = f"/freezes/new/{account.id}"
    page = get(officer, new_url)
    # Prefilled from the item; the legal maximum periods are on the page.
    assert 'value="中国工商银行上海浦东分行"' in page
    assert 'value="6222021001122334455"' in page
    assert 'value="520000.00"' in page
    assert "存款" in page
    assert "汇款" in page
    assert "股票" not in page
    start = (
        local_date(app_clock.now()) - timedelta(days=170)
    ).isoformat()  # about 5.5 months ago: renewal is due
    response = submit(
        officer,
        new_url,
        asset_type="deposit",
        institution="工商银行浦东分行",
        account_no="6222021001122334455",
        account_name="张某",
        amount="520,000.00",
        start_on=start,
        period_months="",
        notice_doc_no="沪公(浦)冻通[2026]12号",
    )
    url = _freeze_url(response)
    page = get(officer, url)
    fresh()
    freeze = db.session.get(FreezeOrder, int(url.rsplit("/", 1)[1]))
    assert freeze.period_months == 6
    assert freeze.amount_fen == 52_000_000
    assert "¥520,000.00" in page
    assert "存款" in page
    assert freeze.expires_on.isoformat() in page
    assert "沪公(浦)冻通[2026]12号" in page
    assert "王建国" in page

    listing = get(officer, "/freezes")
    assert "张某工行账户存款" in listing
    assert "¥520,000.00" in listing
    assert "badge-warn" in listing
    assert 'name="renew-submit"' in page

    assert submit(officer, url, "renew", doc_no="").status_code == 422
    response = submit(officer, url, "renew", doc_no="续冻通知书 2026-3", period_months="7")
    assert response.status_code == 422
    assert "超过该类财产的法定冻结期限" in text_of(response)
    assert 'value="续冻通知书 2026-3"' in text_of(response)
    assert row_counts(FreezeRenewal)[FreezeRenewal.__tablename__] == 0
    old_expiry = freeze.expires_on
    assert submit(officer, url, "renew", doc_no="续冻通知书 2026-3", period_months="").status_code == 302
    page = get(officer, url)
    fresh()
    freeze = db.session.get(FreezeOrder, freeze.id)
    assert freeze.expires_on > old_expiry
    assert freeze.expires_on.isoformat() in page
    assert "续冻通知书 2026-3" in page
    assert 'name="renew-submit"' in page  # 程序规定 240: renewal any time before the last day
    assert "badge-warn" not in get(officer, "/freezes")

    keeper = client_for(app, "police_keeper")  # freezes are the case officers' business
    page = get(keeper, url)
    assert "¥520,000.00" in page
    assert 'name="renew-submit"' not in page
    assert 'name="release-submit"' not in page
    assert submit(keeper, url, "release", doc_no="解除冻结通知书 1号").status_code == 403
    assert submit(officer, url, "release", doc_no="解除冻结通知书 1号", reason="撤案").status_code == 302
    page = get(officer, url)
    assert "解除冻结通知书 1号" in page
    assert 'name="renew-submit"' not in page
    assert 'name="release-submit"' not in page
    fresh()
    assert db.session.get(FreezeOrder, freeze.id).status is FreezeStatus.RELEASED
    assert [e.action for e in events(item_id=account.id)][-3:] == [
        "freeze.create",
        "freeze.renew",
        "freeze.release",
    ]


def test_a_new_freeze_can_be_renewed_at_once_and_records_the_receipt_date(app):
    """程序规定 240: 在冻结期限届满前办理继续冻结手续 — no renewal window (it was our invention)."""
    account = frozen_account()
    order = freeze_of(account)  # starts today: its last day is about six months away
    officer = client_for(app, "police_officer")
    url = f"/freezes/{order.id}"
    page = html.unescape(get(officer, url))
    assert 'name="renew-submit"' in page
    assert 'name="release-submit"' in page
    receipt = order.expires_on + timedelta(days=150)
    response = submit(officer, url, "renew", doc_no="续冻通知书 2026-1", receipt_end_on=receipt.isoformat())
    assert response.status_code == 302, text_of(response)[:2000]
    fresh()
    renewed = db.session.get(FreezeOrder, order.id)
    assert renewed.expires_on == receipt
    assert renewed.renewals[0].receipt_end_on == receipt
    # Keepers see no renewal form: freezes are the case officers' business.
    assert 'name="renew-submit"' not in get(client_for(app, "police_keeper"), url)


def test_freeze_form_errors_are_next_to_the_fields_and_nothing_is_written(app):
    account = frozen_account()
    officer = client_for(app, "police_officer")
    url = f"/freezes/new/{account.id}"
    before = row_counts(FreezeOrder)
    base = {
        "asset_type": "deposit",
        "institution": "工商银行浦东分行",
        "account_no": "6222021001122334455",
        "amount": "100",
        "start_on": local_date(app_clock.now()).isoformat(),
        "notice_doc_no": "冻通 12号",
    }
    cases = [
        ({"amount": "十万元"}, "amount"),
        ({"amount": "100.001"}, "amount"),
        ({"amount": ""}, "amount"),
        ({"start_on": "2026-13-45"}, "start_on"),
        ({"start_on": (local_date(app_clock.now()) + timedelta(days=3)).isoformat()}, "start_on"),
        ({"period_months": "七"}, "period_months"),
        ({"period_months": "7"}, "period_months"),
        ({"institution": ""}, "institution"),
        ({"asset_type": "stocks"}, "asset_type"),
    ]
    for change, field_name in cases:
        response = submit(officer, url, **{**base, **change})
        assert response.status_code == 422, change
        page = text_of(response)
        assert f'id="{field_name}-err"' in page, change
        for value in change.values():
            if value and field_name != "asset_type":
                assert f'value="{value}"' in page, change
    assert "不是有效的整数" in text_of(submit(officer, url, **{**base, "period_months": "七"}))
    assert "不得小于 1。" in text_of(submit(officer, url, **{**base, "period_months": "0"}))  # not "大于 1"
    assert "晚于当前时间" in text_of(
        submit(
            officer,
            url,
            **{**base, "start_on": (local_date(app_clock.now()) + timedelta(days=3)).isoformat()},
        )
    )
    assert row_counts(FreezeOrder) == before

    # Only a case officer of the custodian records freezes.
    keeper = client_for(app, "police_keeper")
    assert 'name="institution"' not in get(keeper, url)
    assert submit(keeper, url, **base).status_code == 403
    assert row_counts(FreezeOrder) == before


@pytest.mark.live_rows_diverge(reason="back-dates the freeze with a direct update")
def test_a_lapsed_freeze_says_why_it_cannot_be_renewed(app):
    account = frozen_account()
    today = local_date(app_clock.now())
    order = freezes.create_freeze(
        db.session,
        act("police_officer"),
        item_id=account.id,
        asset_type=FreezeAssetType.DEPOSIT,
        institution="工商银行浦东分行",
        account_no="6222021001122334455",
        amount_fen=10_000,
        start_on=today - timedelta(days=170),
        notice_doc_no="冻通 1号",
    )
    db.session.flush()
    # Time passes without a renewal: the freeze recorded 200 days ago has lapsed (a freeze cannot be
    # recorded already lapsed, so its dates are moved back).
    db.session.execute(
        update(FreezeOrder)
        .where(FreezeOrder.id == order.id)
        .values(
            start_on=today - timedelta(days=200), expires_on=freeze_expiry(today - timedelta(days=200), 6)
        )
    )
    db.session.expire(order)
    soon = freezes.create_freeze(
        db.session,
        act("police_officer"),
        item_id=frozen_account().id,
        asset_type=FreezeAssetType.DEPOSIT,
        institution="工商银行浦东分行",
        account_no="6222021001122334466",
        amount_fen=20_000,
        start_on=local_date(app_clock.now()) - timedelta(days=170),
        notice_doc_no="冻通 2号",
    )
    db.session.commit()
    officer = client_for(app, "police_officer")
    url = f"/freezes/{order.id}"
    page = get(officer, url)
    assert "已到期失效" in page
    assert order.expires_on.isoformat() in page
    assert 'name="renew-submit"' not in page
    response = submit(officer, url, "renew", doc_no="续冻通知书")
    assert response.status_code == 409
    assert "冻结期满未续冻，已自动解除，不能再续冻" in text_of(response)
    assert row_counts(FreezeRenewal)[FreezeRenewal.__tablename__] == 0

    listing = get(officer, "/freezes")
    assert "已到期失效" in listing
    assert "badge-warn" in listing
    assert "冻通 2号" not in listing  # (doc numbers are on the detail page)
    assert "6222021001122334466" in get(officer, "/freezes?expiring=y")
    assert "6222021001122334455" not in get(officer, "/freezes?expiring=y")
    assert "6222021001122334455" in get(officer, "/freezes?status=lapsed")
    assert "6222021001122334466" not in get(officer, "/freezes?status=lapsed")
    assert "6222021001122334466" in get(officer, f"/freezes/{soon.id}")


def test_correction_proposed_and_approved_through_the_forms(app):
    item = register(open_case(), name="苹果手机", quantity=2, estimated_value_fen=500_000)
    officer, approver = client_for(app, "police_officer"), client_for(app, "police_approver")
    url = f"/corrections/new/{item.id}"
    page = get(officer, url)
    assert "苹果手机" in page
    assert "¥5,000.00" in page
    assert "490154203237518" in page

    page = get(officer, f"{url}?field=estimated_value_fen")
    assert 'value="5000.00"' in page
    assert "¥5,000.00" in page
    before = row_counts(Correction)
    response = submit(officer, f"{url}?field=estimated_value_fen", new_value="4800.123", reason="重新估价")
    assert response.status_code == 422
    assert 'value="4800.123"' in text_of(response)
    assert "重新估价" in text_of(response)
    response = submit(officer, f"{url}?field=quantity", new_value="两部", reason="清点")
    assert response.status_code == 422
    assert "不是有效数字" in text_of(response)
    assert 'value="两部"' in text_of(response)
    response = submit(officer, f"{url}?field=quantity", new_value="1", reason="")
    assert response.status_code == 422
    assert "该字段是必填字段" in text_of(response)
    assert row_counts(Correction) == before

    response = submit(officer, f"{url}?field=estimated_value_fen", new_value="4,800.50", reason="重新估价")
    assert response.status_code == 302, text_of(response)[:3000]
    correction_url = response.headers["Location"]
    page = get(officer, correction_url)
    assert "已提出" in page
    assert "¥5,000.00" in page
    assert "¥4,800.50" in page
    assert "重新估价" in page
    assert 'name="decide-approve"' not in page

    page = get(approver, correction_url)
    assert 'name="decide-approve"' in page
    assert submit(approver, correction_url, "decide", "approve").status_code == 302
    page = get(approver, correction_url)
    assert "已批准" in page
    assert "李振华" in page
    fresh()
    assert db.session.get(Item, item.id).estimated_value_fen == 480_050
    assert "¥4,800.50" in get(officer, "/corrections?status=approved")


def test_correcting_category_details_and_a_forged_approval(app):
    item = register(open_case(), name="苹果手机")
    officer = client_for(app, "police_officer")
    url = f"/corrections/new/{item.id}?field=details"
    page = get(officer, url)
    assert 'name="details_imei"' in page
    assert 'value="490154203237518"' in page
    response = submit(officer, url, details_imei="12345", details_brand_model="iPhone 15", reason="IMEI 抄错")
    assert response.status_code == 422
    assert 'id="details_imei-err"' in text_of(response)
    assert 'value="12345"' in text_of(response)
    response = submit(
        officer, url, details_imei="356938035643809", details_brand_model="iPhone 15 Pro", reason="IMEI 抄错"
    )
    assert response.status_code == 302, text_of(response)[:3000]
    correction_url = response.headers["Location"]
    page = get(officer, correction_url)
    assert "356938035643809" in page
    assert "490154203237518" in page

    keeper = client_for(app, "police_keeper")
    assert 'name="decide-approve"' not in get(keeper, correction_url)
    assert submit(keeper, correction_url, "decide", "approve").status_code == 403
    dual_role_user()
    chief = client_for(app, "police_chief", "Chief-pass-2026")
    assert 'name="decide-approve"' in get(chief, correction_url)
    response = submit(chief, correction_url, "decide", "reject", reason="")
    assert response.status_code == 422
    assert "请说明不予批准的理由" in text_of(response)
    assert submit(chief, correction_url, "decide", "reject", reason="原登记无误").status_code == 302
    fresh()
    correction = db.session.get(Correction, int(correction_url.rsplit("/", 1)[1]))
    assert correction.status is CorrectionStatus.REJECTED
    assert "原登记无误" in get(officer, correction_url)
    assert get(officer, f"/corrections/new/{item.id}?field=custodian_agency_id", 422)
