"""Case milestones the deadline engine watches: judgment, closing, unrelated findings, public notices.

- ``record_judgment``: the court records its effective judgment; the case enters execution and the
  six-month execution clock starts (docs/DEADLINES.md).
- ``close_case``: the handling agency closes the case (结案 / 撤案 / 不起诉); any item still held
  afterwards raises an alert.
- ``mark_unrelated``: an item is found unrelated to the case; it must be released within 3 days.
- ``publish_notice``: a public notice for property whose owner is unknown; 6 months later
  unclaimed items go to the treasury.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from custody.domain.actor import Actor
from custody.domain.clock import local_date
from custody.domain.enums import CaseStage, DispositionStatus, LocationState, TransferStatus
from custody.domain.errors import Conflict, InvalidInput, must_exist
from custody.domain.i18n import N_
from custody.domain.items import ensure_not_disposed
from custody.domain.milestones import check_closure, check_judgment, check_notice, check_unrelated
from custody.domain.policy import Action, Relation, require
from custody.models.case import Case
from custody.models.item import Item
from custody.models.oversight import (
    CaseClosure,
    CaseJudgment,
    PublicNotice,
    PublicNoticeLine,
    UnrelatedFinding,
)
from custody.models.transfer import Transfer
from custody.orm import utcnow

from . import numbers
from .cases import case_event
from .checkouts import require_on_items, single_case_and_custodian
from .item_events import append_item_event
from .storage import facts
from .visibility import get_case, lock_items


def _handler(actor: Actor, case: Case) -> set[Relation]:
    return {Relation.CASE_HANDLER} if case.handling_agency_id == actor.agency_id else set()


def held_items(session: Session, case_id: int) -> int:
    """Items of the case not yet disposed of."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Item)
            .where(
                Item.case_id == case_id,
                Item.disposition_status != DispositionStatus.EXECUTED,
                Item.location_state != LocationState.GONE,
            )
        )
        or 0
    )


def record_judgment(
    session: Session, actor: Actor, case_id: int, *, judgment_no: str, effective_on: date
) -> CaseJudgment:
    """判决生效 — the court records its effective judgment; the case moves to execution."""
    case = get_case(session, actor, case_id, lock=True)
    require(actor, Action.RECORD_JUDGMENT, _handler(actor, case))
    number = check_judgment(
        case.stage, judgment_no, effective_on, filed_on=case.filed_on, today=local_date(utcnow())
    )
    judgment = CaseJudgment(
        case_id=case.id,
        judgment_no=number,
        effective_on=effective_on,
        court_agency_id=actor.agency_id,
        recorded_by_id=actor.user_id,
    )
    session.add(judgment)
    before = case.stage
    case.stage = CaseStage.EXECUTION
    session.flush()
    case_event(
        session,
        actor,
        case,
        "case.judgment",
        judgment_id=judgment.id,
        judgment_no=number,
        effective_on=effective_on,
        before={"stage": before},
        after={"stage": case.stage},
        held_items=held_items(session, case.id),
    )
    return judgment


def close_case(session: Session, actor: Actor, case_id: int, *, legal_basis: str, reason: str) -> CaseClosure:
    """结案 — the handling agency closes the case; items still held afterwards raise alerts."""
    case = get_case(session, actor, case_id, lock=True)
    require(actor, Action.CLOSE_CASE, _handler(actor, case))
    basis, why = check_closure(case.stage, legal_basis, reason)
    # Any transfer still open — with lines, or the case file alone — would act on a closed case.
    # Proposals and sign-fors take the same case lock, so none slips in before this commits.
    pending = session.scalar(
        select(Transfer.transfer_no)
        .where(
            Transfer.case_id == case.id, Transfer.status.in_((TransferStatus.PENDING, TransferStatus.PARTIAL))
        )
        .order_by(Transfer.id)
        .limit(1)
    )
    if pending:
        raise Conflict(
            N_(
                "Transfer %(no)s of the case is awaiting the receiver's decision; "
                "it must be decided or recalled first."
            ),
            code="case.transfer_pending",
            no=pending,
        )
    closure = CaseClosure(
        case_id=case.id,
        previous_stage=case.stage,
        closed_at=utcnow(),
        agency_id=actor.agency_id,
        legal_basis=basis,
        reason=why,
        closed_by_id=actor.user_id,
    )
    session.add(closure)
    before = case.stage
    case.stage = CaseStage.CLOSED
    session.flush()
    case_event(
        session,
        actor,
        case,
        "case.close",
        closure_id=closure.id,
        legal_basis=basis,
        before={"stage": before},
        after={"stage": case.stage},
        held_items=held_items(session, case.id),
    )
    return closure


def mark_unrelated(
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    found_on: date,
    reason: str,
    decision_doc_no: str | None = None,
) -> UnrelatedFinding:
    """查明与案件无关 — the custodian records the finding; release is due within 3 days."""
    [item] = lock_items(session, actor, [item_id])
    require_on_items(actor, Action.MARK_UNRELATED, [item])
    ensure_not_disposed(facts(item))
    case = must_exist(session.get(Case, item.case_id), f"case {item.case_id}")
    why = check_unrelated(found_on, reason, filed_on=case.filed_on, today=local_date(utcnow()))
    doc_no = (decision_doc_no or "").strip() or None
    if doc_no is not None and len(doc_no) > 64:
        raise InvalidInput(N_("Too long."), fields={"decision_doc_no": [N_("Too long.")]})
    if session.scalar(select(UnrelatedFinding.id).where(UnrelatedFinding.item_id == item.id)) is not None:
        raise Conflict(
            N_("The item is already recorded as unrelated to the case."), code="item.already_unrelated"
        )
    finding = UnrelatedFinding(
        item_id=item.id, found_on=found_on, decision_doc_no=doc_no, reason=why, recorded_by_id=actor.user_id
    )
    session.add(finding)
    session.flush()
    append_item_event(
        session,
        item,
        actor,
        "item.unrelated",
        reason=why,
        data={"finding_id": finding.id, "found_on": found_on, "decision_doc_no": doc_no},
    )
    return finding


def publish_notice(
    session: Session,
    actor: Actor,
    *,
    item_ids: Iterable[int],
    published_on: date,
    medium: str,
    content: str | None = None,
) -> PublicNotice:
    """公告 — the custodian publishes a notice for items whose owner is unknown."""
    item_ids = list(dict.fromkeys(item_ids))
    if not item_ids:
        raise InvalidInput(
            N_("Choose at least one item."), fields={"item_ids": [N_("Choose at least one item.")]}
        )
    items = lock_items(session, actor, item_ids)
    require_on_items(actor, Action.PUBLISH_NOTICE, items)
    case_id, custodian_id = single_case_and_custodian(items)
    where = check_notice(published_on, medium, today=local_date(utcnow()))
    for item in items:
        ensure_not_disposed(facts(item))
    notice = PublicNotice(
        notice_no=numbers.next_code(session, "GG", actor.agency_code, utcnow().year),
        case_id=case_id,
        custodian_agency_id=custodian_id,
        published_on=published_on,
        medium=where,
        content=(content or "").strip() or None,
        created_by_id=actor.user_id,
        lines=[PublicNoticeLine(item_id=item.id) for item in items],
    )
    session.add(notice)
    session.flush()
    for item in items:
        append_item_event(
            session,
            item,
            actor,
            "notice.publish",
            data={
                "notice_id": notice.id,
                "notice_no": notice.notice_no,
                "published_on": published_on,
                "medium": where,
            },
        )
    return notice


def notices_query(actor: Actor, *, case_id: int | None = None):
    from .visibility import case_filter

    stmt = select(PublicNotice).join(Case, Case.id == PublicNotice.case_id).where(case_filter(actor))
    if case_id is not None:
        stmt = stmt.where(PublicNotice.case_id == case_id)
    return stmt.order_by(PublicNotice.id.desc())
