"""被害人查询 (issue 13): a victim's lookup number and code, given when the victim is recorded, show their
own restitution status — claimed, confirmed, planned, paid, with dates — and nothing else. Runs on
both engines."""

from __future__ import annotations

from custody.domain import clock as app_clock
from custody.domain.actor import Origin
from custody.domain.money import ClaimClass, PlanStatus
from custody.domain.owner_lookup import CODE_ALPHABET, CODE_LENGTH, MAX_FAILURES, LookupOutcome
from custody.extensions import db
from custody.services import owner_lookup

from ..helpers import events
from ..money_helpers import approve, funded_case, pay, propose, two_victims, victim


def look(victim_or_no, code=None, ip="10.9.0.1"):
    number = victim_or_no if isinstance(victim_or_no, str) else victim_or_no.lookup_no
    result = owner_lookup.victim_lookup(
        db.session,
        lookup_no=number,
        code=code if code is not None else victim_or_no.lookup_code,
        origin=Origin(ip=ip, user_agent="pytest"),
    )
    db.session.commit()
    return result


def test_a_victim_gets_a_lookup_number_and_a_code_when_recorded_and_neither_is_in_the_record(app):
    case = funded_case()
    li = victim(case, "李某")
    assert li.lookup_no == f"BHR-{li.id:08d}"
    assert len(li.lookup_code) == CODE_LENGTH
    assert set(li.lookup_code) <= set(CODE_ALPHABET)
    other = victim(case, "王某")
    assert other.lookup_code != li.lookup_code
    assert all(li.lookup_code not in str(e.data) for e in events())


def test_the_victim_sees_their_own_claims_planned_and_paid_with_dates(app):
    case, li, wang = two_victims()
    before = look(li)
    assert before.outcome is LookupOutcome.SUCCESS
    [mine] = before.claims
    today = app_clock.today()
    assert (mine.klass, mine.claimed_fen, mine.confirmed_fen, mine.recorded_on) == (
        ClaimClass.VICTIM_LOSS,
        300_000,
        300_000,
        today,
    )
    assert (mine.planned_fen, mine.paid_fen, mine.payments) == (None, 0, [])
    plan = propose(case)
    [mine] = look(li).claims
    assert (mine.planned_fen, mine.plan_status) == (240_000, PlanStatus.PROPOSED)  # 400,000 × 3/5
    approve(plan)
    assert look(li).claims[0].plan_status is PlanStatus.APPROVED
    pay(plan, 1, "领款凭证 L-1")
    [mine] = look(li).claims
    assert (mine.paid_fen, mine.planned_fen) == (240_000, None)
    assert [(p.paid_on, p.amount_fen) for p in mine.payments] == [(today, 240_000)]


def test_another_victims_data_never_shows(app):
    case, li, wang = two_victims()
    plan = approve(propose(case))
    pay(plan, 2, "领款凭证 W-1")  # 王某 is paid, 李某 not yet
    result = look(li)
    shown = repr(result)
    assert [c.claimed_fen for c in result.claims] == [300_000]
    for theirs in ("200000", "160000", "王某", "李某", "310115198001011234", "400000", "50000"):
        assert theirs not in shown.replace("_", ""), theirs
    # my code with their number, their code with my number: nothing
    assert look(wang.lookup_no, li.lookup_code).outcome is LookupOutcome.FAILURE
    assert look(li.lookup_no, wang.lookup_code).claims == []


def test_wrong_codes_share_the_owner_lookups_limit_per_address_and_are_security_events(app):
    case, li, wang = two_victims()
    for _ in range(MAX_FAILURES):
        assert look(li, code="WRONG", ip="10.9.9.9").outcome is LookupOutcome.FAILURE
    limited = look(li, ip="10.9.9.9")
    assert limited.outcome is LookupOutcome.LIMITED
    assert limited.claims == []
    assert look(li, ip="10.9.9.10").outcome is LookupOutcome.SUCCESS  # another address is not blocked
    recorded = events("owner.lookup")
    assert len(recorded) == MAX_FAILURES + 2
    assert recorded[-1].object_type == "victim"
    assert recorded[-1].object_id == str(li.id)
    assert all(e.case_id is None and "李某" not in str(e.data) for e in recorded)
    # a seizure-list lookup counts against the same address
    owner_lookup.lookup(db.session, list_no=li.lookup_no, code=li.lookup_code, origin=Origin(ip="10.9.9.10"))
    db.session.commit()
    assert events("owner.lookup")[-1].outcome.value == "failure"  # a victim number is no seizure list


def test_victims_recorded_before_are_not_reachable_without_a_code(app):
    case = funded_case()
    li = victim(case, "李某")
    li.lookup_code = None  # as if the migration had not given one: the lookup refuses, never matches ""
    db.session.commit()
    assert look(li.lookup_no, "").outcome is LookupOutcome.FAILURE


def test_a_victim_paid_under_the_judgments_order_sees_the_ordered_amount_and_the_payment(app):
    """A plan generated from the judgment's orders pays by order, not by claim: the victim still sees
    what the judgment ordered for them, what is planned and what was paid — and not the other order."""
    from custody.domain.judgment_orders import OrderKind, OrderLine
    from custody.services import judgment_orders

    from ..factories import act

    case = funded_case(400_000)
    li, wang = victim(case, "李某"), victim(case, "王某")
    judgment_orders.record_orders(
        db.session,
        act("judge"),
        case.id,
        [
            OrderLine(OrderKind.PAY_VICTIM, amount_fen=300_000, victim_id=li.id),
            OrderLine(OrderKind.PAY_VICTIM, amount_fen=200_000, victim_id=wang.id),
        ],
    )
    db.session.commit()
    [ordered] = look(li).orders
    assert (ordered.ordered_fen, ordered.planned_fen, ordered.paid_fen) == (300_000, None, 0)
    plan = propose(case)
    approve(plan)
    [planned] = look(li).orders
    assert planned.plan_status is PlanStatus.APPROVED
    assert planned.planned_fen == 240_000
    pay(plan, 1, "领款凭证 O-1")
    result = look(li)
    [paid] = result.orders
    assert (paid.paid_fen, [p.amount_fen for p in paid.payments]) == (240_000, [240_000])
    assert paid.payments[0].paid_on == app_clock.today()
    assert result.claims == []
    assert [o.ordered_fen for o in look(wang).orders] == [200_000]
