"""The append-only audit record.

One table holds every recorded event: security events (logins, lockouts, tokens, denials),
administration (users, roles, reference data) and — from the custody core on — each item's
custody history. Rows are only ever inserted; corrections are new events that point at old ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custody.domain.enums import EventCategory, Outcome
from custody.orm import Base, BigId, str_enum


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_category_recorded_at", "category", "recorded_at"),
        # An item's history is a contiguous chain 1, 2, 3, ...: no two events share a place.
        UniqueConstraint("item_id", "item_seq"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    category: Mapped[EventCategory] = mapped_column(str_enum(EventCategory, 16))
    action: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome, 16))
    actor_user_id: Mapped[int | None] = mapped_column(index=True)
    actor_agency_id: Mapped[int | None] = mapped_column(index=True)
    # Who acted, as they were named at the time (users and agencies can be renamed later).
    actor: Mapped[dict[str, Any] | None]
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("criminal_case.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    item_seq: Mapped[int | None]
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]]
    origin_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
