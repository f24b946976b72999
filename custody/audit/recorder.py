"""Append events to the audit record, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from custody.domain.actor import Actor, Origin
from custody.domain.enums import EventCategory, Outcome
from custody.models.audit import AuditEvent
from custody.orm import utcnow

from .canonical import ENTRY_COLUMNS, build_entry, entry_hash, jsonable

__all__ = ["event_entry", "jsonable", "record_event"]


def event_entry(event: Any) -> dict[str, Any]:
    """The hashed representation of a stored event (an ``AuditEvent`` or a row with its columns)."""
    return build_entry(**{name: getattr(event, name) for name in ENTRY_COLUMNS})


def record_event(
    session: Session,
    *,
    category: EventCategory,
    action: str,
    actor: Actor | None,
    outcome: Outcome = Outcome.SUCCESS,
    origin: Origin | None = None,
    object_type: str | None = None,
    object_id: object | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    case_id: int | None = None,
    item_id: int | None = None,
    item_seq: int | None = None,
    prev_hash: str | None = None,
) -> AuditEvent:
    """Add one event to ``session`` (flushed with the caller's change, committed by the request)."""
    recorded_at = utcnow()
    origin = origin or (actor.origin if actor else Origin())
    event = AuditEvent(
        category=category,
        action=action,
        outcome=outcome,
        actor_user_id=actor.user_id if actor else None,
        actor_agency_id=actor.agency_id if actor else None,
        actor=actor.snapshot() if actor else None,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        case_id=case_id,
        item_id=item_id,
        item_seq=item_seq,
        occurred_at=occurred_at or recorded_at,
        recorded_at=recorded_at,
        reason=reason,
        data=jsonable(data or {}),
        origin_ip=(origin.ip or None),
        user_agent=(origin.user_agent or "")[:255] or None,
        prev_hash=prev_hash,
    )
    event.hash = entry_hash(event_entry(event))
    session.add(event)
    return event
