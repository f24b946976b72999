"""The restitution plan generated from the judgment's orders of money (issue 13; 2021解释 444–448;
2014规定 13): the orders to pay victims and to confiscate amounts are the plan's claims, allocated in
the legal order; each line points at its order, and paying it executes the order, whose receipt then
waits in the court's inbox. Runs on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from custody.domain.errors import Conflict
from custody.domain.judgment_orders import OrderKind, OrderLine, OrderStatus
from custody.domain.money import ClaimClass, LineKind, LineStatus, MovementKind, PlanStatus
from custody.extensions import db
from custody.models.money import MoneyMovement, RestitutionClaim
from custody.models.oversight import JudgmentOrder
from custody.services import judgment_orders, money, restitution

from ..factories import act
from ..helpers import events
from ..money_helpers import allocations, approve, claim, court_balance, funded_case, pay, propose, victim


def orders(case, *lines):
    recorded = judgment_orders.record_orders(db.session, act("judge"), case.id, list(lines))
    db.session.commit()
    return recorded


def statuses(recorded) -> list[OrderStatus]:
    db.session.commit()
    return [db.session.get(JudgmentOrder, order.id).status for order in recorded]


def awaiting_receipt() -> list[int]:
    query = judgment_orders.receipts_awaiting_query(act("judge")).order_by(JudgmentOrder.id)
    return [order.id for order in db.session.scalars(query)]


def test_the_plan_pays_the_judgments_orders_in_full_then_the_remainder_to_the_treasury(app):
    case = funded_case(1_000_000)
    li, wang = victim(case, "李某"), victim(case, "王某")
    claim(case, amount=900_000, who=li)  # on record, but the judgment's orders decide what is paid
    recorded = orders(
        case,
        OrderLine(OrderKind.CONFISCATE, amount_fen=100_000),
        OrderLine(OrderKind.PAY_VICTIM, amount_fen=300_000, victim_id=li.id),
        OrderLine(OrderKind.PAY_VICTIM, amount_fen=200_000, victim_id=wang.id),
    )
    plan = propose(case)
    # In the legal order: the victims' losses before the confiscation, whatever the judgment's order.
    assert allocations(plan) == [
        (LineKind.ORDER, ClaimClass.VICTIM_LOSS, 300_000, LineStatus.PENDING),
        (LineKind.ORDER, ClaimClass.VICTIM_LOSS, 200_000, LineStatus.PENDING),
        (LineKind.ORDER, ClaimClass.CONFISCATION, 100_000, LineStatus.PENDING),
        (LineKind.REMAINDER, None, 400_000, LineStatus.PENDING),
    ]
    assert [line.order_id for line in plan.lines] == [recorded[1].id, recorded[2].id, recorded[0].id, None]
    assert [line.claim_id for line in plan.lines] == [None] * 4
    assert statuses(recorded) == [OrderStatus.PROPOSED] * 3
    assert events("restitution.propose")[-1].data["from_orders"] is True
    assert len(events("judgment.order_proposed")) == 3
    approve(plan)

    [to_li] = pay(plan, 1, "领款凭证 A-1")
    assert to_li.kind is MovementKind.RESTITUTION
    assert to_li.delta_fen == -300_000
    assert to_li.counterparty_name == "李某"
    assert statuses(recorded) == [OrderStatus.PROPOSED, OrderStatus.EXECUTED, OrderStatus.PROPOSED]
    # The court sees the executed order in its inbox (待确认执行回单), as for an executed disposal.
    assert awaiting_receipt() == [recorded[1].id]
    [executed] = events("judgment.order_executed")
    assert executed.data["order_id"] == recorded[1].id
    assert executed.data["paid_fen"] == 300_000
    assert executed.data["movement_ids"] == [to_li.id]
    assert executed.data["receipt_no"] == "领款凭证 A-1"

    pay(plan, 2, "领款凭证 A-2")
    [confiscated] = pay(plan, 3, "缴款书 No.7")
    assert confiscated.kind is MovementKind.REMITTANCE
    assert confiscated.counterparty_name == "国库"
    [remainder] = pay(plan, 4, "缴款书 No.8")
    assert remainder.kind is MovementKind.REMITTANCE
    assert remainder.delta_fen == -400_000
    db.session.refresh(plan)
    assert plan.status is PlanStatus.COMPLETED
    assert court_balance(case) == 0
    assert statuses(recorded) == [OrderStatus.EXECUTED] * 3
    assert awaiting_receipt() == sorted(order.id for order in recorded)
    # The claim was not paid twice; the record names no victim.
    assert db.session.scalar(select(RestitutionClaim.paid_fen)) == 0
    assert not [e.action for e in events() if "李某" in str(e.data) or "王某" in str(e.data)]

    closed = judgment_orders.acknowledge_receipt(
        db.session, act("judge"), recorded[1].id, receipt_no="领款凭证 A-1"
    )
    db.session.commit()
    assert closed.status is OrderStatus.CLOSED
    assert recorded[1].id not in awaiting_receipt()


def test_short_funds_are_shared_in_proportion_and_the_confiscation_gets_nothing(app):
    case = funded_case(100_000)
    a, b = victim(case, "甲"), victim(case, "乙")
    recorded = orders(
        case,
        OrderLine(OrderKind.PAY_VICTIM, amount_fen=200_000, victim_id=a.id),
        OrderLine(OrderKind.PAY_VICTIM, amount_fen=300_000, victim_id=b.id),
        OrderLine(OrderKind.CONFISCATE, amount_fen=50_000),
    )
    plan = propose(case)
    assert plan.remainder_fen == 0
    assert allocations(plan) == [
        (LineKind.ORDER, ClaimClass.VICTIM_LOSS, 40_000, LineStatus.PENDING),
        (LineKind.ORDER, ClaimClass.VICTIM_LOSS, 60_000, LineStatus.PENDING),
        (LineKind.ORDER, ClaimClass.CONFISCATION, 0, LineStatus.NOTHING_DUE),
    ]
    assert [line.owed_fen for line in plan.lines] == [200_000, 300_000, 50_000]
    # The order the funds leave nothing for stays open; the others are in the plan.
    assert statuses(recorded) == [OrderStatus.PROPOSED, OrderStatus.PROPOSED, OrderStatus.OPEN]
    approve(plan)
    pay(plan, 1, "领款凭证 1")
    pay(plan, 2, "领款凭证 2")
    db.session.refresh(plan)
    assert plan.status is PlanStatus.COMPLETED
    assert court_balance(case) == 0
    # A payment in proportion executes the order: the court sees what was paid on it.
    assert statuses(recorded) == [OrderStatus.EXECUTED, OrderStatus.EXECUTED, OrderStatus.OPEN]
    assert [e.data["paid_fen"] for e in events("judgment.order_executed")] == [40_000, 60_000]


def test_rejecting_or_cancelling_the_plan_reopens_its_orders_for_the_next(app):
    case = funded_case(500_000)
    li = victim(case, "李某")
    recorded = orders(case, OrderLine(OrderKind.PAY_VICTIM, amount_fen=100_000, victim_id=li.id))
    first = propose(case)
    restitution.decide_plan(
        db.session, act("court_approver"), first.id, approve=False, reason="金额有误需复核"
    )
    db.session.commit()
    assert statuses(recorded) == [OrderStatus.OPEN]
    second = propose(case)
    assert [line.order_id for line in second.lines] == [recorded[0].id, None]
    assert statuses(recorded) == [OrderStatus.PROPOSED]
    restitution.cancel_plan(db.session, act("judge"), second.id, reason="余额发生变化")
    db.session.commit()
    assert statuses(recorded) == [OrderStatus.OPEN]
    assert [e.data["plan_id"] for e in events("judgment.order_reopened")] == [first.id, second.id]
    third = propose(case)
    assert allocations(third)[0] == (LineKind.ORDER, ClaimClass.VICTIM_LOSS, 100_000, LineStatus.PENDING)


def test_victims_ordered_paid_come_before_any_remittance(app):
    case = funded_case(500_000)
    li = victim(case, "李某")
    recorded = orders(case, OrderLine(OrderKind.PAY_VICTIM, amount_fen=100_000, victim_id=li.id))
    [ledger] = money.held_ledgers(db.session, case.id, act("court_keeper").agency_id)
    with pytest.raises(Conflict) as refused:
        money.remit_to_treasury(
            db.session, act("court_keeper"), ledger.id, amount_fen=500_000, payment_form_no="缴款书 9"
        )
    assert refused.value.code == "money.victims_first"
    db.session.rollback()
    plan = approve(propose(case))
    pay(plan, 1, "领款凭证 1")
    assert statuses(recorded) == [OrderStatus.EXECUTED]
    assert money.owed_to_victims(db.session, case.id) == 0
    db.session.refresh(plan)
    assert [line.status for line in plan.lines] == [LineStatus.PAID, LineStatus.PENDING]


def test_a_case_without_orders_of_money_keeps_the_claims(app):
    case = funded_case(300_000)
    li = victim(case, "李某")
    claim(case, amount=100_000, who=li)
    plan = propose(case)
    assert [(line.kind, line.claim_id is not None, line.order_id) for line in plan.lines] == [
        (LineKind.CLAIM, True, None),
        (LineKind.REMAINDER, False, None),
    ]
    assert events("restitution.propose")[-1].data["from_orders"] is False
    assert db.session.scalar(select(MoneyMovement.id).where(MoneyMovement.plan_line_id.is_not(None))) is None
