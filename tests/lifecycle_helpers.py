"""Lifecycle builders shared by service, API and page tests: check-outs, disposals, corrections, freezes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from custody.domain import clock as app_clock
from custody.domain.clock import local_date
from custody.domain.enums import ExternalKind, ItemCategory, Measure
from custody.domain.lifecycle import ApprovalLevel, CheckoutPurpose, FreezeAssetType, freeze_expiry
from custody.extensions import db
from custody.models.lifecycle import FreezeOrder
from custody.services import checkouts, dispositions, freezes
from custody.services.corrections import propose_correction

from .factories import act, open_case, register

LAB = checkouts.CounterpartyInput(name="上海市公安局物证鉴定中心", kind=checkouts.CounterpartyKind.LAB)


def request(item_ids, username="police_officer", hours=48, purpose=CheckoutPurpose.APPRAISAL):
    checkout = checkouts.request_checkout(
        db.session,
        act(username),
        item_ids=item_ids,
        purpose=purpose,
        counterparty=LAB,
        due_at=app_clock.now() + timedelta(hours=hours),
    )
    db.session.commit()
    return checkout


def approved(item_ids):
    checkout = request(item_ids)
    checkouts.decide_checkout(db.session, act("police_approver"), checkout.id, approve=True)
    db.session.commit()
    return checkout


def released(item_ids):
    checkout = approved(item_ids)
    checkouts.release_checkout(
        db.session, act("police_keeper"), checkout.id, released_to=" 上海市公安局 物证鉴定中心 "
    )  # whitespace aside, the registered name
    db.session.commit()
    return checkout


def correct(item, field, value, reason="登记笔误", username="police_officer"):
    correction = propose_correction(
        db.session, act(username), item_id=item.id, field=field, new_value=value, reason=reason
    )
    db.session.commit()
    return correction


def propose(item_ids, kind, username="police_officer", **kwargs):
    disposition = dispositions.propose_disposition(
        db.session, act(username), item_ids=item_ids, kind=kind, **kwargs
    )
    db.session.commit()
    return disposition


def approve(disposition, username="police_approver"):
    dispositions.decide_disposition(db.session, act(username), disposition.id, approve=True)
    db.session.commit()
    return disposition


def execute(disposition, username="police_keeper", **kwargs):
    dispositions.execute_disposition(db.session, act(username), disposition.id, **kwargs)
    db.session.commit()
    return disposition


ACCOUNT = {"bank": "中国工商银行上海浦东分行", "account_no": "6222021001122334455", "account_name": "张某"}


def frozen_account(case=None):
    case = case or open_case()
    return case, register(
        case,
        name="张某工行账户存款",
        category=ItemCategory.BANK_ACCOUNT,
        measure=Measure.FROZEN,
        details=ACCOUNT,
        external_kind=ExternalKind.BANK,
        external_place="工商银行浦东分行",
    )


def freeze(
    item,
    months=None,
    start=None,
    major=False,
    asset=FreezeAssetType.DEPOSIT,
    username="police_officer",
    **kwargs,
):
    if major:
        kwargs.setdefault("major_case_approval", "市局负责人批准 2026-1")
        kwargs.setdefault("approval_level", ApprovalLevel.CITY)
    order = freezes.create_freeze(
        db.session,
        act(username),
        item_id=item.id,
        asset_type=asset,
        institution="工商银行浦东分行",
        # One account per item: the same account may not be frozen twice (刑事诉讼法 art. 144 ¶2).
        account_no=f"{ACCOUNT['account_no'][:-5]}{item.id:05d}",
        amount_fen=52_000_000,
        start_on=start or local_date(app_clock.now()),
        notice_doc_no="沪公(浦)冻通[2026]12号",
        period_months=months,
        major_case=major,
        **kwargs,
    )
    db.session.commit()
    return order


def expired_freeze(item, days_ago=200):
    """A 6-month freeze recorded while it held, started ``days_ago`` days back: time has run out on it
    (creating one already expired is refused)."""
    order = freeze(item)
    start = local_date(app_clock.now()) - timedelta(days=days_ago)
    db.session.execute(
        update(FreezeOrder)
        .where(FreezeOrder.id == order.id)
        .values(start_on=start, expires_on=freeze_expiry(start, 6))
    )
    db.session.commit()
    db.session.refresh(order)
    return order
