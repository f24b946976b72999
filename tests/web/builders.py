"""Builders shared by the page tests: records in the states the pages show (check-outs, disposals, freezes, spot checks)."""

from __future__ import annotations

from datetime import timedelta

from custody.domain import clock as app_clock
from custody.domain.clock import local_date
from custody.domain.enums import ExternalKind, ItemCategory, Measure
from custody.domain.lifecycle import CheckoutPurpose, FreezeAssetType
from custody.extensions import db
from custody.models.oversight import SpotCheck
from custody.services import checkouts, dispositions, freezes, storage

from ..factories import act, location, open_case, photo, register
from ..helpers import fresh
from .ui import client_for, post, text

LAB = checkouts.CounterpartyInput(
    name="钱工", kind=checkouts.CounterpartyKind.LAB, organisation="市公安局物证鉴定中心"
)


def requested_checkout(item_ids, username: str = "police_officer"):
    checkout = checkouts.request_checkout(
        db.session,
        act(username),
        item_ids=item_ids,
        purpose=CheckoutPurpose.APPRAISAL,
        counterparty=LAB,
        due_at=app_clock.now() + timedelta(days=2),
        note="送检比对",
    )
    db.session.commit()
    return checkout


def released_checkout(item_ids):
    checkout = requested_checkout(item_ids)
    checkouts.decide_checkout(db.session, act("police_approver"), checkout.id, approve=True)
    checkouts.release_checkout(db.session, act("police_keeper"), checkout.id, released_to="钱工")
    db.session.commit()
    return checkout


JUDGMENT = "(2026)沪0115刑初88号刑事判决书"


def documented_ring(case):
    """A victim's ring: ownership clear, valued, photographed, stored — ready for pre-trial return."""
    ring = register(
        case,
        name="钻石戒指",
        category=ItemCategory.VALUABLES,
        owner_name="受害人王某",
        owner_id_no="310115198808081234",
        ownership_clear=True,
        estimated_value_fen=2_500_000,
    )
    photo(ring)
    storage.check_in(db.session, act("police_keeper"), ring.id, location_id=location("R2-S1-01").id)
    db.session.commit()
    return ring


def approved_disposition(item_ids, kind, **kwargs):
    disposition = dispositions.propose_disposition(
        db.session, act("police_officer"), item_ids=item_ids, kind=kind, **kwargs
    )
    dispositions.decide_disposition(db.session, act("police_approver"), disposition.id, approve=True)
    db.session.commit()
    return disposition


ACCOUNT = {
    "bank": "中国工商银行上海浦东分行",
    "account_no": "6222021001122334455",
    "account_name": "张某",
    "amount_fen": 52_000_000,
}


def frozen_account(case=None):
    case = case or open_case()
    return register(
        case,
        name="张某工行账户存款",
        category=ItemCategory.BANK_ACCOUNT,
        measure=Measure.FROZEN,
        details=ACCOUNT,
        external_kind=ExternalKind.BANK,
        external_place="工商银行浦东分行",
        measure_doc_no="沪公(浦)冻通[2026]12号",
    )


def freeze_of(account, start_days_ago: int = 0):
    order = freezes.create_freeze(
        db.session,
        act("police_officer"),
        item_id=account.id,
        asset_type=FreezeAssetType.DEPOSIT,
        institution="工商银行浦东分行",
        account_no=account.details["account_no"],
        amount_fen=10_000,
        start_on=local_date(app_clock.now()) - timedelta(days=start_days_ago),
        notice_doc_no="冻通 1号",
    )
    db.session.commit()
    return order


def _draw(app, size: int = 2) -> SpotCheck:
    auditor = client_for(app, "auditor")
    drawn = post(
        auditor,
        "/oversight/spot-checks",
        {"size": size, "custodian_agency_id": "", "category": "", "location_id": ""},
    )
    assert drawn.status_code == 302, text(drawn)[:2000]
    fresh()
    return db.session.query(SpotCheck).one()
