"""处置 — early sale (先行处置), pre-trial return (先行发还) and final disposal, each proposed by the
custodian agency, approved by one of its approvers (not the proposer) and executed by its keeper.

An executed disposal takes the item out of custody for good: it accepts no further action. An early
sale's proceeds become a new case-money entry (涉案款专户) that replaces the item and follows the case.
A final disposal (return to owner, confiscation, destruction, hand-over) needs the case's effective
judgment or closing decision on record (services/milestones.py), at proposal, approval and execution.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from custody.domain.actor import Actor
from custody.domain.deadlines import unclaimed_due
from custody.domain.enums import (
    AgencyKind,
    AttachmentKind,
    CustodyState,
    DispositionKind,
    DispositionStatus,
    ExternalKind,
    ItemCategory,
    LocationState,
    Role,
)
from custody.domain.errors import Conflict, DomainError, InvalidInput, NotFound, must_exist
from custody.domain.i18n import N_
from custody.domain.items import check_items_confirmed
from custody.domain.lifecycle import (
    CaseOutcome,
    CounterpartyKind,
    DisposalFacts,
    DisposalGround,
    DispositionRecordStatus,
    ExternalWitness,
    Recipient,
    RecipientRelation,
    WitnessKind,
    check_disposal_ground,
    check_disposal_proposal,
    check_execution,
    check_external_witness,
    check_lot_proceeds,
    check_owner_consent,
    check_owner_recorded,
    check_recipient,
    check_witness,
    consent_required,
    default_ground,
    disposal_legal_basis,
    require_not_approver,
    require_not_requester,
    witness_disqualified,
)
from custody.domain.milestones import NOTICE_MONTHS
from custody.domain.money import LOT_RULE, AuctionLot, check_text, split_lot
from custody.domain.policy import Action
from custody.models.agency import Agency
from custody.models.audit import AuditEvent
from custody.models.case import Case
from custody.models.item import Item
from custody.models.lifecycle import Disposition, DispositionLine
from custody.models.oversight import (
    CaseClosure,
    CaseJudgment,
    PublicNotice,
    PublicNoticeLine,
    UnrelatedFinding,
)
from custody.models.user import User, UserRole
from custody.orm import utcnow
from custody.security import verify_password

from . import numbers
from .calendar import work_calendar
from .checkouts import (
    CounterpartyInput,
    Overview,
    first_refusal,
    new_counterparty,
    refuse_if,
    require_keeper_relation,
    require_on_items,
    single_case_and_custodian,
    users_by_id,
)
from .item_events import append_item_event, decision_opinions, item_snapshot, registration_data
from .items import personal_data_digest, require_documented
from .storage import acting_actor, facts
from .visibility import case_filter, lock_items

# What _disposal_facts reads of each item, loaded with the items.
DISPOSAL_FACTS = (selectinload(Item.attachments), joinedload(Item.seizure_list))


def _disposal_facts(item: Item, ground_facts: GroundFacts | None = None) -> DisposalFacts:
    ground_facts = ground_facts or GroundFacts()
    return DisposalFacts(
        facts=facts(item),
        category=item.category,
        is_perishable=item.is_perishable,
        ownership_clear=item.ownership_clear,
        has_photo=any(a.kind is AttachmentKind.PHOTO for a in item.attachments),
        is_valued=item.estimated_value_fen is not None,
        has_owner=_has_owner(item),
        has_holder=bool((item.seizure_list.holder_name or "").strip()),
        found_unrelated=item.id in ground_facts.unrelated,
        notice_period_over=item.id in ground_facts.notice_over,
    )


@dataclass(frozen=True)
class GroundFacts:
    """For a set of items: which were found unrelated to the case, and which have a public notice
    that ran its full period (6 months, or 1 year for a court-ordered return) unclaimed."""

    unrelated: frozenset[int] = frozenset()
    notice_over: frozenset[int] = frozenset()
    unrelated_doc: dict[int, str | None] = field(default_factory=dict)
    notice_no: dict[int, str] = field(default_factory=dict)


def ground_facts(session: Session, item_ids: list[int]) -> GroundFacts:
    findings = session.execute(
        select(UnrelatedFinding.item_id, UnrelatedFinding.decision_doc_no).where(
            UnrelatedFinding.item_id.in_(item_ids)
        )
    ).all()
    now = utcnow()
    calendar = work_calendar(session)
    over: dict[int, str] = {}
    for item_id, notice_no, published_on, basis in session.execute(
        select(
            PublicNoticeLine.item_id, PublicNotice.notice_no, PublicNotice.published_on, PublicNotice.basis
        )
        .join(PublicNotice, PublicNotice.id == PublicNoticeLine.notice_id)
        .where(PublicNoticeLine.item_id.in_(item_ids))
        .order_by(PublicNotice.id)
    ):
        # The same clock as the unclaimed-property alert: the period ends at its due time.
        if now > unclaimed_due(published_on, NOTICE_MONTHS[basis], calendar):
            over.setdefault(item_id, notice_no)
    return GroundFacts(
        unrelated=frozenset(row.item_id for row in findings),
        notice_over=frozenset(over),
        unrelated_doc={row.item_id: row.decision_doc_no for row in findings},
        notice_no=over,
    )


# What a disposal under a ground other than the judgment cites when no basis is typed.
CONTRABAND_BASIS = "《刑事诉讼法》第二百四十五条第一款（违禁品依照国家有关规定处理）"
UNRELATED_BASIS = "《刑事诉讼法》第一百四十五条（与案件无关，三日以内解除、退还）"


def _ground_basis(ground: DisposalGround | None, items: list[Item], facts_: GroundFacts) -> str | None:
    if ground is DisposalGround.UNRELATED:
        docs = {facts_.unrelated_doc.get(i.id) for i in items} - {None}
        return docs.pop() if len(docs) == 1 else UNRELATED_BASIS
    if ground is DisposalGround.UNCLAIMED:
        numbers_ = {facts_.notice_no.get(i.id) for i in items} - {None}
        return numbers_.pop() if len(numbers_) == 1 else None
    if ground is DisposalGround.CONTRABAND:
        return CONTRABAND_BASIS
    return None


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
        "ground": disposition.ground,
        "legal_basis": disposition.legal_basis,
        "notice_ref": disposition.notice_ref,
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
    ground: DisposalGround | None = None,
    notice_ref: str | None = None,
    ordered_recipient: str | None = None,
) -> Disposition:
    """Propose a disposal of items of one case held by one agency. An early sale may cover a whole
    lot (many items sold in one auction); a final disposal names its ground (the judgment by default,
    or unrelated / contraband / unclaimed before any judgment). ``ordered_recipient``: the person the
    judgment orders the items returned to (services/judgment_orders.py), who then stands for the
    recorded owner."""
    item_ids = list(dict.fromkeys(item_ids))
    if not item_ids:
        raise InvalidInput(
            N_("Choose at least one item."), fields={"item_ids": [N_("Choose at least one item.")]}
        )
    items = lock_items(session, actor, item_ids, load=DISPOSAL_FACTS)
    require_on_items(actor, Action.PROPOSE_DISPOSITION, items)
    case_id, custodian_id = single_case_and_custodian(items)
    outcome = case_outcome(session, case_id)
    ground = default_ground(kind, ground)
    grounds = ground_facts(session, item_ids)
    # A disposal under the judgment cites it; one the law orders before judgment cites its basis.
    legal_basis = disposal_legal_basis(kind, legal_basis, outcome, ground) or (
        _ground_basis(ground, items, grounds) if not (legal_basis or "").strip() else legal_basis
    )
    custodian = session.get(Agency, custodian_id)
    assert custodian is not None
    for item in items:
        item_facts = _disposal_facts(item, grounds)
        if ordered_recipient and ground is DisposalGround.JUDGMENT:
            item_facts = replace(item_facts, has_owner=True)
        check_disposal_proposal(
            kind,
            item_facts,
            legal_basis,
            reason,
            case=outcome,
            ground=ground,
            notice_ref=notice_ref,
        )
        require_documented(item)  # a valuable is photographed and valued before it is disposed of
    check_owner_consent(
        any(consent_required(kind, custodian.kind, item.category) for item in items), owner_consent
    )
    now = utcnow()
    disposition = Disposition(
        disposition_no=numbers.next_code(session, "CZ", actor.agency_code, now.year),
        case_id=case_id,
        custodian_agency_id=custodian_id,
        kind=kind,
        ground=ground,
        legal_basis=legal_basis,
        notice_ref=(notice_ref or "").strip() or None,
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
            data={**_common(disposition), "owner_consent": disposition.owner_consent},
        )
    return disposition


def _recheck_grounds(session: Session, disposition: Disposition, items: list[Item]) -> None:
    """The ground is checked again at approval and execution: the case may have moved, a finding or
    notice may be missing (proposals recorded before a rule must not slip through)."""
    outcome = case_outcome(session, disposition.case_id)
    grounds = ground_facts(session, [i.id for i in items])
    ordered = _ordered_recipient(session, disposition)
    for item in items:
        check_disposal_ground(disposition.kind, outcome, disposition.ground, _disposal_facts(item, grounds))
        check_owner_recorded(
            disposition.kind,
            _has_owner(item)
            or ordered is not None
            or (
                disposition.ground is DisposalGround.UNRELATED
                and bool((item.seizure_list.holder_name or "").strip())
            ),
        )


def _ordered_recipient(session: Session, disposition: Disposition) -> str | None:
    """The person the judgment orders this disposal's items returned to, if it was proposed from the
    judgment's orders (services/judgment_orders.py): the judgment decides who is entitled."""
    if disposition.ground is not DisposalGround.JUDGMENT:
        return None
    from . import judgment_orders  # it proposes through this module

    return judgment_orders.ordered_recipient(session, disposition.id)


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
    return disposition, lock_items(
        session, actor, [line.item_id for line in disposition.lines], load=DISPOSAL_FACTS
    )


def _require_status(disposition: Disposition, *allowed: DispositionRecordStatus) -> None:
    if disposition.status not in allowed:
        if disposition.status is DispositionRecordStatus.EXECUTED:
            raise Conflict(
                N_("This item has been disposed of and accepts no further action."), code="item.disposed"
            )
        raise Conflict(
            N_("Not possible in the disposal's current state."), code=f"disposition.not_{allowed[0].value}"
        )


def approval_action(kind: DispositionKind) -> Action:
    return Action.APPROVE_EARLY_SALE if kind is DispositionKind.EARLY_SALE else Action.APPROVE_DISPOSITION


def _require_refundable(disposition: Disposition) -> None:
    if not (
        disposition.status is DispositionRecordStatus.EXECUTED
        and disposition.kind is DispositionKind.CONFISCATE
        and disposition.ground is DisposalGround.UNCLAIMED
    ):
        raise Conflict(
            N_("Only a confiscation of unclaimed property can be refunded."),
            code="disposition.not_refundable",
        )
    if disposition.refund_doc_no:
        raise Conflict(N_("The refund is already recorded."), code="disposition.refunded")


# What can be done to a disposal, named as the API's endpoints name them.
DISPOSITION_ACTIONS = ("approve", "reject", "cancel", "execute", "refund")


def disposition_problem(
    actor: Actor, disposition: Disposition, action: str, items: list[Item] | None = None
) -> DomainError | None:
    """Why ``actor`` may not take ``action`` (one of ``DISPOSITION_ACTIONS``) on ``disposition`` now, or
    None: the refusal the step itself raises before it reads its inputs (the grounds, rechecked against
    the case's latest facts, come after). ``items``: the disposal's items (the step passes them locked)."""
    items = [line.item for line in disposition.lines] if items is None else items
    s = DispositionRecordStatus
    if action in ("approve", "reject"):
        # [LAW] An early sale is approved by the agency's head (主要负责人、院长、检察长), not any approver.
        return first_refusal(
            lambda: require_on_items(actor, approval_action(disposition.kind), items),
            lambda: _require_status(disposition, s.PROPOSED),
            lambda: require_not_requester(disposition.proposed_by_id, actor.user_id),
        )
    if action == "cancel":
        return first_refusal(
            lambda: require_on_items(actor, Action.PROPOSE_DISPOSITION, items),
            lambda: _require_status(disposition, s.PROPOSED, s.APPROVED),
        )
    if action == "execute":
        return first_refusal(
            lambda: require_keeper_relation(actor, Action.EXECUTE_DISPOSITION, items),
            lambda: _require_status(disposition, s.APPROVED),
            lambda: require_not_approver(disposition.approved_by_id, actor.user_id),
        )
    if action == "refund":
        return first_refusal(
            lambda: require_on_items(actor, Action.PROPOSE_DISPOSITION, items),
            lambda: _require_refundable(disposition),
        )
    raise ValueError(action)


def disposition_actions(actor: Actor, disposition: Disposition) -> list[str]:
    """The actions ``actor`` may take on ``disposition`` now (``DISPOSITION_ACTIONS``, in that order)."""
    items = [line.item for line in disposition.lines]
    return [a for a in DISPOSITION_ACTIONS if disposition_problem(actor, disposition, a, items) is None]


def decide_disposition(
    session: Session, actor: Actor, disposition_id: int, *, approve: bool, reason: str | None = None
) -> Disposition:
    disposition, items = _locked(session, actor, disposition_id)
    refuse_if(disposition_problem(actor, disposition, "approve" if approve else "reject", items))
    reason = (reason or "").strip() or None
    if not approve and not reason:
        raise InvalidInput(N_("Give a reason for rejecting."), fields={"reason": [N_("Required.")]})
    if approve:
        _recheck_grounds(session, disposition, items)
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
    if not approve:
        _orders_follow(session, actor, disposition)
    return disposition


def _orders_follow(session: Session, actor: Actor, disposition: Disposition) -> None:
    """The judgment's orders a disposal was proposed from follow it (services/judgment_orders.py)."""
    from . import judgment_orders  # it proposes through this module

    judgment_orders.disposition_changed(session, actor, disposition)


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


def _admin_ids(session: Session) -> set[int]:
    return set(session.scalars(select(UserRole.user_id).where(UserRole.role == Role.ADMIN)))


def eligible_witnesses(session: Session, actor: Actor, disposition_id: int) -> list[User]:
    """The users who may witness this destruction if ``actor`` executes it: active users appearing
    nowhere in the items' chain of custody, not the executor, never an administrator — the same rule
    ``execute_disposition`` checks (``_witness`` + ``check_witness``), so the execute form's list and
    the check agree. An external witness (recorded by name and ID) is the other way."""
    disposition = get_disposition(session, actor, disposition_id)
    items = [line.item for line in disposition.lines]
    require_keeper_relation(actor, Action.EXECUTE_DISPOSITION, items)
    excluded = _disqualified_witnesses(session, actor, items) | _admin_ids(session)
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


def _user_witness(
    session: Session, actor: Actor, items: list[Item], username: str | None, password: str | None
) -> User:
    """A system user outside the chain of custody, who confirms with their own password at the
    keeper's terminal: the record shows they were there, not only that the keeper named them."""
    user = _witness(session, username)
    check_witness(
        user.id if user else None,
        _disqualified_witnesses(session, actor, items),
        is_admin=bool(user and Role.ADMIN in user.roles),
    )
    assert user is not None
    if not password or not verify_password(user.password_hash, password):
        raise InvalidInput(
            N_("The witness must confirm with their own password."),
            code="witness.password",
            fields={"witness_password": [N_("Wrong password.")]},
        )
    return user


def _staff_names(session: Session, agency_id: int) -> frozenset[str]:
    """[LAW] 程序规定 234 ¶2: police staff may not collect returned property for others."""
    agency = session.get(Agency, agency_id)
    if agency is None or agency.kind is not AgencyKind.POLICE:
        return frozenset()
    return frozenset(
        "".join(name.split())
        for name in session.scalars(select(User.display_name).where(User.agency_id == agency_id))
    )


def _proceeds_place(items: list[Item]) -> str:
    """[LAW] 程序规定 246 / 检察院规则 214: the price of sold securities stays frozen in the matching
    account; other proceeds go to the dedicated case-money account (涉案款专户)."""
    accounts = {
        (i.details.get("institution"), i.details.get("account_no"))
        for i in items
        if i.category is ItemCategory.SECURITIES
    }
    if len(accounts) == 1 and len(items) == sum(i.category is ItemCategory.SECURITIES for i in items):
        institution, account_no = accounts.pop()
        return f"{institution} {account_no}（原账户，继续冻结）"
    return "涉案款专户"


def _lot_data(disposition: Disposition, item: Item) -> dict[str, Any]:
    """The auction lot in an item's event: the buyer only as a salted commitment (the name stays on
    the disposal row), like a return's recipient [DESIGN]."""
    return {
        "auction_ref": disposition.lot_auction_ref,
        "split": disposition.lot_split,
        "rule": LOT_RULE,
        "total_fen": disposition.lot_proceeds_fen,
        "buyer_sha256": personal_data_digest(item.personal_data_salt, disposition.lot_buyer or ""),
    }


def _proceeds_entry(
    session: Session,
    actor: Actor,
    items: list[Item],
    disposition: Disposition,
    proceeds_fen: int,
    receipt_no: str,
) -> Item:
    """The sale money, as one case-money entry in the items' place: for a lot, one entry for the
    whole lot (each line points at it; the lines may carry the items' own prices)."""
    now = utcnow()
    first = items[0]
    place = _proceeds_place(items)
    name = (
        f"{first.name}（先行处置变卖款）"
        if len(items) == 1
        else f"{first.name}等{len(items)}件（先行处置变卖款，批次{disposition.disposition_no}）"
    )
    owners = {(i.owner_name, i.owner_id_no, i.owner_contact) for i in items}
    owner = owners.pop() if len(owners) == 1 else (None, None, None)
    entry = Item(
        label_code=numbers.label_code(
            session, first.custodian_agency.code, now.year
        ),  # the custodian's series
        case_id=first.case_id,
        seizure_list_id=first.seizure_list_id,
        source_item=first if len(items) == 1 else None,
        name=name,
        category=ItemCategory.CASH,
        quantity=1,
        unit="笔",
        estimated_value_fen=proceeds_fen,
        details={"amount_fen": proceeds_fen, "account": place},
        owner_name=owner[0],
        owner_id_no=owner[1],
        owner_contact=owner[2],
        ownership_clear=all(i.ownership_clear for i in items),
        measure=first.measure,
        measure_doc_no=first.measure_doc_no,
        measure_date=first.measure_date,
        seized_at=first.seized_at,
        seized_by_id=first.seized_by_id,
        custodian_agency_id=first.custodian_agency_id,
        custody_state=CustodyState.HELD,
        location_state=LocationState.EXTERNAL,
        external_kind=ExternalKind.BANK,
        external_place=place,
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
            **registration_data(entry),
            "source_label_code": first.label_code if len(items) == 1 else None,
            "source_item_ids": [i.id for i in items],
            **_common(disposition),
            "receipt_no": receipt_no,
            **({"lot": _lot_data(disposition, entry)} if disposition.lot_auction_ref else {}),
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
    witness_password: str | None = None,
    external_witness: ExternalWitness | None = None,
    proceeds_fen: int | None = None,
    line_proceeds: Mapping[int, int] | None = None,
    recipient: Recipient | None = None,
    lot: AuctionLot | None = None,
    confirmed_item_ids: Iterable[int] | None = None,
) -> Disposition:
    """执行 — the keeper carries out an approved disposal and records the execution receipt. With
    ``confirmed_item_ids`` (the page always sends it) every item must have been confirmed in hand,
    scanned or ticked (``domain/items.check_items_confirmed``; 422 ``items.unconfirmed``).

    Destruction needs a witness: a user outside the chain of custody confirming with their password
    (``witness`` + ``witness_password``), or an external person (``external_witness``). An early
    sale records its proceeds (a lot's total; ``line_proceeds`` optionally each item's price).

    An auction ``lot`` (reference and buyer) sells the items together for ``proceeds_fen``: each
    item's part is the auction's own price (``line_proceeds``) or, without one, the total split by
    appraised value (``domain/money.split_lot``)."""
    disposition, items = _locked(session, actor, disposition_id)
    refuse_if(disposition_problem(actor, disposition, "execute", items))
    acting = {item.id: acting_actor(session, actor, item) for item in items}
    kind = disposition.kind
    _recheck_grounds(session, disposition, items)
    check_execution(kind, receipt_no, proceeds_fen)
    per_item, lot_fields = _sale_terms(kind, items, proceeds_fen, line_proceeds, lot)
    witness_user = _record_witness(
        session,
        actor,
        disposition,
        items,
        witness=witness,
        password=witness_password,
        external=external_witness,
    )
    witness_data: dict[str, Any] | None = None
    if kind in (DispositionKind.RETURN_TO_OWNER, DispositionKind.PRETRIAL_RETURN):
        _record_recipient(session, disposition, items, recipient)
    # the items in hand, confirmed last: every other refusal is said first, with the form kept
    check_items_confirmed([item.id for item in items], confirmed_item_ids)
    now = utcnow()
    disposition.status = DispositionRecordStatus.EXECUTED
    disposition.executed_by_id = actor.user_id
    disposition.executed_at = now
    disposition.receipt_no = receipt_no.strip()
    disposition.witness_user_id = witness_user.id if witness_user else None
    if witness_user:
        witness_data = {
            "kind": WitnessKind.USER,
            "user_id": witness_user.id,
            "username": witness_user.username,
            "display_name": witness_user.display_name,
            "agency": witness_user.agency.name,
            "confirmed_by_password": True,
        }
    lines = {line.item_id: line for line in disposition.lines}
    entry = None
    if kind is DispositionKind.EARLY_SALE:
        disposition.lot_proceeds_fen = proceeds_fen
        if lot_fields is not None:
            disposition.lot_auction_ref = lot_fields["auction_ref"]
            disposition.lot_buyer = lot_fields["buyer"]
            disposition.lot_split = lot_fields["split"]
        entry = _proceeds_entry(
            session, acting[items[0].id], items, disposition, proceeds_fen or 0, disposition.receipt_no
        )
    for item in items:
        before = item_snapshot(item)
        item.disposition_status = DispositionStatus.EXECUTED
        item.disposition_kind = kind
        item.location_state = LocationState.GONE
        item.storage_location = None
        data: dict[str, Any] = {**_common(disposition), "receipt_no": disposition.receipt_no}
        if confirmed_item_ids is not None:
            data["items_confirmed"] = True
        data.update(_who_was_there(disposition, item, witness_data))
        if entry is not None:
            line_price = per_item.get(item.id, proceeds_fen if len(items) == 1 else None)
            lines[item.id].proceeds_fen = line_price
            lines[item.id].proceeds_item_id = entry.id
            data.update(
                proceeds_fen=line_price,
                lot_proceeds_fen=proceeds_fen,
                lot_size=len(items),
                proceeds_item_id=entry.id,
                proceeds_label_code=entry.label_code,
            )
            if lot_fields is not None:
                data["lot"] = _lot_data(disposition, item)
        append_item_event(
            session, item, acting[item.id], "disposition.execute", before=before, occurred_at=now, data=data
        )
    _orders_follow(session, actor, disposition)
    return disposition


def _sale_terms(
    kind: DispositionKind,
    items: list[Item],
    proceeds_fen: int | None,
    line_proceeds: Mapping[int, int] | None,
    lot: AuctionLot | None,
) -> tuple[dict[int, int], dict[str, Any] | None]:
    """An early sale's price per item and, for an auction lot, its reference, buyer and split;
    proceeds and lots belong to a sale only."""
    per_item = dict(line_proceeds or {})
    lot_fields: dict[str, Any] | None = None
    if lot is not None:
        if kind is not DispositionKind.EARLY_SALE:
            raise InvalidInput(
                N_("Only a sale is sold as an auction lot."), fields={"auction_ref": [N_("Not applicable.")]}
            )
        lot_fields = check_text({"auction_ref": (lot.reference, 64, True), "buyer": (lot.buyer, 200, True)})
        split, per_item = split_lot(
            proceeds_fen or 0, {i.id: i.estimated_value_fen for i in items}, per_item or None
        )
        lot_fields["split"] = split
    elif kind is DispositionKind.EARLY_SALE:
        check_lot_proceeds([i.id for i in items], proceeds_fen or 0, per_item)
    elif per_item:
        raise InvalidInput(
            N_("Proceeds apply only to an early sale."), fields={"line_proceeds": [N_("Not applicable.")]}
        )
    return per_item, lot_fields


def _record_witness(
    session: Session,
    actor: Actor,
    disposition: Disposition,
    items: list[Item],
    *,
    witness: str | None,
    password: str | None,
    external: ExternalWitness | None,
) -> User | None:
    """A destruction's witness: an external person (recorded as a counterparty), else a user outside
    the chain of custody confirming with their password (returned). Only a destruction has one."""
    kind = disposition.kind
    witness_user = None
    if kind is DispositionKind.DESTROY:
        if external is not None:
            check_external_witness(external)
            disposition.witness_kind = external.kind
            disposition.witness_counterparty = new_counterparty(
                session,
                CounterpartyInput(
                    name=external.name.strip(),
                    kind=CounterpartyKind.PERSON
                    if external.kind is WitnessKind.CITIZEN
                    else CounterpartyKind.AUTHORITY,
                    organisation=(external.organisation or "").strip() or None,
                    id_no=external.id_no.strip(),
                ),
            )
        else:
            witness_user = _user_witness(session, actor, items, witness, password)
            disposition.witness_kind = WitnessKind.USER
    elif witness or external:
        raise InvalidInput(
            N_("Only a destruction has a witness."), fields={"witness": [N_("Not applicable.")]}
        )
    return witness_user


def _record_recipient(
    session: Session, disposition: Disposition, items: list[Item], recipient: Recipient | None
) -> None:
    """A return's recipient: checked against the owner (or the judgment's named recipient) and kept
    on a counterparty row of its own, outside the permanent record."""
    staff = _staff_names(session, disposition.custodian_agency_id)
    ordered = _ordered_recipient(session, disposition)
    for item in items:
        check_recipient(
            recipient,
            ordered or item.owner_name,
            None if ordered and ordered != (item.owner_name or "").strip() else item.owner_id_no,
            holder_name=item.seizure_list.holder_name,
            unrelated=disposition.ground is DisposalGround.UNRELATED,
            staff_names=staff,
        )
    recipient = must_exist(recipient, "the recipient")  # check_recipient refused a missing one
    disposition.recipient = new_counterparty(
        session,
        CounterpartyInput(
            name=recipient.name,
            kind=CounterpartyKind.PERSON,
            id_no=recipient.id_no,
            organisation=(recipient.organisation or "").strip() or None,
        ),
    )
    disposition.recipient_relation = recipient.kind
    disposition.recipient_is_agent = recipient.kind is RecipientRelation.AGENT
    disposition.authorisation_ref = (recipient.authorisation_ref or "").strip() or None


def _who_was_there(
    disposition: Disposition, item: Item, witness_data: dict[str, Any] | None
) -> dict[str, Any]:
    """The witness and the recipient, as the item's permanent record holds them (no personal data
    in clear)."""
    data: dict[str, Any] = {}
    if witness_data:
        data["witness"] = witness_data
    elif disposition.witness_counterparty is not None:
        # An external witness: kind and organisation in the record, the person only as a
        # salted commitment (name and ID number stay on the counterparty row).
        person = disposition.witness_counterparty
        data["witness"] = {
            "kind": disposition.witness_kind,
            "organisation": person.organisation,
            "person_sha256": personal_data_digest(item.personal_data_salt, [person.name, person.id_no]),
        }
    if disposition.recipient:
        # The permanent record holds no personal data in clear: only a salted commitment to the
        # recipient's name (the salt stays on the item row); the name itself is on the
        # Disposition's Counterparty row, which is not part of the ledger.
        data["recipient"] = {
            "relation": disposition.recipient_relation,
            "is_agent": disposition.recipient_is_agent,
            "authorisation_ref": disposition.authorisation_ref,
            "name_sha256": personal_data_digest(item.personal_data_salt, disposition.recipient.name),
        }
    return data


def record_refund(
    session: Session, actor: Actor, disposition_id: int, *, doc_no: str, reason: str | None = None
) -> Disposition:
    """退库 — confiscated unclaimed property whose owner later came forward and was verified: the
    refund from the treasury is recorded on the confiscation (2021解释 445 ¶3)."""
    disposition, items = _locked(session, actor, disposition_id)
    refuse_if(disposition_problem(actor, disposition, "refund", items))
    doc = (doc_no or "").strip()
    if not doc or len(doc) > 64:
        raise InvalidInput(N_("Record the refund document number."), fields={"doc_no": [N_("Required.")]})
    disposition.refund_doc_no = doc
    disposition.refunded_at = utcnow()
    disposition.refunded_by_id = actor.user_id
    for item in items:
        append_item_event(
            session,
            item,
            actor,
            "disposition.refund",
            reason=(reason or "").strip() or None,
            data={**_common(disposition), "refund_doc_no": doc},
        )
    return disposition


def cancel_disposition(
    session: Session, actor: Actor, disposition_id: int, reason: str | None = None
) -> Disposition:
    disposition, items = _locked(session, actor, disposition_id)
    refuse_if(disposition_problem(actor, disposition, "cancel", items))
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
    _orders_follow(session, actor, disposition)
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


def disposition_overview(session: Session, actor: Actor, disposition_id: int) -> Overview:
    """The disposal, the refusal each action would meet now, the people it names, the approver's
    opinion, and (``related``) the case-money entries an early sale's items became."""
    disposition = get_disposition(session, actor, disposition_id)
    items = [line.item for line in disposition.lines]
    problems = {a: disposition_problem(actor, disposition, a, items) for a in DISPOSITION_ACTIONS}
    people = users_by_id(
        session,
        disposition.proposed_by_id,
        disposition.approved_by_id,
        disposition.executed_by_id,
        disposition.witness_user_id,
    )
    proceeds = [line.proceeds_item_id for line in disposition.lines if line.proceeds_item_id]
    related = (
        {item.id: item for item in session.scalars(select(Item).where(Item.id.in_(proceeds)))}
        if proceeds
        else {}
    )
    return Overview(disposition, problems, people, approval_opinion(session, disposition), related)


RETURN_KINDS = (DispositionKind.PRETRIAL_RETURN, DispositionKind.RETURN_TO_OWNER)
# The kinds whose execution has no printed record of its own (a return has its 发还清单, a destruction
# its 销毁记录): confiscation, hand-over to the competent authority, early sale [DESIGN].
EXECUTION_RECORD_KINDS = (DispositionKind.CONFISCATE, DispositionKind.HAND_OVER, DispositionKind.EARLY_SALE)
# Each printed document of a disposal: the kinds it exists for, and the refusal otherwise. All are
# printed once the disposal is approved (to take along and sign) or executed.
DOCUMENTS: dict[str, tuple[tuple[DispositionKind, ...], str, str]] = {
    "return_list": (
        RETURN_KINDS,
        N_("A return list exists only for an approved or executed return to the owner."),
        "disposition.no_return_list",
    ),
    "destruction_record": (
        (DispositionKind.DESTROY,),
        N_("A destruction record exists only for an approved or executed destruction."),
        "disposition.no_destruction_record",
    ),
    "execution_record": (
        EXECUTION_RECORD_KINDS,
        N_(
            "An execution record exists only for an approved or executed confiscation, hand-over "
            "or early sale."
        ),
        "disposition.no_execution_record",
    ),
}


def document_problem(disposition: Disposition, document: str) -> DomainError | None:
    """Why ``document`` (one of ``DOCUMENTS``) cannot be printed for ``disposition``, or None."""
    kinds, message, code = DOCUMENTS[document]
    if disposition.kind in kinds and disposition.status in (
        DispositionRecordStatus.APPROVED,
        DispositionRecordStatus.EXECUTED,
    ):
        return None
    return Conflict(message, code=code)


def approval_opinion(session: Session, disposition: Disposition) -> str | None:
    """审批意见 — what the approver wrote when deciding the disposal (approved or not), if anything."""
    if not disposition.lines or disposition.approved_at is None:
        return None
    decisions = decision_opinions(
        session,
        disposition.lines[0].item_id,
        ("disposition.approve", "disposition.reject"),
        "disposition_id",
        disposition.id,
    )
    return decisions[-1].reason if decisions else disposition.rejected_reason
