"""Storage: only the custodian agency's keepers change physical location; every step is recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from custody.domain import clock as app_clock
from custody.domain.enums import DispositionStatus, ExternalKind, ItemCategory, LocationState
from custody.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from custody.extensions import db
from custody.models.item import Item
from custody.services import storage
from custody.services.transfers import decide_lines

from ..factories import act, agency, location, open_case, register, send_to_procuratorate, stored_items
from ..helpers import events


def test_keeper_checks_an_item_in_with_condition(app):
    case = open_case()
    item = register(case)
    bin_ = location("R3-A-01")
    storage.check_in(
        db.session, act("police_keeper"), item.id, location_id=bin_.id, condition="外观完好，已封存"
    )
    db.session.commit()
    assert item.location_state is LocationState.IN_STORAGE
    assert item.storage_location_id == bin_.id
    assert item.condition == "外观完好，已封存"
    assert item.checked_in_at is not None
    [event] = events("item.check_in", item_id=item.id)
    assert event.data["location_path"].endswith("A架 › 01格")
    assert event.data["before"] == {"location_state": "awaiting_check_in", "storage_location_id": None}
    assert 1.9 < event.data["hours_since_seizure"] < 2.2


@pytest.mark.parametrize("username", ["police_officer", "police_approver", "auditor", "admin"])
def test_only_keepers_check_in(app, username):
    item = register(open_case())
    with pytest.raises((PermissionDenied, NotFound)):
        storage.check_in(db.session, act(username), item.id, location_id=location("R1-A-01").id)


def test_keepers_of_other_agencies_cannot_touch_police_items(app):
    case, [item] = stored_items(1)
    with pytest.raises(NotFound):  # the procuratorate cannot even see this case yet
        storage.move(db.session, act("procuratorate_keeper"), item.id, location_id=location("R1-B-01").id)
    transfer = send_to_procuratorate(case, [item.id])
    decide_lines(db.session, act("prosecutor"), transfer.id, [item.id], accept=True, case_no="浦检[2026]9号")
    db.session.commit()
    with pytest.raises(PermissionDenied):  # police still see the case but are no longer custodian
        storage.move(db.session, act("police_keeper"), item.id, location_id=location("R1-B-01").id)
    storage.move(db.session, act("procuratorate_keeper"), item.id, location_id=location("R1-B-01").id)
    db.session.commit()
    assert events("item.move", item_id=item.id)[0].actor["agency_code"] == "PDJC"


def test_location_transitions_are_enforced(app):
    case, [item] = stored_items(1)
    keeper = act("police_keeper")
    with pytest.raises(Conflict):  # already in storage
        storage.check_in(db.session, keeper, item.id, location_id=location("R1-B-01").id)
    with pytest.raises(Conflict):  # same place
        storage.move(db.session, keeper, item.id, location_id=item.storage_location_id)
    with pytest.raises(NotFound):
        storage.move(db.session, keeper, item.id, location_id=99999)
    storage.record_external(
        db.session,
        keeper,
        item.id,
        kind=ExternalKind.IMPOUND_LOT,
        place="浦东新区某停车场",
        contact="021-12345678",
    )
    db.session.commit()
    assert item.location_state is LocationState.EXTERNAL
    assert item.storage_location_id is None
    with pytest.raises(Conflict):
        storage.move(db.session, keeper, item.id, location_id=location("R1-B-01").id)
    with pytest.raises(InvalidInput):
        storage.record_external(db.session, keeper, item.id, kind=ExternalKind.BANK, place="  ")
    with pytest.raises(Conflict) as kept_outside:  # never brought in as a side effect of a check-in
        storage.check_in(db.session, keeper, item.id, location_id=location("R1-B-01").id)
    assert kept_outside.value.code == "item.kept_outside"
    storage.check_in(
        db.session, keeper, item.id, location_id=location("R1-B-01").id, bring_in=True, reason="需要鉴定"
    )
    db.session.commit()
    assert [e.action for e in events(item_id=item.id)] == [
        "item.register",
        "item.check_in",
        "item.external",
        "item.check_in",
    ]


def test_vehicle_registered_at_an_impound_lot(app):
    case = open_case()
    car = register(
        case,
        name="黑色轿车",
        category=ItemCategory.VEHICLE,
        details={"plate": "沪B67890"},
        external_kind=ExternalKind.IMPOUND_LOT,
        external_place="浦东新区川沙停车场",
    )
    assert car.location_state is LocationState.EXTERNAL
    assert car.external_place == "浦东新区川沙停车场"


def test_back_dated_check_in_needs_a_reason_and_cannot_precede_seizure(app):
    item = register(open_case(), seized_at=app_clock.now() - timedelta(hours=5))
    keeper = act("police_keeper")
    bin_ = location("R1-A-01").id
    with pytest.raises(InvalidInput) as no_reason:
        storage.check_in(
            db.session, keeper, item.id, location_id=bin_, occurred_at=app_clock.now() - timedelta(hours=3)
        )
    assert "reason" in no_reason.value.fields
    with pytest.raises(InvalidInput):
        storage.check_in(
            db.session,
            keeper,
            item.id,
            location_id=bin_,
            occurred_at=app_clock.now() - timedelta(hours=6),
            reason="补录",
        )
    storage.check_in(
        db.session,
        keeper,
        item.id,
        location_id=bin_,
        occurred_at=app_clock.now() - timedelta(hours=3),
        reason="夜间入库，次日补录",
    )
    db.session.commit()
    [event] = events("item.check_in", item_id=item.id)
    assert event.reason == "夜间入库，次日补录"
    assert event.occurred_at < event.recorded_at - timedelta(hours=2)


@pytest.mark.live_rows_diverge(reason="marks the item disposed with a direct update")
def test_condition_is_recorded_and_a_disposed_item_accepts_nothing(app):
    case, [item] = stored_items(1)
    keeper = act("police_keeper")
    storage.record_condition(db.session, keeper, item.id, condition="外包装轻微破损")
    db.session.commit()
    [event] = events("item.condition", item_id=item.id)
    assert event.data["after"] == {"condition": "外包装轻微破损"}
    db.session.execute(
        update(Item)
        .where(Item.id == item.id)
        .values(disposition_status=DispositionStatus.EXECUTED, location_state=LocationState.GONE)
    )
    db.session.commit()
    for call in (
        lambda: storage.record_condition(db.session, keeper, item.id, condition="x"),
        lambda: storage.move(db.session, keeper, item.id, location_id=location("R1-B-01").id),
        lambda: storage.check_in(db.session, keeper, item.id, location_id=location("R1-B-01").id),
    ):
        with pytest.raises(Conflict) as refused:
            call()
        assert refused.value.code == "item.disposed"


def test_an_item_kept_outside_is_brought_in_only_deliberately_with_a_reason_to_a_place_that_holds_it(app):
    case = open_case()
    car = register(
        case,
        name="黑色轿车",
        category=ItemCategory.VEHICLE,
        unit="辆",
        details={"plate": "沪B67890"},
        external_kind=ExternalKind.IMPOUND_LOT,
        external_place="浦东新区川沙停车场",
    )
    keeper = act("police_keeper")
    with pytest.raises(Conflict) as plain:
        storage.check_in(db.session, keeper, car.id, location_id=location("Y1-A-01").id)
    assert plain.value.code == "item.kept_outside"
    with pytest.raises(InvalidInput) as no_reason:
        storage.check_in(db.session, keeper, car.id, location_id=location("Y1-A-01").id, bring_in=True)
    assert "reason" in no_reason.value.fields
    with pytest.raises(Conflict) as shelf:  # a shelf does not hold a car
        storage.check_in(
            db.session, keeper, car.id, location_id=location("R1-A-01").id, bring_in=True, reason="停车场到期"
        )
    assert shelf.value.code == "location.cannot_hold"
    assert "location_id" in shelf.value.fields
    storage.check_in(
        db.session, keeper, car.id, location_id=location("Y1-A-01").id, bring_in=True, reason="停车场到期"
    )
    db.session.commit()
    assert car.location_state is LocationState.IN_STORAGE
    assert car.external_place is None
    [event] = events("item.check_in", item_id=car.id)
    assert event.reason == "停车场到期"
    assert event.data["brought_in_from"] == {"kind": "impound_lot", "place": "浦东新区川沙停车场"}


def test_a_vehicle_yard_holds_vehicles_only(app):
    phone = register(open_case())
    with pytest.raises(Conflict) as yard:
        storage.check_in(db.session, act("police_keeper"), phone.id, location_id=location("Y1-A-02").id)
    assert yard.value.code == "location.cannot_hold"


@pytest.mark.live_rows_diverge(reason="another agency's item and a disposed one, made with direct updates")
def test_a_check_in_batch_refuses_lines_that_cannot_go_in_before_anything_is_written(app):
    case = open_case()
    ok = register(case)
    car = register(
        case,
        name="黑色轿车",
        category=ItemCategory.VEHICLE,
        unit="辆",
        details={"plate": "沪B67891"},
        external_kind=ExternalKind.IMPOUND_LOT,
        external_place="浦东新区川沙停车场",
    )
    kept = register(
        case,
        name="电动车",
        category=ItemCategory.GOODS,
        external_kind=ExternalKind.WITH_HOLDER,
        external_place="持有人家中",
    )
    stored_case, [stored, moving] = stored_items(2)
    send_to_procuratorate(stored_case, [moving.id])
    court_item, disposed = register(open_case(), name="另案手机"), register(case, name="已处置物品")
    db.session.execute(
        update(Item).where(Item.id == court_item.id).values(custodian_agency_id=agency("PDFY").id)
    )
    db.session.execute(
        update(Item).where(Item.id == disposed.id).values(disposition_status=DispositionStatus.EXECUTED)
    )
    db.session.commit()
    codes = [
        ok.label_code,
        car.label_code,
        kept.label_code,
        stored.label_code,
        court_item.label_code,
        "PDGA-1999-000000",
        ok.label_code,
        moving.label_code,
        disposed.label_code,
    ]
    before = len(events())
    with pytest.raises(Conflict) as refused:
        storage.check_in_batch(db.session, act("police_keeper"), codes, location_id=location("R1-A-02").id)
    db.session.rollback()
    lines = {line["line"]: line["code"] for line in refused.value.extra["lines"]}
    assert refused.value.code == "check_in.refused"
    assert lines == {
        2: "item.kept_outside",
        3: "item.kept_outside",
        4: "item.not_awaiting_check_in",
        5: "item.other_agency",
        6: "not_found.item",
        7: "batch.duplicate",
        8: "item.in_transfer",
        9: "item.disposed",
    }
    assert len(events()) == before
    db.session.refresh(ok)
    assert ok.location_state is LocationState.AWAITING_CHECK_IN
    done = storage.check_in_batch(
        db.session,
        act("police_keeper"),
        [ok.label_code],
        location_id=location("R1-A-02").id,
        condition="完好",
    )
    db.session.commit()
    assert [line.item_id for line in done.lines] == [ok.id]
    assert ok.location_state is LocationState.IN_STORAGE
