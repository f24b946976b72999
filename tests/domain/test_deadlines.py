"""The deadline engine at its boundaries, with an injected clock: one minute before, at, one minute after.

Every rule is checked at the opening of its warning window and at its due time. Times are written
in China time (the legal calendar) and compared as aware datetimes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from custody.domain import deadlines as d
from custody.domain.deadlines import (
    RULES,
    AlertRule,
    AlertState,
    AwaitingItem,
    CheckoutFacts,
    ClosureFacts,
    Facts,
    FreezeFacts,
    HeldGroup,
    JudgmentFacts,
    NoticeFacts,
    SupplementaryFacts,
    UnrelatedFacts,
)
from custody.domain.enums import Role
from custody.domain.lifecycle import FreezeAssetType, FreezeStatus, freeze_expiry, max_period_months

from .deadline_helpers import CASE, COURT, MINUTE, POLICE, assert_boundaries, cn

# -- counting periods ---------------------------------------------------------------------------


def test_days_start_the_next_day_and_end_at_midnight():
    assert d.due_after_days(date(2026, 3, 5), 3) == cn(2026, 3, 9, 0, 0)
    # a moment late in the evening still counts from the next day
    assert d.due_after_days(cn(2026, 3, 5, 23, 59), 3) == cn(2026, 3, 9, 0, 0)
    # the local date decides, not the UTC date (00:30 in Beijing is the previous day in UTC)
    assert d.due_after_days(cn(2026, 3, 6, 0, 30).astimezone(UTC), 3) == cn(2026, 3, 10, 0, 0)


@pytest.mark.parametrize(
    ("start", "months", "last_day"),
    [
        (date(2026, 3, 5), 1, date(2026, 4, 5)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # the same day does not exist: the month's last day
        (date(2028, 1, 30), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 4, 30), 1, date(2026, 5, 31)),  # a month's last day maps to the next month's last day
        (date(2026, 2, 28), 6, date(2026, 8, 31)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 7, 15), 6, date(2027, 1, 15)),
    ],
)
def test_months_run_to_the_same_day(start, months, last_day):
    assert d.add_legal_months(start, months) == last_day
    assert d.due_after_months(start, months) == d.end_of_local_day(last_day)


# -- across month ends, the year end and the leap day --------------------------------------------


@pytest.mark.parametrize(
    ("seized", "due"),
    [
        (cn(2028, 2, 28, 23, 30), cn(2028, 2, 29, 23, 30)),  # into the leap day
        (cn(2028, 2, 29, 10, 0), cn(2028, 3, 1, 10, 0)),  # out of it
        (cn(2026, 12, 31, 20, 0), cn(2027, 1, 1, 20, 0)),  # across the year end
        (cn(2026, 4, 30, 16, 30), cn(2026, 5, 1, 16, 30)),  # 16:30 in Beijing is 08:30 UTC, same dates
        (cn(2026, 5, 31, 7, 0), cn(2026, 6, 1, 7, 0)),  # before 08:00 the UTC date is the day before
    ],
)
def test_into_storage_24_hours_across_month_ends(seized, due):
    item = AwaitingItem(11, "PDGA-2026-000011", CASE, POLICE, seized)
    assert_boundaries(lambda now: d.into_storage([item], now), due, AlertRule.INTO_STORAGE)


@pytest.mark.parametrize(
    ("found_on", "due"),
    [
        (date(2028, 2, 27), cn(2028, 3, 2)),  # 28, 29 February and 1 March: the leap day counts
        (date(2027, 2, 26), cn(2027, 3, 2)),  # 27, 28 February, 1 March in a common year
        (date(2027, 1, 29), cn(2027, 2, 2)),  # 30, 31 January, 1 February
    ],
)
def test_unrelated_property_3_days_across_month_ends(found_on, due):
    finding = UnrelatedFacts(4, 11, "L", CASE, POLICE, found_on, released=False)
    assert_boundaries(lambda now: d.unrelated_release([finding], now), due, AlertRule.UNRELATED_RELEASE)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (cn(2028, 1, 31, 10, 0), cn(2028, 3, 1)),  # one month from 31 January ends on the leap day
        (cn(2030, 1, 31, 10, 0), cn(2030, 3, 1)),  # ... and on 28 February (a Thursday) in a common year
        (cn(2028, 1, 29, 7, 30), cn(2028, 3, 1)),  # 07:30 in Beijing is still the 28th in UTC
    ],
)
def test_supplementary_investigation_month_across_month_ends(received, due):
    facts = SupplementaryFacts(3, "YS-PDJC-2026-00003", CASE, POLICE, received, 1, ended=False)
    assert_boundaries(
        lambda now: d.supplementary_investigation([facts], now), due, AlertRule.SUPPLEMENTARY_INVESTIGATION
    )


def test_judge_needs_aware_times():
    with pytest.raises(ValueError):
        d.judge(datetime(2026, 1, 1), timedelta(0), datetime(2026, 1, 1, tzinfo=UTC))


# -- rule by rule -------------------------------------------------------------------------------


def test_into_storage_24_hours_after_seizure():
    seized = cn(2026, 3, 5, 14, 30)
    item = AwaitingItem(11, "PDGA-2026-000011", CASE, POLICE, seized)
    due = cn(2026, 3, 6, 14, 30)
    assert_boundaries(lambda now: d.into_storage([item], now), due, AlertRule.INTO_STORAGE)
    alert = d.into_storage([item], due + MINUTE)[0]
    assert alert.item_ids == (11,)
    assert alert.labels == ("PDGA-2026-000011",)
    assert alert.agency_id == POLICE
    assert alert.roles == {Role.OFFICER, Role.KEEPER}
    assert alert.case_id == 7
    assert alert.case_ref == CASE.case_ref


def test_unrelated_property_released_within_3_days():
    finding = UnrelatedFacts(4, 11, "PDGA-2026-000011", CASE, POLICE, date(2026, 3, 5), released=False)
    assert_boundaries(
        lambda now: d.unrelated_release([finding], now), cn(2026, 3, 9), AlertRule.UNRELATED_RELEASE
    )


def test_unrelated_property_once_released_raises_nothing():
    finding = UnrelatedFacts(4, 11, "L", CASE, POLICE, date(2026, 3, 5), released=True)
    assert d.unrelated_release([finding], cn(2026, 4, 1)) == []


def test_checkout_due_time():
    due = cn(2026, 3, 5, 17, 0)
    checkout = CheckoutFacts(5, "DY-PDGA-2026-00005", CASE, POLICE, due, True, ((11, "A"), (12, "B")))
    assert_boundaries(lambda now: d.checkout_returns([checkout], now), due, AlertRule.CHECKOUT_RETURN)
    alert = d.checkout_returns([checkout], due + MINUTE)[0]
    assert alert.item_ids == (11, 12)
    assert alert.record_type == "checkout"
    assert alert.record_ref == "DY-PDGA-2026-00005"


def test_checkout_returned_or_not_yet_released_raises_nothing():
    due = cn(2026, 3, 5, 17, 0)
    returned = CheckoutFacts(5, "DY", CASE, POLICE, due, True, ())
    approved_only = CheckoutFacts(6, "DY2", CASE, POLICE, due, False, ((11, "A"),))
    assert d.checkout_returns([returned, approved_only], due + timedelta(days=3)) == []


def test_checkout_extension_moves_the_due_time():
    due, extended = cn(2026, 3, 5, 17, 0), cn(2026, 3, 12, 17, 0)
    checkout = CheckoutFacts(5, "DY", CASE, POLICE, extended, True, ((11, "A"),))
    assert d.checkout_returns([checkout], due + MINUTE) == []
    assert_boundaries(lambda now: d.checkout_returns([checkout], now), extended, AlertRule.CHECKOUT_RETURN)


def _freeze(expires_on: date, status: FreezeStatus = FreezeStatus.ACTIVE, **kwargs) -> FreezeFacts:
    return FreezeFacts(
        9, 11, "PDGA-2026-000011", CASE, POLICE, FreezeAssetType.DEPOSIT, expires_on, status, **kwargs
    )


def test_freeze_renewal_window_and_lapse():
    freeze = _freeze(date(2026, 8, 31))  # holds through 31 August: lapses at midnight
    due = cn(2026, 9, 1, 0, 0)
    assert RULES[AlertRule.FREEZE_EXPIRY].window == timedelta(days=15)
    assert_boundaries(lambda now: d.freeze_expiry([freeze], now), due, AlertRule.FREEZE_EXPIRY)
    # the window opens 15 days before the lapse: from the start of 17 August
    assert d.freeze_expiry([freeze], cn(2026, 8, 16, 23, 59)) == []
    assert d.freeze_expiry([freeze], cn(2026, 8, 17, 0, 0))[0].state is AlertState.APPROACHING


@pytest.mark.parametrize("asset_type", list(FreezeAssetType))
@pytest.mark.parametrize("major_case", [False, True])
def test_freeze_expiry_per_asset_type(asset_type, major_case):
    """Deposits, remittances, brokerage funds 6 months (major cases 12); bonds, stocks, fund units
    24; equity and insurance 6 — the alert follows the period the freeze was recorded with."""
    start = date(2026, 3, 1)
    months = max_period_months(asset_type, major_case)
    expected = {FreezeAssetType.BONDS: 24, FreezeAssetType.STOCKS: 24, FreezeAssetType.FUND_UNITS: 24}.get(
        asset_type,
        12
        if major_case
        and asset_type
        in (
            FreezeAssetType.DEPOSIT,
            FreezeAssetType.REMITTANCE,
            FreezeAssetType.BROKERAGE_FUNDS,
            FreezeAssetType.FUTURES_MARGIN,  # 程序规定 243
        )
        else 6,
    )
    assert months == expected
    expires_on = freeze_expiry(start, months)
    assert expires_on == d.add_legal_months(start, months) - timedelta(days=1)
    freeze = FreezeFacts(9, 11, "L", CASE, POLICE, asset_type, expires_on, FreezeStatus.ACTIVE)
    assert_boundaries(
        lambda now: d.freeze_expiry([freeze], now), d.end_of_local_day(expires_on), AlertRule.FREEZE_EXPIRY
    )


def test_a_renewal_before_expiry_moves_the_clock():
    """Renewed on 20 August for 6 more months: the alert that was approaching disappears, and comes
    back 15 days before the new last day."""
    old_expiry = date(2026, 8, 31)
    renewed = _freeze(freeze_expiry(old_expiry + timedelta(days=1), 6), renewals=1)
    assert renewed.expires_on == date(2027, 2, 28)
    assert d.freeze_expiry([_freeze(old_expiry)], cn(2026, 8, 20, 9, 0))[0].state is AlertState.APPROACHING
    assert d.freeze_expiry([renewed], cn(2026, 8, 20, 9, 0)) == []
    assert d.freeze_expiry([renewed], cn(2026, 9, 1, 0, 1)) == []
    assert_boundaries(lambda now: d.freeze_expiry([renewed], now), cn(2027, 3, 1), AlertRule.FREEZE_EXPIRY)


def test_a_lapsed_freeze_keeps_alerting_until_replaced_or_disposed():
    lapsed = _freeze(date(2026, 8, 31), FreezeStatus.LAPSED)
    long_after = cn(2027, 1, 1)
    [alert] = d.freeze_expiry([lapsed], long_after)
    assert alert.overdue
    assert alert.detail["expires_on"] == date(2026, 8, 31)
    assert (
        d.freeze_expiry([_freeze(date(2026, 8, 31), FreezeStatus.LAPSED, superseded=True)], long_after) == []
    )
    assert (
        d.freeze_expiry([_freeze(date(2026, 8, 31), FreezeStatus.LAPSED, item_disposed=True)], long_after)
        == []
    )
    assert d.freeze_expiry([_freeze(date(2026, 8, 31), FreezeStatus.RELEASED)], cn(2026, 8, 30)) == []


def test_supplementary_investigation_one_month_from_receipt():
    received = cn(2026, 3, 5, 10, 0)
    facts = SupplementaryFacts(3, "YS-PDJC-2026-00003", CASE, POLICE, received, 1, ended=False)
    assert_boundaries(
        lambda now: d.supplementary_investigation([facts], now),
        cn(2026, 4, 6),
        AlertRule.SUPPLEMENTARY_INVESTIGATION,
    )
    ended = SupplementaryFacts(3, "YS", CASE, POLICE, received, 1, ended=True)
    assert d.supplementary_investigation([ended], cn(2026, 5, 1)) == []


def test_court_execution_six_months_per_holding_agency():
    judgment = JudgmentFacts(
        2,
        "(2026)沪0115刑初1号",
        CASE,
        date(2026, 3, 5),
        (HeldGroup(COURT, ((11, "A"), (12, "B"))), HeldGroup(POLICE, ((13, "C"),))),
    )
    due = cn(2026, 9, 6)
    window = RULES[AlertRule.COURT_EXECUTION].window
    assert [a.state for a in d.court_execution([judgment], due - window - MINUTE)] == []
    assert [a.state for a in d.court_execution([judgment], due - window)] == [AlertState.APPROACHING] * 2
    assert [a.state for a in d.court_execution([judgment], due)] == [AlertState.APPROACHING] * 2
    late = d.court_execution([judgment], due + MINUTE)
    assert [(a.agency_id, a.item_ids, a.state) for a in late] == [
        (COURT, (11, 12), AlertState.OVERDUE),
        (POLICE, (13,), AlertState.OVERDUE),
    ]
    single = JudgmentFacts(2, "J", CASE, date(2026, 3, 5), (HeldGroup(COURT, ((11, "A"),)),))
    assert_boundaries(lambda now: d.court_execution([single], now), due, AlertRule.COURT_EXECUTION)
    assert d.court_execution([JudgmentFacts(2, "J", CASE, date(2026, 3, 5), ())], due + MINUTE) == []


def test_unclaimed_property_six_months_after_notice():
    notice = NoticeFacts(
        1, "GG-PDGA-2026-00001", 11, "L", CASE, POLICE, date(2026, 2, 28), item_disposed=False
    )
    assert_boundaries(
        lambda now: d.unclaimed_property([notice], now), cn(2026, 9, 1), AlertRule.UNCLAIMED_PROPERTY
    )
    disposed = NoticeFacts(1, "GG", 11, "L", CASE, POLICE, date(2026, 2, 28), item_disposed=True)
    assert d.unclaimed_property([disposed], cn(2027, 1, 1)) == []


def test_items_held_after_close_are_overdue_after_the_grace_period():
    """[DESIGN] the law's "及时" sets no period: a configurable grace, not one minute after closing."""
    closed_at = cn(2026, 3, 5, 16, 0)
    closure = ClosureFacts(1, CASE, closed_at, (HeldGroup(POLICE, ((11, "A"),)),))
    assert RULES[AlertRule.HELD_AFTER_CLOSE].window == timedelta(0)
    grace = timedelta(days=10)
    due = closed_at + grace
    assert d.held_after_close([closure], closed_at + MINUTE, grace) == []
    assert_boundaries(lambda now: d.held_after_close([closure], now, grace), due, AlertRule.HELD_AFTER_CLOSE)
    assert d.held_after_close([ClosureFacts(1, CASE, closed_at, ())], due + MINUTE, grace) == []
    assert d.held_after_close([closure], closed_at + d.DEFAULT_CLOSE_GRACE + MINUTE)[0].overdue


def test_evaluate_sorts_overdue_first_then_by_due_time():
    now = cn(2026, 3, 10, 12, 0)
    facts = Facts(
        awaiting=[
            AwaitingItem(1, "A", CASE, POLICE, now - timedelta(hours=20)),  # approaching
            AwaitingItem(2, "B", CASE, POLICE, now - timedelta(hours=30)),  # overdue
            AwaitingItem(3, "C", CASE, POLICE, now - timedelta(hours=1)),
        ],  # not yet
        checkouts=[CheckoutFacts(5, "DY", CASE, POLICE, now - timedelta(days=2), True, ((4, "D"),))],
    )
    alerts = d.evaluate(facts, now)
    assert [(a.labels, a.state) for a in alerts] == [
        (("D",), AlertState.OVERDUE),
        (("B",), AlertState.OVERDUE),
        (("A",), AlertState.APPROACHING),
    ]
    assert len({a.key for a in alerts}) == 3


def test_who_sees_an_alert():
    alert = d.into_storage([AwaitingItem(1, "A", CASE, POLICE, cn(2026, 3, 1))], cn(2026, 3, 10))[0]
    assert d.visible_to(alert, agency_id=POLICE, roles=frozenset({Role.OFFICER}))
    assert d.visible_to(alert, agency_id=POLICE, roles=frozenset({Role.KEEPER}))
    assert d.visible_to(alert, agency_id=POLICE, roles=frozenset({Role.APPROVER}))  # supervises
    assert not d.visible_to(alert, agency_id=COURT, roles=frozenset({Role.OFFICER}))
    assert d.visible_to(alert, agency_id=COURT, roles=frozenset({Role.AUDITOR}))
    unrelated = d.unrelated_release(
        [UnrelatedFacts(1, 1, "A", CASE, POLICE, date(2026, 3, 1), False)], cn(2026, 3, 10)
    )[0]
    assert not d.visible_to(unrelated, agency_id=POLICE, roles=frozenset({Role.KEEPER}))
