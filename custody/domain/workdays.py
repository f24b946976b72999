"""Working days in China and the holiday rule for legal periods [LAW 刑事诉讼法 art. 105 ¶4].

“期间的最后一日为节假日的，以节假日后的第一日为期满日期……” — a period whose last day falls on a
holiday (a statutory holiday or a weekend that is not a 调休 working day) ends on the first working day
after it. Which days are holidays and which weekends are worked is set each year by the State
Council (国务院办公厅关于部分节假日安排的通知); the ``holidays`` package keeps those arrangements
(statutory holidays, bridge days off and 调休 working weekends) offline. An administrator's override
table (``CalendarOverride``) corrects or completes it — e.g. for a year whose notice was published
after the installed version of the package.

Pure: no Flask, no session. The service layer builds a ``WorkCalendar`` from the package and the
overrides and passes it to the deadline engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays

from .enums import LabelledEnum, register_labels
from .i18n import N_


class DayKind(LabelledEnum):
    HOLIDAY = "holiday"  # 放假 (statutory holiday, bridge day, or an extra day off)
    WORKDAY = "workday"  # 上班 (e.g. a 调休 weekend)


@dataclass(frozen=True)
class Override:
    kind: DayKind
    note: str = ""


@lru_cache(maxsize=64)
def _china(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year, language="zh_CN")


def library_knows_year(year: int) -> bool:
    """Whether the installed package carries the State Council's arrangement for ``year`` (its 调休
    working weekends), not only the statutory holidays it can compute for any year."""
    return any(day.year == year for day in _china(year).weekend_workdays)


@dataclass(frozen=True)
class WorkCalendar:
    """Working days: the package's China calendar, corrected by ``overrides`` (date → Override)."""

    overrides: Mapping[date, Override] = field(default_factory=dict)
    use_package: bool = True  # False: every day works unless overridden (the test suite's setting)

    def is_working_day(self, day: date) -> bool:
        override = self.overrides.get(day)
        if override is not None:
            return override.kind is DayKind.WORKDAY
        if not self.use_package:
            return True
        return bool(_china(day.year).is_working_day(day))

    def why_not_working(self, day: date) -> str:
        """What makes ``day`` a day off: the override's note, the holiday's name, or "weekend"."""
        override = self.overrides.get(day)
        if override is not None:
            return override.note or N_("Day off (calendar override)")
        name = _china(day.year).get(day)
        if name:
            return str(name)
        return N_("Weekend")

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        for _ in range(60):  # the longest Chinese holiday is far shorter; guard against bad overrides
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        return day


@dataclass(frozen=True)
class Shift:
    """A period's last day moved past a holiday: from ``last_day`` to ``new_last_day``, and why."""

    last_day: date
    new_last_day: date
    reasons: tuple[str, ...]  # what made each skipped day a day off


def shift_last_day(last_day: date, calendar: WorkCalendar | None) -> Shift | None:
    """[LAW] 刑事诉讼法 art. 105 ¶4: the first working day after a last day that is a holiday.
    None when no calendar is given or the last day is a working day."""
    if calendar is None or calendar.is_working_day(last_day):
        return None
    new_day = calendar.next_working_day(last_day)
    reasons: list[str] = []
    day = last_day
    while day < new_day:
        reason = calendar.why_not_working(day)
        if reason not in reasons:
            reasons.append(reason)
        day += timedelta(days=1)
    return Shift(last_day, new_day, tuple(reasons))


register_labels(
    [
        (DayKind.HOLIDAY, N_("Day off")),
        (DayKind.WORKDAY, N_("Working day")),
    ]
)
