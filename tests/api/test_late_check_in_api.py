"""A late police check-in through the API (issue 18): ``late_reason`` is required after the 24 hours
(422 ``check_in.late_reason``), on the batch and on a single check-in, and recorded in the event."""

from __future__ import annotations

from datetime import timedelta

from custody.domain import clock as app_clock
from custody.models.audit import AuditEvent
from custody.models.item import Item

from ..helpers import row_counts
from .builders import PHONE


def _late_phone(api, number: str):
    case_id = api.post(
        "police_officer",
        "/cases",
        {
            "police_case_no": f"沪公(浦)立字[2026]{number}号",
            "title": "迟送案",
            "filed_on": (app_clock.today() - timedelta(days=3)).isoformat(),
        },
    ).json["id"]
    seized = (app_clock.now() - timedelta(hours=30)).isoformat()
    phone = api.post("police_officer", f"/cases/{case_id}/items", {**PHONE, "seized_at": seized})
    assert phone.status_code == 201, phone.json
    bins = {loc["code"]: loc["id"] for loc in api.get("police_keeper", "/locations").json}
    return phone.json, bins["R3-A-01"]


def test_a_late_batch_needs_a_late_reason(api):
    phone, bin_id = _late_phone(api, "701")
    before = row_counts(Item, AuditEvent)
    body = {"label_codes": [phone["label_code"]], "location_id": bin_id}
    refused = api.post("police_keeper", "/check-ins", body)
    assert refused.status_code == 422, refused.json
    assert refused.json["code"] == "check_in.late_reason", refused.json
    assert "late_reason" in refused.json["errors"]
    assert phone["label_code"] in refused.json["detail"]
    assert row_counts(Item, AuditEvent) == before
    done = api.post("police_keeper", "/check-ins", {**body, "late_reason": "夜间扣押，次日移交"})
    assert done.status_code == 200, done.json
    events = api.get("police_officer", f"/items/{phone['id']}/events").json
    check_in = next(e for e in events if e["action"] == "item.check_in")
    assert check_in["data"]["late_reason"] == "夜间扣押，次日移交"


def test_a_late_single_check_in_needs_a_late_reason(api):
    phone, bin_id = _late_phone(api, "702")
    refused = api.post("police_keeper", f"/items/{phone['id']}/check-in", {"location_id": bin_id})
    assert refused.status_code == 422
    assert refused.json["code"] == "check_in.late_reason"
    too_long = api.post(
        "police_keeper", f"/items/{phone['id']}/check-in", {"location_id": bin_id, "late_reason": "迟" * 401}
    )
    assert too_long.status_code == 422
    assert "late_reason" in too_long.json["errors"]
    done = api.post(
        "police_keeper", f"/items/{phone['id']}/check-in", {"location_id": bin_id, "late_reason": "路途较远"}
    )
    assert done.status_code == 200, done.json
