"""Incremental verification: the log since the last verified checkpoint (issue 15).

``verify_ledger`` reads every event ever recorded; at city scale (millions of events) that is a
nightly job. ``verify_since_mark`` checks only what was added since the last verification that
passed, so it can run every few minutes and its cost grows with the new events alone:

1. **The mark.** Every ``verify-audit`` run that passed is recorded as an ``audit.verify`` event
   whose data carries the log size it checked, the root and the Merkle frontier (the roots of the
   complete subtrees, ``MerkleFrontier.to_hex``). The latest such event is the mark; its frontier
   must give its root.
2. **The new entries** (log index ≥ the mark's size), as the full verification checks them: no gap,
   each event present and unaltered (its canonical bytes give its hash), each leaf matching, the
   frontier carried forward from the mark's.
3. **Append-only since the mark.** Every signed checkpoint past the mark must be signed by a trusted
   key and have the root recomputed at its size; at least one must cover the mark's own event — a
   signed root over the frontier the mark states, which pins that frontier to the history that was
   verified (nobody without the signing key can forge the mark or rewrite what came before it).
4. **Item chains.** Each new event of an item follows the item's last event before the mark (its
   number and hash); each touched item's head (``event_count``, ``last_event_hash``) matches.
5. **Live rows of touched items.** Each item with new events is replayed from its whole history
   (``custody.audit.replay``) and held against its row.

What it does not do, on purpose: re-read the history before the mark (the full verification did,
and the signed checkpoints pin it), and replay records other than items (cases, transfers,
check-outs… — the full verification does). Run ``verify-audit`` in full regularly (nightly) and
``verify-audit --since-last`` in between; each run that passes becomes the next mark.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from custody.domain.enums import Outcome
from custody.domain.i18n import N_
from custody.models.audit import AuditEvent
from custody.models.item import Item
from custody.models.ledger import Checkpoint, LogEntry

from . import replay as replay_
from .canonical import GENESIS_HASH
from .ledger import LedgerNotInitialised, LedgerSettings, read_head
from .merkle import LEAF_PREFIX, MerkleFrontier
from .verification import (
    FETCH_ROWS,
    Problem,
    UnreadableRow,
    _Chains,
    _check_stored_checkpoint,
    _Collector,
    _event_columns,
    _row_columns,
    check_row,
    entry_and_bytes,
    event_entry_of,
)

SCOPES = ("ledger", "ledger_since")  # the audit.verify events that may serve as a mark


@dataclass
class Mark:
    event_id: int
    log_size: int
    root: bytes
    frontier: MerkleFrontier


@dataclass
class IncrementalReport:
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    mark: Mark | None = None
    events: int = 0  # new events checked
    items: int = 0  # items touched by them, replayed and compared
    log_size: int = 0
    root: bytes = b""
    frontier: list[str] = field(default_factory=list)
    checkpoints: int = 0  # signed checkpoints past the mark
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0 and self.mark is not None

    def summary(self) -> dict[str, Any]:
        """What the recorded verification keeps: the verdict, and the next mark (size, root, frontier)."""
        first = self.problems[0] if self.problems else None
        return {
            "ok": self.ok,
            "since": self.mark.log_size if self.mark else None,
            "since_event_id": self.mark.event_id if self.mark else None,
            "events": self.events,
            "items": self.items,
            "log_size": self.log_size,
            "root_hash": self.root.hex(),
            "frontier": self.frontier,
            "checkpoints": self.checkpoints,
            "problems": self.problem_count,
            "first_problem": first.text() if first else None,
        }


def _data(value: Any) -> dict[str, Any]:
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def latest_mark(session: Session) -> tuple[Mark | None, str | None]:
    """The last verification that passed and states its frontier; or why there is none usable."""
    row = session.execute(
        select(AuditEvent.id, AuditEvent.data)
        .where(
            AuditEvent.action == "audit.verify",
            AuditEvent.object_type.in_(SCOPES),
            AuditEvent.outcome == Outcome.SUCCESS,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None, N_("No verification has passed yet: run a full verification first.")
    data = _data(row.data)
    try:
        size = int(data["log_size"])
        root = bytes.fromhex(data["root_hash"])
        frontier = MerkleFrontier.from_hex(size, data["frontier"])
    except (KeyError, TypeError, ValueError):
        return None, N_("The last verification does not state its frontier: run a full verification first.")
    return Mark(row.id, size, root, frontier), None


def verify_since_mark(
    session: Session, settings: LedgerSettings, *, max_problems: int = 100
) -> IncrementalReport:
    started = time.perf_counter()
    report = IncrementalReport()
    problem = _Collector(report, max_problems)
    mark, why = latest_mark(session)
    if mark is None:
        problem("incremental.no_mark", why or "")
        report.seconds = time.perf_counter() - started
        return report
    report.mark = mark
    if mark.frontier.root() != mark.root:
        problem(
            "incremental.mark",
            N_("The last verification (event %(event_id)s) states a frontier that does not give its root."),
            event_id=mark.event_id,
        )
        report.seconds = time.perf_counter() - started
        return report

    checkpoints = list(
        session.scalars(
            select(Checkpoint).where(Checkpoint.tree_size > mark.log_size).order_by(Checkpoint.id)
        )
    )
    report.checkpoints = len(checkpoints)
    wanted = {c.tree_size for c in checkpoints}
    roots: dict[int, bytes] = {mark.log_size: mark.root}
    frontier = mark.frontier.copy()

    # 2. The new entries, in log order (kept: they are what this run is about).
    rows = list(
        session.execute(
            select(
                LogEntry.log_index,
                LogEntry.event_id.label("logged_event_id"),
                LogEntry.leaf_hash,
                *_event_columns(),
            )
            .select_from(LogEntry)
            .outerjoin(AuditEvent, AuditEvent.id == LogEntry.event_id)
            .where(LogEntry.log_index >= mark.log_size)
            .order_by(LogEntry.log_index)
            .execution_options(yield_per=FETCH_ROWS)
        )
    )
    touched = {row.item_id for row in rows if isinstance(row.item_id, int)}
    chains = _Chains(problem)
    chains.heads.update(_heads_before(session, touched, mark.log_size))
    mark_index: int | None = None
    expected_index = mark.log_size
    for row in rows:
        if row.log_index != expected_index:
            problem(
                "log.gap",
                N_("The log jumps from entry %(expected)s to entry %(found)s: entries are missing."),
                log_index=expected_index,
                expected=expected_index,
                found=row.log_index,
            )
        expected_index = row.log_index + 1
        if row.id is None:
            problem(
                "log.no_event",
                N_(
                    "Log entry %(log_index)s names event %(event_id)s, which does not exist: the event was deleted."
                ),
                log_index=row.log_index,
                event_id=row.logged_event_id,
            )
            leaf = bytes.fromhex(row.leaf_hash) if len(row.leaf_hash or "") == 64 else b"\0" * 32
        else:
            report.events += 1
            if row.id == mark.event_id:
                mark_index = row.log_index
            try:
                data = entry_and_bytes(row)[1]
            except UnreadableRow as exc:
                problem(
                    "event.unreadable",
                    N_("Event %(event_id)s cannot be read: %(reason)s."),
                    event_id=row.id,
                    reason=str(exc),
                )
                data = b""
            digest = hashlib.sha256(data).hexdigest()
            if data and digest != row.hash:
                problem(
                    "event.altered",
                    N_("Event %(event_id)s was altered: its content does not match its hash."),
                    event_id=row.id,
                    item_id=row.item_id,
                )
            leaf = hashlib.sha256(LEAF_PREFIX + data).digest()
            if leaf.hex() != row.leaf_hash:
                problem(
                    "log.leaf",
                    N_("Log entry %(log_index)s does not match event %(event_id)s."),
                    log_index=row.log_index,
                    event_id=row.id,
                )
            chains.add(row, row.hash if isinstance(row.hash, str) else digest)
        frontier.append(leaf)
        if frontier.size in wanted:
            roots[frontier.size] = frontier.root()
    report.log_size = frontier.size
    report.root = frontier.root()
    report.frontier = frontier.to_hex()

    # 3. Signed checkpoints past the mark; one of them covers the mark's own event.
    previous: Checkpoint | None = None
    for checkpoint in checkpoints:
        _check_stored_checkpoint(settings, checkpoint, previous, roots, report.log_size, problem)
        previous = checkpoint
    if mark_index is None:
        problem(
            "incremental.mark_not_logged",
            N_("The last verification (event %(event_id)s) is not in the log after the size it checked."),
            event_id=mark.event_id,
        )
    elif not any(c.tree_size > mark_index for c in checkpoints):
        problem(
            "incremental.mark_not_signed",
            N_(
                "No signed checkpoint covers the last verification yet: sign one (flask custody checkpoint) first."
            ),
            event_id=mark.event_id,
        )
    try:
        head = read_head(session)
        if head.tree_size != report.log_size or head.frontier.hashes != frontier.hashes:
            problem(
                "log.head",
                N_(
                    "The stored log head (%(stored)s entries) does not match the log as recomputed (%(found)s entries)."
                ),
                stored=head.tree_size,
                found=report.log_size,
            )
    except (LedgerNotInitialised, ValueError):
        problem("log.head_missing", N_("The stored log head is missing or unreadable."))

    # 4 and 5. Touched items: chain heads, and the live row against the whole history.
    _check_items(session, touched, chains, problem, report)
    report.seconds = time.perf_counter() - started
    return report


def _heads_before(session: Session, item_ids: set[int], size: int) -> dict[int, tuple[int, str]]:
    """Each item's last event in the log before ``size`` (its number and hash)."""
    heads: dict[int, tuple[int, str]] = {}
    ids = sorted(item_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        latest = (
            select(AuditEvent.item_id, func.max(AuditEvent.item_seq).label("seq"))
            .join(LogEntry, LogEntry.event_id == AuditEvent.id)
            .where(AuditEvent.item_id.in_(chunk), LogEntry.log_index < size)
            .group_by(AuditEvent.item_id)
            .subquery()
        )
        for item_id, seq, digest in session.execute(
            select(AuditEvent.item_id, AuditEvent.item_seq, AuditEvent.hash).join(
                latest, and_(AuditEvent.item_id == latest.c.item_id, AuditEvent.item_seq == latest.c.seq)
            )
        ):
            if item_id is not None and seq is not None:
                heads[item_id] = (seq, digest)
    for item_id in item_ids:
        heads.setdefault(item_id, (0, GENESIS_HASH))
    return heads


def _check_items(
    session: Session, item_ids: set[int], chains: _Chains, problem: Any, report: IncrementalReport
) -> None:
    ids = sorted(item_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        replay = replay_.Replay()
        for row in session.execute(
            select(*_event_columns())
            .join(LogEntry, LogEntry.event_id == AuditEvent.id)
            .where(AuditEvent.item_id.in_(chunk))
            .order_by(LogEntry.log_index)
        ):
            try:
                replay.add(event_entry_of(row), row.id)
            except UnreadableRow:
                continue  # reported with the event (new) or by the full verification (old)
        found = set()
        for row in session.execute(
            select(*_row_columns(replay_.ITEM), Item.event_count, Item.last_event_hash).where(
                Item.id.in_(chunk)
            )
        ):
            found.add(row.id)
            report.items += 1
            check_row(replay.records[replay_.ITEM].get(row.id), replay_.ITEM, row.id, row._mapping, problem)
            seq, chain_hash = chains.head(row.id)
            if row.id not in chains.broken and (row.event_count != seq or row.last_event_hash != chain_hash):
                problem(
                    "chain.head",
                    N_(
                        "Item %(item_id)s: its record says %(count)s events but its history in the "
                        "log has %(found)s: events were removed or added."
                    ),
                    item_id=row.id,
                    count=row.event_count,
                    found=seq,
                )
        for item_id in sorted(set(chunk) - found):
            problem(
                "live.row_missing",
                N_(
                    "Item %(item_id)s has events in its history but no row in the database: the row was deleted."
                ),
                item_id=item_id,
            )
