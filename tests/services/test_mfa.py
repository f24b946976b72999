"""Second factor (TOTP + recovery codes) at the service layer: enrolment, codes used once,
recovery codes, removal by an administrator, and re-authentication."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from custody.domain import clock as app_clock
from custody.domain.actor import Origin
from custody.domain.enums import Role
from custody.domain.errors import Conflict, InvalidInput, PermissionDenied
from custody.extensions import db
from custody.services import mfa

from ..conftest import TEST_PASSWORD, get_user
from ..factories import act
from ..helpers import events

HERE = Origin(ip="10.0.0.5")


def _code(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(app_clock.now() + timedelta(seconds=30 * offset_steps))


def test_administrators_and_approvers_need_a_second_factor_by_default(app):
    roles = mfa.required_roles(app.config["CUSTODY_MFA_ROLES"])
    assert roles == {Role.ADMIN, Role.APPROVER}
    assert mfa.is_required(get_user("admin"), roles)
    assert mfa.is_required(get_user("court_approver"), roles)
    assert not mfa.is_required(get_user("police_officer"), roles)
    assert mfa.required_roles("all") == frozenset(Role)
    assert mfa.required_roles("") == frozenset()
    # The demo accounts that need one were enrolled when they were seeded.
    assert get_user("admin").totp_secret
    assert get_user("police_approver").totp_secret
    assert get_user("police_officer").totp_secret is None


def test_enrolment_needs_the_right_code_and_gives_ten_recovery_codes(app):
    officer = get_user("police_officer")
    secret = mfa.new_secret()
    with pytest.raises(InvalidInput):
        mfa.confirm_enrolment(db.session, officer, secret, "000000", HERE)
    codes = mfa.confirm_enrolment(db.session, officer, secret, _code(secret), HERE)
    db.session.commit()
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(len(c) == 11 for c in codes)
    assert officer.totp_secret == secret
    assert mfa.remaining_recovery_codes(db.session, officer) == 10
    with pytest.raises(Conflict):
        mfa.confirm_enrolment(db.session, officer, mfa.new_secret(), _code(secret), HERE)
    assert "otpauth://totp/" in mfa.provisioning_uri(officer, secret)
    assert all(code not in str(e.data) for e in events() for code in codes)  # never recorded


def test_a_code_is_accepted_once_and_only_near_now(app):
    approver = get_user("police_approver")
    secret = approver.totp_secret
    current = _code(secret)
    assert mfa.check_code(db.session, approver, current) == "totp"
    assert mfa.check_code(db.session, approver, current) is None  # replayed
    assert mfa.check_code(db.session, approver, _code(secret, -1)) is None  # older than the used one
    assert mfa.check_code(db.session, approver, _code(secret, +1)) == "totp"  # the next (clock drift)
    assert mfa.check_code(db.session, approver, _code(secret, +5)) is None  # far from now
    assert mfa.check_code(db.session, approver, "12345") is None


def test_recovery_codes_work_once_each_and_renewal_replaces_them(app):
    officer = get_user("police_officer")
    secret = mfa.new_secret()
    codes = mfa.confirm_enrolment(db.session, officer, secret, _code(secret), HERE)
    assert mfa.check_code(db.session, officer, codes[0].lower()) == "recovery_code"  # as typed off paper
    assert mfa.check_code(db.session, officer, codes[0]) is None
    assert mfa.remaining_recovery_codes(db.session, officer) == 9
    with pytest.raises(InvalidInput):
        mfa.regenerate_recovery_codes(db.session, officer, "999999", HERE)
    app_clock.current_clock().advance(timedelta(seconds=60))
    fresh = mfa.regenerate_recovery_codes(db.session, officer, _code(secret), HERE)
    assert mfa.check_code(db.session, officer, codes[1]) is None  # the old ones are gone
    assert mfa.check_code(db.session, officer, fresh[0]) == "recovery_code"


def test_an_administrator_removes_a_lost_second_factor(app):
    approver = get_user("police_approver")
    with pytest.raises(PermissionDenied):
        mfa.remove(db.session, act("police_officer"), approver.id)
    mfa.remove(db.session, act("admin"), approver.id)
    db.session.commit()
    assert approver.totp_secret is None
    assert mfa.remaining_recovery_codes(db.session, approver) == 0
    assert events("user.mfa_reset")[-1].object_id == str(approver.id)


def test_reauthentication_takes_a_code_or_without_a_second_factor_the_password(app):
    approver, officer = get_user("police_approver"), get_user("police_officer")
    assert not mfa.confirm_identity(db.session, approver, TEST_PASSWORD, HERE)  # the password is not enough
    assert mfa.confirm_identity(db.session, approver, _code(approver.totp_secret), HERE)
    assert mfa.confirm_identity(db.session, officer, TEST_PASSWORD, HERE)
    assert not mfa.confirm_identity(db.session, officer, "Wrong-password-1", HERE)
    assert [e.outcome.value for e in events("reauthenticate")] == ["failure", "success", "success", "failure"]
