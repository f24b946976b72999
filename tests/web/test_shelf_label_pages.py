"""Shelf and bin labels on the pages (issue 18, scan-first storage): the labels PDF per room or shelf,
scanning a shelf label on the check-in page chooses where the batch goes, the scan box opens a scanned
location with its items, and the location picker shows the short code with the full path."""

from __future__ import annotations

import pytest

from custody.extensions import db
from custody.models.item import Item
from custody.services import storage

from ..factories import (
    act,
    location,
    open_case,
    operator_running_the_demo_centre_with_another_centre,
    register,
)
from ..helpers import fresh
from .ui import client_for, pdf_text, post, text


def test_a_scanned_shelf_label_chooses_where_the_batch_goes(app):
    case = open_case()
    first, second = register(case, name="黑色双肩包"), register(case, name="白色手机")
    keeper = client_for(app, "police_keeper")
    page = keeper.get("/storage/check-in").get_data(as_text=True)
    assert "R1-B-02 · 浦东新区涉案财物管理中心 › 一号库房（一般物品） › B架 › 02格" in page
    assert "data-searchable" in page
    response = post(
        keeper,
        "/storage/check-in",
        {
            "location_id": location("R1-A-01").id,  # chosen first; the label scanned next wins
            "codes_text": f"loc:pdzx:r1-b-02\n{first.label_code}\n{second.label_code}",
        },
    )
    assert response.status_code == 302, text(response)[:600]
    fresh()
    stored = [db.session.get(Item, item.id) for item in (first, second)]
    assert {item.storage_location.code for item in stored} == {"R1-B-02"}


def test_an_unknown_shelf_label_on_the_check_in_page_checks_nothing_in(app):
    item = register(open_case())
    keeper = client_for(app, "police_keeper")
    response = post(
        keeper,
        "/storage/check-in",
        {"location_id": location("R1-A-01").id, "codes_text": f"LOC:PDZX:NOPE\n{item.label_code}"},
    )
    assert response.status_code == 422
    assert "LOC:PDZX:NOPE" in text(response)
    fresh()
    assert db.session.get(Item, item.id).storage_location_id is None


def test_the_lookup_answers_a_location_label_for_the_pages_script(app):
    keeper = client_for(app, "police_keeper")
    found = keeper.get("/storage/lookup?code=LOC:PDZX:R1-B-02").json
    assert found["location"]
    assert found["ok"]
    assert found["id"] == location("R1-B-02").id
    assert found["short"] == "R1-B-02"
    assert "B架" in found["path"]
    unknown = keeper.get("/storage/lookup?code=LOC:PDZX:NOPE")
    assert unknown.status_code == 404
    assert unknown.json["location"]
    assert not unknown.json["ok"]


def test_the_operators_keeper_is_told_another_centres_shelf_is_not_theirs(app):
    operator_running_the_demo_centre_with_another_centre()
    keeper = client_for(app, "operator_keeper")
    refused = keeper.get("/storage/lookup?code=LOC:CSZX:CS-R1")
    assert refused.status_code == 403
    assert "川沙" in refused.json["message"]
    assert keeper.get("/scan?code=LOC:CSZX:CS-R1").status_code == 403


def test_the_scan_box_opens_a_scanned_location_with_its_items(app):
    case = open_case()
    item = register(case, name="黑色双肩包")
    storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R1-B-02").id)
    db.session.commit()
    keeper = client_for(app, "police_keeper")
    opened = keeper.get("/scan?code=loc:pdzx:r1-b")  # the shelf: its bins' items too
    assert opened.status_code == 302
    assert opened.location.endswith(f"/storage/locations/{location('R1-B').id}")
    page = text(keeper.get(opened.location))
    assert "LOC:PDZX:R1-B" in page
    assert item.label_code in page
    assert "黑色双肩包" in page
    assert "R1-B-02" in page
    assert keeper.get("/scan?code=LOC:PDZX:NOPE").status_code == 404
    # another agency's keeper sees the place, not the police's item
    court_page = text(client_for(app, "court_keeper").get(opened.location))
    assert item.label_code not in court_page
    # every user may look a location up (reference data, like GET /api/v1/locations); only keepers print
    officer = client_for(app, "police_officer")
    officer_page = officer.get(opened.location).get_data(as_text=True)
    assert item.label_code in officer_page
    assert "labels.pdf" not in officer_page
    assert app.test_client().get(opened.location).status_code == 302  # to the login page


def test_labels_print_per_room_or_shelf_with_every_location_inside(app):
    keeper = client_for(app, "police_keeper")
    listing = keeper.get("/storage/locations")
    assert listing.status_code == 200
    assert "R1-B-02" in text(listing)
    labels = keeper.get(f"/storage/locations/{location('R1').id}/labels.pdf")
    assert labels.status_code == 200
    assert labels.mimetype == "application/pdf"
    content = pdf_text(labels.data)
    for code in ("LOC:PDZX:R1", "LOC:PDZX:R1-A-01", "LOC:PDZX:R1-B-02"):
        assert code in content
    assert "LOC:PDZX:R3-A-01" not in content
    assert "02格" in content
    one = pdf_text(keeper.get(f"/storage/locations/{location('R3-A-01').id}/labels.pdf").data)
    assert "LOC:PDZX:R3-A-01" in one
    assert "LOC:PDZX:R3-A-02" not in one
    assert keeper.get("/storage/locations/999999/labels.pdf").status_code == 404
    admin = client_for(app, "admin")
    assert admin.get(f"/storage/locations/{location('R1').id}/labels.pdf").status_code == 200
    assert f"/storage/locations/{location('R1').id}/labels.pdf" in admin.get("/admin/locations").get_data(
        as_text=True
    )


@pytest.mark.parametrize("path", ["/storage/locations", "/storage/locations/1/labels.pdf"])
def test_location_labels_are_for_keepers_and_admins(app, client, path):
    assert client.get(path).status_code == 302  # to the login page
    assert client_for(app, "police_officer").get(path).status_code == 403
