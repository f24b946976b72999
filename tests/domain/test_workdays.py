"""刑诉法 105 ¶4 and 2021解释 202 as pure rules: fixed calendar dates in, dates out (no "now")."""

from __future__ import annotations

from datetime import date

from custody.domain.deadlines import add_legal_months, legal_due
from custody.domain.workdays import DayKind, Override, WorkCalendar, library_knows_year, shift_last_day


def test_a_period_whose_last_day_is_a_holiday_ends_on_the_first_working_day_after_it():
    # National Day 2026: 1–7 October off, Saturday 10 October worked (State Council arrangement).
    shift = shift_last_day(date(2026, 10, 1), WorkCalendar())
    assert shift is not None
    assert shift.new_last_day == date(2026, 10, 8)
    assert "国庆节" in shift.reasons


def test_a_tiaoxiu_working_weekend_is_a_working_day_and_an_ordinary_weekend_is_not():
    calendar = WorkCalendar()
    assert shift_last_day(date(2026, 10, 10), calendar) is None  # Saturday, worked (调休)
    weekend = shift_last_day(date(2026, 10, 17), calendar)
    assert weekend is not None
    assert weekend.new_last_day == date(2026, 10, 19)


def test_an_override_makes_a_day_off_or_a_working_day_whatever_the_package_says():
    calendar = WorkCalendar(
        {
            date(2026, 10, 19): Override(DayKind.HOLIDAY, "临时休息日"),
            date(2026, 10, 17): Override(DayKind.WORKDAY, "补班"),
        }
    )
    assert shift_last_day(date(2026, 10, 17), calendar) is None
    shift = shift_last_day(date(2026, 10, 19), calendar)
    assert shift is not None
    assert shift.new_last_day == date(2026, 10, 20)
    assert shift.reasons == ("临时休息日",)


def test_without_a_calendar_no_period_moves():
    assert shift_last_day(date(2026, 10, 1), None) is None
    assert legal_due(date(2026, 10, 1)).shift is None


def test_month_periods_across_month_ends_and_the_leap_day():
    """2021解释 202: to the same day; a start on the month's last day, or a missing day, maps to the
    target month's last day."""
    assert add_legal_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_legal_months(date(2028, 1, 29), 1) == date(2028, 2, 29)
    assert add_legal_months(date(2028, 2, 29), 1) == date(2028, 3, 31)  # the month's last day
    assert add_legal_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert add_legal_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_legal_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert add_legal_months(date(2027, 2, 28), 1) == date(2027, 3, 31)


def test_the_package_says_which_years_arrangement_it_carries():
    assert library_knows_year(2026)
    assert not library_knows_year(1999 + 1000)  # a far future year: statutory days only
