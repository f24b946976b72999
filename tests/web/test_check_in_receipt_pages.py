"""入库交接单 on the pages (issue 18): the batch result links the hand-over record, printed with the
移交人 and 接收人 signature lines; each item's history links it too; other agencies get a 404."""

from __future__ import annotations

from custody.extensions import db
from custody.models.item import Item

from ..factories import location, open_case, register
from ..helpers import events, fresh
from .ui import client_for, pdf_text, post, text


def _checked_in_batch(app):
    case = open_case()
    first, second = register(case, name="黑色双肩包"), register(case, name="白色手机")
    keeper = client_for(app, "police_keeper")
    response = post(
        keeper,
        "/storage/check-in",
        {
            "location_id": location("R1-B-02").id,
            "codes_text": f"{first.label_code}\n{second.label_code}",
            "handed_over_by": "王建国",
            "condition": "封存完好",
        },
    )
    assert response.status_code == 302, text(response)[:800]
    receipt_no = events("item.check_in", item_id=first.id)[0].data["receipt_no"]
    return keeper, response, receipt_no, first, second


def test_the_batch_result_links_the_hand_over_record_with_both_signature_lines(app):
    keeper, response, receipt_no, first, second = _checked_in_batch(app)
    assert f"receipt={receipt_no}" in response.location
    page = keeper.get(response.location)
    assert f"/storage/check-ins/{receipt_no}.pdf" in page.get_data(as_text=True)
    assert receipt_no in text(page)
    printed = keeper.get(f"/storage/check-ins/{receipt_no}.pdf")
    assert printed.status_code == 200
    assert printed.mimetype == "application/pdf"
    content = pdf_text(printed.data)
    for expected in ("涉案财物入库交接单", receipt_no, "移交人", "接收人", "王建国", "R1-B-02" and "02格"):
        assert expected in content, expected
    assert first.label_code in content
    assert second.label_code in content
    assert "IMEI490154203237518" in content
    assert "封存完好" in content
    assert "共2项" in content
    exported = events("export")[-1]
    assert exported.data["document"] == "check_in_receipt"
    assert exported.data["receipt_no"] == receipt_no


def test_each_items_history_links_its_hand_over_record(app):
    keeper, _response, receipt_no, first, _second = _checked_in_batch(app)
    page = keeper.get(f"/items/{first.id}")
    assert f"/storage/check-ins/{receipt_no}.pdf" in page.get_data(as_text=True)
    assert "王建国" in text(page)
    fresh()
    assert db.session.get(Item, first.id).storage_location.code == "R1-B-02"


def test_another_agency_and_unknown_numbers_get_a_404_and_anonymous_users_the_login_page(app, client):
    _keeper, _response, receipt_no, _first, _second = _checked_in_batch(app)
    assert client_for(app, "court_keeper").get(f"/storage/check-ins/{receipt_no}.pdf").status_code == 404
    assert (
        client_for(app, "police_keeper").get("/storage/check-ins/RK-PDGA-2026-99999.pdf").status_code == 404
    )
    assert client.get(f"/storage/check-ins/{receipt_no}.pdf").status_code == 302
    # a stale or foreign ?receipt= on the check-in page is simply not shown
    court = client_for(app, "court_keeper").get(f"/storage/check-in?receipt={receipt_no}")
    assert court.status_code == 200
    assert "receipt-ready" not in court.get_data(as_text=True)
