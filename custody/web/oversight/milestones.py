"""A case's milestones: judgment, closing, unrelated findings, public notices, court execution and
the judgment's orders on the property — several forms on one page (``helpers.PageForms``)."""

from __future__ import annotations

from typing import Any

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from custody.access import current_actor
from custody.domain.clock import local_date
from custody.domain.i18n import N_
from custody.domain.judgment_orders import OrderKind, OrderLine
from custody.domain.milestones import NoticeBasis
from custody.extensions import db
from custody.i18n import yuan
from custody.orm import utcnow
from custody.services import alerts, judgment_orders, milestones, restitution

from ..forms import options
from ..forms.oversight import (
    ORDER_FIELDS,
    CloseCaseForm,
    ExecutionForm,
    JudgmentForm,
    NoticeForm,
    OrderForm,
    OrderReceiptForm,
    ProposeOrdersForm,
    ReceiptForm,
    ServiceForm,
    UnrelatedForm,
)
from ..helpers import PageForms, submit
from .common import agency_names, bp

# The forms of a case's milestones page, by prefix, and what each says when its record is made.
MILESTONE_FORMS: dict[str, type[FlaskForm]] = {
    "judgment": JudgmentForm,
    "close": CloseCaseForm,
    "unrelated": UnrelatedForm,
    "notice": NoticeForm,
    "execution": ExecutionForm,
    "service": ServiceForm,
    "receipt": ReceiptForm,
    "order": OrderForm,
    "propose": ProposeOrdersForm,
    "ack": OrderReceiptForm,
}


MILESTONE_DONE = {
    "judgment": N_("Judgment recorded; the case is in execution."),
    "close": N_("The case is closed."),
    "unrelated": N_("Finding recorded: release the item within 3 days."),
    "notice": N_("Public notice recorded."),
    "execution": N_("Execution recorded."),
    "service": N_("Service recorded: the execution receipt is due within a month (a bank: 15 days)."),
    "receipt": N_("Execution receipt recorded."),
    "order": N_("Order recorded."),
    "propose": N_("Disposal requests proposed from the judgment's orders: they await approval."),
    "ack": N_("Execution receipt acknowledged; the order is closed."),
}


# The date a new record usually carries, filled in on an empty form.
MILESTONE_DATES = {"judgment": "effective_on", "unrelated": "found_on", "notice": "published_on"}


def _record_milestone(name: str, f: Any, actor: Any, case_id: int) -> Any:
    """The one service call of the milestones page's form ``name``."""
    session = db.session
    match name:
        case "judgment":
            return milestones.record_judgment(
                session, actor, case_id, judgment_no=f.judgment_no.data, effective_on=f.effective_on.data
            )
        case "close":
            return milestones.close_case(
                session, actor, case_id, legal_basis=f.legal_basis.data, reason=f.reason.data
            )
        case "unrelated":
            return milestones.mark_unrelated(
                session,
                actor,
                f.item_id.data,
                found_on=f.found_on.data,
                reason=f.reason.data,
                decision_doc_no=f.decision_doc_no.data,
            )
        case "notice":
            return milestones.publish_notice(
                session,
                actor,
                item_ids=f.item_ids.data,
                published_on=f.published_on.data,
                medium=f.medium.data,
                content=f.content.data,
                basis=NoticeBasis(f.basis.data or NoticeBasis.UNRELATED.value),
            )
        case "execution":
            return milestones.record_execution(
                session,
                actor,
                case_id,
                referred_on=f.referred_on.data,
                execution_case_no=f.execution_case_no.data,
                opened_on=f.opened_on.data,
                extended_until=f.extended_until.data,
                extension_approval=f.extension_approval.data,
            )
        case "service":
            return milestones.record_service(
                session,
                actor,
                case_id,
                holder_agency_id=f.holder_agency_id.data,
                institution=f.institution.data,
                served_on=f.served_on.data,
            )
        case "receipt":
            return milestones.record_execution_receipt(
                session,
                actor,
                case_id,
                f.service_id.data,
                receipt_no=f.receipt_no.data,
                received_on=f.received_on.data,
            )
        case "order":
            line = OrderLine(
                kind=OrderKind(f.kind.data),
                item_id=f.item_id.data,
                amount_fen=f.amount.data,
                victim_id=f.victim_id.data,
                recipient=f.recipient.data,
                note=f.note.data,
            )
            return judgment_orders.record_orders(session, actor, case_id, [line])
        case "propose":
            return judgment_orders.propose_from_orders(session, actor, case_id)
        case "ack":
            return judgment_orders.acknowledge_receipt(
                session, actor, f.order_id.data, receipt_no=f.receipt_no.data, received_on=f.received_on.data
            )
    raise ValueError(name)


def _milestone_forms(pages: PageForms, page: milestones.CaseMilestones, actor: Any) -> dict[str, Any]:
    """The page's forms, the posted one bound to the request, with the choices the case offers."""
    today = local_date(utcnow())
    forms = {
        name: pages.bind(
            cls,
            name,
            **({MILESTONE_DATES[name]: today} if name in MILESTONE_DATES and pages.posted != name else {}),
        )
        for name, cls in MILESTONE_FORMS.items()
    }
    items = [(i.id, f"{i.label_code} {i.name}") for i in page.held]
    forms["order"].item_id.choices = options([("", "—"), *items])
    forms["order"].victim_id.choices = options(
        [("", "—"), *((v.id, v.name) for v in restitution.victims_of(db.session, actor, page.case.id))]
    )
    forms["ack"].order_id.choices = options(
        [
            (o.id, f"{o.line_no}. {_(o.kind.label)} · {o.item.label_code if o.item else yuan(o.amount_fen)}")
            for o in page.receipts_awaited
        ]
    )
    names = agency_names()
    forms["service"].holder_agency_id.choices = options(
        [("", "—"), *((a, names.get(a, str(a))) for a in page.holders)]
    )
    forms["receipt"].service_id.choices = options(
        [
            (
                sv.id,
                f"{names.get(sv.holder_agency_id, '') if sv.holder_agency_id else sv.institution} · {sv.served_on.isoformat()}",
            )
            for sv in page.services_awaiting_receipt
        ]
    )
    mine = options([(i.id, f"{i.label_code} {i.name}") for i in page.mine])
    forms["unrelated"].item_id.choices = mine
    forms["notice"].item_ids.choices = mine
    return forms


@bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
def case_milestones(case_id: int):
    actor = current_actor()
    page = milestones.case_milestones(db.session, actor, case_id)
    pages = PageForms(*MILESTONE_FORMS)
    forms = _milestone_forms(pages, page, actor)
    status = 200
    if pages.posted is not None:
        name, form = pages.posted, forms[pages.posted]
        outcome = submit(
            form,
            lambda: _record_milestone(name, form, actor, page.case.id),
            done=_(MILESTONE_DONE[name]),
            to=url_for("oversight.case_milestones", case_id=page.case.id),
            aliases=ORDER_FIELDS if name == "order" else None,
        )
        if outcome.response is not None:
            return outcome.response
        status = outcome.status
    return render_template(
        "oversight/case_milestones.html",
        page=page,
        case=page.case,
        forms=forms,
        can=page.can,
        agency_names=agency_names(),
        case_alerts=[a for a in alerts.alerts_for(db.session, actor) if a.case_id == page.case.id],
    ), status
