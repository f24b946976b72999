"""flask custody backup / restore: a restore is verified against a checkpoint kept outside the
database before the live database is replaced; an older backup is reported as a rollback and
refused unless acknowledged; a tampered backup is refused. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.case import Case
from custody.services import storage

from .audit.ledger_helpers import as_dba
from .factories import act, open_case, stored_items
from .helpers import events, fresh


def run(runner, *args: str):
    result = runner.invoke(args=["custody", *args])
    return result.exit_code, result.output


def count(model) -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def recorded(app):
    case, items = stored_items(2)
    return items


def test_a_backup_restores_and_verifies_against_a_checkpoint_exported_after_it(recorded, runner, tmp_path):
    backup, checkpoint = tmp_path / "custody.backup", tmp_path / "checkpoint.json"
    item_id = recorded[0].id
    assert run(runner, "backup", str(backup))[0] == 0
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    assert run(runner, "backup", str(backup))[0] == 2  # never overwritten
    assert run(runner, "checkpoint", "--out", str(checkpoint))[0] == 0
    # Work goes on, then the database is lost and restored.
    storage.record_condition(db.session, act("police_keeper"), item_id, condition="外壳完好")
    db.session.commit()
    after_backup = events()[-1]
    code, output = run(runner, "restore", str(backup), "--checkpoint", str(checkpoint))
    assert code == 0, output
    assert "Restored and verified" in output
    # The backup's state: the later event is gone; in its place, the restore's own record.
    assert [e.action for e in events()][-1] == "backup.restore"
    assert after_backup.action not in [e.action for e in events(item_id=item_id)][-1:]
    restored = events("backup.restore")[-1]
    assert restored.data["rollback"] is False
    assert restored.data["lost_entries"] == 0
    assert run(runner, "verify-audit", "--against", str(checkpoint))[0] == 0


def test_restoring_an_older_backup_is_a_rollback_refused_unless_acknowledged(recorded, runner, tmp_path):
    backup, checkpoint = tmp_path / "old.backup", tmp_path / "newer-checkpoint.json"
    assert run(runner, "backup", str(backup))[0] == 0
    open_case(title="备份之后立案的案件")
    assert run(runner, "checkpoint", "--out", str(checkpoint))[0] == 0  # signed after the backup
    cases = count(Case)
    signed = json.loads(checkpoint.read_text())["tree_size"]

    code, output = run(runner, "restore", str(backup), "--checkpoint", str(checkpoint))
    assert code == 3, output
    assert "ROLLBACK" in output
    assert "Nothing was restored" in output
    assert count(Case) == cases  # the live database is untouched

    code, output = run(runner, "restore", str(backup), "--checkpoint", str(checkpoint), "--accept-rollback")
    assert code == 0, output
    assert "acknowledged rollback" in output
    assert count(Case) == cases - 1
    record = events("backup.restore")[-1]
    assert record.data["rollback"] is True
    assert 0 < record.data["lost_entries"] < signed
    # The record now contradicts the checkpoint other agencies hold: verification says so.
    assert run(runner, "verify-audit", "--against", str(checkpoint))[0] == 1


def test_a_tampered_backup_is_refused_and_nothing_restored(recorded, runner, tmp_path):
    assert run(runner, "checkpoint", "--out", str(tmp_path / "checkpoint.json"))[0] == 0
    with as_dba() as conn:  # someone with the database's keys edits history before the backup
        conn.execute(text("UPDATE audit_event SET action = 'item.move' WHERE action = 'item.check_in'"))
    assert run(runner, "backup", str(tmp_path / "tampered.backup"))[0] == 0
    with as_dba() as conn:  # ... and puts the live record back, so only the copy is wrong
        conn.execute(text("UPDATE audit_event SET action = 'item.check_in' WHERE action = 'item.move'"))
    before = count(AuditEvent)
    code, output = run(
        runner,
        "restore",
        str(tmp_path / "tampered.backup"),
        "--checkpoint",
        str(tmp_path / "checkpoint.json"),
    )
    assert code == 1, output
    assert "REFUSED" in output
    assert "Nothing was restored" in output
    assert count(AuditEvent) == before


def test_restore_needs_a_readable_checkpoint_and_a_real_backup(app, runner, tmp_path):
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a database")
    checkpoint = tmp_path / "checkpoint.json"
    assert run(runner, "checkpoint", "--out", str(checkpoint))[0] == 0
    assert run(runner, "restore", str(junk), "--checkpoint", str(checkpoint))[0] == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert run(runner, "restore", str(junk), "--checkpoint", str(bad))[0] == 2
    assert Path(junk).read_bytes() == b"not a database"
