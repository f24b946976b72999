"""Assertions shared by test modules."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from custody.extensions import db
from custody.models.audit import AuditEvent


def fresh() -> None:
    """End the test's own transaction so it sees what requests committed since."""
    db.session.commit()
    db.session.expire_all()


def events(action: str | None = None, **filters: Any) -> list[AuditEvent]:
    fresh()
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    for key, value in filters.items():
        stmt = stmt.where(getattr(AuditEvent, key) == value)
    return list(db.session.scalars(stmt))


def row_counts(*models: type) -> dict[str, int]:
    """Row count per table, to assert that a refused request changed nothing."""
    fresh()
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in models}


def all_event_text() -> str:
    return "\n".join(
        json.dumps({"data": e.data, "actor": e.actor, "reason": e.reason}, ensure_ascii=False)
        for e in events()
    )
