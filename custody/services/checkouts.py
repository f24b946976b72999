"""调用/归还 — check-out for a legal purpose and return, with approval, release and extensions.

request (officer of the custodian agency) → approve (an approver of that agency, not the requester)
→ release (keeper: items leave storage to the named person) → return (keeper: condition checked,
discrepancies recorded). Extensions are requested and approved the same way, only while the
check-out runs: returning everything or cancelling closes a pending request. Every step after the
request refuses once an item's custody has moved to another agency (the approval was given by the
old custodian): request again. Lock order: the check-out row, then its items by id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from custody.domain.actor import Actor
from custody.domain.enums import LocationState
from custody.domain.errors import Conflict, DomainError, InvalidInput, NotFound, must_exist
from custody.domain.i18n import N_
from custody.domain.items import check_items_confirmed, external_state
from custody.domain.lifecycle import (
    CheckoutPurpose,
    CheckoutStatus,
    CounterpartyKind,
    Discrepancy,
    ExtensionStatus,
    RecordLine,
    check_checkout_item,
    check_due,
    check_one_case_and_custodian,
    check_purpose,
    check_released_to,
    require_checkout_status,
    require_not_approver,
    require_not_requester,
)
from custody.domain.policy import Action, require
from custody.models.item import Item
from custody.models.lifecycle import Checkout, CheckoutExtension, CheckoutLine, Counterparty
from custody.models.user import User
from custody.orm import utcnow

from . import numbers
from .accounts import users_by_id
from .item_events import append_item_event, decision_opinions, item_snapshot
from .items import ItemQuery, items_query
from .storage import acting_actor, custodian_relations, facts, keeper_relations, require_keeper
from .visibility import case_filter, lock_items


@dataclass(frozen=True)
class CounterpartyInput:
    name: str
    kind: CounterpartyKind = CounterpartyKind.PERSON
    organisation: str | None = None
    id_no: str | None = None
    contact: str | None = None


def new_counterparty(session: Session, data: CounterpartyInput) -> Counterparty:
    if not data.name.strip():
        raise InvalidInput(N_("Name the counterparty."), fields={"counterparty.name": [N_("Required.")]})
    counterparty = Counterparty(
        kind=data.kind,
        name=data.name.strip(),
        organisation=data.organisation,
        id_no=data.id_no,
        contact=data.contact,
    )
    session.add(counterparty)
    session.flush()
    return counterparty


def require_on_items(actor: Actor, action: Action, items: Iterable[Item]) -> None:
    for item in items:
        require(actor, action, custodian_relations(actor, item))


def require_keeper_relation(actor: Actor, action: Action, items: Iterable[Item]) -> None:
    """Keeper work on each item is allowed (custodian's keeper, or the operator's of its centre); unlike
    ``require_keeper_on_items`` it records nothing, so pages and the API may ask it."""
    for item in items:
        require(actor, action, keeper_relations(actor, item))


def first_refusal(*checks: Callable[[], object]) -> DomainError | None:
    """The refusal of the first of ``checks`` (rules that raise) that refuses, or None: a page or the
    API asks the rule the step itself applies instead of restating it."""
    for check in checks:
        try:
            check()
        except DomainError as refusal:
            return refusal
    return None


def refuse_if(refusal: DomainError | None) -> None:
    if refusal is not None:
        raise refusal


def require_keeper_on_items(
    session: Session, actor: Actor, action: Action, items: Iterable[Item]
) -> dict[int, Actor]:
    """Keeper work on each item: its custodian's keeper, or a keeper of the operator of the centre it
    is in (acting for its custodian). The actor to record each item's event with, by item id."""
    return {item.id: require_keeper(session, actor, action, item) for item in items}


def single_case_and_custodian(items: list[Item], agency_id: int = 0) -> tuple[int, int]:
    """Workflow records cover items of one case held by one agency; a refusal names the items that do
    not belong (domain/lifecycle.out_of_place_lines, seen from ``agency_id``)."""
    return check_one_case_and_custodian(
        [RecordLine(item.id, item.case_id, item.custodian_agency_id) for item in items], agency_id
    )


# What can be done to a check-out, named as the API's endpoints name them.
CHECKOUT_ACTIONS = (
    "approve",
    "reject",
    "cancel",
    "release",
    "return",
    "extend",
    "approve_extension",
    "reject_extension",
)


def pending_extension(checkout: Checkout) -> CheckoutExtension | None:
    return next((e for e in checkout.extensions if e.status is ExtensionStatus.REQUESTED), None)


def _require_extension_pending(checkout: Checkout) -> None:
    if checkout.status not in (CheckoutStatus.APPROVED, CheckoutStatus.RELEASED):
        raise Conflict(
            N_("The check-out is over; its extension request can no longer be decided."),
            code="checkout.closed",
        )
    if pending_extension(checkout) is None:
        raise Conflict(N_("No extension request is waiting for a decision."), code="checkout.no_extension")


def _require_no_extension_pending(checkout: Checkout) -> None:
    if pending_extension(checkout) is not None:
        raise Conflict(
            N_("An extension request is already waiting for a decision."), code="checkout.extension_pending"
        )


def checkout_problem(
    actor: Actor, checkout: Checkout, action: str, items: list[Item] | None = None
) -> DomainError | None:
    """Why ``actor`` may not take ``action`` (one of ``CHECKOUT_ACTIONS``) on ``checkout`` now, or None:
    the refusal the step itself raises before it reads its inputs. ``items``: the check-out's items
    (the step passes them locked)."""
    items = [line.item for line in checkout.lines] if items is None else items
    s = CheckoutStatus
    if action in ("approve", "reject"):
        return first_refusal(
            lambda: _ensure_custody_unchanged(checkout, items),
            lambda: require_on_items(actor, Action.APPROVE_CHECKOUT, items),
            lambda: require_checkout_status(checkout.status, s.REQUESTED),
            lambda: require_not_requester(checkout.requested_by_id, actor.user_id),
        )
    if action == "cancel":
        return first_refusal(
            lambda: require_on_items(actor, Action.REQUEST_CHECKOUT, items),
            lambda: require_checkout_status(checkout.status, s.REQUESTED, s.APPROVED),
        )
    if action == "release":
        return first_refusal(
            lambda: _ensure_custody_unchanged(checkout, items),
            lambda: require_keeper_relation(actor, Action.RELEASE_ITEM, items),
            lambda: require_checkout_status(checkout.status, s.APPROVED),
            lambda: require_not_approver(checkout.approved_by_id, actor.user_id),
        )
    if action == "return":
        # No custody check: an item out for appraisal comes back to the keeper of whoever holds it now.
        out = {line.item_id for line in checkout.lines if line.returned_at is None}
        return first_refusal(
            lambda: require_checkout_status(checkout.status, s.RELEASED),
            lambda: require_keeper_relation(actor, Action.RETURN_ITEM, [i for i in items if i.id in out]),
        )
    if action == "extend":
        return first_refusal(
            lambda: _ensure_custody_unchanged(checkout, items),
            lambda: require_on_items(actor, Action.REQUEST_CHECKOUT, items),
            lambda: require_checkout_status(checkout.status, s.RELEASED, s.APPROVED),
            lambda: _require_no_extension_pending(checkout),
        )
    if action in ("approve_extension", "reject_extension"):
        return first_refusal(
            lambda: _ensure_custody_unchanged(checkout, items),
            lambda: require_on_items(actor, Action.APPROVE_CHECKOUT, items),
            lambda: _require_extension_pending(checkout),
            lambda: require_not_requester(
                must_exist(pending_extension(checkout), "the extension").requested_by_id, actor.user_id
            ),
        )
    raise ValueError(action)


def offered_problem(
    actor: Actor, checkout: Checkout, action: str, items: list[Item] | None = None
) -> DomainError | None:
    """Whether a page or the API offers ``action`` to ``actor``: ``checkout_problem``, except that a
    return is offered when ``actor`` may take back at least one item still out (custody of a
    check-out's items may have split since, by a partly accepted transfer: each holder's keeper takes
    back their own)."""
    items = [line.item for line in checkout.lines] if items is None else items
    problem = checkout_problem(actor, checkout, action, items)
    if action == "return" and problem is not None:
        out = {line.item_id for line in checkout.lines if line.returned_at is None}
        if any(checkout_problem(actor, checkout, action, [i]) is None for i in items if i.id in out):
            return None
    return problem


def returnable_item_ids(actor: Actor, checkout: Checkout) -> list[int]:
    """The items still out that ``actor`` may take back (their holder's keeper)."""
    return [
        line.item_id
        for line in checkout.lines
        if line.returned_at is None and checkout_problem(actor, checkout, "return", [line.item]) is None
    ]


def checkout_actions(actor: Actor, checkout: Checkout) -> list[str]:
    """The actions ``actor`` may take on ``checkout`` now (``CHECKOUT_ACTIONS``, in that order)."""
    items = [line.item for line in checkout.lines]
    return [a for a in CHECKOUT_ACTIONS if offered_problem(actor, checkout, a, items) is None]


def _checkout_common(checkout: Checkout) -> dict[str, Any]:
    return {"checkout_id": checkout.id, "checkout_no": checkout.checkout_no}


def _ensure_custody_unchanged(checkout: Checkout, items: Iterable[Item]) -> None:
    """The check-out was requested and approved by its custodian agency; once an item is held by
    another agency, that approval does not bind the new custodian."""
    if any(item.custodian_agency_id != checkout.custodian_agency_id for item in items):
        raise Conflict(
            N_(
                "Custody of the items has moved to another agency since this check-out was requested; "
                "the new custodian must request a check-out of its own."
            ),
            code="checkout.custody_moved",
        )


# Stored as the decision reason of an extension request closed by the system, shown as written.
EXTENSION_CLOSED_RETURNED = "调用物品已全部归还，延期申请自动失效"
EXTENSION_CLOSED_CANCELLED = "调用已取消，延期申请自动失效"


def _close_pending_extensions(
    session: Session, checkout: Checkout, items: Iterable[Item], reason: str
) -> None:
    """The check-out is over: a pending extension request is rejected by the system, not left to be
    approved afterwards. The caller holds the check-out's and the items' locks."""
    now = utcnow()
    for extension in checkout.extensions:
        if extension.status is not ExtensionStatus.REQUESTED:
            continue
        extension.status = ExtensionStatus.REJECTED
        extension.decided_by_id = None
        extension.decided_at = now
        extension.decision_reason = reason
        for item in items:
            append_item_event(
                session,
                item,
                None,
                "checkout.extension_reject",
                reason=reason,
                occurred_at=now,
                data={
                    **_checkout_common(checkout),
                    "due_at": checkout.due_at,
                    "automatic": True,
                    "extension_id": extension.id,
                },
            )


def request_checkout(
    session: Session,
    actor: Actor,
    *,
    item_ids: Iterable[int],
    purpose: CheckoutPurpose,
    counterparty: CounterpartyInput,
    due_at: datetime,
    note: str | None = None,
) -> Checkout:
    item_ids = list(dict.fromkeys(item_ids))
    if not item_ids:
        raise InvalidInput(
            N_("Choose at least one item."), fields={"item_ids": [N_("Choose at least one item.")]}
        )
    now = utcnow()
    check_due(due_at, now)
    check_purpose(purpose, note)
    items = lock_items(session, actor, item_ids)
    # One case, one custodian first: a mixed request is refused naming its offending lines.
    case_id, custodian_id = single_case_and_custodian(items, actor.agency_id)
    require_on_items(actor, Action.REQUEST_CHECKOUT, items)
    for item in items:
        check_checkout_item(facts(item))
    checkout = Checkout(
        checkout_no=numbers.next_code(session, "DY", actor.agency_code, now.year),
        case_id=case_id,
        custodian_agency_id=custodian_id,
        purpose=purpose,
        counterparty=new_counterparty(session, counterparty),
        due_at=due_at,
        status=CheckoutStatus.REQUESTED,
        note=(note or "").strip() or None,
        requested_by_id=actor.user_id,
        lines=[CheckoutLine(item_id=item.id) for item in items],
    )
    session.add(checkout)
    session.flush()
    for item in items:
        append_item_event(
            session,
            item,
            actor,
            "checkout.request",
            data={
                **_checkout_common(checkout),
                "purpose": purpose,
                "counterparty": checkout.counterparty.name,
                "due_at": due_at,
            },
        )
    return checkout


def _locked_checkout(session: Session, actor: Actor, checkout_id: int) -> Checkout:
    checkout = session.scalar(
        select(Checkout)
        .where(Checkout.id == checkout_id, Checkout.case_id.in_(_visible_case_ids(actor)))
        .with_for_update(of=Checkout)
        .execution_options(populate_existing=True)
    )
    if checkout is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.checkout")
    return checkout


def _visible_case_ids(actor: Actor):
    from custody.models.case import Case

    return select(Case.id).where(case_filter(actor))


def _items_of(
    session: Session, actor: Actor, checkout: Checkout, item_ids: Iterable[int] | None = None
) -> list[Item]:
    wanted = [line.item_id for line in checkout.lines if item_ids is None or line.item_id in set(item_ids)]
    return lock_items(session, actor, wanted)


def decide_checkout(
    session: Session, actor: Actor, checkout_id: int, *, approve: bool, reason: str | None = None
) -> Checkout:
    """审批 — an approver of the custodian agency, never the requester."""
    checkout = _locked_checkout(session, actor, checkout_id)
    items = _items_of(session, actor, checkout)
    refuse_if(checkout_problem(actor, checkout, "approve" if approve else "reject", items))
    reason = (reason or "").strip() or None
    if not approve and not reason:
        raise InvalidInput(N_("Give a reason for rejecting."), fields={"reason": [N_("Required.")]})
    checkout.approved_by_id = actor.user_id
    checkout.approved_at = utcnow()
    checkout.status = CheckoutStatus.APPROVED if approve else CheckoutStatus.REJECTED
    checkout.rejected_reason = None if approve else reason
    for item in items:
        append_item_event(
            session,
            item,
            actor,
            "checkout.approve" if approve else "checkout.reject",
            reason=reason,
            data=_checkout_common(checkout),
        )
    return checkout


def cancel_checkout(session: Session, actor: Actor, checkout_id: int, reason: str | None = None) -> Checkout:
    """The requester (or a colleague of the custodian agency) withdraws it before release."""
    checkout = _locked_checkout(session, actor, checkout_id)
    items = _items_of(session, actor, checkout)
    refuse_if(checkout_problem(actor, checkout, "cancel", items))
    checkout.status = CheckoutStatus.CANCELLED
    for item in items:
        append_item_event(
            session, item, actor, "checkout.cancel", reason=reason, data=_checkout_common(checkout)
        )
    _close_pending_extensions(session, checkout, items, EXTENSION_CLOSED_CANCELLED)
    return checkout


def release_checkout(
    session: Session,
    actor: Actor,
    checkout_id: int,
    *,
    released_to: str | None = None,
    confirmed_item_ids: Iterable[int] | None = None,
) -> Checkout:
    """出库 — the keeper hands approved items to the person registered on the check-out (``released_to``,
    when given, must name that person); they leave storage. With ``confirmed_item_ids`` (the page
    always sends it) every item must have been confirmed in hand, scanned or ticked
    (``domain/items.check_items_confirmed``; 422 ``items.unconfirmed``)."""
    checkout = _locked_checkout(session, actor, checkout_id)
    items = _items_of(session, actor, checkout)
    refuse_if(checkout_problem(actor, checkout, "release", items))
    acting = {item.id: acting_actor(session, actor, item) for item in items}
    for item in items:
        check_checkout_item(facts(item), releasing=True)
    recipient = check_released_to(released_to, checkout.counterparty.name)
    check_items_confirmed([item.id for item in items], confirmed_item_ids)  # last: other refusals first
    now = utcnow()
    checkout.status = CheckoutStatus.RELEASED
    checkout.released_by_id = actor.user_id
    checkout.released_at = now
    checkout.released_to = recipient
    for item in items:
        before = item_snapshot(item)
        item.location_state = LocationState.CHECKED_OUT  # its storage location stays: it comes back there
        append_item_event(
            session,
            item,
            acting[item.id],
            "item.release",
            before=before,
            occurred_at=now,
            data={
                **_checkout_common(checkout),
                "released_to": checkout.released_to,
                "due_at": checkout.due_at,
                "purpose": checkout.purpose,
                **({"items_confirmed": True} if confirmed_item_ids is not None else {}),
            },
        )
    return checkout


def return_items(
    session: Session,
    actor: Actor,
    checkout_id: int,
    *,
    condition: str,
    item_ids: Iterable[int] | None = None,
    discrepancy: Discrepancy | None = None,
    discrepancy_note: str | None = None,
    confirmed_item_ids: Iterable[int] | None = None,
) -> Checkout:
    """归还 — the keeper checks what came back; damage, shortage or substitution is recorded. With
    ``confirmed_item_ids`` (the page always sends it) each item taken back must have been confirmed in
    hand, scanned or ticked (``domain/items.check_items_confirmed``; 422 ``items.unconfirmed``)."""
    item_ids = None if item_ids is None else list(item_ids)
    condition = (condition or "").strip()
    if not condition:
        raise InvalidInput(N_("Record the condition on return."), fields={"condition": [N_("Required.")]})
    if discrepancy is not None and not (discrepancy_note or "").strip():
        raise InvalidInput(N_("Describe the discrepancy."), fields={"discrepancy_note": [N_("Required.")]})
    checkout = _locked_checkout(session, actor, checkout_id)
    # Every item of the check-out, in id order: the last return also closes a pending extension,
    # whose events go on each item.
    every = _items_of(session, actor, checkout)
    # The keeper's relation is asked of the items taken back only: custody of the others may have
    # moved on (a partly accepted stage transfer), and their holder's keeper takes them back.
    taken = every if item_ids is None else [i for i in every if i.id in set(item_ids)]
    refuse_if(checkout_problem(actor, checkout, "return", taken))
    outstanding = {line.item_id: line for line in checkout.lines if line.returned_at is None}
    wanted = list(outstanding) if item_ids is None else list(dict.fromkeys(item_ids))
    unknown = [i for i in wanted if i not in outstanding]
    if unknown or not wanted:
        raise InvalidInput(
            N_("These items are not out on this check-out: %(ids)s."),
            fields={"item_ids": [N_("Not out on this check-out.")]},
            ids=unknown,
        )
    items = [item for item in every if item.id in set(wanted)]
    acting = {item.id: acting_actor(session, actor, item) for item in items}
    check_items_confirmed(wanted, confirmed_item_ids)
    now = utcnow()
    for item in items:
        line = outstanding[item.id]
        line.returned_at = now
        line.returned_by_id = actor.user_id
        line.return_condition = condition
        line.discrepancy = discrepancy
        line.discrepancy_note = (discrepancy_note or "").strip() or None
        before = item_snapshot(item)
        # Back where it came from: its shelf, or (an item kept outside) the bank, lot or holder.
        item.location_state = (
            external_state(item.external_kind)
            if item.storage_location_id is None and item.external_kind is not None
            else LocationState.IN_STORAGE
        )
        item.condition = condition
        append_item_event(
            session,
            item,
            acting[item.id],
            "item.return",
            before=before,
            occurred_at=now,
            data={
                **_checkout_common(checkout),
                "condition": condition,
                "discrepancy": discrepancy,
                "discrepancy_note": line.discrepancy_note,
                "late": now > checkout.due_at,
                **({"items_confirmed": True} if confirmed_item_ids is not None else {}),
            },
        )
    if all(line.returned_at is not None for line in checkout.lines):
        checkout.status = CheckoutStatus.RETURNED
        checkout.returned_at = now
        _close_pending_extensions(session, checkout, every, EXTENSION_CLOSED_RETURNED)
    return checkout


def request_extension(
    session: Session, actor: Actor, checkout_id: int, *, due_at: datetime, reason: str
) -> CheckoutExtension:
    checkout = _locked_checkout(session, actor, checkout_id)
    items = _items_of(session, actor, checkout)
    refuse_if(checkout_problem(actor, checkout, "extend", items))
    if not (reason or "").strip():
        raise InvalidInput(N_("Give the reason for the extension."), fields={"reason": [N_("Required.")]})
    check_due(due_at, utcnow(), after=checkout.due_at)
    extension = CheckoutExtension(
        previous_due_at=checkout.due_at,
        requested_due_at=due_at,
        reason=reason.strip(),
        status=ExtensionStatus.REQUESTED,
        requested_by_id=actor.user_id,
    )
    checkout.extensions.append(extension)
    session.flush()
    for item in items:
        append_item_event(
            session,
            item,
            actor,
            "checkout.extension_request",
            reason=extension.reason,
            data={**_checkout_common(checkout), "requested_due_at": due_at},
        )
    return extension


def decide_extension(
    session: Session, actor: Actor, checkout_id: int, *, approve: bool, reason: str | None = None
) -> Checkout:
    checkout = _locked_checkout(session, actor, checkout_id)
    items = _items_of(session, actor, checkout)
    refuse_if(
        checkout_problem(actor, checkout, "approve_extension" if approve else "reject_extension", items)
    )
    extension = must_exist(pending_extension(checkout), "the extension")
    extension.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED
    extension.decided_by_id = actor.user_id
    extension.decided_at = utcnow()
    extension.decision_reason = (reason or "").strip() or None
    if approve:
        checkout.due_at = extension.requested_due_at
    for item in items:
        append_item_event(
            session,
            item,
            actor,
            "checkout.extension_approve" if approve else "checkout.extension_reject",
            reason=extension.decision_reason,
            data={**_checkout_common(checkout), "due_at": checkout.due_at},
        )
    return checkout


# -- reading ----------------------------------------------------------------------------------


def get_checkout(session: Session, actor: Actor, checkout_id: int) -> Checkout:
    checkout = session.scalar(
        select(Checkout).where(Checkout.id == checkout_id, Checkout.case_id.in_(_visible_case_ids(actor)))
    )
    if checkout is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.checkout")
    return checkout


def checkouts_query(
    actor: Actor,
    *,
    status: CheckoutStatus | None = None,
    overdue: bool | None = None,
    case_id: int | None = None,
    item_id: int | None = None,
) -> Select[Any]:
    stmt = select(Checkout).where(Checkout.case_id.in_(_visible_case_ids(actor)))
    if status is not None:
        stmt = stmt.where(Checkout.status == status)
    if overdue is not None:
        late = (Checkout.status == CheckoutStatus.RELEASED) & (Checkout.due_at < utcnow())
        stmt = stmt.where(late if overdue else ~late)
    if case_id is not None:
        stmt = stmt.where(Checkout.case_id == case_id)
    if item_id is not None:
        stmt = stmt.where(
            Checkout.id.in_(select(CheckoutLine.checkout_id).where(CheckoutLine.item_id == item_id))
        )
    return stmt.order_by(Checkout.id.desc())


def items_by_label_code(session: Session, actor: Actor, codes: Iterable[str]) -> tuple[list[int], list[str]]:
    """The items ``actor`` may see that a picker's label codes (typed or scanned, at most 500) name,
    and the codes that name none: a new check-out or disposal starts from them."""
    ids, unknown = [], []
    for code in list(codes)[:500]:
        item = session.scalar(items_query(actor, ItemQuery(label_code=code)))
        if item is None:
            unknown.append(code)
        else:
            ids.append(item.id)
    return ids, unknown


@dataclass(frozen=True)
class Overview:
    """A workflow record as its page shows it: the refusal each of its actions would meet now (None:
    ``actor`` may take it), the people it names, the approver's opinion."""

    record: Any
    problems: dict[str, DomainError | None]
    people: dict[int, User]
    opinion: str | None = None
    related: dict[int, Any] = field(default_factory=dict)

    @property
    def actions(self) -> list[str]:
        return [action for action, problem in self.problems.items() if problem is None]

    def refused_as(self, action: str, code: str) -> bool:
        """Whether ``action`` is refused, and for the reason ``code`` (to say why on the page)."""
        problem = self.problems[action]
        return problem is not None and problem.code == code


def checkout_overview(session: Session, actor: Actor, checkout_id: int) -> Overview:
    checkout = get_checkout(session, actor, checkout_id)
    items = [line.item for line in checkout.lines]
    people = users_by_id(
        session,
        checkout.requested_by_id,
        checkout.approved_by_id,
        checkout.released_by_id,
        *(line.returned_by_id for line in checkout.lines),
        *(e.requested_by_id for e in checkout.extensions),
        *(e.decided_by_id for e in checkout.extensions),
    )
    problems = {a: offered_problem(actor, checkout, a, items) for a in CHECKOUT_ACTIONS}
    return Overview(checkout, problems, people, approval_opinion(session, checkout))


def slip_problem(checkout: Checkout) -> DomainError | None:
    """The check-out slip is printed once the check-out is approved (to be signed at release)."""
    if checkout.status in (CheckoutStatus.APPROVED, CheckoutStatus.RELEASED, CheckoutStatus.RETURNED):
        return None
    return Conflict(
        N_("The check-out slip can be printed once the check-out is approved."), code="checkout.not_printable"
    )


def open_checkout_for(session: Session, item_id: int) -> Checkout | None:
    """The released check-out an item is currently out on (shown on the item, with overdue)."""
    return session.scalar(
        select(Checkout)
        .join(CheckoutLine)
        .where(
            CheckoutLine.item_id == item_id,
            CheckoutLine.returned_at.is_(None),
            Checkout.status == CheckoutStatus.RELEASED,
        )
    )


def approval_opinion(session: Session, checkout: Checkout) -> str | None:
    """审批意见 — what the approver wrote when deciding the request (approved or not), if anything."""
    if not checkout.lines or checkout.approved_at is None:
        return None
    decisions = decision_opinions(
        session,
        checkout.lines[0].item_id,
        ("checkout.approve", "checkout.reject"),
        "checkout_id",
        checkout.id,
    )
    return decisions[-1].reason if decisions else checkout.rejected_reason
