"""Check-in through the API: an item kept outside the centre is never checked in as a side effect;
a scanned batch goes in whole or is refused line by line before anything is written."""

from __future__ import annotations

import pytest

from custody.models.audit import AuditEvent
from custody.models.item import Item

from ..helpers import row_counts
from .builders import PHONE, _setup

del PHONE["external_kind"], PHONE["external_place"]


def test_plain_check_in_refuses_an_item_at_the_impound_lot(api):
    car, _phone, bins = _setup(api)
    before = row_counts(Item, AuditEvent)
    refused = api.post("police_keeper", f"/items/{car['id']}/check-in", {"location_id": bins["R3-A-01"]})
    assert refused.status_code == 409, refused.json
    assert refused.json["code"] == "item.kept_outside", refused.json
    assert row_counts(Item, AuditEvent) == before
    no_reason = api.post(
        "police_keeper", f"/items/{car['id']}/check-in", {"location_id": bins["Y1-A-01"], "bring_in": True}
    )
    assert no_reason.status_code == 422
    assert "reason" in no_reason.json["errors"]
    shelf = api.post(
        "police_keeper",
        f"/items/{car['id']}/check-in",
        {"location_id": bins["R3-A-01"], "bring_in": True, "reason": "停车场租约到期"},
    )
    assert shelf.status_code == 409
    assert shelf.json["code"] == "location.cannot_hold"
    brought = api.post(
        "police_keeper",
        f"/items/{car['id']}/check-in",
        {"location_id": bins["Y1-A-01"], "bring_in": True, "reason": "停车场租约到期"},
    )
    assert brought.status_code == 200
    assert brought.json["location"]["state"] == "in_storage"


def test_batch_check_in_names_each_refused_line_and_writes_nothing(api):
    car, phone, bins = _setup(api)
    before = row_counts(Item, AuditEvent)
    refused = api.post(
        "police_keeper",
        "/check-ins",
        {"label_codes": [phone["label_code"], car["label_code"]], "location_id": bins["R3-A-01"]},
    )
    assert refused.status_code == 409, refused.json
    assert refused.json["code"] == "check_in.refused", refused.json
    assert refused.json["lines"] == [
        {
            "line": 2,
            "label_code": car["label_code"],
            "item_id": car["id"],
            "code": "item.kept_outside",
            "message": refused.json["lines"][0]["message"],
        }
    ]
    assert "外" in refused.json["lines"][0]["message"]  # in the request's language (Chinese by default)
    assert row_counts(Item, AuditEvent) == before
    done = api.post(
        "police_keeper", "/check-ins", {"label_codes": [phone["label_code"]], "location_id": bins["R3-A-01"]}
    )
    assert done.status_code == 200
    assert [row["id"] for row in done.json["items"]] == [phone["id"]]
    assert done.json["receipt_no"].startswith("RK-PDGA-")
    assert (
        api.post("police_officer", "/check-ins", {"label_codes": ["X"], "location_id": 1}).status_code == 403
    )


def test_the_answer_after_the_commit_does_not_take_the_write_lock_again(api, app):
    """On SQLite a writing request takes the write lock with its first statement (BEGIN IMMEDIATE);
    what its answer reads after the commit (the item's seizure list, attachments, corrections) is
    read in an ordinary transaction, so other writers do not queue behind the serialisation."""
    from sqlalchemy import event

    from custody.extensions import db

    _car, phone, bins = _setup(api)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL takes row locks as it writes: there is no database-wide write lock")
    begins: list[str] = []

    def collect(conn, cursor, statement, *args) -> None:
        if statement.startswith("BEGIN"):
            begins.append(statement)

    event.listen(engine, "before_cursor_execute", collect)
    try:
        done = api.post("police_keeper", f"/items/{phone['id']}/check-in", {"location_id": bins["R3-A-01"]})
    finally:
        event.remove(engine, "before_cursor_execute", collect)
    assert done.status_code == 200, done.json
    assert done.json["seizure_list"]["id"] == phone["seizure_list"]["id"]
    assert done.json["location"]["state"] == "in_storage"
    assert begins == ["BEGIN IMMEDIATE", "BEGIN"]
