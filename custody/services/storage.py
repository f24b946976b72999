"""Storage (入库、移位、外部保管、状况): keepers change an item's physical location."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy.orm import Session

from custody.domain.actor import Actor
from custody.domain.clock import local_date
from custody.domain.deadlines import (
    INTO_STORAGE_HOURS,
    check_late_reason,
    into_storage_judgement,
    late_hand_over,
)
from custody.domain.enums import AgencyKind, ExternalKind, LocationState
from custody.domain.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from custody.domain.i18n import N_
from custody.domain.items import (
    CheckInCandidate,
    ItemFacts,
    check_in_allowed,
    check_in_refusal,
    check_location_holds,
    check_occurred_at,
    ensure_not_disposed,
    external_allowed,
    external_state,
    may_use_centre,
    move_allowed,
    parse_location_scan_code,
)
from custody.domain.ordering import natural_key
from custody.domain.policy import Action, Relation, require
from custody.models.agency import CustodyCentre, StorageLocation
from custody.models.audit import AuditEvent
from custody.models.item import Item
from custody.models.receipt import CheckInReceipt, CheckInReceiptLine
from custody.orm import utcnow

from . import numbers
from .item_events import append_item_event, item_snapshot
from .visibility import add_participant, lock_items

MAX_BATCH = 500


def facts(item: Item) -> ItemFacts:
    return ItemFacts(
        item.custody_state, item.location_state, item.disposition_status, item.storage_location_id
    )


def custodian_relations(actor: Actor, item: Item) -> set[Relation]:
    return {Relation.CUSTODIAN} if item.custodian_agency_id == actor.agency_id else set()


def in_operated_centres(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on ``Item``: kept in a custody centre ``actor``'s agency operates (keepers only)."""
    if not actor.operated_centre_ids:
        return false()
    return Item.storage_location_id.in_(
        select(StorageLocation.id).where(StorageLocation.centre_id.in_(sorted(actor.operated_centre_ids)))
    )


def keeper_relations(actor: Actor, item: Item, location: StorageLocation | None = None) -> set[Relation]:
    """How ``actor``'s agency relates to ``item`` for keeper work: its custodian, and/or the operator of
    the custody centre the item is in — or, checking it in, the centre of ``location``."""
    relations = custodian_relations(actor, item)
    if not actor.operated_centre_ids:  # not a keeper of an agency running a centre: nothing to load
        return relations
    where = location if location is not None else item.storage_location
    if where is not None and where.centre.operator_agency_id == actor.agency_id:
        relations.add(Relation.CENTRE_OPERATOR)
    return relations


def acting_actor(session: Session, actor: Actor, item: Item) -> Actor:
    """The actor as recorded on ``item``'s events, once the policy allowed the action. A centre
    operator's keeper working on another agency's item acts *for its custodian* (recorded in the event's
    actor as ``acting_for``), and its keepers go on seeing the case afterwards (keepers only)."""
    if item.custodian_agency_id == actor.agency_id:
        return actor
    custodian = item.custodian_agency
    add_participant(session, item.case_id, actor.agency_id, keepers_only=True)
    return actor.for_custodian(custodian.id, custodian.code, custodian.name)


def require_keeper(
    session: Session, actor: Actor, action: Action, item: Item, location: StorageLocation | None = None
) -> Actor:
    """Check keeper work on ``item`` against the policy; the actor to record it with."""
    require(actor, action, keeper_relations(actor, item, location))
    return acting_actor(session, actor, item)


def _locked_item(session: Session, actor: Actor, item_id: int, action: Action) -> tuple[Item, Actor]:
    [item] = lock_items(session, actor, [item_id])
    return item, require_keeper(session, actor, action, item)


def _location(session: Session, location_id: int) -> StorageLocation:
    location = session.get(StorageLocation, location_id)
    if location is None or not location.is_active:
        raise NotFound(
            N_("Unknown or inactive storage location."),
            code="not_found.location",
            fields={"location_id": [N_("Unknown or inactive storage location.")]},
        )
    return location


def location_by_scan_code(session: Session, actor: Actor, code: str) -> StorageLocation:
    """The active location whose shelf or bin label encodes ``code`` (``LOC:PDZX:R1-A-01``): 404
    ``not_found.location`` for an unknown or malformed code, 403 ``location.other_centre`` for a location
    of a centre the actor's keepers do not work in (domain/items.may_use_centre)."""
    parsed = parse_location_scan_code(code)
    location = None
    if parsed is not None:
        centre_code, location_code = parsed
        location = session.scalar(
            select(StorageLocation)
            .join(CustodyCentre, CustodyCentre.id == StorageLocation.centre_id)
            .where(
                func.upper(CustodyCentre.code) == centre_code,
                func.upper(StorageLocation.code) == location_code,
                StorageLocation.is_active,
            )
        )
    if location is None:
        raise NotFound(N_("Unknown location label %(label)s."), code="not_found.location", label=code[:90])
    holds_custody = actor.agency_kind is not AgencyKind.CENTRE_OPERATOR
    if not may_use_centre(holds_custody, location.centre_id, actor.operated_centre_ids):
        raise PermissionDenied(
            N_("%(path)s belongs to a custody centre your agency does not work in."),
            code="location.other_centre",
            path=location.path,
        )
    return location


def last_step_at(session: Session, item: Item) -> datetime:
    """The latest time on the item's record: its seizure, or the latest of its events."""
    latest = session.scalar(select(func.max(AuditEvent.occurred_at)).where(AuditEvent.item_id == item.id))
    return max(item.seized_at, latest) if latest is not None else item.seized_at


def _when(session: Session, occurred_at: datetime | None, reason: str | None, item: Item) -> datetime:
    """When the step happened: now, or the earlier time the keeper gives — never before the item's last
    recorded step, and with a real reason when back-dated (domain/items.check_occurred_at)."""
    now = utcnow()
    if occurred_at is None:
        return now
    check_occurred_at(occurred_at, now, reason, not_before=last_step_at(session, item))
    return occurred_at


def _into_storage(item: Item, when: datetime) -> dict[str, Any] | None:
    """For the step that ends an item's wait for check-in: how it stands to the 24-hour rule, judged
    by when it is recorded if back-dated (domain/deadlines.into_storage_judgement)."""
    if item.location_state is not LocationState.AWAITING_CHECK_IN:
        return None
    return into_storage_judgement(item.custodian_agency.kind, item.seized_at, when, utcnow())


def _late_hand_over(item: Item, when: datetime) -> bool:
    """A first check-in of a police item after the 24 hours: the keeper records why."""
    return item.location_state is LocationState.AWAITING_CHECK_IN and late_hand_over(
        item.custodian_agency.kind, item.seized_at, when
    )


def check_in(
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    location_id: int,
    condition: str | None = None,
    occurred_at: datetime | None = None,
    reason: str | None = None,
    bring_in: bool = False,
    receipt: CheckInReceipt | None = None,
    late_reason: str | None = None,
) -> Item:
    """入库 — the keeper has scanned the label, checked the item against the list, shelved it.

    An item kept outside the centre (holder, bank, impound lot) is brought in only with
    ``bring_in`` and a ``reason`` (domain/items.check_in_allowed); the location must be one that can
    hold the item (a vehicle yard for a car: domain/items.check_location_holds)."""
    [item] = lock_items(session, actor, [item_id])
    location = _location(session, location_id)
    actor = require_keeper(session, actor, Action.CHECK_IN, item, location)
    check_in_allowed(facts(item), bring_in=bring_in, reason=reason)
    check_location_holds(location.holds, item.category)
    when = _when(session, occurred_at, reason, item)
    arrival = _into_storage(item, when)
    late_reason = check_late_reason(_late_hand_over(item, when), late_reason, item.label_code)
    before = item_snapshot(item)
    kept_outside = (
        {"kind": item.external_kind.value if item.external_kind else None, "place": item.external_place}
        if item.location_state is not LocationState.AWAITING_CHECK_IN
        else None
    )
    item.location_state = LocationState.IN_STORAGE
    item.storage_location = location
    item.external_kind = item.external_place = item.external_contact = None
    if condition:
        item.condition = condition.strip()
    first = item.checked_in_at is None
    if first:
        item.checked_in_at = when
    append_item_event(
        session,
        item,
        actor,
        "item.check_in",
        before=before,
        reason=reason,
        occurred_at=when,
        data={
            "location_path": location.path,
            "condition": condition,
            "hours_since_seizure": round((when - item.seized_at).total_seconds() / 3600, 1)
            if first
            else None,
            **({"into_storage": arrival} if arrival else {}),
            **({"brought_in_from": kept_outside} if kept_outside else {}),
            **(
                {"receipt_no": receipt.receipt_no, "handed_over_by": receipt.handed_over_by}
                if receipt is not None
                else {}
            ),
            **({"late_reason": late_reason} if late_reason else {}),
        },
    )
    if receipt is not None:
        receipt.lines.append(
            CheckInReceiptLine(item_id=item.id, line_no=len(receipt.lines) + 1, condition=item.condition)
        )
    return item


# -- batch check-in (scanning) ---------------------------------------------------------------


@dataclass
class CheckInLine:
    """One scanned code of a batch: its item (None: unknown) and why it cannot go in (None: it can)."""

    code: str
    item: Item | None
    refusal: DomainError | None = None


def _refuse_dated_before_last_step(session: Session, lines: list[CheckInLine], when: datetime) -> None:
    """A batch's time may not precede any of its items' last recorded step (as for a single step)."""
    for line in lines:
        if line.refusal is None and line.item is not None and when < last_step_at(session, line.item):
            line.refusal = InvalidInput(
                N_("The time is earlier than the item's last recorded step."), code="item.before_last_step"
            )


def _raise_if_any_refused(lines: list[CheckInLine], message: str, *, code: str) -> None:
    """A batch is all or nothing: any refused line refuses it whole (409 ``code``), naming each such
    line with its number, label, item and reason (``extra["lines"]``)."""
    refused = [(number, line) for number, line in enumerate(lines, start=1) if line.refusal is not None]
    if refused:
        raise Conflict(
            message,
            code=code,
            extra={
                "lines": [
                    {
                        "line": number,
                        "label_code": line.code,
                        "item_id": line.item.id if line.item is not None else None,
                        "code": line.refusal.code,
                        "message": line.refusal.message,
                        "params": line.refusal.params,
                    }
                    for number, line in refused
                    if line.refusal is not None
                ]
            },
            count=len(refused),
            total=len(lines),
        )


def find_by_code(session: Session, actor: Actor, code: str) -> Item | None:
    from .items import ItemQuery, items_query  # services/items imports this module

    return session.scalar(items_query(actor, ItemQuery(label_code=code))) if code else None


def check_in_lines(
    session: Session, actor: Actor, codes: list[str], *, location: StorageLocation | None = None
) -> list[CheckInLine]:
    """Each scanned code with its item and the reason it cannot be checked in — the rule of
    ``domain/items.check_in_refusal`` line by line (duplicates and unknown codes too). Writes nothing."""
    lines: list[CheckInLine] = []
    seen: set[str] = set()
    for code in codes:
        item = find_by_code(session, actor, code)
        line = CheckInLine(code, item)
        if code in seen:
            line.refusal = InvalidInput(N_("Scanned twice."), code="batch.duplicate")
        elif item is None:
            line.refusal = NotFound(
                N_("Unknown label code, or not visible to your agency."), code="not_found.item"
            )
        else:
            line.refusal = check_in_refusal(
                CheckInCandidate(
                    facts=facts(item),
                    category=item.category,
                    # the custodian's keepers, or those of the operator of the centre it goes into
                    # (with no location chosen yet, an operator's keeper is given the benefit of it)
                    held_by_actor=bool(keeper_relations(actor, item, location))
                    or (location is None and bool(actor.operated_centre_ids)),
                    custodian_name=item.custodian_agency.name,
                    holds=location.holds if location is not None else None,
                )
            )
        seen.add(code)
        lines.append(line)
    return lines


def check_in_batch(
    session: Session,
    actor: Actor,
    codes: list[str],
    *,
    location_id: int,
    condition: str | None = None,
    occurred_at: datetime | None = None,
    reason: str | None = None,
    handed_over_by: str | None = None,
    late_reason: str | None = None,
) -> CheckInReceipt:
    """Check in every scanned item to one location, or none: every line is checked first (under the
    items' locks) and a batch with any line that cannot go in — kept outside the centre, disposed, in
    a transfer, another agency's, unknown, scanned twice, a location that cannot hold it — is refused
    whole, before anything is written, naming each such line (409 ``check_in.refused``,
    ``extra["lines"]``). Items kept outside are brought in one by one (``check_in(bring_in=True)``).

    The batch is one hand-over (入库交接单): its receipt — number ``RK-…``, the items, who handed them
    over (``handed_over_by``, as entered) and the keeper who received them — is written with the
    check-ins and their events, in the caller's transaction; each check-in event names it."""
    require(actor, Action.CHECK_IN, {Relation.CUSTODIAN})
    if not codes:
        raise InvalidInput(N_("Scan at least one label."), fields={"codes": [N_("Scan at least one label.")]})
    if len(codes) > MAX_BATCH:
        raise InvalidInput(
            N_("At most %(n)s items per batch."), fields={"codes": [N_("Too many.")]}, n=MAX_BATCH
        )
    location = _location(session, location_id)
    now = utcnow()
    when = occurred_at or now
    check_occurred_at(when, now, reason)  # batch-wide: in the future, back-dated without a reason
    preview = check_in_lines(session, actor, codes, location=location)
    lock_items(session, actor, [line.item.id for line in preview if line.item is not None])
    lines = check_in_lines(session, actor, codes, location=location)  # again, on the locked rows
    _refuse_dated_before_last_step(session, lines, when)
    late = [
        line.item.label_code
        for line in lines
        if line.refusal is None and line.item is not None and _late_hand_over(line.item, when)
    ]
    _raise_if_any_refused(
        lines,
        N_("Nothing was checked in: %(count)s of the %(total)s lines cannot be checked in."),
        code="check_in.refused",
    )
    if late and not (late_reason or "").strip():  # one reason for the batch's late items, asked up front
        raise InvalidInput(
            N_("Checked in more than %(limit)s hours after seizure: say why (%(labels)s)."),
            code="check_in.late_reason",
            fields={"late_reason": [N_("Required when an item is checked in after the 24 hours.")]},
            extra={"late_label_codes": late},
            limit=INTO_STORAGE_HOURS,
            labels="、".join(late[:5]) + ("…" if len(late) > 5 else ""),
        )
    receipt = CheckInReceipt(
        receipt_no=numbers.next_code(session, "RK", actor.agency_code, local_date(when).year),
        agency_id=actor.agency_id,
        location=location,
        handed_over_by=" ".join((handed_over_by or "").split())[:64] or None,
        received_by_id=actor.user_id,
        received_at=when,
    )
    session.add(receipt)
    for line in lines:
        if line.item is not None:
            check_in(
                session,
                actor,
                line.item.id,
                location_id=location.id,
                condition=condition,
                occurred_at=occurred_at,
                reason=reason,
                receipt=receipt,
                late_reason=late_reason,
            )
    session.flush()
    return receipt


def get_check_in_receipt(session: Session, actor: Actor, receipt_no: str) -> CheckInReceipt:
    """A check-in receipt, for the receiving keeper's agency — or for an agency that may see every item
    on it (a custodian whose items a centre operator's keeper received; the agency that holds them
    now). Otherwise 404, like every record another agency may not see [DESIGN]."""
    from .items import ItemQuery, items_query  # services/items imports this module

    receipt = (
        session.scalar(select(CheckInReceipt).where(CheckInReceipt.receipt_no == receipt_no.strip().upper()))
        if receipt_no and len(receipt_no) <= 40
        else None
    )
    if receipt is not None and receipt.agency_id != actor.agency_id:
        wanted = {line.item_id for line in receipt.lines}
        seen = set(
            session.scalars(
                items_query(actor, ItemQuery()).where(Item.id.in_(wanted)).with_only_columns(Item.id)
            )
        )
        if seen != wanted:
            receipt = None
    if receipt is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.receipt")
    return receipt


def move(
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    location_id: int,
    reason: str | None = None,
    occurred_at: datetime | None = None,
) -> Item:
    [item] = lock_items(session, actor, [item_id])
    location = _location(session, location_id)
    # A centre's operator moves items within the centres it operates: from there and to there.
    require(
        actor,
        Action.MOVE_ITEM,
        keeper_relations(actor, item) & keeper_relations(actor, item, location),
    )
    actor = acting_actor(session, actor, item)
    move_allowed(facts(item), location.id)
    check_location_holds(location.holds, item.category)
    when = _when(session, occurred_at, reason, item)
    before = item_snapshot(item)
    item.storage_location = location
    append_item_event(
        session,
        item,
        actor,
        "item.move",
        before=before,
        reason=reason,
        occurred_at=when,
        data={"location_path": location.path},
    )
    return item


def record_external(
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    kind: ExternalKind,
    place: str | None,
    contact: str | None = None,
    reason: str | None = None,
    occurred_at: datetime | None = None,
) -> Item:
    """The item is kept outside the centre: with the holder (登记保存), a bank, an impound lot."""
    item, actor = _locked_item(session, actor, item_id, Action.RECORD_EXTERNAL)
    external_allowed(facts(item))
    place = (place or "").strip() or None
    if place is None:
        raise InvalidInput(N_("Say where the item is kept."), fields={"place": [N_("Required.")]})
    when = _when(session, occurred_at, reason, item)
    arrival = _into_storage(item, when)
    before = item_snapshot(item)
    item.location_state = external_state(kind)
    item.external_kind = kind
    item.external_place = place
    item.external_contact = (contact or "").strip() or None
    item.storage_location = None
    append_item_event(
        session,
        item,
        actor,
        "item.external",
        before=before,
        reason=reason,
        occurred_at=when,
        data={"contact": item.external_contact, **({"into_storage": arrival} if arrival else {})},
    )
    return item


def record_condition(
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    condition: str,
    occurred_at: datetime | None = None,
    reason: str | None = None,
) -> Item:
    item, actor = _locked_item(session, actor, item_id, Action.RECORD_CONDITION)
    ensure_not_disposed(facts(item))
    condition = (condition or "").strip()
    if not condition:
        raise InvalidInput(N_("Describe the condition."), fields={"condition": [N_("Required.")]})
    when = _when(session, occurred_at, reason, item)
    previous = item.condition
    item.condition = condition
    append_item_event(
        session,
        item,
        actor,
        "item.condition",
        reason=reason,
        occurred_at=when,
        data={"before": {"condition": previous}, "after": {"condition": condition}},
    )
    return item


# -- batch move (scan the shelf, then the items) -------------------------------------------------


def move_lines(
    session: Session, actor: Actor, codes: list[str], *, location: StorageLocation | None
) -> list[CheckInLine]:
    """Each scanned code with its item and the reason it cannot be moved to ``location``: unknown,
    scanned twice, not the actor's to move (both where it is and where it goes: ``move``), not in
    storage, already there, a location that cannot hold it (with no location chosen yet, only what
    does not depend on it). Writes nothing."""
    lines: list[CheckInLine] = []
    seen: set[str] = set()
    for code in codes:
        item = find_by_code(session, actor, code)
        line = CheckInLine(code, item)
        if code in seen:
            line.refusal = InvalidInput(N_("Scanned twice."), code="batch.duplicate")
        elif item is None:
            line.refusal = NotFound(
                N_("Unknown label code, or not visible to your agency."), code="not_found.item"
            )
        else:
            try:
                relations = keeper_relations(actor, item)
                if location is not None:
                    relations &= keeper_relations(actor, item, location)
                require(actor, Action.MOVE_ITEM, relations)
                move_allowed(facts(item), location.id if location is not None else 0)
                if location is not None:
                    check_location_holds(location.holds, item.category)
            except DomainError as refusal:
                line.refusal = refusal
        seen.add(code)
        lines.append(line)
    return lines


def move_batch(
    session: Session,
    actor: Actor,
    codes: list[str],
    *,
    location_id: int,
    reason: str | None = None,
    occurred_at: datetime | None = None,
) -> list[Item]:
    """移位 of a scanned batch: the keeper scans a shelf label, then the items put on it. All or
    nothing, like ``check_in_batch``: every line is checked first (under the items' locks) and a batch
    with any line that cannot be moved is refused whole before anything is written, naming each such
    line (409 ``move.refused``, ``extra["lines"]``). Each move is ``move`` with its own event, in the
    caller's transaction [DESIGN]."""
    require(actor, Action.MOVE_ITEM, {Relation.CUSTODIAN})
    if not codes:
        raise InvalidInput(N_("Scan at least one label."), fields={"codes": [N_("Scan at least one label.")]})
    if len(codes) > MAX_BATCH:
        raise InvalidInput(
            N_("At most %(n)s items per batch."), fields={"codes": [N_("Too many.")]}, n=MAX_BATCH
        )
    location = _location(session, location_id)
    now = utcnow()
    when = occurred_at or now
    check_occurred_at(when, now, reason)  # batch-wide: in the future, back-dated without a reason
    preview = move_lines(session, actor, codes, location=location)
    lock_items(session, actor, [line.item.id for line in preview if line.item is not None])
    lines = move_lines(session, actor, codes, location=location)  # again, on the locked rows
    _refuse_dated_before_last_step(session, lines, when)
    _raise_if_any_refused(
        lines, N_("Nothing was moved: %(count)s of the %(total)s lines cannot be moved."), code="move.refused"
    )
    moved = [
        move(session, actor, line.item.id, location_id=location.id, reason=reason, occurred_at=occurred_at)
        for line in lines
        if line.item is not None
    ]
    session.flush()
    return moved


# -- locations as the pages list them -------------------------------------------------------------


def active_locations(session: Session) -> list[StorageLocation]:
    """Every active location, by path in natural order (R2 before R10)."""
    return sorted(
        session.scalars(select(StorageLocation).where(StorageLocation.is_active)),
        key=lambda loc: natural_key(loc.path),
    )


def location_by_id(session: Session, location_id: int | None) -> StorageLocation | None:
    """The location of that id, or None (a batch page judges its lines without one)."""
    return session.get(StorageLocation, location_id) if location_id else None


def active_location(session: Session, location_id: int) -> StorageLocation:
    """An active location (reference data, open to every user), else NotFound."""
    location = session.get(StorageLocation, location_id)
    if location is None or not location.is_active:
        raise NotFound(N_("Unknown or inactive storage location."), code="not_found.location")
    return location


def location_tree(session: Session, root: StorageLocation) -> list[StorageLocation]:
    """``root`` and every active location inside it, by path."""
    inside = [
        loc
        for loc in session.scalars(select(StorageLocation).where(StorageLocation.centre_id == root.centre_id))
        if loc.is_active and root in loc.ancestry
    ]
    return sorted(inside, key=lambda loc: natural_key(loc.path))
