"""双随机 — random spot checks drawn by an auditor, inspected by people from another agency.

The draw records everything needed to redo it (``custody.domain.spot_checks``): the seed (from the
``secrets`` module, never chosen by the auditor), the scope, the number of candidates and a SHA-256
digest of the ordered candidate list, and the same for the inspector pool. ``verify_draw`` redoes the
draw from the record and says whether today's data still give the same lists and the same sample.

An inspector sees, for the items drawn for them, what they need to find and check them (label,
name, category, storage location, custodian) even when their agency would not otherwise see the case.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from custody.audit.recorder import record_event
from custody.domain.actor import Actor
from custody.domain.enums import DispositionStatus, EventCategory, ItemCategory, LocationState, Role
from custody.domain.errors import Conflict, InvalidInput, NotFound, must_exist
from custody.domain.i18n import N_
from custody.domain.policy import Action, Relation, allowed, require
from custody.domain.spot_checks import (
    ALGORITHM,
    SEED_HEX_LENGTH,
    Candidate,
    Inspector,
    SpotCheckResult,
    SpotCheckStatus,
    check_result,
    draw,
)
from custody.models.agency import Agency, StorageLocation
from custody.models.case import Case
from custody.models.item import Item
from custody.models.oversight import SpotCheck, SpotCheckItem
from custody.models.user import User, UserRole
from custody.orm import utcnow

from . import numbers
from .item_events import append_item_event
from .stocktake import Tree
from .visibility import sees_everything

INSPECTOR_ROLES = (Role.AUDITOR, Role.APPROVER)


@dataclass(frozen=True)
class Scope:
    """Which items may be drawn: those not yet disposed of, narrowed by any of these."""

    custodian_agency_id: int | None = None
    category: ItemCategory | None = None
    location_id: int | None = None  # this storage location and everything under it
    case_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            k: (v.value if isinstance(v, ItemCategory) else v)
            for k, v in asdict(self).items()
            if v is not None
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scope:
        category = data.get("category")
        return cls(
            custodian_agency_id=data.get("custodian_agency_id"),
            category=ItemCategory(category) if category else None,
            location_id=data.get("location_id"),
            case_id=data.get("case_id"),
        )


def _check_scope(session: Session, scope: Scope) -> None:
    errors: dict[str, list[str]] = {}
    if scope.custodian_agency_id is not None and session.get(Agency, scope.custodian_agency_id) is None:
        errors["custodian_agency_id"] = [N_("Unknown agency.")]
    if scope.location_id is not None and session.get(StorageLocation, scope.location_id) is None:
        errors["location_id"] = [N_("Unknown or inactive storage location.")]
    if scope.case_id is not None and session.get(Case, scope.case_id) is None:
        errors["case_id"] = [N_("Unknown case.")]
    if errors:
        raise InvalidInput(N_("The scope of the spot check has errors."), fields=errors)


def candidates(session: Session, scope: Scope) -> list[Candidate]:
    """Items in scope, ordered by id: the list the sample is drawn from."""
    stmt = select(Item.id, Item.label_code, Item.custodian_agency_id).where(
        Item.disposition_status != DispositionStatus.EXECUTED, Item.location_state != LocationState.GONE
    )
    if scope.custodian_agency_id is not None:
        stmt = stmt.where(Item.custodian_agency_id == scope.custodian_agency_id)
    if scope.category is not None:
        stmt = stmt.where(Item.category == scope.category)
    if scope.case_id is not None:
        stmt = stmt.where(Item.case_id == scope.case_id)
    if scope.location_id is not None:
        location = must_exist(
            session.get(StorageLocation, scope.location_id), f"location {scope.location_id}"
        )
        subtree = Tree.load(session, location.centre_id).subtree(location.id)
        stmt = stmt.where(
            Item.storage_location_id.in_(subtree),
            Item.location_state.in_((LocationState.IN_STORAGE, LocationState.CHECKED_OUT)),
        )
    return [
        Candidate(row.id, row.label_code, row.custodian_agency_id)
        for row in session.execute(stmt.order_by(Item.id))
    ]


def inspector_pool(session: Session) -> list[Inspector]:
    """Active auditors and approvers, ordered by user id."""
    rows = session.execute(
        select(User.id, User.agency_id)
        .join(Agency, Agency.id == User.agency_id)
        .where(
            User.is_active.is_(True),
            Agency.is_active.is_(True),
            User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(INSPECTOR_ROLES))),
        )
        .order_by(User.id)
    )
    return [Inspector(user_id, agency_id) for user_id, agency_id in rows]


def draw_spot_check(
    session: Session,
    actor: Actor,
    *,
    size: int,
    scope: Scope | None = None,
    note: str | None = None,
    seed: str | None = None,
) -> SpotCheck:
    """Draw ``size`` items at random within ``scope`` and an inspector from another agency for each.

    ``seed`` exists for redoing a recorded draw in tests and tools; the views never pass it.
    """
    require(actor, Action.DRAW_SPOT_CHECK)
    scope = scope or Scope()
    _check_scope(session, scope)
    note = (note or "").strip() or None
    if note and len(note) > 500:
        raise InvalidInput(N_("Too long."), fields={"note": [N_("Too long.")]})
    seed = seed or secrets.token_hex(SEED_HEX_LENGTH // 2)
    result = draw(seed, candidates(session, scope), inspector_pool(session), size)
    check = SpotCheck(
        check_no=numbers.next_code(session, "CC", actor.agency_code, utcnow().year),
        agency_id=actor.agency_id,
        drawn_by_id=actor.user_id,
        scope=scope.to_json(),
        sample_size=size,
        seed=seed,
        algorithm=ALGORITHM,
        candidate_count=result.candidate_count,
        candidates_sha256=result.candidates_sha256,
        inspector_pool_count=result.pool_count,
        inspector_pool_sha256=result.pool_sha256,
        status=SpotCheckStatus.OPEN,
        note=note,
        items=[
            SpotCheckItem(
                position=n,
                item_id=c.item_id,
                label_code=c.label_code,
                custodian_agency_id=c.custodian_agency_id,
                inspector_id=inspector,
                result=SpotCheckResult.PENDING,
            )
            for n, (c, inspector) in enumerate(zip(result.items, result.inspectors, strict=True), start=1)
        ],
    )
    session.add(check)
    session.flush()
    record_event(
        session,
        category=EventCategory.CUSTODY,
        action="spot_check.draw",
        actor=actor,
        object_type="spot_check",
        object_id=check.id,
        data={
            "check_no": check.check_no,
            "scope": check.scope,
            "size": size,
            "seed": seed,
            "algorithm": ALGORITHM,
            "candidate_count": result.candidate_count,
            "candidates_sha256": result.candidates_sha256,
            "inspector_pool_count": result.pool_count,
            "inspector_pool_sha256": result.pool_sha256,
            "sample": [
                [c.item_id, c.label_code, inspector]
                for c, inspector in zip(result.items, result.inspectors, strict=True)
            ],
        },
    )
    return check


def _visible(actor: Actor):
    """Auditors see every spot check; an inspector the checks they were drawn for."""
    if sees_everything(actor):
        return SpotCheck.id.is_not(None)
    return SpotCheck.id.in_(
        select(SpotCheckItem.spot_check_id).where(SpotCheckItem.inspector_id == actor.user_id)
    )


def _not_found() -> NotFound:
    return NotFound(N_("Record not found, or not visible to your agency."), code="not_found.spot_check")


def get_spot_check(session: Session, actor: Actor, check_id: int) -> SpotCheck:
    check = session.scalar(select(SpotCheck).where(SpotCheck.id == check_id, _visible(actor)))
    if check is None:
        raise _not_found()
    return check


def spot_checks_query(actor: Actor, *, status: SpotCheckStatus | None = None) -> Select[Any]:
    stmt = select(SpotCheck).where(_visible(actor))
    if status is not None:
        stmt = stmt.where(SpotCheck.status == status)
    return stmt.order_by(SpotCheck.id.desc())


def assigned_items(session: Session, actor: Actor, check: SpotCheck) -> list[SpotCheckItem]:
    """The lines ``actor`` may see: all for auditors, their own for an inspector."""
    if sees_everything(actor):
        return list(check.items)
    return [line for line in check.items if line.inspector_id == actor.user_id]


def record_result(
    session: Session,
    actor: Actor,
    check_id: int,
    item_id: int,
    *,
    result: SpotCheckResult,
    finding: str | None = None,
) -> SpotCheckItem:
    """The drawn inspector records what they found for one item."""
    line = session.scalar(
        select(SpotCheckItem)
        .join(SpotCheck, SpotCheck.id == SpotCheckItem.spot_check_id)
        .where(SpotCheckItem.spot_check_id == check_id, SpotCheckItem.item_id == item_id, _visible(actor))
        .with_for_update(of=SpotCheckItem)
        .execution_options(populate_existing=True)
    )
    if line is None:
        raise _not_found()
    require(
        actor,
        Action.RECORD_SPOT_CHECK_RESULT,
        {Relation.INSPECTOR} if line.inspector_id == actor.user_id else set(),
    )
    if line.result is not SpotCheckResult.PENDING:
        raise Conflict(N_("The result for this item has already been recorded."), code="spot_check.recorded")
    finding = check_result(result, finding)
    now = utcnow()
    line.result = result
    line.finding = finding
    line.recorded_by_id = actor.user_id
    line.recorded_at = now
    item = must_exist(
        session.scalar(
            select(Item)
            .where(Item.id == item_id)
            .with_for_update(of=Item)
            .execution_options(populate_existing=True)
        ),
        f"item {item_id}",
    )
    check = line.spot_check
    append_item_event(
        session,
        item,
        actor,
        "spot_check.result",
        occurred_at=now,
        reason=finding,
        data={"spot_check_id": check.id, "check_no": check.check_no, "result": result},
    )
    session.flush()
    if all(other.result is not SpotCheckResult.PENDING for other in check.items):
        check.status = SpotCheckStatus.COMPLETED
        check.completed_at = now
    return line


@dataclass(frozen=True)
class Verification:
    candidates_match: bool
    pool_match: bool
    sample_match: bool
    candidate_count_now: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def verify_draw(session: Session, actor: Actor, check_id: int) -> Verification:
    """Redo the draw from the recorded seed and scope over today's data.

    When the candidate and pool digests still match, the sample must come out identical; when items
    or users changed since, the digests say so (the recorded digests prove what the lists were).
    """
    check = get_spot_check(session, actor, check_id)
    scope = Scope.from_json(check.scope)
    found = candidates(session, scope)
    pool = inspector_pool(session)
    try:
        again = draw(check.seed, found, pool, check.sample_size)
    except (Conflict, InvalidInput):
        return Verification(False, False, False, len(found))
    sample = [(line.item_id, line.inspector_id) for line in check.items]
    return Verification(
        candidates_match=again.candidates_sha256 == check.candidates_sha256
        and again.candidate_count == check.candidate_count,
        pool_match=again.pool_sha256 == check.inspector_pool_sha256,
        sample_match=[(c.item_id, i) for c, i in zip(again.items, again.inspectors, strict=True)] == sample,
        candidate_count_now=len(found),
    )


def open_inspections_query(actor: Actor) -> Select[Any]:
    """Items drawn for ``actor`` to inspect and not yet recorded (for their inbox)."""
    return (
        select(SpotCheckItem)
        .where(SpotCheckItem.inspector_id == actor.user_id, SpotCheckItem.result == SpotCheckResult.PENDING)
        .order_by(SpotCheckItem.spot_check_id, SpotCheckItem.position)
    )


def my_open_inspections(session: Session, actor: Actor) -> list[SpotCheckItem]:
    """Items drawn for ``actor`` to inspect and not yet recorded."""
    return list(session.scalars(open_inspections_query(actor)))


def may_record(actor: Actor, line: SpotCheckItem) -> bool:
    """Whether the actor may record the result of this line now (what ``record_result`` requires):
    its drawn inspector, while it is pending."""
    inspector = {Relation.INSPECTOR} if line.inspector_id == actor.user_id else set()
    return line.result is SpotCheckResult.PENDING and allowed(
        actor, Action.RECORD_SPOT_CHECK_RESULT, inspector
    )


# -- what the pages read ---------------------------------------------------------------------------

CASE_NUMBER_CHOICES = 300


def case_id_for_number(session: Session, number: str | None) -> int | None:
    """The case a typed number names (the police number, or the procuratorate's or court's own), to
    narrow a draw to it; None for no number. Auditors see every case, so no visibility applies."""
    number = (number or "").strip()
    if not number:
        return None
    found = session.scalar(
        select(Case.id)
        .where(
            (Case.police_case_no == number)
            | (Case.procuratorate_case_no == number)
            | (Case.court_case_no == number)
        )
        .order_by(Case.id)
        .limit(1)
    )
    if found is None:
        message = N_("No case has this number.")
        raise InvalidInput(message, fields={"case_no": [message]})
    return found


def case_numbers(session: Session, limit: int = CASE_NUMBER_CHOICES) -> list[tuple[str | None, str]]:
    """The latest cases' numbers and titles, offered as the drawer types a case number."""
    return [
        (number, title)
        for number, title in session.execute(
            select(
                func.coalesce(Case.police_case_no, Case.procuratorate_case_no, Case.court_case_no), Case.title
            )
            .order_by(Case.id.desc())
            .limit(limit)
        )
    ]


def scope_in_words(session: Session, scope: dict[str, Any]) -> dict[str, Any]:
    """A draw's recorded scope with names for its ids: the agency's name, the category, the
    location's path, the case's number and title (the id itself if the row is gone)."""
    words: dict[str, Any] = {}
    for key, value in scope.items():
        row_id = int(value) if str(value).isdecimal() else None
        if key == "custodian_agency_id":
            agency = session.get(Agency, row_id) if row_id else None
            words[key] = agency.name if agency else str(value)
        elif key == "category":
            words[key] = ItemCategory(value) if value in {c.value for c in ItemCategory} else str(value)
        elif key == "location_id":
            place = session.get(StorageLocation, row_id) if row_id else None
            words[key] = place.path if place else str(value)
        elif key == "case_id":
            case = session.get(Case, row_id) if row_id else None
            words[key] = f"{case.first_number} {case.title}" if case else str(value)
        else:
            words[key] = str(value)
    return words
