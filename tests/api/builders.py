"""Builders shared by the API tests: cases and items in the states the endpoints act on."""

from __future__ import annotations

from datetime import timedelta

from custody.domain import clock as app_clock

CAR = {
    "name": "黑色大众轿车",
    "category": "vehicle",
    "quantity": 1,
    "unit": "辆",
    "details": {"plate": "沪A54321"},
    "measure": "seized",
    "measure_doc_no": "沪公(浦)扣字[2026]601号",
    "external_kind": "impound_lot",
    "external_place": "浦东新区川沙扣押车辆停放场",
}


PHONE = {**CAR, "name": "手机", "category": "phone", "unit": "部", "details": {"imei": "490154203237518"}}


def _setup(api):
    case_id = api.post(
        "police_officer", "/cases", {"police_case_no": "沪公(浦)立字[2026]601号", "title": "王某盗窃案"}
    ).json["id"]
    car = api.post("police_officer", f"/cases/{case_id}/items", CAR)
    phone = api.post("police_officer", f"/cases/{case_id}/items", PHONE)
    assert car.status_code == phone.status_code == 201, (car.json, phone.json)
    bins = {loc["code"]: loc["id"] for loc in api.get("police_keeper", "/locations").json}
    return car.json, phone.json, bins


def stored_item(api, **extra):
    case = api.post(
        "police_officer",
        "/cases",
        {"police_case_no": f"API-{app_clock.now().timestamp()}", "title": "王某诈骗案"},
    )
    body = {
        "name": "黑色手机",
        "category": "phone",
        "quantity": 1,
        "unit": "部",
        "details": {"imei": "490154203237518"},
        **extra,
    }
    item = api.post("police_officer", f"/cases/{case.json['id']}/items", body).json
    bins = {loc["code"]: loc["id"] for loc in api.get("police_keeper", "/locations").json}
    api.post("police_keeper", f"/items/{item['id']}/check-in", {"location_id": bins["R3-A-01"]})
    return case.json["id"], item["id"]


def due(hours=24):
    return (app_clock.now() + timedelta(hours=hours)).isoformat()
