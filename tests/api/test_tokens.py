"""Bearer tokens: issue, use, expire, revoke; JSON problems for every refusal."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from custody.domain import clock as app_clock
from custody.extensions import db
from custody.models.user import ApiToken, User

from ..conftest import TEST_PASSWORD, bearer
from ..helpers import all_event_text, events


def issue(client, username="police_officer", password=TEST_PASSWORD, **extra):
    return client.post("/api/v1/tokens", json={"username": username, "password": password, **extra})


def test_issue_and_use_a_token(client):
    response = issue(client, name="scanner-1", ttl_hours=8)
    assert response.status_code == 201
    body = response.json
    assert body["token"].startswith("ctk_")
    assert body["name"] == "scanner-1"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json["username"] == "police_officer"
    assert me.json["agency"]["kind"] == "police"
    assert me.json["roles"] == ["officer"]
    # The secret is never stored or logged, only its hash and a short prefix.
    assert db.session.scalar(select(ApiToken.secret_hash)) != body["token"]
    assert body["token"] not in all_event_text()
    assert events("token.issue")[0].data["token_prefix"] == body["token"][:12]


def test_no_credentials_is_a_401_problem(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "auth.required"


def test_wrong_password_unknown_user_and_lockout(client):
    assert issue(client, password="wrong-password").status_code == 401
    unknown = issue(client, username="ghost")
    assert unknown.status_code == 401
    assert unknown.json["code"] == "auth.invalid_credentials"
    for _ in range(4):
        issue(client, password="wrong-password")
    locked = issue(client)
    assert locked.status_code == 403
    assert locked.json["code"] == "auth.locked"
    assert len(events("lockout")) == 1


def test_expired_token_is_refused_and_logged(client):
    headers = bearer(client, "police_officer")
    db.session.execute(update(ApiToken).values(expires_at=app_clock.now() - timedelta(seconds=1)))
    db.session.commit()
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json["code"] == "auth.token_expired"
    assert events("token.refused")[0].data["reason"] == "expired"


def test_unknown_token_is_refused(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer ctk_not-a-real-token"})
    assert response.status_code == 401
    assert response.json["code"] == "auth.token_unknown"


def test_owner_revokes_own_token(client):
    issued = issue(client).json
    headers = {"Authorization": f"Bearer {issued['token']}"}
    listed = client.get("/api/v1/tokens", headers=headers).json
    assert [t["id"] for t in listed] == [issued["id"]]
    assert "token" not in listed[0]
    assert client.delete(f"/api/v1/tokens/{issued['id']}", headers=headers).status_code == 204
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json["code"] == "auth.token_revoked"
    assert events("token.revoke")


def test_only_owner_or_admin_may_revoke(client):
    victim = issue(client).json
    other = bearer(client, "judge")
    refused = client.delete(f"/api/v1/tokens/{victim['id']}", headers=other)
    assert refused.status_code == 404
    assert client.delete(f"/api/v1/tokens/{victim['id']}", headers=bearer(client, "admin")).status_code == 204
    assert client.delete("/api/v1/tokens/99999", headers=other).status_code == 404


def test_revoking_a_foreign_token_answers_as_an_unknown_id(client):
    """Issue 14: another user's token id is indistinguishable from one that does not exist."""
    victim = issue(client).json
    other = bearer(client, "judge")
    foreign = client.delete(f"/api/v1/tokens/{victim['id']}", headers=other)
    unknown = client.delete("/api/v1/tokens/99999", headers=other)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json == unknown.json
    assert foreign.headers["Content-Type"] == unknown.headers["Content-Type"]
    assert not events("token.revoke")
    victim_headers = {"Authorization": f"Bearer {victim['token']}"}
    assert client.get("/api/v1/me", headers=victim_headers).status_code == 200  # still valid


def test_disabled_users_tokens_stop_working(client, actor):
    from custody.services.accounts import update_user

    headers = bearer(client, "police_keeper")
    keeper = db.session.scalar(select(User).where(User.username == "police_keeper"))
    update_user(db.session, actor("admin"), keeper.id, is_active=False)
    db.session.commit()
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json["code"] == "auth.token_revoked"


def test_malformed_json_and_missing_fields(client):
    bad = client.post("/api/v1/tokens", data="{not json", content_type="application/json")
    assert bad.status_code == 400
    assert bad.mimetype == "application/problem+json"
    missing = client.post("/api/v1/tokens", json={"username": "police_officer"})
    assert missing.status_code == 422
    assert missing.json["errors"] == {"password": ["缺少必填字段。"]}  # Chinese first, like every message
    wrong_type = client.post("/api/v1/tokens", json={"username": 5, "password": ["x"]})
    assert wrong_type.status_code == 422
    assert set(wrong_type.json["errors"]) == {"username", "password"}
    extra = client.post("/api/v1/tokens", json={"username": "a", "password": "b", "admin": True})
    assert extra.status_code == 422
    assert "admin" in extra.json["errors"]
    assert db.session.scalar(select(ApiToken.id)) is None
