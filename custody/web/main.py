"""The inbox (each role lands on its queue), the scan box's target, and the health check."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import BigInteger, Select, cast, func, literal, null, or_, select, union_all
from sqlalchemy.orm import joinedload, lazyload, selectinload

from custody.access import current_actor
from custody.domain.actor import Actor
from custody.domain.clock import local_date
from custody.domain.enums import AgencyKind, AttachmentKind, ItemStatus, LineDecision, Role, TransferStatus
from custody.domain.errors import DomainError
from custody.domain.items import ItemFacts, derive_status, is_location_scan_code, valuable_missing
from custody.domain.lifecycle import (
    CheckoutStatus,
    CorrectionStatus,
    DispositionRecordStatus,
    ExtensionStatus,
)
from custody.domain.personal_data import sees_personal_data
from custody.domain.transfers import TransferOutcome, outcome
from custody.errors import translate
from custody.extensions import db
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
from custody.services import (
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
from custody.services.items import ItemQuery

from .forms import format_denomination_counts
from .helpers import (
    endpoint_exists,
    enum_label,
    link_to,
    note_field_error,
    noted_field_errors,
    own_case_number,
)
from .particulars import item_quantity, item_value
from .timeline import Describer, field_label, recent_custody_events

bp = Blueprint("main", __name__)

QUEUE_LIMIT = 20
CHECK_IN_HOURS = 24  # [LAW] seized items are handed to the centre within 24 hours
FREEZE_WARNING_DAYS = 30


# -- template helpers, available on every page -------------------------------------------------

bp.add_app_template_global(link_to, "link_to")
bp.add_app_template_global(endpoint_exists, "endpoint_exists")
bp.add_app_template_filter(enum_label, "label")
bp.add_app_template_filter(own_case_number, "own_case_no")
bp.add_app_template_global(note_field_error, "note_field_error")
bp.add_app_template_global(field_label, "correction_field_label")
bp.add_app_template_global(noted_field_errors, "noted_field_errors")
bp.add_app_template_filter(format_denomination_counts, "denominations")
bp.add_app_template_filter(item_quantity, "item_quantity")  # cash: its amount, not "1 元"
bp.add_app_template_filter(item_value, "item_value")


@bp.app_template_filter("item_status")
def item_status(item: Item) -> ItemStatus:
    """The one-word status derived from the item's four dimensions (never stored)."""
    return derive_status(ItemFacts(item.custody_state, item.location_state, item.disposition_status))


@bp.app_template_filter("hours_since")
def hours_since(moment: Any) -> float:
    return round((utcnow() - moment).total_seconds() / 3600, 1) if moment else 0.0


@bp.app_template_filter("qty")
def quantity(value: Any) -> str:
    """2.000 → 2, 1.500 → 1.5."""
    if value is None:
        return ""
    text_value = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    return text_value


STATUS_TONES = {
    ItemStatus.AWAITING_CHECK_IN: "warn",
    ItemStatus.IN_STORAGE: "ok",
    ItemStatus.CHECKED_OUT: "info",
    ItemStatus.WITH_HOLDER: "info",
    ItemStatus.EXTERNAL: "info",
    ItemStatus.IN_TRANSFER: "warn",
    ItemStatus.DISPOSAL_PENDING: "warn",
    ItemStatus.DISPOSED: "off",
}


@bp.app_template_filter("transfer_outcome")
def transfer_outcome(transfer: Transfer) -> TransferOutcome:
    """What a transfer came to: a completed one with a rejected line is 部分拒收, not just completed."""
    return outcome(transfer.status, (line.decision for line in transfer.lines))


OUTCOME_TONES = {
    TransferOutcome.SIGNED_FOR: "ok",
    TransferOutcome.PARTLY_REJECTED: "bad",
    TransferOutcome.REJECTED: "bad",
    TransferOutcome.RECALLED: "off",
}


@bp.app_template_filter("tone")
def tone(status: Any) -> str:
    """The badge colour of a status: ok, warn, info, off."""
    if isinstance(status, ItemStatus):
        return STATUS_TONES.get(status, "info")
    if isinstance(status, TransferOutcome):
        return OUTCOME_TONES.get(status, "warn")
    value = getattr(status, "value", status)
    if value in ("completed", "accepted", "approved", "returned", "executed", "active"):
        return "ok"
    if value in ("rejected", "recalled", "cancelled", "lapsed", "released_overdue"):
        return "off"
    if value in ("pending", "partial", "requested", "proposed", "released"):
        return "warn"
    return "info"


# -- the inbox -----------------------------------------------------------------------------------
#
# Each queue is a statement (what is waiting, in the order shown). The whole inbox costs one
# statement for every queue's total and first rows (a UNION ALL of the queues, each counted with a
# window function before its LIMIT), then one statement per kind of record shown (items, transfers,
# check-outs…), whatever the number of queues and rows — not two statements per queue and a lazy load
# per row (issue 15, tests/test_query_budgets.py).


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
    rows = db.session.execute(union_all(*branches)).all()

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
        loaded[model] = {row.id: row for row in db.session.scalars(stmt)}
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


def build_inbox(actor: Actor) -> tuple[dict[str, Any], dict[tuple[str, int], tuple[Any, ...]]]:
    """The inbox's queues (and the auditor's recent activity), and the extra counts of their rows."""
    queues, extras = load_queues(inbox_queues(actor))
    inbox: dict[str, Any] = dict(queues)
    if not inbox["inspections"].total:  # drawn from auditors and approvers; shown only when there are some
        del inbox["inspections"]
    if actor.has_role(Role.AUDITOR):
        describer = Describer(db.session, full_personal=sees_personal_data(actor))
        recent = recent_custody_events(db.session)
        codes = (
            dict(
                db.session.execute(
                    select(Item.id, Item.label_code).where(Item.id.in_({event.item_id for event in recent}))
                ).all()
            )
            if recent
            else {}
        )
        inbox["activity"] = [
            (event, describer.describe(event)[0], codes.get(event.item_id) if event.item_id else None)
            for event in recent
        ]
    return inbox, extras


@bp.get("/")
@login_required
def home():
    actor = current_actor()
    inbox, extras = build_inbox(actor)
    missing = (
        {
            item.id: valuable_missing(
                item.category,
                has_photo=bool(extras[("valuables", item.id)][0]),
                is_valued=item.estimated_value_fen is not None,
            )
            for item in inbox["valuables"].rows
        }
        if "valuables" in inbox
        else {}
    )
    return render_template(
        "home.html",
        actor=actor,
        inbox=inbox,
        extras=extras,
        now=utcnow(),
        check_in_hours=CHECK_IN_HOURS,
        valuable_missing=missing,
    )


# -- the scan box --------------------------------------------------------------------------------


@bp.get("/scan")
@login_required
def scan():
    """A scanned (or typed) label code: open the item, or say clearly that there is none."""
    actor = current_actor()
    code = (request.args.get("code") or "").strip().upper()
    if is_location_scan_code(code):  # a shelf or bin label: that location and what is in it
        try:
            place = storage.location_by_scan_code(db.session, actor, code)
        except DomainError as error:
            return render_template(
                "error.html",
                status=error.status,
                title=_("Location not found") if error.status == 404 else _("Not your centre"),
                detail=translate(error.message, error.params),
            ), error.status
        return redirect(url_for("storage.location", location_id=place.id))
    if code:
        item = db.session.scalar(items.items_query(actor, ItemQuery(label_code=code)))
        if item is not None:
            return redirect(url_for("items.detail", item_id=item.id))
    detail = (
        _("No item has the label code %(code)s, or it is not visible to your agency.", code=code)
        if code
        else _("Scan a label, or type its code, in the box at the top of the page.")
    )
    return render_template("error.html", status=404, title=_("Label not found"), detail=detail), 404


@bp.get("/healthz")
def healthz():
    """Liveness and database reachability, for load balancers and monitoring.

    Asked of a pooled connection directly, not through the request's session: load balancers ask
    several times a second, and the answer needs no transaction (issue 15)."""
    try:
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            cursor.close()
        finally:
            connection.close()  # back to the pool (which ends what the driver began)
        database = "ok"
    except Exception as exc:
        database = f"error: {type(exc).__name__}"
    status = 200 if database == "ok" else 503
    return jsonify(
        status="ok" if status == 200 else "degraded", database=database, engine=db.engine.dialect.name
    ), status
