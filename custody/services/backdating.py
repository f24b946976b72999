"""Back-dated entries — the supervisors' list (issue 14).

A keeper may date a storage step earlier than now, with a real reason (``domain/items.check_occurred_at``).
Such entries are marked on the item's timeline and listed here for approvers and auditors
(``Action.REVIEW_BACKDATING``), newest first, with how far back they were dated and — for the step that
brought the item into storage — whether the 24-hour rule, judged by when the entry was recorded, was
broken (``domain/deadlines.into_storage_judgement``, kept in the event's data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from custody.domain.actor import Actor
from custody.domain.items import BACKDATABLE_ACTIONS, BACKDATE_WITHOUT_REASON
from custody.domain.policy import Action, require
from custody.models.audit import AuditEvent
from custody.models.item import Item

from .visibility import case_item_filter


@dataclass(frozen=True)
class BackdatedEntry:
    event: AuditEvent
    label_code: str

    @property
    def hours_earlier(self) -> float:
        """How long before its recording the entry was dated."""
        return round((self.event.recorded_at - self.event.occurred_at).total_seconds() / 3600, 1)

    @property
    def late(self) -> bool:
        """The step brought a police item into storage after the 24-hour limit (judged as recorded)."""
        return bool(((self.event.data or {}).get("into_storage") or {}).get("late"))


def _backdated(session: Session) -> ColumnElement[bool]:
    """``domain/items.is_backdated`` in SQL, on either engine."""
    if session.get_bind().dialect.name == "postgresql":
        return AuditEvent.recorded_at - AuditEvent.occurred_at > BACKDATE_WITHOUT_REASON
    seconds = (func.julianday(AuditEvent.recorded_at) - func.julianday(AuditEvent.occurred_at)) * 86400.0
    return seconds > BACKDATE_WITHOUT_REASON.total_seconds()


def backdated_query(session: Session, actor: Actor, *, late_only: bool = False) -> Select[Any]:
    """Storage steps dated more than 10 minutes before they were recorded, on items of the cases the
    actor's agency takes part in (auditors: all), newest record first."""
    require(actor, Action.REVIEW_BACKDATING)
    stmt = (
        select(AuditEvent)
        .join(Item, Item.id == AuditEvent.item_id)
        .where(AuditEvent.action.in_(BACKDATABLE_ACTIONS), _backdated(session), case_item_filter(actor))
        .order_by(AuditEvent.recorded_at.desc(), AuditEvent.id.desc())
    )
    if late_only:
        stmt = stmt.where(AuditEvent.data[("into_storage", "late")].as_boolean().is_(True))
    return stmt


def entries(session: Session, events: Sequence[AuditEvent]) -> list[BackdatedEntry]:
    """The page's events with their items' label codes (one query)."""
    ids = {e.item_id for e in events if e.item_id is not None}
    labels: dict[int, str] = {}
    if ids:
        labels = {
            row.id: row.label_code
            for row in session.execute(select(Item.id, Item.label_code).where(Item.id.in_(ids)))
        }
    return [BackdatedEntry(e, labels.get(e.item_id or 0, "")) for e in events]
