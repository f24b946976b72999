"""Concurrency on PostgreSQL with real, separate connections: row locks decide who wins.

Each worker thread pushes its own app context, so it has its own SQLAlchemy session and its own
database connection — two clerks at two desks.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from custody.domain.enums import TransferKind
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.item import Item
from custody.services import storage
from custody.services.transfers import decide_lines, propose_transfer

from ..factories import act, agency, location, open_case, register, send_to_procuratorate, stored_items
from ..helpers import race


def accept_events(item_id: int) -> int:
    db.session.commit()
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.item_id == item_id, AuditEvent.action == "transfer.accept")
    )


def test_two_simultaneous_accepts_of_the_same_line(postgres_app):
    case, [item] = stored_items(1)
    transfer = send_to_procuratorate(case, [item.id])

    def sign(username: str):
        return lambda: decide_lines(
            db.session, act(username), transfer.id, [item.id], accept=True, case_no="浦检[2026]1号"
        )

    outcomes = race(postgres_app, sign("prosecutor"), sign("procuratorate_keeper"))
    assert outcomes == ["ok", "transfer.line_decided"]
    assert accept_events(item.id) == 1
    db.session.expire_all()
    stored = db.session.get(Item, item.id)
    assert stored.custodian_agency.code == "PDJC"
    assert stored.event_count == 4


def test_accept_and_reject_race_exactly_one_decision(postgres_app):
    case, [item] = stored_items(1)
    transfer = send_to_procuratorate(case, [item.id])
    outcomes = race(
        postgres_app,
        lambda: decide_lines(
            db.session, act("prosecutor"), transfer.id, [item.id], accept=True, case_no="浦检[2026]2号"
        ),
        lambda: decide_lines(
            db.session, act("procuratorate_keeper"), transfer.id, [item.id], accept=False, reason="封条破损"
        ),
    )
    assert outcomes == ["ok", "transfer.line_decided"]
    db.session.commit()
    decisions = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.item_id == item.id, AuditEvent.action.in_(["transfer.accept", "transfer.reject"])
        )
    ).all()
    assert len(decisions) == 1


def test_two_keepers_check_in_the_same_item_once(postgres_app):
    item = register(open_case())
    outcomes = race(
        postgres_app,
        lambda: storage.check_in(
            db.session, act("police_keeper"), item.id, location_id=location("R1-A-01").id
        ),
        lambda: storage.check_in(
            db.session, act("police_keeper"), item.id, location_id=location("R1-A-02").id
        ),
    )
    assert outcomes == ["item.not_awaiting_check_in", "ok"]
    db.session.commit()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.item_id == item.id, AuditEvent.action == "item.check_in")
        )
        == 1
    )


def test_overlapping_multi_item_transfers_lock_in_order_without_deadlock(postgres_app):
    case, stored = stored_items(3)
    a, b, c = (i.id for i in stored)
    to = agency("PDJC").id
    # The file went on alone: the items the police still hold follow it (items-only transfers).
    decide_lines(
        db.session, act("prosecutor"), send_to_procuratorate(case, []).id, [], accept=True, case_no="浦检-1"
    )
    db.session.commit()

    def propose(ids):
        return lambda: propose_transfer(
            db.session,
            act("police_officer"),
            case_id=case.id,
            to_agency_id=to,
            kind=TransferKind.OTHER,
            item_ids=ids,
        )

    # (Items-only transfers: two stage transfers of one case are refused before any item is locked.)
    # Opposite orders of the same items: locking by ascending id means one waits, never a deadlock.
    outcomes = race(postgres_app, propose([a, b, c]), propose([c, b, a]))
    assert outcomes == ["item.in_transfer", "ok"]
    db.session.commit()
    for item_id in (a, b, c):
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.item_id == item_id, AuditEvent.action == "transfer.propose")
            )
            == 1
        )


def test_parallel_wrong_passwords_still_lock_the_account(postgres_app):
    """Twenty wrong passwords at once: each failure counts, so the account locks (once)."""
    from datetime import timedelta

    from custody.domain.actor import Origin
    from custody.domain.enums import Outcome
    from custody.models.user import User
    from custody.services import auth

    policy = auth.LoginPolicy(max_failures=5, lockout=timedelta(minutes=10))
    barrier = threading.Barrier(20)
    codes: list[str | None] = []
    lock = threading.Lock()

    def attempt() -> None:
        with postgres_app.app_context():
            try:
                barrier.wait()
                outcome = auth.authenticate(
                    db.session,
                    "police_officer",
                    "wrong-password-2026",
                    Origin(ip="203.0.113.9"),
                    policy=policy,
                )
                db.session.commit()
                with lock:
                    codes.append(outcome.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "deadlock: a login never finished"
    assert sorted(codes, key=str) == sorted(["auth.invalid_credentials"] * 4 + ["auth.locked"] * 16)
    db.session.commit()
    user = db.session.scalar(select(User).where(User.username == "police_officer"))
    assert user.locked_until is not None
    assert (
        db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "lockout"))
        == 1
    )
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "login", AuditEvent.outcome == Outcome.FAILURE)
        )
        == 5
    )


def test_two_keepers_start_overlapping_stocktakes_at_once(postgres_app):
    from custody.models.oversight import Stocktake
    from custody.services import stocktake

    outcomes = race(
        postgres_app,
        lambda: stocktake.start_stocktake(db.session, act("police_keeper"), location_id=location("R1").id),
        lambda: stocktake.start_stocktake(db.session, act("court_keeper"), location_id=location("R1-A").id),
    )
    assert outcomes == ["ok", "stocktake.overlap"]
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Stocktake)) == 1


@pytest.mark.live_rows_diverge(reason="inserts stage transfers as an older version left them")
def test_stale_stage_transfers_signed_for_at_once_move_the_case_once(postgres_app):
    """Two file-only stage transfers left waiting together (an older version allowed it): signing
    for both at the same moment moves the case once; the other finds it at the wrong stage."""
    from custody.domain.enums import CaseStage, TransferStatus
    from custody.models.case import Case
    from custody.models.transfer import Transfer
    from custody.services.visibility import add_participant

    case, [item] = stored_items(1)
    decide_lines(
        db.session,
        act("prosecutor"),
        send_to_procuratorate(case, [item.id]).id,
        [item.id],
        accept=True,
        case_no="浦检[2026]3号",
    )
    db.session.commit()
    stale = {}
    for n, (kind, to) in enumerate(
        ((TransferKind.INDICTMENT, "PDFY"), (TransferKind.SUPPLEMENTARY_INVESTIGATION, "PDGA")), start=1
    ):
        transfer = Transfer(
            transfer_no=f"YS-OLD-{n}",
            case_id=case.id,
            kind=kind,
            from_agency_id=agency("PDJC").id,
            to_agency_id=agency(to).id,
            status=TransferStatus.PENDING,
            created_by_id=act("prosecutor").user_id,
        )
        db.session.add(transfer)
        db.session.flush()
        add_participant(db.session, case.id, transfer.to_agency_id)
        stale[kind] = transfer.id
    db.session.commit()

    outcomes = race(
        postgres_app,
        lambda: decide_lines(
            db.session,
            act("judge"),
            stale[TransferKind.INDICTMENT],
            [],
            accept=True,
            case_no="(2026)沪0115刑初5号",
        ),
        lambda: decide_lines(
            db.session,
            act("police_officer"),
            stale[TransferKind.SUPPLEMENTARY_INVESTIGATION],
            [],
            accept=True,
        ),
    )
    assert outcomes == ["ok", "transfer.wrong_stage"]
    db.session.commit()
    db.session.expire_all()
    moved = db.session.get(Case, case.id)
    assert moved.stage in (CaseStage.TRIAL, CaseStage.INVESTIGATION)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "case.receive", AuditEvent.case_id == case.id)
        )
        == 2
    )  # review, then one of the two


def test_two_stage_proposals_at_once_leave_one_waiting(postgres_app):
    case, [item] = stored_items(1)
    decide_lines(
        db.session,
        act("prosecutor"),
        send_to_procuratorate(case, [item.id]).id,
        [item.id],
        accept=True,
        case_no="浦检[2026]4号",
    )
    db.session.commit()

    def propose(kind, to):
        return lambda: propose_transfer(
            db.session, act("prosecutor"), case_id=case.id, to_agency_id=agency(to).id, kind=kind, item_ids=[]
        )

    outcomes = race(
        postgres_app,
        propose(TransferKind.SUPPLEMENTARY_INVESTIGATION, "PDGA"),
        propose(TransferKind.INDICTMENT, "PDFY"),
    )
    assert outcomes == ["ok", "transfer.stage_pending"]
