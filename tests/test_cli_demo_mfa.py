"""The demo's second factor: seed-demo prints the TOTP keys of the demo accounts that need one,
and demo-otp prints their current code — for demo accounts only, never in production."""

from __future__ import annotations

import re

import pyotp

from custody.domain import clock as app_clock
from custody.extensions import db

from .conftest import get_user


def test_seed_demo_prints_the_keys_of_accounts_with_a_second_factor(runner):
    result = runner.invoke(args=["custody", "seed-demo"])
    assert result.exit_code == 0, result.output
    admin_line = next(line for line in result.output.splitlines() if line.strip().startswith("admin "))
    assert get_user("admin").totp_secret in admin_line
    officer_line = next(line for line in result.output.splitlines() if "police_officer" in line)
    assert "TOTP" not in officer_line
    assert "demo-otp" in result.output


def test_demo_otp_prints_a_code_the_login_accepts(app, runner):
    result = runner.invoke(args=["custody", "demo-otp", "police_approver"])
    assert result.exit_code == 0, result.output
    code = re.match(r"(\d{6}) ", result.output).group(1)
    assert pyotp.TOTP(get_user("police_approver").totp_secret).verify(
        code, for_time=app_clock.now(), valid_window=1
    )
    client = app.test_client()
    token = client.post(
        "/api/v1/tokens",
        json={"username": "police_approver", "password": app.config["CUSTODY_DEMO_PASSWORD"], "otp": code},
    )
    assert token.status_code == 201, token.json


def test_demo_otp_refuses_other_accounts_and_production(app, runner):
    assert runner.invoke(args=["custody", "demo-otp", "police_officer"]).exit_code == 1  # no second factor
    assert runner.invoke(args=["custody", "demo-otp", "somebody_else"]).exit_code == 1
    app.config["ENV_NAME"] = "production"
    refused = runner.invoke(args=["custody", "demo-otp", "admin"])
    assert refused.exit_code == 1
    assert "production" in refused.output
    db.session.rollback()
