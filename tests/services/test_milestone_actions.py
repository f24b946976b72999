"""What a case's milestones offer each actor (``milestones.case_milestones`` / ``milestone_actions``):
asked of the same rules the services apply, so a page offers nothing its service would refuse on
the actor's role or the case's state, and refuses nothing it offers."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from custody.domain import clock as app_clock
from custody.domain.errors import Conflict, NotFound, PermissionDenied
from custody.domain.judgment_orders import OrderKind, OrderLine, OrderStatus
from custody.extensions import db
from custody.services import judgment_orders, milestones

from ..factories import act, judge_case, open_case, stored_items

NOTHING = dict.fromkeys(
    ("judgment", "close", "unrelated", "notice", "execution", "orders", "acknowledge", "propose"), False
)


def offered(username: str, case) -> dict[str, bool]:
    return asdict(milestones.case_milestones(db.session, act(username), case.id).can)


def test_an_open_case_offers_its_handler_closing_and_its_custodian_the_unrelated_finding(app):
    case, _ = stored_items(2)
    assert offered("police_officer", case) == {**NOTHING, "close": True, "unrelated": True, "notice": True}
    # A keeper holds the items but records none of these; an auditor sees the case and records nothing.
    assert offered("police_keeper", case) == NOTHING
    assert offered("auditor", case) == NOTHING


def test_the_judgment_is_offered_to_the_court_only_while_the_case_is_on_trial(app):
    case, stored = stored_items(1)
    judge_case(case)
    judge = offered("judge", case)
    assert not judge["judgment"]  # recorded: the case is in execution
    assert judge["execution"]
    assert judge["orders"]
    assert judge["acknowledge"]
    assert judge["close"]
    assert not offered("prosecutor", case)["execution"]
    # The police still hold the item: they may find it unrelated, not record the court's acts.
    police = offered("police_officer", case)
    assert police["unrelated"]
    assert not (police["execution"])
    assert not (police["orders"])
    assert not (police["close"])
    # What is not offered is what the service refuses.
    with pytest.raises(Conflict):
        milestones.record_judgment(
            db.session, act("judge"), case.id, judgment_no="X", effective_on=app_clock.today()
        )
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        milestones.record_execution(db.session, act("police_officer"), case.id, referred_on=app_clock.today())
    db.session.rollback()


def test_proposing_from_the_orders_is_offered_to_the_custodian_of_an_open_order(app):
    case, [item] = stored_items(1)
    judge_case(case)
    assert not offered("police_officer", case)["propose"]
    judgment_orders.record_orders(
        db.session, act("judge"), case.id, [OrderLine(OrderKind.CONFISCATE, item_id=item.id)]
    )
    judgment_orders.record_orders(
        db.session, act("judge"), case.id, [OrderLine(OrderKind.CONFISCATE, amount_fen=10_000)]
    )
    db.session.commit()
    assert offered("police_officer", case)["propose"]
    assert not offered("judge", case)["propose"]
    page = milestones.case_milestones(db.session, act("judge"), case.id)
    # Only the order of money awaits the court's receipt (the item's awaits its execution).
    assert [(o.item_id, o.status) for o in page.receipts_awaited] == [(None, OrderStatus.OPEN)]
    assert [i.id for i in page.held] == [item.id]
    assert page.holders == [item.custodian_agency_id]
    assert page.judgment is not None
    assert len(page.orders) == 2


def test_a_closed_case_offers_no_closing(app):
    case, _ = stored_items(1)
    milestones.close_case(
        db.session, act("police_officer"), case.id, legal_basis="撤字1号", reason="撤销案件"
    )
    db.session.commit()
    page = milestones.case_milestones(db.session, act("police_officer"), case.id)
    assert page.closure is not None
    assert not page.can.close


def test_the_services_of_the_judgment_are_read_for_a_case_the_actor_sees(app):
    case, [item] = stored_items(1)
    judge_case(case)
    served = milestones.record_service(
        db.session,
        act("judge"),
        case.id,
        holder_agency_id=item.custodian_agency_id,
        served_on=app_clock.today(),
    )
    db.session.commit()
    assert milestones.case_services(db.session, act("judge"), case.id) == [served]
    page = milestones.case_milestones(db.session, act("judge"), case.id)
    assert page.services == page.services_awaiting_receipt == [served]
    police_only = open_case()
    with pytest.raises(NotFound):
        milestones.case_services(db.session, act("judge"), police_only.id)
