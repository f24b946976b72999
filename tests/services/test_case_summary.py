"""The case summary's value: what the case still holds (disposed items excluded)."""

from __future__ import annotations

from custody.domain.enums import DispositionKind, ItemCategory
from custody.extensions import db
from custody.services import corrections, dispositions, storage
from custody.services.cases import case_summary

from ..factories import act, close_case, location, photo, register, stored_items


def test_an_early_sale_replaces_the_items_value_with_the_proceeds(app):
    case = stored_items(0)[0]
    car = register(
        case,
        name="白色轿车",
        category=ItemCategory.VEHICLE,
        details={"plate": "沪C22222"},
        estimated_value_fen=5_000,
    )
    storage.check_in(db.session, act("police_keeper"), car.id, location_id=location("Y1-A-01").id)
    db.session.commit()
    register(case, name="办公椅", category=ItemCategory.GOODS, estimated_value_fen=20_000)
    assert case_summary(db.session, case.id).total_value_fen == 25_000
    photo(car)
    sale = dispositions.propose_disposition(
        db.session,
        act("police_officer"),
        item_ids=[car.id],
        kind=DispositionKind.EARLY_SALE,
        reason="车辆长期存放贬值",
    )
    dispositions.decide_disposition(db.session, act("police_head"), sale.id, approve=True)
    dispositions.execute_disposition(
        db.session, act("police_keeper"), sale.id, receipt_no="拍卖成交确认书 B-1", proceeds_fen=123_456
    )
    db.session.commit()
    summary = case_summary(db.session, case.id)
    assert summary.item_count == 3  # the car (disposed), the chair and the proceeds entry
    assert summary.by_status["disposed"] == 1
    assert summary.total_value_fen == 123_456 + 20_000  # not 5,000 + 123,456 + 20,000


def test_disposed_items_leave_the_value_and_cash_counts_at_its_amount(app):
    case, [item] = stored_items(1)
    cash = register(
        case, name="人民币现金", category=ItemCategory.CASH, unit="元", details={"amount_fen": 50_000}
    )  # no estimate typed: the amount counted is its value
    correction = corrections.propose_correction(
        db.session,
        act("police_officer"),
        item_id=item.id,
        field="estimated_value_fen",
        new_value=7_000,
        reason="估价报告已出",
    )
    corrections.decide_correction(db.session, act("police_approver"), correction.id, approve=True)
    db.session.commit()
    assert case_summary(db.session, case.id).total_value_fen == 57_000
    close_case(case)
    confiscation = dispositions.propose_disposition(
        db.session, act("police_officer"), item_ids=[item.id], kind=DispositionKind.CONFISCATE
    )
    dispositions.decide_disposition(db.session, act("police_approver"), confiscation.id, approve=True)
    assert case_summary(db.session, case.id).total_value_fen == 57_000  # approved, still held
    dispositions.execute_disposition(
        db.session, act("police_keeper"), confiscation.id, receipt_no="国库回执 9"
    )
    db.session.commit()
    summary = case_summary(db.session, case.id)
    assert summary.item_count == 2
    assert summary.total_value_fen == 50_000
    assert cash.estimated_value_fen is None
