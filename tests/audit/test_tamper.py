"""Tampering for real, on both engines, and ``flask custody verify-audit`` naming what broke.

Every test here changes the database the way an administrator with direct access could: past the
append-only triggers (``as_dba``: on PostgreSQL ``SET LOCAL session_replication_role = replica``
as the superuser, which also skips foreign-key checks; on SQLite the triggers are dropped for the
moment and foreign keys switched off). The verifier must then exit 1 and name the first broken
event, item, log entry or checkpoint.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, insert, select, update

from custody.audit.canonical import GENESIS_HASH, canonical_bytes, entry_hash
from custody.audit.merkle import MerkleFrontier, leaf_hash
from custody.audit.recorder import event_entry
from custody.audit.signing import generate_private_key_text, key_id, load_private_key, sign_checkpoint
from custody.domain import clock as app_clock
from custody.extensions import db
from custody.models.item import Item
from custody.models.ledger import Checkpoint, LogEntry, LogState
from custody.services import storage

from ..factories import act, stored_items
from ..helpers import events, fresh
from .ledger_helpers import (
    ENTRIES,
    EVENTS,
    _repair_caches,
    as_dba,
    backup_database,
    drop_backup,
    restore_database,
)

pytestmark = pytest.mark.live_rows_diverge(reason="tampers with the record and the rows on purpose")


def verify_audit(runner, *args: str) -> tuple[int, list[str]]:
    result = runner.invoke(args=["custody", "verify-audit", *args])
    return result.exit_code, result.output.splitlines()


def checkpoint(runner, out=None) -> None:
    args = ["custody", "checkpoint"] + (["--out", str(out)] if out else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output


@pytest.fixture
def history(app, runner):
    """Three stored items, the first with three events; a checkpoint; two events after it."""
    case, items = stored_items(3)
    storage.record_condition(db.session, act("police_keeper"), items[0].id, condition="外壳完好")
    db.session.commit()
    checkpoint(runner)
    for item in items[1:]:
        storage.record_condition(db.session, act("police_keeper"), item.id, condition="封存完好")
        db.session.commit()
    code, lines = verify_audit(runner)
    assert code == 0, lines
    assert lines[0].startswith("OK: the audit record is intact"), lines
    return SimpleNamespace(case=case, items=items, chain=events(item_id=items[0].id))


def log_index(event_id: int) -> int:
    fresh()
    return db.session.scalar(select(LogEntry.log_index).where(LogEntry.event_id == event_id))


def test_an_edited_payload_field_names_the_event(history, runner):
    target = history.chain[0]  # item.register
    with as_dba() as conn:
        conn.execute(
            update(EVENTS).where(EVENTS.c.id == target.id).values(data={**target.data, "name": "普通手机"})
        )
    code, lines = verify_audit(runner)
    assert code == 1
    assert lines[0] == f"FAILED: Event {target.id} was altered: its content does not match its hash."
    # The run is itself on the record, as a failure.
    run = events("audit.verify")[-1]
    assert run.outcome.value == "failure"
    assert run.data["problems"] >= 1


@pytest.mark.parametrize("also_log_entry", [True, False], ids=["event-and-log-entry", "event-only"])
def test_a_deleted_middle_event_names_the_gap_and_the_item(history, runner, also_log_entry):
    middle, after, item = history.chain[1].id, history.chain[2].id, history.items[0].id  # check_in
    index = log_index(middle)
    with as_dba() as conn:
        if also_log_entry:
            conn.execute(delete(ENTRIES).where(ENTRIES.c.event_id == middle))
        conn.execute(delete(EVENTS).where(EVENTS.c.id == middle))
    code, lines = verify_audit(runner)
    assert code == 1
    if also_log_entry:
        assert (
            lines[0] == f"FAILED: The log jumps from entry {index} to entry {index + 1}: entries are missing."
        )
        assert any(
            f"Item {item}: event {after} is number 3 in the item's history where number 2" in line
            for line in lines
        )
    else:
        assert lines[0] == (
            f"FAILED: Log entry {index} names event {middle}, which does not exist: the event was deleted."
        )


def _swap_rows(conn, first: int, second: int) -> None:
    rows = {r.id: r._asdict() for r in conn.execute(select(EVENTS).where(EVENTS.c.id.in_([first, second])))}
    # Out of the way first: (item_id, item_seq) is unique, and constraints still hold for a DBA.
    conn.execute(update(EVENTS).where(EVENTS.c.id == first).values(item_seq=None))
    for target, source in ((second, first), (first, second)):
        values = {k: v for k, v in rows[source].items() if k != "id"}
        conn.execute(update(EVENTS).where(EVENTS.c.id == target).values(**values))


def test_two_swapped_events_are_named(history, runner):
    a, b = history.chain[1], history.chain[2]
    with as_dba() as conn:
        _swap_rows(conn, a.id, b.id)
    code, lines = verify_audit(runner)
    assert code == 1
    assert lines[0] == f"FAILED: Log entry {log_index(a.id)} does not match event {a.id}."


def test_swapped_events_with_their_log_entries_break_the_chain(history, runner):
    """The thorough version: the log's leaves are swapped too, so each entry matches its row."""
    a, b = history.chain[1], history.chain[2]
    with as_dba() as conn:
        _swap_rows(conn, a.id, b.id)
        leaves = dict(
            conn.execute(
                select(ENTRIES.c.event_id, ENTRIES.c.leaf_hash).where(ENTRIES.c.event_id.in_([a.id, b.id]))
            ).all()
        )
        conn.execute(update(ENTRIES).where(ENTRIES.c.event_id == a.id).values(leaf_hash=leaves[b.id]))
        conn.execute(update(ENTRIES).where(ENTRIES.c.event_id == b.id).values(leaf_hash=leaves[a.id]))
    code, lines = verify_audit(runner)
    assert code == 1
    item = history.items[0].id
    assert lines[0] == (
        f"FAILED: Item {item}: event {a.id} is number 3 in the item's history where number 2 "
        "should come: events are missing or out of order."
    )


def _tree_size() -> int:
    fresh()
    return db.session.scalar(select(LogState.tree_size))


def test_a_tail_truncated_below_a_checkpoint_is_caught(history, runner, tmp_path):
    exported = tmp_path / "held-by-the-court.json"
    checkpoint(runner, exported)
    size = _tree_size()
    cut = size - 3
    with as_dba() as conn:
        doomed = [
            r.event_id for r in conn.execute(select(ENTRIES.c.event_id).where(ENTRIES.c.log_index >= cut))
        ]
        conn.execute(delete(ENTRIES).where(ENTRIES.c.log_index >= cut))
        conn.execute(delete(EVENTS).where(EVENTS.c.id.in_(doomed)))
    code, lines = verify_audit(runner)
    assert code == 1
    latest = db.session.scalar(select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1))
    assert lines[0].startswith(f"FAILED: Checkpoint {latest.id} ({size} entries, ")
    assert lines[0].endswith(f"is beyond the end of the log ({cut} entries): the log was truncated.")


def test_a_truncation_that_covers_its_tracks_is_caught_by_an_exported_checkpoint(history, runner, tmp_path):
    """The DBA also deletes the checkpoints after the cut, repairs every cache and rolls the live rows
    back to what the remaining history says: the database looks intact on its own — only the
    checkpoint an agency holds shows the rollback."""
    exported = tmp_path / "held-by-the-procuratorate.json"
    checkpoint(runner, exported)
    cut = _tree_size() - 3
    with as_dba() as conn:
        doomed = [
            r.event_id for r in conn.execute(select(ENTRIES.c.event_id).where(ENTRIES.c.log_index >= cut))
        ]
        conn.execute(delete(ENTRIES).where(ENTRIES.c.log_index >= cut))
        conn.execute(delete(EVENTS).where(EVENTS.c.id.in_(doomed)))
        conn.execute(delete(Checkpoint.__table__).where(Checkpoint.__table__.c.tree_size > cut))
        _repair_caches(conn)
    # The rows still hold what the deleted events recorded: the replayed history says otherwise.
    code, lines = verify_audit(runner)
    assert code == 1
    assert lines[0] == (
        f'FAILED: Item {history.items[1].id}: its condition is "封存完好", but its history says null: '
        "the row was changed outside the application."
    )
    with as_dba() as conn:  # the thorough forger rolls the rows back too
        rolled_back = [item.id for item in history.items[1:]]
        conn.execute(
            update(Item.__table__).where(Item.__table__.c.id.in_(rolled_back)).values(condition=None)
        )
    code, lines = verify_audit(runner)
    assert code == 0, lines  # (each run adds its own audit.verify event to the log: 2 since the cut)
    code, lines = verify_audit(runner, "--against", str(exported))
    held = json.loads(exported.read_text())
    assert code == 1
    assert lines[0] == (
        f"FAILED: The exported checkpoint ({held['tree_size']} entries, {held['timestamp']}) is "
        f"ahead of this log ({cut + 2} entries): the log was truncated or restored from an "
        "older copy."
    )


def test_an_older_copy_restored_after_a_newer_checkpoint_was_exported(history, runner, tmp_path):
    item_id = history.items[0].id
    backup = backup_database(tmp_path)
    try:
        _older_copy(runner, tmp_path, item_id, backup)
    finally:
        drop_backup(backup)


def _older_copy(runner, tmp_path, item_id: int, backup: str) -> None:
    storage.record_condition(db.session, act("police_keeper"), item_id, condition="屏幕碎裂")
    db.session.commit()
    exported = tmp_path / "held-by-the-auditor.json"
    checkpoint(runner, exported)
    restore_database(backup)
    held = json.loads(exported.read_text())
    # The checkpoint handed out after the copy was taken shows the rollback...
    code, lines = verify_audit(runner, "--against", str(exported))
    assert code == 1
    assert lines[0] == (
        f"FAILED: The exported checkpoint ({held['tree_size']} entries, {held['timestamp']}) is "
        f"ahead of this log ({held['tree_size'] - 1} entries): the log was truncated or restored "
        "from an older copy."
    )
    # ...although the restored copy is consistent with itself.
    code, lines = verify_audit(runner)
    assert code == 0, lines
    # Once the restored copy has grown past the held size, the two logs have forked.
    for _ in range(3):
        verify_audit(runner)
    code, lines = verify_audit(runner, "--against", str(exported))
    assert code == 1
    assert lines[0] == (
        f"FAILED: The log's first {held['tree_size']} entries do not match the exported checkpoint "
        f"of {held['timestamp']}: history was rewritten, or an older copy was restored and has "
        "grown apart since (a fork)."
    )


def test_a_forged_checkpoint_signature_is_named(history, runner):
    latest = db.session.scalar(select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1))
    with as_dba() as conn:  # claim a different root for the same size
        conn.execute(
            update(Checkpoint.__table__)
            .where(Checkpoint.__table__.c.id == latest.id)
            .values(root_hash="ab" * 32)
        )
    code, lines = verify_audit(runner)
    assert code == 1
    assert lines[0].startswith(f"FAILED: Checkpoint {latest.id} ({latest.tree_size} entries, ")
    assert lines[0].endswith("the signature does not verify: it was forged or altered.")


def test_a_checkpoint_signed_with_another_key_is_named(history, runner):
    forger = load_private_key(generate_private_key_text())
    fresh()
    head = db.session.execute(select(LogState)).scalar_one()
    root = MerkleFrontier.from_hex(head.tree_size, head.frontier).root()
    now = app_clock.now()
    with as_dba() as conn:
        result = conn.execute(
            insert(Checkpoint.__table__).values(
                tree_size=head.tree_size,
                root_hash=root.hex(),
                timestamp=now,
                origin="custody-tracker/audit",
                key_id=key_id(forger.public_key()),
                signature=base64.b64encode(
                    sign_checkpoint(forger, "custody-tracker/audit", head.tree_size, root, now)
                ).decode(),
            )
        )
        forged_id = result.inserted_primary_key[0]
    code, lines = verify_audit(runner)
    assert code == 1
    assert lines[0] == (
        f"FAILED: Checkpoint {forged_id} is signed by key {key_id(forger.public_key())}, which is "
        "not a trusted key of this log."
    )


def test_a_forged_exported_checkpoint_is_refused(history, runner, tmp_path):
    exported = tmp_path / "checkpoint.json"
    checkpoint(runner, exported)
    document = json.loads(exported.read_text())
    document["tree_size"] += 5
    exported.write_text(json.dumps(document))
    code, lines = verify_audit(runner, "--against", str(exported))
    assert code == 1
    assert lines[0] == (
        f"FAILED: The exported checkpoint ({document['tree_size']} entries, {document['timestamp']}) "
        "has a signature that does not verify."
    )


def test_rewritten_history_with_every_hash_recomputed_is_caught_by_the_checkpoint(history, runner):
    """The strongest forger without the signing key: edits an event, re-hashes the item's chain,
    the log's leaves and heads. Chains and log agree with themselves; the signed root does not."""
    target = history.chain[0]
    with as_dba() as conn:
        rows = conn.execute(
            select(EVENTS).where(EVENTS.c.item_id == target.item_id).order_by(EVENTS.c.item_seq)
        ).all()
        previous = GENESIS_HASH
        for row in rows:
            values = row._asdict()
            if row.id == target.id:
                values["occurred_at"] = row.occurred_at - timedelta(days=1)
            values["prev_hash"] = previous
            values["hash"] = entry_hash(event_entry(SimpleNamespace(**values)))
            conn.execute(
                update(EVENTS)
                .where(EVENTS.c.id == row.id)
                .values(occurred_at=values["occurred_at"], prev_hash=values["prev_hash"], hash=values["hash"])
            )
            conn.execute(
                update(ENTRIES)
                .where(ENTRIES.c.event_id == row.id)
                .values(leaf_hash=leaf_hash(canonical_bytes(event_entry(SimpleNamespace(**values)))).hex())
            )
            previous = values["hash"]
        _repair_caches(conn)
    code, lines = verify_audit(runner)
    assert code == 1
    stored = db.session.scalars(select(Checkpoint).order_by(Checkpoint.id)).all()
    assert lines[0].startswith(f"FAILED: Checkpoint {stored[0].id} ({stored[0].tree_size} entries, ")
    assert lines[0].endswith("no longer have its root hash: history was rewritten.")
    assert all("Event" not in line and "Item" not in line for line in lines)
