"""The application's one clock, and local calendar dates.

Every "now" the application uses comes from :func:`now` (``custody.orm.utcnow`` is the same
function): recorded_at of events, deadlines, token expiry, document dates. Nothing else in the
application reads the wall clock, and no database default (``now()``, ``CURRENT_TIMESTAMP``)
stands in for it. Tests pin it with :func:`use` (see ``tests/conftest.py``) and derive every date
from the pinned moment, so the suite passes on any day; CI also runs it with the process clock
moved (``faketime``) to prove nothing reads the wall clock around it.

China uses one time zone; legal dates (立案日期, document dates, deadlines' last days) are local.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Protocol
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The process clock (what production uses)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class PinnedClock:
    """A clock set to a chosen moment.

    By default it keeps running from that moment (``ticking``), so consecutive events still get
    increasing times, as they would in production; ``frozen`` stops it. ``set`` and ``advance``
    move it, e.g. to step past a deadline in a test.
    """

    def __init__(self, moment: datetime, *, ticking: bool = True) -> None:
        self.ticking = ticking
        self.set(moment)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("a pinned clock needs a timezone-aware moment")
        self._anchor = moment.astimezone(UTC)
        self._started = time.monotonic()

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)

    def now(self) -> datetime:
        if not self.ticking:
            return self._anchor
        return self._anchor + timedelta(seconds=time.monotonic() - self._started)


_current: Clock = SystemClock()


def now() -> datetime:
    """The application's current moment (aware, UTC)."""
    return _current.now()


def today() -> date:
    """Today's date in China (local calendar date of :func:`now`)."""
    return local_date(now())


def current_clock() -> Clock:
    return _current


def set_clock(clock: Clock) -> Clock:
    """Install ``clock`` for the whole process; returns the one it replaces."""
    global _current
    previous, _current = _current, clock
    return previous


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Run a block with ``clock`` as the application's clock, then restore the previous one."""
    previous = set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def start_of_local_day(day: date) -> datetime:
    return datetime.combine(day, clock_time.min, tzinfo=LOCAL_TZ)


def local_moment(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in China on ``day`` (e.g. a document dated that day at 10:30)."""
    return datetime.combine(day, clock_time(hour, minute), tzinfo=LOCAL_TZ)
