"""Verifying the stored audit record: item chains, the global log, checkpoints.

``verify_ledger`` is what ``flask custody verify-audit`` runs: it trusts nothing it reads. It
recomputes every event's hash and every item's chain, rebuilds the Merkle tree from the events
themselves (not from the stored leaf hashes), and checks each stored checkpoint's signature and
root — and, given one held outside the database, that the log still extends it. ``verify_item``
checks one item's history and proves each event against the latest checkpoint (API).

Problems are English msgids with parameters (``custody.errors.translate`` renders them), each
naming the event, item, log entry or checkpoint concerned, in the order found.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import queue
import re
import threading
import time
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import chain
from typing import Any, Protocol

from sqlalchemy import DateTime, Select, String, false, func, select, type_coerce
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from custody.domain.i18n import N_
from custody.models.audit import AuditEvent
from custody.models.case import Case
from custody.models.item import Item
from custody.models.ledger import Checkpoint, LogEntry
from custody.models.lifecycle import (
    Checkout,
    CheckoutLine,
    Correction,
    Disposition,
    DispositionLine,
    FreezeOrder,
)
from custody.models.money import MoneyLedger, MoneyMovement
from custody.models.transfer import Transfer, TransferLine

from . import replay as replay_
from .bundle import SignedCheckpoint, read_checkpoint
from .canonical import (
    ENTRY_COLUMNS,
    FORMAT_VERSION,
    GENESIS_HASH,
    build_entry,
    canonical_bytes,
    format_timestamp,
)
from .ledger import LedgerNotInitialised, LedgerSettings, log_tree, read_head
from .merkle import LEAF_PREFIX, MerkleFrontier, verify_inclusion
from .replay import Replay
from .signing import verify_checkpoint

FETCH_ROWS = 2000


@dataclass(frozen=True)
class Problem:
    code: str
    message: str  # msgid with %(name)s slots
    params: dict[str, Any] = field(default_factory=dict)
    event_id: int | None = None
    item_id: int | None = None
    log_index: int | None = None
    checkpoint_id: int | None = None
    # A live row that does not match its history (custody/audit/replay.py): which kind of record
    # ("item", "case", "transfer", "checkout", "disposition", "freeze", "correction"), which one,
    # which field.
    record: str | None = None
    record_id: int | None = None
    field: str | None = None

    def text(self) -> str:
        return self.message % self.params if self.params else self.message


@dataclass
class LedgerReport:
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    events: int = 0
    items: int = 0
    log_size: int = 0
    root: bytes = b""
    checkpoints: int = 0
    seconds: float = 0.0
    # Live rows held against their history, per kind of record (custody/audit/replay.py).
    records: dict[str, int] = field(default_factory=dict)
    # The Merkle frontier at ``log_size``: a run that passed is where the next incremental
    # verification starts (custody/audit/incremental.py).
    frontier: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def summary(self) -> dict[str, Any]:
        """What the recorded verification event keeps (no content, only counts and the verdict)."""
        first = self.problems[0] if self.problems else None
        return {
            "ok": self.ok,
            "events": self.events,
            "items": self.items,
            "log_size": self.log_size,
            "root_hash": self.root.hex(),
            "checkpoints": self.checkpoints,
            "records": dict(self.records),
            "frontier": self.frontier,
            "problems": self.problem_count,
            "first_problem": first.text() if first else None,
        }


_PROBLEM_IDS = ("event_id", "item_id", "log_index", "checkpoint_id", "record_id", "field")


class _Collector:
    def __init__(self, report: Any, limit: int) -> None:
        self.report, self.limit = report, limit

    def __call__(self, code: str, message: str, **kwargs: Any) -> None:
        ids = {k: kwargs[k] for k in _PROBLEM_IDS if k in kwargs}
        if "kind" in kwargs:
            ids["record"] = kwargs.pop("kind")
        self.report.problem_count += 1
        if len(self.report.problems) < self.limit:
            self.report.problems.append(Problem(code, message, kwargs, **ids))


@contextmanager
def snapshot_session(engine: Engine) -> Iterator[Session]:
    """A read-only session on one consistent snapshot (REPEATABLE READ on PostgreSQL; a SQLite
    read transaction is a snapshot already), apart from the caller's session and identity map."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with Session(bind=connection) as session:
            try:
                yield session
            finally:
                session.rollback()


# -- reading rows without trusting them ---------------------------------------------------------

_RAW_TEXT = ("category", "outcome")
_JSON_TEXT = ("actor", "data")
_TIMES = ("occurred_at", "recorded_at")


class _StoredJSON(FunctionElement[str]):
    """A JSON column as the text stored (PostgreSQL would otherwise hand it over decoded, with the
    same json.loads that EntryReader calls — on a text it can cache)."""

    type = String()
    name = "stored_json"
    inherit_cache = True


@compiles(_StoredJSON)
def _stored_json(element: _StoredJSON, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(_StoredJSON, "postgresql")
def _stored_json_postgresql(element: _StoredJSON, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


# PostgreSQL writes the canonical text of a timestamp itself (what ``format_timestamp`` writes of
# the datetime the driver would load, without the Z) for the years every step agrees on; outside
# them the row carries the stored value (``_RawStamp``) and the slow path decides, as before.
_STAMP_RANGE = "{0} >= TIMESTAMPTZ '1000-01-01 00:00:00+00' AND {0} < TIMESTAMPTZ '9999-12-31 00:00:00+00'"


class _UtcStamp(FunctionElement[str]):
    """A timestamp column as the canonical form's text: on PostgreSQL ``to_char`` of the stored
    instant in UTC (NULL outside ``_STAMP_RANGE``); elsewhere (SQLite) the text stored, which the
    reader checks."""

    type = String()
    name = "utc_stamp"
    inherit_cache = True


@compiles(_UtcStamp)
def _utc_stamp(element: _UtcStamp, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(_UtcStamp, "postgresql")
def _utc_stamp_postgresql(element: _UtcStamp, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return (
        f"CASE WHEN {_STAMP_RANGE.format(column)} "
        f"THEN to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') END"
    )


class _RawStamp(FunctionElement[Any]):
    """The stored timestamp where ``_UtcStamp`` is NULL (PostgreSQL, outside its range), as the
    driver loads it; NULL otherwise (and always on SQLite, whose ``_UtcStamp`` is the stored text)."""

    type = DateTime(timezone=True)
    name = "raw_stamp"
    inherit_cache = True


@compiles(_RawStamp)
def _raw_stamp(element: _RawStamp, compiler: Any, **kw: Any) -> str:
    return "NULL"


@compiles(_RawStamp, "postgresql")
def _raw_stamp_postgresql(element: _RawStamp, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"CASE WHEN {_STAMP_RANGE.format(column)} THEN NULL ELSE {column} END"


def _event_columns() -> list[Any]:
    """Event columns as stored: no enum lookups or JSON decoding that a tampered row could break."""
    columns: list[Any] = [AuditEvent.id, AuditEvent.hash]
    for name in ENTRY_COLUMNS:  # in this order: EntryReader.fast reads them by position
        column = getattr(AuditEvent, name)
        if name in _JSON_TEXT:
            column = _StoredJSON(column).label(name)
        elif name in _RAW_TEXT or name in _TIMES:
            column = type_coerce(column, String).label(name)
        columns.append(column)
    return columns


class UnreadableRow(ValueError):
    pass


def _json(value: Any, name: str) -> Any:
    if value is None or not isinstance(value, str | bytes):
        return value  # psycopg decodes json columns itself
    try:
        return json.loads(value)
    except ValueError as exc:
        raise UnreadableRow(f"{name} is not valid JSON") from exc


def _time(value: Any, name: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise UnreadableRow(f"{name} is not a timestamp") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite stores UTC without offset


def entry_bytes(row: Any) -> bytes:
    """The canonical bytes of an event row read with ``_event_columns``."""
    return entry_and_bytes(row)[1]


def event_entry_of(row: Any) -> dict[str, Any]:
    """The hashed entry of an event row read with ``_event_columns``; raises UnreadableRow."""
    return entry_and_bytes(row)[0]


def entry_and_bytes(row: Any) -> tuple[dict[str, Any], bytes]:
    """The hashed entry of an event row and its canonical bytes (serialised once); raises UnreadableRow."""
    try:
        entry = build_entry(
            category=row.category,
            action=row.action,
            outcome=row.outcome,
            actor=_json(row.actor, "actor"),
            object_type=row.object_type,
            object_id=row.object_id,
            case_id=row.case_id,
            item_id=row.item_id,
            item_seq=row.item_seq,
            occurred_at=_time(row.occurred_at, "occurred_at"),
            recorded_at=_time(row.recorded_at, "recorded_at"),
            reason=row.reason,
            data=_json(row.data, "data"),
            origin_ip=row.origin_ip,
            user_agent=row.user_agent,
            prev_hash=row.prev_hash,
        )
        return entry, canonical_bytes(entry)  # refuses what cannot be serialised (NaN, …)
    except UnreadableRow:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise UnreadableRow(str(exc)) from exc


# -- the same, fast: what reading the whole log uses -------------------------------------------

_STRING = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) writes for a str
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
_CACHED_ACTORS = 4096


class _Slow(Exception):
    """A value the fast path does not handle: ``entry_and_bytes`` decides."""


def _int_json(value: Any) -> str:
    if type(value) is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    raise _Slow


# How SQLite stores a timestamp (UTC, naive), with the time of day checked as fromisoformat would.
_STORED_STAMP = re.compile(r"([1-9]\d{3}-\d\d-\d\d) (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{6}", re.ASCII)
_VALID_DAYS: set[str] = set()


def _stamp(value: Any) -> str:
    """``format_timestamp(_time(value))`` without the quotes, for the values both accept alike."""
    kind = type(value)
    if kind is str:
        stored = _STORED_STAMP.fullmatch(value)
        if stored is not None:
            day = stored.group(1)
            if day not in _VALID_DAYS:
                date.fromisoformat(day)  # a day that does not exist: the slow path says so
                if len(_VALID_DAYS) >= 100_000:
                    _VALID_DAYS.clear()
                _VALID_DAYS.add(day)
            return f"{day}T{value[11:]}"
        moment = datetime.fromisoformat(value)
    elif kind is datetime:
        moment = value
    else:
        raise _Slow
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)  # a naive one is UTC already (as _time reads it)
    if moment.year < 1000:  # strftime's %Y does not pad them everywhere
        raise _Slow
    return moment.isoformat(timespec="microseconds")[:26]


class EntryReader:
    """``entry_and_bytes`` for many rows: the same entries and bytes, built without serialising a
    whole dict per event (the canonical JSON of an entry is assembled field by field, in sorted
    key order, with the very encoder ``canonical_bytes`` uses) and decoding each distinct actor
    snapshot once. Anything it does not handle exactly as ``entry_and_bytes`` would — another type
    in a column, a malformed value, an early year — goes to ``entry_and_bytes``, which decides
    (and raises UnreadableRow) as always. The entries share their actor dicts: read-only."""

    def __init__(self) -> None:
        self._actors: dict[str, tuple[Any, str]] = {}

    def __call__(self, row: Any) -> tuple[dict[str, Any], bytes]:
        """A row read with ``_event_columns``: what ``entry_and_bytes`` returns (or raises)."""
        return self.fast(tuple(row)[2:]) or entry_and_bytes(row)

    def fast(self, values: Any) -> tuple[dict[str, Any], bytes] | None:
        """The entry and bytes of an event's ``ENTRY_COLUMNS`` values, or None: then
        ``entry_and_bytes`` must decide."""
        try:
            return self.read(*values)
        except Exception:  # the slow path gives the verdict and its reason
            return None

    def _actor(self, value: Any) -> tuple[Any, str]:
        if type(value) is not str:
            if value is None:
                return None, "null"
            raise _Slow
        known = self._actors.get(value)
        if known is None:
            if len(self._actors) >= _CACHED_ACTORS:
                self._actors.clear()
            decoded = json.loads(value)
            known = self._actors[value] = (decoded, _CANONICAL(decoded))
        return known

    def read(  # the ENTRY_COLUMNS, in order; raises for anything it does not read like entry_and_bytes
        self,
        category: Any,
        action: Any,
        outcome: Any,
        raw_actor: Any,
        object_type: Any,
        object_id: Any,
        case_id: Any,
        item_id: Any,
        item_seq: Any,
        occurred: Any,
        recorded: Any,
        reason: Any,
        raw_data: Any,
        origin_ip: Any,
        user_agent: Any,
        prev_hash: Any,
    ) -> tuple[dict[str, Any], bytes]:
        actor, actor_json = self._actor(raw_actor)
        if raw_data == "{}":
            data, data_json = {}, "{}"
        elif type(raw_data) is str:
            data = json.loads(raw_data)
            data_json = _CANONICAL(data)
        else:
            raise _Slow
        occurred_at = _stamp(occurred)
        recorded_at = occurred_at if recorded == occurred else _stamp(recorded)
        # canonical_bytes(build_entry(...)): the keys in sorted order, FORMAT_VERSION last. _STRING
        # raises TypeError for anything but a str (None where a column may hold it).
        object_id_json = "null" if object_id is None else _STRING(object_id)
        object_type_json = "null" if object_type is None else _STRING(object_type)
        ip_json = "null" if origin_ip is None else _STRING(origin_ip)
        agent_json = "null" if user_agent is None else _STRING(user_agent)
        prev_json = "null" if prev_hash is None else _STRING(prev_hash)
        reason_json = "null" if reason is None else _STRING(reason)
        text = (
            f'{{"action":{_STRING(action)},"actor":{actor_json},"case_id":{_int_json(case_id)},'
            f'"category":{_STRING(category)},"data":{data_json},'
            f'"item_id":{_int_json(item_id)},"item_seq":{_int_json(item_seq)},'
            f'"object_id":{object_id_json},"object_type":{object_type_json},'
            f'"occurred_at":"{occurred_at}Z","origin":{{"ip":{ip_json},'
            f'"user_agent":{agent_json}}},"outcome":{_STRING(outcome)},'
            f'"prev_hash":{prev_json},"reason":{reason_json},'
            f'"recorded_at":"{recorded_at}Z","v":{FORMAT_VERSION}}}'
        )
        entry = _entry(
            category,
            action,
            outcome,
            actor,
            object_type,
            object_id,
            case_id,
            item_id,
            item_seq,
            occurred_at,
            recorded_at,
            reason,
            data,
            origin_ip,
            user_agent,
            prev_hash,
        )
        return entry, text.encode("utf-8")


def _entry(
    category: str,
    action: str,
    outcome: str,
    actor: Any,
    object_type: Any,
    object_id: Any,
    case_id: Any,
    item_id: Any,
    item_seq: Any,
    occurred_at: str,
    recorded_at: str,
    reason: Any,
    data: Any,
    origin_ip: Any,
    user_agent: Any,
    prev_hash: Any,
) -> dict[str, Any]:
    """The entry ``build_entry`` makes, from a log row's values (times as canonical text, no "Z")."""
    return {
        "v": FORMAT_VERSION,
        "category": category,
        "action": action,
        "outcome": outcome,
        "actor": actor,
        "object_type": object_type,
        "object_id": object_id,
        "case_id": case_id,
        "item_id": item_id,
        "item_seq": item_seq,
        "occurred_at": occurred_at + "Z",
        "recorded_at": recorded_at + "Z",
        "reason": reason,
        "data": data,
        "origin": {"ip": origin_ip, "user_agent": user_agent},
        "prev_hash": prev_hash,
    }


def _signature(checkpoint: Checkpoint) -> bytes:
    try:
        return base64.b64decode(checkpoint.signature, validate=True)
    except (binascii.Error, ValueError):
        return b""


def _checkpoint_signed(settings: LedgerSettings, checkpoint: Checkpoint) -> bool | None:
    """True/False for the signature; None when the key id is not one we trust."""
    public_key = settings.public_key_for(checkpoint.key_id)
    if public_key is None:
        return None
    try:
        root = bytes.fromhex(checkpoint.root_hash)
    except ValueError:
        return False
    return verify_checkpoint(
        public_key,
        checkpoint.origin,
        checkpoint.tree_size,
        root,
        checkpoint.timestamp,
        _signature(checkpoint),
    )


# -- the whole ledger ---------------------------------------------------------------------------


class _Chains:
    """Per-item chain state while the log is read in order (log order is commit order, and an
    item's events are committed one after another under its lock, so it is also seq order)."""

    def __init__(self, problem: _Collector) -> None:
        self.heads: dict[int, tuple[int, str]] = {}
        self.broken: set[int] = set()
        self.problem = problem

    def head(self, item_id: int) -> tuple[int, str | None]:
        """(events in the item's chain, the last one's hash); (0, None) for an item without events."""
        return self.heads.get(item_id, (0, None))

    def add(self, event_id: int, item_id: Any, item_seq: Any, prev_hash: Any, digest: str) -> None:
        """One event (its id, item, number in the item's history, the hash it names as the one
        before it, and its own hash)."""
        if item_id is None:
            if item_seq is not None:
                self.problem(
                    "chain.orphan_seq",
                    N_("Event %(event_id)s has an item sequence number but no item."),
                    event_id=event_id,
                )
            return
        seq, previous = self.heads.get(item_id, (0, GENESIS_HASH))
        if item_id not in self.broken:
            if item_seq != seq + 1:
                self.broken.add(item_id)
                self.problem(
                    "chain.sequence",
                    N_(
                        "Item %(item_id)s: event %(event_id)s is number %(found)s in the item's history where "
                        "number %(expected)s should come: events are missing or out of order."
                    ),
                    item_id=item_id,
                    event_id=event_id,
                    found=item_seq,
                    expected=seq + 1,
                )
            elif prev_hash != previous:
                self.broken.add(item_id)
                self.problem(
                    "chain.link",
                    N_(
                        "Item %(item_id)s: event %(event_id)s (number %(seq)s) does not name the hash of the "
                        "event before it."
                    ),
                    item_id=item_id,
                    event_id=event_id,
                    seq=item_seq,
                )
        self.heads[item_id] = (item_seq if isinstance(item_seq, int) else seq + 1, digest)


def verify_ledger(
    session: Session,
    settings: LedgerSettings,
    *,
    against: object | None = None,
    max_problems: int = 100,
) -> LedgerReport:
    """Check everything; ``against`` is an exported checkpoint document held outside the database."""
    started = time.perf_counter()
    report = LedgerReport()
    problem = _Collector(report, max_problems)
    exported = _read_exported(against, problem)

    checkpoints = list(session.scalars(select(Checkpoint).order_by(Checkpoint.id)))
    report.checkpoints = len(checkpoints)
    wanted = {c.tree_size for c in checkpoints}
    if exported is not None:
        wanted.add(exported.tree_size)
    roots: dict[int, bytes] = {}
    frontier = MerkleFrontier()
    if 0 in wanted:
        roots[0] = frontier.root()

    # 1. The log in order, each entry against its event; item chains and the replay of every
    # record's history along the way.
    chains = _Chains(problem)
    replay = Replay()
    connection = session.connection()
    batches = _log_batches(connection)
    if connection.dialect.name == "postgresql":  # the server reads the next rows meanwhile
        batches = _fetched_ahead(batches)
    rows = chain.from_iterable(batches)
    _read_log(
        rows,
        frontier,
        wanted,
        roots,
        chains,
        problem,
        report,
        replay,
        server_stamps=connection.dialect.name == "postgresql",
    )

    # 2. Every event in the log exactly once.
    _check_every_event_logged_once(session, problem)

    # 3. Stored checkpoints: signed by us, consistent with the log as recomputed.
    _check_stored_checkpoints(settings, checkpoints, roots, report.log_size, problem)

    # 4. A checkpoint held outside: the log must still extend it.
    if exported is not None:
        _check_exported(settings, exported, roots, report.log_size, problem)

    # 5. The caches: the stored log head and each item's chain head.
    _check_log_head(session, report.log_size, frontier, problem)
    report.items = 0
    for item_id, count, last_hash in session.execute(
        select(Item.id, Item.event_count, Item.last_event_hash).order_by(Item.id)
    ):
        report.items += 1
        _check_chain_head(chains, item_id, count, last_hash, problem)

    # 6. The live rows: each holds what its history says, and each history has its row.
    check_live_rows(session, replay, problem, report.records)

    report.seconds = time.perf_counter() - started
    return report


_AHEAD = 2  # batches fetched ahead


def _log_batches(connection: Connection) -> Iterator[list[Any]]:
    """The rows of ``_log_statement`` as the driver returns them, a batch at a time, on the
    session's own connection (so in its snapshot). No result processing is skipped that matters:
    its columns are numbers and text, and timestamps as the driver reads them (``_event_columns``
    asks for no conversion); PostgreSQL streams them from a server-side cursor."""
    compiled = _log_statement().compile(dialect=connection.dialect)
    assert not compiled.params, "the whole log is read without parameters"
    driver = connection.connection.driver_connection
    assert driver is not None
    postgresql = connection.dialect.name == "postgresql"
    cursor = driver.cursor(name="verify_audit_log") if postgresql else driver.cursor()
    try:
        cursor.execute(compiled.string)
        while batch := cursor.fetchmany(FETCH_ROWS):
            yield batch
    finally:
        cursor.close()


def _fetched_ahead(batches: Iterator[list[Any]]) -> Iterator[list[Any]]:
    """The same batches in order, fetched in a thread of their own, so that
    the database server reads and sends the next batch while this one is checked (the thread
    waits on the network without the GIL). Nothing else uses the connection meanwhile: the
    caller reads every row (or stops, and the thread stops too) before its next query."""
    ahead: queue.Queue[Any] = queue.Queue(maxsize=_AHEAD)
    stop = threading.Event()

    def put(batch: Any) -> bool:
        while not stop.is_set():
            try:
                ahead.put(batch, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        try:
            for batch in batches:
                if not put(batch):
                    return
            put(None)
        except BaseException as exc:  # handed to the reader, which raises it
            put(exc)
        finally:
            close = getattr(batches, "close", None)
            if close is not None:  # the cursor, when the reader stopped early
                close()

    thread = threading.Thread(target=fetch, name="verify-audit-fetch", daemon=True)
    thread.start()
    try:
        while (batch := ahead.get()) is not None:
            if isinstance(batch, BaseException):
                raise batch
            yield batch
    finally:
        stop.set()
        thread.join()


def _read_exported(against: object | None, problem: _Collector) -> SignedCheckpoint | None:
    """The exported checkpoint document held outside the database, when given and readable."""
    if against is None:
        return None
    try:
        return read_checkpoint(against)
    except ValueError as exc:
        problem(
            "exported.malformed",
            N_("The exported checkpoint cannot be read: %(reason)s."),
            reason=str(exc),
        )
        return None


def _log_statement() -> Select[Any]:
    """The log entries in order, each with its event's columns as stored (none: the event is gone);
    the timestamps as ``_UtcStamp`` writes them, then their stored values where it does not."""
    columns = _event_columns()
    for position, name in enumerate(ENTRY_COLUMNS, start=2):
        if name in _TIMES:
            columns[position] = _UtcStamp(getattr(AuditEvent, name)).label(name)
    return (
        select(
            LogEntry.log_index,
            LogEntry.event_id.label("logged_event_id"),
            LogEntry.leaf_hash,
            *columns,
            *(_RawStamp(getattr(AuditEvent, name)).label(f"{name}_raw") for name in _TIMES),
        )
        .select_from(LogEntry)
        .outerjoin(AuditEvent, AuditEvent.id == LogEntry.event_id)
        .order_by(LogEntry.log_index)
    )


# A row of _log_statement by name (the slow path's); the fast one unpacks it.
_LogRow = namedtuple(  # type: ignore[misc]
    "_LogRow",
    [
        "log_index",
        "logged_event_id",
        "leaf_hash",
        "id",
        "hash",
        *ENTRY_COLUMNS,
        *(f"{n}_raw" for n in _TIMES),
    ],
)


def _slow_log_row(row: Any) -> Any:
    """A row of ``_log_statement`` as ``entry_and_bytes`` reads it: each timestamp's stored value
    where PostgreSQL did not write its text."""
    row = _LogRow._make(row)
    if row.occurred_at_raw is not None or row.recorded_at_raw is not None:
        row = row._replace(
            occurred_at=row.occurred_at if row.occurred_at_raw is None else row.occurred_at_raw,
            recorded_at=row.recorded_at if row.recorded_at_raw is None else row.recorded_at_raw,
        )
    return row


class _LogTally(Protocol):
    """What reading the log sets in a report (a full one, or an incremental one)."""

    events: int
    log_size: int
    root: bytes
    frontier: list[str]


_SCAN = json.decoder.JSONDecoder().scan_once  # type: ignore[attr-defined]  # json.loads without surrounding space
_ENCODE = json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    None, json.JSONEncoder().default, _STRING, None, ":", ",", True, False, False
)  # _CANONICAL's own C encoder (no cycle check: decoded JSON has no cycles), called directly
_REPLAYED = replay_._FOLDED  # the categories Replay.add folds (of successful events)
_FLUSH = 4096  # leaves appended to the frontier at a time


def _read_log(  # noqa: C901 — one loop, inlined on purpose (speed): see its docstring
    rows: Iterable[Any],
    frontier: MerkleFrontier,
    wanted: set[int],
    roots: dict[int, bytes],
    chains: _Chains,
    problem: _Collector,
    report: _LogTally,
    replay: Replay | None = None,
    *,
    server_stamps: bool = False,
) -> None:
    """Log entries (rows of ``_log_statement``) read in order from ``frontier.size`` on: no gap,
    each against its event (and its item's chain; its entry into ``replay`` when given). Carries
    ``frontier`` forward, keeps its root at the ``wanted`` sizes in ``roots``, and sets the
    report's events, log size, root and frontier. ``server_stamps``: the timestamps are
    PostgreSQL's text of the stored instants (``_UtcStamp``), not SQLite's stored text.

    The loop is ``EntryReader.read`` and ``_entry_leaf`` inlined, for speed: anything the fast
    reading does not handle exactly as ``entry_and_bytes`` would goes to ``_entry_leaf``, which
    decides as always. An entry is built only for the events ``replay`` folds."""
    expected_index = size = frontier.size
    sha256, string, scan, encode, canonical = hashlib.sha256, _STRING, _SCAN, _ENCODE, _CANONICAL
    stored_stamp, valid_days = _STORED_STAMP.fullmatch, _VALID_DAYS
    fold = replay.add if replay is not None else None
    add, heads, genesis = chains.add, chains.heads, (0, GENESIS_HASH)
    actors: dict[str, tuple[Any, str]] = {}
    leaves: list[bytes] = []
    events = 0
    for row in rows:
        (
            log_index,
            _logged,
            leaf_hash,
            event_id,
            stored_hash,
            category,
            action,
            outcome,
            raw_actor,
            object_type,
            object_id,
            case_id,
            item_id,
            item_seq,
            occurred,
            recorded,
            reason,
            raw_data,
            origin_ip,
            user_agent,
            prev_hash,
            _occurred_raw,
            _recorded_raw,
        ) = row
        if log_index != expected_index:
            problem(
                "log.gap",
                N_("The log jumps from entry %(expected)s to entry %(found)s: entries are missing."),
                log_index=expected_index,
                expected=expected_index,
                found=log_index,
            )
        expected_index = log_index + 1
        text = None
        if event_id is not None:
            try:  # EntryReader.read: raises for anything it does not read like entry_and_bytes
                if type(raw_actor) is str:
                    known = actors.get(raw_actor)
                    if known is None:
                        if len(actors) >= _CACHED_ACTORS:
                            actors.clear()
                        decoded = json.loads(raw_actor)
                        known = actors[raw_actor] = (decoded, canonical(decoded))
                    actor, actor_json = known
                elif raw_actor is None:
                    actor, actor_json = None, "null"
                else:
                    raise _Slow
                if raw_data == "{}":
                    data, data_json = {}, "{}"
                elif type(raw_data) is str:
                    data, end = scan(raw_data, 0)
                    if end != len(raw_data):
                        raise _Slow  # surrounding space: json.loads decides
                    data_json = "".join(encode(data, 0))
                else:
                    raise _Slow
                if server_stamps:  # to_char of the stored instant; None outside its range
                    if type(occurred) is not str or type(recorded) is not str:
                        raise _Slow
                    occurred_at, recorded_at = occurred, recorded
                else:  # SQLite's stored text: checked as datetime.fromisoformat would
                    if stored_stamp(occurred) is None:
                        raise _Slow
                    day = occurred[:10]
                    if day not in valid_days:
                        _valid_day(day)
                    occurred_at = f"{day}T{occurred[11:]}"
                    if recorded == occurred:
                        recorded_at = occurred_at
                    else:
                        if stored_stamp(recorded) is None:
                            raise _Slow
                        day = recorded[:10]
                        if day not in valid_days:
                            _valid_day(day)
                        recorded_at = f"{day}T{recorded[11:]}"
                if (
                    (case_id is not None and type(case_id) is not int)
                    or (item_id is not None and type(item_id) is not int)
                    or (item_seq is not None and type(item_seq) is not int)
                ):
                    raise _Slow
                # canonical_bytes(build_entry(...)): the keys in sorted order, FORMAT_VERSION last.
                # _STRING raises TypeError for anything but a str.
                text = (
                    f'{{"action":{string(action)},"actor":{actor_json},'
                    f'"case_id":{"null" if case_id is None else case_id},'
                    f'"category":{string(category)},"data":{data_json},'
                    f'"item_id":{"null" if item_id is None else item_id},'
                    f'"item_seq":{"null" if item_seq is None else item_seq},'
                    f'"object_id":{"null" if object_id is None else string(object_id)},'
                    f'"object_type":{"null" if object_type is None else string(object_type)},'
                    f'"occurred_at":"{occurred_at}Z","origin":{{"ip":{"null" if origin_ip is None else string(origin_ip)},'
                    f'"user_agent":{"null" if user_agent is None else string(user_agent)}}},'
                    f'"outcome":{string(outcome)},"prev_hash":{"null" if prev_hash is None else string(prev_hash)},'
                    f'"reason":{"null" if reason is None else string(reason)},'
                    f'"recorded_at":"{recorded_at}Z","v":{FORMAT_VERSION}}}'
                ).encode()
            except Exception:  # entry_and_bytes gives the verdict and its reason
                text = None
        if text is None:  # no event, or one only entry_and_bytes may judge
            leaf = _entry_leaf(_slow_log_row(row), chains, problem, report, replay)
        else:  # _entry_leaf's checks, in its order, on an event read here
            events += 1
            if fold is not None and outcome == "success" and category in _REPLAYED:
                fold(
                    _entry(
                        category,
                        action,
                        outcome,
                        actor,
                        object_type,
                        object_id,
                        case_id,
                        item_id,
                        item_seq,
                        occurred_at,
                        recorded_at,
                        reason,
                        data,
                        origin_ip,
                        user_agent,
                        prev_hash,
                    ),
                    event_id,
                )
            digest = sha256(text).hexdigest()
            if digest != stored_hash:
                problem(
                    "event.altered",
                    N_("Event %(event_id)s was altered: its content does not match its hash."),
                    event_id=event_id,
                    item_id=item_id,
                )
            leaf = sha256(LEAF_PREFIX + text).digest()
            if leaf.hex() != leaf_hash:
                problem(
                    "log.leaf",
                    N_("Log entry %(log_index)s does not match event %(event_id)s."),
                    log_index=log_index,
                    event_id=event_id,
                )
            if item_id is not None:
                seq, previous = heads.get(item_id, genesis)
                if item_seq == seq + 1 and prev_hash == previous and type(stored_hash) is str:
                    heads[item_id] = (item_seq, stored_hash)  # _Chains.add of a link that follows
                else:  # _Chains.add reports what does not follow
                    add(
                        event_id,
                        item_id,
                        item_seq,
                        prev_hash,
                        stored_hash if isinstance(stored_hash, str) else digest,
                    )
            elif item_seq is not None:  # _Chains.add does nothing for an event of no item without one
                add(
                    event_id,
                    item_id,
                    item_seq,
                    prev_hash,
                    stored_hash if isinstance(stored_hash, str) else digest,
                )
        leaves.append(leaf)
        size += 1
        if size in wanted:
            frontier.extend(leaves)
            leaves.clear()
            roots[size] = frontier.root()
        elif len(leaves) >= _FLUSH:
            frontier.extend(leaves)
            leaves.clear()
    frontier.extend(leaves)
    report.events += events
    report.log_size = frontier.size
    report.root = frontier.root()
    report.frontier = frontier.to_hex()


def _valid_day(day: str) -> None:
    """Raises for a day that does not exist (the slow path says so); remembers the others."""
    date.fromisoformat(day)
    if len(_VALID_DAYS) >= 100_000:
        _VALID_DAYS.clear()
    _VALID_DAYS.add(day)


def _entry_leaf(
    row: Any,
    chains: _Chains,
    problem: _Collector,
    report: _LogTally,
    replay: Replay | None,
    read: Callable[[Any], tuple[dict[str, Any], bytes]] = entry_and_bytes,
) -> bytes:
    """One log entry against its event; the leaf recomputed from the event (the stored one when
    the event is gone)."""
    if row.id is None:
        problem(
            "log.no_event",
            N_(
                "Log entry %(log_index)s names event %(event_id)s, which does not exist: "
                "the event was deleted."
            ),
            log_index=row.log_index,
            event_id=row.logged_event_id,
        )
        return bytes.fromhex(row.leaf_hash) if len(row.leaf_hash or "") == 64 else b"\0" * 32
    report.events += 1
    try:
        entry, data = read(row)
        if replay is not None:
            replay.add(entry, row.id)
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
    chains.add(
        row.id, row.item_id, row.item_seq, row.prev_hash, row.hash if isinstance(row.hash, str) else digest
    )
    return leaf


def _check_every_event_logged_once(session: Session, problem: _Collector) -> None:
    missing = (
        select(AuditEvent.id)
        .outerjoin(LogEntry, LogEntry.event_id == AuditEvent.id)
        .where(LogEntry.event_id.is_(None))
    )
    first_missing = session.scalar(missing.order_by(AuditEvent.id).limit(1))
    if first_missing is not None:
        count = session.scalar(select(func.count()).select_from(missing.subquery()))
        problem(
            "log.missing",
            N_("Event %(event_id)s is not in the log (%(count)s events are missing from it)."),
            event_id=first_missing,
            count=count,
        )
    duplicate = session.execute(
        select(LogEntry.event_id, func.count())
        .group_by(LogEntry.event_id)
        .having(func.count() > 1)
        .order_by(LogEntry.event_id)
        .limit(1)
    ).first()
    if duplicate is not None:
        problem(
            "log.duplicate",
            N_("Event %(event_id)s appears %(count)s times in the log."),
            event_id=duplicate[0],
            count=duplicate[1],
        )


def _check_stored_checkpoints(
    settings: LedgerSettings,
    checkpoints: list[Checkpoint],
    roots: dict[int, bytes],
    log_size: int,
    problem: _Collector,
) -> None:
    """Stored checkpoints, each after the one before it."""
    previous: Checkpoint | None = None
    for checkpoint in checkpoints:
        _check_stored_checkpoint(settings, checkpoint, previous, roots, log_size, problem)
        previous = checkpoint


def _check_log_head(session: Session, log_size: int, frontier: MerkleFrontier, problem: _Collector) -> None:
    """The stored log head is the log as recomputed (its size and frontier)."""
    try:
        head = read_head(session)
        if head.tree_size != log_size or head.frontier.hashes != frontier.hashes:
            problem(
                "log.head",
                N_(
                    "The stored log head (%(stored)s entries) does not match the log as recomputed "
                    "(%(found)s entries)."
                ),
                stored=head.tree_size,
                found=log_size,
            )
    except (LedgerNotInitialised, ValueError):
        problem("log.head_missing", N_("The stored log head is missing or unreadable."))


def _check_chain_head(chains: _Chains, item_id: int, count: Any, last_hash: Any, problem: _Collector) -> None:
    """An item's cached chain head (its row's event_count and last_event_hash) against its history
    as read; an item whose chain is broken is reported already."""
    seq, chain_hash = chains.head(item_id)
    if item_id in chains.broken:
        return
    if count != seq or last_hash != chain_hash:
        problem(
            "chain.head",
            N_(
                "Item %(item_id)s: its record says %(count)s events but its history in the "
                "log has %(found)s: events were removed or added."
            ),
            item_id=item_id,
            count=count,
            found=seq,
        )


def _check_stored_checkpoint(
    settings: LedgerSettings,
    checkpoint: Checkpoint,
    previous: Checkpoint | None,
    roots: dict[int, bytes],
    log_size: int,
    problem: _Collector,
) -> None:
    cid, size, when = checkpoint.id, checkpoint.tree_size, format_timestamp(checkpoint.timestamp)
    signed = _checkpoint_signed(settings, checkpoint)
    if signed is None:
        problem(
            "checkpoint.unknown_key",
            N_(
                "Checkpoint %(checkpoint_id)s is signed by key %(key_id)s, which is "
                "not a trusted key of this log."
            ),
            checkpoint_id=cid,
            key_id=checkpoint.key_id,
        )
    elif not signed:
        problem(
            "checkpoint.signature",
            N_(
                "Checkpoint %(checkpoint_id)s (%(size)s entries, %(time)s): the signature "
                "does not verify: it was forged or altered."
            ),
            checkpoint_id=cid,
            size=size,
            time=when,
        )
    if checkpoint.origin != settings.origin:
        problem(
            "checkpoint.origin",
            N_("Checkpoint %(checkpoint_id)s is for log %(origin)s, not this log (%(expected)s)."),
            checkpoint_id=cid,
            origin=checkpoint.origin,
            expected=settings.origin,
        )
    if size > log_size:
        problem(
            "checkpoint.beyond",
            N_(
                "Checkpoint %(checkpoint_id)s (%(size)s entries, %(time)s) is beyond the end "
                "of the log (%(log_size)s entries): the log was truncated."
            ),
            checkpoint_id=cid,
            size=size,
            time=when,
            log_size=log_size,
        )
    elif roots.get(size, b"").hex() != checkpoint.root_hash:
        problem(
            "checkpoint.root",
            N_(
                "Checkpoint %(checkpoint_id)s (%(size)s entries, %(time)s): the log's first "
                "%(size)s entries no longer have its root hash: history was rewritten."
            ),
            checkpoint_id=cid,
            size=size,
            time=when,
        )
    if previous is not None and (size < previous.tree_size or checkpoint.timestamp < previous.timestamp):
        problem(
            "checkpoint.order",
            N_("Checkpoint %(checkpoint_id)s is smaller or older than checkpoint %(previous_id)s before it."),
            checkpoint_id=cid,
            previous_id=previous.id,
        )


def _check_exported(
    settings: LedgerSettings,
    exported: SignedCheckpoint,
    roots: dict[int, bytes],
    log_size: int,
    problem: _Collector,
) -> None:
    size, when = exported.tree_size, exported.timestamp_text
    public_key = settings.public_key_for(exported.key_id)
    if public_key is None:
        problem(
            "exported.unknown_key",
            N_(
                "The exported checkpoint is signed by key %(key_id)s, which is not a trusted key of this log."
            ),
            key_id=exported.key_id,
        )
        return
    if not exported.verifies_with(public_key):
        problem(
            "exported.signature",
            N_("The exported checkpoint (%(size)s entries, %(time)s) has a signature that does not verify."),
            size=size,
            time=when,
        )
        return
    if exported.checkpoint.origin != settings.origin:
        problem(
            "exported.origin",
            N_("The exported checkpoint is for log %(origin)s, not this log (%(expected)s)."),
            origin=exported.checkpoint.origin,
            expected=settings.origin,
        )
    if size > log_size:
        problem(
            "exported.beyond",
            N_(
                "The exported checkpoint (%(size)s entries, %(time)s) is ahead of this log "
                "(%(log_size)s entries): the log was truncated or restored from an older "
                "copy."
            ),
            size=size,
            time=when,
            log_size=log_size,
        )
    elif roots.get(size) != exported.root_hash:
        problem(
            "exported.root",
            N_(
                "The log's first %(size)s entries do not match the exported checkpoint of "
                "%(time)s: history was rewritten, or an older copy was restored and has "
                "grown apart since (a fork)."
            ),
            size=size,
            time=when,
        )


# -- one item -----------------------------------------------------------------------------------


@dataclass
class ItemReport:
    item_id: int
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    events: int = 0
    proven: int = 0  # events proven to be in the latest checkpoint
    pending: int = 0  # events logged after it (proven by the next checkpoint)
    checkpoint: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def summary(self) -> dict[str, Any]:
        first = self.problems[0] if self.problems else None
        return {
            "ok": self.ok,
            "item_id": self.item_id,
            "events": self.events,
            "proven": self.proven,
            "pending": self.pending,
            "problems": self.problem_count,
            "checkpoint_size": self.checkpoint.tree_size if self.checkpoint else None,
            "first_problem": first.text() if first else None,
        }


def verify_item(
    session: Session,
    settings: LedgerSettings,
    item: Item,
    checkpoint: Checkpoint | None,
    *,
    max_problems: int = 100,
) -> ItemReport:
    """One item's chain, its log entries, and each event's inclusion in ``checkpoint``."""
    report = ItemReport(item.id, checkpoint=checkpoint)
    problem = _Collector(report, max_problems)
    chains = _Chains(problem)
    rows = session.execute(
        select(LogEntry.log_index, LogEntry.leaf_hash, *_event_columns())
        .select_from(AuditEvent)
        .outerjoin(LogEntry, LogEntry.event_id == AuditEvent.id)
        .where(AuditEvent.item_id == item.id)
        .order_by(AuditEvent.item_seq, AuditEvent.id)
    ).all()

    tree = None
    root = b""
    if checkpoint is not None:
        signed = _checkpoint_signed(settings, checkpoint)
        if not signed:
            problem(
                "checkpoint.signature",
                N_(
                    "Checkpoint %(checkpoint_id)s (%(size)s entries, %(time)s): the "
                    "signature does not verify: it was forged or altered."
                ),
                checkpoint_id=checkpoint.id,
                size=checkpoint.tree_size,
                time=format_timestamp(checkpoint.timestamp),
            )
        else:
            tree = log_tree(session, settings, checkpoint.tree_size)
            root = bytes.fromhex(checkpoint.root_hash)

    replay = Replay()
    for row in rows:
        report.events += 1
        try:
            entry, data = entry_and_bytes(row)
            replay.add(entry, row.id)
        except UnreadableRow as exc:
            problem(
                "event.unreadable",
                N_("Event %(event_id)s cannot be read: %(reason)s."),
                event_id=row.id,
                reason=str(exc),
            )
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != row.hash:
            problem(
                "event.altered",
                N_("Event %(event_id)s was altered: its content does not match its hash."),
                event_id=row.id,
                item_id=item.id,
            )
        chains.add(row.id, row.item_id, row.item_seq, row.prev_hash, row.hash)
        leaf = hashlib.sha256(LEAF_PREFIX + data).digest()
        if row.log_index is None:
            problem("log.missing_one", N_("Event %(event_id)s is not in the log."), event_id=row.id)
        elif leaf.hex() != row.leaf_hash:
            problem(
                "log.leaf",
                N_("Log entry %(log_index)s does not match event %(event_id)s."),
                log_index=row.log_index,
                event_id=row.id,
            )
        elif tree is not None and checkpoint is not None and row.log_index < tree.size:
            if verify_inclusion(leaf, row.log_index, tree.size, tree.inclusion_proof(row.log_index), root):
                report.proven += 1
            else:
                problem(
                    "log.not_included",
                    N_(
                        "Event %(event_id)s is not provably entry %(log_index)s of the log "
                        "signed in checkpoint %(checkpoint_id)s."
                    ),
                    event_id=row.id,
                    log_index=row.log_index,
                    checkpoint_id=checkpoint.id,
                )
        else:
            report.pending += 1

    seq, chain_hash = chains.head(item.id)
    if item.id not in chains.broken and (item.event_count != seq or item.last_event_hash != chain_hash):
        problem(
            "chain.head",
            N_(
                "Item %(item_id)s: its record says %(count)s events but its history in the "
                "log has %(found)s: events were removed or added."
            ),
            item_id=item.id,
            count=item.event_count,
            found=seq,
        )
    # The live row against its history: the same check as the whole database's.
    check_row(replay.get(replay_.ITEM, item.id), replay_.ITEM, item.id, _item_row(item), problem)
    return report


# -- the live rows against their history ----------------------------------------------------------

# What each kind of record is called in a problem (translated as the ``record`` parameter).
RECORD_LABELS = {
    replay_.ITEM: N_("Item"),
    replay_.CASE: N_("Case"),
    replay_.TRANSFER: N_("Transfer"),
    replay_.CHECKOUT: N_("Check-out"),
    replay_.DISPOSITION: N_("Disposal"),
    replay_.FREEZE: N_("Freeze"),
    replay_.CORRECTION: N_("Correction"),
    replay_.MONEY_LEDGER: N_("Case-money sub-ledger"),
    replay_.MONEY_MOVEMENT: N_("Money movement"),
}
_MODELS: dict[str, Any] = {
    replay_.ITEM: Item,
    replay_.CASE: Case,
    replay_.TRANSFER: Transfer,
    replay_.CHECKOUT: Checkout,
    replay_.DISPOSITION: Disposition,
    replay_.FREEZE: FreezeOrder,
    replay_.CORRECTION: Correction,
    replay_.MONEY_LEDGER: MoneyLedger,
    replay_.MONEY_MOVEMENT: MoneyMovement,
}
# Each kind's lines: (owner column, item column, the column compared) — see replay.compare_lines.
_LINES: dict[str, tuple[Any, Any, Any]] = {
    replay_.TRANSFER: (TransferLine.transfer_id, TransferLine.item_id, TransferLine.decision),
    replay_.CHECKOUT: (CheckoutLine.checkout_id, CheckoutLine.item_id, CheckoutLine.returned_at.is_not(None)),
    replay_.DISPOSITION: (
        DispositionLine.disposition_id,
        DispositionLine.item_id,
        DispositionLine.proceeds_fen,
    ),
}
_SHOWN = 60  # characters of a value shown in a problem


def _raw(column: Any, name: str) -> Any:
    """A column as stored: enumerations as their text, so that a value outside the enumeration is
    reported as a mismatch rather than breaking the read."""
    if isinstance(getattr(column, "type", None), SAEnum):
        return type_coerce(column, String).label(name)
    return column.label(name)


def _row_columns(kind: str) -> list[Any]:
    model = _MODELS[kind]
    names = list(replay_.FIELDS[kind])
    if kind == replay_.ITEM:
        names.append("personal_data_salt")
    return [model.id.label("id"), *(_raw(getattr(model, name), name) for name in names)]


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def report_mismatch(problem: Any, mismatch: replay_.Mismatch) -> None:
    """One row field (or line) that is not what its history says, as a problem naming the record
    and the field. Personal data is never shown, only that its digest does not match."""
    params: dict[str, Any] = {
        "kind": mismatch.kind,
        "record": RECORD_LABELS[mismatch.kind],
        "record_id": mismatch.id,
        "field": mismatch.field,
    }
    if mismatch.kind == replay_.ITEM:
        params["item_id"] = mismatch.id
    if mismatch.personal:
        problem(
            "live.personal_data",
            N_(
                "%(record)s %(record_id)s: its %(field)s does not match the digest its history records: "
                "the personal data was changed outside the application."
            ),
            **params,
        )
    elif mismatch.line is not None and mismatch.field == "lines":
        if mismatch.expected == "present":
            problem(
                "live.line_removed",
                N_(
                    "%(record)s %(record_id)s lacks its line for item %(line)s that its history records: "
                    "the line was removed outside the application."
                ),
                line=mismatch.line,
                **params,
            )
        else:
            problem(
                "live.line_added",
                N_(
                    "%(record)s %(record_id)s has a line for item %(line)s that its history does not "
                    "record: the line was added outside the application."
                ),
                line=mismatch.line,
                **params,
            )
    elif mismatch.line is not None:
        problem(
            "live.line",
            N_(
                "%(record)s %(record_id)s, line of item %(line)s: its %(field)s is %(found)s, but its "
                "history says %(expected)s: the line was changed outside the application."
            ),
            line=mismatch.line,
            found=_show(mismatch.found),
            expected=_show(mismatch.expected),
            **params,
        )
    else:
        problem(
            "live.mismatch",
            N_(
                "%(record)s %(record_id)s: its %(field)s is %(found)s, but its history says "
                "%(expected)s: the row was changed outside the application."
            ),
            found=_show(mismatch.found),
            expected=_show(mismatch.expected),
            **params,
        )


def _no_history(problem: Any, kind: str, record_id: int) -> None:
    problem(
        "live.no_history",
        N_(
            "%(record)s %(record_id)s is in the database but has no history: it was inserted "
            "outside the application."
        ),
        kind=kind,
        record=RECORD_LABELS[kind],
        record_id=record_id,
        **({"item_id": record_id} if kind == replay_.ITEM else {}),
    )


def _row_missing(problem: Any, record: replay_.Record) -> None:
    problem(
        "live.row_missing",
        N_(
            "%(record)s %(record_id)s has %(count)s events in its history but no row in the database: "
            "the row was deleted."
        ),
        kind=record.kind,
        record=RECORD_LABELS[record.kind],
        record_id=record.id,
        count=record.events,
        event_id=record.first_event_id,
        **({"item_id": record.id} if record.kind == replay_.ITEM else {}),
    )


def check_row(record: replay_.Record | None, kind: str, record_id: int, row: Any, problem: Any) -> None:
    """One live row against its replayed history (the whole database and one item alike)."""
    if record is None:
        _no_history(problem, kind, record_id)
        return
    for mismatch in replay_.compare(record, row):
        report_mismatch(problem, mismatch)


@dataclass(frozen=True)
class Scope:
    """Part of the database (a dossier's subject): which rows of each kind are checked, and which
    replayed records must have a row among them. None checks everything."""

    rows: dict[str, Any]  # kind → a WHERE clause on its model
    owns: Callable[[replay_.Record], bool]


def _lines_of(session: Session, kind: str, scope: Scope | None) -> dict[int, list[tuple[int, Any]]]:
    owner, item, value = _LINES[kind]
    value = _raw(value, "value") if isinstance(getattr(value, "type", None), SAEnum) else value
    lines: dict[int, list[tuple[int, Any]]] = {}
    stmt = select(owner, item, value).order_by(owner, item)
    if scope is not None:
        stmt = stmt.where(owner.in_(select(_MODELS[kind].id).where(scope.rows[kind])))
    for owner_id, item_id, held in session.execute(stmt):
        lines.setdefault(owner_id, []).append((item_id, held))
    return lines


def check_live_rows(
    session: Session,
    replay: replay_.Replay,
    problem: Any,
    counts: dict[str, int],
    scope: Scope | None = None,
) -> None:
    """Every row of every kind of record against what its history says; every history against
    its row (a deleted row is named with the first event of its history)."""
    for kind in replay_.KINDS:
        expected = replay.records[kind]
        seen: set[int] = set()
        lines = _lines_of(session, kind, scope) if kind in _LINES else {}
        counts[kind] = 0
        stmt = select(*_row_columns(kind)).order_by(_MODELS[kind].id)
        if scope is not None:
            stmt = stmt.where(scope.rows[kind])
        try:
            rows = session.execute(stmt.execution_options(yield_per=FETCH_ROWS))
            names = list(rows.keys())
            for row in rows:
                # A plain dict: a Row's mapping answers ``in`` and ``[]`` several times slower, and
                # each row is asked for each of its fields (issue 15: verify-audit).
                values = dict(zip(names, row, strict=True))
                row_id = values["id"]
                counts[kind] += 1
                seen.add(row_id)
                record = expected.get(row_id)
                check_row(record, kind, row_id, values, problem)
                if record is not None and kind in _LINES:
                    for mismatch in replay_.compare_lines(record, lines.get(row_id, [])):
                        report_mismatch(problem, mismatch)
        except (ValueError, TypeError, LookupError) as exc:
            problem(
                "live.unreadable",
                N_("The %(table)s rows cannot be read: %(reason)s."),
                table=_MODELS[kind].__tablename__,
                reason=str(exc),
            )
            continue
        for record_id in sorted(set(expected) - seen):
            if scope is None or scope.owns(expected[record_id]):
                _row_missing(problem, expected[record_id])


def _item_row(item: Item) -> dict[str, Any]:
    names = [*replay_.FIELDS[replay_.ITEM], "personal_data_salt"]
    return {name: getattr(item, name) for name in names}


@dataclass
class LiveReport:
    """The live rows against their replayed history alone (no hashes, no log): what the test suite
    checks after every test, so that every operation's events are shown to replay."""

    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    events: int = 0
    records: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


def check_live_state(
    session: Session, *, item_id: int | None = None, case_id: int | None = None, max_problems: int = 100
) -> LiveReport:
    """Replay the events in log order (events not yet in the log after them, by id) and hold the
    live rows against them — step 7 of ``verify_ledger`` on its own: for the whole database, or for
    a dossier's subject (an item: its row, freezes and corrections; a case: its row, every item ever
    in it with their freezes and corrections, its transfers, check-outs and disposals)."""
    report = LiveReport()
    problem = _Collector(report, max_problems)
    replay = Replay()
    scope: Scope | None = None
    stmt = select(*_event_columns()).select_from(AuditEvent)
    if item_id is not None or case_id is not None:
        if item_id is not None:
            items: Any = [item_id]
            stmt = stmt.where(AuditEvent.item_id == item_id)
        else:
            items = (
                select(AuditEvent.item_id)
                .where(AuditEvent.case_id == case_id, AuditEvent.item_id.is_not(None))
                .distinct()
            )
            stmt = stmt.where(
                AuditEvent.item_id.in_(items)
                | ((AuditEvent.case_id == case_id) & AuditEvent.item_id.is_(None))
            )
        scope = _subject_scope(session, item_id, case_id, items)
    stmt = (
        stmt.outerjoin(LogEntry, LogEntry.event_id == AuditEvent.id)
        .order_by(LogEntry.log_index.is_(None), LogEntry.log_index, AuditEvent.id)
        .execution_options(yield_per=FETCH_ROWS)
    )
    read = EntryReader()
    for row in session.execute(stmt):
        report.events += 1
        try:
            replay.add(read(row)[0], row.id)
        except UnreadableRow as exc:
            problem(
                "event.unreadable",
                N_("Event %(event_id)s cannot be read: %(reason)s."),
                event_id=row.id,
                reason=str(exc),
            )
    check_live_rows(session, replay, problem, report.records, scope)
    return report


def _subject_scope(session: Session, item_id: int | None, case_id: int | None, items: Any) -> Scope:
    nothing = false()
    if item_id is not None:
        item_ids = {item_id}
        rows: dict[str, Any] = {
            replay_.ITEM: Item.id == item_id,
            replay_.CASE: nothing,
            replay_.TRANSFER: nothing,
            replay_.CHECKOUT: nothing,
            replay_.DISPOSITION: nothing,
            replay_.FREEZE: FreezeOrder.item_id == item_id,
            replay_.CORRECTION: Correction.item_id == item_id,
            replay_.MONEY_LEDGER: nothing,
            replay_.MONEY_MOVEMENT: MoneyMovement.item_id == item_id,
        }
    else:
        item_ids = set(session.scalars(items))
        rows = {
            replay_.ITEM: Item.id.in_(items),
            replay_.CASE: Case.id == case_id,
            replay_.TRANSFER: Transfer.case_id == case_id,
            replay_.CHECKOUT: Checkout.case_id == case_id,
            replay_.DISPOSITION: Disposition.case_id == case_id,
            replay_.FREEZE: FreezeOrder.item_id.in_(items),
            replay_.CORRECTION: Correction.item_id.in_(items),
            replay_.MONEY_LEDGER: MoneyLedger.case_id == case_id,
            replay_.MONEY_MOVEMENT: MoneyMovement.case_id == case_id,
        }

    def owns(record: replay_.Record) -> bool:
        if record.kind == replay_.ITEM:
            return record.id in item_ids
        if record.kind == replay_.CASE:
            return record.id == case_id
        if record.kind in (replay_.FREEZE, replay_.CORRECTION):
            return record.fields.get("item_id") in item_ids
        if record.kind == replay_.MONEY_MOVEMENT and item_id is not None:
            return record.fields.get("item_id") in item_ids
        return case_id is not None and record.fields.get("case_id") == case_id

    return Scope(rows, owns)
