"""Concurrent writers on PostgreSQL, each thread with its own app context, session and connection.

The sequencer's row lock on ``log_state`` must make the log contiguous, duplicate-free and in
commit order, while item row locks keep each item's chain contiguous — without deadlocks, since
the log lock is always the last one a transaction takes.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from custody.audit.recorder import record_event
from custody.domain.enums import EventCategory
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.ledger import Checkpoint, LogEntry
from custody.services.item_events import append_item_event
from custody.services.visibility import lock_items

from ..factories import act, stored_items
from ..helpers import fresh
from .ledger_helpers import problem_texts, verify

WRITERS = 8
EVENTS_EACH = 200


def test_eight_writers_two_hundred_events_each_make_one_gapless_log(postgres_app):
    _, items = stored_items(WRITERS)
    item_ids = [item.id for item in items]
    keeper = act("police_keeper")
    fresh()
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    barrier = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def writer(number: int) -> None:
        with postgres_app.app_context():
            try:
                barrier.wait()
                for i in range(EVENTS_EACH):
                    if i % 2:  # an item event: neighbours share items, so item locks contend too
                        [item] = lock_items(db.session, keeper, [item_ids[(number + i) % WRITERS]])
                        append_item_event(
                            db.session, item, keeper, "item.condition", data={"writer": number, "n": i}
                        )
                    else:
                        record_event(
                            db.session,
                            category=EventCategory.SECURITY,
                            action="test.concurrent",
                            actor=None,
                            data={"writer": number, "n": i},
                        )
                    db.session.commit()
            except BaseException as exc:
                failures.append(exc)
            finally:
                db.session.remove()

    started = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.perf_counter() - started
    assert not any(t.is_alive() for t in threads), "a writer never finished (deadlock?)"
    assert not failures, failures

    fresh()
    total = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert total == before + WRITERS * EVENTS_EACH
    indexes = list(db.session.scalars(select(LogEntry.log_index).order_by(LogEntry.log_index)))
    assert indexes == list(range(total))  # no gaps
    assert db.session.scalar(select(func.count(func.distinct(LogEntry.event_id)))) == total  # no duplicates
    report = verify()
    assert report.ok, problem_texts(report)
    # Automatic checkpoints were signed along the way (every 100 events) and all verified.
    assert db.session.scalar(select(func.count()).select_from(Checkpoint)) >= total // 100
    print(
        f"\n{WRITERS}×{EVENTS_EACH} events in {elapsed:.2f} s; verified {report.events} in {report.seconds:.2f} s"
    )


def test_log_order_is_commit_order_not_id_order(postgres_app):
    first_flushed = threading.Event()
    second_committed = threading.Event()
    ids: dict[str, int] = {}

    def slow() -> None:
        with postgres_app.app_context():
            try:
                event = record_event(
                    db.session, category=EventCategory.SECURITY, action="test.slow", actor=None
                )
                db.session.flush()
                ids["slow"] = event.id
                first_flushed.set()
                second_committed.wait(10)
                db.session.commit()
            finally:
                db.session.remove()

    thread = threading.Thread(target=slow)
    thread.start()
    assert first_flushed.wait(10)
    with postgres_app.app_context():
        event = record_event(db.session, category=EventCategory.SECURITY, action="test.fast", actor=None)
        db.session.commit()
        ids["fast"] = event.id
        db.session.remove()
    second_committed.set()
    thread.join(10)

    fresh()
    index = dict(db.session.execute(select(LogEntry.event_id, LogEntry.log_index)).all())
    assert ids["slow"] < ids["fast"]
    assert index[ids["fast"]] < index[ids["slow"]]
    assert verify().ok
