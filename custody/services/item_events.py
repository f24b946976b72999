"""Appending to an item's history: contiguous sequence and hash chain, under the item's lock."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from custody.audit.canonical import GENESIS_HASH, salted_digest
from custody.audit.recorder import record_event
from custody.domain.actor import Actor
from custody.domain.enums import EventCategory
from custody.models.audit import AuditEvent
from custody.models.item import Item


def item_snapshot(item: Item) -> dict[str, Any]:
    """The item's four dimensions, as recorded in before/after of its events."""
    return {
        "measure": item.measure,
        "custodian_agency_id": item.custodian_agency_id,
        "custody_state": item.custody_state,
        "location_state": item.location_state,
        "storage_location_id": item.storage_location_id,
        "external_kind": item.external_kind,
        "external_place": item.external_place,
        "disposition_status": item.disposition_status,
        "disposition_kind": item.disposition_kind,
    }


PERSONAL_FIELDS = ("owner_name", "owner_id_no", "owner_contact")


def registration_data(item: Item) -> dict[str, Any]:
    """What ``item.register`` commits to: every registration field of the row, so that the live row
    can be replayed from its history (custody/audit/replay.py); the owner's personal data only as
    digests salted with the item's salt (docs/LEDGER.md §5.6). The caller has flushed the item."""
    salt = item.personal_data_salt or ""
    return {
        "label_code": item.label_code,
        "name": item.name,
        "category": item.category,
        "quantity": Decimal(str(item.quantity)),
        "unit": item.unit,
        "features": item.features,
        "specification": item.specification,
        "condition_at_seizure": item.condition_at_seizure,
        "source": item.source,
        "is_perishable": bool(item.is_perishable),
        "estimated_value_fen": item.estimated_value_fen,
        "details": item.details,
        "measure_doc_no": item.measure_doc_no,
        "measure_date": item.measure_date,
        "seized_at": item.seized_at,
        "ownership_clear": bool(item.ownership_clear),
        "external_contact": item.external_contact,
        "source_item_id": item.source_item_id,
        "personal_data_sha256": salted_digest(salt, [getattr(item, name) for name in PERSONAL_FIELDS]),
        "personal_data_fields_sha256": {
            name: salted_digest(salt, getattr(item, name)) for name in PERSONAL_FIELDS
        },
    }


# The snapshot's foreign keys that services may change through the relationship instead.
_RELATIONSHIP_KEYS = (
    ("custodian_agency", "custodian_agency_id"),
    ("storage_location", "storage_location_id"),
)


def _foreign_keys_current(session: Session, item: Item) -> None:
    """Make the snapshot's foreign-key columns agree with relationships changed since the last flush
    (``item.storage_location = loc``) — what a flush would do, without flushing: the events of a
    multi-item action are then inserted together at the next flush, not one flush per item. A
    row not yet in the database, or a new related row without its id, is flushed as before."""
    state = inspect(item)
    if state.key is None:
        session.flush()
        return
    for relation, column in _RELATIONSHIP_KEYS:
        added = state.attrs[relation].history.added
        if not added:
            continue
        target = added[0]
        if target is None:
            value = None
        else:
            identity = inspect(target).identity
            if identity is None:
                session.flush()
                return
            value = identity[0]
        if getattr(item, column) != value:
            setattr(item, column, value)


def append_item_event(
    session: Session,
    item: Item,
    actor: Actor | None,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    reason: str | None = None,
    occurred_at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record ``action`` on ``item``. The caller holds the item's row lock (``lock_items``).

    ``actor`` is None only for what the system itself records (a freeze lapsing at its expiry).

    ``before`` is the snapshot taken before the change; the after-state is read from ``item``.
    Only the fields that changed are kept in before/after, so the history reads as a story.
    """
    _foreign_keys_current(session, item)
    after = item_snapshot(item)
    payload: dict[str, Any] = dict(data or {})
    if before is not None:
        changed = [k for k in after if before.get(k) != after[k]]
        payload["before"] = {k: before.get(k) for k in changed}
        payload["after"] = {k: after[k] for k in changed}
    else:
        payload.setdefault("after", after)
    seq = item.event_count + 1
    event = record_event(
        session,
        category=EventCategory.CUSTODY,
        action=action,
        actor=actor,
        object_type="item",
        object_id=item.id,
        case_id=item.case_id,
        item_id=item.id,
        item_seq=seq,
        prev_hash=item.last_event_hash or GENESIS_HASH,
        reason=reason,
        occurred_at=occurred_at,
        data=payload,
    )
    item.event_count = seq
    item.last_event_hash = event.hash
    return event


def decision_opinions(
    session: Session, item_id: int, actions: tuple[str, ...], record_key: str, record_id: int
) -> list[AuditEvent]:
    """The approvers' decisions on a record (审批意见), read from the events of one of its items: those
    of ``actions`` whose data names the record (``record_key`` = ``record_id``), oldest first. The
    record keeps only a rejection's reason; an approval's opinion lives in its event alone."""
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.item_id == item_id, AuditEvent.action.in_(actions))
        .order_by(AuditEvent.id)
    )
    return [event for event in events if (event.data or {}).get(record_key) == record_id]


# -- reading an item's history ---------------------------------------------------------------------


def item_history(session: Session, item_id: int) -> list[AuditEvent]:
    """The item's events in the order of its hash chain (the caller has checked it may see the item)."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.item_id == item_id)
            .order_by(AuditEvent.item_seq, AuditEvent.id)
        )
    )


def recent_custody_events(session: Session, limit: int = 20) -> list[AuditEvent]:
    """The latest custody events of all items (for auditors, who see everything)."""
    stmt = (
        select(AuditEvent).where(AuditEvent.item_id.is_not(None)).order_by(AuditEvent.id.desc()).limit(limit)
    )
    return list(session.scalars(stmt))
