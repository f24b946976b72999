"""Freezes as the law sets them (issue 12 §3 "Freezes"), one test per rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custody.domain import clock as app_clock
from custody.domain.cases import CaseOrigin
from custody.domain.enums import ExternalKind, ItemCategory, Measure
from custody.domain.errors import Conflict, InvalidInput
from custody.domain.lifecycle import ApprovalLevel, FreezeAssetType, FreezeStatus, freeze_expiry
from custody.extensions import db
from custody.services import cases, freezes

from ..factories import act, open_case, register


def frozen(case, category=ItemCategory.BANK_ACCOUNT, username="police_officer", details=None):
    details = details or {"bank": "工商银行浦东分行", "account_no": "6222021001122334455"}
    return register(
        case,
        name="冻结财产",
        category=category,
        measure=Measure.FROZEN,
        details=details,
        external_kind=ExternalKind.BANK,
        external_place="开户机构",
        username=username,
    )


def freeze(item, username="police_officer", account_no="6222021001122334455", **kwargs):
    kwargs.setdefault("asset_type", FreezeAssetType.DEPOSIT)
    order = freezes.create_freeze(
        db.session,
        act(username),
        item_id=item.id,
        institution="工商银行浦东分行",
        account_no=account_no,
        amount_fen=1_000_000,
        start_on=kwargs.pop("start_on", app_clock.today()),
        notice_doc_no=kwargs.pop("notice_doc_no", "协助冻结通知书 1"),
        **kwargs,
    )
    db.session.commit()
    return order


def test_the_freeze_ends_on_the_date_on_the_institutions_receipt(app):
    """The receipt's end date is the freeze's end; the computed one is only the suggestion."""
    item = frozen(open_case())
    start = app_clock.today()
    receipt = freeze_expiry(start, 6) - timedelta(days=3)
    order = freeze(item, receipt_end_on=receipt)
    assert order.expires_on == receipt
    assert order.receipt_end_on == receipt
    with pytest.raises(InvalidInput) as outside:
        freeze(frozen(open_case()), account_no="1111222233334444", receipt_end_on=start + timedelta(days=400))
    assert outside.value.code == "freeze.receipt_end"


def test_futures_margin_and_investment_rights_can_be_frozen(app):
    """程序规定 237, 243, 245: 期货保证金 (6 months, major 1 year), 投资权益 (6 months)."""
    margin = freeze(
        frozen(
            open_case(),
            category=ItemCategory.SECURITIES,
            details={"institution": "某期货公司", "account_no": "F1"},
        ),
        account_no="F1",
        asset_type=FreezeAssetType.FUTURES_MARGIN,
    )
    rights = freeze(
        frozen(open_case(), category=ItemCategory.EQUITY, details={"company": "某投资合伙企业"}),
        account_no="LP-1",
        asset_type=FreezeAssetType.INVESTMENT_RIGHTS,
        approval_level=ApprovalLevel.CITY,
    )
    assert margin.period_months == 6
    assert rights.period_months == 6


def test_the_one_year_period_of_a_major_case_records_its_approver(app):
    """程序规定 243 ¶2: 经设区的市一级以上公安机关负责人批准 ... 可以为一年."""
    item = frozen(open_case())
    with pytest.raises(InvalidInput) as unnamed:
        freeze(item, major_case=True, period_months=12)
    assert "major_case_approval" in unnamed.value.fields
    db.session.rollback()
    with pytest.raises(InvalidInput) as too_low:
        freeze(item, major_case=True, period_months=12, major_case_approval="局长批准")
    assert too_low.value.code == "freeze.approval_level"
    db.session.rollback()
    order = freeze(
        item,
        major_case=True,
        period_months=12,
        major_case_approval="市局副局长批准 2026-3",
        approval_level=ApprovalLevel.CITY,
    )
    assert order.period_months == 12
    assert order.major_case_approval == "市局副局长批准 2026-3"


def test_equity_needs_a_city_head_and_listed_equity_a_provincial_head(app):
    """程序规定 239 ¶2, ¶3."""
    item = frozen(open_case(), category=ItemCategory.EQUITY, details={"company": "某上市公司"})
    kwargs = {"asset_type": FreezeAssetType.EQUITY, "account_no": "EQ-1"}
    with pytest.raises(InvalidInput):
        freeze(item, **kwargs)
    db.session.rollback()
    with pytest.raises(InvalidInput):
        freeze(item, listed_company=True, approval_level=ApprovalLevel.CITY, **kwargs)
    db.session.rollback()
    assert freeze(item, listed_company=True, approval_level=ApprovalLevel.PROVINCE, **kwargs).listed_company


def test_the_notice_records_its_approval_scope_and_whether_interest_is_covered(app):
    """程序规定 239 ¶1: 账户名称、账户号码、冻结数额、冻结期限、冻结范围以及是否及于孳息."""
    order = freeze(
        frozen(open_case()), approved_by="分局副局长李某", covers_fruits=True, scope="账户内全部存款"
    )
    assert order.approved_by == "分局副局长李某"
    assert order.covers_fruits
    assert order.scope == "账户内全部存款"
    plain = freeze(frozen(open_case()), account_no="9999888877776666", notice_doc_no="协助冻结通知书 2")
    assert plain.approved_by == "见协助冻结通知书 协助冻结通知书 2"  # the notice evidences the approval


def test_a_court_freezes_deposits_for_up_to_a_year_under_its_own_limits(app):
    """民诉法解释 485 via 2021解释 450: deposits 1 year, other property rights 3 years."""
    case = cases.open_case(
        db.session,
        act("judge"),
        origin=CaseOrigin.PRIVATE_PROSECUTION,
        case_no="(2026)沪0115刑初冻1号",
        title="自诉案",
        filed_on=app_clock.today() - timedelta(days=3),
    )
    db.session.commit()
    account = frozen(case, username="judge")
    order = freeze(account, username="judge", period_months=12)
    assert order.period_months == 12
    assert order.expires_on == freeze_expiry(order.start_on, 12)
    with pytest.raises(InvalidInput):
        freeze(frozen(case, username="judge"), username="judge", account_no="5555", period_months=13)
    db.session.rollback()
    shares = frozen(
        case,
        category=ItemCategory.SECURITIES,
        username="judge",
        details={"institution": "某证券", "account_no": "S1"},
    )
    assert (
        freeze(
            shares, username="judge", account_no="S1", asset_type=FreezeAssetType.STOCKS, period_months=36
        ).period_months
        == 36
    )


def test_an_account_already_frozen_is_not_frozen_again_but_a_queued_freeze_waits_its_turn(app):
    """刑事诉讼法 144 ¶2 (不得重复冻结), 程序规定 242 (可以轮候冻结): recorded with its priority."""
    first = freeze(frozen(open_case()))
    other_case_item = frozen(open_case())
    with pytest.raises(Conflict) as duplicate:
        freeze(other_case_item, notice_doc_no="协助冻结通知书 9")
    assert duplicate.value.code == "freeze.duplicate"
    db.session.rollback()
    queued = freeze(other_case_item, notice_doc_no="协助冻结通知书 9", queued=True)
    assert queued.status is FreezeStatus.QUEUED
    assert queued.queue_position == 2
    with pytest.raises(Conflict):
        freezes.activate_queued(db.session, act("police_officer"), queued.id, start_on=app_clock.today())
    db.session.rollback()
    freezes.release_freeze(db.session, act("police_officer"), first.id, doc_no="解除冻结通知书 1")
    freezes.activate_queued(db.session, act("police_officer"), queued.id, start_on=app_clock.today())
    db.session.commit()
    assert queued.status is FreezeStatus.ACTIVE
    assert queued.queue_position is None
