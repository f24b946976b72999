"""Issue 12 "Done when", end to end through the API: a procuratorate-opened case from registration to
court; an unrelated phone returned to its owner within the 3-day clock before any judgment; contraband
handed over before judgment; a court freeze of deposits for one year accepted."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from custody.domain import clock as app_clock
from custody.extensions import db
from custody.models.agency import Agency, StorageLocation

from ..conftest import otp_for
from ..factories import png_bytes

PNG = png_bytes()


def _id(model, code):
    column = model.code
    return db.session.scalar(select(model.id).where(column == code))


def _photo(api, user, item_id):
    response = api.post(
        user, f"/items/{item_id}/attachments", data={"file": (io.BytesIO(PNG), "photo.png", "image/png")}
    )
    assert response.status_code == 201, response.json


def _alerts(api, user, rule):
    return [a for a in api.get(user, "/alerts", query_string={"rule": rule}).json]


def test_legal_fidelity_journey_through_the_api(api):
    today = app_clock.today()
    filed = (today - timedelta(days=2)).isoformat()
    seized = (app_clock.now() - timedelta(hours=2)).isoformat()

    # 1. The procuratorate opens its own case (自侦), registers and stores an item, concludes the
    #    investigation, reviews it for prosecution and sends it to court.
    case = api.post(
        "prosecutor",
        "/cases",
        {
            "origin": "procuratorate_investigation",
            "case_no": "浦检刑侦[2026]7号",
            "title": "某滥用职权案",
            "filed_on": filed,
        },
    )
    assert case.status_code == 201, case.json
    case = case.json
    assert case["stage"] == "investigation"
    assert case["origin"] == "procuratorate_investigation"
    assert case["police_case_no"] is None
    assert case["procuratorate_case_no"] == "浦检刑侦[2026]7号"
    police_try = api.post(
        "police_officer", "/cases", {"origin": "procuratorate_investigation", "case_no": "x", "title": "x"}
    )
    assert police_try.status_code == 403
    assert police_try.json["code"] == "case.wrong_origin"
    ledger = api.post(
        "prosecutor",
        f"/cases/{case['id']}/items",
        {
            "name": "账册",
            "category": "documents",
            "quantity": "1",
            "unit": "本",
            "seized_at": seized,
            "measure_doc_no": "浦检扣[2026]1号",
        },
    )
    assert ledger.status_code == 201, ledger.json
    stored = api.post(
        "procuratorate_keeper",
        f"/items/{ledger.json['id']}/check-in",
        {"location_id": _id(StorageLocation, "R1-A-01")},
    )
    assert stored.status_code == 200, stored.json
    advanced = api.post("prosecutor", f"/cases/{case['id']}/advance", {"doc_no": "侦查终结报告[2026]1号"})
    assert advanced.status_code == 201
    assert advanced.json["kind"] == "stage_advance"
    assert api.get("prosecutor", f"/cases/{case['id']}").json["stage"] == "prosecution_review"
    indictment = api.post(
        "prosecutor",
        "/transfers",
        {
            "case_id": case["id"],
            "to_agency_id": _id(Agency, "PDFY"),
            "kind": "indictment",
            "item_ids": [ledger.json["id"]],
        },
    )
    assert indictment.status_code == 201, indictment.json
    signed = api.post(
        "judge",
        f"/transfers/{indictment.json['id']}/accept",
        {"item_ids": [ledger.json["id"]], "case_no": "(2026)沪0115刑初9号"},
    )
    assert signed.status_code == 200, signed.json
    at_court = api.get("judge", f"/cases/{case['id']}").json
    assert at_court["stage"] == "trial"
    assert at_court["court_case_no"] == "(2026)沪0115刑初9号"

    # 2. A police case: a phone found unrelated is returned to its owner before any judgment, within
    #    the 3-day clock, which then clears.
    police_case = api.post(
        "police_officer",
        "/cases",
        {"police_case_no": "沪公(浦)立字[2026]7001号", "title": "盗窃案", "filed_on": filed},
    ).json
    phone = api.post(
        "police_officer",
        f"/cases/{police_case['id']}/items",
        {
            "name": "手机",
            "category": "phone",
            "quantity": "1",
            "unit": "部",
            "seized_at": seized,
            "owner_name": "李四",
            "owner_id_no": "310115199001011234",
            "details": {"imei": "490154203237518"},
        },
    ).json
    api.post(
        "police_keeper", f"/items/{phone['id']}/check-in", {"location_id": _id(StorageLocation, "R3-A-01")}
    )
    found = api.post(
        "police_officer",
        f"/items/{phone['id']}/unrelated",
        {"found_on": today.isoformat(), "reason": "系李四本人手机"},
    )
    assert found.status_code == 201, found.json
    returned = api.post(
        "police_officer",
        "/dispositions",
        {
            "item_ids": [phone["id"]],
            "kind": "return_to_owner",
            "ground": "unrelated",
            "notice_ref": "电话通知李四领取",
        },
    )
    assert returned.status_code == 201, returned.json
    assert returned.json["ground"] == "unrelated"
    api.get("police_approver", "/me")  # logged in (its token) before confirming
    confirm = {"X-Custody-Confirm": otp_for("police_approver")}  # approving a disposal: re-authenticate
    assert (
        api.post(
            "police_approver", f"/dispositions/{returned.json['id']}/approve", headers=confirm
        ).status_code
        == 200
    )
    executed = api.post(
        "police_keeper",
        f"/dispositions/{returned.json['id']}/execute",
        {"receipt_no": "发还-1", "recipient": {"name": "李四", "id_no": "310115199001011234"}},
    )
    assert executed.status_code == 200, executed.json
    assert executed.json["status"] == "executed", executed.json
    assert not [a for a in _alerts(api, "auditor", "unrelated_release") if phone["id"] in a["item_ids"]]

    # 3. Contraband not needed as evidence is handed to the competent authority before judgment.
    knife = api.post(
        "police_officer",
        f"/cases/{police_case['id']}/items",
        {"name": "管制刀具", "category": "contraband", "quantity": "1", "unit": "把", "seized_at": seized},
    ).json
    api.post(
        "police_keeper", f"/items/{knife['id']}/check-in", {"location_id": _id(StorageLocation, "R1-A-02")}
    )
    _photo(api, "police_officer", knife["id"])
    refused = api.post("police_officer", "/dispositions", {"item_ids": [knife["id"]], "kind": "hand_over"})
    assert refused.status_code == 409
    assert refused.json["code"] == "disposal.case_not_decided"
    handed = api.post(
        "police_officer",
        "/dispositions",
        {
            "item_ids": [knife["id"]],
            "kind": "hand_over",
            "ground": "contraband",
            "reason": "管制刀具，无需作为证据",
        },
    )
    assert handed.status_code == 201, handed.json
    api.get("police_approver", "/me")  # logged in (its token) before confirming
    confirm = {"X-Custody-Confirm": otp_for("police_approver")}  # approving a disposal: re-authenticate
    assert (
        api.post("police_approver", f"/dispositions/{handed.json['id']}/approve", headers=confirm).status_code
        == 200
    )
    done = api.post(
        "police_keeper", f"/dispositions/{handed.json['id']}/execute", {"receipt_no": "治安支队接收单 7"}
    )
    assert done.status_code == 200
    assert done.json["status"] == "executed"
    assert api.get("police_officer", f"/cases/{police_case['id']}").json["stage"] == "investigation"

    # 4. The court freezes deposits for one year (its own limit), on the case it now tries.
    account = api.post(
        "judge",
        f"/cases/{case['id']}/items",
        {
            "name": "被告人银行存款",
            "category": "bank_account",
            "quantity": "1",
            "unit": "户",
            "measure": "frozen",
            "seized_at": seized,
            "details": {"bank": "建设银行浦东支行", "account_no": "6217001234567890"},
        },
    )
    assert account.status_code == 201, account.json
    frozen = api.post(
        "judge",
        "/freezes",
        {
            "item_id": account.json["id"],
            "asset_type": "deposit",
            "institution": "建设银行浦东支行",
            "account_no": "6217001234567890",
            "amount_fen": 12_000_000,
            "start_on": today.isoformat(),
            "period_months": 12,
            "notice_doc_no": "(2026)沪0115刑初9号协助冻结通知书",
            "approved_by": "院长批准",
            "covers_fruits": True,
        },
    )
    assert frozen.status_code == 201, frozen.json
    assert frozen.json["period_months"] == 12
    assert frozen.json["status"] == "active"
    assert frozen.json["covers_fruits"]
    again = api.post(
        "judge",
        "/freezes",
        {
            "item_id": account.json["id"],
            "asset_type": "deposit",
            "institution": "建设银行浦东支行",
            "account_no": "6217001234567890",
            "amount_fen": 1,
            "start_on": today.isoformat(),
            "notice_doc_no": "again",
        },
    )
    assert again.status_code == 409
    assert again.json["code"] == "freeze.duplicate"
