"""Auction lots (issue 13): many items sold together in one judicial auction; the lot's total is
split per item (the auction's prices, else by appraised value) and each part reaches the sub-ledger's
proceeds movement. Runs on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from custody.domain.errors import InvalidInput
from custody.domain.money import AuctionLot, LotSplit, MovementKind
from custody.extensions import db
from custody.models.item import Item
from custody.models.lifecycle import Disposition
from custody.services import dispositions

from ..audit.ledger_helpers import as_dba, problem_texts, verify
from ..factories import act, approved_sale
from ..helpers import events
from ..money_helpers import deposit

LOT = AuctionLot("（2026）沪0115拍12号 第3标的", "上海某拍卖买受人")


def sell(sale, total, lot=LOT, **kw):
    dispositions.execute_disposition(
        db.session,
        act("police_keeper"),
        sale.id,
        receipt_no="成交确认书 A-7",
        proceeds_fen=total,
        lot=lot,
        **kw,
    )
    db.session.commit()
    return sale


def test_a_lots_total_is_split_by_appraised_value_and_recorded_with_reference_and_buyer(app):
    sale, (a, b, c) = approved_sale([100_000, 200_000, 300_000])
    sell(sale, 100_000)
    assert {line.item_id: line.proceeds_fen for line in sale.lines} == {
        a.id: 16_667,
        b.id: 33_333,
        c.id: 50_000,
    }
    assert (sale.lot_auction_ref, sale.lot_buyer, sale.lot_split, sale.lot_proceeds_fen) == (
        "（2026）沪0115拍12号 第3标的",
        "上海某拍卖买受人",
        LotSplit.APPRAISED,
        100_000,
    )
    executed = events("disposition.execute")
    assert len(executed) == 3
    for event in executed:
        lot = event.data["lot"]
        assert lot["auction_ref"] == "（2026）沪0115拍12号 第3标的"
        assert lot["total_fen"] == 100_000
        assert lot["split"] == "appraised"
        assert len(lot["buyer_sha256"]) == 64
        assert "上海某拍卖买受人" not in str(event.data)  # the buyer only as a salted commitment
    assert sum(e.data["proceeds_fen"] for e in executed) == 100_000


def test_each_items_part_reaches_the_sub_ledgers_proceeds_movement(app):
    sale, (a, b) = approved_sale([1, 2])
    sell(sale, 1_000)
    entry = db.session.scalar(select(Item).where(Item.id == sale.lines[0].proceeds_item_id))
    movement = deposit(entry, slip_no="拍卖款到账通知 9")
    assert (movement.kind, movement.amount_fen, movement.disposition_id) == (
        MovementKind.PROCEEDS,
        1_000,
        sale.id,
    )
    [event] = events("money.proceeds")
    assert event.data["auction_ref"] == sale.lot_auction_ref
    assert event.data["lot_split"] == "appraised"
    assert {p["item_id"]: p["proceeds_fen"] for p in event.data["sale_parts"]} == {a.id: 333, b.id: 667}


def test_the_auctions_own_prices_are_taken_instead_of_the_split(app):
    sale, (a, b) = approved_sale([100_000, 100_000])
    with pytest.raises(InvalidInput) as short:
        sell(sale, 50_000, line_proceeds={a.id: 10_000, b.id: 30_000})
    assert "line_proceeds" in short.value.fields
    db.session.rollback()
    sell(sale, 50_000, line_proceeds={a.id: 20_000, b.id: 30_000})
    assert sale.lot_split is LotSplit.AUCTION
    assert {line.item_id: line.proceeds_fen for line in sale.lines} == {a.id: 20_000, b.id: 30_000}


def test_items_without_values_share_equally_and_a_partly_valued_lot_needs_the_auctions_prices(app):
    sale, (a, b, c) = approved_sale([None, None, None])
    sell(sale, 100)
    assert sale.lot_split is LotSplit.EQUAL
    assert sorted(line.proceeds_fen for line in sale.lines) == [33, 33, 34]
    mixed, (d, e) = approved_sale([50_000, None])
    with pytest.raises(InvalidInput) as refused:
        sell(mixed, 100)
    assert refused.value.code == "money.lot_unvalued_items"
    db.session.rollback()
    sell(mixed, 100, line_proceeds={d.id: 90, e.id: 10})
    assert mixed.lot_split is LotSplit.AUCTION


def test_a_lot_needs_its_reference_and_buyer_and_records_nothing_without(app):
    sale, _ = approved_sale([1, 1])
    with pytest.raises(InvalidInput) as missing:
        sell(sale, 100, lot=AuctionLot(" ", ""))
    assert set(missing.value.fields) == {"auction_ref", "buyer"}
    db.session.rollback()
    assert db.session.get(type(sale), sale.id).lot_split is None  # nothing recorded
    assert events("disposition.execute") == []


@pytest.mark.live_rows_diverge(reason="changes a disposal row outside the application on purpose")
def test_the_lot_on_the_disposal_row_is_replayed_from_its_history(app):
    """verify-audit replays the lot's reference and split rule: an edit outside the app is named."""
    sale, _ = approved_sale([1, 3])
    sell(sale, 400)
    assert verify().ok, problem_texts(verify())
    edit = update(Disposition.__table__).where(Disposition.id == sale.id).values(lot_auction_ref="伪造标的")
    with as_dba() as conn:
        conn.execute(edit)
    texts = problem_texts(verify())
    assert any("lot_auction_ref" in t and "伪造标的" in t for t in texts), texts
