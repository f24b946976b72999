"""Procedural moves of a case file that are not a transfer between two agencies of the system
(domain/cases.py): a 自侦 case moves on to prosecution review inside the procuratorate; a case
referred by a supervisory commission goes back to it for supplementary inquiry and returns; a case
is merged into another the same agency investigates (its items follow)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from custody.domain.actor import Actor
from custody.domain.cases import (
    CaseMoveKind,
    check_inquiry,
    check_merge,
    check_stage_advance,
)
from custody.domain.clock import local_date
from custody.domain.enums import CaseStage, CustodyState
from custody.domain.errors import Conflict, InvalidInput
from custody.domain.i18n import N_
from custody.domain.policy import Action, Relation, require
from custody.models.case import Case, CaseMove
from custody.models.item import Item
from custody.orm import utcnow

from .cases import case_event
from .item_events import append_item_event, item_snapshot
from .visibility import add_participant, get_case


def _handler(actor: Actor, case: Case) -> set[Relation]:
    return {Relation.CASE_HANDLER} if case.handling_agency_id == actor.agency_id else set()


def _text(value: str | None, field: str, max_len: int) -> str | None:
    value = (value or "").strip() or None
    if value is not None and len(value) > max_len:
        raise InvalidInput(N_("Too long."), fields={field: [N_("Too long.")]})
    return value


def _day(value: date | None, case: Case) -> date:
    today = local_date(utcnow())
    day = value or today
    if day > today:
        raise InvalidInput(
            N_("The date cannot be in the future."), fields={"occurred_on": [N_("In the future.")]}
        )
    if day < case.filed_on:
        raise InvalidInput(
            N_("Earlier than the date the case was opened."),
            fields={"occurred_on": [N_("Earlier than the date the case was opened.")]},
        )
    return day


def _move(
    session: Session,
    actor: Actor,
    case: Case,
    kind: CaseMoveKind,
    day: date,
    doc_no: str | None,
    note: str | None,
    other_case_id: int | None = None,
) -> CaseMove:
    move = CaseMove(
        case_id=case.id,
        kind=kind,
        occurred_on=day,
        doc_no=doc_no,
        note=note,
        other_case_id=other_case_id,
        agency_id=actor.agency_id,
        recorded_by_id=actor.user_id,
    )
    session.add(move)
    session.flush()
    return move


def advance_stage(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    doc_no: str | None = None,
    occurred_on: date | None = None,
    note: str | None = None,
) -> CaseMove:
    """自侦: the procuratorate concludes its investigation and reviews the case for prosecution itself."""
    case = get_case(session, actor, case_id, lock=True)
    require(actor, Action.MOVE_CASE, _handler(actor, case))
    new_stage = check_stage_advance(case.origin, case.stage)
    day = _day(occurred_on, case)
    move = _move(
        session,
        actor,
        case,
        CaseMoveKind.STAGE_ADVANCE,
        day,
        _text(doc_no, "doc_no", 64),
        _text(note, "note", 500),
    )
    before = case.stage
    case.stage = new_stage
    session.flush()
    case_event(
        session,
        actor,
        case,
        "case.stage",
        move_id=move.id,
        doc_no=move.doc_no,
        occurred_on=day,
        before={"stage": before},
        after={"stage": case.stage},
    )
    return move


def _open_inquiry(session: Session, case_id: int) -> bool:
    kinds = list(
        session.scalars(
            select(CaseMove.kind)
            .where(
                CaseMove.case_id == case_id,
                CaseMove.kind.in_((CaseMoveKind.INQUIRY_SENT, CaseMoveKind.INQUIRY_RETURNED)),
            )
            .order_by(CaseMove.id)
        )
    )
    return bool(kinds) and kinds[-1] is CaseMoveKind.INQUIRY_SENT


def inquiry_rounds(session: Session, case_id: int) -> int:
    return len(
        list(
            session.scalars(
                select(CaseMove.id).where(
                    CaseMove.case_id == case_id, CaseMove.kind == CaseMoveKind.INQUIRY_SENT
                )
            )
        )
    )


def send_for_inquiry(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    doc_no: str,
    occurred_on: date | None = None,
    note: str | None = None,
) -> CaseMove:
    """退回补充调查 — the file goes back to the supervisory commission (at most twice, one month each);
    the property stays in the procuratorate's custody."""
    case = get_case(session, actor, case_id, lock=True)
    require(actor, Action.MOVE_CASE, _handler(actor, case))
    check_inquiry(case.origin, case.stage, inquiry_rounds(session, case.id), _open_inquiry(session, case.id))
    number = _text(doc_no, "doc_no", 64)
    if number is None:
        raise InvalidInput(
            N_("Record the decision's number (补充调查决定书)."), fields={"doc_no": [N_("Required.")]}
        )
    day = _day(occurred_on, case)
    move = _move(session, actor, case, CaseMoveKind.INQUIRY_SENT, day, number, _text(note, "note", 500))
    case_event(
        session,
        actor,
        case,
        "case.inquiry_sent",
        move_id=move.id,
        doc_no=number,
        occurred_on=day,
        round=inquiry_rounds(session, case.id),
        referring_body=case.referring_body,
    )
    return move


def record_inquiry_return(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    occurred_on: date | None = None,
    doc_no: str | None = None,
    note: str | None = None,
) -> CaseMove:
    """补充调查完毕 — the supervisory commission sends the case back; prosecution review resumes."""
    case = get_case(session, actor, case_id, lock=True)
    require(actor, Action.MOVE_CASE, _handler(actor, case))
    if not _open_inquiry(session, case.id):
        raise Conflict(N_("The case is not with the supervisory commission."), code="case.no_open_inquiry")
    day = _day(occurred_on, case)
    move = _move(
        session,
        actor,
        case,
        CaseMoveKind.INQUIRY_RETURNED,
        day,
        _text(doc_no, "doc_no", 64),
        _text(note, "note", 500),
    )
    case_event(session, actor, case, "case.inquiry_returned", move_id=move.id, occurred_on=day)
    return move


def merge_case(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    into_case_id: int,
    doc_no: str | None = None,
    note: str | None = None,
) -> CaseMove:
    """并案 — ``case_id`` is merged into ``into_case_id`` (both handled by the actor's agency): its items
    move to that case, each with an event; the merged case is closed as merged (no closure of its own,
    so no "held after close" alert: its items are held under the other case)."""
    ids = sorted({case_id, into_case_id})
    locked = {c.id: c for c in (get_case(session, actor, i, lock=True) for i in ids)}  # fixed lock order
    absorbed, into = locked[case_id], locked[into_case_id]
    require(actor, Action.MOVE_CASE, _handler(actor, absorbed))
    require(actor, Action.MOVE_CASE, _handler(actor, into))
    check_merge(
        absorbed.id == into.id,
        absorbed.handling_agency_id == into.handling_agency_id,
        into.stage is CaseStage.CLOSED,
        absorbed.stage is CaseStage.CLOSED,
    )
    moving = list(
        session.scalars(
            select(Item).where(Item.case_id == absorbed.id).order_by(Item.id).with_for_update(of=Item)
        )
    )
    if any(item.custody_state is CustodyState.IN_TRANSFER for item in moving):
        raise Conflict(
            N_("An item of the case is in a transfer awaiting its receiver; decide or recall it first."),
            code="item.in_transfer",
        )
    number = _text(doc_no, "doc_no", 64)
    move = _move(
        session,
        actor,
        into,
        CaseMoveKind.MERGE,
        local_date(utcnow()),
        number,
        _text(note, "note", 500),
        other_case_id=absorbed.id,
    )
    for item in moving:
        before = item_snapshot(item)
        item.case_id = into.id
        append_item_event(
            session,
            item,
            actor,
            "case.merge",
            before=before,
            data={"from_case_id": absorbed.id, "into_case_id": into.id, "doc_no": number},
        )
    for participant in _participants(session, absorbed.id):
        add_participant(session, into.id, participant)
    before_stage = absorbed.stage
    absorbed.stage = CaseStage.CLOSED
    absorbed.merged_into_id = into.id
    session.flush()
    data: dict[str, Any] = {"move_id": move.id, "doc_no": number, "items": len(moving)}
    case_event(
        session,
        actor,
        absorbed,
        "case.merged_into",
        into_case_id=into.id,
        before={"stage": before_stage},
        after={"stage": absorbed.stage},
        **data,
    )
    case_event(session, actor, into, "case.merge", from_case_id=absorbed.id, **data)
    return move


def _participants(session: Session, case_id: int) -> list[int]:
    from custody.models.case import CaseParticipant

    return list(session.scalars(select(CaseParticipant.agency_id).where(CaseParticipant.case_id == case_id)))


def moves_query(case_id: int) -> Select[Any]:
    return select(CaseMove).where(CaseMove.case_id == case_id).order_by(CaseMove.id)
