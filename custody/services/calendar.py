"""The working-day calendar: the holiday package plus the administrator's overrides.

``work_calendar`` is what the deadline engine and the disposal rules use; administrators add a day
off or a 调休 working day the installed package does not know yet (e.g. next year's State Council
arrangement, published each autumn) — each change is an administration event.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from custody.audit.recorder import record_event
from custody.domain.actor import Actor
from custody.domain.enums import EventCategory
from custody.domain.errors import Conflict, InvalidInput, NotFound
from custody.domain.i18n import N_
from custody.domain.policy import Action, require
from custody.domain.workdays import DayKind, Override, WorkCalendar, library_knows_year
from custody.models.oversight import CalendarOverride

from . import settings


def work_calendar(session: Session) -> WorkCalendar:
    rows = session.scalars(select(CalendarOverride))
    return WorkCalendar(
        {row.day: Override(row.kind, row.note) for row in rows}, use_package=_package_enabled()
    )


def _package_enabled() -> bool:
    return bool(settings.get("CUSTODY_HOLIDAY_CALENDAR", True))


def overrides(session: Session) -> list[CalendarOverride]:
    return list(session.scalars(select(CalendarOverride).order_by(CalendarOverride.day)))


def years_needing_overrides(session: Session, today: date, ahead: int = 1) -> list[int]:
    """This year and the next ``ahead`` ones whose State Council arrangement the package does not
    carry and for which no override is recorded: deadlines there count statutory holidays only."""
    covered = {row.day.year for row in overrides(session)}
    return [
        year
        for year in range(today.year, today.year + ahead + 1)
        if not library_knows_year(year) and year not in covered
    ]


def set_override(
    session: Session, actor: Actor | None, *, day: date, kind: DayKind, note: str
) -> CalendarOverride:
    if actor is not None:
        require(actor, Action.MANAGE_REFERENCE_DATA)
    note = (note or "").strip()
    if not note:
        raise InvalidInput(N_("Say why (e.g. the State Council notice)."), fields={"note": [N_("Required.")]})
    if len(note) > 200:
        raise InvalidInput(N_("Too long."), fields={"note": [N_("Too long.")]})
    row = session.get(CalendarOverride, day)
    if row is not None:
        raise Conflict(
            N_("This day already has an override; remove it first."),
            code="calendar.duplicate",
            fields={"day": [N_("Already in use.")]},
        )
    row = CalendarOverride(day=day, kind=kind, note=note, created_by_id=actor.user_id if actor else None)
    session.add(row)
    session.flush()
    record_event(
        session,
        category=EventCategory.ADMIN,
        action="calendar.override",
        actor=actor,
        object_type="calendar_override",
        object_id=None,
        data={"day": day, "kind": kind, "note": note},
    )
    return row


def remove_override(session: Session, actor: Actor | None, day: date) -> None:
    if actor is not None:
        require(actor, Action.MANAGE_REFERENCE_DATA)
    row = session.get(CalendarOverride, day)
    if row is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.calendar")
    session.delete(row)
    session.flush()
    record_event(
        session,
        category=EventCategory.ADMIN,
        action="calendar.override_removed",
        actor=actor,
        object_type="calendar_override",
        object_id=None,
        data={"day": day, "kind": row.kind, "note": row.note},
    )
