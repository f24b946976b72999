"""The fast reader of event rows (``verification.EntryReader``) that ``verify-audit`` reads the
whole log with: for every row it either gives exactly what ``entry_and_bytes`` gives — the same
entry, the same canonical bytes — or steps aside and lets ``entry_and_bytes`` decide. A tampered
row must never read differently from the slow path (and so never escape its hash)."""

from __future__ import annotations

import json
from collections import namedtuple
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from custody.audit.canonical import ENTRY_COLUMNS
from custody.audit.verification import EntryReader, UnreadableRow, _event_columns, entry_and_bytes
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.services import storage

from ..factories import act, stored_items

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
