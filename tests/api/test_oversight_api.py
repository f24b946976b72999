"""Oversight through the JSON API: alerts, milestones, stocktakes, spot checks, ledger, statistics."""

from __future__ import annotations

import contextvars
import csv
import io
import json
from datetime import timedelta

from flask.testing import FlaskClient
from openpyxl import load_workbook

from custody.domain import clock as app_clock
from custody.domain.enums import EventCategory
from custody.extensions import db

from ..factories import location, open_case, register, stored_items
from ..helpers import events


def test_alerts_filtered_and_paginated(app, api):
    case = open_case()
    for hours in (30, 28, 20):
        register(case, seized_at=app_clock.now() - timedelta(hours=hours))
    response = api.get("police_keeper", "/alerts?page_size=2")
    assert response.status_code == 200
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    first = response.json
    assert [a["state"] for a in first] == ["overdue", "overdue"]
    assert first[0]["due_at"] < first[1]["due_at"]
    alert = first[0]
    assert alert["rule"] == "into_storage"
    assert alert["roles"] == ["keeper", "officer"]
    assert alert["source"].startswith("[LAW]")
    assert alert["case_ref"] == case.police_case_no
    assert alert["labels"]
    assert alert["agency_id"]
    assert alert["key"].startswith("into_storage:")
    assert len(api.get("police_keeper", "/alerts?overdue=false").json) == 1
    assert api.get("police_keeper", "/alerts?rule=freeze_expiry").json == []
    assert api.get("police_keeper", "/alerts?rule=nonsense").status_code == 422
    assert api.get("prosecutor", "/alerts").json == []
    summary = api.get("auditor", "/alerts/summary").json
    assert summary["into_storage"] == {"overdue": 2, "approaching": 1}


def test_milestones(app, api):
    case, stored = stored_items(1)
    refused = api.post("police_keeper", f"/cases/{case.id}/close", {"legal_basis": "x", "reason": "y"})
    assert refused.status_code == 403
    assert refused.json["code"] == "policy.close_case"
    closed = api.post(
        "police_officer",
        f"/cases/{case.id}/close",
        {"legal_basis": "沪公(浦)撤字[2026]1号", "reason": "撤销案件"},
    )
    assert closed.status_code == 201
    assert closed.json["previous_stage"] == "investigation"
    judgment = api.post(
        "judge", f"/cases/{case.id}/judgment", {"judgment_no": "J", "effective_on": "2026-01-01"}
    )
    assert judgment.status_code == 404  # the court never saw this case
    other = open_case()
    item = register(other, name="与案件无关的手机")
    finding = api.post(
        "police_officer",
        f"/items/{item.id}/unrelated",
        {"found_on": app_clock.now().date().isoformat(), "reason": "系他人合法财产"},
    )
    assert finding.status_code == 201, finding.json
    notice = api.post(
        "police_officer",
        "/public-notices",
        {"item_ids": [item.id], "published_on": app_clock.now().date().isoformat(), "medium": "分局门户网站"},
    )
    assert notice.status_code == 201
    assert notice.json["item_ids"] == [item.id]
    assert [n["notice_no"] for n in api.get("police_officer", "/public-notices").json] == [
        notice.json["notice_no"]
    ]
    assert api.get("judge", "/public-notices").json == []
    # The services of a judgment are read only on a case the reader sees.
    assert api.get("judge", f"/cases/{case.id}/services").status_code == 404
    assert api.get("police_officer", f"/cases/{case.id}/services").json == []


def test_stocktake_over_the_api(app, api):
    case, stored = stored_items(2)  # R1-A-01, R1-A-02
    started = api.post("police_keeper", "/stocktakes", {"location_id": location("R1-A").id})
    assert started.status_code == 201, started.json
    stocktake_id = started.json["id"]
    assert started.json["counts"]["pending"] == 2
    assert api.post("police_officer", "/stocktakes", {"location_id": location("R1").id}).status_code == 403
    scan = api.post(
        "police_keeper",
        f"/stocktakes/{stocktake_id}/scans",
        {"label_code": stored[0].label_code, "location_id": location("R1-A-01").id},
    )
    assert scan.status_code == 201
    assert scan.json["result"] == "verified"
    unknown = api.post("court_keeper", f"/stocktakes/{stocktake_id}/scans", {"label_code": "NOPE-1"})
    assert unknown.json["result"] == "unexpected"
    assert unknown.json["item_id"] is None
    finished = api.post("police_keeper", f"/stocktakes/{stocktake_id}/finish")
    assert finished.status_code == 200
    assert finished.json["status"] == "finished"
    assert finished.json["counts"]["missing"] == 1
    assert finished.json["counts"]["unexpected"] == 1
    lines = api.get("police_keeper", f"/stocktakes/{stocktake_id}/lines").json
    assert {line["result"] for line in lines} == {"verified", "missing", "unexpected"}
    discrepancies = api.get("police_approver", "/discrepancies?status=open").json
    assert {d["kind"] for d in discrepancies} == {"missing", "unexpected"}
    missing = next(d for d in discrepancies if d["kind"] == "missing")
    assert api.post("police_approver", f"/discrepancies/{missing['id']}/resolve", {}).status_code == 422
    resolved = api.post(
        "police_approver", f"/discrepancies/{missing['id']}/resolve", {"reason": "已找回，放错格位"}
    )
    assert resolved.status_code == 200
    assert resolved.json["status"] == "resolved"
    pdf = api.get("police_keeper", f"/stocktakes/{stocktake_id}/report?format=pdf")
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")
    assert pdf.mimetype == "application/pdf"
    xlsx = api.get("auditor", f"/stocktakes/{stocktake_id}/report?format=xlsx")
    assert xlsx.status_code == 200
    assert load_workbook(io.BytesIO(xlsx.data))["明细"].max_row == 4
    assert api.get("police_officer", f"/stocktakes/{stocktake_id}").status_code == 403
    # Who took the report, in which format, is on the security record.
    taken = events("export", object_type="stocktake", object_id=str(stocktake_id))
    assert [(e.actor["username"], e.data["format"]) for e in taken] == [
        ("police_keeper", "pdf"),
        ("auditor", "xlsx"),
    ]
    assert api.get("police_officer", f"/stocktakes/{stocktake_id}/report?format=pdf").status_code == 403
    assert len(events("export", object_type="stocktake")) == 2  # a refused download is no export


def test_spot_check_over_the_api(app, api):
    stored_items(3)
    drawn = api.post("auditor", "/spot-checks", {"size": 2, "scope": {"category": "goods"}})
    assert drawn.status_code == 201, drawn.json
    body = drawn.json
    assert len(body["items"]) == 2
    assert body["candidate_count"] == 3
    assert len(body["seed"]) == 32
    assert (
        api.post("auditor", "/spot-checks", {"size": 2, "seed": "00"}).status_code == 422
    )  # no chosen seeds
    assert api.post("police_approver", "/spot-checks", {"size": 1}).status_code == 403
    verify = api.get("auditor", f"/spot-checks/{body['id']}/verify").json
    assert verify == {
        "candidates_match": True,
        "pool_match": True,
        "sample_match": True,
        "candidate_count_now": 3,
    }
    line = body["items"][0]
    inspector = line["inspector"]["username"]
    assert api.get(inspector, f"/spot-checks/{body['id']}").status_code == 200
    result = api.post(
        inspector,
        f"/spot-checks/{body['id']}/items/{line['item_id']}/result",
        {"result": "nonconforming", "finding": "封条破损"},
    )
    assert result.status_code == 200
    assert result.json["result"] == "nonconforming"
    assert api.get("police_officer", f"/spot-checks/{body['id']}").status_code == 404


def test_ledger_streams_csv_and_xlsx_and_records_the_export(app, client, api, auth_headers):
    stored_items(3)
    headers = auth_headers("police_keeper")

    def streamed() -> tuple[object, list[bytes]]:
        # Unbuffered, and consumed in the request's own context (as a WSGI server does).
        response = FlaskClient.open(
            client, "/api/v1/ledger?format=csv&scope=agency", headers=headers, buffered=False
        )
        chunks = list(response.response)
        response.close()
        return response, chunks

    response, chunks = contextvars.Context().run(streamed)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    assert response.headers["X-Row-Count"] == "3"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert rows[0][0] == "标签号"
    assert len(rows) == 4
    xlsx = api.get("auditor", "/ledger?format=xlsx&category=goods")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data))["台账"]
    assert sheet.max_row == 4
    assert sheet["A1"].value == "标签号"
    exports = events("export")
    assert [(e.category, e.data["format"], e.data["rows"]) for e in exports] == [
        (EventCategory.SECURITY, "csv", 3),
        (EventCategory.SECURITY, "xlsx", 3),
    ]
    assert api.get("police_officer", "/ledger").status_code == 403
    assert api.get("police_keeper", "/ledger?format=pdf").status_code == 422
    db.session.commit()


def test_statistics_api(app, api):
    stored_items(2)
    stats = api.get("police_approver", "/statistics")
    assert stats.status_code == 200
    assert stats.json["total"]["count"] == 2
    assert {b["key"]: b["count"] for b in stats.json["by_status"]}["in_storage"] == 2
    assert stats.json["seizure_to_storage_hours"]["count"] == 2
    assert set(stats.json["stage_days"]) == {"investigation", "prosecution_review", "trial", "execution"}
    assert api.get("police_officer", "/statistics").status_code == 403


def test_statistics_are_as_of_their_generated_at_within_the_configured_age(app, api, clock):
    case, _stored = stored_items(2)
    app.config["CUSTODY_STATISTICS_MAX_AGE_SECONDS"] = 300
    first = api.get("police_approver", "/statistics").json
    register(case, "新扣押的箱子")
    clock.advance(timedelta(minutes=1))
    again = api.get("police_approver", "/statistics").json
    assert again["total"]["count"] == 2
    assert again["generated_at"] == first["generated_at"]
    assert api.get("auditor", "/statistics").json["total"]["count"] == 3
    clock.advance(timedelta(minutes=5))
    assert api.get("police_approver", "/statistics").json["total"]["count"] == 3
