"""Check-out, disposal, freeze and correction pages (the rest of an item's life, as HTML).

Each page follows the admin pattern: a Flask-WTF form checks the shape, the view builds the actor,
calls ONE service, commits once; a refusal rolls back and re-renders the form with what the user
typed and the service's messages next to the fields, with a 4xx status. Detail pages show only
the action forms the current user may use in the record's current state; a forged POST of any
other action is refused by the policy (403 page, recorded) before the form is even read.
Unknown records and records of cases the agency may not see are a 404 page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from math import ceil
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response as BaseResponse

from custody.access import current_actor, recently_confirmed
from custody.database import writes_on_get
from custody.domain.actor import Actor
from custody.domain.clock import local_date
from custody.domain.enums import AgencyKind, DispositionKind, ItemCategory, ItemStatus, Measure
from custody.domain.errors import Conflict, DomainError, NotFound, PermissionDenied
from custody.domain.i18n import N_
from custody.domain.items import CATEGORY_FIELDS, derive_status
from custody.domain.lifecycle import (
    ASSET_TYPES_FOR_CATEGORY,
    CORRECTABLE_FIELDS,
    FINAL_KINDS,
    MAJOR_CASE_MONTHS,
    MAJOR_CASE_TYPES,
    ApprovalLevel,
    CheckoutPurpose,
    CheckoutStatus,
    CorrectionStatus,
    CounterpartyKind,
    Discrepancy,
    DisposalGround,
    DispositionRecordStatus,
    ExtensionStatus,
    ExternalWitness,
    FreezeAssetType,
    FreezeStatus,
    Recipient,
    RecipientRelation,
    RecordLine,
    WitnessKind,
    freeze_status_on,
    is_overdue,
    max_period_months,
    out_of_place_lines,
    suggested_period_months,
)
from custody.domain.money import AuctionLot
from custody.domain.personal_data import sees_personal_data, shown
from custody.domain.policy import Action, Relation, allowed, require
from custody.errors import translate
from custody.extensions import db
from custody.models.case import Case
from custody.models.item import Item
from custody.models.lifecycle import Checkout, Correction, Disposition, FreezeOrder
from custody.models.user import User
from custody.orm import utcnow
from custody.printing import CheckoutLine as SlipLine
from custody.printing import (
    CheckoutSlip,
    DestructionRecord,
    ExecutionLine,
    ExecutionRecord,
    ReturnLine,
    ReturnList,
    format_datetime,
    format_quantity,
)
from custody.printing import checkout_slip_pdf as build_checkout_slip
from custody.printing import destruction_record_pdf as build_destruction_record
from custody.printing import execution_record_pdf as build_execution_record
from custody.printing import return_list_pdf as build_return_list
from custody.services import checkouts as checkout_service
from custody.services import corrections as correction_service
from custody.services import dispositions as disposition_service
from custody.services import freezes as freeze_service
from custody.services import storage as storage_service
from custody.services import transfers as transfer_service
from custody.services.items import ItemQuery, items_query
from custody.services.storage import facts
from custody.services.visibility import get_item

from .auth import confirm_now
from .forms import options
from .helpers import confirmation_redirect, send_document, show_domain_error
from .lifecycle_forms import (
    DETAIL_LABELS,
    FIELD_LABELS,
    ActivateForm,
    CancelForm,
    CheckoutFilterForm,
    CheckoutRequestForm,
    CorrectionFilterForm,
    DecisionForm,
    DisposalDecisionForm,
    DispositionFilterForm,
    DispositionForm,
    ExecuteForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    FieldChoiceForm,
    FreezeFilterForm,
    FreezeForm,
    FreezeReleaseForm,
    LabelCodesForm,
    RefundForm,
    ReleaseForm,
    RenewForm,
    ReturnForm,
    _local_tz,
    correction_form_class,
    format_denominations,
)
from .particulars import printed_particulars, printed_quantity

bp = Blueprint("lifecycle", __name__)

PER_PAGE = 50
EXPIRY_WARNING_DAYS = 30
RETURN_KINDS = (DispositionKind.PRETRIAL_RETURN, DispositionKind.RETURN_TO_OWNER)
# Refusals that concern one field of the form: shown next to it instead of as an error page.
FORM_REFUSALS = {
    "separation.witness_in_chain": "witness",
    "disposal.no_authorisation": "authorisation_ref",
    "disposal.not_owner": "recipient_name",
}
# Refusals of a disposal proposal that the chosen 处置方式 causes: said at that field.
DISPOSAL_KIND_REFUSALS = {
    "disposal.no_owner": "kind",
    "disposal.case_not_decided": "kind",
    "disposal.not_unrelated": "ground",
    "disposal.notice_period_running": "ground",
}


@bp.before_request
@login_required
def _require_login() -> None:
    """Every lifecycle page needs a login; each action then asks the policy."""


# -- helpers ----------------------------------------------------------------------------------


def _relations(actor: Actor, custodian_ids: Iterable[int], items: Iterable[Item] = ()) -> set[Relation]:
    """The custodian relation; with ``items``, also the centre operator's (every item in a centre the
    actor's agency operates: its keepers do the keeper work there for the custodian)."""
    ids = set(custodian_ids)
    relations = {Relation.CUSTODIAN} if ids and ids == {actor.agency_id} else set()
    items = list(items)
    if (
        items
        and actor.operated_centre_ids
        and all(Relation.CENTRE_OPERATOR in storage_service.keeper_relations(actor, i) for i in items)
    ):
        relations.add(Relation.CENTRE_OPERATOR)
    return relations


def _may(actor: Actor, action: Action, custodian_ids: Iterable[int], items: Iterable[Item] = ()) -> bool:
    return allowed(actor, action, _relations(actor, custodian_ids, items))


def _require(actor: Actor, action: Action, custodian_ids: Iterable[int], items: Iterable[Item] = ()) -> None:
    """A POST of an action the page did not offer: refuse it before reading the form (403)."""
    require(actor, action, _relations(actor, custodian_ids, items))


def _people(*ids: int | None) -> dict[int, User]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted)))}


def _cases(ids: Iterable[int]) -> dict[int, Case]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(wanted)))}


def case_number(case: Case | None, kind: AgencyKind | None = None) -> str:
    """The case's number as the given authority knows it, else the latest one it has."""
    if case is None:
        return ""
    by_kind = {
        AgencyKind.POLICE: case.police_case_no,
        AgencyKind.PROCURATORATE: case.procuratorate_case_no,
        AgencyKind.COURT: case.court_case_no,
    }
    if kind is not None and by_kind.get(kind):
        return by_kind[kind] or ""
    return case.latest_number


@dataclass
class Page:
    rows: list[Any]
    page: int
    pages: int
    total: int


def _paginate(stmt: Select[Any]) -> Page:
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(ceil(total / PER_PAGE), 1)
    page = min(page, pages)
    rows = list(db.session.scalars(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    return Page(rows, page, pages, total)


def _enum_arg(enum: type, name: str = "status") -> Any:
    """A filter value from the query string; an unknown value is ignored (no filter)."""
    try:
        return enum(request.args.get(name, ""))
    except ValueError:
        return None


MAX_ID = 2**31 - 1  # ids are 32-bit integers; anything larger names nothing (and routes say so too)


def _parse_ids(values: list[str]) -> list[int]:
    ids: list[int] = []
    for value in values:
        if not value.strip().isdecimal() or int(value) > MAX_ID:
            raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.item")
        ids.append(int(value))
    return list(dict.fromkeys(ids))


def _selected_items(actor: Actor) -> list[Item]:
    """The items named by ``item_ids`` (query string, or the form's hidden fields on POST)."""
    source = request.form if request.method == "POST" else request.args
    return [get_item(db.session, actor, item_id) for item_id in _parse_ids(source.getlist("item_ids"))]


def _refused(
    form: Any,
    error: DomainError,
    aliases: dict[str, str] | None = None,
    refusals: dict[str, str] | None = None,
) -> int:
    """Roll back and show a service's refusal on the form; returns the HTTP status.

    Permission refusals (other than those about a field of this form) and unknown records are
    re-raised: the app's handler records them and answers with a readable 403/404 page.
    ``refusals`` maps more refusal codes to a field of this form (beyond ``FORM_REFUSALS``).
    """
    db.session.rollback()
    field_refusal = {**FORM_REFUSALS, **(refusals or {})}.get(error.code)
    if isinstance(error, NotFound) or (isinstance(error, PermissionDenied) and field_refusal is None):
        raise error
    aliases = aliases or {}
    fields: dict[str, list[str]] = {}
    for name, messages in error.fields.items():
        target = aliases.get(name, name).replace(".", "_")
        fields.setdefault(target, []).extend(messages)
    if field_refusal and getattr(form, field_refusal, None) is not None:
        fields.setdefault(field_refusal, []).append(error.message)
    error.fields = fields
    all_placed = bool(fields) and all(getattr(form, name, None) is not None for name in fields)
    show_domain_error(form, error)
    overall = translate(error.message, error.params)
    said_at_field = any(overall == translate(m) for messages in fields.values() for m in messages)
    if all_placed and not said_at_field:  # the fields say what is wrong; the top of the page says why (once)
        flash(overall, "error")
    return error.status


def _attempt(
    form: Any,
    call: Callable[[], Any],
    done: Callable[[Any], str],
    target: Callable[[Any], str],
    aliases: dict[str, str] | None = None,
    refusals: dict[str, str] | None = None,
) -> BaseResponse | int:
    """Validate ``form``, run the service ``call``, commit, flash and redirect; or the error status."""
    if not form.validate_on_submit():
        return 422
    try:
        result = call()
        db.session.commit()
    except DomainError as error:
        return _refused(form, error, aliases, refusals)
    flash(done(result), "success")
    return redirect(target(result))


def _bound(form_class: type, prefix: str, submitted: str | None, name: str, **kwargs: Any) -> Any:
    """The form the user posted reads the request; the page's other forms start empty."""
    if submitted == name:
        return form_class(prefix=prefix, **kwargs)
    return form_class(formdata=None, prefix=prefix, **kwargs)


def _submitted(*prefixes: str) -> str | None:
    """Which of the page's forms was posted (by its buttons' names), if any."""
    if request.method != "POST":
        return None
    for prefix in prefixes:
        if any(key.startswith(f"{prefix}-") for key in request.form):
            return prefix
    return None


def _print_footer(actor: Actor) -> str:
    return f"打印：{actor.display_name}（{actor.agency_name}） {format_datetime(utcnow())}"


# Shared labels that read wrongly here: "Rejected" is translated for transfer lines (拒收),
# "Active"/"Released" for accounts and check-outs. Keyed by (enum, value): members of different
# enums with the same value compare equal.
STATUS_MSGIDS: dict[tuple[type, str], str] = {
    (CheckoutStatus, "rejected"): N_("Not approved"),
    (ExtensionStatus, "rejected"): N_("Not approved"),
    (DispositionRecordStatus, "rejected"): N_("Not approved"),
    (CorrectionStatus, "rejected"): N_("Not approved"),
    (FreezeStatus, "active"): N_("In force"),
    (FreezeStatus, "released"): N_("Unfrozen"),
}


def status_label(status: Any) -> str:
    return _(STATUS_MSGIDS.get((type(status), status.value), status.label))


def _status_choices(enum: type[Enum]) -> list[Any]:
    return options([("", _("All")), *((s.value, status_label(s)) for s in enum)])


def item_status(item: Item) -> Any:
    return derive_status(facts(item))


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {"qty": format_quantity, "item_status": item_status, "status_label": status_label}


def _resolve_codes(actor: Actor, form: LabelCodesForm) -> list[int] | None:
    """Label codes typed or scanned into the picker → item ids (field error for unknown codes)."""
    codes = list(
        dict.fromkeys(
            c.strip().upper() for c in (form.codes.data or "").replace(",", "\n").split() if c.strip()
        )
    )
    ids, unknown = [], []
    for code in codes[:500]:
        item = db.session.scalar(items_query(actor, ItemQuery(label_code=code)))
        if item is None:
            unknown.append(code)
        else:
            ids.append(item.id)
    if unknown:
        form.codes.errors = [
            *form.codes.errors,
            _("Unknown label codes, or not visible to your agency: %(codes)s", codes="、".join(unknown)),
        ]
        return None
    if not ids:
        form.codes.errors = [*form.codes.errors, _("Choose at least one item.")]
        return None
    return ids


def _picker(actor: Actor, endpoint: str) -> tuple[LabelCodesForm, BaseResponse | None, int]:
    """The label-code picker shown when a new check-out or disposal has no items yet."""
    picker = LabelCodesForm(request.args if "codes" in request.args else None)
    if "codes" in request.args:
        if picker.validate():
            ids = _resolve_codes(actor, picker)
            if ids:
                return picker, redirect(url_for(endpoint, item_ids=ids)), 302
        return picker, None, 422
    return picker, None, 200


# -- check-outs -------------------------------------------------------------------------------


@bp.get("/checkouts")
def checkouts():
    actor = current_actor()
    status = _enum_arg(CheckoutStatus)
    overdue = request.args.get("overdue") in ("y", "1", "true", "on")
    form = CheckoutFilterForm(request.args)
    form.status.choices = _status_choices(CheckoutStatus)
    form.status.data = status.value if status else ""
    stmt = checkout_service.checkouts_query(actor, status=status, overdue=True if overdue else None)
    page = _paginate(stmt)
    now = utcnow()
    return render_template(
        "lifecycle/checkouts.html",
        form=form,
        page=page,
        cases=_cases(c.case_id for c in page.rows),
        overdue={c.id for c in page.rows if is_overdue(c.status, c.due_at, now)},
        args={"status": status.value if status else None, "overdue": "y" if overdue else None},
    )


def _default_due() -> datetime:
    """Tomorrow at 17:00 local time: a sensible default the requester changes as needed."""
    tz = _local_tz()
    tomorrow = (utcnow().astimezone(tz) + timedelta(days=1)).date()
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 17, 0, tzinfo=tz)


@bp.route("/checkouts/new", methods=["GET", "POST"])
def checkout_new():
    actor = current_actor()
    items = _selected_items(actor)
    picker, jump, status = _picker(actor, "lifecycle.checkout_new") if not items else (None, None, 200)
    if jump is not None:
        return jump
    # Items of another case or custodian: named, each with a link back to this page without it.
    wrong_ids = {
        line.item_id
        for line in out_of_place_lines(
            [RecordLine(i.id, i.case_id, i.custodian_agency_id) for i in items], actor.agency_id
        )
    }
    if request.method == "POST" and not wrong_ids:
        require(
            actor,
            Action.REQUEST_CHECKOUT,
            _relations(actor, [i.custodian_agency_id for i in items]) if items else {Relation.CUSTODIAN},
        )
    form = CheckoutRequestForm()
    if not form.is_submitted():
        form.due_at.data = _default_due()
    if request.method == "POST":
        result = _attempt(
            form,
            lambda: checkout_service.request_checkout(
                db.session,
                actor,
                item_ids=[i.id for i in items],
                purpose=CheckoutPurpose(form.purpose.data),
                counterparty=checkout_service.CounterpartyInput(
                    name=form.counterparty_name.data,
                    kind=CounterpartyKind(form.counterparty_kind.data),
                    organisation=(form.counterparty_organisation.data or "").strip() or None,
                    contact=(form.counterparty_contact.data or "").strip() or None,
                ),
                due_at=form.due_at.data,
                note=form.note.data,
            ),
            lambda c: _(
                "Check-out request %(no)s submitted: an approver of your agency decides next.",
                no=c.checkout_no,
            ),
            lambda c: url_for("lifecycle.checkout_detail", checkout_id=c.id),
            aliases={"counterparty.name": "counterparty_name"},
        )
        if not isinstance(result, int):
            return result
        status = result
    may = bool(items) and _may(actor, Action.REQUEST_CHECKOUT, [i.custodian_agency_id for i in items])
    ids = [i.id for i in items]
    return render_template(
        "lifecycle/checkout_new.html",
        form=form,
        items=items,
        wrong=[i for i in items if i.id in wrong_ids],
        without={i.id: [other for other in ids if other != i.id] for i in items if i.id in wrong_ids},
        without_all=[i for i in ids if i not in wrong_ids],
        picker=picker,
        may=may,
        cases=_cases(i.case_id for i in items),
    ), status


def _checkout_context(actor: Actor, checkout: Checkout) -> dict[str, Any]:
    items = [line.item for line in checkout.lines]
    custodians = [i.custodian_agency_id for i in items]
    pending = next((e for e in checkout.extensions if e.status is ExtensionStatus.REQUESTED), None)
    outstanding = [line for line in checkout.lines if line.returned_at is None]
    s = checkout.status
    is_requester = checkout.requested_by_id == actor.user_id
    can = {
        "decide": _may(actor, Action.APPROVE_CHECKOUT, custodians, items)
        and s is CheckoutStatus.REQUESTED
        and not is_requester,
        "cancel": _may(actor, Action.REQUEST_CHECKOUT, custodians, items)
        and s in (CheckoutStatus.REQUESTED, CheckoutStatus.APPROVED),
        "release": _may(actor, Action.RELEASE_ITEM, custodians, items)
        and s is CheckoutStatus.APPROVED
        and checkout.approved_by_id != actor.user_id,
        "return": _may(actor, Action.RETURN_ITEM, custodians, items)
        and s is CheckoutStatus.RELEASED
        and bool(outstanding),
        "extend": _may(actor, Action.REQUEST_CHECKOUT, custodians, items)
        and s in (CheckoutStatus.APPROVED, CheckoutStatus.RELEASED)
        and pending is None,
        "decide_extension": _may(actor, Action.APPROVE_CHECKOUT, custodians, items)
        and pending is not None
        and pending.requested_by_id != actor.user_id,
        "print": s in (CheckoutStatus.APPROVED, CheckoutStatus.RELEASED, CheckoutStatus.RETURNED),
    }
    notes = {
        "own_request": _may(actor, Action.APPROVE_CHECKOUT, custodians, items)
        and s is CheckoutStatus.REQUESTED
        and is_requester,
        "own_extension": _may(actor, Action.APPROVE_CHECKOUT, custodians, items)
        and pending is not None
        and pending.requested_by_id == actor.user_id,
        "own_approval": _may(actor, Action.RELEASE_ITEM, custodians, items)
        and s is CheckoutStatus.APPROVED
        and checkout.approved_by_id == actor.user_id,
    }
    ids = [
        checkout.requested_by_id,
        checkout.approved_by_id,
        checkout.released_by_id,
        *(line.returned_by_id for line in checkout.lines),
        *(e.requested_by_id for e in checkout.extensions),
        *(e.decided_by_id for e in checkout.extensions),
    ]
    return {
        "checkout": checkout,
        "case": db.session.get(Case, checkout.case_id),
        "can": can,
        "notes": notes,
        "pending": pending,
        "outstanding": outstanding,
        "people": _people(*ids),
        "overdue": is_overdue(checkout.status, checkout.due_at, utcnow()),
        "opinion": checkout_service.approval_opinion(db.session, checkout),
    }


CHECKOUT_ACTIONS = {
    "decide": Action.APPROVE_CHECKOUT,
    "cancel": Action.REQUEST_CHECKOUT,
    "release": Action.RELEASE_ITEM,
    "return": Action.RETURN_ITEM,
    "extend": Action.REQUEST_CHECKOUT,
    "extdecide": Action.APPROVE_CHECKOUT,
}


@bp.route("/checkouts/<int:checkout_id>", methods=["GET", "POST"])
def checkout_detail(checkout_id: int):
    actor = current_actor()
    checkout = checkout_service.get_checkout(db.session, actor, checkout_id)
    custodians = [line.item.custodian_agency_id for line in checkout.lines]
    submitted = _submitted(*CHECKOUT_ACTIONS)
    if request.method == "POST":
        if submitted is None:
            return redirect(url_for("lifecycle.checkout_detail", checkout_id=checkout.id))
        _require(actor, CHECKOUT_ACTIONS[submitted], custodians, [line.item for line in checkout.lines])
    forms = {
        "decide": _bound(DecisionForm, "decide", submitted, "decide"),
        "cancel": _bound(CancelForm, "cancel", submitted, "cancel"),
        "release": _bound(ReleaseForm, "release", submitted, "release"),
        "return": _bound(ReturnForm, "return", submitted, "return"),
        "extend": _bound(ExtensionRequestForm, "extend", submitted, "extend"),
        "extdecide": _bound(ExtensionDecisionForm, "extdecide", submitted, "extdecide"),
    }
    outstanding = [line for line in checkout.lines if line.returned_at is None]
    forms["return"].item_ids.choices = options(
        (line.item_id, f"{line.item.label_code} {line.item.name}") for line in outstanding
    )
    if submitted != "return":
        forms["return"].item_ids.data = [line.item_id for line in outstanding]
    if submitted != "release":
        forms["release"].released_to.data = checkout.counterparty.name
    status = 200
    detail = url_for("lifecycle.checkout_detail", checkout_id=checkout.id)
    result: BaseResponse | int | None = None
    if submitted == "decide":
        form = forms["decide"]
        approve = bool(form.approve.data)
        result = _attempt(
            form,
            lambda: checkout_service.decide_checkout(
                db.session, actor, checkout.id, approve=approve, reason=form.reason.data
            ),
            lambda c: (
                _("Check-out approved: the keeper may now release the items.")
                if approve
                else _("Check-out rejected.")
            ),
            lambda c: detail,
        )
    elif submitted == "cancel":
        form = forms["cancel"]
        result = _attempt(
            form,
            lambda: checkout_service.cancel_checkout(db.session, actor, checkout.id, reason=form.reason.data),
            lambda c: _("The check-out request was withdrawn."),
            lambda c: detail,
        )
    elif submitted == "release":
        form = forms["release"]
        result = _attempt(
            form,
            lambda: checkout_service.release_checkout(
                db.session,
                actor,
                checkout.id,
                released_to=form.released_to.data,
                confirmed_item_ids=form.confirmed_item_ids.data or [],
            ),
            lambda c: _("Items released to %(name)s.", name=c.released_to),
            lambda c: detail,
        )
    elif submitted == "return":
        form = forms["return"]
        result = _attempt(
            form,
            lambda: checkout_service.return_items(
                db.session,
                actor,
                checkout.id,
                condition=form.condition.data,
                item_ids=form.item_ids.data,
                discrepancy=Discrepancy(form.discrepancy.data) if form.discrepancy.data else None,
                discrepancy_note=form.discrepancy_note.data,
                confirmed_item_ids=form.confirmed_item_ids.data or [],
            ),
            lambda c: _("Return recorded."),
            lambda c: detail,
        )
    elif submitted == "extend":
        form = forms["extend"]
        result = _attempt(
            form,
            lambda: checkout_service.request_extension(
                db.session, actor, checkout.id, due_at=form.due_at.data, reason=form.reason.data
            ),
            lambda e: _("Extension requested: an approver decides next."),
            lambda e: detail,
        )
    elif submitted == "extdecide":
        form = forms["extdecide"]
        approve = bool(form.approve.data)
        result = _attempt(
            form,
            lambda: checkout_service.decide_extension(
                db.session, actor, checkout.id, approve=approve, reason=form.reason.data
            ),
            lambda c: (
                _("Extension approved: the new due time applies.") if approve else _("Extension rejected.")
            ),
            lambda c: detail,
        )
    if isinstance(result, BaseResponse):
        return result
    if isinstance(result, int):
        status = result
        checkout = checkout_service.get_checkout(
            db.session, actor, checkout_id
        )  # as stored after the rollback
    return render_template(
        "lifecycle/checkout_detail.html", forms=forms, **_checkout_context(actor, checkout)
    ), status


def _zh(label: str) -> str:
    """An enum label as printed: forms are Chinese documents whatever the UI language."""
    with force_locale("zh_CN"):
        return _(label)


@bp.get("/checkouts/<int:checkout_id>/slip.pdf")
@writes_on_get
def checkout_slip_pdf(checkout_id: int):
    actor = current_actor()
    checkout = checkout_service.get_checkout(db.session, actor, checkout_id)
    if checkout.status not in (CheckoutStatus.APPROVED, CheckoutStatus.RELEASED, CheckoutStatus.RETURNED):
        raise Conflict(
            N_("The check-out slip can be printed once the check-out is approved."),
            code="checkout.not_printable",
        )
    case = db.session.get(Case, checkout.case_id)
    people = _people(checkout.requested_by_id, checkout.approved_by_id, checkout.released_by_id)

    def name(user_id: int | None) -> str:
        return people[user_id].display_name if user_id in people else ""

    slip = CheckoutSlip(
        slip_no=checkout.checkout_no,
        case_no=case_number(case, checkout.custodian_agency.kind),
        case_title=case.title if case else "",
        purpose=_zh(checkout.purpose.label),
        counterparty=checkout.released_to or checkout.counterparty.name,
        counterparty_org=checkout.counterparty.organisation or "",
        due_at=checkout.due_at,
        approver=name(checkout.approved_by_id),
        requester=name(checkout.requested_by_id),
        approved_at=checkout.approved_at,
        released_at=checkout.released_at,
        keeper=name(checkout.released_by_id),
        notes=checkout.note or "",
        approval_opinion=checkout_service.approval_opinion(db.session, checkout) or "",
        lines=[
            SlipLine(
                label_code=line.item.label_code,
                name=line.item.name,
                quantity=printed_quantity(line.item),
                condition=line.item.condition or "",
                notes=printed_particulars(line.item, features=False),
            )
            for line in checkout.lines
        ],
    )
    return send_document(
        build_checkout_slip(slip, footer=_print_footer(actor)),
        f"{checkout.checkout_no}.pdf",
        document="checkout_slip",
        object_id=checkout.id,
        checkout_no=checkout.checkout_no,
    )


# -- dispositions -----------------------------------------------------------------------------


@bp.get("/dispositions")
def dispositions():
    actor = current_actor()
    status = _enum_arg(DispositionRecordStatus)
    kind = _enum_arg(DispositionKind, "kind")
    form = DispositionFilterForm(request.args)
    form.status.choices = _status_choices(DispositionRecordStatus)
    form.kind.choices = options([("", _("All")), *((k.value, _(k.label)) for k in DispositionKind)])
    form.status.data = status.value if status else ""
    form.kind.data = kind.value if kind else ""
    page = _paginate(disposition_service.dispositions_query(actor, status=status, kind=kind))
    return render_template(
        "lifecycle/dispositions.html",
        form=form,
        page=page,
        cases=_cases(d.case_id for d in page.rows),
        args={"status": status.value if status else None, "kind": kind.value if kind else None},
    )


@bp.route("/dispositions/new", methods=["GET", "POST"])
def disposition_new():
    actor = current_actor()
    items = _selected_items(actor)
    picker, jump, status = _picker(actor, "lifecycle.disposition_new") if not items else (None, None, 200)
    if jump is not None:
        return jump
    if request.method == "POST":
        require(
            actor,
            Action.PROPOSE_DISPOSITION,
            _relations(actor, [i.custodian_agency_id for i in items]) if items else {Relation.CUSTODIAN},
        )
    form = DispositionForm()
    if request.method == "POST":
        result = _attempt(
            form,
            lambda: disposition_service.propose_disposition(
                db.session,
                actor,
                item_ids=[i.id for i in items],
                kind=DispositionKind(form.kind.data),
                legal_basis=form.legal_basis.data,
                reason=form.reason.data,
                owner_consent=form.owner_consent.data,
                ground=DisposalGround(form.ground.data)
                if form.ground.data and DispositionKind(form.kind.data) in FINAL_KINDS
                else None,
                notice_ref=form.notice_ref.data,
            ),
            lambda d: _(
                "Disposal %(no)s proposed: an approver of your agency decides next.", no=d.disposition_no
            ),
            lambda d: url_for("lifecycle.disposition_detail", disposition_id=d.id),
            refusals=DISPOSAL_KIND_REFUSALS,
        )
        if not isinstance(result, int):
            return result
        status = result
    may = bool(items) and _may(actor, Action.PROPOSE_DISPOSITION, [i.custodian_agency_id for i in items])
    # A final disposal carries out the case's recorded judgment or closing decision: say which (or
    # that there is none yet) and cite it by default.
    case_ids = {i.case_id for i in items}
    outcome = disposition_service.case_outcome(db.session, case_ids.pop()) if len(case_ids) == 1 else None
    if outcome is not None and request.method == "GET" and not form.legal_basis.data:
        form.legal_basis.data = outcome.reference
    # 拟处理意见: the transfer that brought the items here may propose their disposal. One proposal for
    # all of them pre-selects the kind; several are listed, each with the form for its own items.
    proposals = transfer_service.proposed_disposals(db.session, items)
    kinds = set(proposals.values())
    if request.method == "GET" and not form.kind.data:
        asked = request.args.get("kind")
        if asked in {k.value for k in DispositionKind}:
            form.kind.data = asked
        elif len(kinds) == 1 and len(proposals) == len(items):
            form.kind.data = kinds.pop().value
    groups = {
        kind: [item_id for item_id, proposed in proposals.items() if proposed is kind]
        for kind in dict.fromkeys(proposals.values())
    }
    return render_template(
        "lifecycle/disposition_new.html",
        form=form,
        items=items,
        picker=picker,
        may=may,
        cases=_cases(i.case_id for i in items),
        outcome=outcome,
        proposals=proposals,
        proposal_groups=groups if len(groups) > 1 or len(proposals) < len(items) else {},
    ), status


DISPOSITION_ACTIONS = {
    "decide": Action.APPROVE_DISPOSITION,
    "cancel": Action.PROPOSE_DISPOSITION,
    "execute": Action.EXECUTE_DISPOSITION,
    "refund": Action.PROPOSE_DISPOSITION,
}


def _disposition_context(actor: Actor, disposition: Disposition) -> dict[str, Any]:
    items = [line.item for line in disposition.lines]
    custodians = [i.custodian_agency_id for i in items]
    s = disposition.status
    is_proposer = disposition.proposed_by_id == actor.user_id
    proceeds_items = {
        line.proceeds_item_id: db.session.get(Item, line.proceeds_item_id)
        for line in disposition.lines
        if line.proceeds_item_id
    }
    approval = disposition_service.approval_action(disposition.kind)
    can = {
        "decide": _may(actor, approval, custodians, items)
        and s is DispositionRecordStatus.PROPOSED
        and not is_proposer,
        "cancel": _may(actor, Action.PROPOSE_DISPOSITION, custodians, items)
        and s in (DispositionRecordStatus.PROPOSED, DispositionRecordStatus.APPROVED),
        "execute": _may(actor, Action.EXECUTE_DISPOSITION, custodians, items)
        and s is DispositionRecordStatus.APPROVED
        and disposition.approved_by_id != actor.user_id,
        "print": disposition.kind in RETURN_KINDS
        and s in (DispositionRecordStatus.APPROVED, DispositionRecordStatus.EXECUTED),
        "print_destruction": disposition.kind is DispositionKind.DESTROY
        and s in (DispositionRecordStatus.APPROVED, DispositionRecordStatus.EXECUTED),
        "print_execution": disposition.kind in EXECUTION_RECORD_KINDS
        and s in (DispositionRecordStatus.APPROVED, DispositionRecordStatus.EXECUTED),
        "refund": _may(actor, Action.PROPOSE_DISPOSITION, custodians, items)
        and s is DispositionRecordStatus.EXECUTED
        and disposition.kind is DispositionKind.CONFISCATE
        and disposition.ground is DisposalGround.UNCLAIMED
        and not disposition.refund_doc_no,
    }
    notes = {
        "head_approves": disposition.kind is DispositionKind.EARLY_SALE,
        "own_proposal": _may(actor, approval, custodians, items)
        and s is DispositionRecordStatus.PROPOSED
        and is_proposer,
        "own_approval": _may(actor, Action.EXECUTE_DISPOSITION, custodians, items)
        and s is DispositionRecordStatus.APPROVED
        and disposition.approved_by_id == actor.user_id,
    }
    personal = sees_personal_data(actor, *(i.custodian_agency_id for i in items))
    owners = sorted(
        {
            (
                shown("owner_name", i.owner_name, full=personal) or "",
                shown("owner_id_no", i.owner_id_no, full=personal) or "",
            )
            for i in items
            if i.owner_name
        }
    )
    people = _people(
        disposition.proposed_by_id,
        disposition.approved_by_id,
        disposition.executed_by_id,
        disposition.witness_user_id,
    )
    return {
        "disposition": disposition,
        "case": db.session.get(Case, disposition.case_id),
        "can": can,
        "notes": notes,
        "people": people,
        "owners": owners,
        "proceeds_items": proceeds_items,
        "personal": personal,
        "owners_text": "、".join(f"{name}（{id_no}）" if id_no else name for name, id_no in owners),
        "opinion": disposition_service.approval_opinion(db.session, disposition),
        "DK": DispositionKind,
    }


@bp.route("/dispositions/<int:disposition_id>", methods=["GET", "POST"])
def disposition_detail(disposition_id: int):
    actor = current_actor()
    disposition = disposition_service.get_disposition(db.session, actor, disposition_id)
    custodians = [line.item.custodian_agency_id for line in disposition.lines]
    submitted = _submitted(*DISPOSITION_ACTIONS)
    if request.method == "POST":
        if submitted is None:
            return redirect(url_for("lifecycle.disposition_detail", disposition_id=disposition.id))
        action = (
            disposition_service.approval_action(disposition.kind)
            if submitted == "decide"
            else DISPOSITION_ACTIONS[submitted]
        )
        _require(actor, action, custodians, [line.item for line in disposition.lines])
    forms = {
        "decide": _bound(DisposalDecisionForm, "decide", submitted, "decide"),
        "cancel": _bound(CancelForm, "cancel", submitted, "cancel"),
        "execute": _bound(ExecuteForm, "execute", submitted, "execute"),
        "refund": _bound(RefundForm, "refund", submitted, "refund"),
    }
    _witness_choices(actor, disposition, forms["execute"])
    detail = url_for("lifecycle.disposition_detail", disposition_id=disposition.id)
    status = 200
    result: BaseResponse | int | None = None
    if (
        submitted == "decide"
        and forms["decide"].approve.data
        and not _confirmed_for_disposal(forms["decide"])
    ):
        result = 401  # approving a disposal needs the approver to confirm who they are
    elif submitted == "decide":
        form = forms["decide"]
        approve = bool(form.approve.data)
        result = _attempt(
            form,
            lambda: disposition_service.decide_disposition(
                db.session, actor, disposition.id, approve=approve, reason=form.reason.data
            ),
            lambda d: (
                _("Disposal approved: the keeper executes it next.") if approve else _("Disposal rejected.")
            ),
            lambda d: detail,
        )
    elif submitted == "cancel":
        form = forms["cancel"]
        result = _attempt(
            form,
            lambda: disposition_service.cancel_disposition(
                db.session, actor, disposition.id, reason=form.reason.data
            ),
            lambda d: _("The disposal was withdrawn."),
            lambda d: detail,
        )
    elif submitted == "execute":
        result = _execute(actor, disposition, forms["execute"], detail)
    elif submitted == "refund":
        form = forms["refund"]
        result = _attempt(
            form,
            lambda: disposition_service.record_refund(
                db.session, actor, disposition.id, doc_no=form.doc_no.data, reason=form.reason.data
            ),
            lambda d: _("Refund from the treasury recorded."),
            lambda d: detail,
        )
    if isinstance(result, BaseResponse):
        return result
    if isinstance(result, int):
        status = result
        disposition = disposition_service.get_disposition(db.session, actor, disposition_id)
    return render_template(
        "lifecycle/disposition_detail.html",
        forms=forms,
        needs_confirm=not recently_confirmed(),
        **_disposition_context(actor, disposition),
    ), status


def _confirmed_for_disposal(form: DisposalDecisionForm) -> bool:
    """Approving a disposal [DESIGN, issue 14]: the approver proved who they are within the last
    minutes (login with the second factor), or confirms now in the form's code field."""
    if recently_confirmed():
        return True
    if form.validate_on_submit() and form.confirm.data and confirm_now(form.confirm.data):
        db.session.commit()
        return True
    db.session.commit()  # a failed confirmation is recorded
    form.confirm.errors = [_("Confirm who you are: the code of your authenticator app (or your password).")]
    return False


def _witness_choices(actor: Actor, disposition: Disposition, form: ExecuteForm) -> None:
    """A destruction's witness is chosen from the users the service would accept: "name（agency）"."""
    form.witness.choices = []
    if (
        disposition.kind is not DispositionKind.DESTROY
        or disposition.status is not DispositionRecordStatus.APPROVED
        or not _may(
            actor,
            Action.EXECUTE_DISPOSITION,
            [line.item.custodian_agency_id for line in disposition.lines],
            [line.item for line in disposition.lines],
        )
    ):
        return
    users = disposition_service.eligible_witnesses(db.session, actor, disposition.id)
    form.witness.choices = options(
        [
            ("", _("Choose the witness")),
            *(
                (u.username, _("%(name)s (%(agency)s)", name=u.display_name, agency=u.agency.name))
                for u in users
            ),
        ]
    )


def _execute(actor: Actor, disposition: Disposition, form: ExecuteForm, detail: str) -> BaseResponse | int:
    """执行: only the inputs the kind needs reach the service (witness, proceeds or recipient)."""
    kind = disposition.kind
    if (
        form.is_submitted()
        and form.validate()
        and kind is DispositionKind.EARLY_SALE
        and form.proceeds.data is None
    ):
        form.proceeds.errors = [*form.proceeds.errors, _("Enter the sale proceeds in yuan.")]
        return 422

    def call() -> Disposition:
        recipient = None
        if kind in RETURN_KINDS and (form.recipient_name.data or "").strip():
            relation = RecipientRelation(form.recipient_relation.data or RecipientRelation.OWNER.value)
            if form.recipient_is_agent.data and relation is RecipientRelation.OWNER:
                relation = RecipientRelation.AGENT
            recipient = Recipient(
                name=form.recipient_name.data.strip(),
                id_no=(form.recipient_id_no.data or "").strip() or None,
                is_agent=relation is RecipientRelation.AGENT,
                authorisation_ref=(form.authorisation_ref.data or "").strip() or None,
                relation=relation,
                organisation=(form.recipient_organisation.data or "").strip() or None,
            )
        external = None
        witness_kind = WitnessKind(form.witness_kind.data or WitnessKind.USER.value)
        if kind is DispositionKind.DESTROY and witness_kind is not WitnessKind.USER:
            external = ExternalWitness(
                kind=witness_kind,
                name=(form.witness_name.data or "").strip(),
                id_no=(form.witness_id_no.data or "").strip(),
                organisation=(form.witness_organisation.data or "").strip() or None,
            )
        user_witness = kind is DispositionKind.DESTROY and external is None
        lot = None
        if kind is DispositionKind.EARLY_SALE and (
            (form.auction_ref.data or "").strip() or (form.buyer.data or "").strip()
        ):
            lot = AuctionLot(reference=form.auction_ref.data or "", buyer=form.buyer.data or "")
        return disposition_service.execute_disposition(
            db.session,
            actor,
            disposition.id,
            receipt_no=form.receipt_no.data,
            witness=(form.witness.data or "").strip() or None if user_witness else None,
            witness_password=form.witness_password.data if user_witness else None,
            external_witness=external,
            proceeds_fen=form.proceeds.data if kind is DispositionKind.EARLY_SALE else None,
            recipient=recipient,
            lot=lot,
            confirmed_item_ids=form.confirmed_item_ids.data or [],
        )

    return _attempt(
        form,
        call,
        lambda d: _("Execution recorded: the item's custody history is closed."),
        lambda d: detail,
        aliases={
            "proceeds_fen": "proceeds",
            "recipient": "recipient_name",
            "recipient.id_no": "recipient_id_no",
            "line_proceeds": "proceeds",
            "lot": "auction_ref",
        },
    )


@bp.get("/dispositions/<int:disposition_id>/return-list.pdf")
@writes_on_get
def return_list_pdf(disposition_id: int):
    actor = current_actor()
    disposition = disposition_service.get_disposition(db.session, actor, disposition_id)
    if (confirm := confirmation_redirect()) is not None:
        return confirm  # the list names the owner and their ID number
    if disposition.kind not in RETURN_KINDS or disposition.status not in (
        DispositionRecordStatus.APPROVED,
        DispositionRecordStatus.EXECUTED,
    ):
        raise Conflict(
            N_("A return list exists only for an approved or executed return to the owner."),
            code="disposition.no_return_list",
        )
    case = db.session.get(Case, disposition.case_id)
    items = [line.item for line in disposition.lines]
    personal = sees_personal_data(actor, *(i.custodian_agency_id for i in items))

    def shown_id(value: str | None) -> str:
        return shown("owner_id_no", value, full=personal) or ""

    recipient = disposition.recipient
    owner_names = list(
        dict.fromkeys(shown("owner_name", i.owner_name, full=personal) for i in items if i.owner_name)
    )
    owner_ids = list(dict.fromkeys(i.owner_id_no for i in items if i.owner_id_no))
    collects_for_owner = disposition.recipient_relation not in (
        None,
        RecipientRelation.OWNER,
        RecipientRelation.HOLDER,
    )
    agent = shown("person_name", recipient.name, full=personal) if recipient and collects_for_owner else ""
    if recipient and not collects_for_owner:
        owner = shown("person_name", recipient.name, full=personal)
        owner_id = shown_id(recipient.id_no or (owner_ids[0] if owner_ids else None))
    else:
        owner, owner_id = "、".join(n for n in owner_names if n), "、".join(shown_id(v) for v in owner_ids)
    approver = _people(disposition.approved_by_id).get(disposition.approved_by_id or 0)
    approval = disposition.legal_basis or ""
    if approver is not None and disposition.approved_at is not None:
        approval = "；".join(
            filter(
                None, [approval, f"{approver.display_name} {format_datetime(disposition.approved_at)} 批准"]
            )
        )
    notes = f"执行回单号：{disposition.receipt_no}" if disposition.receipt_no else ""
    data = ReturnList(
        return_no=disposition.disposition_no,
        case_no=case_number(case, disposition.custodian_agency.kind),
        case_title=case.title if case else "",
        owner=owner,
        owner_id_no=owner_id,
        kind="先行发还" if disposition.kind is DispositionKind.PRETRIAL_RETURN else "发还",
        agent=agent,
        authorisation=disposition.authorisation_ref or "" if agent else "",
        approval=approval,
        agency=disposition.custodian_agency.name,
        returned_at=disposition.executed_at,
        approval_opinion=disposition_service.approval_opinion(db.session, disposition) or "",
        notes=notes,
        lines=[
            ReturnLine(
                label_code=i.label_code,
                name=i.name,
                quantity=printed_quantity(i),
                value_fen=i.value_fen,
                notes=printed_particulars(i),
            )
            for i in items
        ],
    )
    return send_document(
        build_return_list(data, footer=_print_footer(actor)),
        f"{disposition.disposition_no}.pdf",
        document="return_list",
        object_id=disposition.id,
        disposition_no=disposition.disposition_no,
    )


@bp.get("/dispositions/<int:disposition_id>/destruction-record.pdf")
@writes_on_get
def destruction_record_pdf(disposition_id: int):
    """销毁记录 with the signature lines of the executing keeper and the witness."""
    actor = current_actor()
    disposition = disposition_service.get_disposition(db.session, actor, disposition_id)
    if disposition.kind is not DispositionKind.DESTROY or disposition.status not in (
        DispositionRecordStatus.APPROVED,
        DispositionRecordStatus.EXECUTED,
    ):
        raise Conflict(
            N_("A destruction record exists only for an approved or executed destruction."),
            code="disposition.no_destruction_record",
        )
    case = db.session.get(Case, disposition.case_id)
    items = [line.item for line in disposition.lines]
    personal = sees_personal_data(actor, *(i.custodian_agency_id for i in items))
    people = _people(disposition.executed_by_id, disposition.witness_user_id, disposition.approved_by_id)
    witness, witness_id = "", ""
    if disposition.witness_user_id in people:
        user = people[disposition.witness_user_id]
        witness = f"{user.display_name}（{user.agency.name}，系统用户，已密码确认）"
    elif disposition.witness_counterparty is not None:
        person = disposition.witness_counterparty
        name = shown("person_name", person.name, full=personal) or ""
        label = _zh(disposition.witness_kind.label) if disposition.witness_kind else ""
        witness = "，".join(filter(None, [name, label, person.organisation or ""]))
        witness_id = shown("person_id_no", person.id_no, full=personal) or ""
    executor = people.get(disposition.executed_by_id or 0)
    approver = people.get(disposition.approved_by_id or 0)
    data = DestructionRecord(
        record_no=disposition.disposition_no,
        case_no=case_number(case, disposition.custodian_agency.kind),
        case_title=case.title if case else "",
        ground=_zh(disposition.ground.label) if disposition.ground else "",
        legal_basis=disposition.legal_basis or "",
        approval=f"{approver.display_name} {format_datetime(disposition.approved_at)} 批准"
        if approver
        else "",
        agency=disposition.custodian_agency.name,
        executor=executor.display_name if executor else "",
        witness=witness,
        witness_id_no=witness_id,
        destroyed_at=disposition.executed_at,
        receipt_no=disposition.receipt_no or "",
        approval_opinion=disposition_service.approval_opinion(db.session, disposition) or "",
        notes=disposition.reason or "",
        lines=[
            ReturnLine(
                label_code=i.label_code,
                name=i.name,
                quantity=printed_quantity(i),
                notes=printed_particulars(i),
            )
            for i in items
        ],
    )
    return send_document(
        build_destruction_record(data, footer=_print_footer(actor)),
        f"{disposition.disposition_no}-destruction.pdf",
        document="destruction_record",
        object_id=disposition.id,
        disposition_no=disposition.disposition_no,
    )


# The kinds whose execution has no printed record of its own (a return has its 发还清单, a destruction
# its 销毁记录): confiscation, hand-over to the competent authority, early sale [DESIGN].
EXECUTION_RECORD_KINDS = (DispositionKind.CONFISCATE, DispositionKind.HAND_OVER, DispositionKind.EARLY_SALE)
RECEIVER_ROLES = {DispositionKind.EARLY_SALE: "买受人"}


@bp.get("/dispositions/<int:disposition_id>/execution-record.pdf")
@writes_on_get
def execution_record_pdf(disposition_id: int):
    """处置执行记录 of a confiscation, hand-over or early sale: the items with their amounts (and each
    item's part of a sale price), the receiver, and the executor's, receiver's and witness's signature
    lines. Printed once approved (to take along and sign) or executed."""
    actor = current_actor()
    disposition = disposition_service.get_disposition(db.session, actor, disposition_id)
    if disposition.kind not in EXECUTION_RECORD_KINDS or disposition.status not in (
        DispositionRecordStatus.APPROVED,
        DispositionRecordStatus.EXECUTED,
    ):
        raise Conflict(
            N_(
                "An execution record exists only for an approved or executed confiscation, hand-over "
                "or early sale."
            ),
            code="disposition.no_execution_record",
        )
    case = db.session.get(Case, disposition.case_id)
    people = _people(disposition.executed_by_id, disposition.approved_by_id)
    executor = people.get(disposition.executed_by_id or 0)
    approver = people.get(disposition.approved_by_id or 0)
    sale = disposition.kind is DispositionKind.EARLY_SALE
    executed = disposition.status is DispositionRecordStatus.EXECUTED
    data = ExecutionRecord(
        record_no=disposition.disposition_no,
        case_no=case_number(case, disposition.custodian_agency.kind),
        case_title=case.title if case else "",
        kind=_zh(disposition.kind.label),
        ground=_zh(disposition.ground.label) if disposition.ground else "",
        legal_basis=disposition.legal_basis or "",
        approval=f"{approver.display_name} {format_datetime(disposition.approved_at)} 批准"
        if approver
        else "",
        agency=disposition.custodian_agency.name,
        executor=executor.display_name if executor else "",
        executed_at=disposition.executed_at,
        receipt_no=disposition.receipt_no or "",
        receiver=(disposition.lot_buyer or "") if sale else "",
        receiver_role=RECEIVER_ROLES.get(disposition.kind, "接收单位"),
        lot=disposition.lot_auction_ref or "",
        proceeds_fen=disposition.lot_proceeds_fen if sale and executed else None,
        sale=sale,
        notes=disposition.reason or "",
        lines=[
            ExecutionLine(
                label_code=line.item.label_code,
                name=line.item.name,
                quantity=printed_quantity(line.item),
                value_fen=line.item.value_fen,
                proceeds_fen=line.proceeds_fen,
                notes=printed_particulars(line.item),
            )
            for line in disposition.lines
        ],
    )
    return send_document(
        build_execution_record(data, footer=_print_footer(actor)),
        f"{disposition.disposition_no}-execution.pdf",
        document="execution_record",
        object_id=disposition.id,
        disposition_no=disposition.disposition_no,
    )


# -- freezes ----------------------------------------------------------------------------------


def effective_status(freeze: FreezeOrder, today: date) -> FreezeStatus:
    return freeze_status_on(freeze.status, freeze.expires_on, today)


@bp.get("/freezes")
def freezes():
    actor = current_actor()
    status = _enum_arg(FreezeStatus)
    expiring = request.args.get("expiring") in ("y", "1", "true", "on")
    today = local_date(utcnow())
    form = FreezeFilterForm(request.args)
    form.status.choices = _status_choices(FreezeStatus)
    form.status.data = status.value if status else ""
    stmt = freeze_service.freezes_query(
        actor, expiring_before=today + timedelta(days=EXPIRY_WARNING_DAYS) if expiring else None
    )
    # The stored status says "active" until the lapse job runs; filter on what the law says today.
    if status is FreezeStatus.ACTIVE or expiring:
        stmt = stmt.where(FreezeOrder.status == FreezeStatus.ACTIVE, FreezeOrder.expires_on >= today)
    elif status is FreezeStatus.LAPSED:
        stmt = stmt.where(
            (FreezeOrder.status == FreezeStatus.LAPSED)
            | ((FreezeOrder.status == FreezeStatus.ACTIVE) & (FreezeOrder.expires_on < today))
        )
    elif status is FreezeStatus.RELEASED:
        stmt = stmt.where(FreezeOrder.status == FreezeStatus.RELEASED)
    page = _paginate(stmt.options(selectinload(FreezeOrder.item)))
    return render_template(
        "lifecycle/freezes.html",
        form=form,
        page=page,
        today=today,
        statuses={f.id: effective_status(f, today) for f in page.rows},
        accounts={
            f.id: shown(
                "account_no", f.account_no, full=sees_personal_data(actor, f.item.custodian_agency_id)
            )
            for f in page.rows
        },
        warn_days=EXPIRY_WARNING_DAYS,
        args={"status": status.value if status else None, "expiring": "y" if expiring else None},
    )


def _period_table(
    types: Iterable[FreezeAssetType], kind: AgencyKind = AgencyKind.POLICE
) -> list[tuple[FreezeAssetType, int, int | None]]:
    """(asset type, the suggested period, the major-case period) for the freezing agency's kind."""
    return [
        (
            t,
            suggested_period_months(t, False, kind),
            MAJOR_CASE_MONTHS if t in MAJOR_CASE_TYPES and kind is not AgencyKind.COURT else None,
        )
        for t in types
    ]


@bp.route("/freezes/new/<int:item_id>", methods=["GET", "POST"])
def freeze_new(item_id: int):
    actor = current_actor()
    item = get_item(db.session, actor, item_id)
    if request.method == "POST":
        _require(actor, Action.MANAGE_FREEZE, [item.custodian_agency_id])
    types = sorted(ASSET_TYPES_FOR_CATEGORY.get(item.category, frozenset()), key=list(FreezeAssetType).index)
    form = FreezeForm()
    form.set_asset_types(types or list(FreezeAssetType))
    if not form.is_submitted():
        details = item.details or {}
        form.institution.data = details.get("bank") or details.get("institution") or item.external_place
        form.account_no.data = details.get("account_no")
        form.account_name.data = details.get("account_name") or item.owner_name
        if isinstance(details.get("amount_fen"), int):
            form.amount.data = details["amount_fen"]
        form.start_on.data = local_date(utcnow())
        # The freeze notice (协助冻结通知书) is its own document, not the seizure decision: the
        # latest notice recorded for this item, if any, else empty.
        form.notice_doc_no.data = db.session.scalar(
            select(FreezeOrder.notice_doc_no)
            .where(FreezeOrder.item_id == item.id)
            .order_by(FreezeOrder.id.desc())
            .limit(1)
        )
        if len(types) == 1:
            form.asset_type.data = types[0].value
    status = 200
    if request.method == "POST":
        result = _attempt(
            form,
            lambda: freeze_service.create_freeze(
                db.session,
                actor,
                item_id=item.id,
                asset_type=FreezeAssetType(form.asset_type.data),
                institution=form.institution.data,
                account_no=form.account_no.data,
                account_name=(form.account_name.data or "").strip() or None,
                amount_fen=int(form.amount.data or 0),  # required by the form; the service refuses 0
                start_on=form.start_on.data,
                notice_doc_no=form.notice_doc_no.data,
                period_months=form.period_months.data,
                major_case=bool(form.major_case.data),
                receipt_end_on=form.receipt_end_on.data,
                approved_by=form.approved_by.data,
                approval_level=ApprovalLevel(form.approval_level.data) if form.approval_level.data else None,
                covers_fruits=bool(form.covers_fruits.data),
                scope=form.scope.data,
                listed_company=bool(form.listed_company.data),
                major_case_approval=form.major_case_approval.data,
                queued=bool(form.queued.data),
            ),
            lambda f: (
                _("Queued freeze recorded: it takes effect when the earlier freeze ends.")
                if f.status is FreezeStatus.QUEUED
                else _(
                    "Freeze recorded: it holds until %(date)s unless renewed before then.",
                    date=f.expires_on.isoformat(),
                )
            ),
            lambda f: url_for("lifecycle.freeze_detail", freeze_id=f.id),
            aliases={"amount_fen": "amount"},
        )
        if not isinstance(result, int):
            return result
        status = result
    return render_template(
        "lifecycle/freeze_new.html",
        form=form,
        item=item,
        case=db.session.get(Case, item.case_id),
        may=_may(actor, Action.MANAGE_FREEZE, [item.custodian_agency_id]),
        periods=_period_table(types or list(FreezeAssetType), actor.agency_kind),
        agency_kind=actor.agency_kind,
        category_fits=bool(types),
        frozen=item.measure is Measure.FROZEN,
    ), status


FREEZE_ACTIONS = {
    "renew": Action.MANAGE_FREEZE,
    "release": Action.MANAGE_FREEZE,
    "activate": Action.MANAGE_FREEZE,
}


@bp.route("/freezes/<int:freeze_id>", methods=["GET", "POST"])
def freeze_detail(freeze_id: int):
    actor = current_actor()
    freeze = freeze_service.get_freeze(db.session, actor, freeze_id)
    submitted = _submitted(*FREEZE_ACTIONS)
    if request.method == "POST":
        if submitted is None:
            return redirect(url_for("lifecycle.freeze_detail", freeze_id=freeze.id))
        _require(actor, FREEZE_ACTIONS[submitted], [freeze.item.custodian_agency_id])
    forms = {
        "renew": _bound(RenewForm, "renew", submitted, "renew"),
        "release": _bound(FreezeReleaseForm, "release", submitted, "release"),
        "activate": _bound(ActivateForm, "activate", submitted, "activate"),
    }
    detail = url_for("lifecycle.freeze_detail", freeze_id=freeze.id)
    status = 200
    result: BaseResponse | int | None = None
    if submitted == "renew":
        form = forms["renew"]
        result = _attempt(
            form,
            lambda: freeze_service.renew_freeze(
                db.session,
                actor,
                freeze.id,
                doc_no=form.doc_no.data,
                period_months=form.period_months.data,
                receipt_end_on=form.receipt_end_on.data,
            ),
            lambda f: _("Freeze renewed until %(date)s.", date=f.expires_on.isoformat()),
            lambda f: detail,
        )
    elif submitted == "release":
        form = forms["release"]
        result = _attempt(
            form,
            lambda: freeze_service.release_freeze(
                db.session, actor, freeze.id, doc_no=form.doc_no.data, reason=form.reason.data
            ),
            lambda f: _("Freeze released."),
            lambda f: detail,
        )
    elif submitted == "activate":
        form = forms["activate"]
        result = _attempt(
            form,
            lambda: freeze_service.activate_queued(
                db.session,
                actor,
                freeze.id,
                start_on=form.start_on.data,
                receipt_end_on=form.receipt_end_on.data,
                doc_no=form.doc_no.data,
            ),
            lambda f: _("The queued freeze is in force until %(date)s.", date=f.expires_on.isoformat()),
            lambda f: detail,
        )
    if isinstance(result, BaseResponse):
        return result
    if isinstance(result, int):
        status = result
        freeze = freeze_service.get_freeze(db.session, actor, freeze_id)
    today = local_date(utcnow())
    effective = effective_status(freeze, today)
    may = _may(actor, Action.MANAGE_FREEZE, [freeze.item.custodian_agency_id])
    disposed = derive_status(facts(freeze.item)) is ItemStatus.DISPOSED
    active = effective is FreezeStatus.ACTIVE and not disposed
    queued = effective is FreezeStatus.QUEUED and not disposed
    # [LAW] 程序规定 art. 240: renewal any time before the last day has passed.
    can = {"renew": may and active, "release": may and (active or queued), "activate": may and queued}
    people = _people(freeze.created_by_id, freeze.released_by_id, *(r.renewed_by_id for r in freeze.renewals))
    return render_template(
        "lifecycle/freeze_detail.html",
        freeze=freeze,
        personal=sees_personal_data(actor, freeze.item.custodian_agency_id),
        forms=forms,
        can=can,
        effective=effective,
        today=today,
        days_left=(freeze.expires_on - today).days,
        warn_days=EXPIRY_WARNING_DAYS,
        people=people,
        case=db.session.get(Case, freeze.item.case_id),
        max_months=max_period_months(freeze.asset_type, freeze.major_case, actor.agency_kind),
    ), status


# -- corrections ------------------------------------------------------------------------------


def _yes_no(value: Any) -> str:
    return _("Yes") if value else _("No")


def display_value(field: str, value: Any, category: ItemCategory, personal: bool = True) -> str:
    """A current, old or new value of a correctable field as people read it."""
    from custody.i18n import yuan

    value = shown(field, value, full=personal)
    if value is None or value == "" or value == {}:
        return "—"
    if field == "estimated_value_fen":
        return yuan(value)
    if field in ("ownership_clear", "is_perishable"):
        return _yes_no(value)
    if field == "quantity":
        return format(Decimal(str(value)).normalize(), "f")
    if field == "measure_date":
        return value.isoformat() if isinstance(value, date) else str(value)
    if field == "details" and isinstance(value, dict):
        parts = []
        for key, item in value.items():
            label = str(DETAIL_LABELS.get(key, key))
            if key.endswith("_fen") and isinstance(item, int):
                text = yuan(item)
            elif key == "denominations" and isinstance(item, dict):
                text = format_denominations(item)
            else:
                text = str(item)
            parts.append(f"{label}：{text}")
        return "；".join(parts)
    return str(value)


@bp.get("/corrections")
def corrections():
    actor = current_actor()
    status = _enum_arg(CorrectionStatus)
    form = CorrectionFilterForm(request.args)
    form.status.choices = _status_choices(CorrectionStatus)
    form.status.data = status.value if status else ""
    page = _paginate(
        correction_service.corrections_query(actor, status=status).options(selectinload(Correction.item))
    )
    values = {
        c.id: (
            display_value(
                c.field, c.old_value, c.item.category, sees_personal_data(actor, c.item.custodian_agency_id)
            ),
            display_value(
                c.field, c.new_value, c.item.category, sees_personal_data(actor, c.item.custodian_agency_id)
            ),
        )
        for c in page.rows
    }
    return render_template(
        "lifecycle/corrections.html",
        form=form,
        page=page,
        values=values,
        labels=FIELD_LABELS,
        people=_people(*(c.proposed_by_id for c in page.rows)),
        args={"status": status.value if status else None},
    )


def _correction_input(field: str, form: Any, item: Item) -> Any:
    """The form's typed value as the service takes it (the same JSON shape as the API)."""
    if field == "details":
        details: dict[str, Any] = {}
        for key in CATEGORY_FIELDS[item.category]:
            value = getattr(form, f"details_{key}").data
            if isinstance(value, str):
                value = value.strip()
            if value not in (None, "", {}):
                details[key] = value
        return details
    value = form.new_value.data
    if field in ("ownership_clear", "is_perishable"):
        return value == "yes"
    if field == "measure_date":
        return value.isoformat() if value else None
    return value


def _prefill_correction(field: str, form: Any, item: Item) -> None:
    current = getattr(item, field)
    if field == "details":
        for key in CATEGORY_FIELDS[item.category]:
            value = (current or {}).get(key)
            target = getattr(form, f"details_{key}")
            if value is not None:
                target.data = value
    elif field in ("ownership_clear", "is_perishable"):
        form.new_value.data = "yes" if current else "no"
    elif field == "quantity":
        form.new_value.data = format(Decimal(current).normalize(), "f")
    else:
        form.new_value.data = current


@bp.route("/corrections/new/<int:item_id>", methods=["GET", "POST"])
def correction_new(item_id: int):
    actor = current_actor()
    item = get_item(db.session, actor, item_id)
    field = request.args.get("field", "")
    personal = sees_personal_data(actor, item.custodian_agency_id)
    may = _may(actor, Action.PROPOSE_CORRECTION, [item.custodian_agency_id])
    chooser = FieldChoiceForm(request.args if "field" in request.args else None)
    chooser.field.choices = options(
        [("", _("— choose the field —")), *((f, FIELD_LABELS[f]) for f in CORRECTABLE_FIELDS)]
    )
    current = [
        (f, FIELD_LABELS[f], display_value(f, getattr(item, f), item.category, personal))
        for f in CORRECTABLE_FIELDS
    ]
    context = {
        "item": item,
        "case": db.session.get(Case, item.case_id),
        "may": may,
        "chooser": chooser,
        "current": current,
        "labels": FIELD_LABELS,
    }
    if field not in CORRECTABLE_FIELDS:
        if request.method == "POST":
            _require(actor, Action.PROPOSE_CORRECTION, [item.custodian_agency_id])
        status = 200
        if "field" in request.args or request.method == "POST":
            chooser.validate()
            status = 422
        return render_template("lifecycle/correction_new.html", form=None, field_name=None, **context), status
    if request.method == "POST":
        _require(actor, Action.PROPOSE_CORRECTION, [item.custodian_agency_id])
    form = correction_form_class(field, item.category)()
    if not form.is_submitted():
        _prefill_correction(field, form, item)
    status = 200
    if request.method == "POST":
        result = _attempt(
            form,
            lambda: correction_service.propose_correction(
                db.session,
                actor,
                item_id=item.id,
                field=field,
                new_value=_correction_input(field, form, item),
                reason=form.reason.data,
            ),
            lambda c: _("Correction proposed: an approver of your agency decides next."),
            lambda c: url_for("lifecycle.correction_detail", correction_id=c.id),
            aliases={"quantity": "new_value", "field": "new_value"},
        )
        if not isinstance(result, int):
            return result
        status = result
    return render_template(
        "lifecycle/correction_new.html",
        form=form,
        field_name=field,
        current_value=display_value(field, getattr(item, field), item.category, personal),
        detail_keys=list(CATEGORY_FIELDS[item.category]) if field == "details" else [],
        **context,
    ), status


@bp.route("/corrections/<int:correction_id>", methods=["GET", "POST"])
def correction_detail(correction_id: int):
    actor = current_actor()
    correction = correction_service.get_correction(db.session, actor, correction_id)
    custodian = correction.item.custodian_agency_id
    submitted = _submitted("decide")
    if request.method == "POST":
        if submitted is None:
            return redirect(url_for("lifecycle.correction_detail", correction_id=correction.id))
        _require(actor, Action.APPROVE_CORRECTION, [custodian])
    form = _bound(DecisionForm, "decide", submitted, "decide")
    status = 200
    if submitted == "decide":
        approve = bool(form.approve.data)
        result = _attempt(
            form,
            lambda: correction_service.decide_correction(
                db.session, actor, correction.id, approve=approve, reason=form.reason.data
            ),
            lambda c: (
                _("Correction approved: the item now carries the new value; its history keeps both.")
                if approve
                else _("Correction rejected.")
            ),
            lambda c: url_for("lifecycle.correction_detail", correction_id=correction.id),
        )
        if isinstance(result, BaseResponse):
            return result
        status = result
        correction = correction_service.get_correction(db.session, actor, correction_id)
    is_proposer = correction.proposed_by_id == actor.user_id
    may_decide = (
        _may(actor, Action.APPROVE_CORRECTION, [custodian]) and correction.status is CorrectionStatus.PROPOSED
    )
    personal = sees_personal_data(actor, custodian)
    item = correction.item
    return render_template(
        "lifecycle/correction_detail.html",
        correction=correction,
        form=form,
        item=item,
        case=db.session.get(Case, item.case_id),
        label=FIELD_LABELS.get(correction.field, correction.field),
        old=display_value(correction.field, correction.old_value, item.category, personal),
        new=display_value(correction.field, correction.new_value, item.category, personal),
        current=display_value(
            correction.field, getattr(item, correction.field, None), item.category, personal
        ),
        can_decide=may_decide and not is_proposer,
        own=may_decide and is_proposer,
        people=_people(correction.proposed_by_id, correction.decided_by_id),
    ), status
