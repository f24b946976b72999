"""Browser login: lockout, server-side session end, idle timeout, CSRF, safe redirects."""

from __future__ import annotations

from datetime import timedelta

import itsdangerous
from sqlalchemy import update

from custody.domain import clock as app_clock
from custody.extensions import db
from custody.models.user import User

from ..conftest import TEST_PASSWORD, csrf_token, login
from ..helpers import events


def test_login_lands_on_home_in_chinese(client):
    response = login(client, "police_officer")
    assert response.status_code == 302
    assert response.location == "/"
    page = client.get("/").get_data(as_text=True)
    assert "欢迎，王建国" in page
    assert "浦东公安分局" in page
    assert "办案人员" in page
    assert [e.outcome.value for e in events("login")] == ["success"]


def test_session_cookie_is_httponly_and_lax(client):
    response = login(client, "police_officer")
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # testing runs over plain HTTP; production sets Secure (test_config)


def test_wrong_password_and_unknown_user_get_the_same_message_and_are_logged(client):
    wrong = login(client, "police_officer", "not-the-password")
    unknown = login(client, "nobody_here", "whatever-123")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "用户名或密码错误" in response.get_data(as_text=True)
    failures = events("login")
    assert [e.data["reason"] for e in failures] == ["wrong_password", "unknown_user"]
    assert failures[1].data["username"] == "nobody_here"
    assert failures[1].actor is None
    assert "not-the-password" not in str([e.data for e in failures])


def test_five_failures_lock_the_account_for_ten_minutes(client):
    for _ in range(5):
        assert login(client, "police_officer", "bad-password-1").status_code in (401, 403)
    locked = login(client, "police_officer")  # right password, still refused
    assert locked.status_code == 403
    assert "账户已锁定" in locked.get_data(as_text=True)
    assert len(events("lockout")) == 1
    user = db.session.scalar(db.select(User).where(User.username == "police_officer"))
    assert timedelta(minutes=9) < user.locked_until - app_clock.now() <= timedelta(minutes=10)

    # Ten minutes later the lock has expired and the right password works again.
    db.session.execute(
        update(User).where(User.id == user.id).values(locked_until=app_clock.now() - timedelta(seconds=1))
    )
    db.session.commit()
    assert login(client, "police_officer").status_code == 302


def test_logout_ends_the_session_server_side(app, client):
    login(client, "police_officer")
    stolen = client.get_cookie("custody_session").value
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302

    thief = app.test_client()
    thief.set_cookie("custody_session", stolen)
    response = thief.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_disabling_a_user_ends_their_sessions(app, client, actor):
    from custody.services.accounts import update_user

    login(client, "police_keeper")
    assert client.get("/").status_code == 200
    keeper = db.session.scalar(db.select(User).where(User.username == "police_keeper"))
    update_user(db.session, actor("admin"), keeper.id, is_active=False)
    db.session.commit()
    assert client.get("/").status_code == 302
    assert login(client, "police_keeper").status_code == 403  # disabled: told so after the right password


def test_idle_timeout_expires_the_cookie(client, monkeypatch):
    login(client, "police_officer")
    assert client.get("/").status_code == 200
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: real(self) + 31 * 60
    )
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_login_form_without_csrf_token_is_refused_and_logged(client):
    response = client.post("/login", data={"username": "police_officer", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)
    assert events("csrf.refused")
    assert not events("login")


def test_logout_without_csrf_token_does_not_log_out(client):
    login(client, "police_officer")
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_next_parameter_only_redirects_within_the_site(client):
    token = csrf_token(client)
    response = client.post(
        "/login?next=//evil.example/x",
        data={"username": "judge", "password": TEST_PASSWORD, "csrf_token": token},
    )
    assert response.location == "/"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    token = csrf_token(client)
    response = client.post(
        "/login?next=/admin/users", data={"username": "judge", "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.location == "/admin/users"


def test_anonymous_pages_redirect_to_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert "/login?next=/admin/users" in response.location


def test_language_switch_to_english_and_back(client):
    login(client, "police_officer")
    token = csrf_token(client, "/")
    client.post("/language", data={"locale": "en", "csrf_token": token, "next": "/"})
    assert "Welcome, 王建国" in client.get("/").get_data(as_text=True)
    client.post("/language", data={"locale": "zh_CN", "csrf_token": csrf_token(client, "/"), "next": "/"})
    assert "欢迎，王建国" in client.get("/").get_data(as_text=True)


def test_unknown_page_is_an_html_error_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "404" in response.get_data(as_text=True)


def test_healthz_reports_database_status(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"
