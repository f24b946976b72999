"""冻结 at the service layer: legal periods, renewal before expiry, lapse, release, following custody."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from custody.domain import clock as app_clock
from custody.domain.clock import local_date
from custody.domain.enums import DispositionKind
from custody.domain.errors import Conflict, InvalidInput, PermissionDenied
from custody.domain.lifecycle import (
    FreezeAssetType,
    FreezeStatus,
    add_months,
    check_freeze_not_expired,
    freeze_expiry,
    freeze_status_on,
)
from custody.extensions import db
from custody.services import dispositions, freezes
from custody.services.transfers import decide_lines

from ..factories import act, close_case, open_case, register, send_to_procuratorate
from ..helpers import events
from ..lifecycle_helpers import expired_freeze, freeze, frozen_account

# A start date about 5.5 months back: a 6-month freeze is then within its renewal window.
RENEWABLE_START_DAYS_AGO = 170


def renewable_start():
    return local_date(app_clock.now()) - timedelta(days=RENEWABLE_START_DAYS_AGO)


def test_periods_follow_the_law():
    assert freeze_expiry(date(2026, 3, 1), 6) == date(2026, 8, 31)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert freeze_status_on(FreezeStatus.ACTIVE, date(2026, 8, 31), date(2026, 8, 31)) is FreezeStatus.ACTIVE
    assert freeze_status_on(FreezeStatus.ACTIVE, date(2026, 8, 31), date(2026, 9, 1)) is FreezeStatus.LAPSED


def test_freeze_defaults_to_and_is_capped_by_the_legal_period(app):
    case, account = frozen_account()
    order = freeze(account)
    assert order.period_months == 6
    assert order.expires_on == freeze_expiry(order.start_on, 6)
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


def renew(order, today=None, **kwargs):
    result = freezes.renew_freeze(
        db.session,
        act("police_officer"),
        order.id,
        doc_no=kwargs.pop("doc_no", "续冻通知书 2026-3"),
        today=today,
        **kwargs,
    )
    db.session.commit()
    return result


def test_renewal_before_expiry_extends_from_the_old_last_day(app):
    _, account = frozen_account()
    order = freeze(account, start=local_date(app_clock.now()) - timedelta(days=100))
    old = order.expires_on
    renew(order, today=old)
    assert order.expires_on == freeze_expiry(old + timedelta(days=1), 6)
    assert order.renewals[0].previous_expires_on == old
    with pytest.raises(InvalidInput):
        freezes.renew_freeze(db.session, act("police_officer"), order.id, doc_no=" ", today=order.expires_on)


def test_renewal_is_allowed_any_time_before_the_last_day(app):
    """程序规定 art. 240: 在冻结期限届满前办理继续冻结手续 — no window: the day of the freeze, the last
    day; the day after, the freeze has lapsed."""
    case, _ = frozen_account()
    orders = [freeze(frozen_account(case)[1], start=renewable_start()) for _ in range(3)]
    last_day = orders[0].expires_on
    renewed_until = freeze_expiry(last_day + timedelta(days=1), 6)
    early, on_last_day, late = orders
    renew(early, today=local_date(app_clock.now()) - timedelta(days=RENEWABLE_START_DAYS_AGO))
    assert early.expires_on == renewed_until
    renew(on_last_day, today=last_day)  # the last day still counts
    assert on_last_day.expires_on == renewed_until
    with pytest.raises(Conflict) as lapsed:
        renew(late, today=last_day + timedelta(days=1))
    assert lapsed.value.code == "freeze.lapsed"


def test_each_renewal_runs_on_from_the_previous_end_for_at_most_the_same_period(app):
    _, account = frozen_account()
    order = freeze(account)
    first_last_day = order.expires_on
    renew(order)
    second_last_day = freeze_expiry(first_last_day + timedelta(days=1), 6)
    assert order.expires_on == second_last_day
    renew(order, doc_no="续冻通知书 2026-4")
    assert order.expires_on == freeze_expiry(second_last_day + timedelta(days=1), 6)
    with pytest.raises(InvalidInput):  # longer than the period allows
        freezes.renew_freeze(db.session, act("police_officer"), order.id, doc_no="x", period_months=7)


@pytest.mark.live_rows_diverge(reason="back-dates the freeze with a direct update (expired_freeze)")
def test_renewal_after_expiry_is_refused_and_the_freeze_lapses(app):
    _, account = frozen_account()
    order = expired_freeze(account)  # ran out about 17 days ago
    with pytest.raises(Conflict) as late:
        freezes.renew_freeze(db.session, act("police_officer"), order.id, doc_no="续冻")
    assert late.value.code == "freeze.lapsed"
    db.session.rollback()
    lapsed = freezes.record_lapses(db.session)
    db.session.commit()
    assert [f.id for f in lapsed] == [order.id]
    assert order.status is FreezeStatus.LAPSED
    [event] = events("freeze.lapse", item_id=account.id)
    assert event.actor is None  # the system records it: the law ended the freeze, not a person
    assert freezes.record_lapses(db.session) == []
    with pytest.raises(Conflict):
        freezes.release_freeze(db.session, act("police_officer"), order.id, doc_no="解冻")


def test_release(app):
    _, account = frozen_account()
    order = freeze(account)
    freezes.release_freeze(
        db.session, act("police_officer"), order.id, doc_no="解除冻结通知书 1号", reason="撤案"
    )
    db.session.commit()
    assert order.status is FreezeStatus.RELEASED
    with pytest.raises(Conflict) as released:
        freezes.renew_freeze(db.session, act("police_officer"), order.id, doc_no="x", today=order.expires_on)
    assert released.value.code == "freeze.released"


def test_a_disposed_item_accepts_no_freeze_action(app):
    case, account = frozen_account()
    order = freeze(account, start=renewable_start())
    close_case(case)
    disposal = dispositions.propose_disposition(
        db.session, act("police_officer"), item_ids=[account.id], kind=DispositionKind.CONFISCATE
    )
    dispositions.decide_disposition(db.session, act("police_approver"), disposal.id, approve=True)
    dispositions.execute_disposition(
        db.session, act("police_keeper"), disposal.id, receipt_no="国库缴款书 2026-1"
    )
    db.session.commit()
    for refused in (
        lambda: freezes.renew_freeze(db.session, act("police_officer"), order.id, doc_no="续冻"),
        lambda: freezes.release_freeze(db.session, act("police_officer"), order.id, doc_no="解冻"),
    ):
        with pytest.raises(Conflict) as disposed:
            refused()
        assert disposed.value.code == "item.disposed"
        assert disposed.value.status == 409
        db.session.rollback()
    assert events("freeze.renew", item_id=account.id) == []
    assert events("freeze.release", item_id=account.id) == []


def test_the_freeze_follows_custody_on_transfer(app):
    case, account = frozen_account()
    order = freeze(account, start=renewable_start())
    transfer = send_to_procuratorate(case, [account.id])
    decide_lines(
        db.session, act("prosecutor"), transfer.id, [account.id], accept=True, case_no="浦检[2026]8号"
    )
    db.session.commit()
    with pytest.raises(PermissionDenied):
        freezes.renew_freeze(db.session, act("police_officer"), order.id, doc_no="续冻")
    freezes.renew_freeze(db.session, act("prosecutor"), order.id, doc_no="检察院续冻通知书")
    db.session.commit()
    assert events("freeze.renew", item_id=account.id)[0].actor["agency_code"] == "PDJC"


@pytest.mark.live_rows_diverge(reason="back-dates the freeze with a direct update (expired_freeze)")
def test_lapse_freezes_command(app, runner):
    _, account = frozen_account()
    order = expired_freeze(account)
    result = runner.invoke(args=["custody", "lapse-freezes"])
    assert result.exit_code == 0, result.output
    assert f"freeze {order.id}" in result.output
    assert "1 freeze(s) lapsed." in result.output
    db.session.expire_all()
    assert db.session.get(type(order), order.id).status is FreezeStatus.LAPSED


def test_a_freeze_already_over_is_not_recorded(app):
    """Started 2020-01-01, a 6-month freeze ended on 2020-06-30: recording it now would create a
    freeze that lapsed at once (and an overdue alert)."""
    _, account = frozen_account()
    today = local_date(app_clock.now())
    for start, months in ((date(2020, 1, 1), None), (today - timedelta(days=40), 1)):
        with pytest.raises(InvalidInput) as over:
            freeze(account, start=start, months=months)
        assert over.value.code == "freeze.already_expired"
        assert over.value.status == 422
        assert "start_on" in over.value.fields
        db.session.rollback()
    assert over.value.params["last"] == freeze_expiry(today - timedelta(days=40), 1).isoformat()
    assert events("freeze.create", item_id=account.id) == []
    check_freeze_not_expired(today, today)  # its last day is today: it still holds
    with pytest.raises(InvalidInput):
        check_freeze_not_expired(today - timedelta(days=1), today)
    running = freeze(account, start=today - timedelta(days=20), months=1)
    assert freeze_status_on(running.status, running.expires_on, today) is FreezeStatus.ACTIVE
