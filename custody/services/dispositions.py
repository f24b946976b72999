"""处置 — early sale (先行处置), pre-trial return (先行发还) and final disposal, each proposed by the
custodian agency, approved by one of its approvers (not the proposer) and executed by its keeper.

An executed disposal takes the item out of custody for good: it accepts no further action. An early
sale's proceeds become a new case-money entry (涉案款专户) that replaces the item and follows the case.
A final disposal (return to owner, confiscation, destruction, hand-over) needs the case's effective
judgment or closing decision on record (services/milestones.py), at proposal, approval and execution.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from custody.domain.actor import Actor
from custody.domain.enums import (
    AttachmentKind,
    CustodyState,
    DispositionKind,
    DispositionStatus,
    ExternalKind,
    ItemCategory,
    LocationState,
)
from custody.domain.errors import Conflict, InvalidInput, NotFound, must_exist
from custody.domain.i18n import N_
from custody.domain.lifecycle import (
    CaseOutcome,
    CounterpartyKind,
    DisposalFacts,
    DispositionRecordStatus,
    Recipient,
    check_disposal_ground,
    check_disposal_proposal,
    check_execution,
    check_owner_recorded,
    check_recipient,
    check_witness,
    disposal_legal_basis,
    require_not_requester,
    witness_disqualified,
)
from custody.domain.policy import Action
from custody.models.agency import Agency
from custody.models.audit import AuditEvent
from custody.models.case import Case
from custody.models.item import Item
from custody.models.lifecycle import Disposition, DispositionLine
from custody.models.oversight import CaseClosure, CaseJudgment
from custody.models.user import User
from custody.orm import utcnow

from . import numbers
from .checkouts import CounterpartyInput, new_counterparty, require_on_items, single_case_and_custodian
from .item_events import append_item_event, item_snapshot
from .items import personal_data_digest, require_documented
from .storage import facts
from .visibility import case_filter, lock_items


def _disposal_facts(item: Item) -> DisposalFacts:
    return DisposalFacts(
        facts=facts(item),
        category=item.category,
        is_perishable=item.is_perishable,
        ownership_clear=item.ownership_clear,
        has_photo=any(a.kind is AttachmentKind.PHOTO for a in item.attachments),
        is_valued=item.estimated_value_fen is not None,
        has_owner=_has_owner(item),
    )


def _has_owner(item: Item) -> bool:
    return bool((item.owner_name or "").strip())


def case_outcome(session: Session, case_id: int) -> CaseOutcome:
    """The case's stage with its recorded judgment and closing decision (services/milestones.py)."""
    stage = must_exist(session.scalar(select(Case.stage).where(Case.id == case_id)), f"case {case_id}")
    return CaseOutcome(
        stage=stage,
        judgment_no=session.scalar(select(CaseJudgment.judgment_no).where(CaseJudgment.case_id == case_id)),
        closing_decision=session.scalar(
            select(CaseClosure.legal_basis).where(CaseClosure.case_id == case_id)
        ),
    )


def _common(disposition: Disposition) -> dict[str, Any]:
    return {
        "disposition_id": disposition.id,
        "disposition_no": disposition.disposition_no,
        "kind": disposition.kind,
        "legal_basis": disposition.legal_basis,
    }


def propose_disposition(
    session: Session,
    actor: Actor,
    *,
    item_ids: Iterable[int],
    kind: DispositionKind,
    legal_basis: str | None = None,
    reason: str | None = None,
    owner_consent: str | None = None,
) -> Disposition:
    item_ids = list(dict.fromkeys(item_ids))
    if not item_ids:
        raise InvalidInput(
            N_("Choose at least one item."), fields={"item_ids": [N_("Choose at least one item.")]}
        )
    if kind is DispositionKind.EARLY_SALE and len(item_ids) != 1:
        # One sale, one receipt, one proceeds entry: the proceeds must replace exactly one item.
        raise InvalidInput(
            N_("Propose an early sale for one item at a time."),
            fields={"item_ids": [N_("One item per early sale.")]},
        )
    items = lock_items(session, actor, item_ids)
    require_on_items(actor, Action.PROPOSE_DISPOSITION, items)
    case_id, custodian_id = single_case_and_custodian(items)
    outcome = case_outcome(session, case_id)
    legal_basis = disposal_legal_basis(kind, legal_basis, outcome)  # a final disposal cites the judgment
    for item in items:
        check_disposal_proposal(kind, _disposal_facts(item), legal_basis, reason, case=outcome)
        require_documented(item)  # a valuable is photographed and valued before it is disposed of
    now = utcnow()
    disposition = Disposition(
        disposition_no=numbers.next_code(session, "CZ", actor.agency_code, now.year),
        case_id=case_id,
        custodian_agency_id=custodian_id,
        kind=kind,
        legal_basis=legal_basis,
        reason=(reason or "").strip() or None,
        owner_consent=(owner_consent or "").strip() or None,
        status=DispositionRecordStatus.PROPOSED,
        proposed_by_id=actor.user_id,
        lines=[DispositionLine(item_id=item.id) for item in items],
    )
    session.add(disposition)
    session.flush()
    for item in items:
        before = item_snapshot(item)
        item.disposition_status = DispositionStatus.PROPOSED
        item.disposition_kind = kind
        append_item_event(
            session,
            item,
            actor,
            "disposition.propose",
            before=before,
            reason=disposition.reason,
            data=_common(disposition),
        )
    return disposition


def _locked(session: Session, actor: Actor, disposition_id: int) -> tuple[Disposition, list[Item]]:
    disposition = session.scalar(
        select(Disposition)
        .where(
            Disposition.id == disposition_id,
            Disposition.case_id.in_(select(Case.id).where(case_filter(actor))),
        )
        .with_for_update(of=Disposition)
        .execution_options(populate_existing=True)
    )
    if disposition is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.disposition")
    return disposition, lock_items(session, actor, [line.item_id for line in disposition.lines])


def _require_status(disposition: Disposition, *allowed: DispositionRecordStatus) -> None:
    if disposition.status not in allowed:
        if disposition.status is DispositionRecordStatus.EXECUTED:
            raise Conflict(
                N_("This item has been disposed of and accepts no further action."), code="item.disposed"
            )
        raise Conflict(
            N_("Not possible in the disposal's current state."), code=f"disposition.not_{allowed[0].value}"
        )


def decide_disposition(
    session: Session, actor: Actor, disposition_id: int, *, approve: bool, reason: str | None = None
) -> Disposition:
    disposition, items = _locked(session, actor, disposition_id)
    require_on_items(actor, Action.APPROVE_DISPOSITION, items)
    require_not_requester(disposition.proposed_by_id, actor.user_id)
    _require_status(disposition, DispositionRecordStatus.PROPOSED)
    reason = (reason or "").strip() or None
    if not approve and not reason:
        raise InvalidInput(N_("Give a reason for rejecting."), fields={"reason": [N_("Required.")]})
    if approve:
        check_disposal_ground(disposition.kind, case_outcome(session, disposition.case_id))
        for item in items:
            check_owner_recorded(disposition.kind, _has_owner(item))
    disposition.status = DispositionRecordStatus.APPROVED if approve else DispositionRecordStatus.REJECTED
    disposition.approved_by_id = actor.user_id
    disposition.approved_at = utcnow()
    disposition.rejected_reason = None if approve else reason
    for item in items:
        before = item_snapshot(item)
        if approve:
            item.disposition_status = DispositionStatus.APPROVED
        else:
            item.disposition_status = DispositionStatus.NONE
            item.disposition_kind = None
        append_item_event(
            session,
            item,
            actor,
            "disposition.approve" if approve else "disposition.reject",
            before=before,
            reason=reason,
            data=_common(disposition),
        )
    return disposition


def _chain_of_custody_user_ids(session: Session, item_ids: list[int]) -> set[int]:
    """Everyone who ever acted on these items: their events name them."""
    rows = session.scalars(
        select(AuditEvent.actor_user_id)
        .where(AuditEvent.item_id.in_(item_ids), AuditEvent.actor_user_id.is_not(None))
        .distinct()
    )
    return {user_id for user_id in rows if user_id is not None}


def _disqualified_witnesses(session: Session, actor: Actor, items: list[Item]) -> set[int]:
    return witness_disqualified(_chain_of_custody_user_ids(session, [i.id for i in items]), actor.user_id)


def eligible_witnesses(session: Session, actor: Actor, disposition_id: int) -> list[User]:
    """The users who may witness this destruction if ``actor`` executes it: active users appearing
    nowhere in the items' chain of custody, not the executor — the same rule ``execute_disposition``
    checks (``_witness`` + ``check_witness``), so the execute form's list and the check agree."""
    disposition = get_disposition(session, actor, disposition_id)
    items = [line.item for line in disposition.lines]
    require_on_items(actor, Action.EXECUTE_DISPOSITION, items)
    excluded = _disqualified_witnesses(session, actor, items)
    return list(
        session.scalars(
            select(User)
            .join(Agency, Agency.id == User.agency_id)
            .where(User.is_active, User.id.not_in(excluded))
            .order_by(Agency.id, User.display_name, User.id)
        )
    )


def _witness(session: Session, username: str | None) -> User | None:
    if not username:
        return None
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.is_active:
        raise InvalidInput(
            N_("The witness must be an active user of the system."), fields={"witness": [N_("Unknown user.")]}
        )
    return user


def _proceeds_entry(
    session: Session, actor: Actor, item: Item, disposition: Disposition, proceeds_fen: int, receipt_no: str
) -> Item:
    """The sale money, as a case-money entry in the dedicated account, in the item's place."""
    now = utcnow()
    entry = Item(
        label_code=numbers.label_code(session, actor.agency_code, now.year),
        case_id=item.case_id,
        seizure_list_id=item.seizure_list_id,
        source_item=item,
        name=f"{item.name}（先行处置变卖款）",
        category=ItemCategory.CASH,
        quantity=1,
        unit="笔",
        estimated_value_fen=proceeds_fen,
        details={"amount_fen": proceeds_fen, "account": "涉案款专户"},
        owner_name=item.owner_name,
        owner_id_no=item.owner_id_no,
        owner_contact=item.owner_contact,
        ownership_clear=item.ownership_clear,
        measure=item.measure,
        measure_doc_no=item.measure_doc_no,
        measure_date=item.measure_date,
        seized_at=item.seized_at,
        seized_by_id=item.seized_by_id,
        custodian_agency_id=item.custodian_agency_id,
        custody_state=CustodyState.HELD,
        location_state=LocationState.EXTERNAL,
        external_kind=ExternalKind.BANK,
        external_place="涉案款专户",
        disposition_status=DispositionStatus.NONE,
    )
    session.add(entry)
    session.flush()
    append_item_event(
        session,
        entry,
        actor,
        "item.register",
        data={
            "label_code": entry.label_code,
            "name": entry.name,
            "category": entry.category,
            "estimated_value_fen": proceeds_fen,
            "source_item_id": item.id,
            "source_label_code": item.label_code,
            **_common(disposition),
            "receipt_no": receipt_no,
        },
    )
    return entry


def execute_disposition(
    session: Session,
    actor: Actor,
    disposition_id: int,
    *,
    receipt_no: str,
    witness: str | None = None,
    proceeds_fen: int | None = None,
    recipient: Recipient | None = None,
) -> Disposition:
    """执行 — the keeper carries out an approved disposal and records the execution receipt."""
    disposition, items = _locked(session, actor, disposition_id)
    require_on_items(actor, Action.EXECUTE_DISPOSITION, items)
    _require_status(disposition, DispositionRecordStatus.APPROVED)
    kind = disposition.kind
    check_disposal_ground(kind, case_outcome(session, disposition.case_id))
    check_execution(kind, receipt_no, proceeds_fen)
    witness_user = None
    if kind is DispositionKind.DESTROY:
        witness_user = _witness(session, witness)
        check_witness(
            witness_user.id if witness_user else None, _disqualified_witnesses(session, actor, items)
        )
    if kind in (DispositionKind.RETURN_TO_OWNER, DispositionKind.PRETRIAL_RETURN):
        for item in items:
            check_owner_recorded(kind, _has_owner(item))
            check_recipient(recipient, item.owner_name, item.owner_id_no)
        recipient = must_exist(recipient, "the recipient")  # check_recipient refused a missing one
        disposition.recipient = new_counterparty(
            session,
            CounterpartyInput(name=recipient.name, kind=CounterpartyKind.PERSON, id_no=recipient.id_no),
        )
        disposition.recipient_is_agent = recipient.is_agent
        disposition.authorisation_ref = (recipient.authorisation_ref or "").strip() or None
    now = utcnow()
    disposition.status = DispositionRecordStatus.EXECUTED
    disposition.executed_by_id = actor.user_id
    disposition.executed_at = now
    disposition.receipt_no = receipt_no.strip()
    disposition.witness_user_id = witness_user.id if witness_user else None
    lines = {line.item_id: line for line in disposition.lines}
    for item in items:
        before = item_snapshot(item)
        item.disposition_status = DispositionStatus.EXECUTED
        item.disposition_kind = kind
        item.location_state = LocationState.GONE
        item.storage_location = None
        data: dict[str, Any] = {**_common(disposition), "receipt_no": disposition.receipt_no}
        if witness_user:
            data["witness"] = {
                "user_id": witness_user.id,
                "username": witness_user.username,
                "display_name": witness_user.display_name,
                "agency": witness_user.agency.name,
            }
        if disposition.recipient:
            # The permanent record holds no personal data in clear: only a salted commitment to the
            # recipient's name (the salt stays on the item row); the name itself is on the
            # Disposition's Counterparty row, which is not part of the ledger.
            data["recipient"] = {
                "is_agent": disposition.recipient_is_agent,
                "authorisation_ref": disposition.authorisation_ref,
                "name_sha256": personal_data_digest(item.personal_data_salt, disposition.recipient.name),
            }
        if kind is DispositionKind.EARLY_SALE:
            entry = _proceeds_entry(
                session, actor, item, disposition, proceeds_fen or 0, disposition.receipt_no
            )
            lines[item.id].proceeds_fen = proceeds_fen
            lines[item.id].proceeds_item_id = entry.id
            data.update(
                proceeds_fen=proceeds_fen, proceeds_item_id=entry.id, proceeds_label_code=entry.label_code
            )
        append_item_event(
            session, item, actor, "disposition.execute", before=before, occurred_at=now, data=data
        )
    return disposition


def cancel_disposition(
    session: Session, actor: Actor, disposition_id: int, reason: str | None = None
) -> Disposition:
    disposition, items = _locked(session, actor, disposition_id)
    require_on_items(actor, Action.PROPOSE_DISPOSITION, items)
    _require_status(disposition, DispositionRecordStatus.PROPOSED, DispositionRecordStatus.APPROVED)
    disposition.status = DispositionRecordStatus.CANCELLED
    for item in items:
        before = item_snapshot(item)
        item.disposition_status = DispositionStatus.NONE
        item.disposition_kind = None
        append_item_event(
            session,
            item,
            actor,
            "disposition.cancel",
            before=before,
            reason=reason,
            data=_common(disposition),
        )
    return disposition


def get_disposition(session: Session, actor: Actor, disposition_id: int) -> Disposition:
    disposition = session.scalar(
        select(Disposition).where(
            Disposition.id == disposition_id,
            Disposition.case_id.in_(select(Case.id).where(case_filter(actor))),
        )
    )
    if disposition is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.disposition")
    return disposition


def dispositions_query(
    actor: Actor,
    *,
    status: DispositionRecordStatus | None = None,
    kind: DispositionKind | None = None,
    case_id: int | None = None,
) -> Select[Any]:
    stmt = select(Disposition).where(Disposition.case_id.in_(select(Case.id).where(case_filter(actor))))
    if status is not None:
        stmt = stmt.where(Disposition.status == status)
    if kind is not None:
        stmt = stmt.where(Disposition.kind == kind)
    if case_id is not None:
        stmt = stmt.where(Disposition.case_id == case_id)
    return stmt.order_by(Disposition.id.desc())
