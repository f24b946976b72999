"""GET /api/v1/cases/{id}/frozen-funds (issue 13): totals, queued freezes, masking, auth and errors."""

from __future__ import annotations

from ..money_helpers import a_case_with_frozen_funds


def test_the_case_frozen_funds_through_the_api(app, api):
    case, held, alipay, released, waiting_item, waiting = a_case_with_frozen_funds()
    url = f"/cases/{case.id}/frozen-funds"
    body = api.get("police_officer", url).json
    assert (body["total_frozen_fen"], body["total_queued_fen"], body["freezes"]) == (1_300_000, 200_000, 4)
    by_item = {a["item_id"]: a for a in body["accounts"]}
    assert by_item[alipay.id]["category"] == "payment_account"
    assert by_item[alipay.id]["frozen_fen"] == 300_000
    [main] = by_item[held.id]["freezes"]
    assert main["status"] == "active"
    assert len(main["renewals"]) == 1
    assert main["account_no"] == "6222021001120000001"  # the holding agency sees it in full
    [queued] = by_item[waiting_item.id]["freezes"]
    assert (queued["status"], queued["queue_position"]) == ("queued", 2)
    assert by_item[released.id]["freezes"][0]["status"] == "released"
    auditor = api.get("auditor", url)
    assert auditor.status_code == 200
    assert auditor.json["total_frozen_fen"] == 1_300_000


def test_frozen_funds_need_a_login_and_a_visible_case(app, api, client):
    case, *_ = a_case_with_frozen_funds()
    assert client.get(f"/api/v1/cases/{case.id}/frozen-funds").status_code == 401
    hidden = api.get("court_keeper", f"/cases/{case.id}/frozen-funds")
    assert hidden.status_code == 404
    assert hidden.headers["Content-Type"].startswith("application/problem+json")
    assert api.get("police_officer", "/cases/999999/frozen-funds").status_code == 404
