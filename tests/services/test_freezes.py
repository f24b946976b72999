"""冻结 at the service layer: legal periods, renewal before expiry, lapse, release, following custody."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from custody.domain.clock import local_date
from custody.domain.enums import ExternalKind, ItemCategory, Measure
from custody.domain.errors import Conflict, InvalidInput, PermissionDenied
from custody.domain.lifecycle import (
    FreezeAssetType,
    FreezeStatus,
    add_months,
    freeze_expiry,
    freeze_status_on,
)
from custody.extensions import db
from custody.orm import utcnow
from custody.services import freezes
from custody.services.transfers import decide_lines

from ..factories import act, open_case, register, send_to_procuratorate
from ..helpers import events

ACCOUNT = {"bank": "中国工商银行上海浦东分行", "account_no": "6222021001122334455", "account_name": "张某"}


def frozen_account(case=None):  # noqa: ANN001, ANN201
    case = case or open_case()
    return case, register(case, name="张某工行账户存款", category=ItemCategory.BANK_ACCOUNT, measure=Measure.FROZEN,
                          details=ACCOUNT, external_kind=ExternalKind.BANK, external_place="工商银行浦东分行")


def freeze(item, months=None, start=None, major=False, asset=FreezeAssetType.DEPOSIT, username="police_officer"):  # noqa: ANN001, ANN201
    order = freezes.create_freeze(
        db.session, act(username), item_id=item.id, asset_type=asset, institution="工商银行浦东分行",
        account_no=ACCOUNT["account_no"], amount_fen=52_000_000, start_on=start or local_date(utcnow()),
        notice_doc_no="沪公(浦)冻通[2026]12号", period_months=months, major_case=major)
    db.session.commit()
    return order


def test_periods_follow_the_law():
    assert freeze_expiry(date(2026, 3, 1), 6) == date(2026, 8, 31)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert freeze_status_on(FreezeStatus.ACTIVE, date(2026, 8, 31), date(2026, 8, 31)) is FreezeStatus.ACTIVE
    assert freeze_status_on(FreezeStatus.ACTIVE, date(2026, 8, 31), date(2026, 9, 1)) is FreezeStatus.LAPSED


def test_freeze_defaults_to_and_is_capped_by_the_legal_period(app):
    case, account = frozen_account()
    order = freeze(account)
    assert order.period_months == 6 and order.expires_on == freeze_expiry(order.start_on, 6)
    assert events("freeze.create", item_id=account.id)[0].data["amount_fen"] == 52_000_000
    _, other = frozen_account(case)
    with pytest.raises(InvalidInput) as too_long:
        freeze(other, months=7)
    assert too_long.value.code == "freeze.period_too_long"
    assert freeze(other, months=12, major=True).period_months == 12  # major cases: deposits up to a year
    with pytest.raises(InvalidInput):
        freeze(other, asset=FreezeAssetType.STOCKS)  # a bank account holds no stocks


def test_only_frozen_accounts_take_a_freeze(app):
    case = open_case()
    phone = register(case)
    with pytest.raises(Conflict):
        freeze(phone)
    with pytest.raises(PermissionDenied):
        freeze(frozen_account(case)[1], username="police_keeper")


def test_renewal_before_expiry_extends_from_the_old_last_day(app):
    _, account = frozen_account()
    order = freeze(account, start=local_date(utcnow()) - timedelta(days=100))
    old = order.expires_on
    freezes.renew_freeze(db.session, act("police_officer"), order.id, doc_no="续冻通知书 2026-3", today=old)
    db.session.commit()
    assert order.expires_on == freeze_expiry(old + timedelta(days=1), 6)
    assert order.renewals[0].previous_expires_on == old
    with pytest.raises(InvalidInput):
        freezes.renew_freeze(db.session, act("police_officer"), order.id, doc_no=" ")


def test_renewal_after_expiry_is_refused_and_the_freeze_lapses(app):
    _, account = frozen_account()
    order = freeze(account, start=local_date(utcnow()) - timedelta(days=200))  # ran out about 17 days ago
    with pytest.raises(Conflict) as late:
        freezes.renew_freeze(db.session, act("police_officer"), order.id, doc_no="续冻")
    assert late.value.code == "freeze.lapsed"
    db.session.rollback()
    lapsed = freezes.record_lapses(db.session)
    db.session.commit()
    assert [f.id for f in lapsed] == [order.id] and order.status is FreezeStatus.LAPSED
    [event] = events("freeze.lapse", item_id=account.id)
    assert event.actor is None  # the system records it: the law ended the freeze, not a person
    assert freezes.record_lapses(db.session) == []
    with pytest.raises(Conflict):
        freezes.release_freeze(db.session, act("police_officer"), order.id, doc_no="解冻")


def test_release(app):
    _, account = frozen_account()
    order = freeze(account)
    freezes.release_freeze(db.session, act("police_officer"), order.id, doc_no="解除冻结通知书 1号", reason="撤案")
    db.session.commit()
    assert order.status is FreezeStatus.RELEASED
    with pytest.raises(Conflict):
        freezes.renew_freeze(db.session, act("police_officer"), order.id, doc_no="x")


def test_the_freeze_follows_custody_on_transfer(app):
    case, account = frozen_account()
    order = freeze(account)
    transfer = send_to_procuratorate(case, [account.id])
    decide_lines(db.session, act("prosecutor"), transfer.id, [account.id], accept=True, case_no="浦检[2026]8号")
    db.session.commit()
    with pytest.raises(PermissionDenied):
        freezes.renew_freeze(db.session, act("police_officer"), order.id, doc_no="续冻")
    freezes.renew_freeze(db.session, act("prosecutor"), order.id, doc_no="检察院续冻通知书")
    db.session.commit()
    assert events("freeze.renew", item_id=account.id)[0].actor["agency_code"] == "PDJC"


def test_lapse_freezes_command(app, runner):
    _, account = frozen_account()
    order = freeze(account, start=local_date(utcnow()) - timedelta(days=200))
    result = runner.invoke(args=["custody", "lapse-freezes"])
    assert result.exit_code == 0, result.output
    assert f"freeze {order.id}" in result.output and "1 freeze(s) lapsed." in result.output
    db.session.expire_all()
    assert db.session.get(type(order), order.id).status is FreezeStatus.LAPSED
