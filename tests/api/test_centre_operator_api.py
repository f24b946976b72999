"""The centre's operator through the API: administrators name it (others are refused), its keepers then
check in other agencies' items, recorded as acting for the custodian."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from custody.domain import clock as app_clock
from custody.domain.enums import AgencyKind, Role
from custody.extensions import db
from custody.models.agency import CustodyCentre, StorageLocation
from custody.services import accounts

from ..conftest import TEST_PASSWORD, bearer


def _operator_with_keeper():
    operator = accounts.create_agency(
        db.session, None, code="ZXYY", name="中心运营公司", kind=AgencyKind.CENTRE_OPERATOR
    )
    accounts.create_user(
        db.session,
        None,
        username="operator_keeper",
        display_name="中心保管员",
        agency_id=operator.id,
        roles=[Role.KEEPER],
        password=TEST_PASSWORD,
    )
    db.session.commit()
    return operator.id


def test_the_administrator_names_the_centres_operator_whose_keeper_checks_in_for_the_police(
    client, auth_headers, api
):
    operator_id = _operator_with_keeper()
    centre_id = db.session.scalar(select(CustodyCentre.id).where(CustodyCentre.code == "PDZX"))
    bin_id = db.session.scalar(select(StorageLocation.id).where(StorageLocation.code == "R1-A-01"))

    refused = client.patch(
        f"/api/v1/centres/{centre_id}",
        json={"operator_agency_id": operator_id},
        headers=auth_headers("police_keeper"),
    )
    assert refused.status_code == 403
    assert refused.json["code"] == "policy.manage_reference_data"
    unknown = client.patch(
        f"/api/v1/centres/{centre_id}", json={"operator_agency_id": 987654}, headers=auth_headers("admin")
    )
    assert unknown.status_code == 422
    assert unknown.json["code"] == "centre.operator_unknown"
    named = client.patch(
        f"/api/v1/centres/{centre_id}",
        json={"operator_agency_id": operator_id},
        headers=auth_headers("admin"),
    )
    assert named.status_code == 200, named.json
    assert named.json["operator_agency_id"] == operator_id
    assert named.json["operator_agency_name"] == "中心运营公司"
    listed = client.get("/api/v1/centres", headers=auth_headers("judge")).json
    assert [c["operator_agency_id"] for c in listed if c["id"] == centre_id] == [operator_id]

    case = api.post(
        "police_officer",
        "/cases",
        {
            "police_case_no": "沪公(浦)立字[2026]9301号",
            "title": "盗窃案",
            # Filed the day before: the phone below was seized an hour ago, which just after
            # midnight is still the day before (a seizure may not precede the filing).
            "filed_on": (app_clock.today() - timedelta(days=1)).isoformat(),
        },
    ).json
    phone = api.post(
        "police_officer",
        f"/cases/{case['id']}/items",
        {
            "name": "手机",
            "category": "phone",
            "quantity": "1",
            "unit": "部",
            "seized_at": (app_clock.now() - timedelta(hours=1)).isoformat(),
            "details": {"imei": "490154203237518"},
        },
    ).json
    keeper = bearer(client, "operator_keeper")
    stored = client.post(
        f"/api/v1/items/{phone['id']}/check-in", json={"location_id": bin_id}, headers=keeper
    )
    assert stored.status_code == 200, stored.json
    assert stored.json["custodian_agency"]["code"] == "PDGA"  # legal custody stays with the police
    history = client.get(f"/api/v1/items/{phone['id']}/events", headers=auth_headers("police_officer"))
    assert history.status_code == 200, history.json
    check_in = [e for e in history.json if e["action"] == "item.check_in"][-1]
    assert check_in["actor"]["acting_for"]["agency_code"] == "PDGA"

    # A transfer to the operator is refused: it is never a party to custody.
    transfer = api.post(
        "police_officer",
        "/transfers",
        {"case_id": case["id"], "to_agency_id": operator_id, "kind": "other", "item_ids": [phone["id"]]},
    )
    assert transfer.status_code == 422
    assert transfer.json["code"] == "transfer.operator_not_party"

    cleared = client.patch(
        f"/api/v1/centres/{centre_id}", json={"operator_agency_id": None}, headers=auth_headers("admin")
    )
    assert cleared.status_code == 200
    assert cleared.json["operator_agency_id"] is None
