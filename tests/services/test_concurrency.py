"""Concurrency on PostgreSQL with real, separate connections: row locks decide who wins.

Each worker thread pushes its own app context, so it has its own SQLAlchemy session and its own
database connection — two clerks at two desks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import func, select

from custody.domain.enums import TransferKind
from custody.domain.errors import DomainError
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.item import Item
from custody.services import storage
from custody.services.transfers import decide_lines, propose_transfer

from ..factories import act, agency, location, open_case, register, send_to_procuratorate, stored_items


def race(app, *jobs: Callable[[], object], hold: float = 0.3) -> list[str]:  # noqa: ANN001
    """Run jobs at the same instant in separate connections; each holds its transaction open a
    moment before committing, so the others really wait on its locks."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(job: Callable[[], object]) -> None:
        with app.app_context():
            try:
                barrier.wait()
                job()
                time.sleep(hold)
                db.session.commit()
                outcome = "ok"
            except DomainError as error:
                db.session.rollback()
                outcome = error.code
            finally:
                db.session.remove()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "deadlock: a worker never finished"
    return sorted(outcomes)


def accept_events(item_id: int) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.item_id == item_id, AuditEvent.action == "transfer.accept"))


def test_two_simultaneous_accepts_of_the_same_line(postgres_app):
    case, [item] = stored_items(1)
    transfer = send_to_procuratorate(case, [item.id])

    def sign(username: str):  # noqa: ANN202
        return lambda: decide_lines(db.session, act(username), transfer.id, [item.id], accept=True,
                                    case_no="浦检[2026]1号")

    outcomes = race(postgres_app, sign("prosecutor"), sign("procuratorate_keeper"))
    assert outcomes == ["ok", "transfer.line_decided"]
    assert accept_events(item.id) == 1
    db.session.expire_all()
    stored = db.session.get(Item, item.id)
    assert stored.custodian_agency.code == "PDJC" and stored.event_count == 4


def test_accept_and_reject_race_exactly_one_decision(postgres_app):
    case, [item] = stored_items(1)
    transfer = send_to_procuratorate(case, [item.id])
    outcomes = race(
        postgres_app,
        lambda: decide_lines(db.session, act("prosecutor"), transfer.id, [item.id], accept=True, case_no="浦检[2026]2号"),
        lambda: decide_lines(db.session, act("procuratorate_keeper"), transfer.id, [item.id], accept=False,
                             reason="封条破损"),
    )
    assert outcomes == ["ok", "transfer.line_decided"]
    db.session.commit()
    decisions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.item_id == item.id, AuditEvent.action.in_(["transfer.accept", "transfer.reject"]))).all()
    assert len(decisions) == 1


def test_two_keepers_check_in_the_same_item_once(postgres_app):
    item = register(open_case())
    outcomes = race(
        postgres_app,
        lambda: storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R1-A-01").id),
        lambda: storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R1-A-02").id),
    )
    assert outcomes == ["item.not_awaiting_check_in", "ok"]
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.item_id == item.id, AuditEvent.action == "item.check_in")) == 1


def test_overlapping_multi_item_transfers_lock_in_order_without_deadlock(postgres_app):
    case, stored = stored_items(3)
    a, b, c = (i.id for i in stored)
    to = agency("PDJC").id

    def propose(ids):  # noqa: ANN001, ANN202
        return lambda: propose_transfer(db.session, act("police_officer"), case_id=case.id, to_agency_id=to,
                                        kind=TransferKind.PROSECUTION, item_ids=ids)

    # Opposite orders of the same items: locking by ascending id means one waits, never a deadlock.
    outcomes = race(postgres_app, propose([a, b, c]), propose([c, b, a]))
    assert outcomes == ["item.in_transfer", "ok"]
    db.session.commit()
    for item_id in (a, b, c):
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.item_id == item_id, AuditEvent.action == "transfer.propose")) == 1
