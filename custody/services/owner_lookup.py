"""当事人查询 — a holder or owner looks up the items of their seizure list, without logging in.

They give the list number and the verification code printed on their copy. They learn, per line,
the item's name and quantity as on their copy and a coarse status with the responsible agency —
nothing about other lists, people, values, locations or the case.

Failures (unknown list number or wrong code — never told apart) are counted per client address in
the database, so the limit holds across all gunicorn workers: after ``MAX_FAILURES`` failures within
``FAILURE_WINDOW`` further attempts from that address are refused without checking the code. There
is no limit per list number, so strangers' wrong guesses never lock the real owner out; the code's
entropy makes guessing hopeless instead (see ``custody.domain.owner_lookup``). Attempts from one
address are serialised (a transaction-scoped advisory lock on PostgreSQL; SQLite requests that write
already hold the database's write lock), so parallel guesses cannot all be counted before any of
them is recorded. The client address is the TCP peer unless ``CUSTODY_TRUSTED_PROXIES`` says how
many reverse proxies in front of the app may be believed about ``X-Forwarded-For``.

Every attempt, refused or not, is a security event. It names no case: the public caller's address
and user agent are for the security log, not for a case's dossier.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from custody.audit.recorder import record_event
from custody.domain.actor import Origin
from custody.domain.clock import local_date
from custody.domain.enums import EventCategory, LineDecision, Outcome
from custody.domain.owner_lookup import (
    FAILURE_WINDOW,
    LookupOutcome,
    OwnerStatus,
    code_matches,
    is_limited,
    normalise_list_no,
    owner_status,
    shows_agency,
)
from custody.models.agency import Agency
from custody.models.case import SeizureList
from custody.models.item import Item
from custody.models.oversight import OwnerLookupAttempt
from custody.models.transfer import Transfer, TransferLine
from custody.orm import utcnow


@dataclass(frozen=True)
class OwnerItem:
    line_no: int
    name: str
    quantity: Decimal
    unit: str
    status: OwnerStatus
    agency: str | None  # the agency responsible now (while held)
    to_agency: str | None = None  # the agency it is being handed to (in transfer)


@dataclass(frozen=True)
class LookupResult:
    outcome: LookupOutcome
    list_no: str
    seized_on: date | None = None
    items: list[OwnerItem] = field(default_factory=list)


def _failures(session: Session, column, value: str, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(OwnerLookupAttempt)
            .where(
                column == value,
                OwnerLookupAttempt.outcome == LookupOutcome.FAILURE,
                OwnerLookupAttempt.attempted_at > since,
            )
        )
        or 0
    )


def _lock_key(kind: str, value: str) -> int:
    """A signed 64-bit advisory-lock key for ``kind:value`` (SHA-256, so keys do not collide by design)."""
    digest = hashlib.sha256(f"custody.owner_lookup:{kind}:{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _serialise(session: Session, ip: str) -> None:
    """Wait for every other attempt from this address to commit.

    Without it, parallel wrong guesses would each count the failures committed so far, all find fewer
    than the limit and all be checked. The lock is transaction-scoped (released at commit or
    rollback). SQLite needs nothing: a request that writes begins ``IMMEDIATE`` and holds the
    database's single write lock.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(select(func.pg_advisory_xact_lock(_lock_key("ip", ip))))


def lookup(
    session: Session, *, list_no: str | None, code: str | None, origin: Origin, now: datetime | None = None
) -> LookupResult:
    """One lookup attempt; recorded (rate limit and audit) whatever the outcome. The caller commits."""
    number = normalise_list_no(list_no)
    ip = (origin.ip or "unknown")[:64]
    _serialise(session, ip)
    now = now or utcnow()  # after the wait: attempts committed meanwhile are inside the window
    since = now - FAILURE_WINDOW
    seizure_list = None
    if is_limited(_failures(session, OwnerLookupAttempt.ip, ip, since)):
        outcome = LookupOutcome.LIMITED
    else:
        seizure_list = (
            session.scalar(select(SeizureList).where(SeizureList.list_no == number)) if number else None
        )
        ok = seizure_list is not None and code_matches(code or "", seizure_list.verification_code)
        outcome = LookupOutcome.SUCCESS if ok else LookupOutcome.FAILURE
        if not ok:
            seizure_list = None
    session.add(OwnerLookupAttempt(attempted_at=now, ip=ip, list_no=number, outcome=outcome))
    items = _items(session, seizure_list.id) if seizure_list is not None else []
    record_event(
        session,
        category=EventCategory.SECURITY,
        action="owner.lookup",
        outcome={
            LookupOutcome.SUCCESS: Outcome.SUCCESS,
            LookupOutcome.FAILURE: Outcome.FAILURE,
            LookupOutcome.LIMITED: Outcome.DENIED,
        }[outcome],
        actor=None,
        origin=origin,
        object_type="seizure_list" if seizure_list else None,
        object_id=seizure_list.id if seizure_list else None,
        data={"list_no": number, "result": outcome, "items": len(items)},
    )
    session.flush()
    if seizure_list is None:
        return LookupResult(outcome, number)
    return LookupResult(outcome, number, local_date(seizure_list.seized_at), items)


def _items(session: Session, seizure_list_id: int) -> list[OwnerItem]:
    agencies = dict(session.execute(select(Agency.id, Agency.name)).all())
    rows = session.execute(
        select(
            Item.id,
            Item.name,
            Item.quantity,
            Item.unit,
            Item.custody_state,
            Item.location_state,
            Item.disposition_status,
            Item.disposition_kind,
            Item.custodian_agency_id,
        )
        .where(Item.seizure_list_id == seizure_list_id)
        .order_by(Item.id)
    ).all()
    pending = (
        dict(
            session.execute(
                select(TransferLine.item_id, Transfer.to_agency_id)
                .join(Transfer, Transfer.id == TransferLine.transfer_id)
                .where(
                    TransferLine.item_id.in_([r.id for r in rows]),
                    TransferLine.decision == LineDecision.PENDING,
                )
            ).all()
        )
        if rows
        else {}
    )
    result = []
    for n, row in enumerate(rows, start=1):
        status = owner_status(
            row.custody_state, row.location_state, row.disposition_status, row.disposition_kind
        )
        to_agency = pending.get(row.id) if status is OwnerStatus.IN_TRANSFER else None
        result.append(
            OwnerItem(
                line_no=n,
                name=row.name,
                quantity=row.quantity,
                unit=row.unit,
                status=status,
                agency=agencies.get(row.custodian_agency_id) if shows_agency(status) else None,
                to_agency=agencies.get(to_agency) if to_agency else None,
            )
        )
    return result
