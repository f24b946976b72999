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
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from custody.domain.actor import Actor
from custody.domain.clock import local_date
from custody.domain.enums import CaseStage, DispositionStatus, LocationState, TransferStatus
from custody.domain.errors import Conflict, InvalidInput, must_exist
from custody.domain.i18n import N_
from custody.domain.items import ensure_not_disposed
from custody.domain.judgment_orders import OrderStatus, receipt_awaited
from custody.domain.milestones import (
    NoticeBasis,
    check_closure,
    check_judgment,
    check_notice,
    check_unrelated,
)
from custody.domain.policy import Action, Relation, allowed, require
from custody.models.case import Case
from custody.models.item import Item
from custody.models.oversight import (
    CaseClosure,
    CaseJudgment,
    JudgmentOrder,
    JudgmentService,
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
    before = {"stage": case.stage, "handling_agency_id": case.handling_agency_id}
    case.stage = CaseStage.EXECUTION
    if case.appeal_court_agency_id == actor.agency_id and case.court_agency_id is not None:
        # [LAW] 2021解释 art. 447: the first-instance court deals with the property once the judgment
        # (here the appeal court's) takes effect: the case goes back to it for execution.
        case.handling_agency_id = case.court_agency_id
    session.flush()
    case_event(
        session,
        actor,
        case,
        "case.judgment",
        judgment_id=judgment.id,
        judgment_no=number,
        effective_on=effective_on,
        before=before,
        after={"stage": case.stage, "handling_agency_id": case.handling_agency_id},
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
    basis: NoticeBasis = NoticeBasis.UNRELATED,
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
        basis=basis,
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
                "basis": basis,
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


# -- court execution of the property parts (2014规定 art. 3, 7; 2021解释 art. 447, 448) -------------


def _judgment_for_court(session: Session, actor: Actor, case_id: int) -> tuple[Case, CaseJudgment]:
    """The case's judgment, for an officer of the court that executes it (the first-instance court)."""
    case = get_case(session, actor, case_id, lock=True)
    judgment = session.scalar(select(CaseJudgment).where(CaseJudgment.case_id == case.id))
    if judgment is None:
        raise Conflict(N_("No effective judgment is recorded for this case."), code="case.no_judgment")
    executing = {case.court_agency_id, judgment.court_agency_id} - {None}
    require(actor, Action.RECORD_JUDGMENT, {Relation.CASE_HANDLER} if actor.agency_id in executing else set())
    return case, judgment


def _on_or_after(day: date | None, earliest: date, field: str) -> date:
    today = local_date(utcnow())
    day = day or today
    if day > today:
        raise InvalidInput(N_("The date cannot be in the future."), fields={field: [N_("In the future.")]})
    if day < earliest:
        raise InvalidInput(
            N_("Earlier than the judgment took effect."),
            fields={field: [N_("Earlier than the judgment took effect.")]},
        )
    return day


def record_execution(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    referred_on: date | None = None,
    execution_case_no: str | None = None,
    opened_on: date | None = None,
    extended_until: date | None = None,
    extension_approval: str | None = None,
) -> CaseJudgment:
    """移送执行 / 执行立案 / 延长 — what the court records about executing the judgment's property
    parts: the referral to its execution division (the case is opened within 7 days), the execution
    case (six months run from it), an extension approved by the president (its new last day)."""
    case, judgment = _judgment_for_court(session, actor, case_id)
    changed: dict[str, Any] = {}
    if referred_on is not None:
        judgment.referred_on = changed["referred_on"] = _on_or_after(
            referred_on, judgment.effective_on, "referred_on"
        )
    number = (execution_case_no or "").strip() or None
    if number is not None or opened_on is not None:
        if number is None or len(number) > 64:
            raise InvalidInput(
                N_("Record the execution case number."), fields={"execution_case_no": [N_("Required.")]}
            )
        judgment.execution_case_no = changed["execution_case_no"] = number
        judgment.execution_opened_on = changed["execution_opened_on"] = _on_or_after(
            opened_on, judgment.effective_on, "opened_on"
        )
    if extended_until is not None:
        approval = (extension_approval or "").strip()
        if not approval:
            # [LAW] 2014规定 art. 3: 经本院院长批准，可以延长.
            raise InvalidInput(
                N_("Record the president's approval of the extension."),
                fields={"extension_approval": [N_("Required.")]},
            )
        if extended_until <= (judgment.extended_until or judgment.effective_on):
            raise InvalidInput(
                N_("An extension must move the last day later."),
                fields={"extended_until": [N_("Must be later than the current last day.")]},
            )
        judgment.extended_until = changed["extended_until"] = extended_until
        judgment.extension_approval = changed["extension_approval"] = approval[:100]
    if not changed:
        raise InvalidInput(N_("Nothing to record."), fields={"referred_on": [N_("Required.")]})
    session.flush()
    case_event(session, actor, case, "case.execution", judgment_id=judgment.id, **changed)
    return judgment


def record_service(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    served_on: date | None = None,
    holder_agency_id: int | None = None,
    institution: str | None = None,
) -> JudgmentService:
    """送达 — the court serves the judgment on the agency holding items (receipt due in 1 month) or on a
    bank holding frozen funds to be confiscated (15 days)."""
    from custody.models.agency import Agency

    case, judgment = _judgment_for_court(session, actor, case_id)
    institution = (institution or "").strip() or None
    if (holder_agency_id is None) == (institution is None):
        raise InvalidInput(
            N_("Name either the agency holding the items or the bank."),
            fields={"holder_agency_id": [N_("Agency or bank, one of them.")]},
        )
    if holder_agency_id is not None and session.get(Agency, holder_agency_id) is None:
        raise InvalidInput(N_("Unknown agency."), fields={"holder_agency_id": [N_("Unknown agency.")]})
    if institution is not None and len(institution) > 200:
        raise InvalidInput(N_("Too long."), fields={"institution": [N_("Too long.")]})
    service = JudgmentService(
        judgment_id=judgment.id,
        holder_agency_id=holder_agency_id,
        institution=institution,
        served_on=_on_or_after(served_on, judgment.effective_on, "served_on"),
        recorded_by_id=actor.user_id,
    )
    session.add(service)
    session.flush()
    case_event(
        session,
        actor,
        case,
        "case.judgment_served",
        service_id=service.id,
        holder_agency_id=holder_agency_id,
        institution=institution,
        served_on=service.served_on,
    )
    return service


def record_execution_receipt(
    session: Session,
    actor: Actor,
    case_id: int,
    service_id: int,
    *,
    receipt_no: str,
    received_on: date | None = None,
) -> JudgmentService:
    """执行回单 — the holder's receipt came back to the court."""
    case, judgment = _judgment_for_court(session, actor, case_id)
    service = session.get(JudgmentService, service_id)
    if service is None or service.judgment_id != judgment.id:
        raise InvalidInput(N_("Not a service of this judgment."), fields={"service_id": [N_("Unknown.")]})
    number = (receipt_no or "").strip()
    if not number or len(number) > 64:
        raise InvalidInput(
            N_("Record the execution receipt number (执行回单)."), fields={"receipt_no": [N_("Required.")]}
        )
    service.receipt_no = number
    service.receipt_on = _on_or_after(received_on, service.served_on, "received_on")
    session.flush()
    case_event(
        session,
        actor,
        case,
        "case.execution_receipt",
        service_id=service.id,
        receipt_no=number,
        received_on=service.receipt_on,
    )
    return service


def case_services(session: Session, actor: Actor, case_id: int) -> list[JudgmentService]:
    """The judgment served on the holders of a case the actor sees, and their execution receipts."""
    return services_of(session, get_case(session, actor, case_id).id)


def services_of(session: Session, case_id: int) -> list[JudgmentService]:
    return list(
        session.scalars(
            select(JudgmentService)
            .join(CaseJudgment, CaseJudgment.id == JudgmentService.judgment_id)
            .where(CaseJudgment.case_id == case_id)
            .order_by(JudgmentService.id)
        )
    )


# -- what the case's milestones page reads and offers -------------------------------------------------


@dataclass(frozen=True)
class MilestoneActions:
    """What the actor may record on a case's milestones now, asked of the rules the services apply,
    so a page offers no form its service would refuse on the actor's role or the case's state."""

    judgment: bool  # the handling court, while the case is on trial
    close: bool  # the handling agency, while the case is open
    unrelated: bool  # the custodian of an item still held
    notice: bool  # likewise
    execution: bool  # the executing court (first instance, or whoever handles the file), in execution
    orders: bool  # the court that recorded the judgment
    acknowledge: bool  # the executing court: an order's execution receipt
    propose: bool  # the custodian of an item with an open order: the disposals it orders


@dataclass(frozen=True)
class CaseMilestones:
    case: Case
    held: list[Item]  # not yet disposed of, in id order
    mine: list[Item]  # of those, the ones the actor's agency holds
    holders: list[int]  # the other agencies holding them (whom the court serves the judgment on)
    judgment: CaseJudgment | None
    orders: list[JudgmentOrder]
    receipts_awaited: list[JudgmentOrder]  # orders whose execution receipt the court may acknowledge
    services: list[JudgmentService]
    services_awaiting_receipt: list[JudgmentService]
    closure: CaseClosure | None
    findings: list[UnrelatedFinding]
    notices: list[PublicNotice]
    can: MilestoneActions


def milestone_actions(
    actor: Actor, case: Case, judgment: CaseJudgment | None, orders: list[JudgmentOrder], mine: list[Item]
) -> MilestoneActions:
    """The actions of ``case``'s milestones open to ``actor`` (``mine``: the case's items still held
    that the actor's agency holds; ``orders``: the judgment's orders). The same relations as
    ``record_judgment``, ``close_case``, ``mark_unrelated``, ``publish_notice``,
    ``_judgment_for_court`` and ``judgment_orders`` require."""
    handler = _handler(actor, case)
    custodian = {Relation.CUSTODIAN} if mine else set()

    def court(*courts: int | None) -> set[Relation]:
        return {Relation.CASE_HANDLER} if actor.agency_id in set(courts) - {None} else set()

    executing = (judgment.court_agency_id,) if judgment else ()
    own_open_orders = any(
        o.status is OrderStatus.OPEN and o.item is not None and o.item.custodian_agency_id == actor.agency_id
        for o in orders
    )
    return MilestoneActions(
        judgment=case.stage is CaseStage.TRIAL and allowed(actor, Action.RECORD_JUDGMENT, handler),
        close=case.stage is not CaseStage.CLOSED and allowed(actor, Action.CLOSE_CASE, handler),
        unrelated=bool(mine) and allowed(actor, Action.MARK_UNRELATED, custodian),
        notice=bool(mine) and allowed(actor, Action.PUBLISH_NOTICE, custodian),
        # The court that executes: the first-instance court, whoever handles the file after an appeal.
        execution=case.stage is CaseStage.EXECUTION
        and allowed(actor, Action.RECORD_JUDGMENT, court(case.court_agency_id, case.handling_agency_id)),
        orders=judgment is not None and allowed(actor, Action.RECORD_JUDGMENT, court(*executing)),
        acknowledge=allowed(
            actor, Action.RECORD_JUDGMENT, court(*executing, case.court_agency_id) if judgment else set()
        ),
        propose=own_open_orders and allowed(actor, Action.PROPOSE_DISPOSITION, {Relation.CUSTODIAN}),
    )


def case_milestones(session: Session, actor: Actor, case_id: int) -> CaseMilestones:
    """Everything the case's milestones page shows, and what the actor may record there."""
    case = get_case(session, actor, case_id)
    held = list(
        session.scalars(
            select(Item)
            .where(
                Item.case_id == case.id,
                Item.disposition_status != DispositionStatus.EXECUTED,
                Item.location_state != LocationState.GONE,
            )
            .order_by(Item.id)
        )
    )
    mine = [item for item in held if item.custodian_agency_id == actor.agency_id]
    judgment = session.scalar(select(CaseJudgment).where(CaseJudgment.case_id == case.id))
    orders = list(
        session.scalars(
            select(JudgmentOrder).where(JudgmentOrder.case_id == case.id).order_by(JudgmentOrder.line_no)
        )
    )
    services = services_of(session, case.id)
    return CaseMilestones(
        case=case,
        held=held,
        mine=mine,
        holders=sorted({i.custodian_agency_id for i in held} - {actor.agency_id}),
        judgment=judgment,
        orders=orders,
        receipts_awaited=[o for o in orders if receipt_awaited(o.status, money_order=o.item_id is None)],
        services=services,
        services_awaiting_receipt=[sv for sv in services if sv.receipt_no is None],
        closure=session.scalar(select(CaseClosure).where(CaseClosure.case_id == case.id)),
        findings=list(
            session.scalars(
                select(UnrelatedFinding)
                .join(Item, Item.id == UnrelatedFinding.item_id)
                .where(Item.case_id == case.id)
            )
        ),
        notices=list(session.scalars(select(PublicNotice).where(PublicNotice.case_id == case.id))),
        can=milestone_actions(actor, case, judgment, orders, mine),
    )
