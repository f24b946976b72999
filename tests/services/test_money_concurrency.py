"""Concurrent payments from one balance on PostgreSQL, with real separate connections (issue 13):
the ledger's row lock serialises them, and the database's running-balance constraints stop an
overdraft even from writers that bypass the lock."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from custody.domain import clock as app_clock
from custody.domain.clock import local_date
from custody.domain.money import MovementKind
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.money import MoneyLedger, MoneyMovement
from custody.services import money

from ..factories import act, agency, close_case, open_case
from ..helpers import race
from ..money_helpers import cash, deposit


def funded_ledger(amount_fen: int) -> MoneyLedger:
    case = open_case()
    deposit(cash(case, amount_fen))
    close_case(case)
    return db.session.scalar(select(MoneyLedger).where(MoneyLedger.case_id == case.id))


def remit(ledger_id: int, amount_fen: int, n: int):
    return lambda: money.remit_to_treasury(
        db.session, act("police_keeper"), ledger_id, amount_fen=amount_fen, payment_form_no=f"缴款书 {n}"
    )


def movements(ledger_id: int) -> list[MoneyMovement]:
    db.session.commit()
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(MoneyMovement).where(MoneyMovement.ledger_id == ledger_id).order_by(MoneyMovement.seq)
        )
    )


def test_eight_concurrent_payments_never_overdraw_and_exactly_those_that_fit_succeed(postgres_app):
    ledger = funded_ledger(1_000)
    outcomes = race(postgres_app, *(remit(ledger.id, 300, n) for n in range(8)), hold=0.2)
    assert outcomes.count("ok") == 3  # 3 × 300 fit in 1,000; a fourth would not
    assert outcomes.count("money.insufficient_balance") == 5
    rows = movements(ledger.id)
    assert [m.seq for m in rows] == [1, 2, 3, 4]
    assert [m.balance_after_fen for m in rows] == [1_000, 700, 400, 100]
    db.session.commit()
    assert (
        len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "money.remittance")).all()) == 3
    )


def test_concurrent_payments_of_different_sizes_take_exactly_what_fits(postgres_app):
    ledger = funded_ledger(1_000)
    amounts = [100, 200, 300, 400, 500, 600, 700, 800]
    outcomes = race(postgres_app, *(remit(ledger.id, a, n) for n, a in enumerate(amounts)), hold=0.1)
    rows = movements(ledger.id)
    paid = [-m.delta_fen for m in rows if m.kind is MovementKind.REMITTANCE]
    assert outcomes.count("ok") == len(paid)
    assert sum(paid) <= 1_000
    assert rows[-1].balance_after_fen == 1_000 - sum(paid) >= 0
    # Every refused payment was larger than the balance left when it was refused: once nothing more
    # fits, nothing more was taken.
    refused = sorted(set(amounts) - set(paid))
    assert all(amount > rows[-1].balance_after_fen for amount in refused)


@pytest.mark.live_rows_diverge(
    reason="inserts movements past the services, to show what the database itself refuses"
)
def test_writers_that_bypass_the_lock_still_cannot_both_append_after_one_movement(postgres_app):
    """Two connections insert movement 2 straight after movement 1, without the application's lock:
    the unique (ledger, seq) lets exactly one in; the other's insert fails when the first commits."""
    ledger = funded_ledger(1_000)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def writer(amount: int) -> None:
        with postgres_app.app_context():
            try:
                barrier.wait()
                db.session.execute(
                    insert(MoneyMovement.__table__).values(
                        ledger_id=ledger.id,
                        seq=2,
                        prev_seq=1,
                        kind="remittance",
                        delta_fen=-amount,
                        balance_before_fen=1_000,
                        balance_after_fen=1_000 - amount,
                        case_id=ledger.case_id,
                        custodian_agency_id=agency("PDGA").id,
                        value_date=local_date(app_clock.now()),
                        recorded_at=app_clock.now(),
                    )
                )
                time.sleep(0.3)
                db.session.commit()
                outcomes.append("ok")
            except IntegrityError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(amount,)) for amount in (600, 700)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"]
    rows = movements(ledger.id)
    assert len(rows) == 2
    assert rows[-1].balance_after_fen in (400, 300)
