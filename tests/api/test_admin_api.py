"""Users, agencies and locations through the API: role checks, validation, no partial writes."""

from __future__ import annotations

import pytest

from custody.models.agency import Agency, StorageLocation
from custody.models.user import User

from ..conftest import csrf_token, login
from ..helpers import events, row_counts

NEW_USER = {
    "username": "new_officer",
    "display_name": "钱多多",
    "roles": ["officer"],
    "password": "Strong-pass-9",
}


def agency_id(client, headers, kind):
    return next(a["id"] for a in client.get("/api/v1/agencies", headers=headers).json if a["kind"] == kind)


def test_agencies_and_locations_are_readable_by_any_user(client, auth_headers):
    headers = auth_headers("judge")
    agencies = client.get("/api/v1/agencies", headers=headers).json
    assert [(a["name"], a["kind"]) for a in agencies] == [
        ("浦东公安分局", "police"),
        ("浦东新区人民检察院", "procuratorate"),
        ("浦东新区人民法院", "court"),
    ]
    assert set(agencies[0]) >= {"id", "name", "kind"}
    courts = client.get("/api/v1/agencies?kind=court", headers=headers).json
    assert [a["kind"] for a in courts] == ["court"]
    locations = client.get("/api/v1/locations", headers=headers).json
    bin_ = next(loc for loc in locations if loc["code"] == "R1-A-01")
    assert bin_["path"] == "浦东新区涉案财物管理中心 › 一号库房（一般物品） › A架 › 01格"
    assert set(bin_) >= {"id", "name", "path"}
    assert client.get("/api/v1/agencies?kind=army", headers=headers).status_code == 422


@pytest.mark.parametrize("username", ["police_officer", "prosecutor_approver", "court_keeper", "auditor"])
def test_non_admins_cannot_manage_users(client, auth_headers, username):
    headers = auth_headers(username)
    before = row_counts(User)
    payload = {**NEW_USER, "agency_id": agency_id(client, headers, "police")}
    response = client.post("/api/v1/users", json=payload, headers=headers)
    assert response.status_code == 403
    assert response.json["code"] == "policy.manage_users"
    assert client.get("/api/v1/users", headers=headers).status_code == 403
    assert row_counts(User) == before
    denied = events("permission.denied")
    assert denied
    assert denied[-1].actor["username"] == username


def test_admin_creates_edits_and_disables_a_user(client, auth_headers):
    headers = auth_headers("admin")
    police = agency_id(client, headers, "police")
    created = client.post("/api/v1/users", json={**NEW_USER, "agency_id": police}, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["roles"] == ["officer"]
    assert "password" not in created.json
    user_id = created.json["id"]
    patched = client.patch(
        f"/api/v1/users/{user_id}",
        json={"roles": ["officer", "approver"], "is_active": False},
        headers=headers,
    )
    assert patched.status_code == 200
    assert patched.json["roles"] == ["approver", "officer"]
    assert patched.json["is_active"] is False
    change = events("user.update")[-1]
    assert change.data["before"]["is_active"] is True
    assert change.data["after"]["is_active"] is False
    assert "Strong-pass-9" not in str([e.data for e in events()])


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"password": "short"}, 422, "password"),
        ({"password": "password123"}, 422, "password"),
        ({"password": "new_officer"}, 422, "password"),
        ({"roles": ["admin", "officer"]}, 422, "roles"),
        ({"roles": ["auditor", "keeper"]}, 422, "roles"),
        ({"roles": []}, 422, "roles"),
        ({"roles": ["chief"]}, 422, "roles"),
        ({"username": "Bad Name!"}, 422, "username"),
        ({"agency_id": 9999}, 404, None),
        ({"agency_id": "one"}, 422, "agency_id"),
    ],
)
def test_user_creation_refusals_change_nothing(client, auth_headers, change, status, field):
    headers = auth_headers("admin")
    before = row_counts(User)
    payload = {**NEW_USER, "agency_id": agency_id(client, headers, "police"), **change}
    response = client.post("/api/v1/users", json=payload, headers=headers)
    assert response.status_code == status, response.json
    if field:
        assert field in response.json["errors"]
    assert row_counts(User) == before


def test_duplicate_username_is_a_conflict(client, auth_headers):
    headers = auth_headers("admin")
    payload = {**NEW_USER, "username": "judge", "agency_id": agency_id(client, headers, "court")}
    response = client.post("/api/v1/users", json=payload, headers=headers)
    assert response.status_code == 409
    assert response.json["code"] == "user.duplicate"


def test_admin_resets_password_which_unlocks_and_ends_sessions(client, auth_headers):
    headers = auth_headers("admin")
    keeper_headers = auth_headers("police_keeper")
    users = client.get("/api/v1/users", headers=headers).json
    keeper = next(u for u in users if u["username"] == "police_keeper")
    weak = client.post(
        f"/api/v1/users/{keeper['id']}/password", json={"password": "12345678"}, headers=headers
    )
    assert weak.status_code == 422
    ok = client.post(
        f"/api/v1/users/{keeper['id']}/password", json={"password": "Another-pass-7"}, headers=headers
    )
    assert ok.status_code == 204
    assert client.get("/api/v1/me", headers=keeper_headers).status_code == 401
    # The administrator chose it: the keeper must replace it before getting a token.
    keeper_login = {"username": "police_keeper", "password": "Another-pass-7"}
    refused = client.post("/api/v1/tokens", json=keeper_login)
    assert refused.status_code == 403
    assert refused.json["code"] == "auth.password_change_required"
    changed = client.post(
        "/api/v1/account/password", json={**keeper_login, "new_password": "Keeper-chose-this-2027"}
    )
    assert changed.status_code == 204
    assert client.post("/api/v1/tokens", json=keeper_login).status_code == 401
    assert (
        client.post("/api/v1/tokens", json={**keeper_login, "password": "Keeper-chose-this-2027"}).status_code
        == 201
    )


def test_agency_and_location_management(client, auth_headers):
    admin = auth_headers("admin")
    created = client.post(
        "/api/v1/agencies", json={"code": "hpga", "name": "黄浦公安分局", "kind": "police"}, headers=admin
    )
    assert created.status_code == 201
    assert created.json["code"] == "HPGA"
    dup = client.post(
        "/api/v1/agencies", json={"code": "HPGA", "name": "另一个", "kind": "police"}, headers=admin
    )
    assert dup.status_code == 409
    officer = auth_headers("police_officer")
    assert (
        client.post(
            "/api/v1/agencies", json={"code": "X1", "name": "某单位", "kind": "court"}, headers=officer
        ).status_code
        == 403
    )
    renamed = client.patch(
        f"/api/v1/agencies/{created.json['id']}", json={"name": "上海市公安局黄浦分局"}, headers=admin
    )
    assert renamed.json["name"] == "上海市公安局黄浦分局"

    locations = client.get("/api/v1/locations", headers=admin).json
    room = next(loc for loc in locations if loc["code"] == "R1")
    shelf = next(loc for loc in locations if loc["code"] == "R1-A")
    before = row_counts(StorageLocation)
    wrong = client.post(
        "/api/v1/locations",
        json={
            "centre_id": room["centre_id"],
            "parent_id": room["id"],
            "kind": "bin",
            "code": "R1-X",
            "name": "错放",
        },
        headers=admin,
    )
    assert wrong.status_code == 422
    assert "parent_id" in wrong.json["errors"]
    assert row_counts(StorageLocation) == before
    added = client.post(
        "/api/v1/locations",
        json={
            "centre_id": room["centre_id"],
            "parent_id": shelf["id"],
            "kind": "bin",
            "code": "r1-a-09",
            "name": "09格",
        },
        headers=admin,
    )
    assert added.status_code == 201
    assert added.json["path"].endswith("A架 › 09格")
    assert added.json["code"] == "R1-A-09"
    assert events("location.create")


def test_cookie_session_api_calls_need_the_csrf_header(client):
    login(client, "admin")
    agency = {"code": "JAGA", "name": "静安公安分局", "kind": "police"}
    before = row_counts(Agency)
    refused = client.post("/api/v1/agencies", json=agency)
    assert refused.status_code == 400
    assert refused.json["code"] == "csrf.invalid"
    assert row_counts(Agency) == before
    token = csrf_token(client, "/")
    accepted = client.post("/api/v1/agencies", json=agency, headers={"X-CSRFToken": token})
    assert accepted.status_code == 201


def test_an_admin_cannot_change_their_own_roles_or_remove_the_last_admin(client, auth_headers):
    """One service rule (``check_account_change``) for API and pages: 409 and nothing changes."""
    from custody.extensions import db

    from ..conftest import get_user

    headers = auth_headers("admin")
    admin = get_user("admin")
    before = events("user.update")
    own = client.patch(f"/api/v1/users/{admin.id}", json={"roles": ["auditor"]}, headers=headers)
    assert own.status_code == 409
    assert own.json["code"] == "user.change_own_roles"
    assert own.mimetype == "application/problem+json"
    assert own.json["errors"]["roles"]
    disable = client.patch(f"/api/v1/users/{admin.id}", json={"is_active": False}, headers=headers)
    assert disable.status_code == 409
    assert disable.json["code"] == "user.disable_self"
    db.session.expire_all()
    assert get_user("admin").roles == {"admin"}
    assert get_user("admin").is_active
    assert events("user.update") == before
    # Renaming oneself with the same roles is allowed.
    same = client.patch(
        f"/api/v1/users/{admin.id}", json={"roles": ["admin"], "display_name": "管理员甲"}, headers=headers
    )
    assert same.status_code == 200
    assert same.json["display_name"] == "管理员甲"
