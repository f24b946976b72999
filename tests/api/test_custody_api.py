"""The custody core through the JSON API: the journey, auth, and every error path leaving data intact."""

from __future__ import annotations

import json

import pytest

from custody.models.audit import AuditEvent
from custody.models.case import Case
from custody.models.item import Item
from custody.models.transfer import Transfer, TransferLine

from ..factories import png_bytes
from ..helpers import row_counts

CUSTODY_TABLES = (Case, Item, Transfer, TransferLine, AuditEvent)


def ids_by_code(client, headers, path):
    return {row["code"]: row["id"] for row in client.get(path, headers=headers).json}


def new_case(api, number="沪公(浦)立字[2026]501号"):
    response = api.post("police_officer", "/cases", {"police_case_no": number, "title": "李某某盗窃案"})
    assert response.status_code == 201, response.json
    return response.json["id"]


ITEM = {
    "name": "黑色苹果手机",
    "category": "phone",
    "quantity": 1,
    "unit": "部",
    "details": {"imei": "490154203237518"},
    "measure": "seized",
    "measure_doc_no": "沪公(浦)扣字[2026]501号",
    "owner_name": "李某某",
    "owner_id_no": "310115199001011234",
    "estimated_value_fen": 450000,
}


def test_journey_police_to_procuratorate_to_court(client, api, auth_headers):
    agencies = {a["kind"]: a["id"] for a in api.get("judge", "/agencies").json}
    bins = {loc["code"]: loc["id"] for loc in api.get("police_keeper", "/locations").json}
    case_id = new_case(api)

    # Police register three items.
    registered = []
    for name, category, extra in [
        ("黑色苹果手机", "phone", {"details": {"imei": "490154203237518"}}),
        (
            "现金",
            "cash",
            {
                "details": {"amount_fen": 2_000_000, "denominations": {"10000": 200}},
                "unit": "元",
                "quantity": 20000,
            },
        ),
        ("银色笔记本电脑", "electronics", {"details": {"serial_no": "C02XK0ABJGH5"}}),
    ]:
        body = {**ITEM, "name": name, "category": category, **extra}
        response = api.post("police_officer", f"/cases/{case_id}/items", body)
        assert response.status_code == 201, response.json
        assert response.json["label_code"].startswith("PDGA-")
        registered.append(response.json)
    phone, cash, laptop = (r["id"] for r in registered)

    # The keeper stores them.
    for item_id, code in ((phone, "R3-A-01"), (cash, "R2-S1-01"), (laptop, "R3-A-02")):
        stored = api.post(
            "police_keeper", f"/items/{item_id}/check-in", {"location_id": bins[code], "condition": "完好"}
        )
        assert stored.status_code == 200, stored.json
        assert stored.json["location"]["state"] == "in_storage"
        assert stored.json["location"]["storage"]["code"] == code

    # Transfer to the procuratorate: two lines accepted, one rejected.
    proposed = api.post(
        "police_officer",
        "/transfers",
        {
            "case_id": case_id,
            "to_agency_id": agencies["procuratorate"],
            "kind": "prosecution",
            "item_ids": [phone, cash, laptop],
            "lines": [{"item_id": cash, "proposed_disposition": "confiscate"}],
        },
    )
    assert proposed.status_code == 201, proposed.json
    transfer_id = proposed.json["id"]
    assert [line["decision"] for line in proposed.json["lines"]] == ["pending"] * 3
    incoming = api.get("prosecutor", "/transfers?direction=incoming&status=pending").json
    assert [t["id"] for t in incoming] == [transfer_id]
    accepted = api.post(
        "prosecutor",
        f"/transfers/{transfer_id}/accept",
        {"item_ids": [phone, cash], "case_no": "沪浦检刑诉[2026]88号"},
    )
    assert accepted.status_code == 200
    assert accepted.json["status"] == "partial"
    rejected = api.post(
        "prosecutor", f"/transfers/{transfer_id}/reject", {"item_ids": [laptop], "reason": "序列号与清单不符"}
    )
    assert rejected.json["status"] == "completed"
    case = api.get("prosecutor", f"/cases/{case_id}").json
    assert case["stage"] == "prosecution_review"
    assert case["procuratorate_case_no"] == "沪浦检刑诉[2026]88号"
    assert (
        case["items_summary"]["by_custodian"][0]["count"] + case["items_summary"]["by_custodian"][1]["count"]
        == 3
    )
    assert api.get("prosecutor", f"/items/{laptop}").json["custodian_agency"]["kind"] == "police"
    assert api.get("police_officer", f"/items?flagged=true&case_id={case_id}").json[0]["id"] == laptop

    # Transfer of the accepted ones to the court, signed for.
    to_court = api.post(
        "prosecutor",
        "/transfers",
        {
            "case_id": case_id,
            "to_agency_id": agencies["court"],
            "kind": "indictment",
            "item_ids": [phone, cash],
        },
    )
    assert to_court.status_code == 201, to_court.json
    signed = api.post(
        "judge",
        f"/transfers/{to_court.json['id']}/accept",
        {"item_ids": [phone, cash], "case_no": "(2026)沪0115刑初501号"},
    )
    assert signed.status_code == 200
    assert signed.json["status"] == "completed"

    # Custodian right at the end, and each history reads as a complete story.
    for item_id, kind in ((phone, "court"), (cash, "court"), (laptop, "police")):
        item = api.get("auditor", f"/items/{item_id}").json
        assert item["custodian_agency"]["kind"] == kind
        assert item["location"]["state"] == "in_storage"
        assert item["disposition"]["status"] == "none"
    story = api.get("judge", f"/items/{phone}/events").json
    assert [e["action"] for e in story] == [
        "item.register",
        "item.check_in",
        "transfer.propose",
        "transfer.accept",
        "transfer.propose",
        "transfer.accept",
    ]
    assert [e["seq"] for e in story] == [1, 2, 3, 4, 5, 6]
    assert [e["actor"]["agency_kind"] for e in story] == [
        "police",
        "police",
        "police",
        "procuratorate",
        "procuratorate",
        "court",
    ]
    custodians = [e["data"].get("after", {}).get("custodian_agency_id") for e in story]
    assert custodians[3] == agencies["procuratorate"]
    assert custodians[5] == agencies["court"]
    assert all(story[i]["prev_hash"] == story[i - 1]["hash"] for i in range(1, len(story)))
    laptop_story = [e["action"] for e in api.get("police_officer", f"/items/{laptop}/events").json]
    assert laptop_story[-1] == "transfer.reject"
    final = api.get("judge", f"/cases/{case_id}").json
    assert final["stage"] == "trial"
    assert final["court_case_no"] == "(2026)沪0115刑初501号"


def test_item_detail_shows_personal_ids_only_to_custodian_and_auditors(api):
    case_id = new_case(api)
    item_id = api.post("police_officer", f"/cases/{case_id}/items", ITEM).json["id"]
    assert api.get("police_keeper", f"/items/{item_id}").json["owner"]["id_no"] == "310115199001011234"
    assert api.get("auditor", f"/items/{item_id}").json["owner"]["id_no"] == "310115199001011234"
    listed = api.get("police_officer", f"/items?case_id={case_id}").json[0]
    assert listed["owner_name"] == "李*某"
    assert "owner" not in listed
    assert api.get("prosecutor", f"/items/{item_id}").status_code == 404


def test_lists_are_paginated(api, client, auth_headers):
    case_id = new_case(api)
    for n in range(5):
        api.post("police_officer", f"/cases/{case_id}/items", {**ITEM, "name": f"手机{n}"})
    response = client.get("/api/v1/items?page=2&page_size=2&sort=id", headers=auth_headers("police_officer"))
    assert [i["name"] for i in response.json] == ["手机2", "手机3"]
    pagination = json.loads(response.headers["X-Pagination"])
    assert pagination["total"] == 5
    assert pagination["total_pages"] == 3
    assert pagination["total_exact"] is True


def test_a_long_list_says_more_than_the_count_limit(app, api, client, auth_headers):
    """Past CUSTODY_LIST_COUNT_LIMIT rows the total is a lower bound; the next page is still named,
    and a page past the limit counts far enough to know what follows it."""
    case_id = new_case(api)
    for n in range(7):
        api.post("police_officer", f"/cases/{case_id}/items", {**ITEM, "name": f"手机{n}"})
    app.config["CUSTODY_LIST_COUNT_LIMIT"] = 3
    headers = auth_headers("police_officer")

    def page(number: int) -> tuple[list[str], dict]:
        answer = client.get(f"/api/v1/items?page={number}&page_size=2&sort=id", headers=headers)
        assert answer.status_code == 200
        return [i["name"] for i in answer.json], json.loads(answer.headers["X-Pagination"])

    names, first = page(1)
    assert names == ["手机0", "手机1"]
    assert first["total"] == 3
    assert first["total_exact"] is False
    assert first["next_page"] == 2
    assert "total_pages" not in first
    assert "last_page" not in first
    names, third = page(3)  # rows 5-6: counted to the page's end (6), and there is a 7th
    assert names == ["手机4", "手机5"]
    assert third["total"] == 6
    assert third["total_exact"] is False
    assert third["next_page"] == 4
    names, last = page(4)
    assert names == ["手机6"]
    assert last == {**last, "total": 7, "total_exact": True, "total_pages": 4, "last_page": 4}
    assert "next_page" not in last
    app.config["CUSTODY_LIST_COUNT_LIMIT"] = 0  # exact, however long
    assert page(1)[1]["total"] == 7
    assert page(1)[1]["total_exact"] is True


def test_requests_without_credentials_are_401(client):
    for method, path in [
        ("get", "/api/v1/cases"),
        ("post", "/api/v1/cases"),
        ("get", "/api/v1/items"),
        ("get", "/api/v1/items/1/events"),
        ("post", "/api/v1/transfers"),
        ("post", "/api/v1/transfers/1/accept"),
    ]:
        response = getattr(client, method)(path, json={})
        assert response.status_code == 401, path
        assert response.json["code"] == "auth.required"


@pytest.mark.parametrize(
    ("user", "path", "body", "status", "field"),
    [
        ("police_officer", "/cases", {"police_case_no": 12, "title": "x"}, 422, "police_case_no"),
        ("police_officer", "/cases", {"title": "x"}, 422, "police_case_no"),
        ("prosecutor", "/cases", {"police_case_no": "A1", "title": "x"}, 403, None),
        ("police_officer", "/cases/{case}/items", {**ITEM, "quantity": "lots"}, 422, "quantity"),
        ("police_officer", "/cases/{case}/items", {**ITEM, "category": "spaceship"}, 422, "category"),
        (
            "police_officer",
            "/cases/{case}/items",
            {**ITEM, "estimated_value_fen": 12.5},
            422,
            "estimated_value_fen",
        ),
        ("police_officer", "/cases/{case}/items", {**ITEM, "details": {"imei": "1"}}, 422, "details.imei"),
        ("police_officer", "/cases/{case}/items", {**ITEM, "secret": 1}, 422, "secret"),
        ("police_officer", "/cases/99999/items", ITEM, 404, None),
        ("judge", "/cases/{case}/items", ITEM, 404, None),
        ("police_keeper", "/cases/{case}/items", ITEM, 403, None),
        ("police_keeper", "/items/{item}/check-in", {"location_id": "R1"}, 422, "location_id"),
        ("police_keeper", "/items/{item}/check-in", {"location_id": 99999}, 404, None),
        ("police_officer", "/items/{item}/check-in", {"location_id": "{bin}"}, 403, None),
        ("procuratorate_keeper", "/items/{item}/check-in", {"location_id": "{bin}"}, 404, None),
        (
            "police_officer",
            "/transfers",
            {"case_id": "{case}", "to_agency_id": "{court}", "kind": "prosecution", "item_ids": ["{item}"]},
            422,
            "to_agency_id",
        ),
        (
            "police_officer",
            "/transfers",
            {
                "case_id": "{case}",
                "to_agency_id": "{procuratorate}",
                "kind": "prosecution",
                "item_ids": ["{item}"],
            },
            409,
            None,
        ),  # not yet received into storage
        ("police_officer", "/transfers", {"case_id": "{case}", "kind": "prosecution"}, 422, "to_agency_id"),
    ],
)
def test_bad_input_gets_a_clear_4xx_and_changes_nothing(api, user, path, body, status, field):
    case_id = new_case(api)
    item_id = api.post("police_officer", f"/cases/{case_id}/items", ITEM).json["id"]
    refs = {
        "case": case_id,
        "item": item_id,
        "bin": {loc["code"]: loc["id"] for loc in api.get("police_keeper", "/locations").json}["R1-A-01"],
        **{kind: a["id"] for a in api.get("police_officer", "/agencies").json for kind in [a["kind"]]},
    }

    def fill(value):
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return refs[value[1:-1]]
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    api.get(user, "/me")  # issue the user's token (itself an audited event) before counting
    before = row_counts(*CUSTODY_TABLES)
    response = api.post(user, path.format(**refs), {k: fill(v) for k, v in body.items()})
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["detail"]
    if field:
        assert field in response.json["errors"], response.json
    after = row_counts(*CUSTODY_TABLES)
    if status == 403:  # the refusal itself is recorded as a security event, nothing else changes
        after["audit_event"] -= 1
    assert after == before


def test_deciding_a_decided_line_is_409_and_changes_nothing(api):
    agencies = {a["kind"]: a["id"] for a in api.get("judge", "/agencies").json}
    bins = {loc["code"]: loc["id"] for loc in api.get("police_keeper", "/locations").json}
    case_id = new_case(api)
    item_id = api.post("police_officer", f"/cases/{case_id}/items", ITEM).json["id"]
    api.post("police_keeper", f"/items/{item_id}/check-in", {"location_id": bins["R1-A-01"]})
    transfer = api.post(
        "police_officer",
        "/transfers",
        {
            "case_id": case_id,
            "to_agency_id": agencies["procuratorate"],
            "kind": "prosecution",
            "item_ids": [item_id],
        },
    ).json
    assert (
        api.post(
            "prosecutor",
            f"/transfers/{transfer['id']}/accept",
            {"item_ids": [item_id], "case_no": "浦检[2026]3号"},
        ).status_code
        == 200
    )
    before = row_counts(*CUSTODY_TABLES)
    again = api.post(
        "prosecutor", f"/transfers/{transfer['id']}/reject", {"item_ids": [item_id], "reason": "x"}
    )
    assert again.status_code == 409
    assert again.json["code"] == "transfer.line_decided"
    recall = api.post("police_officer", f"/transfers/{transfer['id']}/recall")
    assert recall.status_code == 409
    no_reason = api.post(
        "prosecutor", f"/transfers/{transfer['id']}/reject", {"item_ids": [item_id], "reason": ""}
    )
    assert no_reason.status_code == 422
    assert (
        api.post("judge", f"/transfers/{transfer['id']}/accept", {"item_ids": [item_id]}).status_code == 404
    )
    assert row_counts(*CUSTODY_TABLES) == before


def test_attachment_upload_and_download(api, client, auth_headers):
    import io

    case_id = new_case(api)
    item_id = api.post("police_officer", f"/cases/{case_id}/items", ITEM).json["id"]
    png = png_bytes()
    headers = auth_headers("police_officer")
    uploaded = client.post(
        f"/api/v1/items/{item_id}/attachments",
        headers=headers,
        data={"file": (io.BytesIO(png), "扣押现场.png", "image/png"), "kind": "photo"},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.json
    content = client.get(f"/api/v1/attachments/{uploaded.json['id']}/content", headers=headers)
    assert content.data == png
    assert content.headers["X-Content-SHA256"] == uploaded.json["sha256"]
    # One home for downloads (custody/downloads.stored_file_response): the page sends the same headers.
    assert content.headers["Content-Disposition"] == "inline"
    assert content.headers["ETag"] == f'"{uploaded.json["sha256"]}"'
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get(
        f"/api/v1/attachments/{uploaded.json['id']}/content",
        headers={**headers, "If-None-Match": content.headers["ETag"]},
    )
    assert again.status_code == 304
    fake = client.post(
        f"/api/v1/items/{item_id}/attachments",
        headers=headers,
        data={"file": (io.BytesIO(b"MZ\x90\x00 not an image"), "x.png", "image/png")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422
    assert "file" in fake.json["errors"]
    missing = client.post(
        f"/api/v1/items/{item_id}/attachments", headers=headers, data={}, content_type="multipart/form-data"
    )
    assert missing.status_code == 422


def test_openapi_documents_the_fixed_paths(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in [
        "/api/v1/agencies",
        "/api/v1/locations",
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/items",
        "/api/v1/items",
        "/api/v1/items/{item_id}",
        "/api/v1/items/{item_id}/events",
        "/api/v1/items/{item_id}/check-in",
        "/api/v1/transfers",
        "/api/v1/transfers/{transfer_id}/accept",
        "/api/v1/transfers/{transfer_id}/reject",
        "/api/v1/transfers/{transfer_id}/recall",
    ]:
        assert path in spec["paths"], path


def test_a_duplicate_procuratorate_case_number_is_409_and_changes_nothing(api):
    agencies = {a["kind"]: a["id"] for a in api.get("judge", "/agencies").json}
    first, second = new_case(api, "沪公(浦)立字[2026]601号"), new_case(api, "沪公(浦)立字[2026]602号")
    pending = {
        case_id: api.post(
            "police_officer",
            "/transfers",
            {
                "case_id": case_id,
                "to_agency_id": agencies["procuratorate"],
                "kind": "prosecution",
                "item_ids": [],
            },
        ).json["id"]
        for case_id in (first, second)
    }
    assert (
        api.post(
            "prosecutor", f"/transfers/{pending[first]}/accept", {"item_ids": [], "case_no": "检-1795690062"}
        ).status_code
        == 200
    )
    before = row_counts(*CUSTODY_TABLES)
    duplicate = api.post(
        "prosecutor", f"/transfers/{pending[second]}/accept", {"item_ids": [], "case_no": "检-1795690062"}
    )
    assert duplicate.status_code == 409
    assert duplicate.json["code"] == "case.duplicate"
    assert "case_no" in duplicate.json["errors"]
    assert row_counts(*CUSTODY_TABLES) == before
    assert api.get("auditor", f"/cases/{second}").json["procuratorate_case_no"] is None
    assert api.get("prosecutor", f"/cases/{second}").status_code == 404  # a refused sign-for shows nothing
