"""Check-outs, disposals, freezes, corrections and bulk import through the JSON API."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from custody.domain import clock as app_clock
from custody.models.audit import AuditEvent
from custody.models.item import Item
from custody.models.lifecycle import Checkout, Correction, Disposition, FreezeOrder

from ..conftest import TEST_PASSWORD, otp_for
from ..helpers import row_counts
from .builders import due, stored_item

TABLES = (Item, Checkout, Disposition, FreezeOrder, Correction, AuditEvent)


def test_check_out_journey(api):
    _, item_id = stored_item(api)
    created = api.post(
        "police_officer",
        "/checkouts",
        {
            "item_ids": [item_id],
            "purpose": "appraisal",
            "counterparty": "上海市物证鉴定中心",
            "due_at": due(),
        },
    )
    assert created.status_code == 201, created.json
    checkout_id = created.json["id"]
    assert created.json["counterparty"]["name"] == "上海市物证鉴定中心"
    not_yet = api.post("police_keeper", f"/checkouts/{checkout_id}/release")
    assert not_yet.status_code == 409
    assert not_yet.json["code"] == "checkout.not_approved"
    assert api.post("police_officer", f"/checkouts/{checkout_id}/approve").status_code == 403
    assert api.post("police_approver", f"/checkouts/{checkout_id}/approve").json["status"] == "approved"
    stranger = api.post("police_keeper", f"/checkouts/{checkout_id}/release", {"released_to": "张三"})
    assert stranger.status_code == 422
    assert stranger.json["code"] == "checkout.not_registered_recipient"
    assert "released_to" in stranger.json["errors"]
    released = api.post(
        "police_keeper", f"/checkouts/{checkout_id}/release", {"released_to": "上海市 物证鉴定中心"}
    )
    assert released.json["status"] == "released"
    assert released.json["released_to"] == "上海市物证鉴定中心"
    item = api.get("police_officer", f"/items/{item_id}").json
    assert item["location"]["state"] == "checked_out"
    assert item["checkout"]["overdue"] is False
    extended = api.post(
        "police_officer", f"/checkouts/{checkout_id}/extend", {"due_at": due(72), "reason": "需复检"}
    )
    assert extended.json["extensions"][0]["status"] == "requested"
    approved = api.post("police_approver", f"/checkouts/{checkout_id}/extension/approve")
    assert approved.json["extensions"][0]["status"] == "approved"
    assert (
        api.post("police_officer", f"/checkouts/{checkout_id}/return", {"condition": "完好"}).status_code
        == 403
    )
    returned = api.post(
        "police_keeper",
        f"/checkouts/{checkout_id}/return",
        {"condition": "外壳划痕", "discrepancy": {"kind": "damage", "note": "鉴定过程中划伤"}},
    )
    assert returned.status_code == 200, returned.json
    assert returned.json["status"] == "returned"
    assert returned.json["lines"][0]["discrepancy"] == "damage"
    assert api.get("police_officer", f"/items/{item_id}").json["location"]["state"] == "in_storage"
    # Over: not "not released yet".
    again = api.post("police_keeper", f"/checkouts/{checkout_id}/return", {"condition": "完好"})
    longer = api.post(
        "police_officer", f"/checkouts/{checkout_id}/extend", {"due_at": due(96), "reason": "再检"}
    )
    for over in (again, longer):
        assert over.status_code == 409, over.json
        assert over.json["code"] == "checkout.closed", over.json


def test_release_defaults_to_the_registered_person(api):
    _, item_id = stored_item(api)
    checkout_id = api.post(
        "police_officer",
        "/checkouts",
        {"item_ids": [item_id], "purpose": "identification", "counterparty": "赵鉴定", "due_at": due()},
    ).json["id"]
    api.post("police_approver", f"/checkouts/{checkout_id}/approve")
    released = api.post("police_keeper", f"/checkouts/{checkout_id}/release")
    assert released.status_code == 200
    assert released.json["released_to"] == "赵鉴定"


def test_check_out_input_errors_change_nothing(api):
    _, item_id = stored_item(api)
    api.get("police_officer", "/me")
    before = row_counts(*TABLES)
    cases = [
        ({"item_ids": [item_id], "purpose": "fun", "counterparty": "x", "due_at": due()}, 422, "purpose"),
        (
            {"item_ids": [item_id], "purpose": "appraisal", "counterparty": "x", "due_at": due(-2)},
            422,
            "due_at",
        ),
        (
            {"item_ids": [item_id], "purpose": "appraisal", "counterparty": 5, "due_at": due()},
            422,
            "counterparty",
        ),
        ({"item_ids": [], "purpose": "appraisal", "counterparty": "x", "due_at": due()}, 422, "item_ids"),
        ({"item_ids": [999999], "purpose": "appraisal", "counterparty": "x", "due_at": due()}, 404, None),
    ]
    for body, status, field in cases:
        response = api.post("police_officer", "/checkouts", body)
        assert response.status_code == status, (body, response.json)
        if field:
            assert field in response.json["errors"]
    assert row_counts(*TABLES) == before


def test_disposal_journey_and_no_action_after(api):
    case_id, item_id = stored_item(api)
    before = row_counts(*TABLES)
    open_case = api.post(
        "police_officer", "/dispositions", {"item_ids": [item_id], "kind": "destroy", "legal_basis": "x"}
    )
    assert open_case.status_code == 409
    assert open_case.json["code"] == "disposal.case_not_decided"
    assert row_counts(*TABLES) == before
    closed = api.post(
        "police_officer",
        f"/cases/{case_id}/close",
        {"legal_basis": "浦公撤字[2026]3号撤销案件决定书", "reason": "不应追究刑事责任"},
    )
    assert closed.status_code == 201, closed.json
    proposal = api.post("police_officer", "/dispositions", {"item_ids": [item_id], "kind": "destroy"})
    assert proposal.status_code == 201, proposal.json
    assert (
        proposal.json["legal_basis"] == "浦公撤字[2026]3号撤销案件决定书"
    )  # cited from the closing decision
    disposition_id = proposal.json["id"]
    approve = f"/dispositions/{disposition_id}/approve"
    assert api.post("police_approver", approve).status_code == 401  # re-authentication first
    confirm = {"X-Custody-Confirm": otp_for("police_approver")}
    assert api.post("police_approver", approve, headers=confirm).status_code == 200
    in_chain = api.post(
        "police_keeper",
        f"/dispositions/{disposition_id}/execute",
        {"receipt_no": "销毁记录 1", "witness": "police_officer"},
    )
    assert in_chain.status_code == 409
    assert in_chain.json["code"] == "separation.witness_in_chain"
    unconfirmed = api.post(
        "police_keeper",
        f"/dispositions/{disposition_id}/execute",
        {"receipt_no": "销毁记录 1", "witness": "auditor", "witness_password": "wrong"},
    )
    assert unconfirmed.status_code == 422
    assert unconfirmed.json["code"] == "witness.password"
    done = api.post(
        "police_keeper",
        f"/dispositions/{disposition_id}/execute",
        {"receipt_no": "销毁记录 1", "witness": "auditor", "witness_password": TEST_PASSWORD},
    )
    assert done.status_code == 200
    assert done.json["status"] == "executed"
    assert done.json["witness_kind"] == "user"
    item = api.get("auditor", f"/items/{item_id}").json
    assert item["disposition"] == {"status": "executed", "kind": "destroy"}
    assert item["location"]["state"] == "gone"
    after = api.post(
        "police_officer",
        "/checkouts",
        {"item_ids": [item_id], "purpose": "appraisal", "counterparty": "x", "due_at": due()},
    )
    assert after.status_code == 409
    assert after.json["code"] == "item.disposed"
    again = api.post(
        "police_keeper", f"/dispositions/{disposition_id}/execute", {"receipt_no": "x", "witness": "auditor"}
    )
    assert again.status_code == 409


def test_freeze_and_correction_endpoints(api):
    case = api.post("police_officer", "/cases", {"police_case_no": "API-FREEZE-1", "title": "洗钱案"}).json
    account = api.post(
        "police_officer",
        f"/cases/{case['id']}/items",
        {
            "name": "银行账户",
            "category": "bank_account",
            "quantity": 1,
            "unit": "户",
            "measure": "frozen",
            "details": {"bank": "建设银行", "account_no": "6217001234567890123"},
            "external_kind": "bank",
            "external_place": "建设银行浦东支行",
        },
    ).json
    start = (app_clock.now().date() - timedelta(days=170)).isoformat()  # about 5.5 months: renewal is due
    too_long = api.post(
        "police_officer",
        "/freezes",
        {
            "item_id": account["id"],
            "asset_type": "deposit",
            "institution": "建设银行",
            "account_no": "6217001234567890123",
            "amount_fen": 100,
            "start_on": start,
            "period_months": 9,
            "notice_doc_no": "冻通1",
        },
    )
    assert too_long.status_code == 422
    assert "period_months" in too_long.json["errors"]
    expired = api.post(
        "police_officer",
        "/freezes",
        {
            "item_id": account["id"],
            "asset_type": "deposit",
            "institution": "建设银行",
            "account_no": "6217001234567890123",
            "amount_fen": 100,
            "start_on": "2020-01-01",
            "notice_doc_no": "冻通0",
        },
    )
    assert expired.status_code == 422
    assert expired.json["code"] == "freeze.already_expired"
    assert "start_on" in expired.json["errors"]
    assert "2020-06-30" in expired.json["detail"]
    freeze = api.post(
        "police_officer",
        "/freezes",
        {
            "item_id": account["id"],
            "asset_type": "deposit",
            "institution": "建设银行",
            "account_no": "6217001234567890123",
            "amount_fen": 880_000,
            "start_on": start,
            "notice_doc_no": "冻通1",
        },
    )
    assert freeze.status_code == 201
    assert freeze.json["status"] == "active"
    assert freeze.json["period_months"] == 6
    renewed = api.post("police_officer", f"/freezes/{freeze.json['id']}/renew", {"doc_no": "续冻1"})
    assert renewed.status_code == 200
    assert len(renewed.json["renewals"]) == 1
    # 程序规定 240: any time before expiry; each renewal runs on from the previous end.
    stacked = api.post("police_officer", f"/freezes/{freeze.json['id']}/renew", {"doc_no": "续冻2"})
    assert stacked.status_code == 200
    assert len(stacked.json["renewals"]) == 2
    assert api.get("police_officer", f"/items/{account['id']}").json["freezes"][0]["id"] == freeze.json["id"]

    proposed = api.post(
        "police_officer",
        "/corrections",
        {"item_id": account["id"], "field": "name", "new_value": "建设银行账户", "reason": "名称不规范"},
    )
    assert proposed.status_code == 201, proposed.json
    assert api.post("police_officer", f"/corrections/{proposed.json['id']}/approve").status_code == 403
    approved = api.post("police_approver", f"/corrections/{proposed.json['id']}/approve")
    assert approved.json["status"] == "approved"
    item = api.get("police_officer", f"/items/{account['id']}").json
    assert item["name"] == "建设银行账户"
    assert item["corrections"][0]["old_value"] == "银行账户"
    assert item["corrections"][0]["reason"] == "名称不规范"
    bad = api.post(
        "police_officer",
        "/corrections",
        {"item_id": account["id"], "field": "custody_state", "new_value": "x", "reason": "x"},
    )
    assert bad.status_code == 422


def test_bulk_import_and_template(api, client, auth_headers):
    case = api.post(
        "police_officer", "/cases", {"police_case_no": "API-IMPORT-1", "title": "电信诈骗案"}
    ).json
    template = client.get("/api/v1/import-template?format=csv", headers=auth_headers("police_officer"))
    assert template.status_code == 200
    assert template.data.decode("utf-8-sig").startswith("名称,类别,数量,单位")
    xlsx = client.get("/api/v1/import-template", headers=auth_headers("police_officer"))
    assert xlsx.data[:2] == b"PK"
    good = "名称,类别,数量,单位,IMEI\n手机一,手机,1,部,490154203237518\n手机二,手机,1,部,356938035643809\n"
    imported = api.post(
        "police_officer",
        f"/cases/{case['id']}/items/import",
        data={"file": (io.BytesIO(good.encode()), "清单.csv"), "holder_name": "张某"},
    )
    assert imported.status_code == 201, imported.json
    assert imported.json["count"] == 2
    assert imported.json["seizure_list"]["list_no"].startswith("QD-")
    api.get("police_officer", "/me")
    before = row_counts(*TABLES)
    bad = "名称,类别,数量,单位,IMEI\n手机一,手机,1,部,490154203237518\n手机二,手机,0,部,1\n"
    rejected = api.post(
        "police_officer",
        f"/cases/{case['id']}/items/import",
        data={"file": (io.BytesIO(bad.encode()), "清单.csv")},
    )
    assert rejected.status_code == 422
    assert rejected.json["rows"][0]["row"] == 3
    assert set(rejected.json["rows"][0]["errors"]) == {"数量", "IMEI"}
    assert (
        "IMEI 为 15 位数字" in rejected.json["rows"][0]["errors"]["IMEI"][0]
        or "15 digits" in rejected.json["rows"][0]["errors"]["IMEI"][0]
    )
    assert row_counts(*TABLES) == before
    no_file = api.post("police_officer", f"/cases/{case['id']}/items/import", data={})
    assert no_file.status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/checkouts",
        "/dispositions",
        "/freezes",
        "/corrections",
        "/checkouts/1/approve",
        "/dispositions/1/execute",
        "/freezes/1/renew",
    ],
)
def test_lifecycle_endpoints_need_credentials(client, path):
    response = client.post(f"/api/v1{path}", json={})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_a_return_to_owner_needs_an_owner_on_record(api):
    case_id, item_id = stored_item(api)  # registered without an owner
    api.post(
        "police_officer",
        f"/cases/{case_id}/close",
        {"legal_basis": "浦公撤字[2026]8号撤销案件决定书", "reason": "不应追究刑事责任"},
    )
    refused = api.post("police_officer", "/dispositions", {"item_ids": [item_id], "kind": "return_to_owner"})
    assert refused.status_code == 409
    assert refused.json["code"] == "disposal.no_owner"


def test_a_record_says_what_the_requesting_user_may_do_now(api):
    _, item_id = stored_item(api)
    body = {
        "item_ids": [item_id],
        "purpose": "appraisal",
        "counterparty": "上海市物证鉴定中心",
        "due_at": due(),
    }
    checkout_id = api.post("police_officer", "/checkouts", body).json["id"]
    assert api.get("police_officer", f"/checkouts/{checkout_id}").json["actions"] == ["cancel"]
    assert api.get("police_approver", f"/checkouts/{checkout_id}").json["actions"] == ["approve", "reject"]
    approved = api.post("police_approver", f"/checkouts/{checkout_id}/approve")
    assert approved.json["actions"] == []  # the approver's own answer: the keeper releases next
    assert api.get("police_keeper", f"/checkouts/{checkout_id}").json["actions"] == ["release"]
    listed = api.get("police_keeper", "/checkouts").json
    assert next(c for c in listed if c["id"] == checkout_id)["actions"] == ["release"]
