"""The clocks the law really sets (issue 12 §3), at the service layer: holidays move a period's last
day, the 24-hour hand-over is the police's, sealed property stays in place, the case-closed grace, the
court's execution clocks. Every date derives from the pinned clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custody.domain import clock as app_clock
from custody.domain.clock import local_date
from custody.domain.deadlines import AlertRule, AlertState
from custody.domain.enums import ItemCategory, LocationState, Measure
from custody.domain.errors import Conflict, InvalidInput
from custody.domain.workdays import DayKind
from custody.extensions import db
from custody.services import alerts, calendar, milestones

from ..factories import act, agency, close_case, judge_case, open_case, register


def rule_alerts(rule, at=None):
    return [a for a in alerts.all_alerts(db.session, now=at or app_clock.now()) if a.rule is rule]


def make_working(day, note="补班"):
    calendar.set_override(db.session, None, day=day, kind=DayKind.WORKDAY, note=note)


def make_day_off(day, note="调休放假"):
    calendar.set_override(db.session, None, day=day, kind=DayKind.HOLIDAY, note=note)


def test_a_deadline_whose_last_day_is_a_holiday_moves_to_the_next_working_day_and_says_why(app):
    """刑诉法 105 ¶4 on the 3-day release: the last day is a day off → the first working day after."""
    case = open_case()
    item = register(case, category=ItemCategory.GOODS, name="手表")
    found_on = app_clock.today()
    last = found_on + timedelta(days=3)
    make_day_off(last, "国务院通知：放假")
    make_working(last + timedelta(days=1))
    db.session.commit()
    milestones.mark_unrelated(
        db.session, act("police_officer"), item.id, found_on=found_on, reason="与案件无关"
    )
    db.session.commit()
    [alert] = rule_alerts(AlertRule.UNRELATED_RELEASE, app_clock.now() + timedelta(days=4))
    assert local_date(alert.due_at - timedelta(minutes=1)) == last + timedelta(days=1)
    assert alert.detail["shifted_from"] == last
    assert alert.detail["shift_reasons"] == ["国务院通知：放假"]
    # On the holiday itself the release is not yet late.
    on_holiday = app_clock.now() + timedelta(days=3, hours=23)
    assert all(
        a.state is AlertState.APPROACHING for a in rule_alerts(AlertRule.UNRELATED_RELEASE, on_holiday)
    )


def test_an_override_is_refused_twice_for_one_day_and_needs_a_reason(app):
    day = app_clock.today() + timedelta(days=30)
    with pytest.raises(InvalidInput):
        calendar.set_override(db.session, None, day=day, kind=DayKind.HOLIDAY, note="")
    make_day_off(day)
    with pytest.raises(Conflict):
        make_day_off(day)
    db.session.rollback()


def test_with_the_state_councils_calendar_a_deadline_never_ends_on_a_day_off(app):
    """The package's arrangements (weekends, holidays, 调休 working days) applied for real: whatever
    today is, the 3-day release ends on a working day at or after the third day."""
    from custody.domain.workdays import WorkCalendar

    app.config["CUSTODY_HOLIDAY_CALENDAR"] = True
    case = open_case()
    item = register(case, category=ItemCategory.GOODS)
    found_on = app_clock.today()
    milestones.mark_unrelated(db.session, act("police_officer"), item.id, found_on=found_on, reason="无关")
    db.session.commit()
    [alert] = rule_alerts(AlertRule.UNRELATED_RELEASE, app_clock.now() + timedelta(days=30))
    last_day = local_date(alert.due_at - timedelta(minutes=1))
    package = WorkCalendar()
    assert last_day >= found_on + timedelta(days=3)
    assert package.is_working_day(last_day)
    skipped = [found_on + timedelta(days=n) for n in range(3, (last_day - found_on).days)]
    assert not any(package.is_working_day(day) for day in skipped)
    assert ("shifted_from" in alert.detail) == bool(skipped)


def test_the_24_hour_hand_over_is_the_polices_others_get_a_reminder_that_is_never_overdue(app):
    """公安部 2015 规定: police 24 hours; 检察院规则 668: the procuratorate "及时" (configurable)."""
    from custody.domain.cases import CaseOrigin
    from custody.services import cases

    police_case = open_case()
    register(police_case, category=ItemCategory.GOODS, seized_at=app_clock.now() - timedelta(hours=30))
    own = cases.open_case(
        db.session,
        act("prosecutor"),
        origin=CaseOrigin.PROCURATORATE_INVESTIGATION,
        case_no="浦检刑侦[2026]99号",
        title="自侦案",
        filed_on=app_clock.today() - timedelta(days=5),
    )
    db.session.commit()
    register(
        own,
        username="prosecutor",
        category=ItemCategory.GOODS,
        seized_at=app_clock.now() - timedelta(hours=30),
    )
    [police] = rule_alerts(AlertRule.INTO_STORAGE)
    assert police.overdue
    assert police.agency_id == agency("PDGA").id
    assert rule_alerts(AlertRule.INTO_STORAGE_TIMELY) == []  # 30 h < the 72 h reminder
    later = app_clock.now() + timedelta(days=30)
    [reminder] = rule_alerts(AlertRule.INTO_STORAGE_TIMELY, later)
    assert reminder.state is AlertState.APPROACHING
    assert reminder.agency_id == agency("PDJC").id
    assert [a.agency_id for a in rule_alerts(AlertRule.INTO_STORAGE, later)] == [agency("PDGA").id]


def test_sealed_real_estate_stays_in_place_with_its_registry_notice_and_no_check_in_alert(app):
    """程序规定 228 ¶2, 2021解释 437 ¶2: sealed in place; the registry's notice is recorded."""
    case = open_case()
    house = register(
        case,
        name="房产",
        category=ItemCategory.REAL_ESTATE,
        measure=Measure.SEALED,
        unit="套",
        details={
            "address": "上海市浦东新区某路1号",
            "registry": "浦东新区不动产登记事务中心",
            "registry_notice_no": "协助执行通知书 2026-12",
            "registry_notice_date": app_clock.today().isoformat(),
        },
        seized_at=app_clock.now() - timedelta(hours=48),
    )
    assert house.location_state is LocationState.EXTERNAL
    assert house.external_place == "上海市浦东新区某路1号"
    assert house.details["registry_notice_no"] == "协助执行通知书 2026-12"
    assert not [a for a in rule_alerts(AlertRule.INTO_STORAGE) if house.id in a.item_ids]
    with pytest.raises(InvalidInput):
        register(
            case,
            category=ItemCategory.REAL_ESTATE,
            measure=Measure.SEALED,
            details={"address": "x", "registry_notice_date": "明天"},
        )


def test_items_held_after_closing_alert_only_after_the_grace_period(app):
    """No period in the law ("及时"): a configurable grace (30 days by default), not one minute."""
    case = open_case()
    register(case, category=ItemCategory.GOODS)
    close_case(case)
    assert rule_alerts(AlertRule.HELD_AFTER_CLOSE, app_clock.now() + timedelta(days=1)) == []
    [late] = rule_alerts(AlertRule.HELD_AFTER_CLOSE, app_clock.now() + timedelta(days=31))
    assert late.overdue


def test_the_courts_execution_clocks_run_from_referral_execution_case_and_service(app):
    """2014规定 art. 3, 7; 2021解释 art. 447, 448."""
    case = open_case()
    register(case, category=ItemCategory.GOODS, name="赃物")  # held by the police, not sent to court
    judge_case(case)
    today = app_clock.today()
    court, police = agency("PDFY").id, agency("PDGA").id
    # The judgment is to be served on the police within 10 days.
    [service] = rule_alerts(AlertRule.JUDGMENT_SERVICE, app_clock.now() + timedelta(days=11))
    assert service.overdue
    assert service.agency_id == court
    milestones.record_execution(db.session, act("judge"), case.id, referred_on=today)
    db.session.commit()
    [filing] = rule_alerts(AlertRule.EXECUTION_FILING, app_clock.now() + timedelta(days=9))
    assert filing.overdue
    assert filing.agency_id == court
    with pytest.raises(InvalidInput):  # an extension needs the president's approval
        milestones.record_execution(
            db.session, act("judge"), case.id, extended_until=today + timedelta(days=300)
        )
    db.session.rollback()
    milestones.record_execution(
        db.session, act("judge"), case.id, execution_case_no="(2026)沪0115执1号", opened_on=today
    )
    milestones.record_service(db.session, act("judge"), case.id, holder_agency_id=police, served_on=today)
    milestones.record_service(
        db.session, act("judge"), case.id, institution="某银行浦东支行", served_on=today
    )
    db.session.commit()
    assert rule_alerts(AlertRule.EXECUTION_FILING, app_clock.now() + timedelta(days=9)) == []
    assert rule_alerts(AlertRule.JUDGMENT_SERVICE, app_clock.now() + timedelta(days=11)) == []
    receipts = rule_alerts(AlertRule.EXECUTION_RECEIPT, app_clock.now() + timedelta(days=20))
    # The bank's 15 days are over (the court chases it); the police's month is not yet.
    assert {(a.agency_id, a.state) for a in receipts} == {(court, AlertState.OVERDUE)}
    month = rule_alerts(AlertRule.EXECUTION_RECEIPT, app_clock.now() + timedelta(days=33))
    assert (police, AlertState.OVERDUE) in {(a.agency_id, a.state) for a in month}
    # Six months run from the execution case; the president may extend them.
    [execution] = rule_alerts(AlertRule.COURT_EXECUTION, app_clock.now() + timedelta(days=170))
    assert execution.detail["execution_opened_on"] == today
    milestones.record_execution(
        db.session,
        act("judge"),
        case.id,
        extended_until=today + timedelta(days=300),
        extension_approval="院长批准 2026-1",
    )
    db.session.commit()
    assert not [
        a for a in rule_alerts(AlertRule.COURT_EXECUTION, app_clock.now() + timedelta(days=200)) if a.overdue
    ]
