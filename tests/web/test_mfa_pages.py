"""The second factor through the pages and the API: the login's second step, enrolment when the
role needs it, recovery codes, lockout on wrong codes, tokens, and re-authentication before
approving a disposal or exporting personal data."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp

from custody.domain import clock as app_clock
from custody.domain.enums import DispositionKind, Role
from custody.domain.lifecycle import DispositionRecordStatus
from custody.extensions import db
from custody.services import dispositions, mfa
from custody.services.accounts import create_user

from ..conftest import TEST_PASSWORD, csrf_token, get_user, next_totp, otp_for
from ..factories import act, agency, judge_case, stored_items
from ..helpers import events


def password_step(client, username: str, password: str = TEST_PASSWORD):
    token = csrf_token(client)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def code_step(client, code: str, path: str = "/login/mfa"):
    return client.post(path, data={"code": code, "csrf_token": csrf_token(client, path)})


def test_an_approver_logs_in_with_password_and_code(app):
    client = app.test_client()
    first = password_step(client, "police_approver")
    assert first.status_code == 302
    assert first.location.endswith("/login/mfa")
    assert client.get("/").status_code == 302  # not logged in yet
    page = client.get("/login/mfa").get_data(as_text=True)
    assert "身份验证器" in page
    wrong = code_step(client, "000000")
    assert wrong.status_code == 401
    assert "验证码错误" in wrong.get_data(as_text=True)
    done = code_step(client, otp_for("police_approver"))
    assert done.status_code == 302
    assert done.location == "/"
    assert client.get("/").status_code == 200
    assert [e.outcome.value for e in events("login.second_factor")] == ["failure", "success"]


def test_a_recovery_code_logs_in_once(app):
    approver = get_user("police_approver")
    mfa.remove(db.session, act("admin"), approver.id)
    secret = mfa.new_secret()
    codes = mfa.confirm_enrolment(db.session, approver, secret, next_totp(secret, None), approver_origin())
    db.session.commit()
    client = app.test_client()
    password_step(client, "police_approver")
    assert code_step(client, codes[3]).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    password_step(client, "police_approver")
    assert code_step(client, codes[3]).status_code == 401


def approver_origin():
    from custody.domain.actor import Origin

    return Origin(ip="127.0.0.1")


def test_wrong_codes_lock_the_account_like_wrong_passwords(app):
    client = app.test_client()
    password_step(client, "court_approver")
    for _ in range(4):
        assert code_step(client, "111111").status_code == 401
    locked = code_step(client, "111111")
    assert locked.status_code == 303
    assert locked.location.endswith("/login")
    assert get_user("court_approver").locked_until is not None
    assert password_step(client, "court_approver").status_code == 403


def test_a_new_approver_enrols_at_the_first_login_and_keeps_recovery_codes(app):
    create_user(
        db.session,
        act("admin"),
        username="new_approver",
        display_name="钱审批",
        agency_id=agency("PDGA").id,
        roles=[Role.APPROVER],
        password="Admin-chose-2026",
    )
    db.session.commit()
    client = app.test_client()
    first = password_step(client, "new_approver", "Admin-chose-2026")
    assert first.location.endswith("/login/mfa/enrol")
    page = client.get("/login/mfa/enrol").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page  # the QR code, drawn here (no outside service)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert code_step(client, "123456", "/login/mfa/enrol").status_code == 422
    assert get_user("new_approver").totp_secret is None
    done = code_step(client, pyotp.TOTP(secret).at(app_clock.now()), "/login/mfa/enrol")
    assert done.status_code == 200
    codes = re.findall(r"<code>([A-Z2-9]{5}-[A-Z2-9]{5})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    db.session.commit()
    db.session.expire_all()
    assert get_user("new_approver").totp_secret == secret
    # The administrator chose the password: the next page is the password change.
    assert "/account/password" in done.get_data(as_text=True)
    assert client.get("/").location.startswith("/account/password")


def test_a_user_who_needs_a_second_factor_and_lost_it_sets_one_up_first(app):
    client = app.test_client()
    password_step(client, "police_approver")
    code_step(client, otp_for("police_approver"))
    mfa.remove(db.session, act("admin"), get_user("police_approver").id)
    db.session.commit()
    assert client.get("/").location == "/account/mfa"
    assert "data:image/svg+xml" in client.get("/account/mfa").get_data(as_text=True)


def test_tokens_for_accounts_with_a_second_factor_need_its_code(client):
    login = {"username": "police_approver", "password": TEST_PASSWORD}
    missing = client.post("/api/v1/tokens", json=login)
    assert missing.status_code == 401
    assert missing.json["code"] == "auth.otp_required"
    wrong = client.post("/api/v1/tokens", json={**login, "otp": "000000"})
    assert wrong.status_code == 401
    assert wrong.json["code"] == "auth.invalid_code"
    assert client.post("/api/v1/tokens", json={**login, "otp": otp_for("police_approver")}).status_code == 201
    mfa.remove(db.session, act("admin"), get_user("police_approver").id)
    db.session.commit()
    unenrolled = client.post("/api/v1/tokens", json=login)
    assert unenrolled.status_code == 403
    assert unenrolled.json["code"] == "auth.mfa_enrolment_required"


def _proposed_confiscation():
    case, [item] = stored_items(1)
    judge_case(case)
    disposition = dispositions.propose_disposition(
        db.session, act("police_officer"), item_ids=[item.id], kind=DispositionKind.CONFISCATE
    )
    db.session.commit()
    return disposition


def test_approving_a_disposal_needs_a_recent_proof_of_identity_on_the_page(app, clock):
    disposition = _proposed_confiscation()
    client = app.test_client()
    password_step(client, "police_approver")
    code_step(client, otp_for("police_approver"))
    clock.advance(timedelta(minutes=6))  # the login's proof is too old now
    url = f"/dispositions/{disposition.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="decide-confirm"' in page

    def approve(code: str | None):
        token = csrf_token(client, url)
        data = {"csrf_token": token, "decide-csrf_token": token, "decide-approve": "1"}
        if code is not None:
            data["decide-confirm"] = code
        return client.post(url, data=data)

    refused = approve(None)
    assert refused.status_code == 401
    assert "确认您的身份" in refused.get_data(as_text=True)
    assert approve(TEST_PASSWORD).status_code == 401  # an approver confirms with the second factor
    db.session.expire_all()
    assert disposition.status is DispositionRecordStatus.PROPOSED
    assert approve(otp_for("police_approver")).status_code == 302
    db.session.expire_all()
    assert disposition.status is DispositionRecordStatus.APPROVED


def test_approving_a_disposal_through_the_api_needs_the_confirmation_header(client, auth_headers):
    disposition = _proposed_confiscation()
    headers = auth_headers("police_approver")
    url = f"/api/v1/dispositions/{disposition.id}/approve"
    refused = client.post(url, json={}, headers=headers)
    assert refused.status_code == 401
    assert refused.json["code"] == "auth.reauthentication_required"
    wrong = client.post(url, json={}, headers={**headers, "X-Custody-Confirm": "000000"})
    assert wrong.status_code == 401
    done = client.post(url, json={}, headers={**headers, "X-Custody-Confirm": otp_for("police_approver")})
    assert done.status_code == 200
    assert done.json["status"] == "approved"


def test_printing_personal_data_after_a_while_asks_to_confirm_first(app, clock):
    case, [item] = stored_items(1)
    client = app.test_client()
    password_step(client, "police_officer")
    url = f"/cases/{case.id}/seizure-lists/{item.seizure_list_id}.pdf"
    assert client.get(url).status_code == 200  # just logged in
    clock.advance(timedelta(minutes=6))
    asked = client.get(url)
    assert asked.status_code == 302
    assert asked.location.startswith("/account/confirm")
    token = csrf_token(client, asked.location)
    wrong = client.post(asked.location, data={"secret": "Wrong-password-1", "csrf_token": token})
    assert wrong.status_code == 401
    back = client.post(asked.location, data={"secret": TEST_PASSWORD, "csrf_token": token})
    assert back.status_code == 302
    assert back.location == url
    assert client.get(url).mimetype == "application/pdf"


def test_the_next_code_helper_waits_for_a_fresh_code(app):
    """The tests' own helper: a used code is never offered again (the clock moves to the next)."""
    secret = get_user("admin").totp_secret
    step = int(app_clock.now().timestamp()) // 30
    assert next_totp(secret, step + 1) == pyotp.TOTP(secret).at((step + 2) * 30)
    assert int(app_clock.now().timestamp()) // 30 >= step + 1
