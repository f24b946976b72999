"""What the item page and the case page read, through the visibility filters: one function each, so
the pages render what the services found and hold no queries of their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from custody.domain.actor import Actor
from custody.domain.clock import local_date
from custody.domain.enums import CustodyState, DispositionStatus, LineDecision, LocationState, Measure
from custody.domain.lifecycle import CheckoutStatus, FreezeStatus, freeze_status_on
from custody.models.agency import Agency
from custody.models.case import Case, SeizureList
from custody.models.item import Item
from custody.models.lifecycle import Checkout, Disposition, DispositionLine, FreezeOrder
from custody.models.oversight import CaseJudgment, JudgmentOrder
from custody.models.transfer import Transfer, TransferLine

from . import checkouts, dispositions, freezes, items, judgment_orders, transfers
from .items import ItemQuery


@dataclass
class ItemOverview:
    """The item's workflows as the actor may see them."""

    checkouts: list[Checkout]
    checkout_now: Checkout | None  # the released check-out it is out on now
    freezes: list[tuple[FreezeOrder, FreezeStatus]]
    dispositions: list[Disposition]
    transfer_lines: list[TransferLine]  # of the transfers the actor may see
    pending_line: TransferLine | None  # its line awaiting the receiver, while it is offered
    source_item: Item | None  # the item it was made from (an early sale's proceeds entry)
    proceeds: Item | None  # the proceeds entry an early sale made of it


def item_overview(session: Session, actor: Actor, item: Item, now: datetime) -> ItemOverview:
    """The item page's records; marks ``item.overdue`` from the check-out it is out on."""
    item_checkouts = list(session.scalars(checkouts.checkouts_query(actor, item_id=item.id)))
    # The check-out it is out on now (released, its line not returned) is among them: no query of
    # its own, and the item is overdue when that one is past its due time (items.mark_overdue).
    checkout_now = (
        next(
            (
                c
                for c in item_checkouts
                if c.status is CheckoutStatus.RELEASED
                and any(line.item_id == item.id and line.returned_at is None for line in c.lines)
            ),
            None,
        )
        if item.location_state is LocationState.CHECKED_OUT
        else None
    )
    item.overdue = checkout_now is not None and checkout_now.due_at < now
    today = local_date(now)
    item_freezes = (
        [
            (f, freeze_status_on(f.status, f.expires_on, today))
            for f in session.scalars(freezes.freezes_query(actor, item_id=item.id))
        ]
        if item.measure is Measure.FROZEN  # only frozen items have freeze orders
        else []
    )
    item_dispositions = list(
        session.scalars(
            dispositions.dispositions_query(actor).where(
                Disposition.id.in_(
                    select(DispositionLine.disposition_id).where(DispositionLine.item_id == item.id)
                )
            )
        )
    )
    visible_transfers = transfers.transfers_query(actor).with_only_columns(Transfer.id).order_by(None)
    transfer_lines = list(
        session.scalars(
            select(TransferLine)
            .where(TransferLine.item_id == item.id, TransferLine.transfer_id.in_(visible_transfers))
            .order_by(TransferLine.id)
        )
    )
    pending_line = (
        session.scalar(
            select(TransferLine).where(
                TransferLine.item_id == item.id, TransferLine.decision == LineDecision.PENDING
            )
        )
        if item.custody_state is CustodyState.IN_TRANSFER  # offered in a transfer: its line is pending
        else None
    )
    return ItemOverview(
        checkouts=item_checkouts,
        checkout_now=checkout_now,
        freezes=item_freezes,
        dispositions=item_dispositions,
        transfer_lines=transfer_lines,
        pending_line=pending_line,
        source_item=session.get(Item, item.source_item_id) if item.source_item_id else None,
        proceeds=session.scalar(select(Item).where(Item.source_item_id == item.id))
        if item.disposition_status is DispositionStatus.EXECUTED  # an early sale's proceeds entry
        else None,
    )


@dataclass
class CaseOverview:
    """The case page's records, as the actor may see them."""

    lists: list[Any]  # (seizure list, its number of items)
    items: list[Item]  # the first ``items_shown``, overdue marked
    transfers: list[Transfer]
    checkouts: list[Checkout]
    dispositions: list[Disposition]
    judgment: CaseJudgment | None
    judgment_court: Agency | None
    orders: list[JudgmentOrder]


def case_overview(session: Session, actor: Actor, case: Case, *, items_shown: int) -> CaseOverview:
    """The case's seizure lists, items, transfers, check-outs, disposals and judgment (the caller has
    read ``case`` through ``get_case``). Transfers, check-outs and disposals are listed by number,
    without their lines."""
    lists = list(
        session.execute(
            select(SeizureList, func.count(Item.id))
            .outerjoin(Item, Item.seizure_list_id == SeizureList.id)
            .where(SeizureList.case_id == case.id)
            .group_by(SeizureList.id)
            .order_by(SeizureList.id)
        ).all()
    )
    case_items = items.mark_overdue(
        session,
        list(
            session.scalars(
                items.items_query(actor, ItemQuery(case_id=case.id, sort="id")).limit(items_shown)
            )
        ),
    )
    case_transfers = list(
        session.scalars(transfers.transfers_query(actor, case_id=case.id).options(lazyload(Transfer.lines)))
    )
    case_checkouts = list(
        session.scalars(
            checkouts.checkouts_query(actor, case_id=case.id)
            .options(lazyload(Checkout.lines), lazyload(Checkout.extensions))
            .limit(50)
        )
    )
    case_dispositions = list(
        session.scalars(
            dispositions.dispositions_query(actor, case_id=case.id)
            .options(lazyload(Disposition.lines))
            .limit(50)
        )
    )
    judgment, orders = judgment_orders.judgment_with_orders(session, case)
    return CaseOverview(
        lists=lists,
        items=case_items,
        transfers=case_transfers,
        checkouts=case_checkouts,
        dispositions=case_dispositions,
        judgment=judgment,
        judgment_court=session.get(Agency, judgment.court_agency_id) if judgment else None,
        orders=orders,
    )
