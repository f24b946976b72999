"""The judgment's per-item orders at the service layer: recording them (every rule), proposing the
final disposals from them in one action, execution sending the receipt to the court, and the court
acknowledging it, which closes the order (2021解释 art. 444–448)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from custody.domain.enums import DispositionKind, ItemCategory, TransferKind
from custody.domain.errors import Conflict, InvalidInput, PermissionDenied
from custody.domain.judgment_orders import OrderKind, OrderLine, OrderStatus
from custody.domain.lifecycle import DispositionRecordStatus
from custody.extensions import db
from custody.models.lifecycle import Disposition
from custody.models.oversight import JudgmentOrder
from custody.services import dispositions, judgment_orders, restitution, storage
from custody.services.transfers import decide_lines, propose_transfer

from ..factories import (
    JUDGMENT_NO,
    act,
    agency,
    judge_case,
    location,
    register,
    send_to_procuratorate,
    stored_items,
)
from ..helpers import events


def record(case, *lines, username="judge"):
    orders = judgment_orders.record_orders(db.session, act(username), case.id, list(lines))
    db.session.commit()
    return orders


def judged(count=3):
    case, items = stored_items(count)
    judge_case(case)  # the items stay with the police
    return case, items


def test_orders_are_recorded_line_by_line_with_events_on_each_items_chain(app):
    case, [a, b, c] = judged()
    orders = record(
        case,
        OrderLine(OrderKind.CONFISCATE, item_id=a.id),
        OrderLine(OrderKind.RETURN, item_id=b.id, recipient="李某"),
        OrderLine(OrderKind.DESTROY, item_id=c.id, note="管制刀具"),
        OrderLine(OrderKind.CONFISCATE, amount_fen=50_000),
    )
    assert [o.line_no for o in orders] == [1, 2, 3, 4]
    assert {o.status for o in orders} == {OrderStatus.OPEN}
    assert orders[1].recipient == "李某"
    on_items = events("judgment.order")
    assert {e.item_id for e in on_items if e.item_id} == {a.id, b.id, c.id}
    money = [e for e in on_items if e.item_id is None]
    assert len(money) == 1
    assert money[0].data["amount_fen"] == 50_000
    # The recipient's name is not in the permanent record, only a commitment to it.
    assert all("李某" not in str(e.data) for e in on_items)
    # Further lines continue the numbering.
    [more] = record(case, OrderLine(OrderKind.CONFISCATE, amount_fen=1))
    assert more.line_no == 5


def to_court(case):
    """The case on trial at the court (file only), no judgment yet."""
    transfer = send_to_procuratorate(case, [])
    decide_lines(db.session, act("prosecutor"), transfer.id, [], accept=True, case_no="浦检刑诉[2026]1号")
    db.session.commit()
    indictment = propose_transfer(
        db.session,
        act("prosecutor"),
        case_id=case.id,
        to_agency_id=agency("PDFY").id,
        kind=TransferKind.INDICTMENT,
        item_ids=[],
    )
    db.session.commit()
    decide_lines(db.session, act("judge"), indictment.id, [], accept=True, case_no="(2026)沪0115刑初1号")
    db.session.commit()


def test_orders_only_after_the_judgment(app):
    case, [item] = stored_items(1)
    to_court(case)
    with pytest.raises(Conflict) as refused:
        record(case, OrderLine(OrderKind.CONFISCATE, item_id=item.id))
    assert refused.value.code == "case.no_judgment"


def test_only_the_court_that_recorded_the_judgment_records_orders(app):
    case, [item] = judged(1)
    for username in ("police_officer", "court_keeper"):
        with pytest.raises(PermissionDenied):
            record(case, OrderLine(OrderKind.CONFISCATE, item_id=item.id), username=username)
        db.session.rollback()
    assert db.session.scalar(select(JudgmentOrder.id)) is None


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (OrderLine(OrderKind.CONFISCATE, amount_fen=0), "order.amount"),
        (OrderLine(OrderKind.PAY_VICTIM, amount_fen=-5, victim_id=None), "order.amount"),
        (OrderLine(OrderKind.CONFISCATE), "order.item_or_amount"),
        (OrderLine(OrderKind.DESTROY, amount_fen=100), "order.item_only"),
        (OrderLine(OrderKind.PAY_VICTIM, amount_fen=100), "order.victim"),
    ],
)
def test_bad_amounts_and_shapes_are_refused(app, line, code):
    case, _ = judged(1)
    with pytest.raises(InvalidInput) as refused:
        record(case, line)
    assert refused.value.code == code


def test_a_return_names_its_recipient(app):
    case, [item] = judged(1)
    with pytest.raises(InvalidInput) as refused:
        record(case, OrderLine(OrderKind.RETURN, item_id=item.id, recipient="  "))
    assert refused.value.code == "order.recipient_required"
    assert "lines.0.recipient" in refused.value.fields


def test_an_unknown_item_or_an_item_of_another_case_is_refused(app):
    case, [item] = judged(1)
    _, [other] = stored_items(1)
    for item_id in (other.id, 999_999):
        with pytest.raises(InvalidInput) as refused:
            record(case, OrderLine(OrderKind.CONFISCATE, item_id=item_id))
        assert refused.value.code == "order.not_of_case"
        db.session.rollback()


def test_an_item_is_in_at_most_one_open_order_and_nothing_is_written_on_refusal(app):
    case, [a, b] = judged(2)
    with pytest.raises(Conflict) as refused:
        record(
            case,
            OrderLine(OrderKind.CONFISCATE, item_id=a.id),
            OrderLine(OrderKind.DESTROY, item_id=a.id),
        )
    assert refused.value.code == "order.item_in_open_order"
    db.session.rollback()
    assert db.session.scalar(select(JudgmentOrder.id)) is None
    record(case, OrderLine(OrderKind.CONFISCATE, item_id=a.id))
    with pytest.raises(Conflict) as again:
        record(
            case, OrderLine(OrderKind.CONFISCATE, item_id=b.id), OrderLine(OrderKind.DESTROY, item_id=a.id)
        )
    assert again.value.code == "order.item_in_open_order"
    db.session.rollback()
    assert len(list(db.session.scalars(select(JudgmentOrder)))) == 1


def test_an_item_already_disposed_of_is_refused(app):
    case, [item] = judged(1)
    [order] = record(case, OrderLine(OrderKind.CONFISCATE, item_id=item.id))
    _propose_approve_execute(case)
    with pytest.raises(Conflict) as refused:
        record(case, OrderLine(OrderKind.DESTROY, item_id=item.id))
    assert refused.value.code == "order.item_disposed"


def test_a_payment_to_a_victim_names_a_victim_of_this_case(app):
    case, _ = judged(1)
    other, _ = judged(1)
    victim = restitution.add_victim(db.session, act("judge"), case.id, name="王某")
    stranger = restitution.add_victim(db.session, act("judge"), other.id, name="赵某")
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        record(case, OrderLine(OrderKind.PAY_VICTIM, amount_fen=100, victim_id=stranger.id))
    assert refused.value.code == "order.victim"
    db.session.rollback()
    [order] = record(case, OrderLine(OrderKind.PAY_VICTIM, amount_fen=120_000, victim_id=victim.id))
    assert order.victim_id == victim.id
    assert order.amount_fen == 120_000


def _propose_approve_execute(case):
    [disposition] = judgment_orders.propose_from_orders(db.session, act("police_officer"), case.id)
    db.session.commit()
    dispositions.decide_disposition(db.session, act("police_approver"), disposition.id, approve=True)
    db.session.commit()
    dispositions.execute_disposition(
        db.session, act("police_keeper"), disposition.id, receipt_no="国库回执 001"
    )
    db.session.commit()
    return disposition


def test_one_action_proposes_the_disposals_grouped_by_kind_and_recipient(app):
    case, [a, e] = stored_items(2)
    b, c, d = (
        register(case, name=f"归还物品{n}", category=ItemCategory.GOODS, owner_name="李某") for n in range(3)
    )
    for item in (b, c, d):
        storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R1-A-01").id)
    db.session.commit()
    judge_case(case)
    orders = record(
        case,
        OrderLine(OrderKind.CONFISCATE, item_id=a.id),
        OrderLine(OrderKind.RETURN, item_id=b.id, recipient="李某"),
        OrderLine(OrderKind.RETURN, item_id=c.id, recipient="李某"),
        OrderLine(OrderKind.RETURN, item_id=d.id, recipient="张某"),
        OrderLine(OrderKind.CONFISCATE, item_id=e.id),
        OrderLine(OrderKind.CONFISCATE, amount_fen=10_000),  # money: left to the money pages
    )
    proposed = judgment_orders.propose_from_orders(db.session, act("police_officer"), case.id)
    db.session.commit()
    shape = sorted((d.kind, sorted(line.item_id for line in d.lines)) for d in proposed)
    assert shape == sorted(
        [
            (DispositionKind.CONFISCATE, sorted([a.id, e.id])),
            (DispositionKind.RETURN_TO_OWNER, sorted([b.id, c.id])),
            (DispositionKind.RETURN_TO_OWNER, [d.id]),
        ]
    )
    assert {d.status for d in proposed} == {DispositionRecordStatus.PROPOSED}
    assert {d.legal_basis for d in proposed} == {JUDGMENT_NO}  # cites the judgment
    assert {d.custodian_agency_id for d in proposed} == {a.custodian_agency_id}
    for order in orders[:5]:
        db.session.refresh(order)
        assert order.status is OrderStatus.PROPOSED
        assert order.disposition_id is not None
    db.session.refresh(orders[5])
    assert orders[5].status is OrderStatus.OPEN
    assert orders[5].disposition_id is None
    assert len(events("judgment.order_proposed")) == 5
    # Nothing left to propose: a second click is refused.
    with pytest.raises(Conflict) as refused:
        judgment_orders.propose_from_orders(db.session, act("police_officer"), case.id)
    assert refused.value.code == "order.nothing_to_propose"


def test_only_items_the_actors_agency_holds_are_proposed(app):
    case, [item] = judged(1)
    record(case, OrderLine(OrderKind.CONFISCATE, item_id=item.id))
    with pytest.raises(Conflict):
        judgment_orders.propose_from_orders(db.session, act("prosecutor"), case.id)


def test_execution_sends_the_receipt_to_the_court_and_acknowledging_closes_the_order(app):
    case, [item] = judged(1)
    [order] = record(case, OrderLine(OrderKind.CONFISCATE, item_id=item.id))
    judge = act("judge")
    assert list(db.session.scalars(judgment_orders.receipts_awaiting_query(judge))) == []
    disposition = _propose_approve_execute(case)
    db.session.refresh(order)
    assert order.status is OrderStatus.EXECUTED
    assert order.disposition_id == disposition.id
    assert [o.id for o in db.session.scalars(judgment_orders.receipts_awaiting_query(judge))] == [order.id]
    # Not in another agency's list.
    assert list(db.session.scalars(judgment_orders.receipts_awaiting_query(act("police_officer")))) == []
    [executed] = events("judgment.order_executed")
    assert executed.item_id == item.id
    assert executed.data["disposition_receipt_no"] == "国库回执 001"

    # Only the court acknowledges, with the receipt number.
    with pytest.raises(PermissionDenied):
        judgment_orders.acknowledge_receipt(db.session, act("police_officer"), order.id, receipt_no="X")
    db.session.rollback()
    with pytest.raises(InvalidInput):
        judgment_orders.acknowledge_receipt(db.session, judge, order.id, receipt_no=" ")
    db.session.rollback()
    closed = judgment_orders.acknowledge_receipt(db.session, judge, order.id, receipt_no="执行回单 2026-01")
    db.session.commit()
    assert closed.status is OrderStatus.CLOSED
    assert closed.receipt_no == "执行回单 2026-01"
    assert closed.receipt_by_id == judge.user_id
    assert closed.receipt_on is not None
    assert list(db.session.scalars(judgment_orders.receipts_awaiting_query(judge))) == []
    assert events("judgment.order_closed")[0].item_id == item.id
    with pytest.raises(Conflict) as again:
        judgment_orders.acknowledge_receipt(db.session, judge, order.id, receipt_no="执行回单 2026-01")
    assert again.value.code == "order.closed"


def test_a_receipt_cannot_be_acknowledged_before_execution(app):
    case, [item] = judged(1)
    [order] = record(case, OrderLine(OrderKind.CONFISCATE, item_id=item.id))
    with pytest.raises(Conflict) as refused:
        judgment_orders.acknowledge_receipt(db.session, act("judge"), order.id, receipt_no="执行回单")
    assert refused.value.code == "order.not_executed"


def test_a_money_order_is_closed_by_the_courts_receipt(app):
    case, _ = judged(1)
    [order] = record(case, OrderLine(OrderKind.CONFISCATE, amount_fen=10_000))
    closed = judgment_orders.acknowledge_receipt(db.session, act("judge"), order.id, receipt_no="缴款书 0001")
    db.session.commit()
    assert closed.status is OrderStatus.CLOSED


def test_a_rejected_or_cancelled_disposal_reopens_its_orders(app):
    case, [item] = judged(1)
    [order] = record(case, OrderLine(OrderKind.CONFISCATE, item_id=item.id))
    [disposition] = judgment_orders.propose_from_orders(db.session, act("police_officer"), case.id)
    db.session.commit()
    dispositions.decide_disposition(
        db.session, act("police_approver"), disposition.id, approve=False, reason="判决书尚未送达"
    )
    db.session.commit()
    db.session.refresh(order)
    assert order.status is OrderStatus.OPEN
    assert order.disposition_id is None
    [again] = judgment_orders.propose_from_orders(db.session, act("police_officer"), case.id)
    db.session.commit()
    dispositions.cancel_disposition(db.session, act("police_officer"), again.id, reason="重新申请")
    db.session.commit()
    db.session.refresh(order)
    assert order.status is OrderStatus.OPEN
    assert len(events("judgment.order_reopened")) == 2
    assert db.session.get(Disposition, again.id).status is DispositionRecordStatus.CANCELLED


def test_a_return_goes_to_the_recipient_the_judgment_names(app):
    """The judgment decides who is entitled (2021解释 445): the item goes to the person it names, even
    when another owner (or none) was recorded at seizure; nobody else collects it."""
    from custody.domain.lifecycle import Recipient

    case, [item] = judged(1)  # no owner recorded at seizure
    [order] = record(case, OrderLine(OrderKind.RETURN, item_id=item.id, recipient="被害人王某"))
    [disposition] = judgment_orders.propose_from_orders(db.session, act("police_officer"), case.id)
    db.session.commit()
    assert "被害人王某" in disposition.reason
    dispositions.decide_disposition(db.session, act("police_approver"), disposition.id, approve=True)
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        dispositions.execute_disposition(
            db.session,
            act("police_keeper"),
            disposition.id,
            receipt_no="发还清单 1",
            recipient=Recipient(name="李某"),
        )
    assert refused.value.code == "disposal.not_owner"
    db.session.rollback()
    dispositions.execute_disposition(
        db.session,
        act("police_keeper"),
        disposition.id,
        receipt_no="发还清单 1",
        recipient=Recipient(name="被害人王某", id_no="310115198808089999"),
    )
    db.session.commit()
    db.session.refresh(order)
    assert order.status is OrderStatus.EXECUTED


def test_a_return_disposal_not_from_an_order_still_needs_the_recorded_owner(app):
    case, [item] = judged(1)
    with pytest.raises(Conflict) as refused:
        dispositions.propose_disposition(
            db.session, act("police_officer"), item_ids=[item.id], kind=DispositionKind.RETURN_TO_OWNER
        )
    assert refused.value.code == "disposal.no_owner"
