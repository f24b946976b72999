"""The inbox (each role lands on its queue), the scan box's target, and the health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from custody import health
from custody.access import current_actor
from custody.domain.actor import Actor
from custody.domain.enums import ItemStatus, Role
from custody.domain.errors import DomainError
from custody.domain.items import ItemFacts, derive_status, is_location_scan_code, valuable_missing
from custody.domain.personal_data import sees_personal_data
from custody.domain.transfers import TransferOutcome, outcome
from custody.errors import translate
from custody.extensions import db
from custody.models.item import Item
from custody.models.transfer import Transfer
from custody.orm import utcnow
from custody.services import inbox as inbox_service
from custody.services import (
    items,
    storage,
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

CHECK_IN_HOURS = 24  # [LAW] seized items are handed to the centre within 24 hours


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
# The queues and how they are loaded are services/inbox.py; the page adds the auditor's activity.


def build_inbox(actor: Actor) -> tuple[dict[str, Any], dict[tuple[str, int], tuple[Any, ...]]]:
    """The inbox's queues (and the auditor's recent activity), and the extra counts of their rows."""
    queues, extras = inbox_service.load_queues(db.session, inbox_service.inbox_queues(actor))
    inbox: dict[str, Any] = dict(queues)
    if not inbox["inspections"].total:  # drawn from auditors and approvers; shown only when there are some
        del inbox["inspections"]
    if actor.has_role(Role.AUDITOR):
        describer = Describer(db.session, full_personal=sees_personal_data(actor))
        recent = recent_custody_events(db.session)
        codes = items.label_codes(db.session, {event.item_id for event in recent if event.item_id})
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

    The database is asked at most once per ``CUSTODY_HEALTH_PROBE_MS`` per process (issue 15): load
    balancers ask several times a second, and a probe a second old tells them as much."""
    database = health.database_status(db.engine, current_app.config["CUSTODY_HEALTH_PROBE_MS"] / 1000)
    status = 200 if database == "ok" else 503
    return jsonify(
        status="ok" if status == 200 else "degraded", database=database, engine=db.engine.dialect.name
    ), status
