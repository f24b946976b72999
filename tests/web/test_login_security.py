"""Login security (issue 14): a lockout that does not reveal which usernames exist, throttling per
client address, a trusted device that keeps its owner able to log in while strangers hold the
account locked, and passwords set by an administrator replaced at the first login (pages and API)."""

from __future__ import annotations

from flask.testing import FlaskClient

from custody import security
from custody.domain.enums import Role
from custody.extensions import db
from custody.services.accounts import create_user, unlock_user
from custody.web.auth import DEVICE_COOKIE

from ..conftest import TEST_PASSWORD, csrf_token, get_user
from ..factories import act, agency
from ..helpers import events


def attempt(client: FlaskClient, username: str, password: str, ip: str = "10.0.0.1"):
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": ip},
    )
    flashes = [line for line in response.get_data(as_text=True).splitlines() if "flash" in line]
    return response.status_code, flashes


def test_unknown_usernames_lock_exactly_like_real_ones(app, monkeypatch):
    """Same answers, attempt by attempt, and the same password-hash work, for a name with no account."""
    hashes: list[str] = []
    real_verify = security.verify_password

    def counting_verify(password_hash: str, password: str) -> bool:
        hashes.append("verify")
        return real_verify(password_hash, password)

    monkeypatch.setattr(security, "verify_password", counting_verify)
    monkeypatch.setattr("custody.services.auth.verify_password", counting_verify)
    existing, unknown = app.test_client(), app.test_client()
    answers_existing, answers_unknown = [], []
    for _ in range(6):
        hashes.clear()
        answers_existing.append((attempt(existing, "police_officer", "Wrong-guess-2026"), len(hashes)))
        hashes.clear()
        answers_unknown.append((attempt(unknown, "no_such_officer", "Wrong-guess-2026"), len(hashes)))
    assert answers_existing == answers_unknown
    statuses = [status for (status, _), _ in answers_existing]
    assert statuses == [401, 401, 401, 401, 403, 403]  # the fifth failure locks, the sixth is refused
    assert "账户已锁定" in answers_unknown[-1][0][1][0]
    lockouts = events("lockout")
    assert len(lockouts) == 2
    assert lockouts[1].data["username"] == "no_such_officer"


def test_many_failures_from_one_address_are_throttled_for_every_username(app):
    app.config["CUSTODY_LOGIN_MAX_FAILURES_PER_ADDRESS"] = 4
    client = app.test_client()
    for n, name in enumerate(["police_officer", "judge", "auditor", "nobody_1"]):
        assert attempt(client, name, f"Wrong-guess-{n}", ip="10.6.6.6")[0] == 401
    refused = attempt(client, "prosecutor", TEST_PASSWORD, ip="10.6.6.6")  # right password, same address
    assert refused[0] == 429
    assert "网络地址" in refused[1][0]
    assert events("login")[-1].data["reason"] == "address_throttled"
    assert attempt(app.test_client(), "prosecutor", TEST_PASSWORD, ip="10.7.7.7")[0] == 302


def test_strangers_cannot_lock_the_owner_out_of_a_trusted_device(app):
    own_browser = app.test_client()
    assert attempt(own_browser, "police_officer", TEST_PASSWORD)[0] == 302
    cookie = own_browser.get_cookie(DEVICE_COOKIE, path="/login")
    assert cookie is not None
    assert cookie.http_only
    own_browser.post("/logout", data={"csrf_token": csrf_token(own_browser, "/")})

    stranger = app.test_client()
    for n in range(5):
        attempt(stranger, "police_officer", f"Wrong-guess-{n}", ip=f"10.8.8.{n}")
    assert attempt(stranger, "police_officer", TEST_PASSWORD, ip="10.8.8.9")[0] == 403  # locked
    # The owner's browser still gets in with the right password ...
    assert attempt(own_browser, "police_officer", TEST_PASSWORD)[0] == 302
    assert events("login")[-1].data.get("trusted_device") is True
    own_browser.post("/logout", data={"csrf_token": csrf_token(own_browser, "/")})
    # ... a forged or foreign device cookie does not help ...
    forger = app.test_client()
    forger.set_cookie(DEVICE_COOKIE, cookie.value[:-4] + "AAAA", path="/login")
    assert attempt(forger, "police_officer", TEST_PASSWORD)[0] == 403
    judge_browser = app.test_client()
    attempt(judge_browser, "judge", TEST_PASSWORD)
    judge_browser.set_cookie(DEVICE_COOKIE, judge_browser.get_cookie(DEVICE_COOKIE, path="/login").value)
    assert attempt(app.test_client(), "police_officer", TEST_PASSWORD)[0] == 403
    # ... and the trusted device has its own limit: guessing from it locks the device, not the account.
    for n in range(5):
        assert attempt(own_browser, "police_officer", f"Wrong-again-{n}")[0] == 401
    assert attempt(own_browser, "police_officer", TEST_PASSWORD)[0] == 403


def test_an_administrator_unlocks_a_locked_account(app):
    client = app.test_client()
    for n in range(5):
        attempt(client, "judge", f"Wrong-guess-{n}")
    assert attempt(client, "judge", TEST_PASSWORD)[0] == 403
    unlock_user(db.session, act("admin"), get_user("judge").id)
    db.session.commit()
    assert attempt(client, "judge", TEST_PASSWORD)[0] == 302


def _admin_created_user(username: str = "new_keeper", password: str = "Set-by-admin-2026"):
    create_user(
        db.session,
        act("admin"),
        username=username,
        display_name="孙新",
        agency_id=agency("PDGA").id,
        roles=[Role.KEEPER],
        password=password,
    )
    db.session.commit()
    return password


def test_a_password_set_by_an_administrator_is_replaced_at_the_first_login(app):
    password = _admin_created_user()
    client = app.test_client()
    status, _ = attempt(client, "new_keeper", password)
    assert status == 302
    # Nothing but the password page until the user chose their own.
    assert client.get("/").location.startswith("/account/password")
    assert client.get("/items").location.startswith("/account/password")
    refused = client.get("/api/v1/me")
    assert refused.status_code == 403
    assert refused.json["code"] == "auth.password_change_required"
    page = client.get("/account/password").get_data(as_text=True)
    assert "管理员" in page
    token = csrf_token(client, "/account/password")

    def change(current: str, new: str, confirm: str | None = None):
        return client.post(
            "/account/password",
            data={
                "current_password": current,
                "new_password": new,
                "confirm": new if confirm is None else confirm,
                "csrf_token": token,
            },
        )

    assert change("Not-the-password-1", "Keeper-owns-this-2027").status_code == 422
    weak = change(password, "aaaaaaaaaaaaaaaa")
    assert weak.status_code == 422
    assert "容易被猜到" in weak.get_data(as_text=True)
    assert change(password, "            ").status_code == 422
    assert change(password, "short-1").status_code == 422
    assert change(password, password).status_code == 422
    assert change(password, "Keeper-owns-this-2027", "Keeper-owns-this-2028").status_code == 422
    done = change(password, "Keeper-owns-this-2027")
    assert done.status_code == 302
    assert done.location == "/"
    assert client.get("/").status_code == 200  # the session that changed it goes on
    db.session.commit()
    db.session.expire_all()
    assert get_user("new_keeper").must_change_password is False
    assert [e.outcome.value for e in events("password.change")][-1] == "success"


def test_the_api_applies_the_same_password_rules_and_first_login_change(client):
    password = _admin_created_user("api_keeper")
    login = {"username": "api_keeper", "password": password}
    refused = client.post("/api/v1/tokens", json=login)
    assert refused.status_code == 403
    assert refused.json["code"] == "auth.password_change_required"
    for weak in ("short-pass1", " " * 14, "123456789012", password):
        answer = client.post("/api/v1/account/password", json={**login, "new_password": weak})
        assert answer.status_code == 422, weak
    wrong = client.post(
        "/api/v1/account/password",
        json={**login, "password": "Not-the-password-1", "new_password": "Keeper-owns-this-2027"},
    )
    assert wrong.status_code == 401
    assert (
        client.post(
            "/api/v1/account/password", json={**login, "new_password": "Keeper-owns-this-2027"}
        ).status_code
        == 204
    )
    token = client.post("/api/v1/tokens", json={**login, "password": "Keeper-owns-this-2027"})
    assert token.status_code == 201
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json['token']}"})
    assert me.status_code == 200
    assert me.json["username"] == "api_keeper"


def test_old_failure_counts_are_dropped_but_the_security_events_stay(app, clock):
    from datetime import timedelta

    from sqlalchemy import func, select

    from custody.models.user import LoginFailure

    client = app.test_client()
    for n in range(3):
        attempt(client, "nobody_2", f"Wrong-guess-{n}")
    clock.advance(timedelta(days=2))
    attempt(client, "nobody_3", "Wrong-guess-9")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 1
    assert len(events("login")) == 4
