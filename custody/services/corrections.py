"""更正 — fixing a wrongly registered field without rewriting history.

A correction names the field, the earlier value, the new value and the reason; an approver of the
custodian agency (not the proposer) approves it; the item then carries the new value and its history
gains an ``item.correct`` event pointing at the correction. Nothing earlier is changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from custody.audit.recorder import jsonable
from custody.domain.actor import Actor
from custody.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from custody.domain.i18n import N_
from custody.domain.items import (
    MAX_FEN,
    clean_details,
    ensure_not_disposed,
    measure_date_problem,
    parse_quantity,
)
from custody.domain.lifecycle import (
    CorrectionStatus,
    check_correction_field,
    check_correction_still_valid,
    require_not_requester,
)
from custody.domain.policy import Action
from custody.models.item import Item
from custody.models.lifecycle import Correction
from custody.orm import utcnow

from .checkouts import Overview, first_refusal, refuse_if, require_on_items, users_by_id
from .item_events import append_item_event
from .items import personal_data_digest
from .storage import facts
from .visibility import item_filter, lock_items

# Fields whose values are personal data: the permanent record keeps only their digest.
PERSONAL_FIELDS = frozenset({"owner_name", "owner_id_no", "owner_contact"})
TEXT_LIMITS = {
    "name": 200,
    "unit": 16,
    "features": 2000,
    "specification": 200,
    "condition_at_seizure": 500,
    "source": 200,
    "owner_name": 64,
    "owner_id_no": 32,
    "owner_contact": 64,
    "measure_doc_no": 64,
}


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"new_value": [message]})


def coerce_value(item: Item, field: str, value: Any) -> Any:
    """Validate ``value`` for ``field`` with the registration rules; returns the typed value."""
    coerce = _COERCERS.get(field)
    if coerce is not None:
        return coerce(item, value)
    return _text_value(field, value)


def _quantity(item: Item, value: Any) -> Any:
    try:
        quantity = parse_quantity(value)
    except InvalidInput as exc:  # the same rule, reported on the correction's own field
        raise _bad(exc.message) from exc
    if quantity <= 0:
        raise _bad(N_("Must be greater than zero."))
    return quantity


def _fen(item: Item, value: Any) -> Any:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FEN
    ):
        raise _bad(N_("Must be a whole number of fen (分), zero or more."))
    return value


def _flag(item: Item, value: Any) -> Any:
    if not isinstance(value, bool):
        raise _bad(N_("Must be true or false."))
    return value


def _measure_date(item: Item, value: Any) -> Any:
    try:
        when = date.fromisoformat(str(value))
    except ValueError as exc:
        raise _bad(N_("Must be a date (YYYY-MM-DD).")) from exc
    problem = measure_date_problem(when, utcnow())
    if problem:
        raise _bad(problem)
    return when


def _details(item: Item, value: Any) -> Any:
    details, errors = clean_details(item.category, value if isinstance(value, dict) else None)
    if errors or not isinstance(value, dict):
        raise InvalidInput(
            N_("The category details have errors."), fields=errors or {"new_value": [N_("Required.")]}
        )
    return details


def _text_value(field: str, value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise _bad(N_("Must be text."))
    text = (value or "").strip() or None
    if field in ("name", "unit") and not text:
        raise _bad(N_("Required."))
    if text and len(text) > TEXT_LIMITS[field]:
        raise _bad(N_("Too long."))
    return text


# The fields that are not plain text, each checked by the registration rule for its kind of value.
_COERCERS: dict[str, Callable[[Item, Any], Any]] = {
    "quantity": _quantity,
    "estimated_value_fen": _fen,
    "ownership_clear": _flag,
    "is_perishable": _flag,
    "measure_date": _measure_date,
    "details": _details,
}


def _recorded(item: Item, field: str, value: Any) -> Any:
    """What the permanent record holds for a value: personal data only as a digest salted with the
    item's salt (``{"sha256": SHA-256(salt || canonical JSON of the value)}``, docs/LEDGER.md §5.6)."""
    value = jsonable(value)
    if field in PERSONAL_FIELDS and value is not None:
        return {"sha256": personal_data_digest(item.personal_data_salt, value)}
    return value


def propose_correction(
    session: Session, actor: Actor, *, item_id: int, field: str, new_value: Any, reason: str
) -> Correction:
    check_correction_field(field)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(N_("Give the reason for the correction."), fields={"reason": [N_("Required.")]})
    [item] = lock_items(session, actor, [item_id])
    require_on_items(actor, Action.PROPOSE_CORRECTION, [item])
    ensure_not_disposed(facts(item))
    typed = coerce_value(item, field, new_value)
    old = jsonable(getattr(item, field))
    if jsonable(typed) == old:
        raise InvalidInput(
            N_("The new value is the same as the current one."), fields={"new_value": [N_("Unchanged.")]}
        )
    correction = Correction(
        item_id=item.id,
        field=field,
        old_value=old,
        new_value=jsonable(typed),
        reason=reason[:500],
        status=CorrectionStatus.PROPOSED,
        proposed_by_id=actor.user_id,
    )
    session.add(correction)
    session.flush()
    append_item_event(
        session,
        item,
        actor,
        "correction.propose",
        reason=correction.reason,
        data={
            "correction_id": correction.id,
            "field": field,
            "old_value": _recorded(item, field, old),
            "new_value": _recorded(item, field, correction.new_value),
        },
    )
    return correction


def _locked(session: Session, actor: Actor, correction_id: int) -> tuple[Correction, Item]:
    correction = session.scalar(
        select(Correction)
        .join(Item, Item.id == Correction.item_id)
        .where(Correction.id == correction_id, item_filter(actor))
        .with_for_update(of=Correction)
        .execution_options(populate_existing=True)
    )
    if correction is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.correction")
    [item] = lock_items(session, actor, [correction.item_id])
    return correction, item


# What can be done to a correction, named as the API would name them.
CORRECTION_ACTIONS = ("approve", "reject")


def _require_proposed(correction: Correction) -> None:
    if correction.status is not CorrectionStatus.PROPOSED:
        raise Conflict(N_("The correction has already been decided."), code="correction.decided")


def correction_problem(
    actor: Actor, correction: Correction, action: str, item: Item | None = None
) -> DomainError | None:
    """Why ``actor`` may not approve or reject ``correction`` now, or None: the refusal the decision
    itself raises before it reads its inputs."""
    if action not in CORRECTION_ACTIONS:
        raise ValueError(action)
    item = correction.item if item is None else item
    return first_refusal(
        lambda: require_on_items(actor, Action.APPROVE_CORRECTION, [item]),
        lambda: _require_proposed(correction),
        lambda: require_not_requester(correction.proposed_by_id, actor.user_id),
        lambda: ensure_not_disposed(facts(item)),
    )


def correction_actions(actor: Actor, correction: Correction) -> list[str]:
    """The actions ``actor`` may take on ``correction`` now (``CORRECTION_ACTIONS``)."""
    return [a for a in CORRECTION_ACTIONS if correction_problem(actor, correction, a) is None]


def correction_overview(session: Session, actor: Actor, correction_id: int) -> Overview:
    correction = get_correction(session, actor, correction_id)
    problems = {a: correction_problem(actor, correction, a) for a in CORRECTION_ACTIONS}
    people = users_by_id(session, correction.proposed_by_id, correction.decided_by_id)
    return Overview(correction, problems, people)


def decide_correction(
    session: Session, actor: Actor, correction_id: int, *, approve: bool, reason: str | None = None
) -> Correction:
    correction, item = _locked(session, actor, correction_id)
    refuse_if(correction_problem(actor, correction, "approve" if approve else "reject", item))
    reason = (reason or "").strip() or None
    if not approve and not reason:
        raise InvalidInput(N_("Give a reason for rejecting."), fields={"reason": [N_("Required.")]})
    correction.status = CorrectionStatus.APPROVED if approve else CorrectionStatus.REJECTED
    correction.decided_by_id = actor.user_id
    correction.decided_at = utcnow()
    correction.decision_reason = reason
    if approve:
        check_correction_still_valid(correction.old_value, jsonable(getattr(item, correction.field)))
        setattr(item, correction.field, coerce_value(item, correction.field, correction.new_value))
        append_item_event(
            session,
            item,
            actor,
            "item.correct",
            reason=correction.reason,
            data={
                "correction_id": correction.id,
                "field": correction.field,
                "before": {correction.field: _recorded(item, correction.field, correction.old_value)},
                "after": {correction.field: _recorded(item, correction.field, correction.new_value)},
                "proposed_by_id": correction.proposed_by_id,
            },
        )
    else:
        append_item_event(
            session,
            item,
            actor,
            "correction.reject",
            reason=reason,
            data={"correction_id": correction.id, "field": correction.field},
        )
    return correction


def get_correction(session: Session, actor: Actor, correction_id: int) -> Correction:
    correction = session.scalar(
        select(Correction)
        .join(Item, Item.id == Correction.item_id)
        .where(Correction.id == correction_id, item_filter(actor))
    )
    if correction is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.correction")
    return correction


def corrections_query(
    actor: Actor, *, item_id: int | None = None, status: CorrectionStatus | None = None
) -> Select[Any]:
    # Each correction's item (whose agency decides how much of a personal value is shown) in the
    # page's statement, not one statement per row (issue 15's query budgets).
    stmt = (
        select(Correction)
        .join(Item, Item.id == Correction.item_id)
        .where(item_filter(actor))
        .options(joinedload(Correction.item))
    )
    if item_id is not None:
        stmt = stmt.where(Correction.item_id == item_id)
    if status is not None:
        stmt = stmt.where(Correction.status == status)
    return stmt.order_by(Correction.id.desc())
