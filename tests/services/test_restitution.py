"""Victims and restitution (issue 13; 2021解释 438, 444–445; 2014规定 13): each test is named after the
rule it proves. Runs on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from custody.domain.enums import Role
from custody.domain.errors import Conflict, InvalidInput, PermissionDenied
from custody.domain.money import ClaimClass, LineKind, LineStatus, MovementKind, PlanStatus
from custody.extensions import db
from custody.models.money import MoneyLedger, MoneyMovement, RestitutionClaim
from custody.services import money, restitution
from custody.services.accounts import create_user

from ..factories import act, agency, enrol_second_factor, judge_case, open_case
from ..helpers import events, row_counts
from ..money_helpers import (
    allocations,
    approve,
    claim,
    court_balance,
    funded_case,
    pay,
    propose,
    victim,
)


def test_full_return_where_funds_suffice_then_the_remainder_to_the_treasury(app):
    case = funded_case(1_000_000)
    li, wang = victim(case, "李某"), victim(case, "王某")
    claim(case, amount=300_000, who=li)
    claim(case, amount=200_000, who=wang)
    plan = propose(case)
    assert plan.status is PlanStatus.PROPOSED
    assert plan.funds_fen == 1_000_000
    assert plan.remainder_fen == 500_000
    assert allocations(plan) == [
        (LineKind.CLAIM, ClaimClass.VICTIM_LOSS, 300_000, LineStatus.PENDING),
        (LineKind.CLAIM, ClaimClass.VICTIM_LOSS, 200_000, LineStatus.PENDING),
        (LineKind.REMAINDER, None, 500_000, LineStatus.PENDING),
    ]
    approve(plan)
    pay(plan, 1, "领款凭证 A-1")
    pay(plan, 2, "领款凭证 A-2")
    [remittance] = pay(plan, 3, "缴款书 No.88")
    db.session.refresh(plan)
    assert plan.status is PlanStatus.COMPLETED
    assert court_balance(case) == 0
    assert remittance.kind is MovementKind.REMITTANCE
    assert remittance.reference == "缴款书 No.88"
    kinds = [m.kind for m in db.session.scalars(select(MoneyMovement).order_by(MoneyMovement.id))]
    assert kinds[-3:] == [MovementKind.RESTITUTION, MovementKind.RESTITUTION, MovementKind.REMITTANCE]
    assert [
        c.paid_fen for c in db.session.scalars(select(RestitutionClaim).order_by(RestitutionClaim.id))
    ] == [
        300_000,
        200_000,
    ]
    paid = events("restitution.pay")
    assert [e.data["paid_fen"] for e in paid] == [300_000, 200_000, 500_000]
    assert paid[-1].data["plan_status"] == "completed"
    leaked = [(e.action, e.data) for e in events() if "李某" in str(e.data)]
    assert not leaked, leaked  # the record names no victim


def test_proportional_return_when_funds_fall_short(app):
    case = funded_case(100_000)
    a, b = victim(case, "甲"), victim(case, "乙")
    claim(case, amount=200_000, who=a)
    claim(case, amount=100_000, who=b)
    plan = propose(case)
    # 100,000 × 2/3 = 66,666.67 and × 1/3 = 33,333.33: the spare 分 goes to the larger fraction.
    assert [line.allocated_fen for line in plan.lines] == [66_667, 33_333]
    assert plan.remainder_fen == 0


def test_medical_costs_first_then_losses_then_fines(app):
    case = funded_case(150_000)
    injured, cheated = victim(case, "伤者"), victim(case, "被骗者")
    claim(case, ClaimClass.FINE, 50_000)
    claim(case, ClaimClass.VICTIM_LOSS, 200_000, who=cheated)
    claim(case, ClaimClass.MEDICAL, 80_000, who=injured)
    plan = propose(case)
    assert [(line.klass, line.allocated_fen) for line in plan.lines] == [
        (ClaimClass.MEDICAL, 80_000),
        (ClaimClass.VICTIM_LOSS, 70_000),
        (ClaimClass.FINE, 0),
    ]
    assert plan.lines[-1].status is LineStatus.NOTHING_DUE


def test_what_the_victim_received_elsewhere_is_deducted(app):
    case = funded_case(1_000_000)
    who = victim(case)
    claim(case, amount=300_000, who=who, compensated=120_000)
    plan = propose(case)
    assert plan.lines[0].owed_fen == 180_000
    assert plan.lines[0].allocated_fen == 180_000


def test_a_fine_is_remitted_to_the_treasury(app):
    case = funded_case(100_000)
    claim(case, ClaimClass.FINE, 40_000)
    plan = approve(propose(case))
    [movement] = pay(plan, 1, "缴款书 罚金")
    assert movement.kind is MovementKind.REMITTANCE
    assert movement.counterparty_name == "国库"


def test_a_plan_needs_the_judgment(app):
    case = funded_case(judged=False)
    with pytest.raises(Conflict) as refused:
        restitution.propose_plan(db.session, act("police_officer"), case.id)
    assert refused.value.code == "money.case_not_decided"


def test_confirmed_amounts_need_the_judgment(app):
    case = funded_case(judged=False)
    who = restitution.add_victim(db.session, act("police_officer"), case.id, name="李某")
    restitution.add_claim(
        db.session,
        act("police_officer"),
        case.id,
        klass=ClaimClass.VICTIM_LOSS,
        claimed_fen=5_000,
        victim_id=who.id,
    )  # claimed only: fine before the judgment
    with pytest.raises(Conflict) as refused:
        restitution.add_claim(
            db.session,
            act("police_officer"),
            case.id,
            klass=ClaimClass.VICTIM_LOSS,
            claimed_fen=5_000,
            confirmed_fen=5_000,
            victim_id=who.id,
        )
    assert refused.value.code == "money.case_not_decided"


def test_a_victims_claim_names_a_victim_of_the_case_and_the_states_none(app):
    case = funded_case()
    other = funded_case()
    stranger = victim(other)
    with pytest.raises(InvalidInput) as refused:
        claim(case, who=stranger)
    assert "victim_id" in refused.value.fields
    db.session.rollback()
    with pytest.raises(InvalidInput):
        claim(case, ClaimClass.FINE, who=victim(case))


def test_only_the_agency_holding_the_money_proposes(app):
    case = funded_case()
    victim(case)
    with pytest.raises(PermissionDenied) as refused:
        restitution.propose_plan(db.session, act("police_officer"), case.id)
    assert refused.value.code == "policy.propose_restitution"


def test_nobody_approves_their_own_plan_nor_pays_what_they_approved(app):
    case = funded_case(100_000)
    claim(case, amount=50_000, who=victim(case))
    chief = create_user(
        db.session,
        None,
        username="court_chief",
        display_name="钱庭长",
        agency_id=agency("PDFY").id,
        roles=[Role.OFFICER, Role.APPROVER],
        password="Chief-pass-2026",
    )
    cashier = create_user(
        db.session,
        None,
        username="court_cashier",
        display_name="孙出纳",
        agency_id=agency("PDFY").id,
        roles=[Role.APPROVER, Role.KEEPER],
        password="Cashier-pass-2026",
    )
    enrol_second_factor(chief)
    enrol_second_factor(cashier)
    db.session.commit()
    plan = propose(case, "court_chief")
    with pytest.raises(PermissionDenied) as refused:
        approve(plan, "court_chief")
    assert refused.value.code == "separation.requester_not_approver"
    db.session.rollback()
    approve(plan, "court_cashier")
    with pytest.raises(PermissionDenied) as refused:
        pay(plan, 1, username="court_cashier")
    assert refused.value.code == "separation.approver_not_executor"


def test_nothing_is_paid_before_approval_and_nothing_twice(app):
    case = funded_case(100_000)
    claim(case, amount=50_000, who=victim(case))
    plan = propose(case)
    with pytest.raises(Conflict) as refused:
        pay(plan, 1)
    assert refused.value.code == "restitution.wrong_status"
    db.session.rollback()
    approve(plan)
    pay(plan, 1)
    before = row_counts(MoneyMovement)
    with pytest.raises(Conflict) as refused:
        pay(plan, 1, "领款凭证 2")
    assert refused.value.code == "restitution.line_done"
    db.session.rollback()
    assert row_counts(MoneyMovement) == before


def test_claims_are_frozen_while_a_plan_is_open_and_money_leaves_only_under_it(app):
    case = funded_case(100_000)
    who = victim(case)
    claim(case, amount=50_000, who=who)
    plan = propose(case)
    with pytest.raises(Conflict) as refused:
        claim(case, amount=10_000, who=who)
    assert refused.value.code == "restitution.plan_open"
    db.session.rollback()
    ledger = db.session.scalar(select(MoneyLedger).where(MoneyLedger.case_id == case.id))
    with pytest.raises(Conflict) as refused:
        money.remit_to_treasury(
            db.session, act("court_keeper"), ledger.id, amount_fen=1_000, payment_form_no="缴款书 X"
        )
    assert refused.value.code == "money.victims_first"
    db.session.rollback()
    restitution.cancel_plan(db.session, act("judge"), plan.id, reason="被害人补充材料")
    db.session.commit()
    with pytest.raises(Conflict) as refused:  # still owed: the victim comes first without a plan too
        money.remit_to_treasury(
            db.session, act("court_keeper"), ledger.id, amount_fen=1_000, payment_form_no="缴款书 X"
        )
    assert refused.value.code == "money.victims_first"


def test_a_plan_is_refused_when_the_agency_holds_no_money(app):
    case = open_case()
    judge_case(case)
    victim(case)
    with pytest.raises(PermissionDenied):
        restitution.propose_plan(db.session, act("judge"), case.id)


def test_a_rejected_plan_gives_way_to_a_new_one(app):
    case = funded_case(100_000)
    claim(case, amount=50_000, who=victim(case))
    plan = propose(case)
    with pytest.raises(InvalidInput):
        restitution.decide_plan(db.session, act("court_approver"), plan.id, approve=False)
    db.session.rollback()
    restitution.decide_plan(
        db.session, act("court_approver"), plan.id, approve=False, reason="核对被害人账户"
    )
    db.session.commit()
    assert propose(case).status is PlanStatus.PROPOSED
