"""The cash-deposit clock (issue 13): seized cash is paid into the case-money account within three days
(检察院规则 art. 217), checked at its boundaries like every other rule."""

from __future__ import annotations

from datetime import timedelta

from custody.domain import deadlines as d
from custody.domain.deadlines import AlertRule, Facts, UndepositedCash

from .deadline_helpers import CASE, POLICE, assert_boundaries, cn


def test_cash_is_deposited_within_three_days_of_the_seizure():
    cash = UndepositedCash(11, "PDGA-2026-000011", CASE, POLICE, cn(2026, 3, 5, 14, 30))
    due = cn(2026, 3, 9, 0, 0)  # the seizure day does not count: 6, 7, 8 March, due at midnight after
    assert d.cash_deposit_due(cash.seized_at).at == due
    assert_boundaries(lambda now: d.cash_deposit([cash], now), due, AlertRule.CASH_DEPOSIT)
    alert = d.cash_deposit([cash], due + timedelta(minutes=1))[0]
    assert alert.item_ids == (11,)
    assert alert.agency_id == POLICE
    assert alert.record_type == "item"


def test_the_cash_deposit_clock_is_part_of_the_evaluation():
    cash = UndepositedCash(11, "PDGA-2026-000011", CASE, POLICE, cn(2026, 3, 5, 14, 30))
    alerts = d.evaluate(Facts(undeposited=[cash]), cn(2026, 3, 10, 9, 0))
    assert [a.rule for a in alerts] == [AlertRule.CASH_DEPOSIT]
