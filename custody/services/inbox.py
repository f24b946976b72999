"""The inbox's queues: what waits for each role, and how the whole inbox is read.

Each queue is a statement (what is waiting, in the order shown). The whole inbox costs one statement
for every queue's total and first rows (a UNION ALL of the queues, each counted with a window function
before its LIMIT), then one statement per kind of record shown (items, transfers, check-outs…),
whatever the number of queues and rows — not two statements per queue and a lazy load per row
(issue 15, tests/test_query_budgets.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import BigInteger, Select, cast, func, literal, null, or_, select, union_all
from sqlalchemy.orm import Session, joinedload, lazyload, selectinload

from custody.domain.actor import Actor
from custody.domain.clock import local_date
from custody.domain.enums import AgencyKind, AttachmentKind, ItemStatus, LineDecision, Role, TransferStatus
from custody.domain.lifecycle import (
    CheckoutStatus,
    CorrectionStatus,
    DispositionRecordStatus,
    ExtensionStatus,
)
from custody.models.case import Case
from custody.models.item import Attachment, Item
from custody.models.lifecycle import (
    Checkout,
    CheckoutExtension,
    CheckoutLine,
    Correction,
    Disposition,
    DispositionLine,
    FreezeOrder,
)
from custody.models.oversight import JudgmentOrder, SpotCheck, SpotCheckItem
from custody.models.transfer import Transfer, TransferLine
from custody.orm import utcnow

from . import (
    cases,
    checkouts,
    corrections,
    dispositions,
    freezes,
    items,
    judgment_orders,
    spot_checks,
    storage,
    transfers,
)
from .items import ItemQuery

QUEUE_LIMIT = 20
FREEZE_WARNING_DAYS = 30


@dataclass
class Queue:
    """One list in the inbox: the first rows and how many there are in all."""

    rows: list[Any] = field(default_factory=list)
    total: int = 0


@dataclass(frozen=True)
class QueueSpec:
    """A queue: which records (``model`` rows chosen by ``stmt``), in which ``order``, how many shown;
    ``extra`` an integer per row counted in the same statement (lines of a transfer…)."""

    model: type[Any]
    stmt: Select[Any]
    order: tuple[Any, ...]
    limit: int = QUEUE_LIMIT
    extra: tuple[Any, ...] = ()


def _lines_of(model: type[Any], key: Any, *where: Any) -> Any:
    """The number of lines of each ``model`` row (``key`` the lines' reference to it)."""
    return select(func.count()).where(key == model.id, *where).correlate(model).scalar_subquery()


def _transfer_queue(stmt: Select[Any]) -> QueueSpec:
    return QueueSpec(
        Transfer,
        stmt,
        (Transfer.id,),
        extra=(
            _lines_of(Transfer, TransferLine.transfer_id, TransferLine.decision == LineDecision.PENDING),
            _lines_of(Transfer, TransferLine.transfer_id),
        ),
    )


def _checkout_queue(stmt: Select[Any], *order: Any) -> QueueSpec:
    return QueueSpec(Checkout, stmt, order, extra=(_lines_of(Checkout, CheckoutLine.checkout_id),))


def _disposition_queue(stmt: Select[Any]) -> QueueSpec:
    return QueueSpec(
        Disposition,
        stmt,
        (Disposition.id,),
        extra=(_lines_of(Disposition, DispositionLine.disposition_id),),
    )


def _incoming_transfers(actor: Actor) -> QueueSpec:
    return _transfer_queue(
        transfers.transfers_query(actor, direction="incoming").where(
            Transfer.status.in_((TransferStatus.PENDING, TransferStatus.PARTIAL))
        )
    )


def _awaiting_check_in(actor: Actor) -> QueueSpec:
    # A centre operator's keepers receive the items of every custodian agency.
    custodian = "" if actor.operated_centre_ids else str(actor.agency_id)
    query = ItemQuery(status=ItemStatus.AWAITING_CHECK_IN, custodian=custodian, sort="seized_at")
    return QueueSpec(Item, items.items_query(actor, query), (Item.seized_at, Item.id.desc()))


def _flagged(actor: Actor) -> QueueSpec:
    query = ItemQuery(flagged=True, custodian=str(actor.agency_id))
    return QueueSpec(Item, items.items_query(actor, query), (Item.id.desc(),))


def _kept_by(actor: Actor, line_model: Any, record: Any) -> Any:
    """Workflow records of the actor's agency, or (a centre operator's keepers) with an item in a centre
    the agency operates."""
    mine = record.custodian_agency_id == actor.agency_id
    if not actor.operated_centre_ids:
        return mine
    parent = line_model.checkout_id if line_model is CheckoutLine else line_model.disposition_id
    in_centre = (
        select(parent).join(Item, Item.id == line_model.item_id).where(storage.in_operated_centres(actor))
    )
    return or_(mine, record.id.in_(in_centre))


def _released(actor: Actor, *, keeper: bool = False) -> QueueSpec:
    """Check-outs out of storage now, by due time (overdue first); a keeper's: also those a centre
    operator's keepers take back."""
    stmt = checkouts.checkouts_query(actor, status=CheckoutStatus.RELEASED).where(
        _kept_by(actor, CheckoutLine, Checkout) if keeper else Checkout.custodian_agency_id == actor.agency_id
    )
    return _checkout_queue(stmt, Checkout.due_at, Checkout.id)


def _checkouts(
    actor: Actor, status: CheckoutStatus, *, others_only: bool = False, keeper: bool = False
) -> QueueSpec:
    stmt = checkouts.checkouts_query(actor, status=status).where(
        _kept_by(actor, CheckoutLine, Checkout) if keeper else Checkout.custodian_agency_id == actor.agency_id
    )
    if others_only:
        stmt = stmt.where(Checkout.requested_by_id != actor.user_id)
    return _checkout_queue(stmt, Checkout.id)


def _extensions(actor: Actor) -> QueueSpec:
    waiting = select(CheckoutExtension.checkout_id).where(
        CheckoutExtension.status == ExtensionStatus.REQUESTED,
        CheckoutExtension.requested_by_id != actor.user_id,
    )
    stmt = checkouts.checkouts_query(actor).where(
        Checkout.custodian_agency_id == actor.agency_id, Checkout.id.in_(waiting)
    )
    return _checkout_queue(stmt, Checkout.due_at, Checkout.id)


def _dispositions(
    actor: Actor, status: DispositionRecordStatus, *, others_only: bool = False, keeper: bool = False
) -> QueueSpec:
    stmt = dispositions.dispositions_query(actor, status=status).where(
        _kept_by(actor, DispositionLine, Disposition)
        if keeper
        else Disposition.custodian_agency_id == actor.agency_id
    )
    if others_only:
        stmt = stmt.where(Disposition.proposed_by_id != actor.user_id)
    return _disposition_queue(stmt)


def _corrections(actor: Actor) -> QueueSpec:
    stmt = corrections.corrections_query(actor, status=CorrectionStatus.PROPOSED).where(
        Item.custodian_agency_id == actor.agency_id, Correction.proposed_by_id != actor.user_id
    )
    return QueueSpec(Correction, stmt, (Correction.id,))


def _expiring_freezes(actor: Actor) -> QueueSpec:
    soon = local_date(utcnow()) + timedelta(days=FREEZE_WARNING_DAYS)
    stmt = freezes.freezes_query(actor, expiring_before=soon).where(
        Item.custodian_agency_id == actor.agency_id
    )
    return QueueSpec(FreezeOrder, stmt, (FreezeOrder.expires_on, FreezeOrder.id))


def _undocumented_valuables(actor: Actor) -> QueueSpec:
    """Valuables the agency holds without a photo or an estimated value (services/items.py); the
    extra column says whether a photo is on record (what the row still lacks)."""
    photographed = (
        select(func.count())
        .where(Attachment.item_id == Item.id, Attachment.kind == AttachmentKind.PHOTO)
        .correlate(Item)
        .scalar_subquery()
    )
    return QueueSpec(
        Item, items.undocumented_valuables_query(actor), (Item.seized_at, Item.id), extra=(photographed,)
    )


def _handled_cases(actor: Actor) -> QueueSpec:
    stmt = cases.list_cases_query(actor).where(Case.handling_agency_id == actor.agency_id)
    return QueueSpec(Case, stmt, (Case.id.desc(),), limit=10)


def _inspections(actor: Actor) -> QueueSpec:
    """Spot-check items drawn for this user to inspect, result not yet recorded."""
    return QueueSpec(
        SpotCheckItem,
        spot_checks.open_inspections_query(actor),
        (SpotCheckItem.spot_check_id, SpotCheckItem.position),
    )


def _receipts_awaiting(actor: Actor) -> QueueSpec:
    """待确认执行回单 — orders of this court's judgments whose disposal was executed."""
    return QueueSpec(
        JudgmentOrder,
        judgment_orders.receipts_awaiting_query(actor),
        (JudgmentOrder.executed_at, JudgmentOrder.id),
    )


EXTRA_COLUMNS = 2
# What each kind of record shows in the inbox, loaded with it (no lazy load per row).
LOAD_WITH: dict[type[Any], tuple[Any, ...]] = {
    Item: (joinedload(Item.case),),
    Transfer: (joinedload(Transfer.case), lazyload(Transfer.lines)),
    Checkout: (lazyload(Checkout.lines), lazyload(Checkout.extensions)),
    Disposition: (lazyload(Disposition.lines),),
    Correction: (joinedload(Correction.item),),
    FreezeOrder: (joinedload(FreezeOrder.item), lazyload(FreezeOrder.renewals)),
    Case: (),
    SpotCheckItem: (joinedload(SpotCheckItem.spot_check).lazyload(SpotCheck.items),),
    JudgmentOrder: (
        joinedload(JudgmentOrder.case),
        joinedload(JudgmentOrder.item),
        joinedload(JudgmentOrder.disposition).lazyload(Disposition.lines),
    ),
}


def load_queues(
    session: Session,
    specs: dict[str, QueueSpec],
) -> tuple[dict[str, Queue], dict[tuple[str, int], tuple[Any, ...]]]:
    """Every queue's total and first rows, and each row's extra counts by (queue, id)."""
    if not specs:
        return {}, {}
    branches = []
    for key, spec in specs.items():
        extra = list(spec.extra) + [null()] * (EXTRA_COLUMNS - len(spec.extra))
        ranked = (
            spec.stmt.order_by(None)
            .with_only_columns(
                literal(key).label("queue"),
                spec.model.id.label("id"),
                func.count().over().label("total"),
                func.row_number().over(order_by=spec.order).label("position"),
                *(cast(column, BigInteger).label(f"extra{n}") for n, column in enumerate(extra)),
                maintain_column_froms=True,
            )
            .order_by(*spec.order)
            .limit(spec.limit)
            .subquery()
        )
        branches.append(select(*ranked.c))
    rows = session.execute(union_all(*branches)).all()

    ids: dict[type[Any], set[int]] = defaultdict(set)
    found: dict[str, list[tuple[int, int]]] = defaultdict(list)
    totals: dict[str, int] = {}
    extras: dict[tuple[str, int], tuple[Any, ...]] = {}
    for row in rows:
        ids[specs[row.queue].model].add(row.id)
        found[row.queue].append((row.position, row.id))
        totals[row.queue] = row.total
        extras[(row.queue, row.id)] = tuple(getattr(row, f"extra{n}") for n in range(EXTRA_COLUMNS))
    loaded: dict[type[Any], dict[int, Any]] = {}
    for model, wanted in ids.items():
        options = LOAD_WITH[model]
        if model is Checkout and "approve_extensions" in found:
            options = (lazyload(Checkout.lines), selectinload(Checkout.extensions))
        stmt = select(model).where(model.id.in_(wanted)).options(*options)
        loaded[model] = {row.id: row for row in session.scalars(stmt)}
    queues = {
        key: Queue(
            [loaded[spec.model][row_id] for _, row_id in sorted(found.get(key, ()))], totals.get(key, 0)
        )
        for key, spec in specs.items()
    }
    return queues, extras


def inbox_queues(actor: Actor) -> dict[str, QueueSpec]:
    """The queues of this user's roles, in the order the inbox shows them."""
    specs: dict[str, QueueSpec] = {"inspections": _inspections(actor)}
    officer, keeper = actor.has_role(Role.OFFICER), actor.has_role(Role.KEEPER)
    if officer or keeper:
        specs["incoming"] = _incoming_transfers(actor)
        specs["awaiting"] = _awaiting_check_in(actor)
    if officer:
        specs["flagged"] = _flagged(actor)
        specs["valuables"] = _undocumented_valuables(actor)
        specs["out"] = _released(actor)
        specs["freezes"] = _expiring_freezes(actor)
        specs["cases"] = _handled_cases(actor)
        if actor.agency_kind is AgencyKind.COURT:
            specs["receipts"] = _receipts_awaiting(actor)
    if actor.has_role(Role.APPROVER):
        specs["approve_checkouts"] = _checkouts(actor, CheckoutStatus.REQUESTED, others_only=True)
        specs["approve_extensions"] = _extensions(actor)
        specs["approve_dispositions"] = _dispositions(
            actor, DispositionRecordStatus.PROPOSED, others_only=True
        )
        specs["approve_corrections"] = _corrections(actor)
    if keeper:
        specs["release"] = _checkouts(actor, CheckoutStatus.APPROVED, keeper=True)
        specs["take_back"] = _released(actor, keeper=True)
        specs["execute"] = _dispositions(actor, DispositionRecordStatus.APPROVED, keeper=True)
    return specs
