"""Alerts from real records, and the milestones they hang on (judgment, closing, unrelated, notices)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custody.domain import clock as app_clock
from custody.domain.clock import local_date
from custody.domain.deadlines import AlertRule, AlertState, end_of_local_day
from custody.domain.enums import CaseStage, ItemCategory, TransferKind
from custody.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from custody.domain.lifecycle import CheckoutPurpose
from custody.extensions import db
from custody.services import checkouts, freezes, milestones
from custody.services.alerts import alerts_for, all_alerts, filter_alerts, summary
from custody.services.transfers import decide_lines, propose_transfer

from ..factories import act, agency, open_case, register, send_to_procuratorate, stored_items
from ..helpers import events
from ..lifecycle_helpers import freeze, frozen_account

MINUTE = timedelta(minutes=1)


def rules(alerts):
    return sorted((a.rule.value, a.state.value) for a in alerts)


def accept(transfer, ids, username="prosecutor", case_no="浦检刑诉[2026]12号"):
    decide_lines(db.session, act(username), transfer.id, ids, accept=True, case_no=case_no)
    db.session.commit()


def to_court(case, ids):
    accept(send_to_procuratorate(case, ids), ids)
    indictment = propose_transfer(
        db.session,
        act("prosecutor"),
        case_id=case.id,
        to_agency_id=agency("PDFY").id,
        kind=TransferKind.INDICTMENT,
        item_ids=ids,
    )
    db.session.commit()
    accept(indictment, ids, username="judge", case_no="(2026)沪0115刑初1号")


def test_into_storage_alert_goes_to_the_custodians_officers_keepers_and_approvers(app):
    case = open_case()
    item = register(case, seized_at=app_clock.now() - timedelta(hours=20))
    for username in ("police_officer", "police_keeper", "police_approver", "auditor"):
        assert rules(alerts_for(db.session, act(username))) == [("into_storage", "approaching")], username
    for username in ("prosecutor", "judge", "court_keeper", "admin"):
        assert alerts_for(db.session, act(username)) == [], username
    [alert] = alerts_for(db.session, act("police_officer"), now=item.seized_at + timedelta(hours=24) + MINUTE)
    assert alert.overdue
    assert alert.item_ids == (item.id,)
    assert alert.labels == (item.label_code,)
    assert alert.case_ref == case.police_case_no
    assert alert.agency_id == agency("PDGA").id
    assert alert.due_at == item.seized_at + timedelta(hours=24)


def test_checked_in_items_raise_no_storage_alert(app):
    stored_items(2)
    assert (
        filter_alerts(
            all_alerts(db.session, app_clock.now() + timedelta(days=2)), rule=AlertRule.INTO_STORAGE
        )
        == []
    )


def test_late_check_out_return(app):
    case, stored = stored_items(1)
    checkout = checkouts.request_checkout(
        db.session,
        act("police_officer"),
        item_ids=[stored[0].id],
        purpose=CheckoutPurpose.APPRAISAL,
        counterparty=checkouts.CounterpartyInput(name="鉴定中心"),
        due_at=app_clock.now() + timedelta(hours=48),
    )
    db.session.commit()
    checkouts.decide_checkout(db.session, act("police_approver"), checkout.id, approve=True)
    db.session.commit()
    assert (
        alerts_for(db.session, act("police_keeper"), now=checkout.due_at + MINUTE) == []
    )  # not released yet
    checkouts.release_checkout(db.session, act("police_keeper"), checkout.id)
    db.session.commit()
    assert alerts_for(db.session, act("police_keeper")) == []
    [late] = alerts_for(db.session, act("police_keeper"), now=checkout.due_at + MINUTE)
    assert late.rule is AlertRule.CHECKOUT_RETURN
    assert late.overdue
    assert late.record_ref == checkout.checkout_no
    checkouts.return_items(db.session, act("police_keeper"), checkout.id, condition="完好")
    db.session.commit()
    assert alerts_for(db.session, act("police_keeper"), now=checkout.due_at + MINUTE) == []


def test_freeze_renewal_window_renewal_and_lapse(app):
    case, item = frozen_account()
    today = local_date(app_clock.now())
    order = freeze(item, months=1, start=today - timedelta(days=20))
    due = end_of_local_day(order.expires_on)
    [alert] = alerts_for(db.session, act("police_officer"))
    assert alert.rule is AlertRule.FREEZE_EXPIRY
    assert alert.state is AlertState.APPROACHING
    assert alert.due_at == due
    assert alerts_for(db.session, act("police_keeper")) == []  # officers renew freezes

    freezes.renew_freeze(db.session, act("police_officer"), order.id, doc_no="续冻[2026]1号", period_months=6)
    db.session.commit()
    assert alerts_for(db.session, act("police_officer")) == []
    renewed_due = end_of_local_day(order.expires_on)
    [again] = alerts_for(db.session, act("police_officer"), now=renewed_due - timedelta(days=3))
    assert again.state is AlertState.APPROACHING
    assert again.detail["renewals"] == 1

    # Not renewed a second time: once the lapse is recorded, the alert stays overdue.
    freezes.record_lapses(db.session, now=renewed_due + MINUTE)
    db.session.commit()
    [lapsed] = alerts_for(db.session, act("police_officer"), now=renewed_due + timedelta(days=40))
    assert lapsed.overdue
    assert lapsed.record_id == order.id


def test_supplementary_investigation_month(app):
    case, stored = stored_items(1)
    ids = [stored[0].id]
    accept(send_to_procuratorate(case, ids), ids)
    back = propose_transfer(
        db.session,
        act("prosecutor"),
        case_id=case.id,
        to_agency_id=agency("PDGA").id,
        kind=TransferKind.SUPPLEMENTARY_INVESTIGATION,
        item_ids=[],
    )
    db.session.commit()
    assert (
        alerts_for(db.session, act("police_officer"), now=app_clock.now() + timedelta(days=40)) == []
    )  # not received
    accept(back, [], username="police_officer", case_no=None)
    db.session.refresh(back)
    month_later = app_clock.now() + timedelta(days=32)
    [alert] = filter_alerts(
        alerts_for(db.session, act("police_officer"), now=month_later),
        rule=AlertRule.SUPPLEMENTARY_INVESTIGATION,
    )
    assert alert.overdue
    assert alert.record_ref == back.transfer_no
    assert alert.detail["round"] == 1
    assert alert.agency_id == agency("PDGA").id
    assert (
        filter_alerts(
            alerts_for(db.session, act("prosecutor"), now=month_later),
            rule=AlertRule.SUPPLEMENTARY_INVESTIGATION,
        )
        == []
    )
    again = propose_transfer(
        db.session,
        act("police_officer"),
        case_id=case.id,
        to_agency_id=agency("PDJC").id,
        kind=TransferKind.PROSECUTION,
        item_ids=[],
    )
    db.session.commit()
    assert again.id
    assert (
        filter_alerts(all_alerts(db.session, month_later), rule=AlertRule.SUPPLEMENTARY_INVESTIGATION) == []
    )


def test_judgment_starts_the_six_month_execution_clock(app):
    case, stored = stored_items(2)
    ids = [i.id for i in stored]
    to_court(case, ids)
    with pytest.raises(PermissionDenied):
        milestones.record_judgment(
            db.session, act("prosecutor"), case.id, judgment_no="J", effective_on=local_date(app_clock.now())
        )
    db.session.rollback()
    with pytest.raises(InvalidInput):
        milestones.record_judgment(
            db.session,
            act("judge"),
            case.id,
            judgment_no="J",
            effective_on=local_date(app_clock.now()) + timedelta(days=1),
        )
    db.session.rollback()
    effective = local_date(app_clock.now()) - timedelta(days=1)
    judgment = milestones.record_judgment(
        db.session, act("judge"), case.id, judgment_no="(2026)沪0115刑初1号", effective_on=effective
    )
    db.session.commit()
    assert case.stage is CaseStage.EXECUTION
    [event] = events("case.judgment")
    assert event.data["held_items"] == 2
    assert event.data["after"] == {"stage": "execution", "handling_agency_id": case.handling_agency_id}
    with pytest.raises(Conflict):
        milestones.record_judgment(
            db.session, act("judge"), case.id, judgment_no="J2", effective_on=effective
        )
    db.session.rollback()
    assert alerts_for(db.session, act("judge")) == []
    [alert] = alerts_for(db.session, act("judge"), now=app_clock.now() + timedelta(days=190))
    assert alert.rule is AlertRule.COURT_EXECUTION
    assert alert.overdue
    assert set(alert.item_ids) == set(ids)
    assert alert.record_id == judgment.id
    assert alert.agency_id == agency("PDFY").id


def test_closing_the_case_with_items_held_alerts_after_the_grace_period(app):
    case, stored = stored_items(2)
    with pytest.raises(NotFound):  # not a case the procuratorate has seen
        milestones.close_case(db.session, act("prosecutor"), case.id, legal_basis="x", reason="y")
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        milestones.close_case(db.session, act("police_keeper"), case.id, legal_basis="x", reason="y")
    db.session.rollback()
    with pytest.raises(InvalidInput):
        milestones.close_case(db.session, act("police_officer"), case.id, legal_basis=" ", reason="撤案")
    db.session.rollback()
    closure = milestones.close_case(
        db.session,
        act("police_officer"),
        case.id,
        legal_basis="沪公(浦)撤字[2026]3号",
        reason="不应追究刑事责任，撤销案件",
    )
    db.session.commit()
    assert case.stage is CaseStage.CLOSED
    assert closure.previous_stage is CaseStage.INVESTIGATION
    [event] = events("case.close")
    assert event.data["held_items"] == 2
    assert alerts_for(db.session, act("police_keeper"), now=closure.closed_at + MINUTE) == []  # 及时
    grace = timedelta(days=app.config["CUSTODY_HELD_AFTER_CLOSE_GRACE_DAYS"])
    [alert] = alerts_for(db.session, act("police_keeper"), now=closure.closed_at + grace + MINUTE)
    assert alert.rule is AlertRule.HELD_AFTER_CLOSE
    assert alert.overdue
    assert len(alert.item_ids) == 2
    with pytest.raises(Conflict):
        milestones.close_case(db.session, act("police_officer"), case.id, legal_basis="x", reason="y")


def test_closing_is_refused_while_a_transfer_is_pending(app):
    case, stored = stored_items(1)
    send_to_procuratorate(case, [stored[0].id])
    with pytest.raises(Conflict) as refused:
        milestones.close_case(db.session, act("police_officer"), case.id, legal_basis="x", reason="y")
    assert refused.value.code == "case.transfer_pending"


def test_unrelated_item_must_be_released_within_three_days(app):
    case, item = frozen_account()
    order = freeze(item)
    today = local_date(app_clock.now())
    with pytest.raises(PermissionDenied):
        milestones.mark_unrelated(db.session, act("police_keeper"), item.id, found_on=today, reason="x")
    db.session.rollback()
    finding = milestones.mark_unrelated(
        db.session,
        act("police_officer"),
        item.id,
        found_on=today,
        reason="经查账户资金系合法收入",
        decision_doc_no="沪公(浦)解冻[2026]1号",
    )
    db.session.commit()
    due = end_of_local_day(today + timedelta(days=3))
    assert (
        filter_alerts(alerts_for(db.session, act("police_officer")), rule=AlertRule.UNRELATED_RELEASE) == []
    )
    [alert] = filter_alerts(
        alerts_for(db.session, act("police_officer"), now=due - timedelta(hours=1)),
        rule=AlertRule.UNRELATED_RELEASE,
    )
    assert alert.due_at == due
    assert alert.state is AlertState.APPROACHING
    assert alert.record_id == finding.id
    late = filter_alerts(
        alerts_for(db.session, act("police_officer"), now=due + MINUTE), rule=AlertRule.UNRELATED_RELEASE
    )
    assert [a.overdue for a in late] == [True]
    with pytest.raises(Conflict):
        milestones.mark_unrelated(db.session, act("police_officer"), item.id, found_on=today, reason="again")
    db.session.rollback()
    freezes.release_freeze(db.session, act("police_officer"), order.id, doc_no="解除冻结[2026]1号")
    db.session.commit()
    assert (
        filter_alerts(
            alerts_for(db.session, act("police_officer"), now=app_clock.now() + timedelta(days=10)),
            rule=AlertRule.UNRELATED_RELEASE,
        )
        == []
    )
    assert [e.action for e in events(item_id=item.id)][-2:] == ["item.unrelated", "freeze.release"]


def test_public_notice_six_months(app):
    case = open_case()
    items = [register(case, name=f"无主物品{n}", category=ItemCategory.GOODS) for n in range(2)]
    published = local_date(app_clock.now()) - timedelta(days=1)
    notice = milestones.publish_notice(
        db.session,
        act("police_officer"),
        item_ids=[i.id for i in items],
        published_on=published,
        medium="浦东公安分局门户网站",
    )
    db.session.commit()
    assert notice.notice_no.startswith("GG-PDGA-")
    assert len(notice.lines) == 2
    late = app_clock.now() + timedelta(days=200)
    found = filter_alerts(
        alerts_for(db.session, act("police_officer"), now=late), rule=AlertRule.UNCLAIMED_PROPERTY
    )
    assert len(found) == 2
    assert all(a.overdue and a.record_ref == notice.notice_no for a in found)
    # (the exact boundaries are covered in tests/domain/test_deadlines.py)
    with pytest.raises(PermissionDenied):
        milestones.publish_notice(
            db.session, act("police_keeper"), item_ids=[items[0].id], published_on=published, medium="x"
        )


def test_summary_counts_every_rule(app):
    case = open_case()
    register(case, seized_at=app_clock.now() - timedelta(hours=30))
    counts = summary(alerts_for(db.session, act("auditor")))
    assert counts["into_storage"] == {"overdue": 1, "approaching": 0}
    assert set(counts) == {r.value for r in AlertRule}
