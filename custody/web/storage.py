"""Keeper pages: batch check-in by scanning (入库), moves, external placement, condition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from custody.access import current_actor
from custody.database import writes_on_get
from custody.domain.actor import Actor
from custody.domain.deadlines import late_hand_over
from custody.domain.enums import ExternalKind, ItemCategory, LocationState
from custody.domain.errors import DomainError, PermissionDenied
from custody.domain.items import ItemFacts, derive_status, is_location_scan_code, location_holds
from custody.domain.policy import Action, Relation, allowed, require
from custody.errors import record_denial, translate
from custody.extensions import db
from custody.models.item import Item
from custody.models.receipt import CheckInReceipt
from custody.orm import utcnow
from custody.printing.pdf import CheckInLine, Label, check_in_receipt_pdf, label_sheet_pdf
from custody.printing.pdf import CheckInReceipt as PrintedReceipt
from custody.services import storage
from custody.services.items import ItemQuery, items_query
from custody.services.visibility import get_item

from .forms import BringInForm, CheckInForm, ConditionForm, ExternalForm, MoveBatchForm, MoveForm, options
from .helpers import aware_local, enum_label, refuse, send_document, submit
from .main import tone
from .particulars import printed_particulars, printed_quantity

bp = Blueprint("storage", __name__, url_prefix="/storage")


@bp.before_request
@login_required
def _require_login() -> None:
    """Keepers' pages; the services check each action against the policy."""


def _location_choices(category: ItemCategory | None = None) -> list[Any]:
    """Active locations by path; for one item, only those that can hold it (a yard for a car)."""
    locations = storage.active_locations(db.session)
    if category is not None:
        locations = [loc for loc in locations if location_holds(loc.holds, category)]
    return options([(loc.id, f"{loc.code} · {loc.path}") for loc in locations])


def _pick_location(
    actor: Actor, form: CheckInForm | MoveBatchForm, codes: list[str]
) -> tuple[list[str], list[str]]:
    """A shelf or bin label among the codes (``LOC:…``, typed or scanned without the page's script)
    chooses the batch's location. The item codes, and why a location label was refused."""
    item_codes: list[str] = []
    problems: list[str] = []
    for code in codes:
        if not is_location_scan_code(code):
            item_codes.append(code)
            continue
        try:
            form.location_id.data = storage.location_by_scan_code(db.session, actor, code).id
        except DomainError as error:
            problems.append(translate(error.message, error.params))
    return item_codes, problems


def _find(actor: Actor, code: str) -> Item | None:
    return storage.find_by_code(db.session, actor, code)


def normalise_codes(values: list[str]) -> list[str]:
    """Codes from scanner rows and the typed list, upper-cased, in order (repeats kept: flagged later)."""
    codes: list[str] = []
    for value in values:
        for line in str(value).replace(",", "\n").splitlines():
            code = line.strip().upper()
            if code:
                codes.append(code)
    return codes


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

    @property
    def late(self) -> bool:
        """Past the police 24 hours if checked in now: the page asks why (``late_reason``)."""
        if self.item is None or self.item.location_state is not LocationState.AWAITING_CHECK_IN:
            return False
        return late_hand_over(self.item.custodian_agency.kind, self.item.seized_at, utcnow())


def _refusal_text(refusal: DomainError | None) -> str | None:
    return translate(refusal.message, refusal.params) if refusal is not None else None


def _rows(actor: Actor, codes: list[str], location_id: int | None, *, moving: bool = False) -> list[BatchRow]:
    """Each scanned code with its item and, from the batch rule, why it cannot be checked in (or,
    ``moving``, moved there)."""
    location = storage.location_by_id(db.session, location_id)
    lines = (storage.move_lines if moving else storage.check_in_lines)(
        db.session, actor, codes, location=location
    )
    return [BatchRow(line.code, line.item, _refusal_text(line.refusal)) for line in lines]


@bp.route("/check-in", methods=["GET", "POST"])
def check_in():
    """入库 by scanning: choose the location, scan labels one after another, check them all in at once.

    One submit checks in every scanned item in one transaction: all or nothing. Every line is checked
    first (services/storage.check_in_batch); a refused batch shows the reason next to each line.
    """
    actor = current_actor()
    require(actor, Action.CHECK_IN, {Relation.CUSTODIAN})  # keepers only (each item is checked again)
    form = CheckInForm()
    form.location_id.choices = _location_choices()
    status = 200
    rows: list[BatchRow] = []
    if not form.is_submitted():
        wanted = request.args.get("location_id", "")
        if wanted.isdecimal() and len(wanted) < 19:
            form.location_id.data = int(wanted)
        codes, problems = _pick_location(actor, form, normalise_codes(request.args.getlist("code")))
        form.codes_text.errors = problems
        rows = _rows(actor, codes, form.location_id.data or None)
        return render_template(
            "storage/check_in.html", form=form, rows=rows, receipt=_last_receipt(actor)
        ), status
    codes, problems = _pick_location(
        actor, form, normalise_codes(request.form.getlist("codes") + [form.codes_text.data or ""])
    )
    valid = form.validate_on_submit()
    form.codes_text.errors = [*form.codes_text.errors, *problems]
    if valid and not problems:
        rows, status, receipt = _check_in_batch(actor, form, codes)
        if receipt is not None:
            flash(
                ngettext(
                    "%(num)s item checked in to %(location)s.",
                    "%(num)s items checked in to %(location)s.",
                    len(rows),
                    location=receipt.location.path,
                ),
                "success",
            )
            return redirect(
                url_for("storage.check_in", location_id=form.location_id.data, receipt=receipt.receipt_no)
            )
    else:
        status = 422
        rows = [BatchRow(code, _find(actor, code)) for code in codes]
    form.codes_text.data = ""  # the batch is shown as rows (each keeps its own hidden input)
    return render_template("storage/check_in.html", form=form, rows=rows), status


def _last_receipt(actor: Actor) -> CheckInReceipt | None:
    """The batch just checked in (``?receipt=RK-…`` after the redirect), to print its 入库交接单."""
    wanted = request.args.get("receipt", "")
    if not wanted:
        return None
    try:
        return storage.get_check_in_receipt(db.session, actor, wanted)
    except DomainError:
        return None


def _check_in_batch(
    actor: Actor, form: CheckInForm, codes: list[str]
) -> tuple[list[BatchRow], int, CheckInReceipt | None]:
    try:
        receipt = storage.check_in_batch(
            db.session,
            actor,
            codes,
            location_id=form.location_id.data,
            condition=form.condition.data or None,
            occurred_at=aware_local(form.occurred_at.data),
            reason=form.reason.data or None,
            handed_over_by=form.handed_over_by.data or None,
            late_reason=form.late_reason.data or None,
        )
    except DomainError as error:
        nothing_done = _(
            "Nothing was checked in: correct the marked items (or remove them) and submit again."
        )
        rows, status = _refused_batch(actor, form, codes, error, nothing_done)
        return rows, status, None
    db.session.commit()
    return [BatchRow(line.item.label_code, line.item) for line in receipt.lines], 200, receipt


def _refused_batch(
    actor: Actor, form: CheckInForm | MoveBatchForm, codes: list[str], error: DomainError, nothing_done: str
) -> tuple[list[BatchRow], int]:
    """A refused batch (not ``submit``: the page marks each refused line on its row, which the form
    cannot hold). The rows as they are now, and the status to render with."""
    refused = {line["line"]: line for line in error.extra.get("lines", [])}
    if refused:
        db.session.rollback()
        if any(line.get("code") == "item.other_agency" for line in refused.values()):
            # another agency's item in the batch: recorded like every permission refusal
            record_denial(PermissionDenied(error.message, code="item.other_agency"))
        flash(nothing_done, "error")
        status = error.status
    else:
        status = refuse(
            form, error, aliases={"codes": "codes_text"}, refusals={"check_in.late_reason": "late_reason"}
        )
    rows = [BatchRow(code, _find(actor, code)) for code in codes]
    for number, row in enumerate(rows, start=1):
        if number in refused:
            row.error = translate(refused[number]["message"], refused[number].get("params"))
    return rows, status


@bp.route("/move", methods=["GET", "POST"])
def move_batch():
    """移位 by scanning: scan the shelf's or bin's label (or choose it), then the items put there; one
    submit moves them all or none (services/storage.move_batch), a refused batch marks each line."""
    actor = current_actor()
    require(actor, Action.MOVE_ITEM, {Relation.CUSTODIAN})  # keepers only (each item is checked again)
    form = MoveBatchForm()
    form.location_id.choices = _location_choices()
    rows: list[BatchRow] = []
    if not form.is_submitted():
        wanted = request.args.get("location_id", "")
        if wanted.isdecimal() and len(wanted) < 19:
            form.location_id.data = int(wanted)
        return render_template("storage/move_batch.html", form=form, rows=rows)
    codes, problems = _pick_location(
        actor, form, normalise_codes(request.form.getlist("codes") + [form.codes_text.data or ""])
    )
    valid = form.validate_on_submit()
    form.codes_text.errors = [*form.codes_text.errors, *problems]
    status = 422
    if valid and not problems:
        try:
            moved = storage.move_batch(
                db.session,
                actor,
                codes,
                location_id=form.location_id.data,
                occurred_at=aware_local(form.occurred_at.data),
                reason=form.reason.data or None,
            )
        except DomainError as error:
            nothing_done = _("Nothing was moved: correct the marked items (or remove them) and submit again.")
            rows, status = _refused_batch(actor, form, codes, error, nothing_done)
        else:
            db.session.commit()
            location = storage.location_by_id(db.session, form.location_id.data)
            flash(
                ngettext(
                    "%(num)s item moved to %(location)s.",
                    "%(num)s items moved to %(location)s.",
                    len(moved),
                    location=location.path if location is not None else "",
                ),
                "success",
            )
            return redirect(url_for("storage.move_batch", location_id=form.location_id.data))
    else:
        rows = [BatchRow(code, _find(actor, code)) for code in codes]
    form.codes_text.data = ""
    return render_template("storage/move_batch.html", form=form, rows=rows), status


@bp.get("/check-ins/<receipt_no>.pdf")
@writes_on_get
def receipt_pdf(receipt_no: str):
    """入库交接单 of one check-in batch, with the 移交人 and 接收人 signature lines."""
    receipt = storage.get_check_in_receipt(db.session, current_actor(), receipt_no)
    pdf = check_in_receipt_pdf(
        PrintedReceipt(
            receipt_no=receipt.receipt_no,
            location=receipt.location.path,
            received_at=receipt.received_at,
            agency=receipt.agency.name,
            handed_over_by=receipt.handed_over_by or "",
            received_by=receipt.received_by.display_name,
            lines=[
                CheckInLine(
                    label_code=line.item.label_code,
                    name=line.item.name,
                    quantity=printed_quantity(line.item),
                    case_no=line.item.case.first_number,
                    particulars=printed_particulars(line.item),
                    condition=line.condition or "",
                )
                for line in receipt.lines
            ],
        ),
        footer=f"{receipt.agency.name} · {receipt.receipt_no}",
    )
    return send_document(
        pdf,
        f"入库交接单-{receipt.receipt_no}.pdf",
        document="check_in_receipt",
        object_id=receipt.id,
        receipt_no=receipt.receipt_no,
    )


@bp.get("/lookup", defaults={"purpose": "check-in"})
@bp.get("/lookup/<any(move):purpose>")
def lookup(purpose: str):
    """What a scanned code is, for the batch pages' lists (JSON; the pages work without it too):
    ``/lookup`` judges it for a check-in, ``/lookup/move`` for a batch move."""
    actor = current_actor()
    codes = normalise_codes([request.args.get("code", "")])
    code = codes[0] if codes else ""
    if is_location_scan_code(code):  # a shelf or bin label: the page chooses that location
        try:
            location = storage.location_by_scan_code(db.session, actor, code)
        except DomainError as error:
            return jsonify(
                code=code,
                found=False,
                ok=False,
                location=True,
                message=translate(error.message, error.params),
            ), error.status
        return jsonify(
            code=code,
            found=True,
            ok=True,
            location=True,
            id=location.id,
            path=location.path,
            short=location.code,
        )
    wanted = request.args.get("location_id", "")
    [row] = _rows(
        actor,
        [code],
        int(wanted) if wanted.isdecimal() and len(wanted) < 19 else None,
        moving=purpose == "move",
    ) or [BatchRow(code, None, _("Unknown label code, or not visible to your agency."))]
    item = row.item
    if item is None:
        return jsonify(code=code, found=False, ok=False, message=row.error), 404
    status = derive_status(ItemFacts(item.custody_state, item.location_state, item.disposition_status))
    return jsonify(
        code=item.label_code,
        found=True,
        ok=row.error is None,
        message=row.error,
        id=item.id,
        name=item.name,
        case=item.case.title,
        status=status.value,
        status_label=enum_label(status),
        tone=tone(status),
        hours=row.hours,
        late=row.late,
        url=url_for("items.detail", item_id=item.id),
    )


# -- locations: their page, their QR labels -------------------------------------------------------


def _may_see_locations(actor: Actor) -> None:
    """Keepers (who shelve and scan) and administrators (who set the locations up)."""
    if not allowed(actor, Action.MANAGE_REFERENCE_DATA):
        require(actor, Action.CHECK_IN, {Relation.CUSTODIAN})


@bp.get("/locations")
def locations():
    """Every active location with its short code and what it holds, to print the QR labels."""
    _may_see_locations(current_actor())
    return render_template("storage/locations.html", locations=storage.active_locations(db.session))


@bp.get("/locations/<int:location_id>")
def location(location_id: int):
    """One location (a scanned shelf label opens it): where it is, and the items in it and inside it
    that the actor's agency may see. Open to every user, like the locations themselves (reference data);
    printing labels is the keepers' and administrators'."""
    actor = current_actor()
    here = storage.active_location(db.session, location_id)
    inside = storage.location_tree(db.session, here)
    stored = list(
        db.session.scalars(
            items_query(actor, ItemQuery(sort="label_code")).where(
                Item.storage_location_id.in_([loc.id for loc in inside])
            )
        )
    )
    keeper = allowed(actor, Action.CHECK_IN, {Relation.CUSTODIAN})
    return render_template("storage/location.html", location=here, inside=inside, items=stored, keeper=keeper)


@bp.get("/locations/<int:location_id>/labels.pdf")
@writes_on_get
def location_labels(location_id: int):
    """QR labels of a room or shelf and every location inside it (one for a bin)."""
    _may_see_locations(current_actor())
    root = storage.active_location(db.session, location_id)
    chosen = storage.location_tree(db.session, root)
    pdf = label_sheet_pdf(
        [
            Label(code=loc.scan_code, name=" › ".join(a.name for a in loc.ancestry), case_no=loc.centre.name)
            for loc in chosen
        ],
        title="库位标签",
    )
    return send_document(
        pdf,
        f"库位标签-{root.code}.pdf",
        document="location_labels",
        object_id=root.id,
        location_ids=[loc.id for loc in chosen],
    )


# -- one item ------------------------------------------------------------------------------------


def _item_form_page(item_id: int, form_cls: type, title: str, apply) -> Any:
    actor = current_actor()
    item = get_item(db.session, actor, item_id)
    form = form_cls()
    if hasattr(form, "location_id"):
        form.location_id.choices = _location_choices(item.category)
        if not form.is_submitted() and item.storage_location_id:
            form.location_id.data = item.storage_location_id
    if isinstance(form, ConditionForm) and not form.is_submitted():
        form.condition.data = item.condition
    outcome = submit(
        form,
        lambda: apply(actor, item, form),
        done=_("Recorded."),
        to=url_for("items.detail", item_id=item_id) + "#timeline",
    )
    if outcome.status not in (200, 422, 302):  # refused and rolled back: the item as it is now
        item = get_item(db.session, actor, item_id)
    return outcome.or_render(
        lambda: render_template("storage/item_form.html", item=item, form=form, title=title)
    )


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


def _bring_in_reason(form: BringInForm) -> str:
    why = (form.why.data or "").strip()
    backdated = (form.reason.data or "").strip()
    return f"{why}；{backdated}" if backdated and backdated != why else why


@bp.route("/items/<int:item_id>/bring-in", methods=["GET", "POST"])
def bring_in(item_id: int):
    """Bring an item kept outside (holder, bank, impound lot) into the centre, with a reason."""
    return _item_form_page(
        item_id,
        BringInForm,
        _("Bring into the centre"),
        lambda actor, item, form: storage.check_in(
            db.session,
            actor,
            item.id,
            location_id=form.location_id.data,
            condition=form.condition.data or None,
            occurred_at=aware_local(form.occurred_at.data),
            reason=_bring_in_reason(form),
            bring_in=True,
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
