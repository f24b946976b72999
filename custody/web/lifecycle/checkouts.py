"""调用/归还 pages: the list, a new request, and the check-out's page with its steps."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from custody.access import current_actor
from custody.domain.actor import Actor
from custody.domain.clock import LOCAL_TZ
from custody.domain.lifecycle import (
    CheckoutPurpose,
    CheckoutStatus,
    CounterpartyKind,
    Discrepancy,
    RecordLine,
    is_overdue,
    out_of_place_lines,
)
from custody.domain.policy import Action
from custody.extensions import db
from custody.models.lifecycle import Checkout
from custody.orm import utcnow
from custody.services import checkouts as checkout_service
from custody.services.checkouts import Overview

from ..forms import options
from ..helpers import PageForms, paginate
from ..lifecycle_forms import CheckoutFilterForm
from .common import bp, enum_arg, picker, refusal_on_items, selected_items, status_choices, submit_unless
from .forms import (
    CancelForm,
    CheckoutRequestForm,
    DecisionForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    ReleaseForm,
    ReturnForm,
)


@bp.get("/checkouts")
def checkouts():
    actor = current_actor()
    status = enum_arg(CheckoutStatus)
    overdue = request.args.get("overdue") in ("y", "1", "true", "on")
    form = CheckoutFilterForm(request.args)
    form.status.choices = status_choices(CheckoutStatus)
    form.status.data = status.value if status else ""
    stmt = checkout_service.checkouts_query(actor, status=status, overdue=True if overdue else None)
    page = paginate(stmt.options(joinedload(Checkout.case)))  # in the page's statement (query budget)
    now = utcnow()
    return render_template(
        "lifecycle/checkouts.html",
        form=form,
        page=page,
        overdue={c.id for c in page.rows if is_overdue(c.status, c.due_at, now)},
    )


def _default_due() -> datetime:
    """Tomorrow at 17:00 local time: a sensible default the requester changes as needed."""
    tomorrow = (utcnow().astimezone(LOCAL_TZ) + timedelta(days=1)).date()
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 17, 0, tzinfo=LOCAL_TZ)


@bp.route("/checkouts/new", methods=["GET", "POST"])
def checkout_new():
    actor = current_actor()
    items = selected_items(actor)
    chooser, jump, status = picker(actor, "lifecycle.checkout_new") if not items else (None, None, 200)
    if jump is not None:
        return jump
    # Items of another case or custodian: named, each with a link back to this page without it.
    wrong_ids = {
        line.item_id
        for line in out_of_place_lines(
            [RecordLine(i.id, i.case_id, i.custodian_agency_id) for i in items], actor.agency_id
        )
    }
    refusal = refusal_on_items(actor, Action.REQUEST_CHECKOUT, items)
    form = CheckoutRequestForm()
    if not form.is_submitted():
        form.due_at.data = _default_due()
    outcome = submit_unless(
        refusal if request.method == "POST" and not wrong_ids else None,
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
        done=lambda c: _(
            "Check-out request %(no)s submitted: an approver of your agency decides next.",
            no=c.checkout_no,
        ),
        to=lambda c: url_for("lifecycle.checkout_detail", checkout_id=c.id),
        aliases={"counterparty.name": "counterparty_name"},
    )
    if outcome.response is not None:
        return outcome.response
    ids = [i.id for i in items]
    return render_template(
        "lifecycle/checkout_new.html",
        form=form,
        items=items,
        wrong=[i for i in items if i.id in wrong_ids],
        without={i.id: [other for other in ids if other != i.id] for i in items if i.id in wrong_ids},
        without_all=[i for i in ids if i not in wrong_ids],
        picker=chooser,
        may=bool(items) and refusal is None,
    ), (outcome.status if request.method == "POST" else status)


# The forms of a check-out's page, by prefix, and the service's action each one takes (approving
# and rejecting meet the same refusals).
STEPS = {
    "decide": "approve",
    "cancel": "cancel",
    "release": "release",
    "return": "return",
    "extend": "extend",
    "extdecide": "approve_extension",
}


def _checkout_context(overview: Overview) -> dict[str, Any]:
    checkout: Checkout = overview.record
    actions = overview.actions
    can = {step: action in actions for step, action in STEPS.items()}
    can["decide_extension"] = can.pop("extdecide")
    can["print"] = checkout_service.slip_problem(checkout) is None
    notes = {
        "own_request": overview.refused_as("approve", "separation.requester_not_approver"),
        "own_extension": overview.refused_as("approve_extension", "separation.requester_not_approver"),
        "own_approval": overview.refused_as("release", "separation.approver_not_executor"),
    }
    return {
        "checkout": checkout,
        "case": checkout.case,
        "can": can,
        "notes": notes,
        "pending": checkout_service.pending_extension(checkout),
        "people": overview.people,
        "overdue": is_overdue(checkout.status, checkout.due_at, utcnow()),
        "opinion": overview.opinion,
    }


def _step(actor: Actor, overview: Overview, step: str, form: Any, detail: str) -> Any:
    """Take the posted step (its form already bound), unless the service refuses it outright."""
    checkout_id = overview.record.id
    problem = overview.problems[STEPS[step]]
    if step in ("decide", "extdecide"):
        approve = bool(form.approve.data)
        decide = checkout_service.decide_checkout if step == "decide" else checkout_service.decide_extension
        if step == "decide":
            done = (
                _("Check-out approved: the keeper may now release the items.")
                if approve
                else _("Check-out rejected.")
            )
        else:
            done = _("Extension approved: the new due time applies.") if approve else _("Extension rejected.")
        return submit_unless(
            problem,
            form,
            lambda: decide(db.session, actor, checkout_id, approve=approve, reason=form.reason.data),
            done=done,
            to=detail,
        )
    if step == "cancel":
        return submit_unless(
            problem,
            form,
            lambda: checkout_service.cancel_checkout(db.session, actor, checkout_id, reason=form.reason.data),
            done=_("The check-out request was withdrawn."),
            to=detail,
        )
    if step == "release":
        return submit_unless(
            problem,
            form,
            lambda: checkout_service.release_checkout(
                db.session,
                actor,
                checkout_id,
                released_to=form.released_to.data,
                confirmed_item_ids=form.confirmed_item_ids.data or [],
            ),
            done=lambda c: _("Items released to %(name)s.", name=c.released_to),
            to=detail,
        )
    if step == "return":
        return submit_unless(
            problem,
            form,
            lambda: checkout_service.return_items(
                db.session,
                actor,
                checkout_id,
                condition=form.condition.data,
                item_ids=form.item_ids.data,
                discrepancy=Discrepancy(form.discrepancy.data) if form.discrepancy.data else None,
                discrepancy_note=form.discrepancy_note.data,
                confirmed_item_ids=form.confirmed_item_ids.data or [],
            ),
            done=_("Return recorded."),
            to=detail,
        )
    return submit_unless(
        problem,
        form,
        lambda: checkout_service.request_extension(
            db.session, actor, checkout_id, due_at=form.due_at.data, reason=form.reason.data
        ),
        done=_("Extension requested: an approver decides next."),
        to=detail,
    )


@bp.route("/checkouts/<int:checkout_id>", methods=["GET", "POST"])
def checkout_detail(checkout_id: int):
    actor = current_actor()
    overview = checkout_service.checkout_overview(db.session, actor, checkout_id)
    checkout: Checkout = overview.record
    detail = url_for("lifecycle.checkout_detail", checkout_id=checkout.id)
    page = PageForms(*STEPS)
    if request.method == "POST" and page.posted is None:
        return redirect(detail)
    forms = {
        "decide": page.bind(DecisionForm, "decide"),
        "cancel": page.bind(CancelForm, "cancel"),
        "release": page.bind(ReleaseForm, "release"),
        "return": page.bind(ReturnForm, "return"),
        "extend": page.bind(ExtensionRequestForm, "extend"),
        "extdecide": page.bind(ExtensionDecisionForm, "extdecide"),
    }
    outstanding = [line for line in checkout.lines if line.returned_at is None]
    forms["return"].item_ids.choices = options(
        (line.item_id, f"{line.item.label_code} {line.item.name}") for line in outstanding
    )
    if page.posted != "return":  # ticked: what this keeper may take back (custody may have split)
        forms["return"].item_ids.data = checkout_service.returnable_item_ids(actor, checkout)
    if page.posted != "release":
        forms["release"].released_to.data = checkout.counterparty.name
    status = 200
    if page.posted is not None:
        outcome = _step(actor, overview, page.posted, forms[page.posted], detail)
        if outcome.response is not None:
            return outcome.response
        status = outcome.status
        overview = checkout_service.checkout_overview(db.session, actor, checkout_id)  # after the rollback
    return render_template(
        "lifecycle/checkout_detail.html", forms=forms, **_checkout_context(overview)
    ), status
