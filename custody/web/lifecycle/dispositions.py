"""处置 pages: the list, a new proposal, and the disposal's page with its steps (approval with the
approver's confirmation of who they are, execution with witness, proceeds or recipient, refund)."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from custody.access import current_actor, recently_confirmed
from custody.domain.actor import Actor
from custody.domain.enums import DispositionKind
from custody.domain.lifecycle import (
    FINAL_KINDS,
    DisposalGround,
    DispositionRecordStatus,
    ExternalWitness,
    Recipient,
    RecipientRelation,
    WitnessKind,
)
from custody.domain.money import AuctionLot
from custody.domain.personal_data import sees_personal_data, shown
from custody.domain.policy import Action
from custody.extensions import db
from custody.models.lifecycle import Disposition
from custody.services import dispositions as disposition_service
from custody.services import transfers as transfer_service
from custody.services.checkouts import Overview
from custody.services.dispositions import RETURN_KINDS

from ..auth import confirm_now
from ..forms import options
from ..helpers import PageForms, Submission, paginate
from ..lifecycle_forms import DispositionFilterForm
from .common import bp, enum_arg, picker, refusal_on_items, selected_items, status_choices, submit_unless
from .forms import CancelForm, DisposalDecisionForm, DispositionForm, ExecuteForm, RefundForm

# Refusals of a disposal proposal that the chosen 处置方式 causes: said at that field.
DISPOSAL_KIND_REFUSALS = {
    "disposal.no_owner": "kind",
    "disposal.case_not_decided": "kind",
    "disposal.not_unrelated": "ground",
    "disposal.notice_period_running": "ground",
}


@bp.get("/dispositions")
def dispositions():
    actor = current_actor()
    status = enum_arg(DispositionRecordStatus)
    kind = enum_arg(DispositionKind, "kind")
    form = DispositionFilterForm(request.args)
    form.status.choices = status_choices(DispositionRecordStatus)
    form.kind.choices = options([("", _("All")), *((k.value, _(k.label)) for k in DispositionKind)])
    form.status.data = status.value if status else ""
    form.kind.data = kind.value if kind else ""
    stmt = disposition_service.dispositions_query(actor, status=status, kind=kind)
    page = paginate(stmt.options(selectinload(Disposition.case)))
    return render_template("lifecycle/dispositions.html", form=form, page=page)


@bp.route("/dispositions/new", methods=["GET", "POST"])
def disposition_new():
    actor = current_actor()
    items = selected_items(actor)
    chooser, jump, status = picker(actor, "lifecycle.disposition_new") if not items else (None, None, 200)
    if jump is not None:
        return jump
    refusal = refusal_on_items(actor, Action.PROPOSE_DISPOSITION, items)
    form = DispositionForm()
    submission = submit_unless(
        refusal if request.method == "POST" else None,
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
        done=lambda d: _(
            "Disposal %(no)s proposed: an approver of your agency decides next.", no=d.disposition_no
        ),
        to=lambda d: url_for("lifecycle.disposition_detail", disposition_id=d.id),
        refusals=DISPOSAL_KIND_REFUSALS,
    )
    if submission.response is not None:
        return submission.response
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
        picker=chooser,
        may=bool(items) and refusal is None,
        outcome=outcome,
        proposals=proposals,
        proposal_groups=groups if len(groups) > 1 or len(proposals) < len(items) else {},
    ), (submission.status if request.method == "POST" else status)


# The forms of a disposal's page, by prefix, and the service's action each one takes.
STEPS = {"decide": "approve", "cancel": "cancel", "execute": "execute", "refund": "refund"}


def _disposition_context(actor: Actor, overview: Overview) -> dict[str, Any]:
    disposition: Disposition = overview.record
    items = [line.item for line in disposition.lines]
    actions = overview.actions
    can = {step: action in actions for step, action in STEPS.items()}
    for name, document in (
        ("print", "return_list"),
        ("print_destruction", "destruction_record"),
        ("print_execution", "execution_record"),
    ):
        can[name] = disposition_service.document_problem(disposition, document) is None
    notes = {
        "head_approves": disposition.kind is DispositionKind.EARLY_SALE,
        "own_proposal": overview.refused_as("approve", "separation.requester_not_approver"),
        "own_approval": overview.refused_as("execute", "separation.approver_not_executor"),
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
    return {
        "disposition": disposition,
        "case": disposition.case,
        "can": can,
        "notes": notes,
        "people": overview.people,
        "owners": owners,
        "proceeds_items": overview.related,
        "personal": personal,
        "owners_text": "、".join(f"{name}（{id_no}）" if id_no else name for name, id_no in owners),
        "opinion": overview.opinion,
        "DK": DispositionKind,
    }


def _step(actor: Actor, overview: Overview, step: str, form: Any, detail: str) -> Submission:
    """Take the posted step (its form already bound), unless the service refuses it outright."""
    disposition: Disposition = overview.record
    problem = overview.problems[STEPS[step]]
    if step == "decide":
        approve = bool(form.approve.data)
        if approve and problem is None and not _confirmed_for_disposal(form):
            return Submission(None, 401)  # approving a disposal needs the approver to confirm who they are
        return submit_unless(
            problem,
            form,
            lambda: disposition_service.decide_disposition(
                db.session, actor, disposition.id, approve=approve, reason=form.reason.data
            ),
            done=_("Disposal approved: the keeper executes it next.") if approve else _("Disposal rejected."),
            to=detail,
        )
    if step == "cancel":
        return submit_unless(
            problem,
            form,
            lambda: disposition_service.cancel_disposition(
                db.session, actor, disposition.id, reason=form.reason.data
            ),
            done=_("The disposal was withdrawn."),
            to=detail,
        )
    if step == "execute":
        return _execute(actor, disposition, form, detail, problem)
    return submit_unless(
        problem,
        form,
        lambda: disposition_service.record_refund(
            db.session, actor, disposition.id, doc_no=form.doc_no.data, reason=form.reason.data
        ),
        done=_("Refund from the treasury recorded."),
        to=detail,
    )


@bp.route("/dispositions/<int:disposition_id>", methods=["GET", "POST"])
def disposition_detail(disposition_id: int):
    actor = current_actor()
    overview = disposition_service.disposition_overview(db.session, actor, disposition_id)
    disposition: Disposition = overview.record
    detail = url_for("lifecycle.disposition_detail", disposition_id=disposition.id)
    page = PageForms(*STEPS)
    if request.method == "POST" and page.posted is None:
        return redirect(detail)
    forms = {
        "decide": page.bind(DisposalDecisionForm, "decide"),
        "cancel": page.bind(CancelForm, "cancel"),
        "execute": page.bind(ExecuteForm, "execute"),
        "refund": page.bind(RefundForm, "refund"),
    }
    _witness_choices(actor, overview, forms["execute"])
    status = 200
    if page.posted is not None:
        outcome = _step(actor, overview, page.posted, forms[page.posted], detail)
        if outcome.response is not None:
            return outcome.response
        status = outcome.status
        overview = disposition_service.disposition_overview(db.session, actor, disposition_id)
    return render_template(
        "lifecycle/disposition_detail.html",
        forms=forms,
        needs_confirm=not recently_confirmed(),
        **_disposition_context(actor, overview),
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


def _witness_choices(actor: Actor, overview: Overview, form: ExecuteForm) -> None:
    """A destruction's witness is chosen from the users the service would accept: "name（agency）"."""
    disposition: Disposition = overview.record
    form.witness.choices = []
    if disposition.kind is not DispositionKind.DESTROY or "execute" not in overview.actions:
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


def _execute(
    actor: Actor, disposition: Disposition, form: ExecuteForm, detail: str, problem: Any
) -> Submission:
    """执行: only the inputs the kind needs reach the service (witness, proceeds or recipient)."""
    kind = disposition.kind
    if (
        problem is None
        and form.is_submitted()
        and form.validate()
        and kind is DispositionKind.EARLY_SALE
        and form.proceeds.data is None
    ):
        form.proceeds.errors = [*form.proceeds.errors, _("Enter the sale proceeds in yuan.")]
        return Submission(None, 422)

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

    return submit_unless(
        problem,
        form,
        call,
        done=_("Execution recorded: the item's custody history is closed."),
        to=detail,
        aliases={
            "proceeds_fen": "proceeds",
            "recipient": "recipient_name",
            "recipient.id_no": "recipient_id_no",
            "line_proceeds": "proceeds",
            "lot": "auction_ref",
        },
    )
