"""The oversight pages: inbox alerts, dashboard, stocktake scanning, discrepancies, spot checks,
ledger export, statistics charts and case milestones."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from custody.domain import clock as app_clock
from custody.domain.enums import CaseStage
from custody.extensions import db
from custody.models.case import Case
from custody.models.oversight import SpotCheck, Stocktake, StocktakeDiscrepancy

from ..conftest import csrf_token
from ..factories import location, open_case, register, stored_items
from ..helpers import events, fresh


def test_inbox_shows_the_most_urgent_alerts(client, login_as):
    case = open_case()
    late = register(case, seized_at=app_clock.now() - timedelta(hours=30))
    login_as("police_keeper")
    html = client.get("/").get_data(as_text=True)
    assert 'id="queue-deadlines"' in html
    assert late.label_code in html
    alerts = client.get("/oversight/alerts?overdue=1").get_data(as_text=True)
    assert late.label_code in alerts
    assert 'data-rule="into_storage"' in alerts


def test_admin_inbox_has_no_deadline_box(client, login_as):
    login_as("admin")
    assert 'id="queue-deadlines"' not in client.get("/").get_data(as_text=True)


def test_dashboard_is_for_supervisors(client, login_as):
    register(open_case(), seized_at=app_clock.now() - timedelta(hours=30))
    login_as("police_officer")
    assert client.get("/oversight/").status_code == 403
    assert client.get("/oversight/alerts").status_code == 200


def test_dashboard_for_the_auditor(client, login_as):
    register(open_case(), seized_at=app_clock.now() - timedelta(hours=30))
    login_as("auditor")
    html = client.get("/oversight/?rule=into_storage").get_data(as_text=True)
    assert 'data-rule="into_storage"' in html
    assert "badge-bad" in html


def test_stocktake_through_the_pages(client, login_as):
    case, stored = stored_items(2)  # R1-A-01, R1-A-02
    login_as("police_keeper")
    token = csrf_token(client, "/oversight/stocktakes")
    started = client.post(
        "/oversight/stocktakes", data={"location_id": location("R1-A").id, "note": "", "csrf_token": token}
    )
    assert started.status_code == 302
    fresh()
    record = db.session.query(Stocktake).one()
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "data-scan-target" in page
    assert "/static/js/stocktake.js" in page
    assert stored[0].label_code in page
    token = csrf_token(client, f"/oversight/stocktakes/{record.id}")
    # The page's own form (no JavaScript) ...
    by_form = client.post(
        f"/oversight/stocktakes/{record.id}/scan",
        data={"label_code": stored[0].label_code, "location_id": location("R1-A-01").id, "csrf_token": token},
    )
    assert by_form.status_code == 302
    assert "at=" in by_form.headers["Location"]
    # ... and stocktake.js's fetch, answered in JSON.
    by_script = client.post(
        f"/oversight/stocktakes/{record.id}/scan",
        headers={"Accept": "application/json"},
        data={"label_code": "UNKNOWN-LABEL", "location_id": "", "csrf_token": token},
    )
    assert by_script.status_code == 200
    assert by_script.json["result"] == "unexpected"
    assert by_script.json["discrepancy"]
    assert by_script.json["counts"]["verified"] == 1
    assert by_script.json["counts"]["unexpected"] == 1
    empty = client.post(
        f"/oversight/stocktakes/{record.id}/scan",
        headers={"Accept": "application/json"},
        data={"label_code": "", "csrf_token": token},
    )
    assert empty.status_code == 422
    assert not empty.json["ok"]
    no_csrf = client.post(f"/oversight/stocktakes/{record.id}/scan", data={"label_code": "X"})
    assert no_csrf.status_code == 400
    finished = client.post(f"/oversight/stocktakes/{record.id}/finish", data={"finish-csrf_token": token})
    assert finished.status_code == 302
    fresh()
    assert record.status.value == "finished"
    report = client.get(f"/oversight/stocktakes/{record.id}/report.pdf")
    assert report.status_code == 200
    assert report.data.startswith(b"%PDF")
    sheet = load_workbook(io.BytesIO(client.get(f"/oversight/stocktakes/{record.id}/report.xlsx").data))[
        "明细"
    ]
    assert sheet.max_row == 4  # header + verified + missing + unexpected
    assert client.get(f"/oversight/stocktakes/{record.id}/report.doc").status_code == 404

    # An approver resolves the missing item from the discrepancy list.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as("police_approver")
    listing = client.get("/oversight/discrepancies").get_data(as_text=True)
    assert stored[1].label_code in listing
    fresh()
    missing = db.session.query(StocktakeDiscrepancy).filter_by(item_id=stored[1].id).one()
    token = csrf_token(client, "/oversight/discrepancies")
    resolved = client.post(
        f"/oversight/discrepancies/{missing.id}/resolve",
        data={"reason": "物品已找到，放错格位", "csrf_token": token},
    )
    assert resolved.status_code == 302
    fresh()
    assert missing.status.value == "resolved"


def test_stocktake_script_is_served_locally(client):
    response = client.get("/static/js/stocktake.js")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert "custody:scan" in body
    assert "<script" not in body


def test_spot_check_pages(client, login_as):
    stored_items(3)
    login_as("auditor")
    token = csrf_token(client, "/oversight/spot-checks")
    drawn = client.post(
        "/oversight/spot-checks",
        data={"size": 2, "custodian_agency_id": "", "category": "", "location_id": "", "csrf_token": token},
    )
    assert drawn.status_code == 302, drawn.get_data(as_text=True)[:2000]
    fresh()
    check = db.session.query(SpotCheck).one()
    page = client.get(drawn.headers["Location"]).get_data(as_text=True)
    assert check.seed in page
    assert check.candidates_sha256 in page
    verified = client.get(f"/oversight/spot-checks/{check.id}?verify=1").get_data(as_text=True)
    assert "flash-success" in verified
    line = check.items[0]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(line.inspector.username)
    token = csrf_token(client, f"/oversight/spot-checks/{check.id}")
    recorded = client.post(
        f"/oversight/spot-checks/{check.id}",
        data={"item_id": line.item_id, "result": "conforming", "finding": "", "csrf_token": token},
    )
    assert recorded.status_code == 302
    fresh()
    assert line.result.value == "conforming"


def test_ledger_page_and_export(client, login_as):
    stored_items(2)
    login_as("police_keeper")
    assert client.get("/oversight/ledger").status_code == 200
    export = client.get("/oversight/ledger/export?format=csv&scope=centre&status=in_storage", buffered=True)
    assert export.status_code == 200
    assert export.mimetype == "text/csv"
    text = export.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("标签号,")
    assert len(text.splitlines()) == 3
    assert client.get("/oversight/ledger/export?format=xlsx", buffered=True).status_code == 200
    assert [e.data["format"] for e in events("export")] == ["csv", "xlsx"]
    assert client.get("/oversight/ledger/export?status=bogus").status_code == 422


def test_ledger_is_refused_to_officers(client, login_as):
    login_as("police_officer")
    assert client.get("/oversight/ledger").status_code == 403
    assert client.get("/oversight/ledger/export?format=csv", buffered=True).status_code == 403
    assert events("export") == []


def test_statistics_page_draws_svg_without_external_resources(client, login_as):
    stored_items(2)
    login_as("police_approver")
    html = client.get("/oversight/statistics").get_data(as_text=True)
    assert html.count("<svg") >= 6
    assert "<rect" in html
    for found in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert found.startswith("/") or found.startswith("#"), found


def test_case_milestones_page(client, login_as):
    case, stored = stored_items(1)
    login_as("police_officer")
    page = client.get(f"/oversight/cases/{case.id}").get_data(as_text=True)
    assert "close-legal_basis" in page
    assert "judgment-judgment_no" not in page
    token = csrf_token(client, f"/oversight/cases/{case.id}")
    refused = client.post(
        f"/oversight/cases/{case.id}",
        data={"close-legal_basis": "", "close-reason": "x", "close-submit": "1", "close-csrf_token": token},
    )
    assert refused.status_code == 422
    closed = client.post(
        f"/oversight/cases/{case.id}",
        data={
            "close-legal_basis": "沪公(浦)撤字[2026]2号",
            "close-reason": "撤销案件",
            "close-submit": "1",
            "close-csrf_token": token,
        },
    )
    assert closed.status_code == 302
    fresh()
    assert db.session.get(Case, case.id).stage is CaseStage.CLOSED
    assert events("case.close")


@pytest.mark.parametrize(
    "path",
    [
        "/oversight/",
        "/oversight/stocktakes",
        "/oversight/statistics",
        "/oversight/ledger",
        "/oversight/discrepancies",
    ],
)
def test_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "path", ["/oversight/", "/oversight/stocktakes", "/oversight/spot-checks/1", "/oversight/cases/1"]
)
def test_anonymous_users_are_sent_to_the_login_page_but_the_lookup_is_public(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    assert client.get("/lookup").status_code == 200
