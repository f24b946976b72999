"""Money in the ledger (台账) and the statistics (issue 13: "Ledgers and statistics gain money views"):
a deposited cash item's row names its bank slip and its sub-ledger's balance; the statistics count the
decided cases that owe nobody, whose balance awaits remittance to the treasury. Runs on both engines."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from custody.domain.enums import ItemCategory
from custody.domain.judgment_orders import OrderKind, OrderLine
from custody.extensions import db
from custody.services import judgment_orders, ledgers, money
from custody.services.items import ItemQuery

from ..factories import act, close_case, open_case, register
from ..money_helpers import approve, cash, claim, deposit, funded_case, pay, propose, victim


def _rows(case, username="police_keeper", fmt="text"):
    actor = act(username)
    spec = ledgers.make_spec(actor, "centre", None, ItemQuery(case_id=case.id, sort="id"))
    return {row[0]: row for row in ledgers.ledger_rows(db.session, actor, spec, money=fmt)}, spec


def _interest(case, amount, username="police_keeper", reference="结息 2026Q4"):
    ledger = money.held_ledgers(db.session, case.id, act(username).agency_id)[0]
    movement = money.record_interest(
        db.session, act(username), ledger.id, amount_fen=amount, reference=reference
    )
    db.session.commit()
    return movement


def test_the_ledger_shows_a_deposited_cash_items_slip_and_its_sub_ledger_balance(app):
    assert ledgers.HEADERS[-2:] == ["存款凭证号", "分户账余额（元）"]
    case = open_case()
    paid = cash(case, 880_050)
    kept = cash(case, 7_000, name="未存现金")
    goods = register(
        case, name="咖啡豆", category=ItemCategory.GOODS, unit="千克", estimated_value_fen=12_000
    )
    deposit(paid, slip_no="存款凭条 0042")
    _interest(case, 1_234)
    rows, spec = _rows(case)
    assert rows[paid.label_code][-2:] == ["存款凭条 0042", "8812.84"]  # the ledger's balance, with interest
    assert rows[kept.label_code][-2:] == ["", ""]  # not paid in: no slip, no balance
    assert rows[goods.label_code][-2:] == ["", ""]
    numbers, _ = _rows(case, fmt="decimal")
    assert numbers[paid.label_code][ledgers.BALANCE_COLUMN] == Decimal("8812.84")

    keeper = act("police_keeper")
    chunks = b"".join(ledgers.csv_chunks(ledgers.ledger_rows(db.session, keeper, spec)))
    table = list(csv.reader(io.StringIO(chunks.decode("utf-8-sig"))))
    assert table[0] == ledgers.HEADERS
    assert len(table) == 1 + 3
    count = ledgers.prepare_export(db.session, keeper, spec, "xlsx")
    db.session.commit()
    sheet = load_workbook(ledgers.xlsx_file(db.session, keeper, spec, count))["台账"]
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    balance = cells[paid.label_code][ledgers.BALANCE_COLUMN]
    assert balance.data_type == "n"
    assert float(balance.value) == 8812.84
    assert balance.number_format == "#,##0.00"


def test_the_ledger_follows_the_money_to_the_court_and_to_zero(app):
    case = funded_case(500_000)  # deposited by the police, followed the case to the court
    [item] = [row for row in _rows(case, "court_keeper")[0].values()]
    assert item[-2:] == ["存款凭条 0001", "5000.00"]
    plan = approve(propose(case))
    pay(plan, 1, "缴款书 No.1")  # no victim: everything to the treasury
    [item] = [row for row in _rows(case, "court_keeper")[0].values()]
    assert item[-2:] == ["存款凭条 0001", "0.00"]


def _stats():
    db.session.commit()
    return money.money_statistics(db.session, act("auditor"))


def test_awaiting_remittance_counts_decided_cases_that_owe_nobody(app):
    undecided = open_case()
    deposit(cash(undecided, 100_000), slip_no="凭条 U")
    owing_nobody = funded_case(200_000)
    with_claim = funded_case(300_000)
    claim(with_claim, amount=50_000, who=victim(with_claim))
    with_order = funded_case(400_000)
    li = victim(with_order)
    judgment_orders.record_orders(
        db.session,
        act("judge"),
        with_order.id,
        [OrderLine(OrderKind.PAY_VICTIM, amount_fen=150_000, victim_id=li.id)],
    )
    stats = _stats()
    assert (stats.awaiting_remittance_cases, stats.awaiting_remittance_fen) == (1, 200_000)
    assert stats.owed_to_victims_fen == 50_000 + 150_000

    # The order is paid under a plan: while the plan is open the case waits for it …
    plan = approve(propose(with_order))
    pay(plan, 1, "领款凭证 1")
    stats = _stats()
    assert stats.owed_to_victims_fen == 50_000
    assert stats.open_plans == 1
    assert (stats.awaiting_remittance_cases, stats.awaiting_remittance_fen) == (1, 200_000)
    pay(plan, 2, "缴款书 2")  # … the remainder goes to the treasury: nothing left to remit
    assert (_stats().awaiting_remittance_cases, _stats().awaiting_remittance_fen) == (1, 200_000)
    # Interest credited after the plan: the victims are paid, so it awaits remittance.
    _interest(with_order, 321, username="court_keeper", reference="结息 2027Q1")
    stats = _stats()
    assert (stats.awaiting_remittance_cases, stats.awaiting_remittance_fen) == (2, 200_321)

    # The owing-nobody case is remitted: it leaves the count.
    [ledger] = money.held_ledgers(db.session, owing_nobody.id, act("court_keeper").agency_id)
    money.remit_to_treasury(
        db.session, act("court_keeper"), ledger.id, amount_fen=200_000, payment_form_no="缴款书 9"
    )
    stats = _stats()
    assert (stats.awaiting_remittance_cases, stats.awaiting_remittance_fen) == (1, 321)
    # Police see the same cases (statistics over what the actor may see).
    police = money.money_statistics(db.session, act("police_keeper"))
    assert police.awaiting_remittance_fen == 321


def test_a_case_closed_by_decision_also_awaits_remittance(app):
    case = open_case()
    deposit(cash(case, 60_000), slip_no="凭条 C")
    assert _stats().awaiting_remittance_cases == 0
    close_case(case)
    stats = _stats()
    assert (stats.awaiting_remittance_cases, stats.awaiting_remittance_fen) == (1, 60_000)
