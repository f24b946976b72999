"""调用/归还 through the pages: request → approve → release → return (with a discrepancy), extensions,
errors kept on the form in Chinese, and nothing written when a form is refused."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from custody.domain import clock as app_clock
from custody.domain.enums import LocationState
from custody.domain.lifecycle import CheckoutStatus, Discrepancy
from custody.extensions import db
from custody.models.item import Item
from custody.models.lifecycle import Checkout, CheckoutExtension, Counterparty

from ..factories import dual_role_user, register, stored_items
from ..helpers import fresh, row_counts
from .builders import released_checkout, requested_checkout
from .ui import client_for, flat, get, local_input, submit, text_of


def _checkout_id(response) -> int:
    match = re.search(r"/checkouts/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def test_check_out_request_approve_release_and_return_with_a_discrepancy(app):
    case, stored = stored_items(2)
    officer, approver, keeper = (
        client_for(app, u) for u in ("police_officer", "police_approver", "police_keeper")
    )
    new_url = f"/checkouts/new?item_ids={stored[0].id}&item_ids={stored[1].id}"
    page = get(officer, new_url)
    assert "涉案物品1" in page
    assert "涉案物品2" in page
    assert stored[0].label_code in page
    assert "在库" in page
    assert 'value="appraisal"' in page
    assert "鉴定" in page

    response = submit(
        officer,
        new_url,
        purpose="appraisal",
        counterparty_kind="lab",
        counterparty_name="钱工",
        counterparty_organisation="市公安局物证鉴定中心",
        counterparty_contact="021-12345678",
        due_at=local_input(timedelta(days=2)),
        note="指纹比对",
        item_ids=[stored[0].id, stored[1].id],
    )
    assert response.status_code == 302, text_of(response)[:3000]
    checkout_id = _checkout_id(response)
    url = f"/checkouts/{checkout_id}"
    page = get(officer, url)
    assert "已申请" in page
    assert "鉴定" in page
    assert "钱工" in page
    assert "市公安局物证鉴定中心" in page
    assert "指纹比对" in page
    assert "王建国" in page
    assert 'name="decide-approve"' not in page  # the requester cannot approve
    assert 'name="cancel-submit"' in page  # but may withdraw

    page = get(approver, url)
    assert 'name="decide-approve"' in page
    assert 'name="release-submit"' not in page
    assert submit(approver, url, "decide", "approve", reason="").status_code == 302
    page = get(approver, url)
    assert "已批准" in page
    assert "李振华" in page
    assert 'name="decide-approve"' not in page

    page = get(keeper, url)
    assert 'name="release-submit"' in page
    assert 'value="钱工"' in page
    # Only to the person registered on the check-out.
    response = submit(keeper, url, "release", released_to="张三")
    assert response.status_code == 422
    assert 'value="张三"' in text_of(response)
    unticked = submit(keeper, url, "release", released_to=" 钱 工 ")  # each item confirmed in hand first
    assert unticked.status_code == 422
    assert "请逐项核对" in text_of(unticked)
    ticked = [i.id for i in stored]
    assert submit(keeper, url, "release", released_to=" 钱 工 ", confirmed_item_ids=ticked).status_code == 302
    page = get(keeper, url)
    assert "已出库" in page
    assert "钱工" in page
    assert "张丽" in page
    fresh()
    assert all(db.session.get(Item, i.id).location_state is LocationState.CHECKED_OUT for i in stored)

    # The first item comes back damaged; the second is still out.
    response = submit(
        keeper,
        url,
        "return",
        condition="外壳破损",
        discrepancy="damage",
        discrepancy_note="鉴定过程中跌落",
        item_ids=[stored[0].id],
        confirmed_item_ids=[stored[0].id],
    )
    assert response.status_code == 302
    page = get(keeper, url)
    assert "外壳破损" in page
    assert "损坏" in page
    assert "鉴定过程中跌落" in page
    assert "已出库" in page
    response = submit(
        keeper,
        url,
        "return",
        condition="封存完好",
        discrepancy="",
        item_ids=[stored[1].id],
        confirmed_item_ids=[stored[1].id],
    )
    assert response.status_code == 302
    page = get(officer, url)
    assert "已归还" in page
    assert "封存完好" in page
    fresh()
    checkout = db.session.get(Checkout, checkout_id)
    assert checkout.status is CheckoutStatus.RETURNED
    assert [line.discrepancy for line in checkout.lines] == [Discrepancy.DAMAGE, None]
    assert db.session.get(Item, stored[0].id).location_state is LocationState.IN_STORAGE

    listing = get(officer, "/checkouts")
    assert checkout.checkout_no in listing
    assert "张某某诈骗案" in listing
    assert "涉案物品1" in listing
    assert checkout.checkout_no in get(officer, "/checkouts?status=returned")
    assert checkout.checkout_no not in get(officer, "/checkouts?status=requested")


def test_rejection_needs_a_reason_and_the_requester_may_withdraw(app):
    case, [item, other] = stored_items(2)
    checkout = requested_checkout([item.id])
    url = f"/checkouts/{checkout.id}"
    approver = client_for(app, "police_approver")
    response = submit(approver, url, "decide", "reject", reason="")
    assert response.status_code == 422
    page = text_of(response)
    assert "必填" in page
    assert 'name="decide-approve"' in page
    fresh()
    assert db.session.get(Checkout, checkout.id).status is CheckoutStatus.REQUESTED
    assert submit(approver, url, "decide", "reject", reason="用途不明").status_code == 302
    page = get(approver, url)
    assert "用途不明" in page
    assert 'name="release-submit"' not in page

    fresh()
    second = requested_checkout([other.id])
    officer = client_for(app, "police_officer")
    assert submit(officer, f"/checkouts/{second.id}", "cancel", reason="不再需要").status_code == 302
    assert "已撤销" in get(officer, f"/checkouts/{second.id}")


def test_extension_request_and_approval_and_overdue_is_highlighted(app):
    case, [item] = stored_items(1)
    checkout = released_checkout([item.id])
    db.session.execute(
        update(Checkout).where(Checkout.id == checkout.id).values(due_at=app_clock.now() - timedelta(hours=3))
    )
    db.session.commit()
    officer, approver = client_for(app, "police_officer"), client_for(app, "police_approver")
    url = f"/checkouts/{checkout.id}"

    listing = get(officer, "/checkouts?overdue=y")
    assert checkout.checkout_no in listing
    assert "badge-bad" in listing
    page = get(officer, url)
    assert "badge-bad" in page
    assert "flash-error" in page

    # An extension earlier than the current due time is refused next to the field, input kept.
    before = row_counts(CheckoutExtension)
    earlier = local_input(timedelta(hours=-5))
    response = submit(officer, url, "extend", due_at=earlier, reason="鉴定需延长")
    assert response.status_code == 422
    page = text_of(response)
    assert "必须晚于当前时间" in page
    assert f'value="{earlier}"' in page
    assert "鉴定需延长" in page
    assert row_counts(CheckoutExtension) == before

    later = local_input(timedelta(days=3))
    assert submit(officer, url, "extend", due_at=later, reason="鉴定需延长三天").status_code == 302
    page = get(officer, url)
    assert "鉴定需延长三天" in page
    assert "已申请" in page
    assert 'name="extend-submit"' not in page
    assert 'name="extdecide-approve"' not in page  # not for the officer

    page = get(approver, url)
    assert 'name="extdecide-approve"' in page
    assert submit(approver, url, "extdecide", "approve").status_code == 302
    page = get(approver, url)
    assert "已批准" in page
    assert "badge-bad" not in page
    assert checkout.checkout_no not in get(officer, "/checkouts?overdue=y")
    fresh()
    assert db.session.get(Checkout, checkout.id).due_at > app_clock.now() + timedelta(days=2)


def test_refused_request_shows_chinese_field_errors_keeps_input_and_writes_nothing(app):
    case, [item] = stored_items(1)
    officer = client_for(app, "police_officer")
    url = f"/checkouts/new?item_ids={item.id}"
    before = row_counts(Checkout, Counterparty)

    response = submit(
        officer,
        url,
        purpose="",
        counterparty_kind="person",
        counterparty_name="",
        counterparty_organisation="市鉴定中心",
        due_at="",
        note="随便写点",
        item_ids=[item.id],
    )
    assert response.status_code == 422
    page = text_of(response)
    assert page.count("该字段是必填字段") >= 3
    assert 'value="市鉴定中心"' in page
    assert "随便写点" in page

    past = local_input(timedelta(days=-1))
    response = submit(
        officer,
        url,
        purpose="appraisal",
        counterparty_kind="person",
        counterparty_name="钱工",
        due_at=past,
        item_ids=[item.id],
    )
    assert response.status_code == 422
    page = text_of(response)
    assert "归还期限必须晚于当前时间" in page
    assert "必须晚于当前时间" in page
    assert f'value="{past}"' in page
    assert 'value="钱工"' in page
    assert re.search(r'<option selected value="appraisal"|<option value="appraisal" selected', page)

    response = submit(
        officer,
        url,
        purpose="appraisal",
        counterparty_kind="person",
        counterparty_name="钱工",
        due_at="明天下午",
        item_ids=[item.id],
    )
    assert response.status_code == 422
    assert "不是有效的日期与时间值" in text_of(response)
    response = submit(
        officer,
        url,
        purpose="bribery",
        counterparty_kind="person",
        counterparty_name="钱工",
        due_at=local_input(timedelta(days=1)),
        item_ids=[item.id],
    )
    assert response.status_code == 422
    assert "不是有效的选择" in text_of(response)
    assert row_counts(Checkout, Counterparty) == before

    # An item that is not in storage: the service's refusal, shown at the top of the kept form.
    waiting = register(case, name="待入库手机")
    url = f"/checkouts/new?item_ids={waiting.id}"
    response = submit(
        officer,
        url,
        purpose="appraisal",
        counterparty_kind="person",
        counterparty_name="钱工",
        due_at=local_input(timedelta(days=1)),
        item_ids=[waiting.id],
    )
    assert response.status_code == 409
    assert "flash-error" in text_of(response)
    assert 'value="钱工"' in text_of(response)
    assert row_counts(Checkout, Counterparty) == before


def test_the_request_form_is_for_the_custodians_officers_only(app):
    case, [item] = stored_items(1)
    url = f"/checkouts/new?item_ids={item.id}"
    keeper = client_for(app, "police_keeper")
    page = get(keeper, url)
    assert "涉案物品1" in page
    assert 'name="purpose"' not in page
    before = row_counts(Checkout)
    response = submit(
        keeper,
        url,
        purpose="appraisal",
        counterparty_kind="person",
        counterparty_name="钱工",
        due_at=local_input(timedelta(days=1)),
        item_ids=[item.id],
    )
    assert response.status_code == 403
    assert "无权操作" in text_of(response)
    assert row_counts(Checkout) == before


def test_the_item_picker_takes_scanned_label_codes(app):
    case, stored = stored_items(2)
    officer = client_for(app, "police_officer")
    page = get(officer, "/checkouts/new")
    assert 'name="codes"' in page
    codes = f"{stored[0].label_code}\n {stored[1].label_code.lower()} \n"
    response = officer.get("/checkouts/new", query_string={"codes": codes})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"item_ids={stored[0].id}&item_ids={stored[1].id}")
    response = officer.get("/checkouts/new", query_string={"codes": "PDGA-2026-999999"})
    assert response.status_code == 422
    assert "PDGA-2026-999999" in text_of(response)
    response = officer.get("/dispositions/new", query_string={"codes": stored[0].label_code})
    assert response.status_code == 302
    assert f"item_ids={stored[0].id}" in response.headers["Location"]


def test_self_approval_is_not_offered_and_a_forged_one_is_refused(app):
    case, [item] = stored_items(1)
    dual_role_user()
    chief = client_for(app, "police_chief", "Chief-pass-2026")
    checkout = requested_checkout([item.id], username="police_chief")
    url = f"/checkouts/{checkout.id}"
    page = get(chief, url)
    assert 'name="decide-approve"' not in page
    assert "flash-info" in page
    response = submit(chief, url, "decide", "approve")
    assert response.status_code == 403
    assert "不能审批本人提出的申请" in flat(text_of(response))
    fresh()
    assert (
        db.session.scalar(select(Checkout.status).where(Checkout.id == checkout.id))
        is CheckoutStatus.REQUESTED
    )
