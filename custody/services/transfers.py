"""随案移送 — propose, sign for / reject line by line, recall.

Lock order, always: the case row, then the transfer row, then its lines by id, then items by id.
Every multi-row action takes its locks in that order, so two of them never deadlock. Holding the
case lock, proposing a stage transfer and signing for one see each other's committed result: only
one stage transfer of a case waits at a time, and the sign-for re-checks the case it moves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, selectinload

from custody.domain.actor import Actor
from custody.domain.cases import CaseOrigin
from custody.domain.enums import (
    AgencyKind,
    CustodyState,
    DispositionKind,
    LineDecision,
    Role,
    TransferKind,
    TransferMode,
    TransferStatus,
)
from custody.domain.errors import Conflict, InvalidInput, NotFound, must_exist
from custody.domain.i18n import N_
from custody.domain.items import valuable_missing
from custody.domain.lifecycle import CheckoutStatus
from custody.domain.policy import Action, Relation, require
from custody.domain.transfers import (
    ROUTES,
    STAGE_KINDS,
    check_case_number,
    check_case_receivable,
    check_every_line_decided,
    check_item_transferable,
    check_items_receivable,
    check_lines_pending,
    check_no_open_checkout,
    check_no_stage_transfer_waiting,
    check_recall,
    check_reject_reason,
    check_route,
    check_same_case_number,
    file_only_while_holding,
    moves_case,
    status_after,
)
from custody.models.agency import Agency
from custody.models.case import Case
from custody.models.item import Item
from custody.models.lifecycle import Checkout, CheckoutLine
from custody.models.transfer import Transfer, TransferLine
from custody.orm import utcnow

from . import money, numbers
from .cases import case_event
from .item_events import append_item_event, item_snapshot
from .items import has_photo, held_items_count, require_documented
from .search import contains_text
from .storage import custodian_relations, facts
from .visibility import add_participant, get_case, lock_items, sees_everything

# A check-out in these states still counts on the custodian that requested it.
OPEN_CHECKOUT = (CheckoutStatus.REQUESTED, CheckoutStatus.APPROVED, CheckoutStatus.RELEASED)


@dataclass(frozen=True)
class LineInput:
    proposed_disposition: DispositionKind | None = None
    mode: TransferMode = TransferMode.BY_RECORD


def _not_found() -> NotFound:
    return NotFound(N_("Record not found, or not visible to your agency."), code="not_found.transfer")


def propose_transfer(
    session: Session,
    actor: Actor,
    *,
    case_id: int,
    to_agency_id: int,
    kind: TransferKind,
    item_ids: Iterable[int],
    lines: Mapping[int, LineInput] | None = None,
    note: str | None = None,
) -> Transfer:
    """The custodian agency offers items (and, for stage transfers, the case) to another agency."""
    item_ids = list(dict.fromkeys(item_ids))  # keep the user's order, drop repeats
    lines = dict(lines or {})
    unknown = set(lines) - set(item_ids)
    if unknown:
        raise InvalidInput(
            N_("Line details given for items not in the transfer: %(ids)s."),
            fields={"lines": [N_("Not in item_ids.")]},
            ids=sorted(unknown),
        )
    case = get_case(session, actor, case_id, lock=True)
    if moves_case(kind):
        require(
            actor,
            Action.SEND_CASE,
            {Relation.CASE_HANDLER} if case.handling_agency_id == actor.agency_id else set(),
        )
    to_agency = session.get(Agency, to_agency_id)
    if to_agency is None or not to_agency.is_active:
        raise InvalidInput(
            N_("Unknown or inactive receiving agency."),
            fields={"to_agency_id": [N_("Unknown or inactive agency.")]},
        )
    check_route(
        kind,
        from_kind=actor.agency_kind,
        to_kind=to_agency.kind,
        same_agency=to_agency.id == actor.agency_id,
        case_stage=case.stage,
        supplementary_rounds=case.supplementary_rounds,
        item_count=len(item_ids),
        sender_handles_case=case.handling_agency_id == actor.agency_id,
        receiver_handles_case=case.handling_agency_id == to_agency.id,
    )
    if kind is TransferKind.SUPPLEMENTARY_INVESTIGATION and case.origin is not CaseOrigin.POLICE_FILING:
        # 退回补充侦查 goes back to the police who investigated; a referred case goes back to the
        # supervisory commission (case_moves.send_for_inquiry), a 自侦 case is investigated further in-house.
        raise Conflict(
            N_("Only a case the police investigated goes back to them for supplementary investigation."),
            code="transfer.wrong_origin",
        )
    if moves_case(kind):
        check_no_stage_transfer_waiting(_stage_transfer_waiting(session, case.id))
    items = {item.id: item for item in lock_items(session, actor, item_ids)}
    open_checkouts = _open_checkouts(session, list(items))
    stage = moves_case(kind)
    flags: dict[int, str | None] = {}
    for item in items.values():
        if item.case_id != case.id:
            raise InvalidInput(
                N_("Item %(label)s belongs to another case."),
                fields={"item_ids": [N_("Every item must belong to the case.")]},
                label=item.label_code,
            )
        require(actor, Action.PROPOSE_TRANSFER, custodian_relations(actor, item))
        check_item_transferable(facts(item), stage=stage)  # in a transfer already, disposed, …
        if stage:
            # [LAW] The list names all the property (刑事诉讼法 art. 245; 程序规定 art. 288): an item out
            # for appraisal or awaiting valuation is listed and flagged, not left out.
            flags[item.id] = _line_flag(item, open_checkouts.get(item.id))
        else:
            check_no_open_checkout(item.label_code, open_checkouts.get(item.id))
            require_documented(item)  # the receiver signs for what the photos show

    transfer = Transfer(
        transfer_no=numbers.transfer_no(session, actor.agency_code, utcnow().year),
        case_id=case.id,
        kind=kind,
        from_agency_id=actor.agency_id,
        to_agency_id=to_agency.id,
        status=TransferStatus.PENDING,
        note=(note or "").strip() or None,
        created_by_id=actor.user_id,
    )
    session.add(transfer)
    session.flush()
    for line_no, item_id in enumerate(item_ids, start=1):
        item = items[item_id]
        spec = lines.get(item_id, LineInput())
        session.add(
            TransferLine(
                transfer_id=transfer.id,
                item_id=item.id,
                line_no=line_no,
                proposed_disposition=spec.proposed_disposition,
                mode=spec.mode,
                decision=LineDecision.PENDING,
                flag=flags.get(item.id),
            )
        )
        before = item_snapshot(item)
        item.custody_state = CustodyState.IN_TRANSFER
        append_item_event(
            session,
            item,
            actor,
            "transfer.propose",
            before=before,
            data={
                "transfer_id": transfer.id,
                "transfer_no": transfer.transfer_no,
                "kind": kind,
                "to_agency_id": to_agency.id,
                "to_agency_name": to_agency.name,
                "proposed_disposition": spec.proposed_disposition,
                "mode": spec.mode,
                "flag": flags.get(item.id),
            },
        )
    session.flush()
    # The offer shows the receiver its lines only (services/visibility): the case becomes visible to
    # it when it signs for something, not now.
    case_event(
        session,
        actor,
        case,
        "transfer.propose",
        transfer_id=transfer.id,
        transfer_no=transfer.transfer_no,
        kind=kind,
        from_agency_id=transfer.from_agency_id,
        to_agency_id=to_agency.id,
        item_count=len(item_ids),
    )
    return transfer


def _line_flag(item: Any, checkout_no: str | None) -> str | None:
    notes = []
    if checkout_no is not None:
        notes.append(f"调用中（{checkout_no}）")
    if valuable_missing(
        item.category, has_photo=has_photo(item), is_valued=item.estimated_value_fen is not None
    ):
        notes.append("待拍照、估价")
    return "；".join(notes) or None


def file_only_warning_count(session: Session, transfer: Transfer) -> int:
    """For a stage transfer sent without items: how many items of the case its sender still holds
    (0 when there is nothing to warn about: items were sent, or the sender holds none)."""
    if transfer.status is TransferStatus.RECALLED:
        return 0
    held = held_items_count(session, transfer.from_agency_id, transfer.case_id)
    return held if file_only_while_holding(transfer.kind, len(transfer.lines), held) else 0


def _stage_transfer_waiting(session: Session, case_id: int) -> str | None:
    """The number of a stage transfer of the case not yet signed for (pending, or partial with
    only rejected lines so far), if any. The caller holds the case lock."""
    return session.scalar(
        select(Transfer.transfer_no)
        .where(
            Transfer.case_id == case_id,
            Transfer.kind.in_(STAGE_KINDS),
            Transfer.status.in_((TransferStatus.PENDING, TransferStatus.PARTIAL)),
            Transfer.received_at.is_(None),
        )
        .order_by(Transfer.id)
        .limit(1)
    )


def _open_checkouts(session: Session, item_ids: list[int]) -> dict[int, str]:
    """Item id → number of the open check-out it is on (requested, approved, or released and not
    yet returned). The caller holds the items' locks, which check-out requests also take."""
    if not item_ids:
        return {}
    rows = session.execute(
        select(CheckoutLine.item_id, Checkout.checkout_no)
        .join(Checkout, Checkout.id == CheckoutLine.checkout_id)
        .where(
            CheckoutLine.item_id.in_(item_ids),
            CheckoutLine.returned_at.is_(None),
            Checkout.status.in_(OPEN_CHECKOUT),
        )
        .order_by(Checkout.id)
    ).all()
    found: dict[int, str] = {}
    for item_id, checkout_no in rows:
        found.setdefault(item_id, checkout_no)
    return found


def _lock_case_of_transfer(session: Session, actor: Actor, transfer_id: int) -> Case:
    """The first lock of every action on a transfer: its case row (see the module's lock order)."""
    case_id = session.scalar(
        select(Transfer.case_id).where(Transfer.id == transfer_id, _transfer_filter(actor))
    )
    if case_id is None:
        raise _not_found()
    case = session.scalar(
        select(Case)
        .where(Case.id == case_id)
        .with_for_update(of=Case)
        .execution_options(populate_existing=True)
    )
    return must_exist(case, f"case {case_id}")


def _locked_transfer(session: Session, actor: Actor, transfer_id: int) -> Transfer:
    transfer = session.scalar(
        select(Transfer)
        .where(Transfer.id == transfer_id, _transfer_filter(actor))
        .with_for_update(of=Transfer)
        .execution_options(populate_existing=True)
    )
    if transfer is None:
        raise _not_found()
    return transfer


def _locked_lines(session: Session, transfer: Transfer, item_ids: list[int]) -> list[TransferLine]:
    wanted = set(item_ids)
    lines = list(
        session.scalars(
            select(TransferLine)
            .where(TransferLine.transfer_id == transfer.id, TransferLine.item_id.in_(wanted))
            .order_by(TransferLine.id)
            .with_for_update(of=TransferLine)
            .execution_options(populate_existing=True)
        )
    )
    missing = wanted - {line.item_id for line in lines}
    if missing:
        raise InvalidInput(
            N_("These items are not lines of this transfer: %(ids)s."),
            fields={"item_ids": [N_("Not in this transfer.")]},
            ids=sorted(missing),
        )
    return lines


def _refuse_duplicate_case_no(
    session: Session, case: Case, agency_column: Any, number_column: Any, agency_id: int, number: str | None
) -> None:
    """A procuratorate's or court's case number names one case of that agency, as the police number
    does for the police (``cases.open_case``): another case already holding it is a conflict."""
    if number is None:
        return
    duplicate = session.scalar(
        select(Case.id)
        .where(agency_column == agency_id, number_column == number, Case.id != case.id)
        .limit(1)
    )
    if duplicate is not None:
        raise Conflict(
            N_("Another case of your agency already has this case number."),
            code="case.duplicate",
            fields={"case_no": [N_("Already in use.")]},
        )


_NUMBER_COLUMNS: dict[AgencyKind, tuple[Any, Any, str, str]] = {
    AgencyKind.POLICE: (Case.police_agency_id, Case.police_case_no, "police_agency", "police_case_no"),
    AgencyKind.PROCURATORATE: (
        Case.procuratorate_agency_id,
        Case.procuratorate_case_no,
        "procuratorate_agency",
        "procuratorate_case_no",
    ),
    AgencyKind.COURT: (Case.court_agency_id, Case.court_case_no, "court_agency", "court_case_no"),
}


def _receiver_number(case: Case, agency: Agency) -> str | None:
    """The number the agency already has on this case (its kind's column, or the appeal court's),
    None if it has none: a number another agency of the same kind recorded is not its own."""
    if case.appeal_court_agency_id == agency.id and case.appeal_case_no:
        return case.appeal_case_no
    agency_attr, number_attr = _NUMBER_COLUMNS[agency.kind][2:]
    if getattr(case, f"{agency_attr}_id") == agency.id:
        return getattr(case, number_attr)
    return None


def needs_case_number(transfer: Transfer) -> bool:
    """Whether signing for ``transfer`` now must record the receiver's case number (the sign-for
    screen asks for it): the first sign-for of a stage transfer whose receiver records its own number
    and has none on this case yet, or of an appeal or a transfer of jurisdiction (always a new one)."""
    if transfer.received_at is not None or not moves_case(transfer.kind):
        return False
    if transfer.kind in (TransferKind.APPEAL, TransferKind.JURISDICTION):
        return True
    if ROUTES[transfer.kind].number_for is None:
        return False
    return _receiver_number(transfer.case, transfer.to_agency) is None


def _case_numbers_and_stage(case: Case) -> dict[str, Any]:
    """What ``case.receive`` records before and after: enough to replay the case row from its
    history (custody/audit/replay.py)."""
    return {
        "stage": case.stage,
        "handling_agency_id": case.handling_agency_id,
        "police_agency_id": case.police_agency_id,
        "police_case_no": case.police_case_no,
        "procuratorate_agency_id": case.procuratorate_agency_id,
        "procuratorate_case_no": case.procuratorate_case_no,
        "court_agency_id": case.court_agency_id,
        "court_case_no": case.court_case_no,
        "appeal_court_agency_id": case.appeal_court_agency_id,
        "appeal_case_no": case.appeal_case_no,
    }


def _move_case(session: Session, actor: Actor, transfer: Transfer, case: Case, case_no: str | None) -> None:
    """First sign-for: the case file, its stage and the receiver's case number move with it.
    The caller holds the case lock, taken before the transfer's."""
    route = ROUTES[transfer.kind]
    check_case_receivable(
        transfer.kind,
        case_stage=case.stage,
        sender_handles_case=case.handling_agency_id == transfer.from_agency_id,
        supplementary_rounds=case.supplementary_rounds,
    )
    before = _case_numbers_and_stage(case)
    receiver = transfer.to_agency
    if transfer.kind is TransferKind.APPEAL:
        # 二审: the appeal court records its own number beside the first instance's.
        number = check_case_number(transfer.kind, case.appeal_case_no, case_no, always=True)
        _refuse_duplicate_case_no(
            session, case, Case.appeal_court_agency_id, Case.appeal_case_no, transfer.to_agency_id, number
        )
        case.appeal_court_agency = receiver
        case.appeal_case_no = number
    elif transfer.kind is TransferKind.JURISDICTION:
        # 移送管辖: the receiving agency takes the case over under its own number (the old one stays
        # in this event's "before").
        number = check_case_number(transfer.kind, None, case_no, always=True)
        agency_column, number_column, agency_attr, number_attr = _NUMBER_COLUMNS[receiver.kind]
        _refuse_duplicate_case_no(session, case, agency_column, number_column, transfer.to_agency_id, number)
        setattr(case, agency_attr, receiver)
        setattr(case, number_attr, number)
    elif route.number_for is AgencyKind.PROCURATORATE:
        existing = _receiver_number(case, receiver)
        number = check_case_number(transfer.kind, existing, case_no)
        _refuse_duplicate_case_no(
            session,
            case,
            Case.procuratorate_agency_id,
            Case.procuratorate_case_no,
            transfer.to_agency_id,
            number,
        )
        case.procuratorate_agency = receiver
        case.procuratorate_case_no = number or existing
    elif route.number_for is AgencyKind.COURT:
        existing = _receiver_number(case, receiver)
        number = check_case_number(transfer.kind, existing, case_no)
        _refuse_duplicate_case_no(
            session, case, Case.court_agency_id, Case.court_case_no, transfer.to_agency_id, number
        )
        case.court_agency = receiver
        case.court_case_no = number or existing
    else:
        check_case_number(transfer.kind, _receiver_number(case, receiver), case_no)
    if transfer.kind is TransferKind.SUPPLEMENTARY_INVESTIGATION:
        case.supplementary_rounds += 1
    if route.to_stage is not None:
        case.stage = route.to_stage
    if route.moves_file:
        case.handling_agency = receiver
    session.flush()
    money.follow_case(session, actor, case, transfer)  # 随案移交: the case's balances change custodian
    after = _case_numbers_and_stage(case)
    transfer.received_at = utcnow()
    case_event(
        session,
        actor,
        case,
        "case.receive",
        transfer_id=transfer.id,
        transfer_no=transfer.transfer_no,
        before=before,
        after=after,
        supplementary_rounds=case.supplementary_rounds,
    )


def sign_for(
    session: Session,
    actor: Actor,
    transfer_id: int,
    *,
    accepted: Iterable[int],
    rejected: dict[int, str],
    case_no: str | None = None,
) -> Transfer:
    """签收 as the receiver's page does it: every undecided line decided in one submission, each
    accepted or rejected with its reason (``domain/transfers.check_every_line_decided``; 422
    ``transfer.lines_undecided`` otherwise). A transfer of the case file alone is accepted as a whole."""
    accepted = list(dict.fromkeys(accepted))
    transfer = get_transfer(session, actor, transfer_id)
    pending = [line.item_id for line in transfer.lines if line.decision is LineDecision.PENDING]
    check_every_line_decided(pending, [*accepted, *rejected])
    if accepted or not transfer.lines:
        decide_lines(session, actor, transfer_id, accepted, accept=True, case_no=case_no)
    by_reason: dict[str, list[int]] = {}
    for item_id, reason in rejected.items():
        by_reason.setdefault((reason or "").strip(), []).append(item_id)
    for reason, item_ids in by_reason.items():
        decide_lines(session, actor, transfer_id, item_ids, accept=False, reason=reason)
    return transfer


def decide_lines(
    session: Session,
    actor: Actor,
    transfer_id: int,
    item_ids: Iterable[int],
    *,
    accept: bool,
    reason: str | None = None,
    case_no: str | None = None,
) -> Transfer:
    """签收 or reject lines in one action. Accepted lines move custody now; rejected ones are flagged."""
    item_ids = list(dict.fromkeys(item_ids))
    if not accept:
        reason = check_reject_reason(reason)
    case = _lock_case_of_transfer(session, actor, transfer_id)
    transfer = _locked_transfer(session, actor, transfer_id)
    require(
        actor,
        Action.DECIDE_TRANSFER,
        {Relation.RECEIVER} if transfer.to_agency_id == actor.agency_id else set(),
    )
    if transfer.status is TransferStatus.RECALLED:
        check_lines_pending([LineDecision.RECALLED])
    if not item_ids and transfer.lines:
        raise InvalidInput(
            N_("Choose at least one line."), fields={"item_ids": [N_("Choose at least one line.")]}
        )
    if not item_ids and not accept:
        raise InvalidInput(
            N_("Choose at least one line."), fields={"item_ids": [N_("Choose at least one line.")]}
        )
    lines = _locked_lines(session, transfer, item_ids)
    check_lines_pending(line.decision for line in lines)
    items = {item.id: item for item in lock_items(session, actor, item_ids)}

    now = utcnow()
    if accept:
        # Signing for the file or an item makes the receiver take part in the case: it sees the case.
        add_participant(session, case.id, transfer.to_agency_id)
    if accept and transfer.received_at is None and moves_case(transfer.kind):
        _move_case(session, actor, transfer, case, case_no)
    elif accept:
        check_items_receivable(
            transfer.kind, receiver_handles_case=case.handling_agency_id == transfer.to_agency_id
        )
        # Nothing new to record: a case number given must be the receiver's own, on record.
        check_same_case_number(_receiver_number(case, transfer.to_agency), case_no)
        if transfer.received_at is None:
            transfer.received_at = now
    for line in lines:
        item = items[line.item_id]
        before = item_snapshot(item)
        line.decided_by_id = actor.user_id
        line.decided_at = now
        item.custody_state = CustodyState.HELD
        common: dict[str, Any] = {
            "transfer_id": transfer.id,
            "transfer_no": transfer.transfer_no,
            "line_no": line.line_no,
            "mode": line.mode,
        }
        if accept:
            line.decision = LineDecision.ACCEPTED
            item.custodian_agency = transfer.to_agency
            item.flag_reason = None
            append_item_event(
                session,
                item,
                actor,
                "transfer.accept",
                before=before,
                occurred_at=now,
                data={
                    **common,
                    "from_agency_id": transfer.from_agency_id,
                    "to_agency_id": transfer.to_agency_id,
                    "proposed_disposition": line.proposed_disposition,
                },
            )
        else:
            line.decision = LineDecision.REJECTED
            line.reason = reason
            item.flag_reason = reason
            append_item_event(
                session,
                item,
                actor,
                "transfer.reject",
                before=before,
                reason=reason,
                occurred_at=now,
                data=common,
            )
    session.flush()
    transfer.status = (
        status_after(line.decision for line in transfer.lines) if transfer.lines else TransferStatus.COMPLETED
    )
    if transfer.status is TransferStatus.COMPLETED:
        transfer.completed_at = now
    return transfer


def recall_transfer(session: Session, actor: Actor, transfer_id: int, reason: str | None = None) -> Transfer:
    """The sender takes the transfer back before the receiver has decided any line."""
    transfer = _locked_transfer(session, actor, transfer_id)
    require(
        actor,
        Action.RECALL_TRANSFER,
        {Relation.SENDER} if transfer.from_agency_id == actor.agency_id else set(),
    )
    check_recall(transfer.status)
    lines = _locked_lines(session, transfer, [line.item_id for line in transfer.lines])
    check_lines_pending(line.decision for line in lines)
    items = {item.id: item for item in lock_items(session, actor, [line.item_id for line in lines])}
    now = utcnow()
    reason = (reason or "").strip() or None
    for line in lines:
        item = items[line.item_id]
        before = item_snapshot(item)
        line.decision = LineDecision.RECALLED
        line.decided_by_id = actor.user_id
        line.decided_at = now
        item.custody_state = CustodyState.HELD
        append_item_event(
            session,
            item,
            actor,
            "transfer.recall",
            before=before,
            reason=reason,
            data={"transfer_id": transfer.id, "transfer_no": transfer.transfer_no},
        )
    transfer.status = TransferStatus.RECALLED
    transfer.recalled_at = now
    transfer.recalled_by_id = actor.user_id
    transfer.recall_reason = reason
    case = must_exist(session.get(Case, transfer.case_id), f"case {transfer.case_id}")
    case_event(
        session, actor, case, "transfer.recall", transfer_id=transfer.id, transfer_no=transfer.transfer_no
    )
    return transfer


# -- reading ----------------------------------------------------------------------------------


def _transfer_filter(actor: Actor):
    if sees_everything(actor):
        return Transfer.id.is_not(None)
    if not actor.roles - {Role.ADMIN}:
        return false()  # administrators see no case data, whatever agency their account belongs to
    return or_(Transfer.from_agency_id == actor.agency_id, Transfer.to_agency_id == actor.agency_id)


def get_transfer(session: Session, actor: Actor, transfer_id: int, *, photos: bool = False) -> Transfer:
    """The transfer if ``actor`` may see it; ``photos`` also loads its items' attachments (the
    sign-for screen shows each item's photo)."""
    stmt = select(Transfer).where(Transfer.id == transfer_id, _transfer_filter(actor))
    if photos:
        stmt = stmt.options(
            selectinload(Transfer.lines).joinedload(TransferLine.item).selectinload(Item.attachments)
        )
    transfer = session.scalar(stmt)
    if transfer is None:
        raise _not_found()
    return transfer


def transfers_query(
    actor: Actor,
    *,
    direction: str | None = None,
    status: TransferStatus | None = None,
    case_id: int | None = None,
    text: str | None = None,
) -> Select[Any]:
    """Transfers the actor's agency sent or received; ``text`` finds a transfer number, a case title or
    any authority's case number, or a label code or item name on one of its lines."""
    stmt = select(Transfer).where(_transfer_filter(actor))
    number = contains_text(text, Transfer.transfer_no)
    in_case = contains_text(
        text,
        Case.title,
        Case.police_case_no,
        Case.procuratorate_case_no,
        Case.court_case_no,
        Case.appeal_case_no,
    )
    on_line = contains_text(text, Item.label_code, Item.name)
    if number is not None and in_case is not None and on_line is not None:  # all or none: the same text
        line_match = (
            select(TransferLine.transfer_id).join(Item, Item.id == TransferLine.item_id).where(on_line)
        )
        stmt = stmt.where(
            or_(number, Transfer.case_id.in_(select(Case.id).where(in_case)), Transfer.id.in_(line_match))
        )
    if direction == "incoming":
        stmt = stmt.where(Transfer.to_agency_id == actor.agency_id)
    elif direction == "outgoing":
        stmt = stmt.where(Transfer.from_agency_id == actor.agency_id)
    if status is not None:
        stmt = stmt.where(Transfer.status == status)
    if case_id is not None:
        stmt = stmt.where(Transfer.case_id == case_id)
    return stmt.order_by(Transfer.id.desc())


def proposed_disposals(session: Session, items: Iterable[Item]) -> dict[int, DispositionKind]:
    """拟处理意见 — per item, the disposal proposed by the transfer that brought it to its current
    custodian (the latest accepted line sent to that agency), when that line proposed one. The
    receiving agency's disposal form starts from it. ``items`` are items the caller may see."""
    held = {item.id: item.custodian_agency_id for item in items}
    if not held:
        return {}
    rows = session.execute(
        select(TransferLine.item_id, TransferLine.proposed_disposition, Transfer.to_agency_id)
        .join(Transfer, Transfer.id == TransferLine.transfer_id)
        .where(TransferLine.item_id.in_(held), TransferLine.decision == LineDecision.ACCEPTED)
        .order_by(TransferLine.id)
    ).all()
    proposals: dict[int, DispositionKind | None] = {}
    for item_id, proposal, to_agency_id in rows:
        if to_agency_id == held[item_id]:
            proposals[item_id] = proposal  # the latest such line wins, a line proposing nothing too
    return {item_id: kind for item_id, kind in proposals.items() if kind is not None}


def line_counts(session: Session, transfer_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{transfer id: (its lines, its rejected lines)}, counted by the database: a transfer of a fraud
    case may carry thousands of lines, and a list of transfers does not load them."""
    if not transfer_ids:
        return {}
    rows = session.execute(
        select(
            TransferLine.transfer_id,
            func.count(),
            func.sum(sql_case((TransferLine.decision == LineDecision.REJECTED, 1), else_=0)),
        )
        .where(TransferLine.transfer_id.in_(transfer_ids))
        .group_by(TransferLine.transfer_id)
    ).all()
    return {transfer_id: (lines, rejected or 0) for transfer_id, lines, rejected in rows}


def held_items_of_case(session: Session, actor: Actor, case: Case) -> list[Item]:
    """The items of ``case`` that ``actor``'s agency holds (whatever their state), for the builder."""
    return list(
        session.scalars(
            select(Item)
            .where(Item.case_id == case.id, Item.custodian_agency_id == actor.agency_id)
            .order_by(Item.id)
        )
    )


def destinations(session: Session, actor: Actor) -> list[Agency]:
    """The agencies ``actor``'s agency may send a transfer to (a centre operator is never a party)."""
    return list(
        session.scalars(
            select(Agency)
            .where(Agency.is_active, Agency.id != actor.agency_id, Agency.kind != AgencyKind.CENTRE_OPERATOR)
            .order_by(Agency.kind, Agency.id)
        )
    )


def usual_destination(session: Session, kind: TransferKind) -> int | None:
    """The first active agency of the kind a ``kind`` transfer goes to (None: the route names none)."""
    to_kind = ROUTES[kind].to_kind
    if to_kind is None:
        return None
    return session.scalar(
        select(Agency.id).where(Agency.kind == to_kind, Agency.is_active).order_by(Agency.id)
    )
