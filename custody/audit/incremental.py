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
from .ledger import LedgerSettings
from .merkle import MerkleFrontier
from .verification import (
    FETCH_ROWS,
    EntryReader,
    Problem,
    UnreadableRow,
    _Chains,
    _check_chain_head,
    _check_log_head,
    _check_stored_checkpoints,
    _Collector,
    _event_columns,
    _log_statement,
    _read_log,
    _row_columns,
    check_row,
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
    mark = _usable_mark(session, report, problem)
    if mark is None:
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
            _log_statement()
            .where(LogEntry.log_index >= mark.log_size)
            .execution_options(yield_per=FETCH_ROWS)
        )
    )
    touched = {row.item_id for row in rows if isinstance(row.item_id, int)}
    chains = _Chains(problem)
    chains.heads.update(_heads_before(session, touched, mark.log_size))
    server_stamps = session.connection().dialect.name == "postgresql"
    _read_log(rows, frontier, wanted, roots, chains, problem, report, server_stamps=server_stamps)

    # 3. Signed checkpoints past the mark; one of them covers the mark's own event.
    _check_stored_checkpoints(settings, checkpoints, roots, report.log_size, problem)
    _check_mark_signed(mark, _mark_index(rows, mark), checkpoints, problem)
    _check_log_head(session, report.log_size, frontier, problem)

    # 4 and 5. Touched items: chain heads, and the live row against the whole history.
    _check_items(session, touched, chains, problem, report)
    report.seconds = time.perf_counter() - started
    return report


def _usable_mark(session: Session, report: IncrementalReport, problem: _Collector) -> Mark | None:
    """1. The mark (kept in the report), when there is one and its frontier gives its root."""
    mark, why = latest_mark(session)
    if mark is None:
        problem("incremental.no_mark", why or "")
        return None
    report.mark = mark
    if mark.frontier.root() != mark.root:
        problem(
            "incremental.mark",
            N_("The last verification (event %(event_id)s) states a frontier that does not give its root."),
            event_id=mark.event_id,
        )
        return None
    return mark


def _mark_index(rows: list[Any], mark: Mark) -> int | None:
    """Where the mark's own event is in the log (the last place, should it appear twice)."""
    index: int | None = None
    for row in rows:
        if row.id is not None and row.id == mark.event_id:
            index = row.log_index
    return index


def _check_mark_signed(
    mark: Mark, mark_index: int | None, checkpoints: list[Checkpoint], problem: _Collector
) -> None:
    """The mark's event is in the log after the size it checked, and a signed checkpoint covers it."""
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
        replay, read = replay_.Replay(), EntryReader()
        for row in session.execute(
            select(*_event_columns())
            .join(LogEntry, LogEntry.event_id == AuditEvent.id)
            .where(AuditEvent.item_id.in_(chunk))
            .order_by(LogEntry.log_index)
        ):
            try:
                replay.add(read(row)[0], row.id)
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
            _check_chain_head(chains, row.id, row.event_count, row.last_event_hash, problem)
        for item_id in sorted(set(chunk) - found):
            problem(
                "live.row_missing",
                N_(
                    "Item %(item_id)s has events in its history but no row in the database: the row was deleted."
                ),
                item_id=item_id,
            )
