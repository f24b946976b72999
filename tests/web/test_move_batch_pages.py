"""Batch move on the keepers' page (issue 18): scan the shelf, then the items; all or nothing."""

from __future__ import annotations

from custody.extensions import db
from custody.models.item import Item

from ..factories import location, open_case, register, stored_items
from ..helpers import fresh
from .ui import client_for, post, text


def test_a_scanned_shelf_label_then_the_items_moves_them_there(app):
    _, [first, second] = stored_items(2)
    keeper = client_for(app, "police_keeper")
    page = keeper.get(f"/storage/move?location_id={location('R1-B-02').id}")
    assert page.status_code == 200
    assert "/storage/lookup/move" in page.get_data(as_text=True)
    response = post(
        keeper,
        "/storage/move",
        {
            "location_id": location("R1-A-01").id,
            "codes_text": f"loc:pdzx:r1-b-02\n{first.label_code}\n{second.label_code}",
        },
    )
    assert response.status_code == 302, text(response)[:600]
    fresh()
    assert {db.session.get(Item, item.id).storage_location.code for item in (first, second)} == {"R1-B-02"}


def test_a_refused_line_moves_nothing_and_is_marked(app):
    case, [item] = stored_items(1)
    waiting = register(case, name="待入库手机")
    was = item.storage_location_id
    keeper = client_for(app, "police_keeper")
    response = post(
        keeper,
        "/storage/move",
        {"location_id": location("R1-B-02").id, "codes_text": f"{item.label_code}\n{waiting.label_code}"},
    )
    assert response.status_code == 409
    assert "只有在库财物才能移位" in text(response) or "Only an item in storage" in text(response)
    fresh()
    assert db.session.get(Item, item.id).storage_location_id == was


def test_the_move_page_is_for_keepers_and_its_lookup_judges_a_move(app):
    _, [item] = stored_items(1)
    assert client_for(app, "police_officer").get("/storage/move").status_code == 403
    keeper = client_for(app, "police_keeper")
    here = keeper.get(
        f"/storage/lookup/move?code={item.label_code}&location_id={item.storage_location_id}"
    ).json
    assert here["found"]
    assert not here["ok"]
    assert here["message"]
    there = keeper.get(
        f"/storage/lookup/move?code={item.label_code}&location_id={location('R1-B-02').id}"
    ).json
    assert there["ok"]
    waiting = register(open_case(), name="待入库物品")
    assert not keeper.get(f"/storage/lookup/move?code={waiting.label_code}").json["ok"]
    assert keeper.get(f"/storage/lookup?code={waiting.label_code}").json["ok"]  # the check-in lookup still
