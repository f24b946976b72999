"""The case-money account and each case's sub-ledger (issue 13): each test is named after the rule it
proves. Runs on both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from custody.domain import clock as app_clock
from custody.domain.clock import local_date
from custody.domain.enums import (
    DispositionKind,
    ExternalKind,
    ItemCategory,
    LocationState,
    Measure,
)
from custody.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from custody.domain.money import MovementKind
from custody.extensions import db
from custody.models.item import Item
from custody.models.money import MoneyLedger, MoneyMovement
from custody.services import dispositions, money, storage, transfers

from ..factories import act, agency, close_case, judge_case, location, open_case, photo, register
from ..helpers import events, row_counts
from ..money_helpers import account, cash, deposit


def slip(number="存款凭条 0001"):
    return money.Slip(slip_no=number, bank="中国工商银行上海浦东分行", payer_account="6222 0000 1111")


def ledger_of(case) -> MoneyLedger:
    db.session.commit()
    return db.session.scalar(select(MoneyLedger).where(MoneyLedger.case_id == case.id))


def balance(case, username="police_keeper") -> int:
    db.session.commit()
    return money.case_balance(db.session, act(username), case.id)


# -- deposit -------------------------------------------------------------------------------------


def test_deposited_cash_shows_as_deposited_and_its_value_as_the_balance(app):
    case = open_case()
    item = cash(case, 1_234_500)
    movement = deposit(item)
    assert (movement.kind, movement.seq, movement.delta_fen) == (MovementKind.DEPOSIT, 1, 1_234_500)
    assert (movement.balance_before_fen, movement.balance_after_fen) == (0, 1_234_500)
    assert movement.reference == "存款凭条 0001"
    assert movement.bank == "中国工商银行上海浦东分行"
    db.session.expire_all()
    stored = db.session.get(Item, item.id)
    assert stored.location_state is LocationState.EXTERNAL
    assert stored.external_kind is ExternalKind.BANK
    assert stored.external_place.startswith("涉案款专户 中国工商银行上海浦东分行")
    assert money.paid_in_movement(db.session, item.id).id == movement.id
    assert balance(case) == 1_234_500
    # The audit event is on the item's own history, in the same transaction, with the after-state.
    [event] = events("money.deposit")
    assert event.item_id == item.id
    assert event.item_seq == stored.event_count
    assert event.data["balance_after_fen"] == 1_234_500
    assert event.data["amount_fen"] == 1_234_500
    assert event.data["after"]["location_state"] == "external"
    assert event.data["reference"] == "存款凭条 0001"


def test_cash_in_storage_can_be_deposited_and_leaves_its_shelf(app):
    case = open_case()
    item = cash(case, 50_000)
    storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R1-A-01").id)
    db.session.commit()
    deposit(item)
    db.session.expire_all()
    assert db.session.get(Item, item.id).storage_location_id is None


def test_cash_is_paid_in_once(app):
    item = cash(open_case())
    deposit(item)
    with pytest.raises(Conflict) as refused:
        deposit(item, slip_no="存款凭条 0002")
    assert refused.value.code == "money.already_deposited"


def test_an_amount_other_than_the_counted_one_needs_a_note(app):
    item = cash(open_case(), 100_000)
    with pytest.raises(InvalidInput) as refused:
        deposit(item, 99_900)
    assert "note" in refused.value.fields
    db.session.rollback()
    movement = deposit(item, 99_900, note="银行清点发现一张100元假币，已没收")
    assert movement.balance_after_fen == 99_900


def test_only_cash_is_deposited(app):
    case = open_case()
    phone = register(case)
    account()
    with pytest.raises(Conflict) as refused:
        money.deposit_cash(db.session, act("police_keeper"), phone.id, amount_fen=100, slip=slip())
    assert refused.value.code == "money.not_cash"


def test_only_the_custodians_keeper_deposits(app):
    item = cash(open_case())
    account()
    for username in ("police_officer", "procuratorate_keeper"):
        db.session.rollback()
        with pytest.raises((PermissionDenied, NotFound)) as refused:
            money.deposit_cash(db.session, act(username), item.id, amount_fen=1_000_000, slip=slip())
        assert refused.value.code in ("policy.record_money", "not_found.item")


def test_the_slip_number_is_required_and_the_date_not_in_the_future(app):
    item = cash(open_case())
    account()
    with pytest.raises(InvalidInput) as refused:
        money.deposit_cash(
            db.session, act("police_keeper"), item.id, amount_fen=1_000_000, slip=money.Slip(slip_no="  ")
        )
    assert "slip_no" in refused.value.fields
    db.session.rollback()
    with pytest.raises(InvalidInput) as refused:
        money.deposit_cash(
            db.session,
            act("police_keeper"),
            item.id,
            amount_fen=1_000_000,
            slip=slip(),
            value_date=local_date(app_clock.now()) + timedelta(days=1),
        )
    assert "value_date" in refused.value.fields


def test_a_deposit_needs_an_account_of_the_keepers_agency(app):
    item = cash(open_case())
    other = account("PDJC")
    with pytest.raises(InvalidInput) as refused:
        money.deposit_cash(
            db.session, act("police_keeper"), item.id, amount_fen=1_000_000, slip=slip(), account_id=other.id
        )
    assert "account_id" in refused.value.fields


# -- interest, transfer, proceeds, deduction --------------------------------------------------------


def test_interest_is_recorded_when_the_bank_credits_it(app):
    case = open_case()
    deposit(cash(case, 1_000_000))
    ledger = ledger_of(case)
    movement = money.record_interest(
        db.session, act("police_keeper"), ledger.id, amount_fen=1_234, reference="结息单 2026Q1"
    )
    db.session.commit()
    assert (movement.kind, movement.seq, movement.balance_after_fen) == (MovementKind.INTEREST, 2, 1_001_234)
    [event] = events("money.interest")
    assert event.case_id == case.id
    assert event.data["balance_after_fen"] == 1_001_234


def test_the_balance_moves_custodian_with_the_case_not_bank(app):
    case = open_case()
    item = cash(case, 500_000)
    deposit(item)
    ledger = ledger_of(case)
    transfer = transfers.propose_transfer(
        db.session,
        act("police_officer"),
        case_id=case.id,
        to_agency_id=agency("PDJC").id,
        kind=transfers.TransferKind.PROSECUTION,
        item_ids=[item.id],
    )
    db.session.commit()
    assert ledger_of(case).custodian_agency_id == agency("PDGA").id  # not before the sign-for
    transfers.decide_lines(
        db.session, act("prosecutor"), transfer.id, [item.id], accept=True, case_no="浦检刑诉[2026]7号"
    )
    db.session.commit()
    moved = ledger_of(case)
    assert moved.id == ledger.id
    assert moved.account_id == ledger.account_id
    assert moved.custodian_agency_id == agency("PDJC").id
    last = db.session.scalar(
        select(MoneyMovement).where(MoneyMovement.ledger_id == ledger.id, MoneyMovement.seq == 2)
    )
    assert (last.kind, last.delta_fen, last.balance_after_fen) == (MovementKind.TRANSFER, 0, 500_000)
    assert (last.from_agency_id, last.custodian_agency_id) == (agency("PDGA").id, agency("PDJC").id)
    assert last.transfer_id == transfer.id
    [event] = events("money.transfer")
    assert event.data["custodian_agency_id"] == agency("PDJC").id
    assert event.data["balance_after_fen"] == 500_000
    # The new custodian records the interest now; the old one no longer can.
    with pytest.raises(PermissionDenied):
        money.record_interest(db.session, act("police_keeper"), ledger.id, amount_fen=10, reference="结息")
    db.session.rollback()
    money.record_interest(db.session, act("procuratorate_keeper"), ledger.id, amount_fen=10, reference="结息")
    db.session.commit()
    assert balance(case, "procuratorate_keeper") == 500_010


def test_the_money_follows_a_file_only_transfer_too(app):
    case = open_case()
    deposit(cash(case, 70_000))
    judge_case(case)  # police → procuratorate → court, the file alone
    assert ledger_of(case).custodian_agency_id == agency("PDFY").id
    kinds = [m.kind for m in db.session.scalars(select(MoneyMovement).order_by(MoneyMovement.id))]
    assert kinds == [MovementKind.DEPOSIT, MovementKind.TRANSFER, MovementKind.TRANSFER]


def test_sale_proceeds_are_paid_in_as_proceeds_of_their_disposal(app):
    case = open_case()
    car = register(case, name="白色轿车", category=ItemCategory.VEHICLE, details={"plate": "沪C22222"})
    storage.check_in(db.session, act("police_keeper"), car.id, location_id=location("Y1-A-01").id)
    db.session.commit()
    photo(car)
    sale = dispositions.propose_disposition(
        db.session, act("police_officer"), item_ids=[car.id], kind=DispositionKind.EARLY_SALE, reason="贬值"
    )
    dispositions.decide_disposition(db.session, act("police_head"), sale.id, approve=True)
    dispositions.execute_disposition(
        db.session, act("police_keeper"), sale.id, receipt_no="拍卖成交确认书 B-1", proceeds_fen=123_456
    )
    db.session.commit()
    entry = db.session.scalar(select(Item).where(Item.source_item_id == car.id))
    movement = deposit(entry, slip_no="拍卖款到账通知 88")
    assert (movement.kind, movement.disposition_id, movement.balance_after_fen) == (
        MovementKind.PROCEEDS,
        sale.id,
        123_456,
    )
    assert events("money.proceeds")[0].item_id == entry.id


def frozen_account(case):
    return register(
        case,
        name="张某工行账户存款",
        category=ItemCategory.BANK_ACCOUNT,
        measure=Measure.FROZEN,
        details={
            "bank": "中国工商银行上海浦东分行",
            "account_no": "6222021001122334455",
            "amount_fen": 800_000,
        },
        external_kind=ExternalKind.BANK,
        external_place="工商银行浦东分行",
    )


def test_a_frozen_account_is_deducted_only_after_the_judgment(app):
    case = open_case()
    frozen = frozen_account(case)
    account()
    with pytest.raises(Conflict) as refused:
        money.record_deduction(
            db.session, act("police_keeper"), frozen.id, amount_fen=800_000, slip=slip("扣划回执 1")
        )
    assert refused.value.code == "money.case_not_decided"
    db.session.rollback()
    close_case(case)
    movement = money.record_deduction(
        db.session, act("police_keeper"), frozen.id, amount_fen=800_000, slip=slip("扣划回执 1")
    )
    db.session.commit()
    assert (movement.kind, movement.item_id, movement.balance_after_fen) == (
        MovementKind.DEDUCTION,
        frozen.id,
        800_000,
    )
    [event] = events("money.deduction")
    assert event.item_id == frozen.id
    assert event.data["legal_basis"]


def test_only_a_frozen_account_is_deducted_from(app):
    case = open_case()
    item = cash(case)
    close_case(case)
    account()
    with pytest.raises(Conflict) as refused:
        money.record_deduction(db.session, act("police_keeper"), item.id, amount_fen=1, slip=slip())
    assert refused.value.code == "money.not_frozen_account"


# -- remittance and refund ---------------------------------------------------------------------------


def test_remittance_needs_the_decision_and_never_exceeds_the_balance(app):
    case = open_case()
    deposit(cash(case, 300_000))
    ledger = ledger_of(case)

    def remit(amount):
        return money.remit_to_treasury(
            db.session,
            act("police_keeper"),
            ledger.id,
            amount_fen=amount,
            payment_form_no="缴款书 No.0012345",
        )

    with pytest.raises(Conflict) as refused:
        remit(100_000)
    assert refused.value.code == "money.case_not_decided"
    db.session.rollback()
    close_case(case)
    before = row_counts(MoneyMovement)
    with pytest.raises(Conflict) as refused:
        remit(300_001)
    assert refused.value.code == "money.insufficient_balance"
    db.session.rollback()
    assert row_counts(MoneyMovement) == before
    assert balance(case) == 300_000
    movement = remit(300_000)
    db.session.commit()
    assert (movement.kind, movement.delta_fen, movement.balance_after_fen) == (
        MovementKind.REMITTANCE,
        -300_000,
        0,
    )
    assert movement.reference == "缴款书 No.0012345"
    assert events("money.remittance")[0].data["balance_after_fen"] == 0


def test_a_refund_from_the_treasury_is_at_most_what_was_remitted(app):
    case = open_case()
    deposit(cash(case, 300_000))
    close_case(case)
    ledger = ledger_of(case)
    money.remit_to_treasury(
        db.session, act("police_keeper"), ledger.id, amount_fen=200_000, payment_form_no="缴款书 1"
    )
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        money.record_refund(
            db.session,
            act("police_keeper"),
            ledger.id,
            amount_fen=200_001,
            reference="退库书 1",
            note="原主认领",
        )
    assert refused.value.code == "money.refund_exceeds"
    db.session.rollback()
    movement = money.record_refund(
        db.session,
        act("police_keeper"),
        ledger.id,
        amount_fen=200_000,
        reference="退库书 1",
        note="原主认领，查证属实",
    )
    db.session.commit()
    assert (movement.kind, movement.balance_after_fen) == (MovementKind.REFUND, 300_000)


# -- the balance is the sum of the movements ---------------------------------------------------------


def test_the_balance_is_the_sum_of_the_movements(app):
    case = open_case()
    deposit(cash(case, 1_000_000))
    deposit(cash(case, 234_567, name="美元兑换人民币现金"), slip_no="存款凭条 0002")
    ledger = ledger_of(case)
    money.record_interest(db.session, act("police_keeper"), ledger.id, amount_fen=321, reference="结息")
    db.session.commit()
    close_case(case)
    money.remit_to_treasury(
        db.session, act("police_keeper"), ledger.id, amount_fen=4_888, payment_form_no="缴款书 2"
    )
    db.session.commit()
    rows = list(
        db.session.scalars(
            select(MoneyMovement).where(MoneyMovement.ledger_id == ledger.id).order_by(MoneyMovement.seq)
        )
    )
    assert [m.seq for m in rows] == [1, 2, 3, 4]
    running = 0
    for m in rows:
        assert m.balance_before_fen == running
        running += m.delta_fen
        assert m.balance_after_fen == running
    assert balance(case) == running == 1_000_000 + 234_567 + 321 - 4_888


# -- bad input leaves the money record unchanged ---------------------------------------------------


@pytest.mark.parametrize("amount", [-100, 0, 12.5, "99.5", 10**13 + 1, 2**63, "many"])
def test_bad_amounts_are_refused_and_change_nothing(app, amount):
    from custody.models.audit import AuditEvent

    case = open_case()
    item = cash(case, 100_000)
    deposit(cash(case, 5_000, name="零钞"))
    ledger = ledger_of(case)
    before = row_counts(MoneyMovement, AuditEvent, MoneyLedger)
    calls = [
        lambda: money.deposit_cash(
            db.session, act("police_keeper"), item.id, amount_fen=amount, slip=slip("X")
        ),
        lambda: money.record_interest(
            db.session, act("police_keeper"), ledger.id, amount_fen=amount, reference="R"
        ),
    ]
    for call in calls:
        with pytest.raises(InvalidInput) as refused:
            call()
        assert "amount_fen" in refused.value.fields
        db.session.rollback()
    assert row_counts(MoneyMovement, AuditEvent, MoneyLedger) == before
    assert db.session.get(Item, item.id).location_state is LocationState.AWAITING_CHECK_IN
