"""The inbox (each role lands on its queue), the scan box's target, and the health check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import Select, func, select, text

from custody.access import current_actor
from custody.domain.actor import Actor
from custody.domain.clock import local_date
from custody.domain.enums import ItemStatus, Role, TransferStatus
from custody.domain.items import ItemFacts, derive_status
from custody.domain.lifecycle import (
    CheckoutStatus,
    CorrectionStatus,
    DispositionRecordStatus,
    ExtensionStatus,
)
from custody.extensions import db
from custody.models.case import Case
from custody.models.item import Item
from custody.models.lifecycle import Checkout, CheckoutExtension, Correction, Disposition
from custody.models.transfer import Transfer
from custody.orm import utcnow
from custody.services import (
    cases,
    checkouts,
    corrections,
    dispositions,
    freezes,
    items,
    spot_checks,
    transfers,
)
from custody.services.items import ItemQuery

from .forms import format_denomination_counts
from .helpers import endpoint_exists, enum_label, link_to, note_field_error, noted_field_errors
from .timeline import Describer, field_label, recent_custody_events

bp = Blueprint("main", __name__)

QUEUE_LIMIT = 20
CHECK_IN_HOURS = 24  # [LAW] seized items are handed to the centre within 24 hours
FREEZE_WARNING_DAYS = 30


# -- template helpers, available on every page -------------------------------------------------

bp.add_app_template_global(link_to, "link_to")
bp.add_app_template_global(endpoint_exists, "endpoint_exists")
bp.add_app_template_filter(enum_label, "label")
bp.add_app_template_global(note_field_error, "note_field_error")
bp.add_app_template_global(field_label, "correction_field_label")
bp.add_app_template_global(noted_field_errors, "noted_field_errors")
bp.add_app_template_filter(format_denomination_counts, "denominations")


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


@bp.app_template_filter("tone")
def tone(status: Any) -> str:
    """The badge colour of a status: ok, warn, info, off."""
    if isinstance(status, ItemStatus):
        return STATUS_TONES.get(status, "info")
    value = getattr(status, "value", status)
    if value in ("completed", "accepted", "approved", "returned", "executed", "active"):
        return "ok"
    if value in ("rejected", "recalled", "cancelled", "lapsed", "released_overdue"):
        return "off"
    if value in ("pending", "partial", "requested", "proposed", "released"):
        return "warn"
    return "info"


# -- the inbox -----------------------------------------------------------------------------------


@dataclass
class Queue:
    """One list in the inbox: the first rows and how many there are in all."""

    rows: list[Any] = field(default_factory=list)
    total: int = 0


def _queue(stmt: Select[Any], limit: int = QUEUE_LIMIT) -> Queue:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(db.session.scalars(stmt.limit(limit))) if total else []
    return Queue(rows, total)


def _incoming_transfers(actor: Actor) -> Queue:
    stmt = transfers.transfers_query(actor, direction="incoming").where(
        Transfer.status.in_((TransferStatus.PENDING, TransferStatus.PARTIAL))
    )
    return _queue(stmt.order_by(None).order_by(Transfer.id))


def _awaiting_check_in(actor: Actor) -> Queue:
    stmt = items.items_query(
        actor,
        ItemQuery(status=ItemStatus.AWAITING_CHECK_IN, custodian=str(actor.agency_id), sort="seized_at"),
    )
    return _queue(stmt)


def _flagged(actor: Actor) -> Queue:
    return _queue(items.items_query(actor, ItemQuery(flagged=True, custodian=str(actor.agency_id))))


def _released(actor: Actor) -> Queue:
    """Check-outs out of storage now, latest due first … overdue first: by due time."""
    stmt = checkouts.checkouts_query(actor, status=CheckoutStatus.RELEASED).where(
        Checkout.custodian_agency_id == actor.agency_id
    )
    return _queue(stmt.order_by(None).order_by(Checkout.due_at))


def _checkouts(actor: Actor, status: CheckoutStatus, *, others_only: bool = False) -> Queue:
    stmt = checkouts.checkouts_query(actor, status=status).where(
        Checkout.custodian_agency_id == actor.agency_id
    )
    if others_only:
        stmt = stmt.where(Checkout.requested_by_id != actor.user_id)
    return _queue(stmt.order_by(None).order_by(Checkout.id))


def _extensions(actor: Actor) -> Queue:
    waiting = select(CheckoutExtension.checkout_id).where(
        CheckoutExtension.status == ExtensionStatus.REQUESTED,
        CheckoutExtension.requested_by_id != actor.user_id,
    )
    stmt = checkouts.checkouts_query(actor).where(
        Checkout.custodian_agency_id == actor.agency_id, Checkout.id.in_(waiting)
    )
    return _queue(stmt.order_by(None).order_by(Checkout.due_at))


def _dispositions(actor: Actor, status: DispositionRecordStatus, *, others_only: bool = False) -> Queue:
    stmt = dispositions.dispositions_query(actor, status=status).where(
        Disposition.custodian_agency_id == actor.agency_id
    )
    if others_only:
        stmt = stmt.where(Disposition.proposed_by_id != actor.user_id)
    return _queue(stmt.order_by(None).order_by(Disposition.id))


def _corrections(actor: Actor) -> Queue:
    stmt = corrections.corrections_query(actor, status=CorrectionStatus.PROPOSED).where(
        Item.custodian_agency_id == actor.agency_id, Correction.proposed_by_id != actor.user_id
    )
    return _queue(stmt.order_by(None).order_by(Correction.id))


def _expiring_freezes(actor: Actor) -> Queue:
    soon = local_date(utcnow()) + timedelta(days=FREEZE_WARNING_DAYS)
    stmt = freezes.freezes_query(actor, expiring_before=soon).where(
        Item.custodian_agency_id == actor.agency_id
    )
    return _queue(stmt)


def _undocumented_valuables(actor: Actor) -> Queue:
    """Valuables the agency holds without a photo or an estimated value (services/items.py)."""
    return _queue(items.undocumented_valuables_query(actor))


def _handled_cases(actor: Actor) -> Queue:
    stmt = cases.list_cases_query(actor).where(Case.handling_agency_id == actor.agency_id)
    return _queue(stmt, limit=10)


def _inspections(actor: Actor) -> Queue:
    """Spot-check items drawn for this user to inspect, result not yet recorded."""
    lines = spot_checks.my_open_inspections(db.session, actor)
    return Queue(lines[:QUEUE_LIMIT], len(lines))


def build_inbox(actor: Actor) -> dict[str, Any]:
    inbox: dict[str, Any] = {}
    inspections = _inspections(actor)  # drawn from auditors and approvers; shown only when there are some
    if inspections.total:
        inbox["inspections"] = inspections
    officer, keeper = actor.has_role(Role.OFFICER), actor.has_role(Role.KEEPER)
    if officer or keeper:
        inbox["incoming"] = _incoming_transfers(actor)
        inbox["awaiting"] = _awaiting_check_in(actor)
    if officer:
        inbox["flagged"] = _flagged(actor)
        inbox["valuables"] = _undocumented_valuables(actor)
        inbox["out"] = _released(actor)
        inbox["freezes"] = _expiring_freezes(actor)
        inbox["cases"] = _handled_cases(actor)
    if actor.has_role(Role.APPROVER):
        inbox["approve_checkouts"] = _checkouts(actor, CheckoutStatus.REQUESTED, others_only=True)
        inbox["approve_extensions"] = _extensions(actor)
        inbox["approve_dispositions"] = _dispositions(
            actor, DispositionRecordStatus.PROPOSED, others_only=True
        )
        inbox["approve_corrections"] = _corrections(actor)
    if keeper:
        inbox["release"] = _checkouts(actor, CheckoutStatus.APPROVED)
        inbox["take_back"] = _released(actor)
        inbox["execute"] = _dispositions(actor, DispositionRecordStatus.APPROVED)
    if actor.has_role(Role.AUDITOR):
        describer = Describer(db.session)
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
    return inbox


@bp.get("/")
@login_required
def home():
    actor = current_actor()
    inbox = build_inbox(actor)
    missing = (
        {item.id: items.missing_records(item) for item in inbox["valuables"].rows}
        if "valuables" in inbox
        else {}
    )
    return render_template(
        "home.html",
        actor=actor,
        inbox=inbox,
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
    """Liveness and database reachability, for load balancers and monitoring."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:
        db.session.rollback()
        database = f"error: {type(exc).__name__}"
    status = 200 if database == "ok" else 503
    return jsonify(
        status="ok" if status == 200 else "degraded", database=database, engine=db.engine.dialect.name
    ), status
