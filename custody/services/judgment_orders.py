"""The judgment's per-item orders (2021解释 art. 444–448): record them, propose the final disposals
from them in one action, follow each disposal to its execution, and close the order when the court
acknowledges the execution receipt (执行回单).

- ``record_orders``: the court that recorded the judgment lists its orders, all lines or none.
- ``propose_from_orders``: the agency holding the items proposes the final disposals for every open
  order on its items — one disposal per kind of order and recipient, through
  ``dispositions.propose_disposition``; each order points at its disposal.
- ``disposition_changed``: called by ``services/dispositions`` when a disposal made from orders is
  executed (the order waits in the court's inbox for the receipt) or rejected / cancelled (the order
  is open again).
- ``acknowledge_receipt``: the court records the 执行回单 it received; the order is closed.

Orders of money (an amount confiscated, an amount paid to a victim) are recorded here and paid on the
money pages (restitution plan, remittance); the court closes them with the receipt it receives.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from custody.domain.actor import Actor
from custody.domain.clock import local_date
from custody.domain.enums import DispositionStatus, LocationState
from custody.domain.errors import Conflict, InvalidInput, NotFound
from custody.domain.i18n import N_
from custody.domain.judgment_orders import (
    DISPOSAL_KIND,
    PENDING,
    OrderItemFacts,
    OrderKind,
    OrderLine,
    OrderStatus,
    check_judgment_recorded,
    check_lines,
    check_order_line,
    check_receipt,
)
from custody.domain.lifecycle import DispositionRecordStatus
from custody.domain.policy import Action, Relation, require
from custody.models.case import Case
from custody.models.item import Item
from custody.models.lifecycle import Disposition
from custody.models.money import Victim
from custody.models.oversight import CaseJudgment, JudgmentOrder
from custody.orm import utcnow

from . import dispositions
from .cases import case_event
from .item_events import append_item_event, item_snapshot
from .items import personal_data_digest
from .visibility import case_filter, get_case


def _judgment(session: Session, case: Case) -> CaseJudgment:
    judgment = session.scalar(select(CaseJudgment).where(CaseJudgment.case_id == case.id))
    check_judgment_recorded(judgment is not None)
    assert judgment is not None
    return judgment


def _the_court(actor: Actor, *courts: int | None) -> None:
    """Only an officer of the court (role judge) acts on the judgment's orders."""
    require(actor, Action.RECORD_JUDGMENT, {Relation.CASE_HANDLER} if actor.agency_id in courts else set())


def _order_data(order: JudgmentOrder, judgment: CaseJudgment) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "judgment_id": judgment.id,
        "judgment_no": judgment.judgment_no,
        "line_no": order.line_no,
        "kind": order.kind,
        "status": order.status,
    }


def _event(session: Session, actor: Actor, order: JudgmentOrder, action: str, **data: Any) -> None:
    """The order's event: on the item's own chain for an item order, on the case for money."""
    payload = {**_order_data(order, order.judgment), **data}
    if order.item is not None:
        append_item_event(session, order.item, actor, action, before=item_snapshot(order.item), data=payload)
    else:
        case_event(session, actor, order.case, action, **payload)


def record_orders(
    session: Session, actor: Actor, case_id: int, lines: Sequence[OrderLine]
) -> list[JudgmentOrder]:
    """判决对涉案财物的处理 — the court that recorded the effective judgment lists what it orders for
    each item or amount. All lines are checked before anything is written; one bad line refuses all."""
    case = get_case(session, actor, case_id, lock=True)
    judgment = _judgment(session, case)
    _the_court(actor, judgment.court_agency_id)
    check_lines(len(lines))
    item_ids = sorted({line.item_id for line in lines if line.item_id is not None})
    items = {
        item.id: item
        for item in session.scalars(
            select(Item)
            .where(Item.id.in_(item_ids), Item.case_id == case.id)
            .order_by(Item.id)
            .with_for_update(of=Item)
        )
    }
    pending = set(
        session.scalars(
            select(JudgmentOrder.item_id).where(
                JudgmentOrder.item_id.in_(item_ids), JudgmentOrder.status.in_(PENDING)
            )
        )
    )
    victim_ids = {line.victim_id for line in lines if line.victim_id is not None}
    victims = set(
        session.scalars(select(Victim.id).where(Victim.id.in_(victim_ids), Victim.case_id == case.id))
    )
    seen: set[int] = set()
    checked: list[OrderLine] = []
    for index, line in enumerate(lines):
        item = items.get(line.item_id) if line.item_id is not None else None
        facts = (
            OrderItemFacts(
                of_this_case=True,
                disposed=item.disposition_status is DispositionStatus.EXECUTED
                or item.location_state is LocationState.GONE,
                in_pending_order=item.id in pending,
            )
            if item is not None
            else None
        )
        checked.append(
            check_order_line(
                index,
                line,
                item=facts,
                victim_of_case=(line.victim_id in victims) if line.victim_id is not None else None,
                seen_items=seen,
            )
        )
    last = (
        session.scalar(
            select(func.max(JudgmentOrder.line_no)).where(JudgmentOrder.judgment_id == judgment.id)
        )
        or 0
    )
    orders = []
    for number, line in enumerate(checked, start=last + 1):
        order = JudgmentOrder(
            judgment_id=judgment.id,
            case_id=case.id,
            court_agency_id=judgment.court_agency_id,
            line_no=number,
            kind=line.kind,
            item_id=line.item_id,
            amount_fen=line.amount_fen,
            victim_id=line.victim_id,
            recipient=line.recipient,
            note=line.note,
            status=OrderStatus.OPEN,
            created_by_id=actor.user_id,
        )
        order.judgment, order.case = judgment, case
        order.item = items.get(line.item_id) if line.item_id is not None else None
        session.add(order)
        orders.append(order)
    session.flush()
    for order in orders:
        data: dict[str, Any] = {"amount_fen": order.amount_fen, "victim_id": order.victim_id}
        if order.recipient and order.item is not None:
            # The recipient's name stays on the order row; the record holds a salted commitment.
            data["recipient_sha256"] = personal_data_digest(order.item.personal_data_salt, order.recipient)
        _event(session, actor, order, "judgment.order", **data)
    return orders


def propose_from_orders(session: Session, actor: Actor, case_id: int) -> list[Disposition]:
    """按判决生成处置申请 — one action: the final disposals for every open order on items the actor's
    agency holds, one per kind of order and recipient, each proposed through ``propose_disposition``
    (same rules, same events) and linked to its orders."""
    case = get_case(session, actor, case_id, lock=True)
    judgment = _judgment(session, case)
    orders = list(
        session.scalars(
            select(JudgmentOrder)
            .join(Item, Item.id == JudgmentOrder.item_id)
            .where(
                JudgmentOrder.case_id == case.id,
                JudgmentOrder.status == OrderStatus.OPEN,
                Item.custodian_agency_id == actor.agency_id,
            )
            .order_by(JudgmentOrder.line_no)
            .with_for_update(of=JudgmentOrder)
        )
    )
    if not orders:
        raise Conflict(
            N_("No open order of the judgment concerns items your agency holds."),
            code="order.nothing_to_propose",
        )
    groups: dict[tuple[OrderKind, str], list[JudgmentOrder]] = {}
    for order in orders:
        groups.setdefault((order.kind, order.recipient or ""), []).append(order)
    proposed = []
    for (kind, recipient), members in groups.items():
        lines = "、".join(str(order.line_no) for order in members)
        reason = f"依判决{judgment.judgment_no}第{lines}项" + (f"，发还{recipient}" if recipient else "")
        disposition = dispositions.propose_disposition(
            session,
            actor,
            item_ids=[order.item_id for order in members if order.item_id is not None],
            kind=DISPOSAL_KIND[kind],
            reason=reason,
            ordered_recipient=recipient or None,
        )
        for order in members:
            order.status = OrderStatus.PROPOSED
            order.disposition_id = disposition.id
        session.flush()
        for order in members:
            _event(
                session,
                actor,
                order,
                "judgment.order_proposed",
                disposition_id=disposition.id,
                disposition_no=disposition.disposition_no,
            )
        proposed.append(disposition)
    return proposed


def disposition_changed(session: Session, actor: Actor, disposition: Disposition) -> None:
    """A disposal proposed from orders was executed (its orders wait for the court to acknowledge the
    receipt) or rejected / cancelled (its orders are open again). Called inside the disposal's
    transaction, after its items are locked."""
    orders = list(
        session.scalars(
            select(JudgmentOrder)
            .where(
                JudgmentOrder.disposition_id == disposition.id, JudgmentOrder.status == OrderStatus.PROPOSED
            )
            .order_by(JudgmentOrder.id)
            .with_for_update()
        )
    )
    if not orders:
        return
    if disposition.status is DispositionRecordStatus.EXECUTED:
        for order in orders:
            order.status = OrderStatus.EXECUTED
            order.executed_at = disposition.executed_at
        session.flush()
        for order in orders:
            _event(
                session,
                actor,
                order,
                "judgment.order_executed",
                disposition_id=disposition.id,
                disposition_no=disposition.disposition_no,
                disposition_receipt_no=disposition.receipt_no,
            )
    elif disposition.status in (DispositionRecordStatus.REJECTED, DispositionRecordStatus.CANCELLED):
        for order in orders:
            order.status = OrderStatus.OPEN
            order.disposition_id = None
        session.flush()
        for order in orders:
            _event(
                session,
                actor,
                order,
                "judgment.order_reopened",
                disposition_id=disposition.id,
                disposition_no=disposition.disposition_no,
            )


def ordered_recipient(session: Session, disposition_id: int) -> str | None:
    """The recipient the judgment names for the return orders a disposal was proposed from (they were
    grouped by recipient, so there is one), or None. [LAW] 2021解释 art. 445 ¶1: the judgment decides
    to whom property is returned; the recorded owner then gives way to the person it names."""
    return session.scalar(
        select(JudgmentOrder.recipient)
        .where(
            JudgmentOrder.disposition_id == disposition_id,
            JudgmentOrder.kind == OrderKind.RETURN,
            JudgmentOrder.recipient.is_not(None),
        )
        .limit(1)
    )


def acknowledge_receipt(
    session: Session, actor: Actor, order_id: int, *, receipt_no: str, received_on: date | None = None
) -> JudgmentOrder:
    """执行回单 — the court records the executing agency's receipt; the order is closed."""
    found = session.execute(
        select(JudgmentOrder.case_id, JudgmentOrder.item_id).where(JudgmentOrder.id == order_id)
    ).first()
    if found is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.order")
    # Locks in the fixed order: case, item, then the order itself.
    case = get_case(session, actor, found.case_id, lock=True)
    if found.item_id is not None:
        session.scalar(select(Item.id).where(Item.id == found.item_id).with_for_update())
    order = session.scalar(
        select(JudgmentOrder)
        .where(JudgmentOrder.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert order is not None
    _the_court(actor, order.court_agency_id, case.court_agency_id)
    number = check_receipt(order.status, money_order=order.item_id is None, receipt_no=receipt_no)
    today = local_date(utcnow())
    day = received_on or today
    if day > today:
        raise InvalidInput(
            N_("The date cannot be in the future."), fields={"received_on": [N_("In the future.")]}
        )
    if day < order.judgment.effective_on:
        raise InvalidInput(
            N_("Earlier than the judgment took effect."),
            fields={"received_on": [N_("Earlier than the judgment took effect.")]},
        )
    order.status = OrderStatus.CLOSED
    order.receipt_no = number
    order.receipt_on = day
    order.receipt_by_id = actor.user_id
    order.receipt_at = utcnow()
    session.flush()
    _event(session, actor, order, "judgment.order_closed", receipt_no=number, received_on=day)
    return order


def orders_of(session: Session, actor: Actor, case_id: int) -> list[JudgmentOrder]:
    get_case(session, actor, case_id)
    return list(
        session.scalars(
            select(JudgmentOrder).where(JudgmentOrder.case_id == case_id).order_by(JudgmentOrder.line_no)
        )
    )


def judgment_with_orders(session: Session, case: Case) -> tuple[CaseJudgment | None, list[JudgmentOrder]]:
    """The case's recorded judgment and its orders in one statement, for the case page (whose caller
    has already checked that the case is visible)."""
    rows = session.execute(
        select(CaseJudgment, JudgmentOrder)
        .outerjoin(JudgmentOrder, JudgmentOrder.judgment_id == CaseJudgment.id)
        .where(CaseJudgment.case_id == case.id)
        .order_by(JudgmentOrder.line_no)
    ).all()
    if not rows:
        return None, []
    return rows[0][0], [order for _, order in rows if order is not None]


def receipts_awaiting_query(actor: Actor) -> Select[Any]:
    """待确认执行回单 — executed orders of this court's judgments, awaiting its acknowledgment."""
    return select(JudgmentOrder).where(
        JudgmentOrder.status == OrderStatus.EXECUTED,
        JudgmentOrder.court_agency_id == actor.agency_id,
        JudgmentOrder.case_id.in_(select(Case.id).where(case_filter(actor))),
    )
