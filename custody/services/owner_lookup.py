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

A victim of the case looks up their own restitution status the same way (``victim_lookup``): the
lookup number and code given when the victim was recorded, the same limit, the same event.

Every attempt, refused or not, is a security event. It names no case: the public caller's address
and user agent are for the security log, not for a case's dossier.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from custody.audit.recorder import record_event
from custody.domain.actor import Origin
from custody.domain.clock import local_date
from custody.domain.enums import EventCategory, LineDecision, Outcome
from custody.domain.judgment_orders import OrderKind
from custody.domain.money import ClaimClass, LineStatus, PlanStatus
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
from custody.models.money import RestitutionClaim, RestitutionLine, RestitutionPlan, Victim
from custody.models.oversight import CaseJudgment, JudgmentOrder, OwnerLookupAttempt
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


def _begin(session: Session, origin: Origin, now: datetime | None) -> tuple[str, datetime, bool]:
    """Serialise the address's attempts, then whether it is over the limit (no code is checked then)."""
    ip = (origin.ip or "unknown")[:64]
    _serialise(session, ip)
    now = now or utcnow()  # after the wait: attempts committed meanwhile are inside the window
    return ip, now, is_limited(_failures(session, OwnerLookupAttempt.ip, ip, now - FAILURE_WINDOW))


def _record(
    session: Session,
    *,
    ip: str,
    now: datetime,
    number: str,
    outcome: LookupOutcome,
    origin: Origin,
    object_type: str | None,
    object_id: int | None,
    data: dict[str, object],
) -> None:
    """Count the attempt for the rate limit and record it as a security event (naming no case)."""
    session.add(OwnerLookupAttempt(attempted_at=now, ip=ip, list_no=number, outcome=outcome))
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
        object_type=object_type,
        object_id=object_id,
        data={"list_no": number, "result": outcome, **data},
    )
    session.flush()


def lookup(
    session: Session, *, list_no: str | None, code: str | None, origin: Origin, now: datetime | None = None
) -> LookupResult:
    """One lookup attempt; recorded (rate limit and audit) whatever the outcome. The caller commits."""
    number = normalise_list_no(list_no)
    ip, now, limited = _begin(session, origin, now)
    seizure_list = None
    if limited:
        outcome = LookupOutcome.LIMITED
    else:
        seizure_list = (
            session.scalar(select(SeizureList).where(SeizureList.list_no == number)) if number else None
        )
        ok = seizure_list is not None and code_matches(code or "", seizure_list.verification_code)
        outcome = LookupOutcome.SUCCESS if ok else LookupOutcome.FAILURE
        if not ok:
            seizure_list = None
    items = _items(session, seizure_list.id) if seizure_list is not None else []
    _record(
        session,
        ip=ip,
        now=now,
        number=number,
        outcome=outcome,
        origin=origin,
        object_type="seizure_list" if seizure_list else None,
        object_id=seizure_list.id if seizure_list else None,
        data={"items": len(items)},
    )
    if seizure_list is None:
        return LookupResult(outcome, number)
    return LookupResult(outcome, number, local_date(seizure_list.seized_at), items)


# -- a victim's own restitution status -------------------------------------------------------------


@dataclass(frozen=True)
class VictimPayment:
    paid_on: date
    amount_fen: int


@dataclass(frozen=True)
class VictimClaimStatus:
    """One of the victim's own claims: what they claimed, what the judgment confirmed, what they
    received elsewhere, what a plan awaiting approval or approved gives them, and what was paid."""

    klass: ClaimClass
    claimed_fen: int
    recorded_on: date
    confirmed_fen: int | None
    confirmed_on: date | None
    compensated_fen: int
    planned_fen: int | None
    plan_status: PlanStatus | None
    paid_fen: int
    payments: list[VictimPayment]


@dataclass(frozen=True)
class VictimOrderStatus:
    """An amount the judgment orders paid to the victim (责令退赔), what a plan awaiting approval or
    approved gives them from it, and what was paid."""

    ordered_fen: int
    judgment_effective_on: date
    planned_fen: int | None
    plan_status: PlanStatus | None
    paid_fen: int
    payments: list[VictimPayment]


@dataclass(frozen=True)
class VictimLookupResult:
    outcome: LookupOutcome
    lookup_no: str
    claims: list[VictimClaimStatus] = field(default_factory=list)
    orders: list[VictimOrderStatus] = field(default_factory=list)


def victim_lookup(
    session: Session, *, lookup_no: str | None, code: str | None, origin: Origin, now: datetime | None = None
) -> VictimLookupResult:
    """被害人查询 — a victim's lookup number and code (given when the victim was recorded) show their
    own claims and payments, and nothing else: no name, no other victim, no case, no totals. The same
    rate limit per address and the same security event as the seizure-list lookup."""
    number = normalise_list_no(lookup_no)
    ip, now, limited = _begin(session, origin, now)
    victim = None
    if limited:
        outcome = LookupOutcome.LIMITED
    else:
        victim = session.scalar(select(Victim).where(Victim.lookup_no == number)) if number else None
        ok = (
            victim is not None
            and victim.lookup_code is not None
            and code_matches(code or "", victim.lookup_code)
        )
        outcome = LookupOutcome.SUCCESS if ok else LookupOutcome.FAILURE
        if not ok:
            victim = None
    claims = _victim_claims(session, victim.id) if victim is not None else []
    orders = _victim_orders(session, victim.id) if victim is not None else []
    _record(
        session,
        ip=ip,
        now=now,
        number=number,
        outcome=outcome,
        origin=origin,
        object_type="victim" if victim else None,
        object_id=victim.id if victim else None,
        data={"claims": len(claims), "orders": len(orders)},
    )
    return VictimLookupResult(outcome, number, claims, orders)


OPEN_PLANS = (PlanStatus.PROPOSED, PlanStatus.APPROVED)


@dataclass(frozen=True)
class _PlanShare:
    """What the plan lines of one claim or one order give the victim: planned (in a plan awaiting
    approval or approved, the latest) and paid."""

    planned_fen: int | None = None
    plan_status: PlanStatus | None = None
    payments: list[VictimPayment] = field(default_factory=list)


def _plan_shares(session: Session, key: Any, ids: list[int]) -> dict[int, _PlanShare]:
    """The plan lines whose ``key`` (``RestitutionLine.claim_id`` or ``.order_id``) is one of ``ids``,
    folded per id in one statement."""
    lines = session.execute(
        select(
            key.label("owner_id"),
            RestitutionLine.allocated_fen,
            RestitutionLine.status,
            RestitutionLine.paid_at,
            RestitutionPlan.status.label("plan_status"),
        )
        .join(RestitutionPlan, RestitutionPlan.id == RestitutionLine.plan_id)
        .where(key.in_(ids))
        .order_by(RestitutionLine.id)
    ).all()
    shares = {}
    for owner_id in ids:
        mine = [line for line in lines if line.owner_id == owner_id]
        pending = [
            line for line in mine if line.plan_status in OPEN_PLANS and line.status is LineStatus.PENDING
        ]
        shares[owner_id] = _PlanShare(
            planned_fen=pending[-1].allocated_fen if pending else None,
            plan_status=pending[-1].plan_status if pending else None,
            payments=[
                VictimPayment(local_date(line.paid_at), line.allocated_fen)
                for line in mine
                if line.status is LineStatus.PAID and line.paid_at is not None
            ],
        )
    return shares


def _victim_claims(session: Session, victim_id: int) -> list[VictimClaimStatus]:
    """Only rows that belong to this victim: their claims, and the plan lines of those claims."""
    claims = list(
        session.scalars(
            select(RestitutionClaim)
            .where(RestitutionClaim.victim_id == victim_id)
            .order_by(RestitutionClaim.id)
        )
    )
    if not claims:
        return []
    shares = _plan_shares(session, RestitutionLine.claim_id, [claim.id for claim in claims])
    return [
        VictimClaimStatus(
            klass=claim.klass,
            claimed_fen=claim.claimed_fen,
            recorded_on=local_date(claim.created_at),
            confirmed_fen=claim.confirmed_fen,
            confirmed_on=local_date(claim.confirmed_at) if claim.confirmed_at else None,
            compensated_fen=claim.compensated_fen,
            planned_fen=shares[claim.id].planned_fen,
            plan_status=shares[claim.id].plan_status,
            paid_fen=claim.paid_fen,
            payments=shares[claim.id].payments,
        )
        for claim in claims
    ]


def _victim_orders(session: Session, victim_id: int) -> list[VictimOrderStatus]:
    """Only this victim's payment orders of the judgment, and the plan lines made from them (a plan
    generated from the judgment's orders pays by order, not by claim)."""
    orders = session.execute(
        select(JudgmentOrder.id, JudgmentOrder.amount_fen, CaseJudgment.effective_on)
        .join(CaseJudgment, CaseJudgment.id == JudgmentOrder.judgment_id)
        .where(JudgmentOrder.victim_id == victim_id, JudgmentOrder.kind == OrderKind.PAY_VICTIM)
        .order_by(JudgmentOrder.id)
    ).all()
    if not orders:
        return []
    shares = _plan_shares(session, RestitutionLine.order_id, [order.id for order in orders])
    return [
        VictimOrderStatus(
            ordered_fen=order.amount_fen or 0,
            judgment_effective_on=order.effective_on,
            planned_fen=shares[order.id].planned_fen,
            plan_status=shares[order.id].plan_status,
            paid_fen=sum(payment.amount_fen for payment in shares[order.id].payments),
            payments=shares[order.id].payments,
        )
        for order in orders
    ]


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
