"""Shared by the deadline tests: the case, agencies and the boundary checker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from custody.domain.deadlines import RULES, Alert, AlertRule, AlertState, CaseRef

CN = ZoneInfo("Asia/Shanghai")


MINUTE = timedelta(minutes=1)


CASE = CaseRef(7, "沪公(浦)立字[2026]0001号")


POLICE, COURT = 1, 3


def cn(*args: int) -> datetime:
    return datetime(*args, tzinfo=CN)


def states(evaluate: Callable[[datetime], list[Alert]], due: datetime, window: timedelta):
    """The alert state at the five boundary instants."""
    opens = due - window
    return [
        [a.state for a in evaluate(at)] for at in (opens - MINUTE, opens, due - MINUTE, due, due + MINUTE)
    ]


def assert_boundaries(evaluate: Callable[[datetime], list[Alert]], due: datetime, rule: AlertRule) -> None:
    window = RULES[rule].window
    before_window, at_window, before_due, at_due, after_due = states(evaluate, due, window)
    if window:
        assert before_window == [], "no alert before the window opens"
        assert at_window == [AlertState.APPROACHING], "approaching once the window opens"
        assert before_due == [AlertState.APPROACHING]
    assert at_due == [AlertState.APPROACHING], "at the due time itself: not yet late"
    assert after_due == [AlertState.OVERDUE], "one minute after: overdue"
    alert = evaluate(due + MINUTE)[0]
    assert alert.rule is rule
    assert alert.code == rule.value
    assert alert.due_at == due
    assert alert.label
    assert alert.source.startswith("[")
    assert alert.roles
