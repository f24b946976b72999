"""Keeper pages: batch check-in by scanning (入库), moves, external placement, condition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required
from sqlalchemy import select

from custody.access import current_actor
from custody.domain.actor import Actor
from custody.domain.enums import CustodyState, ExternalKind, ItemStatus, LocationState
from custody.domain.errors import DomainError, PermissionDenied
from custody.domain.items import ItemFacts, derive_status
from custody.domain.policy import Action, Relation, require
from custody.errors import record_denial, translate
from custody.extensions import db
from custody.models.agency import StorageLocation
from custody.models.item import Item
from custody.orm import utcnow
from custody.services import items, storage
from custody.services.items import ItemQuery
from custody.services.visibility import get_item

from .forms import CheckInForm, ConditionForm, ExternalForm, MoveForm, options
from .helpers import aware_local, enum_label, show_domain_error
from .main import tone

bp = Blueprint("storage", __name__, url_prefix="/storage")
MAX_BATCH = 500
CHECK_IN_FROM = (LocationState.AWAITING_CHECK_IN, LocationState.WITH_HOLDER, LocationState.EXTERNAL)


@bp.before_request
@login_required
def _require_login() -> None:
    """Keepers' pages; the services check each action against the policy."""


def _location_choices() -> list[Any]:
    locations = sorted(
        db.session.scalars(select(StorageLocation).where(StorageLocation.is_active)), key=lambda loc: loc.path
    )
    return options([(loc.id, loc.path) for loc in locations])


def _find(actor: Actor, code: str) -> Item | None:
    return db.session.scalar(items.items_query(actor, ItemQuery(label_code=code)))


def normalise_codes(values: list[str]) -> list[str]:
    """Codes from scanner rows and the typed list, upper-cased, in order (repeats kept: flagged later)."""
    codes: list[str] = []
    for value in values:
        for line in str(value).replace(",", "\n").splitlines():
            code = line.strip().upper()
            if code:
                codes.append(code)
    return codes


def check_in_problem(actor: Actor, item: Item | None) -> str | None:
    """Why this scanned item cannot be checked in by this keeper now (None: it can)."""
    if item is None:
        return _("Unknown label code, or not visible to your agency.")
    status = derive_status(ItemFacts(item.custody_state, item.location_state, item.disposition_status))
    if status is ItemStatus.DISPOSED:
        return _("This item has been disposed of.")
    # A centre operator's keepers receive every agency's items (the service checks the location's centre).
    if item.custodian_agency_id != actor.agency_id and not actor.operated_centre_ids:
        return _("Held by %(agency)s: their keeper checks it in.", agency=item.custodian_agency.name)
    if item.custody_state is CustodyState.IN_TRANSFER:
        return _("In a transfer awaiting sign-for.")
    if item.location_state not in CHECK_IN_FROM:
        return _("Not awaiting check-in: %(status)s.", status=enum_label(status))
    return None


@dataclass
class BatchRow:
    code: str
    item: Item | None = None
    error: str | None = None

    @property
    def hours(self) -> float | None:
        if self.item is None or self.item.checked_in_at is not None:
            return None
        return round((utcnow() - self.item.seized_at).total_seconds() / 3600, 1)


@bp.route("/check-in", methods=["GET", "POST"])
def check_in():
    """入库 by scanning: choose the location, scan labels one after another, check them all in at once.

    One submit checks in every scanned item in one transaction: all or nothing, with the reason
    next to each item that cannot be checked in.
    """
    actor = current_actor()
    require(actor, Action.CHECK_IN, {Relation.CUSTODIAN})  # keepers only (each item is checked again)
    form = CheckInForm()
    form.location_id.choices = _location_choices()
    status = 200
    rows: list[BatchRow] = []
    if not form.is_submitted():
        wanted = request.args.get("location_id", "")
        if wanted.isdecimal():
            form.location_id.data = int(wanted)
        rows = [BatchRow(code, _find(actor, code)) for code in normalise_codes(request.args.getlist("code"))]
        for row in rows:
            row.error = check_in_problem(actor, row.item)
    elif form.validate_on_submit():
        codes = normalise_codes(request.form.getlist("codes") + [form.codes_text.data or ""])
        rows, status = _check_in_batch(actor, form, codes)
        if status == 200:
            location = db.session.get(StorageLocation, form.location_id.data)
            flash(
                ngettext(
                    "%(num)s item checked in to %(location)s.",
                    "%(num)s items checked in to %(location)s.",
                    len(rows),
                    location=location.path if location else "",
                ),
                "success",
            )
            return redirect(url_for("storage.check_in", location_id=form.location_id.data))
    else:
        status = 422
        rows = [
            BatchRow(code, _find(actor, code))
            for code in normalise_codes(request.form.getlist("codes") + [form.codes_text.data or ""])
        ]
    form.codes_text.data = ""  # the batch is shown as rows (each keeps its own hidden input)
    return render_template("storage/check_in.html", form=form, rows=rows), status


def _check_in_batch(actor: Actor, form: CheckInForm, codes: list[str]) -> tuple[list[BatchRow], int]:
    if not codes:
        form.codes_text.errors = [*form.codes_text.errors, _("Scan at least one label.")]
        return [], 422
    if len(codes) > MAX_BATCH:
        form.codes_text.errors = [*form.codes_text.errors, _("At most %(n)s items per batch.", n=MAX_BATCH)]
        return [], 422
    rows: list[BatchRow] = []
    seen: set[str] = set()
    for code in codes:
        row = BatchRow(code, _find(actor, code))
        if code in seen:
            row.error = _("Scanned twice.")
        elif row.item is None:
            row.error = check_in_problem(actor, None)
        seen.add(code)
        rows.append(row)
    if any(row.error for row in rows):
        return rows, 422
    occurred_at, reason = aware_local(form.occurred_at.data), form.reason.data or None
    failed = False
    denied: PermissionDenied | None = None
    for row in rows:
        if row.item is None:  # refused above: every row has an item once no row has an error
            continue
        try:
            storage.check_in(
                db.session,
                actor,
                row.item.id,
                location_id=form.location_id.data,
                condition=form.condition.data or None,
                occurred_at=occurred_at,
                reason=reason,
            )
        except DomainError as error:
            failed = True
            if denied is None and isinstance(error, PermissionDenied):
                denied = error
            row.error = translate(error.message, error.params)
            for name in ("location_id", "occurred_at", "reason"):  # batch-wide problems go on the field
                if name in error.fields:
                    field = getattr(form, name)
                    messages = [translate(m) for m in error.fields[name]]
                    field.errors = [*field.errors, *(m for m in messages if m not in field.errors)]
    if failed:
        db.session.rollback()
        if denied is not None:
            record_denial(denied)  # a refused batch is recorded like every denial (the first refusal)
        flash(
            _("Nothing was checked in: correct the marked items (or remove them) and submit again."), "error"
        )
        rows = [BatchRow(row.code, _find(actor, row.code), row.error) for row in rows]
        return rows, 409 if not form.errors else 422
    db.session.commit()
    return rows, 200


@bp.get("/lookup")
def lookup():
    """What a scanned code is, for the batch page's list (JSON; the page works without it too)."""
    actor = current_actor()
    codes = normalise_codes([request.args.get("code", "")])
    code = codes[0] if codes else ""
    item = _find(actor, code) if code else None
    if item is None:
        return jsonify(code=code, found=False, ok=False, message=check_in_problem(actor, None)), 404
    status = derive_status(ItemFacts(item.custody_state, item.location_state, item.disposition_status))
    problem = check_in_problem(actor, item)
    hours = None if item.checked_in_at else round((utcnow() - item.seized_at).total_seconds() / 3600, 1)
    return jsonify(
        code=item.label_code,
        found=True,
        ok=problem is None,
        message=problem,
        id=item.id,
        name=item.name,
        case=item.case.title,
        status=status.value,
        status_label=enum_label(status),
        tone=tone(status),
        hours=hours,
        url=url_for("items.detail", item_id=item.id),
    )


# -- one item ------------------------------------------------------------------------------------


def _item_form_page(item_id: int, form_cls: type, title: str, apply) -> Any:
    actor = current_actor()
    item = get_item(db.session, actor, item_id)
    form = form_cls()
    if hasattr(form, "location_id"):
        form.location_id.choices = _location_choices()
        if not form.is_submitted() and item.storage_location_id:
            form.location_id.data = item.storage_location_id
    if isinstance(form, ConditionForm) and not form.is_submitted():
        form.condition.data = item.condition
    status = 200
    if form.validate_on_submit():
        try:
            apply(actor, item, form)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
            status = error.status
            item = get_item(db.session, actor, item_id)
        else:
            flash(_("Recorded."), "success")
            return redirect(url_for("items.detail", item_id=item_id) + "#timeline")
    elif form.is_submitted():
        status = 422
    return render_template("storage/item_form.html", item=item, form=form, title=title), status


def _when(form: Any) -> dict[str, Any]:
    return {"occurred_at": aware_local(form.occurred_at.data), "reason": form.reason.data or None}


@bp.route("/items/<int:item_id>/move", methods=["GET", "POST"])
def move(item_id: int):
    return _item_form_page(
        item_id,
        MoveForm,
        _("Move to another location"),
        lambda actor, item, form: storage.move(
            db.session, actor, item.id, location_id=form.location_id.data, **_when(form)
        ),
    )


@bp.route("/items/<int:item_id>/external", methods=["GET", "POST"])
def external(item_id: int):
    return _item_form_page(
        item_id,
        ExternalForm,
        _("Record external placement"),
        lambda actor, item, form: storage.record_external(
            db.session,
            actor,
            item.id,
            kind=ExternalKind(form.kind.data),
            place=form.place.data,
            contact=form.contact.data or None,
            **_when(form),
        ),
    )


@bp.route("/items/<int:item_id>/condition", methods=["GET", "POST"])
def condition(item_id: int):
    return _item_form_page(
        item_id,
        ConditionForm,
        _("Record condition"),
        lambda actor, item, form: storage.record_condition(
            db.session, actor, item.id, condition=form.condition.data, **_when(form)
        ),
    )
