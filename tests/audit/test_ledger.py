"""The global Merkle log in the database, on both engines.

Every event gets exactly one contiguous place in the log whatever recorded it (a service under a
request, a refusal committed on its own, a CLI command); savepoints are respected; checkpoints
are signed every N events and after M minutes; migration 0003 puts earlier events into the log;
the database refuses to change or delete log rows.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from config import load_config
from custody.audit import ledger
from custody.audit.canonical import GENESIS_HASH, canonical_bytes, entry_hash
from custody.audit.ledger import read_head
from custody.audit.merkle import leaf_hash
from custody.audit.recorder import event_entry, record_event
from custody.audit.signing import load_private_key, load_public_key, verify_checkpoint
from custody.domain import clock as app_clock
from custody.domain.enums import EventCategory, Outcome
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.ledger import Checkpoint, LogEntry

from ..conftest import ENGINES, build_app
from ..factories import stored_items
from ..helpers import events, fresh
from .ledger_helpers import problem_texts, verify


def note(action: str, **data) -> AuditEvent:
    return record_event(db.session, category=EventCategory.SECURITY, action=action, actor=None, data=data)


def log_is_complete() -> list[tuple[int, int]]:
    """Indexes 0..n-1, every event exactly once, and the verifier agrees."""
    fresh()
    rows = db.session.execute(
        select(LogEntry.log_index, LogEntry.event_id).order_by(LogEntry.log_index)
    ).all()
    assert [r.log_index for r in rows] == list(range(len(rows)))
    assert sorted(r.event_id for r in rows) == list(
        db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id))
    )
    report = verify()
    assert report.ok, problem_texts(report)
    return [tuple(r) for r in rows]


def test_every_path_that_records_events_puts_them_in_the_log(client, runner, auth_headers):
    police = auth_headers("police_officer")  # token.issue, committed by the view
    assert (
        client.post(
            "/api/v1/cases", headers=police, json={"police_case_no": "L-1", "title": "案"}
        ).status_code
        == 201
    )
    # Refusals committed in their own transaction after the rollback (custody.errors, login).
    assert (
        client.post(
            "/api/v1/cases", headers=auth_headers("prosecutor"), json={"police_case_no": "L-2", "title": "案"}
        ).status_code
        == 403
    )
    assert (
        client.post("/api/v1/tokens", json={"username": "judge", "password": "wrong-password"}).status_code
        == 401
    )
    # A CLI command.
    result = runner.invoke(
        args=[
            "custody",
            "create-user",
            "--username",
            "ops_admin",
            "--display-name",
            "运维",
            "--agency",
            "PDGA",
            "--role",
            "admin",
            "--password",
            "Ops-admin-2026",
        ]
    )
    assert result.exit_code == 0, result.output

    rows = log_is_complete()
    logged = {event_id for _, event_id in rows}
    for action in ("token.issue", "case.open", "permission.denied", "login", "user.create"):
        assert {e.id for e in events(action)} <= logged, action
    assert len(rows) >= 6


def test_services_append_item_chains_and_log_entries_in_commit_order(app):
    case, items = stored_items(3)
    rows = log_is_complete()
    chain = events(item_id=items[0].id)
    assert [e.item_seq for e in chain] == [1, 2]
    assert chain[0].prev_hash == GENESIS_HASH
    assert chain[1].prev_hash == chain[0].hash
    index = {event_id: i for i, event_id in rows}
    assert index[chain[0].id] < index[chain[1].id]
    # The stored head is the fold of the stored leaves, and the leaf is H(0x00 || entry).
    head = read_head(db.session)
    assert head.tree_size == len(rows)
    leaf = db.session.scalar(select(LogEntry.leaf_hash).where(LogEntry.event_id == chain[0].id))
    assert leaf == leaf_hash(canonical_bytes(event_entry(chain[0]))).hex()
    assert chain[0].hash == entry_hash(event_entry(chain[0]))


def test_savepoints_rolled_back_are_not_logged_and_released_ones_are(app):
    fresh()
    before = read_head(db.session).tree_size
    savepoint = db.session.begin_nested()
    note("test.rolled_back")
    db.session.flush()
    savepoint.rollback()
    with db.session.begin_nested():
        note("test.released")
    note("test.kept")
    db.session.commit()
    assert events("test.rolled_back") == []
    log_is_complete()
    assert read_head(db.session).tree_size == before + 2
    # A transaction rolled back after its events were flushed leaves no trace in the log either.
    note("test.doomed")
    db.session.flush()
    db.session.rollback()
    note("test.next")
    db.session.commit()
    assert events("test.doomed") == []
    assert read_head(db.session).tree_size == before + 3
    log_is_complete()


def test_checkpoints_are_signed_every_n_events_and_after_m_minutes(app, monkeypatch, clock):
    settings = app.extensions[ledger.EXTENSION_KEY]
    app.extensions[ledger.EXTENSION_KEY] = dataclasses.replace(settings, every_events=5, every_minutes=10)
    fresh()
    start = read_head(db.session).tree_size
    for n in range(12):
        note("test.tick", n=n)
        db.session.commit()
    sizes = list(db.session.scalars(select(Checkpoint.tree_size).order_by(Checkpoint.id)))
    assert sizes == [start + 5, start + 10]
    # Two events wait; once the older is ten minutes old, the next commit signs.
    clock.ticking = False
    clock.advance(timedelta(minutes=11))
    later = clock.now()
    note("test.tock")
    db.session.commit()
    latest = ledger.latest_checkpoint(db.session)
    assert latest.tree_size == start + 13
    assert latest.timestamp == later
    assert verify_checkpoint(
        settings.public_key,
        latest.origin,
        latest.tree_size,
        bytes.fromhex(latest.root_hash),
        latest.timestamp,
        base64.b64decode(latest.signature),
    )
    assert verify().ok


def test_checkpoint_and_ledger_key_commands(app, runner, tmp_path):
    stored_items(1)
    out = tmp_path / "checkpoint.json"
    first = runner.invoke(args=["custody", "checkpoint", "--out", str(out)])
    assert first.exit_code == 0
    assert "Signed checkpoint" in first.output
    document = json.loads(out.read_text())
    assert document["tree_size"] == read_head(db.session).tree_size
    again = runner.invoke(args=["custody", "checkpoint", "--if-needed"])
    assert again.exit_code == 0
    assert "nothing new signed" in again.output
    assert db.session.scalar(select(func.count()).select_from(Checkpoint)) == 1

    key = runner.invoke(args=["custody", "ledger-key"])
    settings = ledger.current_settings()
    assert settings.key_id in key.output
    assert "public key:" in key.output
    assert load_public_key(key.output.split("public key:")[1].strip())
    generated = runner.invoke(args=["custody", "ledger-key", "--generate"]).output.strip()
    assert load_private_key(generated)
    assert generated not in key.output


# -- the database protects the record --------------------------------------------------------------

CHANGES = {
    "audit_event": "UPDATE audit_event SET action = 'forged'",
    "log_entry": "UPDATE log_entry SET leaf_hash = leaf_hash",
    "checkpoint": "UPDATE checkpoint SET root_hash = root_hash",
}


def test_the_database_refuses_to_change_or_delete_the_record(app, runner):
    stored_items(1)
    assert runner.invoke(args=["custody", "checkpoint"]).exit_code == 0
    fresh()
    for table, change in CHANGES.items():
        statements = [change, f"DELETE FROM {table}"]
        if db.engine.dialect.name == "postgresql":
            statements.append(f"TRUNCATE {table} CASCADE")
        for statement in statements:
            with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
                conn.execute(text(statement))
    assert verify().ok


# -- migration 0003 puts the events recorded before it into the log -----------------------------------


@pytest.fixture(params=ENGINES)
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    postgres = request.getfixturevalue("postgres")
    name = f"{postgres.prefix}_ledger_migr"
    yield postgres.recreate(name)
    postgres.drop(name)


def test_migration_backfills_earlier_events_in_id_order(empty_database, tmp_path):
    import sqlalchemy as sa

    app = build_app(empty_database, tmp_path / "instance")
    with app.app_context():
        try:
            upgrade(revision="0002")
            columns = [
                "category",
                "action",
                "outcome",
                "actor",
                "object_type",
                "object_id",
                "case_id",
                "item_id",
                "item_seq",
                "occurred_at",
                "recorded_at",
                "reason",
                "data",
                "origin_ip",
                "user_agent",
                "prev_hash",
                "hash",
            ]
            table = sa.table("audit_event", *[sa.column(c) for c in columns])
            table.c.actor.type = table.c.data.type = sa.JSON()
            table.c.occurred_at.type = table.c.recorded_at.type = sa.DateTime(timezone=True)
            rows = []
            for n in range(5):
                event = AuditEvent(
                    category=EventCategory.SECURITY,
                    action="login",
                    outcome=Outcome.SUCCESS,
                    actor={"username": f"用户{n}"},
                    data={"n": n, "金额": "1.5"},
                    occurred_at=app_clock.now(),
                    recorded_at=app_clock.now(),
                    origin_ip="10.0.0.1",
                )
                event.hash = entry_hash(event_entry(event))
                row = {c: getattr(event, c) for c in columns}
                row.update(category="security", outcome="success")
                if db.engine.dialect.name == "sqlite":  # naive UTC, as UTCDateTime stores it there
                    row.update(
                        occurred_at=event.occurred_at.replace(tzinfo=None),
                        recorded_at=event.recorded_at.replace(tzinfo=None),
                    )
                rows.append(row)
            with db.engine.begin() as conn:
                conn.execute(table.insert(), rows)
            upgrade()
            head = read_head(db.session)
            assert head.tree_size == 5
            report = verify()
            assert report.ok, problem_texts(report)
            assert report.log_size == 5, problem_texts(report)
            # New events continue the same log.
            note("after.upgrade")
            db.session.commit()
            assert verify().log_size == 6
            downgrade(revision="0002")
            assert "log_entry" not in sa.inspect(db.engine).get_table_names()
        finally:
            db.session.remove()
            db.engine.dispose()


# -- configuration ---------------------------------------------------------------------------------

GOOD = {"SECRET_KEY": "x" * 48, "DATABASE_URL": "postgresql://h/db"}


def test_production_requires_a_readable_signing_key(tmp_path):
    env = {"CUSTODY_INSTANCE_PATH": str(tmp_path), **GOOD}
    with pytest.raises(RuntimeError, match="CUSTODY_LEDGER_SIGNING_KEY"):
        load_config("production", env)
    with pytest.raises(RuntimeError, match="CUSTODY_LEDGER_SIGNING_KEY") as refused:
        load_config("production", {**env, "CUSTODY_LEDGER_SIGNING_KEY": "bm90LWEta2V5"})
    assert "bm90LWEta2V5" not in str(refused.value)  # a secret is never echoed
    from custody.audit.signing import generate_private_key_text

    config = load_config(
        "production",
        {
            **env,
            "CUSTODY_LEDGER_SIGNING_KEY": generate_private_key_text(),
            "CUSTODY_CHECKPOINT_EVERY_EVENTS": "500",
        },
    )
    assert config.CUSTODY_CHECKPOINT_EVERY_EVENTS == 500
    assert config.CUSTODY_CHECKPOINT_EVERY_MINUTES == 10
    assert not (tmp_path / ledger.KEY_FILE_NAME).exists()


def test_outside_production_the_key_is_generated_once_into_instance(tmp_path):
    from custody import create_app

    overrides = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": str(tmp_path / "instance")}
    one = create_app("testing", overrides=overrides)
    two = create_app("testing", overrides=overrides)
    path = tmp_path / "instance" / ledger.KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert one.extensions[ledger.EXTENSION_KEY].key_id == two.extensions[ledger.EXTENSION_KEY].key_id
    # A configured key wins; earlier public keys stay trusted for old checkpoints.
    from custody.audit.signing import generate_private_key_text, public_key_to_text

    old = one.extensions[ledger.EXTENSION_KEY]
    three = create_app(
        "testing",
        overrides={
            **overrides,
            "CUSTODY_LEDGER_SIGNING_KEY": generate_private_key_text(),
            "CUSTODY_LEDGER_TRUSTED_KEYS": public_key_to_text(old.public_key),
        },
    )
    settings = three.extensions[ledger.EXTENSION_KEY]
    assert settings.key_id != old.key_id
    assert settings.public_key_for(old.key_id) is not None


# -- PostgreSQL: the app under a role that may only insert into and read the record ----------------


def _documented_grants(role: str) -> list[str]:
    """The GRANT/REVOKE block of docs/LEDGER.md §10, for ``role`` instead of custody_app."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "LEDGER.md").read_text(encoding="utf-8")
    block = text[text.index("-- in database custody, as custody_owner") :]
    block = block[: block.index("```")]
    statements = [line.split("--")[0].strip() for line in block.splitlines()]
    return [s.replace("custody_app", role) for s in statements if s]


def test_the_app_runs_under_the_documented_insert_select_role(postgres_app, tmp_path):
    role = f"custody_app_test_{os.getpid()}"
    owner_url = db.engine.url
    admin = create_engine(owner_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        for statement in _documented_grants(role):
            conn.execute(text(statement))
    app = build_app(owner_url.set(username=role).render_as_string(hide_password=False), tmp_path / "app-role")
    try:
        with app.app_context():
            stored_items(2)  # services, the sequencer's lock and log appends, as the restricted role
            result = app.test_cli_runner().invoke(args=["custody", "checkpoint"])
            assert result.exit_code == 0, result.output
            assert verify().ok
            for statement in (
                "UPDATE audit_event SET reason = 'x'",
                "DELETE FROM log_entry",
                "TRUNCATE checkpoint",
                "ALTER TABLE audit_event DISABLE TRIGGER USER",
                "SET session_replication_role = replica",
            ):
                with (
                    pytest.raises(DBAPIError, match="permission denied|must be owner"),
                    db.engine.begin() as conn,
                ):
                    conn.execute(text(statement))
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()
