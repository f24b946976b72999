"""Overdue deposits (issue 13): seized cash not paid into the case-money account within three days is
an alert for the custodian's keepers, and the alert clears once the deposit is recorded."""

from __future__ import annotations

from datetime import timedelta

from custody.domain.deadlines import AlertRule
from custody.domain.enums import ItemCategory
from custody.extensions import db
from custody.services import alerts

from ..factories import act, open_case, register
from ..money_helpers import cash, deposit


def cash_alerts(username="police_keeper"):
    db.session.commit()
    return [a for a in alerts.alerts_for(db.session, act(username)) if a.rule is AlertRule.CASH_DEPOSIT]


def test_undeposited_cash_becomes_overdue_and_clears_with_the_deposit(app, clock):
    case = open_case()
    item = cash(case, 50_000)
    register(case, name="手机", category=ItemCategory.PHONE)  # not cash: no deposit clock
    assert cash_alerts() == []  # the warning window (1 day) has not opened
    clock.advance(timedelta(days=4))
    [alert] = cash_alerts()
    assert alert.overdue
    assert alert.item_ids == (item.id,)
    assert cash_alerts("procuratorate_keeper") == []
    deposit(item)
    assert cash_alerts() == []


def test_money_statistics_balances_flows_owed_and_undeposited(app):
    from custody.domain.errors import PermissionDenied
    from custody.domain.money import ClaimClass
    from custody.services import money, restitution

    from ..factories import judge_case

    case = open_case()
    deposit(cash(case, 300_000))
    cash(case, 7_000, name="未存现金")
    other = open_case()
    deposit(cash(other, 1_000), slip_no="凭条 2")
    judge_case(case)
    victim = restitution.add_victim(db.session, act("judge"), case.id, name="李某")
    restitution.add_claim(
        db.session,
        act("judge"),
        case.id,
        klass=ClaimClass.VICTIM_LOSS,
        claimed_fen=50_000,
        confirmed_fen=50_000,
        victim_id=victim.id,
    )
    db.session.commit()
    stats = money.money_statistics(db.session, act("auditor"))
    assert stats.total_balance_fen == 301_000
    assert {b.name: b.balance_fen for b in stats.by_custodian} == {
        "浦东公安分局": 1_000,
        "浦东新区人民法院": 300_000,
    }
    assert sum(f.in_fen for f in stats.flows_by_month) == 301_000
    assert stats.flows_by_month[-1].out_fen == 0
    assert stats.owed_to_victims_fen == 50_000
    assert stats.open_plans == 0
    assert (stats.undeposited_count, stats.undeposited_fen) == (1, 7_000)
    police = money.money_statistics(db.session, act("police_keeper"))  # the police still see both cases
    assert police.total_balance_fen == 301_000
    import pytest

    with pytest.raises(PermissionDenied):
        money.money_statistics(db.session, act("police_officer"))
