"""The 入库交接单 through the API (issue 18): ``POST /api/v1/check-ins`` answers the batch's receipt;
``GET /api/v1/check-in-receipts/<no>`` for the receiving agency only."""

from __future__ import annotations

from .builders import _setup


def test_a_batch_answers_its_receipt_and_the_receipt_reads_back(api, client):
    _car, phone, bins = _setup(api)
    done = api.post(
        "police_keeper",
        "/check-ins",
        {"label_codes": [phone["label_code"]], "location_id": bins["R3-A-01"], "handed_over_by": "王建国"},
    )
    assert done.status_code == 200, done.json
    receipt = done.json
    assert receipt["receipt_no"].startswith("RK-PDGA-")
    assert receipt["handed_over_by"] == "王建国"
    assert receipt["location"]["code"] == "R3-A-01"
    assert receipt["received_by"]
    assert [row["label_code"] for row in receipt["items"]] == [phone["label_code"]]
    assert receipt["pdf_url"] == f"/storage/check-ins/{receipt['receipt_no']}.pdf"
    read = api.get("police_officer", f"/check-in-receipts/{receipt['receipt_no']}")
    assert read.status_code == 200
    assert read.json == receipt
    hidden = api.get("court_keeper", f"/check-in-receipts/{receipt['receipt_no']}")
    assert hidden.status_code == 404
    assert hidden.json["code"] == "not_found.receipt"
    assert client.get(f"/api/v1/check-in-receipts/{receipt['receipt_no']}").status_code == 401
    too_long = api.post(
        "police_keeper",
        "/check-ins",
        {"label_codes": [phone["label_code"]], "location_id": bins["R3-A-01"], "handed_over_by": "王" * 65},
    )
    assert too_long.status_code == 422
    assert "handed_over_by" in too_long.json["errors"]
