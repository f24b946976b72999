"""The sequencer: every audit event gets its place in the global Merkle log as it is committed.

A session listener, installed once for every SQLAlchemy session, so nothing that records events
can forget it — services (committed by the request), the refusals that ``custody.errors`` and the
login paths commit separately, CLI commands, scripts. At ``before_commit`` of a session that
recorded events it

1. flushes, so the events have ids and the transaction holds SQLite's write lock;
2. locks the ``log_state`` row (``SELECT … FOR UPDATE``): commits that record events queue here,
   so log order is commit order and indexes stay contiguous under concurrent writers;
3. appends one ``log_entry`` per event, in id order, and advances the stored frontier;
4. signs a checkpoint when one is due (``CUSTODY_CHECKPOINT_EVERY_EVENTS`` / ``_MINUTES``).

The lock is taken last, just before COMMIT, and held only for these few statements. Any failure
aborts the commit, so an event is never committed without its log entry. docs/LEDGER.md §6
explains the choice.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import event, insert, inspect, update
from sqlalchemy.orm import Session, SessionTransaction

from custody.models.audit import AuditEvent
from custody.models.ledger import LOG_STATE_ID, LogEntry, LogState
from custody.orm import utcnow

from .canonical import canonical_bytes
from .ledger import LedgerSettings, checkpoint_due, read_head, settings_if_available, sign_head
from .merkle import LEAF_PREFIX
from .recorder import event_entry

# session.info key: AuditEvent objects flushed in the current transaction, not yet in the log.
PENDING = "custody.audit.unsequenced"


def init_app(app: object) -> None:
    """Load the app's signing settings and make sure the listener is installed."""
    from .ledger import init_app as init_ledger

    init_ledger(app)
    install()


def install() -> None:
    """Listen on every Session (idempotent)."""
    if event.contains(Session, "before_commit", _before_commit):
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_transaction_end", _after_transaction_end)


def leaf_hash_hex(audit_event: AuditEvent) -> str:
    return hashlib.sha256(LEAF_PREFIX + canonical_bytes(event_entry(audit_event))).hexdigest()


def _after_flush(session: Session, flush_context: object) -> None:
    # session.new still lists what this flush inserted (the pre-flush state).
    new = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if new:
        session.info.setdefault(PENDING, []).extend(new)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # releasing a savepoint: the outer commit sequences everything
    session.flush()
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    # Events flushed inside a savepoint that was rolled back are transient again: skip them.
    ids: dict[int, AuditEvent] = {}
    for audit_event in pending:
        identity = inspect(audit_event).identity
        if identity is not None:
            ids[identity[0]] = audit_event
    if ids:
        append(session, [ids[i] for i in sorted(ids)], settings_if_available())


def append(session: Session, events: list[AuditEvent], settings: LedgerSettings | None) -> None:
    """Give ``events`` the next log indexes, under the log lock, in the caller's transaction.

    The leaf hashes do not depend on the position: they are computed before the lock is taken, so
    that the lock (which every writing commit waits for) is held only for the frontier's few
    hashes and the three statements below (issue 15)."""
    leaves = [(audit_event.id, leaf_hash_hex(audit_event)) for audit_event in events]
    head = read_head(session, lock=True)
    frontier = head.frontier
    rows = []
    for event_id, leaf in leaves:
        rows.append({"log_index": frontier.size, "event_id": event_id, "leaf_hash": leaf})
        frontier.append(bytes.fromhex(leaf))
    session.execute(insert(LogEntry), rows)

    now = utcnow()
    head.tree_size = frontier.size
    head.pending_since = head.pending_since or now
    values = {"tree_size": frontier.size, "frontier": frontier.to_hex(), "pending_since": head.pending_since}
    if settings is not None and checkpoint_due(settings, head, now):
        sign_head(session, settings, frontier.size, frontier.root(), now)
        values.update(last_checkpoint_size=frontier.size, pending_since=None)
    session.execute(update(LogState).where(LogState.id == LOG_STATE_ID).values(**values))
