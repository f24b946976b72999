"""Transfers with the case (随案移送): the builder, the lists, the sign-for screen, recall, the PDF."""

from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy.orm import joinedload, lazyload

from custody.access import current_actor
from custody.database import writes_on_get
from custody.domain.actor import Actor
from custody.domain.enums import (
    AgencyKind,
    DispositionKind,
    LineDecision,
    TransferKind,
    TransferMode,
    TransferStatus,
)
from custody.domain.items import ItemFacts
from custody.domain.policy import Action, Relation, allowed
from custody.domain.transfers import (
    MAX_REASON_LENGTH,
    ROUTES,
    STAGE_KINDS,
    file_only_while_holding,
    outcome_of_counts,
    transfer_problem,
)
from custody.extensions import db
from custody.models.case import Case
from custody.models.item import Item
from custody.models.transfer import Transfer
from custody.printing import TransferLine as PrintedLine
from custody.printing import TransferList as PrintedList
from custody.printing import transfer_list_pdf
from custody.services import items as item_service
from custody.services import transfers
from custody.services.actions import case_actions, transfer_actions
from custody.services.visibility import get_case, takes_part

from .forms import RecallForm, SignForm, TransferForm, options
from .helpers import enum_label, int_list, label_msgid, paginate, printed, send_document, submit
from .particulars import printed_particulars, printed_quantity

bp = Blueprint("transfers", __name__, url_prefix="/transfers")

# The usual transfer for each kind of sending agency, chosen first in the builder.
DEFAULT_KIND = {
    AgencyKind.POLICE: TransferKind.PROSECUTION,
    AgencyKind.PROCURATORATE: TransferKind.INDICTMENT,
    AgencyKind.COURT: TransferKind.APPEAL,
}


@bp.before_request
@login_required
def _require_login() -> None:
    """Transfers are seen by their sender and receiver (and auditors); the services decide."""


# -- lists -------------------------------------------------------------------------------------


@bp.get("/")
def index():
    actor = current_actor()
    direction = request.args.get("direction")
    direction = direction if direction in ("incoming", "outgoing") else None
    status_value = request.args.get("status", "")
    status = TransferStatus(status_value) if status_value in {s.value for s in TransferStatus} else None
    q = (request.args.get("q") or "").strip()[:100]
    page = paginate(
        transfers.transfers_query(actor, direction=direction, status=status, text=q).options(
            joinedload(Transfer.case), lazyload(Transfer.lines)
        )
    )
    # The number of lines (and rejected lines) of each transfer on the page, counted by the database
    # (a transfer of a fraud case may carry thousands of lines: the list does not load them).
    counts = transfers.line_counts(db.session, [t.id for t in page.rows])
    line_counts = {transfer_id: lines for transfer_id, (lines, _rejected) in counts.items()}
    outcomes = {t.id: outcome_of_counts(t.status, *counts.get(t.id, (0, 0))) for t in page.rows}
    return render_template(
        "transfers/index.html",
        page=page,
        line_counts=line_counts,
        outcomes=outcomes,
        direction=direction,
        status=status,
        statuses=list(TransferStatus),
        q=q,
        can_propose=allowed(actor, Action.PROPOSE_TRANSFER, {Relation.CUSTODIAN}),
    )


# -- the builder ---------------------------------------------------------------------------------


def _candidates(actor: Actor, case: Case) -> list[tuple[Item, str | None]]:
    """The case's items this agency holds, each with why it cannot be sent now (None: it can)."""
    rows = transfers.held_items_of_case(db.session, actor, case)
    # The builder's short words for the rule's reasons (domain/transfers.transfer_problem).
    words = {
        "item.disposed": _("Disposed of."),
        "item.in_transfer": _("Already in a transfer awaiting sign-for."),
        "item.disposal_pending": _("A disposal is in progress."),
        "item.checked_out": _("Not received into storage yet, or checked out."),
        "item.not_received": _("Not received into storage yet, or checked out."),
    }
    result = []
    for item in rows:
        problem = transfer_problem(
            ItemFacts(item.custody_state, item.location_state, item.disposition_status)
        )
        result.append((item, words[problem] if problem else None))
    return result


def _agency_choices(actor: Actor) -> list[Any]:
    agencies = transfers.destinations(db.session, actor)
    return options(
        (a.id, _("%(name)s (%(agency)s)", name=a.name, agency=enum_label(a.kind))) for a in agencies
    )


def _default_agency(actor: Actor, kind: TransferKind) -> int | None:
    return transfers.usual_destination(db.session, kind)


def _lines_chosen(
    candidates: list[tuple[Item, str | None]], selected: set[int], chosen: dict[int, dict[str, str]]
) -> tuple[list[int], dict[int, transfers.LineInput]]:
    """The ticked items (the case's first, in order) and what the sender proposes for each."""
    ids = [item.id for item, _problem in candidates if item.id in selected]
    ids += [i for i in selected if i not in ids]  # anything else ticked: the service says why not
    lines = {}
    for item_id in ids:
        spec = chosen.get(item_id, {})
        disposition = spec.get("disposition") or ""
        mode = spec.get("mode") or TransferMode.BY_RECORD.value
        lines[item_id] = transfers.LineInput(
            proposed_disposition=DispositionKind(disposition)
            if disposition in DispositionKind._value2member_map_
            else None,
            mode=TransferMode(mode) if mode in TransferMode._value2member_map_ else TransferMode.BY_RECORD,
        )
    return ids, lines


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Build a transfer: pick items (tick or scan), say where they go and what should happen to each."""
    actor = current_actor()
    case_id = request.args.get("case_id", "")
    if not case_id.isdecimal():
        flash(_("Open the case whose items you want to transfer, then choose “Build a transfer”."), "info")
        return redirect(url_for("cases.index"))
    case = get_case(db.session, actor, int(case_id))
    candidates = _candidates(actor, case)
    # Offered as on the case page; anyone else (a keeper, an agency that neither handles the case
    # nor holds its items) sees why not.
    may = "transfer" in case_actions(db.session, actor, case)
    # A POST the page did not offer goes to the service, which refuses it (and records the denial).
    form = TransferForm()
    form.to_agency_id.choices = _agency_choices(actor)
    status = 200
    if not form.is_submitted():
        if case.handling_agency_id != actor.agency_id:
            # Items that stayed behind follow the case: the only lawful way is to its handler.
            form.kind.data = TransferKind.OTHER.value
            form.to_agency_id.data = case.handling_agency_id
        else:
            kind = DEFAULT_KIND.get(actor.agency_kind, TransferKind.PROSECUTION)
            form.kind.data = kind.value
            form.to_agency_id.data = _default_agency(actor, kind)
        wanted = set(int_list(request.args.getlist("item_ids")))
        selected = {
            item.id for item, problem in candidates if problem is None and (not wanted or item.id in wanted)
        }
        chosen: dict[int, dict[str, str]] = {}
    else:
        selected = set(int_list(request.form.getlist("item_ids")))
        chosen = {
            item.id: {
                "disposition": request.form.get(f"disposition-{item.id}", ""),
                "mode": request.form.get(f"mode-{item.id}", TransferMode.BY_RECORD.value),
            }
            for item, _problem in candidates
        }
    ids, lines = _lines_chosen(candidates, selected, chosen)
    outcome = submit(
        form,
        lambda: transfers.propose_transfer(
            db.session,
            actor,
            case_id=case.id,
            to_agency_id=form.to_agency_id.data,
            kind=TransferKind(form.kind.data),
            item_ids=ids,
            lines=lines,
            note=form.note.data or None,
        ),
        done=lambda transfer: _(
            "Transfer %(no)s sent to %(agency)s with %(count)s items; it waits for their signature.",
            no=transfer.transfer_no,
            agency=transfer.to_agency.name,
            count=len(ids),
        ),
        to=lambda transfer: url_for("transfers.detail", transfer_id=transfer.id),
    )
    if outcome.response is not None:
        return outcome.response
    status = outcome.status
    if status not in (200, 422):  # refused and rolled back: the candidates as they are now
        case = get_case(db.session, actor, case.id)
        candidates = _candidates(actor, case)
    # A stage transfer with no items while the agency still holds items of the case sends the file
    # only: allowed, but said before sending (pages.js updates it as items are ticked).
    held = item_service.held_items_count(db.session, actor.agency_id, case.id)
    kind_value = form.kind.data if form.kind.data in TransferKind._value2member_map_ else None
    file_only = kind_value is not None and file_only_while_holding(
        TransferKind(kind_value), len(selected), held
    )
    return render_template(
        "transfers/new.html",
        case=case,
        may=may,
        form=form,
        candidates=candidates,
        selected=selected,
        chosen=chosen,
        dispositions=list(DispositionKind),
        modes=list(TransferMode),
        routes=ROUTES,
        held=held,
        file_only=file_only,
        stage_kinds=sorted(kind.value for kind in STAGE_KINDS),
    ), status


# -- the transfer, and the sign-for screen ---------------------------------------------------------


def _needs_case_no(transfer: Transfer) -> bool:
    """The receiving procuratorate or court records its own case number on first sign-for."""
    return transfers.needs_case_number(transfer)


def _permissions(actor: Actor, transfer: Transfer) -> dict[str, bool]:
    may = transfer_actions(actor, transfer)
    return {"decide": "sign_for" in may, "recall": "recall" in may}


CHOICES = ("accept", "reject")


@bp.route("/<int:transfer_id>", methods=["GET", "POST"])
def detail(transfer_id: int):
    """The transfer; for the receiver, the sign-for screen: accept or reject each line, one submit."""
    actor = current_actor()
    transfer = transfers.get_transfer(db.session, actor, transfer_id, photos=True)
    can = _permissions(actor, transfer)
    form = SignForm()
    recall_form = RecallForm(prefix="recall")
    status = 200
    pending = [line for line in transfer.lines if line.decision is LineDecision.PENDING]
    # Lines start undecided: each is accepted or rejected by the receiver, by a click or by scanning
    # its label; nothing is signed for by default.
    decisions = {
        line.item_id: choice
        if (choice := request.form.get(f"decision-{line.item_id}", "")) in CHOICES
        else ""
        for line in pending
    }
    reasons = {line.item_id: (request.form.get(f"reason-{line.item_id}") or "").strip() for line in pending}
    line_errors: dict[int, str] = {}
    if can["decide"] and form.validate_on_submit():
        accepted, rejected, line_errors = _checked_decisions(transfer, form, decisions, reasons)
        missing_no = bool(form.case_no.errors)
        if line_errors or form.submit.errors or missing_no:
            status = 422
        else:
            outcome = submit(
                form,
                lambda: transfers.sign_for(
                    db.session,
                    actor,
                    transfer.id,
                    accepted=accepted,
                    rejected=rejected,
                    case_no=form.case_no.data or None,
                ),
                done=_(
                    "Signed for %(accepted)s lines, rejected %(rejected)s.",
                    accepted=len(accepted),
                    rejected=len(rejected),
                ),
                to=url_for("transfers.detail", transfer_id=transfer.id),
                # Lines left undecided (someone else decided some meanwhile): said by the submit button.
                refusals={"transfer.lines_undecided": "submit"},
            )
            if outcome.response is not None:
                return outcome.response
            status = outcome.status
            transfer = transfers.get_transfer(db.session, actor, transfer_id)
            can = _permissions(actor, transfer)
    elif form.is_submitted():
        status = 403 if not can["decide"] else 422
        if not can["decide"]:
            flash(
                _("Only the receiving agency can sign for this transfer, while lines are undecided."), "error"
            )
    return render_template(
        "transfers/detail.html",
        transfer=transfer,
        case=transfer.case,
        can=can,
        form=form,
        recall_form=recall_form,
        decisions=decisions,
        reasons=reasons,
        line_errors=line_errors,
        needs_case_no=_needs_case_no(transfer),
        case_visible=takes_part(db.session, actor, transfer.case_id),  # an offer alone shows its lines only
        actor=actor,
        route=ROUTES[transfer.kind],
        file_only_held=transfers.file_only_warning_count(db.session, transfer),
    ), status


def _checked_decisions(
    transfer: Any, form: SignForm, decisions: dict[int, str], reasons: dict[int, str]
) -> tuple[list[int], dict[int, str], dict[int, str]]:
    """The receiver's decision on each line, checked: (accepted, rejected with reasons, the errors
    per line). Errors of the whole form go onto its submit button and case number field."""
    accepted = [item_id for item_id, choice in decisions.items() if choice == "accept"]
    rejected: dict[int, str] = {}
    line_errors: dict[int, str] = {}
    for item_id, choice in decisions.items():
        if choice == "reject":
            if not reasons[item_id]:
                line_errors[item_id] = _("Give the reason for rejecting this line.")
            elif len(reasons[item_id]) > MAX_REASON_LENGTH:
                line_errors[item_id] = _("The reason is too long.")
            else:
                rejected[item_id] = reasons[item_id]
        elif not choice:
            line_errors[item_id] = _("Not checked yet: accept or reject this line.")
    undecided = sum(1 for choice in decisions.values() if not choice)
    if undecided:
        form.submit.errors = [_("Check every line: %(count)s lines are still undecided.", count=undecided)]
    if accepted and _needs_case_no(transfer) and not (form.case_no.data or "").strip():
        form.case_no.errors = [
            *form.case_no.errors,
            _("Record your agency's case number to sign for the case."),
        ]
    return accepted, rejected, line_errors


@bp.post("/<int:transfer_id>/recall")
def recall(transfer_id: int):
    actor = current_actor()
    form = RecallForm(prefix="recall")
    here = url_for("transfers.detail", transfer_id=transfer_id)
    outcome = submit(
        form,
        lambda: transfers.recall_transfer(db.session, actor, transfer_id, form.reason.data or None),
        done=lambda transfer: _(
            "Transfer %(no)s recalled; its items stay with your agency.", no=transfer.transfer_no
        ),
        to=here,
    )
    # The form lives on the transfer's page: a refusal is said there.
    return outcome.response or redirect(here)


@bp.get("/<int:transfer_id>.pdf")
@writes_on_get
def pdf(transfer_id: int):
    """移送清单 with signature lines for the sender and the receiver."""
    actor = current_actor()
    transfer = transfers.get_transfer(db.session, actor, transfer_id)
    case = transfer.case
    numbers = [
        f"{printed(label_msgid(kind))}：{no}"
        for kind, no in (
            (AgencyKind.POLICE, case.police_case_no),
            (AgencyKind.PROCURATORATE, case.procuratorate_case_no),
            (AgencyKind.COURT, case.court_case_no),
        )
        if no
    ]
    decisions: dict[LineDecision | None, Literal["accepted", "rejected"]] = {
        LineDecision.ACCEPTED: "accepted",
        LineDecision.REJECTED: "rejected",
    }
    lines = [
        PrintedLine(
            label_code=line.item.label_code,
            name=line.item.name,
            quantity=printed_quantity(line.item),
            particulars=printed_particulars(line.item, features=False),
            proposed_disposition=printed(label_msgid(line.proposed_disposition))
            if line.proposed_disposition
            else "随案移送",
            by_record=line.mode is TransferMode.BY_RECORD,
            decision=decisions.get(line.decision, ""),
            reason=line.reason or "",
        )
        for line in transfer.lines
    ]
    notes = transfer.note or ""
    if transfer.status is TransferStatus.RECALLED:
        notes = (notes + "；" if notes else "") + "本次移送已由移送单位撤回。"
    content = transfer_list_pdf(
        PrintedList(
            transfer_no=transfer.transfer_no,
            kind=printed(label_msgid(transfer.kind)),
            from_agency=transfer.from_agency.name,
            to_agency=transfer.to_agency.name,
            case_numbers=numbers,
            case_title=case.title,
            lines=lines,
            sent_at=transfer.created_at,
            decided_at=transfer.completed_at or transfer.received_at,
            notes=notes,
        ),
        footer=f"{transfer.from_agency.name} → {transfer.to_agency.name} · {transfer.transfer_no}",
    )
    return send_document(
        content,
        f"移送清单-{transfer.transfer_no}.pdf",
        document="transfer_list",
        object_id=transfer.id,
        transfer_no=transfer.transfer_no,
    )
