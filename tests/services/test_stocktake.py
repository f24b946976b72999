"""盘点: a seeded centre with verified, missing, unexpected, checked-out and misplaced items."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from custody.domain import clock as app_clock
from custody.domain.enums import ExternalKind, ItemCategory, TransferKind
from custody.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from custody.domain.lifecycle import CheckoutPurpose
from custody.domain.stocktake import DiscrepancyStatus, StocktakeResult, StocktakeStatus
from custody.extensions import db
from custody.services import checkouts, stocktake, storage
from custody.services.transfers import decide_lines, propose_transfer

from ..factories import act, agency, dual_role_user, location, register, stored_items
from ..helpers import events

R = StocktakeResult


def check_out(item):
    checkout = checkouts.request_checkout(
        db.session,
        act("police_officer"),
        item_ids=[item.id],
        purpose=CheckoutPurpose.APPRAISAL,
        counterparty=checkouts.CounterpartyInput(name="鉴定中心"),
        due_at=app_clock.now() + timedelta(days=2),
    )
    checkouts.decide_checkout(db.session, act("police_approver"), checkout.id, approve=True)
    checkouts.release_checkout(db.session, act("police_keeper"), checkout.id)
    db.session.commit()
    return checkout


@pytest.fixture
def centre(app):
    """Items 1–5 in R1-A-01, R1-A-02, R3-A-01, R1-B-01, R1-B-02; item 2 out on check-out; one item
    not yet checked in; one item of another case in R1-A-03, now in the procuratorate's custody."""
    case, stored = stored_items(5)
    check_out(stored[1])
    awaiting = register(case, name="待入库物品")
    other_case, [other] = stored_items(1)
    storage.move(db.session, act("police_keeper"), other.id, location_id=location("R1-A-03").id)
    db.session.commit()
    transfer = propose_transfer(
        db.session,
        act("police_officer"),
        case_id=other_case.id,
        to_agency_id=agency("PDJC").id,
        kind=TransferKind.PROSECUTION,
        item_ids=[other.id],
    )
    db.session.commit()
    decide_lines(db.session, act("prosecutor"), transfer.id, [other.id], accept=True, case_no="浦检[2026]1号")
    db.session.commit()
    return {"items": stored, "awaiting": awaiting, "other": other}


def test_a_full_count(centre):
    items, awaiting, other = centre["items"], centre["awaiting"], centre["other"]
    keeper = act("police_keeper")
    record = stocktake.start_stocktake(db.session, keeper, location_id=location("R1").id, note="季度盘点")
    db.session.commit()
    assert record.stocktake_no.startswith("PD-PDGA-")
    assert record.status is StocktakeStatus.OPEN
    expected = {line.label_code: line for line in stocktake.lines(db.session, record)}
    # R1 holds items 1, 2 (checked out), 4, 5 and the procuratorate's item; R3's item 3 is not expected.
    assert set(expected) == {
        items[0].label_code,
        items[1].label_code,
        items[3].label_code,
        items[4].label_code,
        other.label_code,
    }
    assert expected[items[1].label_code].result is R.CHECKED_OUT

    def scan(label, at=None):
        line = stocktake.scan(
            db.session, keeper, record.id, label_code=label, location_id=location(at).id if at else None
        )
        db.session.commit()
        return line.result

    assert scan(items[0].label_code, "R1-A-01") is R.VERIFIED
    assert (
        scan(items[0].label_code.lower(), "R1-A") is R.VERIFIED
    )  # a shelf containing the bin; case-insensitive
    assert scan(items[2].label_code, "R1-B-01") is R.WRONG_LOCATION  # recorded in R3
    assert scan(items[3].label_code, "R1-A-03") is R.WRONG_LOCATION  # recorded in R1-B-01
    assert scan("PDGA-2026-999999") is R.UNEXPECTED  # unknown to the system
    assert (
        scan(awaiting.label_code, "R1-B-02") is R.UNEXPECTED
    )  # not checked in: the books do not have it here
    assert scan(other.label_code) is R.VERIFIED  # the procuratorate's item: a count covers every shelf
    with pytest.raises(InvalidInput):
        stocktake.scan(db.session, keeper, record.id, label_code="X", location_id=location("R3-A-01").id)
    db.session.rollback()
    with pytest.raises(Conflict) as overlap:
        stocktake.start_stocktake(db.session, act("court_keeper"), location_id=location("R1-A").id)
    assert overlap.value.code == "stocktake.overlap"
    db.session.rollback()

    stocktake.finish_stocktake(db.session, keeper, record.id)
    db.session.commit()
    assert record.status is StocktakeStatus.FINISHED
    counts = stocktake.counts(stocktake.lines(db.session, record))
    assert counts == {
        "verified": 2,
        "checked_out": 1,
        "moved_out": 0,
        "missing": 1,
        "wrong_location": 2,
        "unexpected": 2,
        "pending": 0,
    }
    with pytest.raises(Conflict):
        stocktake.scan(db.session, keeper, record.id, label_code=items[4].label_code)
    db.session.rollback()

    found = list(db.session.scalars(stocktake.discrepancies_query(act("auditor"))))
    assert sorted((d.label_code, d.kind.value, d.responsible_agency.code) for d in found) == sorted(
        [
            (items[4].label_code, "missing", "PDGA"),
            (items[2].label_code, "wrong_location", "PDGA"),
            (items[3].label_code, "wrong_location", "PDGA"),
            (
                "PDGA-2026-999999",
                "unexpected",
                "PDGA",
            ),  # no item: the agency that ran the count answers for it
            (awaiting.label_code, "unexpected", "PDGA"),
        ]
    )
    assert [e.data["kind"] for e in events("stocktake.discrepancy", item_id=items[4].id)] == ["missing"]
    [finish] = events("stocktake.finish")
    assert finish.data["counts"] == counts
    assert finish.data["discrepancies"] == 5
    # The procuratorate sees none of the police's discrepancies.
    assert list(db.session.scalars(stocktake.discrepancies_query(act("prosecutor_approver")))) == []

    # The report's numbers are the records' numbers, in both formats.
    pdf_text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(stocktake.report_pdf(db.session, record))).pages
    )
    assert record.stocktake_no in pdf_text
    for label, value in (
        ("账实相符", 2),
        ("缺失（盘亏）", 1),
        ("位置不符", 2),
        ("账外物品（盘盈）", 2),
        ("调用在外（已核对）", 1),
    ):
        assert f"{label}{value}" in pdf_text.replace(" ", "").replace("\n", ""), label
    assert "合计8" in pdf_text.replace(" ", "").replace("\n", "")
    workbook = load_workbook(io.BytesIO(stocktake.report_xlsx(db.session, record)))
    summary = {row[0]: row[1] for row in workbook["汇总"].iter_rows(values_only=True) if row and row[0]}
    assert summary["账实相符"] == 2
    assert summary["缺失（盘亏）"] == 1
    assert summary["调用在外（已核对）"] == 1
    assert summary["位置不符"] == 2
    assert summary["账外物品（盘盈）"] == 2
    assert summary["合计"] == 8
    detail = list(workbook["明细"].iter_rows(values_only=True))
    assert detail[0][0] == "标签号"
    assert len(detail) - 1 == sum(counts.values())
    assert sum(1 for row in detail[1:] if row[4] == "缺失（盘亏）") == 1


def test_resolving_discrepancies(centre):
    items = centre["items"]
    chief = dual_role_user("keeper_chief")  # an officer + approver of the police
    keeper = act("police_keeper")
    record = stocktake.start_stocktake(db.session, keeper, location_id=location("R1-B").id)
    db.session.commit()
    stocktake.scan(db.session, keeper, record.id, label_code=items[3].label_code)
    stocktake.finish_stocktake(db.session, keeper, record.id)
    db.session.commit()
    [missing] = list(db.session.scalars(stocktake.discrepancies_query(act("police_approver"))))
    assert missing.item_id == items[4].id
    assert missing.kind is R.MISSING
    with pytest.raises(PermissionDenied):
        stocktake.resolve_discrepancy(db.session, keeper, missing.id, reason="找到了")
    db.session.rollback()
    with pytest.raises(NotFound):
        stocktake.resolve_discrepancy(db.session, act("prosecutor_approver"), missing.id, reason="x")
    db.session.rollback()
    with pytest.raises(InvalidInput):
        stocktake.resolve_discrepancy(db.session, act("police_approver"), missing.id, reason="  ")
    db.session.rollback()
    resolved = stocktake.resolve_discrepancy(
        db.session, act("police_approver"), missing.id, reason="经查物品在鉴定中心，调用手续补录"
    )
    db.session.commit()
    assert resolved.status is DiscrepancyStatus.RESOLVED
    assert resolved.resolved_by_id == act("police_approver").user_id
    assert events("stocktake.resolve", item_id=items[4].id)[0].reason == "经查物品在鉴定中心，调用手续补录"
    with pytest.raises(Conflict):
        stocktake.resolve_discrepancy(db.session, act(chief.username), missing.id, reason="again")


def test_nobody_resolves_a_count_they_started(app):
    from custody.domain.enums import Role
    from custody.services.accounts import create_user

    create_user(
        db.session,
        None,
        username="keeper_head",
        display_name="钱组长",
        agency_id=agency("PDGA").id,
        roles=[Role.KEEPER, Role.APPROVER],
        password="Keeper-head-2026",
    )
    db.session.commit()
    stored_items(1)
    record = stocktake.start_stocktake(db.session, act("keeper_head"), location_id=location("R1-A-01").id)
    db.session.commit()
    stocktake.finish_stocktake(db.session, act("keeper_head"), record.id)
    db.session.commit()
    [missing] = list(db.session.scalars(stocktake.discrepancies_query(act("keeper_head"))))
    with pytest.raises(PermissionDenied) as refused:
        stocktake.resolve_discrepancy(db.session, act("keeper_head"), missing.id, reason="自己盘点自己处理")
    assert refused.value.code == "separation.stocktake_resolver"


def test_moves_during_the_count_are_accounted_for(app):
    case, stored = stored_items(3)  # R1-A-01, R1-A-02, R3-A-01
    keeper = act("police_keeper")
    record = stocktake.start_stocktake(db.session, keeper, location_id=location("R1-A").id)
    db.session.commit()
    # During the count: item 1 is moved to another room (recorded), item 2 is checked out,
    # and item 3 is moved onto the counted shelf but nobody scans it.
    storage.move(db.session, keeper, stored[0].id, location_id=location("R2-S1-01").id)
    db.session.commit()
    check_out(stored[1])
    storage.move(db.session, keeper, stored[2].id, location_id=location("R1-A-03").id)
    db.session.commit()
    stocktake.finish_stocktake(db.session, keeper, record.id)
    db.session.commit()
    results = {line.label_code: line.result for line in stocktake.lines(db.session, record)}
    assert results == {
        stored[0].label_code: R.MOVED_OUT,
        stored[1].label_code: R.CHECKED_OUT,
        stored[2].label_code: R.MISSING,
    }


def test_only_keepers_count_and_a_cancelled_count_is_over(app):
    stored_items(1)
    with pytest.raises(PermissionDenied):
        stocktake.start_stocktake(db.session, act("police_officer"), location_id=location("R1").id)
    db.session.rollback()
    record = stocktake.start_stocktake(db.session, act("court_keeper"), location_id=location("R1").id)
    db.session.commit()
    with pytest.raises(InvalidInput):
        stocktake.cancel_stocktake(db.session, act("court_keeper"), record.id, reason="")
    db.session.rollback()
    stocktake.cancel_stocktake(db.session, act("court_keeper"), record.id, reason="范围选错")
    db.session.commit()
    assert record.status is StocktakeStatus.CANCELLED
    with pytest.raises(Conflict):
        stocktake.finish_stocktake(db.session, act("court_keeper"), record.id)
    db.session.rollback()
    # the area is free again
    stocktake.start_stocktake(db.session, act("court_keeper"), location_id=location("R1-A").id)
    db.session.commit()


def test_a_label_of_an_item_not_stored_in_the_centre_and_out_of_sight_reads_as_unknown(centre):
    """A keeper cannot use the scan box to learn about other agencies' items kept elsewhere."""
    items, awaiting = centre["items"], centre["awaiting"]
    external = register(
        awaiting.case,
        name="银行保管的存单",
        category=ItemCategory.DOCUMENTS,
        external_kind=ExternalKind.BANK,
        external_place="工商银行浦东分行",
    )
    court = act("court_keeper")
    record = stocktake.start_stocktake(db.session, court, location_id=location("R1-B").id)
    db.session.commit()
    for probed in (awaiting, external):  # the police's items with no shelf in this centre
        line = stocktake.scan(
            db.session, court, record.id, label_code=probed.label_code, location_id=location("R1-B-01").id
        )
        db.session.commit()
        assert line.result is R.UNEXPECTED
        assert line.item_id is None
        assert line.book_state is None
        assert line.book_location_id is None
    # The shelves being counted are another matter: their items are on the books of the count.
    on_shelf = stocktake.scan(db.session, court, record.id, label_code=items[3].label_code)
    db.session.commit()
    assert on_shelf.result is R.VERIFIED
    assert on_shelf.item_id == items[3].id
    before = {probed.id: len(events(item_id=probed.id)) for probed in (awaiting, external)}
    stocktake.finish_stocktake(db.session, court, record.id)
    db.session.commit()
    for probed in (awaiting, external):
        [row] = [
            ln for ln in stocktake.report_lines(db.session, record) if ln.label_code == probed.label_code
        ]
        assert row.name is None
        assert row.book_location is None
        assert (
            len(events(item_id=probed.id)) == before[probed.id]
        )  # nothing written into the police item's history
        [unknown] = [
            d
            for d in db.session.scalars(stocktake.discrepancies_query(act("auditor")))
            if d.label_code == probed.label_code
        ]
        assert unknown.item_id is None
        assert unknown.responsible_agency.code == "PDFY"


def test_a_misplaced_item_of_the_centre_is_named_and_goes_to_its_custodian(centre):
    """Another agency's keeper finds the police's item (booked on R3) on a shelf being counted: it is
    on the centre's books, so the count names it as a wrong location and the police resolve it."""
    items = centre["items"]
    misplaced = items[2]  # the police's item recorded in R3-A-01, not visible to the court
    court = act("court_keeper")
    record = stocktake.start_stocktake(db.session, court, location_id=location("R1-B").id)
    db.session.commit()
    line = stocktake.scan(
        db.session, court, record.id, label_code=misplaced.label_code, location_id=location("R1-B-01").id
    )
    db.session.commit()
    assert line.result is R.WRONG_LOCATION
    assert line.item_id == misplaced.id
    assert line.book_location_id == location("R3-A-01").id
    stocktake.finish_stocktake(db.session, court, record.id)
    db.session.commit()
    [row] = [ln for ln in stocktake.report_lines(db.session, record) if ln.label_code == misplaced.label_code]
    assert row.name == misplaced.name
    assert row.book_location.endswith("（R3-A-01）")
    [found] = [
        d
        for d in db.session.scalars(stocktake.discrepancies_query(act("police_approver")))
        if d.label_code == misplaced.label_code
    ]
    assert found.item_id == misplaced.id
    assert found.kind is R.WRONG_LOCATION
    assert found.responsible_agency.code == "PDGA"  # the custodian, not the agency that counted
    assert [
        d
        for d in db.session.scalars(stocktake.discrepancies_query(act("court_keeper")))
        if d.label_code == misplaced.label_code
    ] == []
    [event] = events("stocktake.discrepancy", item_id=misplaced.id)
    assert event.data["kind"] == "wrong_location"
    assert event.data["found_location"].endswith("（R1-B-01）")
    stocktake.resolve_discrepancy(db.session, act("police_approver"), found.id, reason="已移回原位 R3-A-01")
    db.session.commit()
    assert found.status is DiscrepancyStatus.RESOLVED


def test_a_checked_out_item_of_the_centre_scanned_elsewhere_is_named(centre):
    """Checked out, it keeps its shelf in the centre: scanned on the count it is named (unexpected)."""
    items = centre["items"]
    out = items[1]  # the police's item out on check-out, recorded in R1-A-02
    court = act("court_keeper")
    record = stocktake.start_stocktake(db.session, court, location_id=location("R1-B").id)
    db.session.commit()
    line = stocktake.scan(db.session, court, record.id, label_code=out.label_code)
    db.session.commit()
    assert line.result is R.UNEXPECTED
    assert line.item_id == out.id
    stocktake.finish_stocktake(db.session, court, record.id)
    db.session.commit()
    [found] = [
        d
        for d in db.session.scalars(stocktake.discrepancies_query(act("auditor")))
        if d.label_code == out.label_code
    ]
    assert found.item_id == out.id
    assert found.responsible_agency.code == "PDGA"


def test_a_keeper_scanning_an_item_of_its_own_agency_elsewhere_sees_it(centre):
    items = centre["items"]
    keeper = act("police_keeper")
    record = stocktake.start_stocktake(db.session, keeper, location_id=location("R1-B").id)
    db.session.commit()
    line = stocktake.scan(db.session, keeper, record.id, label_code=items[2].label_code)
    db.session.commit()
    assert line.result is R.WRONG_LOCATION
    assert line.item_id == items[2].id


def test_every_scan_is_in_the_record(centre):
    items = centre["items"]
    keeper = act("police_keeper")
    record = stocktake.start_stocktake(db.session, keeper, location_id=location("R1-A").id)
    db.session.commit()
    for at in ("R1-A-02", "R1-A-01"):  # a wrong bin first, then the right one: the line keeps the last
        stocktake.scan(
            db.session, keeper, record.id, label_code=items[0].label_code, location_id=location(at).id
        )
        db.session.commit()
    stocktake.scan(db.session, keeper, record.id, label_code="PDGA-2026-424242")
    db.session.commit()
    scans = events("stocktake.scan")
    assert [(e.data["label_code"], e.data["result"], e.data["location_id"]) for e in scans] == [
        (items[0].label_code, "wrong_location", location("R1-A-02").id),
        (items[0].label_code, "verified", location("R1-A-01").id),
        ("PDGA-2026-424242", "unexpected", None),
    ]
    assert all(
        e.object_type == "stocktake" and e.object_id == str(record.id) and e.item_id is None for e in scans
    )
    assert scans[0].data["location_path"].endswith("（R1-A-02）")
    assert scans[0].data["stocktake_no"] == record.stocktake_no
