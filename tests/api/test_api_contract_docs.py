"""The OpenAPI document describes what the API really returns (items, their computed objects, audit
events), and says what a file-only stage transfer does."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from custody.domain import clock as app_clock

ITEM_OBJECTS = ("seizure_list", "owner", "measure", "custody", "location", "disposition", "checkout")
ITEM_LISTS = ("freezes", "corrections")

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec["components"]["schemas"][name]
    return schema


def problems(spec: dict[str, Any], value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """What in ``value`` the (OpenAPI 3.0) ``schema`` does not allow; [] if it conforms."""
    schema = resolve(spec, schema)
    if "allOf" in schema:
        found = [p for sub in schema["allOf"] for p in problems(spec, value, sub, where)]
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        return found + (problems(spec, value, rest, where) if rest else [])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            tries = [problems(spec, value, sub, where) for sub in schema[key]]
            return [] if any(not t for t in tries) else [p for t in tries for p in t]
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null, but not nullable"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    kind = schema.get("type")
    if kind is None:
        return []
    if not isinstance(value, _TYPES[kind]) or (kind in ("integer", "number") and isinstance(value, bool)):
        return [f"{where}: {value!r} is not {kind}"]
    found: list[str] = []
    if kind == "string" and schema.get("format") == "date-time":
        datetime.fromisoformat(value)
    if kind == "string" and schema.get("format") == "date":
        date.fromisoformat(value)
    if kind == "object":
        properties = schema.get("properties", {})
        found += [f"{where}.{name}: missing" for name in schema.get("required", []) if name not in value]
        if schema.get("additionalProperties") is False:
            found += [f"{where}.{name}: not documented" for name in value if name not in properties]
        for name, sub in properties.items():
            if name in value:
                found += problems(spec, value[name], sub, f"{where}.{name}")
    if kind == "array" and "items" in schema:
        for index, element in enumerate(value):
            found += problems(spec, element, schema["items"], f"{where}[{index}]")
    return found


def response_schema(
    spec: dict[str, Any], path: str, method: str = "get", status: str = "200"
) -> dict[str, Any]:
    return spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").json


def new_case(api, number: str) -> int:
    response = api.post("police_officer", "/cases", {"police_case_no": number, "title": "周某盗窃案"})
    assert response.status_code == 201, response.json
    return response.json["id"]


def new_item(api, case_id: int, **extra: Any) -> int:
    body = {
        "name": "黑色手机",
        "category": "phone",
        "quantity": 1,
        "unit": "部",
        "details": {"imei": "490154203237518"},
        "owner_name": "周某某",
        "owner_id_no": "310115199001011234",
        "owner_contact": "13800000000",
        **extra,
    }
    response = api.post("police_officer", f"/cases/{case_id}/items", body)
    assert response.status_code == 201, response.json
    return response.json["id"]


# -- the document -------------------------------------------------------------------------------


def test_every_computed_item_object_is_documented_with_its_properties(spec):
    item = resolve(spec, response_schema(spec, "/api/v1/items/{item_id}"))
    for name in ITEM_OBJECTS:
        documented = item["properties"][name]
        target = documented["anyOf"][0] if "anyOf" in documented else documented
        assert "$ref" in target, (name, documented)
        schema = resolve(spec, target)
        assert schema["type"] == "object", name
        assert schema["properties"], name
        assert set(schema["required"]) == set(schema["properties"]), name  # every property is always there
    for name in ITEM_LISTS:
        documented = item["properties"][name]
        assert documented["type"] == "array", name
        assert "$ref" in documented["items"], name
    assert item["properties"]["status"]["type"] == "string"
    assert "in_storage" in item["properties"]["status"]["enum"]

    location = resolve(spec, item["properties"]["location"])
    assert set(location["properties"]) == {"state", "storage", "external", "condition", "checked_in_at"}
    assert "in_storage" in location["properties"]["state"]["enum"]
    disposition = resolve(spec, item["properties"]["disposition"])
    assert set(disposition["properties"]) == {"status", "kind"}
    assert disposition["properties"]["kind"]["nullable"] is True
    assert item["properties"]["checkout"]["anyOf"][1]["nullable"] is True


def test_audit_event_actor_and_data_are_documented(spec):
    event = resolve(spec, response_schema(spec, "/api/v1/items/{item_id}/events")["items"])
    actor = resolve(spec, event["properties"]["actor"]["anyOf"][0])
    assert {
        "user_id",
        "username",
        "display_name",
        "agency_id",
        "agency_code",
        "agency_name",
        "agency_kind",
        "roles",
    } <= set(actor["properties"])
    assert actor["additionalProperties"] is True
    assert event["properties"]["actor"]["anyOf"][1]["nullable"] is True
    data = event["properties"]["data"]
    assert data["type"] == "object"
    assert data["additionalProperties"] is True
    assert data["description"]
    assert "success" in event["properties"]["outcome"]["enum"]


# -- real responses conform to it ----------------------------------------------------------------


def test_item_responses_match_the_documented_schema_in_every_state(api, spec):
    item_schema = response_schema(spec, "/api/v1/items/{item_id}")
    events_schema = response_schema(spec, "/api/v1/items/{item_id}/events")
    case_id = new_case(api, "沪公(浦)立字[2026]901号")
    bins = {loc["code"]: loc["id"] for loc in api.get("police_keeper", "/locations").json}

    registered = new_item(api, case_id)
    stored = new_item(
        api, case_id, name="银色笔记本电脑", category="electronics", details={"serial_no": "C02XK0AB"}
    )
    assert (
        api.post(
            "police_keeper",
            f"/items/{stored}/check-in",
            {"location_id": bins["R3-A-01"], "condition": "完好"},
        ).status_code
        == 200
    )
    checkout = api.post(
        "police_officer",
        "/checkouts",
        {
            "item_ids": [stored],
            "purpose": "appraisal",
            "counterparty": "上海市物证鉴定中心",
            "due_at": (app_clock.now() + timedelta(days=1)).isoformat(),
        },
    )
    assert checkout.status_code == 201, checkout.json
    assert api.post("police_approver", f"/checkouts/{checkout.json['id']}/approve").status_code == 200
    assert api.post("police_keeper", f"/checkouts/{checkout.json['id']}/release").status_code == 200

    account = new_item(
        api,
        case_id,
        name="银行账户",
        category="bank_account",
        unit="户",
        measure="frozen",
        details={"bank": "建设银行", "account_no": "6217001234567890123"},
        external_kind="bank",
        external_place="建设银行浦东支行",
    )
    freeze = api.post(
        "police_officer",
        "/freezes",
        {
            "item_id": account,
            "asset_type": "deposit",
            "institution": "建设银行",
            "account_no": "6217001234567890123",
            "amount_fen": 880_000,
            "start_on": (app_clock.now().date() - timedelta(days=10)).isoformat(),
            "notice_doc_no": "冻通9",
        },
    )
    assert freeze.status_code == 201, freeze.json
    correction = api.post(
        "police_officer",
        "/corrections",
        {"item_id": account, "field": "owner_contact", "new_value": "13900000000", "reason": "登记有误"},
    )
    assert correction.status_code == 201, correction.json

    seen = {}
    for item_id in (registered, stored, account):
        for user in ("police_officer", "auditor"):  # the custodian agency, and an auditor
            response = api.get(user, f"/items/{item_id}")
            assert response.status_code == 200, response.json
            assert problems(spec, response.json, item_schema) == [], (item_id, user)
            seen[item_id] = response.json
        events = api.get("police_officer", f"/items/{item_id}/events")
        assert events.status_code == 200
        assert events.json
        assert problems(spec, events.json, events_schema) == []
        assert all(event["actor"]["username"] for event in events.json)

    # The JSON is what it always was (the integration contract names location and disposition).
    assert seen[registered]["location"] == {
        "state": "awaiting_check_in",
        "storage": None,
        "external": None,
        "condition": None,
        "checked_in_at": None,
    }
    assert seen[registered]["disposition"] == {"status": "none", "kind": None}
    assert seen[registered]["custody"] == {"state": "held"}
    assert seen[registered]["checkout"] is None
    assert set(seen[registered]["owner"]) == {"name", "id_no", "contact", "ownership_clear"}
    assert set(seen[registered]["measure"]) == {"kind", "doc_no", "date"}
    assert set(seen[registered]["seizure_list"]) == {"id", "list_no"}
    assert seen[stored]["location"]["storage"]["code"] == "R3-A-01"
    assert seen[stored]["location"]["state"] == "checked_out"
    assert seen[stored]["status"] == "checked_out"
    assert seen[stored]["checkout"]["counterparty"] == "上海市物证鉴定中心"
    assert set(seen[stored]["checkout"]) == {
        "id",
        "checkout_no",
        "purpose",
        "counterparty",
        "released_to",
        "due_at",
        "overdue",
    }
    assert seen[account]["location"]["external"] == {
        "kind": "bank",
        "place": "建设银行浦东支行",
        "contact": None,
    }
    assert seen[account]["freezes"][0]["id"] == freeze.json["id"]
    assert seen[account]["corrections"][0]["id"] == correction.json["id"]


def test_item_lists_match_the_documented_schema(api, spec):
    case_id = new_case(api, "沪公(浦)立字[2026]902号")
    new_item(api, case_id)
    listed = api.get("police_officer", f"/items?case_id={case_id}")
    assert listed.status_code == 200
    assert len(listed.json) == 1
    assert problems(spec, listed.json, response_schema(spec, "/api/v1/items")) == []


# -- file-only stage transfers -------------------------------------------------------------------


def test_the_transfer_proposal_documents_an_empty_item_list(spec):
    description = spec["paths"]["/api/v1/transfers"]["post"]["description"]
    assert "``item_ids`` (``[]``)" in description
    assert "case file alone" in description
    assert "prosecution" in description
    assert "indictment" in description
    assert "stay in the sender's custody" in description
    assert "``other``" in description


def test_a_file_only_transfer_leaves_the_senders_items_with_the_sender(api):
    agencies = {a["kind"]: a["id"] for a in api.get("judge", "/agencies").json}
    case_id = new_case(api, "沪公(浦)立字[2026]903号")
    item_id = new_item(api, case_id)
    police = api.get("police_officer", f"/items/{item_id}").json["custodian_agency"]["id"]

    transfer = api.post(
        "police_officer",
        "/transfers",
        {
            "case_id": case_id,
            "to_agency_id": agencies["procuratorate"],
            "kind": "prosecution",
            "item_ids": [],
        },
    )
    assert transfer.status_code == 201
    assert transfer.json["lines"] == []
    accepted = api.post(
        "prosecutor", f"/transfers/{transfer.json['id']}/accept", {"item_ids": [], "case_no": "检-903"}
    )
    assert accepted.status_code == 200, accepted.json
    assert api.get("prosecutor", f"/cases/{case_id}").json["stage"] == "prosecution_review"
    item = api.get("police_officer", f"/items/{item_id}").json
    assert item["custodian_agency"]["id"] == police
    assert item["custody"] == {"state": "held"}

    # An empty "other" transfer is refused: it exists only to move items.
    empty_other = api.post(
        "police_officer",
        "/transfers",
        {"case_id": case_id, "to_agency_id": agencies["procuratorate"], "kind": "other", "item_ids": []},
    )
    assert empty_other.status_code == 422
    assert "item_ids" in empty_other.json["errors"]
