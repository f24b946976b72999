"""入库交接单 (issue 18): a check-in batch is one hand-over — its receipt (RK-…, the items, who handed
them over, the keeper who received them) is written with the check-ins and their events, and is
visible to the receiving agency only (and to an agency that may see every item on it)."""

from __future__ import annotations

import pytest

from custody.domain.errors import Conflict, NotFound
from custody.extensions import db
from custody.models.receipt import CheckInReceipt, CheckInReceiptLine
from custody.services import storage

from ..factories import act, location, open_case, register
from ..helpers import events, row_counts


def test_a_batch_check_in_writes_its_hand_over_record_with_the_check_ins(app):
    case = open_case()
    first, second = register(case, name="黑色双肩包"), register(case, name="白色手机")
    receipt = storage.check_in_batch(
        db.session,
        act("police_keeper"),
        [first.label_code, second.label_code],
        location_id=location("R1-B-02").id,
        condition="封存完好",
        handed_over_by="  王  建国 ",
    )
    db.session.commit()
    assert receipt.receipt_no.startswith("RK-PDGA-")
    assert receipt.receipt_no.endswith("-000001")
    assert receipt.handed_over_by == "王 建国"
    assert receipt.received_by.username == "police_keeper"
    assert receipt.location.code == "R1-B-02"
    assert receipt.agency.code == "PDGA"
    assert [(line.line_no, line.item_id, line.condition) for line in receipt.lines] == [
        (1, first.id, "封存完好"),
        (2, second.id, "封存完好"),
    ]
    checked_in = {event.item_id: event.data for event in events("item.check_in")}
    assert {checked_in[first.id]["receipt_no"], checked_in[second.id]["receipt_no"]} == {receipt.receipt_no}
    assert checked_in[first.id]["handed_over_by"] == "王 建国"
    again = storage.check_in_batch(
        db.session, act("police_keeper"), [register(case).label_code], location_id=location("R1-B-02").id
    )
    assert again.receipt_no.endswith("-000002")
    assert again.handed_over_by is None


def test_a_refused_batch_writes_no_receipt(app):
    case = open_case()
    item = register(case)
    before = row_counts(CheckInReceipt, CheckInReceiptLine)
    with pytest.raises(Conflict):
        storage.check_in_batch(
            db.session,
            act("police_keeper"),
            [item.label_code, item.label_code],
            location_id=location("R1-B-02").id,
            handed_over_by="王建国",
        )
    db.session.rollback()
    assert row_counts(CheckInReceipt, CheckInReceiptLine) == before


def test_a_single_check_in_has_no_receipt(app):
    item = register(open_case())
    storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R1-B-02").id)
    db.session.commit()
    assert "receipt_no" not in events("item.check_in", item_id=item.id)[0].data
    assert row_counts(CheckInReceipt) == {"check_in_receipt": 0}


def test_the_receipt_is_the_receiving_agencys(app):
    item = register(open_case())
    receipt = storage.check_in_batch(
        db.session, act("police_keeper"), [item.label_code], location_id=location("R1-B-02").id
    )
    db.session.commit()
    assert (
        storage.get_check_in_receipt(db.session, act("police_officer"), receipt.receipt_no.lower()) is receipt
    )
    for username in ("court_keeper", "prosecutor"):
        with pytest.raises(NotFound) as hidden:
            storage.get_check_in_receipt(db.session, act(username), receipt.receipt_no)
        assert hidden.value.code == "not_found.receipt"
    with pytest.raises(NotFound):
        storage.get_check_in_receipt(db.session, act("police_keeper"), "RK-PDGA-2026-99999")
