"""Incremental verification (issue 15): from the last verification that passed, only what came since.

``flask custody verify-audit --since-last`` checks the entries added after the last run that passed
(its recorded frontier), their items' chains and live rows, and the signed checkpoints since — at a
cost that grows with the new events alone; tampering with what it checks is caught as by the full run.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from custody.audit.incremental import verify_since_mark
from custody.audit.ledger import create_checkpoint, current_settings
from custody.audit.verification import snapshot_session
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.services import storage

from ..factories import act, location, register, stored_items
from ..helpers import fresh
from .ledger_helpers import as_dba


def since_last():
    fresh()
    create_checkpoint(db.session, current_settings(), only_if_grown=True)
    db.session.commit()
    with snapshot_session(db.engine) as session:
        return verify_since_mark(session, current_settings())


def full_run(runner):
    result = runner.invoke(args=["custody", "verify-audit"])
    assert result.exit_code == 0, result.output
    return result


def codes(report) -> list[str]:
    return [p.code for p in report.problems]


def test_nothing_to_start_from_until_a_verification_has_passed(app):
    stored_items(1)
    report = since_last()
    assert not report.ok
    assert codes(report) == ["incremental.no_mark"]


def test_only_the_events_since_the_last_verification_are_checked(app, runner):
    case, first = stored_items(3)
    full_run(runner)
    total_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    item = register(case, name="新登记物品")
    storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R1-A-01").id)
    db.session.commit()

    report = since_last()
    assert report.ok, [p.text() for p in report.problems]
    total_after = db.session.scalar(select(func.count()).select_from(AuditEvent))
    # The new events: the two of the new item, and the record of the full run itself (the mark).
    assert report.events == total_after - total_before + 1 < total_after
    assert report.items == 1  # the only item with new events, replayed and compared
    assert report.mark is not None
    assert report.log_size > report.mark.log_size

    # Each run that passes is the next mark: nothing new but its own record since.
    result = runner.invoke(args=["custody", "verify-audit", "--since-last"])
    assert result.exit_code == 0, result.output
    again = since_last()
    assert again.ok
    assert again.items == 0
    assert again.events <= 2


@pytest.mark.live_rows_diverge(reason="the test edits an item's row and an event behind the application")
def test_tampering_after_the_mark_is_caught(app, runner):
    case, _ = stored_items(2)
    full_run(runner)
    item = register(case, name="新登记物品")
    db.session.commit()
    with as_dba() as conn:
        conn.execute(text("UPDATE item SET name = '调包物品' WHERE id = :id"), {"id": item.id})
    report = since_last()
    assert not report.ok, codes(report)
    assert "live.mismatch" in codes(report), codes(report)

    with as_dba() as conn:
        conn.execute(text("UPDATE item SET name = '新登记物品' WHERE id = :id"), {"id": item.id})
        conn.execute(
            text(
                "UPDATE audit_event SET reason = 'x' WHERE id = (SELECT max(id) FROM audit_event WHERE item_id = :id)"
            ),
            {"id": item.id},
        )
    report = since_last()
    assert "event.altered" in codes(report)


@pytest.mark.live_rows_diverge(reason="the test edits the recorded mark behind the application")
def test_a_forged_mark_is_caught(app, runner):
    stored_items(2)
    full_run(runner)
    mark = db.session.scalar(
        select(AuditEvent.id).where(AuditEvent.action == "audit.verify").order_by(AuditEvent.id.desc())
    )
    # Someone with the database (not the signing key) changes the mark's stated frontier and root.
    with as_dba() as conn:
        data = conn.execute(text("SELECT data FROM audit_event WHERE id = :id"), {"id": mark}).scalar_one()
        forged = data if isinstance(data, str) else json.dumps(data)
        forged = forged.replace('"root_hash": "', '"root_hash": "00').replace(
            '"root_hash":"', '"root_hash":"00'
        )
        conn.execute(text("UPDATE audit_event SET data = :d WHERE id = :id"), {"d": forged, "id": mark})
    report = since_last()
    assert not report.ok
