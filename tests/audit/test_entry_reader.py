"""The fast reader of event rows (``verification.EntryReader``) that ``verify-audit`` reads the
whole log with: for every row it either gives exactly what ``entry_and_bytes`` gives — the same
entry, the same canonical bytes — or steps aside and lets ``entry_and_bytes`` decide. A tampered
row must never read differently from the slow path (and so never escape its hash)."""

from __future__ import annotations

import hashlib
import json
from collections import namedtuple
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from custody.audit import verification
from custody.audit.canonical import ENTRY_COLUMNS
from custody.audit.merkle import LEAF_PREFIX, MerkleFrontier
from custody.audit.replay import Replay
from custody.audit.verification import (
    EntryReader,
    LedgerReport,
    UnreadableRow,
    _Chains,
    _Collector,
    _entry_leaf,
    _event_columns,
    _log_statement,
    _read_log,
    _slow_log_row,
    entry_and_bytes,
)
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.services import storage

from ..factories import act, stored_items
from .ledger_helpers import as_dba

Row = namedtuple("Row", ["id", "hash", *ENTRY_COLUMNS])

ACTOR = json.dumps(
    {"user_id": 1, "username": "police_officer", "display_name": "王建国", "roles": ["officer"]}
)
VALID = {
    "category": "custody",
    "action": "item.condition",
    "outcome": "success",
    "actor": ACTOR,
    "object_type": "item",
    "object_id": "7",
    "case_id": 3,
    "item_id": 7,
    "item_seq": 2,
    "occurred_at": "2026-01-01 00:03:19.999000",
    "recorded_at": "2026-01-01 00:03:20.000001",
    "reason": None,
    "data": json.dumps({"condition": "封存完好", "n": 1}),
    "origin_ip": "10.0.0.1",
    "user_agent": "bench",
    "prev_hash": "ab" * 32,
}

# Each alteration of a stored row: the fast reader must agree with entry_and_bytes, or step aside.
VARIANTS = {
    "as recorded": {},
    "no actor": {"actor": None},
    "actor is JSON null": {"actor": "null"},
    "actor is a list": {"actor": "[1, 2]"},
    "actor keys in another order": {"actor": json.dumps({"roles": ["officer"], "user_id": 1})},
    "actor not JSON": {"actor": "{oops"},
    "actor with NaN": {"actor": '{"x": NaN}'},
    "actor as bytes": {"actor": ACTOR.encode()},
    "actor decoded already": {"actor": {"user_id": 1}},
    "empty data": {"data": "{}"},
    "data a list": {"data": "[]"},
    "data null": {"data": "null"},
    "data with Infinity": {"data": '{"x": Infinity}'},
    "data not JSON": {"data": "{"},
    "data decoded already": {"data": {"n": 1}},
    "data with a float": {"data": '{"x": 1.50}'},
    "data with escapes": {"data": '{"x": "\\u738b\\n\\"", "\\u0000": 1}'},
    "data with a lone surrogate": {"data": '{"x": "\\ud800"}'},
    "float case id": {"case_id": 3.0},
    "bool item id": {"item_id": True},
    "text item seq": {"item_seq": "2"},
    "big item seq": {"item_seq": 2**70},
    "number as action": {"action": 5},
    "bytes as reason": {"reason": b"x"},
    "empty reason": {"reason": ""},
    "reason with a lone surrogate": {"reason": "\ud800"},
    "unicode user agent": {"user_agent": "浏览器 \u2028 \x01"},
    "no outcome": {"outcome": None},
    "no category": {"category": None},
    "same times": {"recorded_at": "2026-01-01 00:03:19.999000"},
    "a day that does not exist": {"occurred_at": "2026-02-30 00:00:00.000000"},
    "hour 24": {"occurred_at": "2026-01-01 24:00:00.000000"},
    "second 60": {"occurred_at": "2026-01-01 23:59:60.000000"},
    "early year": {"occurred_at": "0999-01-01 00:00:00.000000"},
    "year 1000": {"occurred_at": "1000-01-01 00:00:00.000000"},
    "no microseconds": {"occurred_at": "2026-01-01 00:00:00"},
    "T separator": {"occurred_at": "2026-01-01T00:00:00.000000"},
    "with an offset": {"occurred_at": "2026-01-01 08:00:00.000000+08:00"},
    "with Z": {"occurred_at": "2026-01-01 00:00:00.000000Z"},
    "wide digits": {"occurred_at": "２026-01-01 00:00:00.000000"},
    "not a time": {"recorded_at": "yesterday"},
    "a number as time": {"recorded_at": 1767225600},
    "aware datetime": {"occurred_at": datetime(2026, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))},
    "UTC datetime": {"occurred_at": datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC)},
    "naive datetime": {"occurred_at": datetime(2026, 1, 1, 0, 0)},
    "early datetime": {"occurred_at": datetime(999, 1, 1, tzinfo=UTC)},
    "equal instants, other zones": {
        "occurred_at": datetime(2026, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8))),
        "recorded_at": datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
    },
}


def _slow(row: Row):
    try:
        return entry_and_bytes(row)
    except UnreadableRow as exc:
        return ("unreadable", str(exc))


@pytest.mark.parametrize("change", VARIANTS.values(), ids=list(VARIANTS))
def test_the_fast_reader_agrees_with_the_slow_one_or_steps_aside(change):
    row = Row(1, "00" * 32, **{**VALID, **change})
    reader = EntryReader()
    reader.fast(tuple(Row(2, "00" * 32, **VALID))[2:])  # the actor snapshot is cached now
    fast = reader.fast(tuple(row)[2:])
    slow = _slow(row)
    assert fast is None or fast == slow
    if fast is None:  # what verify-audit then uses
        assert _slow(row) == slow
    else:
        assert reader(row) == slow


@pytest.mark.parametrize(
    "name", ["as recorded", "no actor", "empty data", "same times", "UTC datetime", "aware datetime"]
)
def test_the_fast_reader_reads_events_as_recorded(name):
    row = Row(1, "00" * 32, **{**VALID, **VARIANTS[name]})
    assert EntryReader().fast(tuple(row)[2:]) == entry_and_bytes(row)


def test_every_recorded_event_reads_alike_and_fast(app):
    """Events as the services record them, read back as verify-audit reads them (both engines)."""
    _case, items = stored_items(2)
    storage.record_condition(db.session, act("police_keeper"), items[0].id, condition="外壳完好")
    db.session.commit()
    reader = EntryReader()
    rows = db.session.connection().execute(select(*_event_columns()).order_by(AuditEvent.id)).all()
    assert len(rows) > 3
    for row in rows:
        fast = reader.fast(tuple(row)[2:])
        assert fast is not None, row.action
        assert fast == entry_and_bytes(row)
        assert reader(row) == fast


# -- the whole log as verify-audit reads it (verification._read_log, EntryReader inlined) ---------


def _reference(rows, frontier: MerkleFrontier) -> tuple:
    """What reading the log gives when every row goes to entry_and_bytes (the loop before its
    fast path): problems, events, frontier, chain heads and the replayed records."""
    report = LedgerReport()
    problem = _Collector(report, 100)
    chains, replay = _Chains(problem), Replay()
    expected = frontier.size
    for row in rows:
        if row[0] != expected:
            problem("log.gap", "gap", log_index=expected, expected=expected, found=row[0])
        expected = row[0] + 1
        frontier.append(_entry_leaf(_slow_log_row(row), chains, problem, report, replay))
    return _outcome(report, frontier, chains, replay)


def _fast(rows, frontier: MerkleFrontier, server_stamps: bool) -> tuple:
    report = LedgerReport()
    problem = _Collector(report, 100)
    chains, replay = _Chains(problem), Replay()
    _read_log(rows, frontier, set(), {}, chains, problem, report, replay, server_stamps=server_stamps)
    return _outcome(report, frontier, chains, replay)


def _outcome(report, frontier, chains, replay) -> tuple:
    problems = [(p.code, p.event_id, p.item_id, p.log_index) for p in report.problems]
    records = {
        kind: {i: (r.fields, r.events, r.first_event_id) for i, r in rs.items()}
        for kind, rs in replay.records.items()
    }
    return (
        problems,
        report.events,
        frontier.size,
        frontier.root(),
        dict(chains.heads),
        set(chains.broken),
        records,
    )


def _log_row(index: int, values: dict, digest_of: dict | None = None, raw=(None, None)) -> tuple:
    """A row of _log_statement: the hash and leaf those of ``digest_of`` (the row as recorded)."""
    recorded = Row(index + 1, "", **(digest_of or values))
    _entry, data = entry_and_bytes(recorded)
    leaf = hashlib.sha256(LEAF_PREFIX + data).hexdigest()
    return (
        index,
        index + 1,
        leaf,
        index + 1,
        hashlib.sha256(data).hexdigest(),
        *(values[n] for n in ENTRY_COLUMNS),
        *raw,
    )


@pytest.mark.parametrize("change", VARIANTS.values(), ids=list(VARIANTS))
def test_reading_the_log_agrees_with_the_slow_reading(change):
    """Each altered row in a log of recorded ones (SQLite's stored text): the same problems,
    chains, frontier and replay as when every row is read by entry_and_bytes."""
    security = {**VALID, "category": "security", "action": "login", "item_id": None, "item_seq": None}
    rows = [
        _log_row(0, VALID),
        _log_row(1, {**VALID, **change}, digest_of={**VALID, "item_seq": 3}),
        _log_row(2, {**security, **change}, digest_of=security),
        _log_row(3, {**VALID, "item_seq": 4, "data": '{"n": 2, "after": {"condition": "好"}}'}),
    ]
    assert _fast(rows, MerkleFrontier(), False) == _reference(rows, MerkleFrontier())


@pytest.mark.parametrize("server_stamps", [False, True])
def test_an_unaltered_log_reads_fast(server_stamps, monkeypatch):
    if server_stamps:
        stamps = {"occurred_at": "2026-01-01T00:03:19.999000", "recorded_at": "2026-01-01T00:03:20.000001"}
    else:
        stamps = {}
    security = {**VALID, **stamps, "category": "security", "item_id": None, "item_seq": None, "data": "{}"}
    rows = [
        _log_row(0, {**VALID, **stamps}),
        _log_row(1, security),
        _log_row(2, {**VALID, **stamps, "item_seq": 3}),
    ]
    expected = _reference(rows, MerkleFrontier())
    monkeypatch.setattr(verification, "_entry_leaf", None)  # no row may take the slow path
    assert _fast(rows, MerkleFrontier(), server_stamps) == expected
    assert expected[1] == 3
    assert expected[0] == [("chain.sequence", 1, 7, None)]  # VALID is number 2


# PostgreSQL's rows: each timestamp written by the server (to_char of the stored instant) or, out
# of its range, None beside the stored value as the driver loads it.
SERVER_STAMPS = {
    "in range": (
        {"occurred_at": "2026-01-01T00:03:19.999000", "recorded_at": "2026-01-01T00:03:20.000001"},
        (None, None),
    ),
    "early, stored value": (
        {"occurred_at": None, "recorded_at": "2026-01-01T00:03:20.000001"},
        (datetime(999, 12, 31, 23, 59, tzinfo=UTC), None),
    ),
    "late, stored value": (
        {"occurred_at": "2026-01-01T00:03:19.999000", "recorded_at": None},
        (None, datetime(9999, 12, 31, 1, 0, tzinfo=UTC)),
    ),
    "stored value in another zone": (
        {"occurred_at": None, "recorded_at": None},
        (datetime(2026, 1, 1, 8, 3, 19, 999000, tzinfo=timezone(timedelta(hours=8))),) * 2,
    ),
    "not a text": ({"occurred_at": 5}, (None, None)),
}


@pytest.mark.parametrize("name", list(SERVER_STAMPS))
def test_reading_the_log_with_server_stamps_agrees_with_the_slow_reading(name):
    stamps, raw = SERVER_STAMPS[name]
    recorded = {
        **VALID,
        "occurred_at": "2026-01-01T00:03:19.999000",
        "recorded_at": "2026-01-01T00:03:20.000001",
    }
    rows = [
        _log_row(0, recorded),
        _log_row(1, {**recorded, **stamps, "item_seq": 3}, digest_of={**recorded, "item_seq": 3}, raw=raw),
    ]
    assert _fast(rows, MerkleFrontier(), True) == _reference(rows, MerkleFrontier())


INSTANTS = {
    "whole second": datetime(2026, 3, 1, 0, 0, tzinfo=UTC),
    "last microsecond of a day": datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=UTC),
    "another zone": datetime(2026, 1, 1, 0, 30, 0, 500, tzinfo=timezone(timedelta(hours=8))),
    "leap day": datetime(2024, 2, 29, 12, 0, 0, 1, tzinfo=UTC),
    "year 1000": datetime(1000, 1, 1, 0, 0, tzinfo=UTC),
    "year 999": datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
    "near the end of year 9999": datetime(9999, 12, 30, 12, 0, tzinfo=UTC),
    "the last day of year 9999": datetime(9999, 12, 31, 1, 0, tzinfo=UTC),
}


@pytest.mark.live_rows_diverge(reason="changes recorded timestamps behind the application's back")
def test_every_stored_instant_reads_as_before_and_an_altered_one_is_caught(app):
    """Each event's timestamps changed behind the application's back to an unusual instant (both
    engines): the log as verify-audit reads it gives the bytes the event columns give, and the
    fast reading the same verdict (each event altered) as the slow one."""
    _case, items = stored_items(len(INSTANTS))
    db.session.commit()
    ids = list(
        db.session.scalars(
            select(AuditEvent.id).where(AuditEvent.item_id.is_not(None)).order_by(AuditEvent.id)
        )
    )
    changed = dict(zip(ids, INSTANTS.values(), strict=False))
    with as_dba() as conn:
        for event_id, moment in changed.items():
            conn.execute(
                AuditEvent.__table__.update()
                .where(AuditEvent.id == event_id)
                .values(occurred_at=moment, recorded_at=moment)
            )
    connection = db.session.connection()
    server = connection.dialect.name == "postgresql"
    rows = [tuple(row) for row in connection.execute(_log_statement())]
    by_id = {row.id: row for row in connection.execute(select(*_event_columns()))}
    for row in rows:
        assert entry_and_bytes(_slow_log_row(row)) == entry_and_bytes(by_id[row[3]])
    fast = _fast(rows, MerkleFrontier(), server)
    assert fast == _reference(rows, MerkleFrontier())
    altered = {event_id for code, event_id, *_ in fast[0] if code == "event.altered"}
    assert altered == set(changed)


def _chain(changes: dict[int, dict]) -> list[tuple]:
    """Item 7's events 1–4, each naming the hash of the one before it; ``changes``: a link's row
    altered after it was recorded (its hash and leaf those of the row as recorded)."""
    rows, previous = [], "0" * 64
    for n in range(4):
        recorded = {**VALID, "item_seq": n + 1, "prev_hash": previous, "data": json.dumps({"n": n})}
        rows.append(_log_row(n, {**recorded, **changes.get(n, {})}, digest_of=recorded))
        previous = rows[-1][4]
    return rows


@pytest.mark.parametrize(
    "changes",
    [{}, {1: {"item_seq": 5}}, {1: {"prev_hash": "0" * 64}}, {2: {"item_id": 8}}, {1: {"item_id": None}}],
    ids=["intact", "a number changed", "a link changed", "moved to another item", "taken out of the item"],
)
def test_an_item_chain_reads_as_the_slow_reading_does(changes):
    rows = _chain(changes)
    assert _fast(rows, MerkleFrontier(), False) == _reference(rows, MerkleFrontier())
    if not changes:
        assert _fast(rows, MerkleFrontier(), False)[0] == []
