"""Batch move through the API (issue 18): ``POST /api/v1/moves`` moves every scanned item or none."""

from __future__ import annotations

from custody.models.audit import AuditEvent
from custody.models.item import Item

from ..helpers import row_counts
from .builders import _setup


def test_a_batch_move_moves_all_or_names_each_refused_line(api, client):
    car, phone, bins = _setup(api)
    assert (
        api.post(
            "police_keeper",
            "/check-ins",
            {"label_codes": [phone["label_code"]], "location_id": bins["R3-A-01"]},
        ).status_code
        == 200
    )
    before = row_counts(Item, AuditEvent)
    refused = api.post(
        "police_keeper",
        "/moves",
        {
            "label_codes": [phone["label_code"], car["label_code"], "PDGA-1999-000000"],
            "location_id": bins["R1-B-02"],
        },
    )
    assert refused.status_code == 409, refused.json
    assert refused.json["code"] == "move.refused", refused.json
    assert [(line["line"], line["code"]) for line in refused.json["lines"]] == [
        (2, "item.not_in_storage"),
        (3, "not_found.item"),
    ]
    assert all(line["message"] for line in refused.json["lines"])
    assert row_counts(Item, AuditEvent) == before
    moved = api.post(
        "police_keeper",
        "/moves",
        {"label_codes": [phone["label_code"].lower()], "location_id": bins["R1-B-02"]},
    )
    assert moved.status_code == 200, moved.json
    assert [item["id"] for item in moved.json] == [phone["id"]]
    events = api.get("police_keeper", f"/items/{phone['id']}/events").json
    assert events[-1]["action"] == "item.move"


def test_a_batch_move_is_for_keepers_and_checks_its_input(api, client):
    _car, phone, bins = _setup(api)
    assert (
        client.post(
            "/api/v1/moves", json={"label_codes": [phone["label_code"]], "location_id": bins["R1-B-02"]}
        ).status_code
        == 401
    )
    officer = api.post(
        "police_officer", "/moves", {"label_codes": [phone["label_code"]], "location_id": bins["R1-B-02"]}
    )
    assert officer.status_code == 403
    assert officer.json["code"] == "policy.move_item"
    empty = api.post("police_keeper", "/moves", {"label_codes": [], "location_id": bins["R1-B-02"]})
    assert empty.status_code == 422
    assert "label_codes" in empty.json["errors"]
    nowhere = api.post(
        "police_keeper", "/moves", {"label_codes": [phone["label_code"]], "location_id": 99999}
    )
    assert nowhere.status_code == 404
    assert nowhere.json["code"] == "not_found.location"
