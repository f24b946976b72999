"""The balance is always the sum of the movements — enforced by the database, so SQL that bypasses
the application cannot break it either (issue 13). Each test tries a bypass and is refused; both
engines."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from custody.domain import clock as app_clock
from custody.domain.clock import local_date
from custody.domain.money import INFLOWS, OUTFLOWS, MovementKind, sign_of
from custody.extensions import db
from custody.models.money import MoneyLedger, MoneyMovement

from ..factories import agency, open_case
from ..helpers import row_counts
from ..money_helpers import cash, deposit

pytestmark = pytest.mark.live_rows_diverge(
    reason="inserts movements past the services, to show what the database itself refuses"
)

TABLE = MoneyMovement.__table__


@pytest.fixture
def ledger(app):
    """A ledger holding 1,000.00 元 after one deposit (seq 1)."""
    case = open_case()
    deposit(cash(case, 100_000))
    return db.session.scalar(select(MoneyLedger).where(MoneyLedger.case_id == case.id))


def raw(ledger, **values):
    """Insert a movement row directly, as a database user could, without the application."""
    row = {
        "ledger_id": ledger.id,
        "seq": 2,
        "prev_seq": 1,
        "kind": MovementKind.REMITTANCE.value,
        "delta_fen": -1,
        "balance_before_fen": 100_000,
        "balance_after_fen": 99_999,
        "case_id": ledger.case_id,
        "custodian_agency_id": agency("PDGA").id,
        "value_date": local_date(app_clock.now()),
        "recorded_at": app_clock.now(),
    }
    row.update(values)
    db.session.execute(insert(TABLE).values(**row))
    db.session.flush()


def refused(ledger, **values):
    before = row_counts(MoneyMovement)
    with pytest.raises(DBAPIError):
        raw(ledger, **values)
    db.session.rollback()
    assert row_counts(MoneyMovement) == before


def test_a_consistent_row_is_accepted_so_the_refusals_below_are_about_their_one_fault(ledger):
    raw(ledger)
    db.session.commit()
    assert row_counts(MoneyMovement)["money_movement"] == 2


def test_balance_after_must_be_balance_before_plus_the_amount(ledger):
    refused(ledger, balance_after_fen=100_000)  # money vanishing without a trace


def test_no_movement_overdraws_the_balance(ledger):
    refused(ledger, delta_fen=-100_001, balance_after_fen=-1)


def test_a_movement_cannot_claim_a_balance_its_predecessor_did_not_leave(ledger):
    # Consistent with itself (999,999 − 1 = 999,998) but not with movement 1 (which left 100,000).
    refused(ledger, balance_before_fen=999_999, balance_after_fen=999_998)


def test_the_chain_has_no_gaps(ledger):
    refused(ledger, seq=3, prev_seq=2)  # there is no movement 2 to continue from
    refused(ledger, seq=3, prev_seq=1)  # prev_seq must be seq - 1


def test_a_first_movement_starts_from_zero(ledger):
    case = open_case()
    deposit(cash(case, 100))
    other = db.session.scalar(select(MoneyLedger).where(MoneyLedger.case_id == case.id))
    # A forged second ledger start: seq 1 claiming an opening balance.
    refused(
        other,
        seq=1,
        prev_seq=None,
        kind="deposit",
        delta_fen=5,
        balance_before_fen=1_000,
        balance_after_fen=1_005,
    )


def test_two_writers_cannot_both_append_after_the_same_movement(ledger):
    raw(ledger)  # the first writer's movement 2
    refused(ledger, seq=2, delta_fen=-2, balance_after_fen=99_998)  # the second, from the same movement 1


def test_each_kind_moves_money_in_its_own_direction(ledger):
    refused(ledger, kind="deposit")  # a "deposit" taking money out
    refused(ledger, kind="remittance", delta_fen=1, balance_after_fen=100_001)  # a remittance adding money
    refused(ledger, kind="transfer")  # a transfer changes the custodian only


def test_movements_cannot_be_edited_or_deleted(ledger):
    for statement in (
        "UPDATE money_movement SET delta_fen = 1, balance_after_fen = 1 WHERE ledger_id = :id",
        "UPDATE money_movement SET reference = 'forged' WHERE ledger_id = :id",
        "DELETE FROM money_movement WHERE ledger_id = :id",
    ):
        with pytest.raises(DBAPIError):
            db.session.execute(text(statement), {"id": ledger.id})
        db.session.rollback()
    assert (
        db.session.scalar(select(MoneyMovement.balance_after_fen).where(MoneyMovement.ledger_id == ledger.id))
        == 100_000
    )


def test_the_direction_check_matches_the_domain():
    assert all(sign_of(k) == 1 for k in INFLOWS)
    assert all(sign_of(k) == -1 for k in OUTFLOWS)
    assert sign_of(MovementKind.TRANSFER) == 0
    assert INFLOWS | OUTFLOWS | {MovementKind.TRANSFER} == set(MovementKind)
