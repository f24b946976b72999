"""Batch move (移位 by scanning): scan a shelf, then the items into it; all or nothing."""

from __future__ import annotations

import pytest

from custody.domain.enums import ExternalKind, ItemCategory, LocationState
from custody.domain.errors import Conflict, InvalidInput, PermissionDenied
from custody.extensions import db
from custody.services import storage

from ..factories import act, location, open_case, register, send_to_procuratorate, stored_items
from ..helpers import events


def test_a_batch_move_moves_every_scanned_item_each_with_its_event(app):
    _, [first, second] = stored_items(2)
    shelf = location("R1-B-02")
    moved = storage.move_batch(
        db.session, act("police_keeper"), [first.label_code, second.label_code], location_id=shelf.id
    )
    db.session.commit()
    assert [item.id for item in moved] == [first.id, second.id]
    assert first.storage_location_id == second.storage_location_id == shelf.id
    for item in (first, second):
        [event] = events("item.move", item_id=item.id)
        assert event.data["location_path"] == shelf.path


def test_a_batch_move_refuses_lines_that_cannot_move_before_anything_is_written(app):
    case, [ok, already, moving] = stored_items(3)
    waiting = register(case, name="待入库物品")
    car = register(
        open_case(),
        name="黑色轿车",
        category=ItemCategory.VEHICLE,
        unit="辆",
        details={"plate": "沪B67892"},
        external_kind=ExternalKind.IMPOUND_LOT,
        external_place="浦东新区川沙停车场",
    )
    send_to_procuratorate(case, [moving.id])
    shelf = location(already.storage_location.code)
    codes = [
        ok.label_code,
        already.label_code,
        waiting.label_code,
        car.label_code,
        "PDGA-1999-000000",
        ok.label_code,
        moving.label_code,
    ]
    was = ok.storage_location_id
    before = len(events())
    with pytest.raises(Conflict) as refused:
        storage.move_batch(db.session, act("police_keeper"), codes, location_id=shelf.id)
    db.session.rollback()
    assert refused.value.code == "move.refused"
    lines = {line["line"]: line["code"] for line in refused.value.extra["lines"]}
    assert lines == {
        2: "item.same_location",
        3: "item.not_in_storage",
        4: "item.not_in_storage",
        5: "not_found.item",
        6: "batch.duplicate",
        7: "item.in_transfer",
    }
    assert len(events()) == before
    db.session.refresh(ok)
    assert ok.storage_location_id == was


def test_a_batch_move_refuses_a_location_that_cannot_hold_the_item(app):
    _, [phone] = stored_items(1)
    with pytest.raises(Conflict) as refused:
        storage.move_batch(
            db.session, act("police_keeper"), [phone.label_code], location_id=location("Y1-A-02").id
        )
    assert [line["code"] for line in refused.value.extra["lines"]] == ["location.cannot_hold"]


def test_only_keepers_move_in_batches_and_only_their_own_items(app):
    case, [item] = stored_items(1)
    with pytest.raises(PermissionDenied):
        storage.move_batch(
            db.session, act("police_officer"), [item.label_code], location_id=location("R1-B-02").id
        )
    from custody.services.transfers import decide_lines

    transfer = send_to_procuratorate(case, [item.id])
    decide_lines(db.session, act("prosecutor"), transfer.id, [item.id], accept=True, case_no="浦检[2026]19号")
    db.session.commit()
    with pytest.raises(Conflict) as refused:  # police still see it, but no longer keep it
        storage.move_batch(
            db.session, act("police_keeper"), [item.label_code], location_id=location("R1-B-02").id
        )
    assert refused.value.extra["lines"][0]["code"] == "policy.move_item"
    assert item.location_state is LocationState.IN_STORAGE


def test_a_batch_move_needs_codes_and_a_real_location(app):
    _, [item] = stored_items(1)
    with pytest.raises(InvalidInput):
        storage.move_batch(db.session, act("police_keeper"), [], location_id=location("R1-B-02").id)
    with pytest.raises(Exception) as unknown:
        storage.move_batch(db.session, act("police_keeper"), [item.label_code], location_id=99999)
    assert unknown.value.code == "not_found.location"
