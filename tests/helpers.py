"""Assertions shared by test modules."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from custody.domain.errors import DomainError
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


def race(app, *jobs: Callable[[], object], hold: float = 0.3) -> list[str]:
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
