"""Log in, log out, change one's password, switch language.

A browser that completed a login gets a *trusted-device* cookie (signed, HttpOnly, sent only to
/login): from it the user can still log in while strangers keep their account locked (see
``services.auth.authenticate``). The cookie never authenticates anyone by itself.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from datetime import timedelta

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response as BaseResponse

from custody.access import request_origin
from custody.domain.errors import DomainError
from custody.errors import translate
from custody.extensions import db
from custody.orm import utcnow
from custody.services import auth as auth_service
from custody.services import mfa

from .forms import CodeForm, ConfirmIdentityForm, LanguageForm, LoginForm, LogoutForm, PasswordChangeForm
from .helpers import is_safe_next, refuse, submit

bp = Blueprint("auth", __name__)

DEVICE_COOKIE = "custody_device"
DEVICE_MAX_AGE = timedelta(days=180)


def _device_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="custody.trusted-device")


def trusted_device() -> auth_service.TrustedDevice | None:
    """The trusted-device cookie of this browser, if it is genuine and not too old."""
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        data = _device_signer().loads(value, max_age=int(DEVICE_MAX_AGE.total_seconds()))
        return auth_service.TrustedDevice(user_id=int(data["u"]), device_id=str(data["d"])[:32])
    except (BadData, KeyError, TypeError, ValueError):
        return None


def remember_device(response: BaseResponse, user_id: int) -> None:
    current = trusted_device()
    device_id = current.device_id if current and current.user_id == user_id else secrets.token_hex(8)
    response.set_cookie(
        DEVICE_COOKIE,
        _device_signer().dumps({"u": user_id, "d": device_id}),
        max_age=int(DEVICE_MAX_AGE.total_seconds()),
        path="/login",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
    )


def start_session(user: auth_service.User, next_url: str | None, *, confirmed: bool) -> str:
    """Start the browser session of a user who passed every check; returns where to go next."""
    chosen = session.get("locale")
    if chosen and chosen != user.locale:  # a language picked on the login page sticks
        user.locale = chosen
    login = auth_service.start_login_session(db.session, user, request_origin())
    if confirmed:
        login.confirmed_at = utcnow()
    db.session.commit()
    locale = session.get("locale")
    session.clear()  # no session fixation: a fresh session for the new login
    if locale:
        session["locale"] = locale
    login_user(user)
    session.permanent = True  # the idle timeout applies to permanent sessions
    current_app.logger.info("login %s session %s", user.username, login.id)
    if user.must_change_password:
        flash(_("Your password was set by an administrator: choose your own before you continue."), "info")
        return url_for("auth.change_password", next=next_url) if next_url else url_for("auth.change_password")
    return next_url or url_for("main.home")


def finish_login(user: auth_service.User, next_url: str | None, *, confirmed: bool = True) -> BaseResponse:
    response = redirect(start_session(user, next_url, confirmed=confirmed))
    remember_device(response, user.id)
    return response


# -- the second step of a login (TOTP) ----------------------------------------------------------

PENDING_KEY = "mfa_pending"
PENDING_MAX_AGE = timedelta(minutes=5)


def _mfa_roles() -> frozenset:
    return mfa.required_roles(current_app.config["CUSTODY_MFA_ROLES"])


def _pending_second_factor(user: auth_service.User, next_url: str | None, *, enrol: bool) -> BaseResponse:
    """The password was right; the login waits for the second factor (or its enrolment)."""
    db.session.commit()  # the password step's security event
    session[PENDING_KEY] = {
        "uid": user.id,
        "next": next_url,
        "at": utcnow().timestamp(),
        "nonce": secrets.token_hex(16) if enrol else None,
    }
    return redirect(url_for("auth.enrol_mfa" if enrol else "auth.second_factor"))


def _pending_user() -> tuple[auth_service.User, dict] | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or "uid" not in pending:
        return None
    if utcnow().timestamp() - float(pending.get("at", 0)) > PENDING_MAX_AGE.total_seconds():
        session.pop(PENDING_KEY, None)
        return None
    user = auth_service.active_user(db.session, int(pending["uid"]))
    if user is None:
        return None
    return user, pending


def _enrolment_secret(user_id: int, nonce: str) -> str:
    """The secret offered for enrolment, derived from the server's key and a per-attempt nonce, so
    that neither the cookie nor the database holds it before the user confirms it."""
    key = current_app.secret_key or ""
    digest = hmac.new(
        key if isinstance(key, bytes) else key.encode(), f"totp-enrol:{user_id}:{nonce}".encode(), "sha256"
    )
    return base64.b32encode(digest.digest()[:20]).decode("ascii")


@bp.route("/login/mfa", methods=["GET", "POST"])
def second_factor():
    found = _pending_user()
    if found is None:
        flash(_("Log in again: the login took too long."), "info")
        return redirect(url_for("auth.login"))
    user, pending = found
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        outcome = auth_service.second_factor(
            db.session,
            user,
            form.code.data,
            request_origin(),
            policy=auth_service.LoginPolicy.from_config(current_app.config),
            device=trusted_device(),
        )
        if outcome.ok:
            return finish_login(user, pending.get("next"), confirmed=True)
        db.session.commit()
        if outcome.code == "auth.locked":
            session.pop(PENDING_KEY, None)
            flash(translate(outcome.error), "error")
            return redirect(url_for("auth.login")), 303
        form.code.errors = [translate(outcome.error)]
        status = 401
    elif form.is_submitted():
        status = 422
    return render_template("auth/second_factor.html", form=form), status


@bp.route("/login/mfa/enrol", methods=["GET", "POST"])
def enrol_mfa():
    """Enrolment during the login of a user whose roles need a second factor."""
    found = _pending_user()
    if found is None or not found[1].get("nonce"):
        flash(_("Log in again: the login took too long."), "info")
        return redirect(url_for("auth.login"))
    user, pending = found
    secret = _enrolment_secret(user.id, pending["nonce"])
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            codes = mfa.confirm_enrolment(db.session, user, secret, form.code.data, request_origin())
        except DomainError as error:
            status = _refused_code(form, error, user, "mfa.enrol")
        else:
            target = start_session(user, pending.get("next"), confirmed=True)
            response = make_response(render_template("auth/recovery_codes.html", codes=codes, next=target))
            remember_device(response, user.id)
            return response
    elif form.is_submitted():
        status = 422
    return render_template("auth/enrol_mfa.html", form=form, **_enrolment_view(user, secret)), status


def _refused_code(form: CodeForm, error: DomainError, user: auth_service.User, event: str) -> int:
    """A refused code. Not ``submit``: success shows the recovery codes rather than redirecting, and
    the failed attempt is recorded (and committed) after the rollback."""
    status = refuse(form, error)
    mfa.record_failure(db.session, user, event, request_origin())
    db.session.commit()
    return status


def _enrolment_view(user: auth_service.User, secret: str) -> dict:
    uri = mfa.provisioning_uri(user, secret)
    return {
        "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr": segno.make(uri, error="m").svg_data_uri(scale=5, dark="#1f2933"),
        "uri": uri,
    }


# -- one's own second factor and re-authentication ------------------------------------------------


@bp.route("/account/mfa", methods=["GET", "POST"])
@login_required
def account_mfa():
    """Status of the second factor; enrol (voluntarily), or replace the recovery codes."""
    user = current_user._get_current_object()
    form = CodeForm()
    status = 200
    if user.totp_secret is None:
        nonce = session.setdefault("mfa_enrol_nonce", secrets.token_hex(16))
        secret = _enrolment_secret(user.id, nonce)
        if form.validate_on_submit():
            try:
                codes = mfa.confirm_enrolment(db.session, user, secret, form.code.data, request_origin())
                db.session.commit()
            except DomainError as error:
                status = _refused_code(form, error, user, "mfa.enrol")
            else:
                session.pop("mfa_enrol_nonce", None)
                return render_template("auth/recovery_codes.html", codes=codes, next=url_for("main.home"))
        elif form.is_submitted():
            status = 422
        return render_template(
            "auth/enrol_mfa.html", form=form, voluntary=True, **_enrolment_view(user, secret)
        ), status
    if form.validate_on_submit():
        try:
            codes = mfa.regenerate_recovery_codes(db.session, user, form.code.data, request_origin())
            db.session.commit()
        except DomainError as error:
            status = _refused_code(form, error, user, "mfa.recovery_codes")
        else:
            return render_template("auth/recovery_codes.html", codes=codes, next=url_for("auth.account_mfa"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "auth/account_mfa.html",
        form=form,
        remaining=mfa.remaining_recovery_codes(db.session, user),
    ), status


@bp.route("/account/confirm", methods=["GET", "POST"])
@login_required
def confirm_identity():
    """Prove again who you are before a sensitive step (then back to ``next``)."""
    next_url = request.args.get("next")
    if not is_safe_next(next_url):
        next_url = None
    form = ConfirmIdentityForm()
    status = 200
    if form.validate_on_submit():
        if confirm_now(form.secret.data):
            db.session.commit()
            return redirect(next_url or url_for("main.home"))
        db.session.commit()
        form.secret.errors = [_("Wrong code or password.")]
        status = 401
    elif form.is_submitted():
        status = 422
    return render_template("auth/confirm.html", form=form), status


def confirm_now(secret: str) -> bool:
    """Check ``secret`` (code, or password without a second factor); on success the browser
    session counts as confirmed now. The caller commits."""
    user = current_user._get_current_object()
    if not mfa.confirm_identity(db.session, user, secret, request_origin()):
        return False
    credential = user.current_credential
    if isinstance(credential, auth_service.LoginSession):
        credential.confirmed_at = utcnow()
    return True


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = request.args.get("next")
    if not is_safe_next(next_url):
        next_url = None
    if current_user.is_authenticated:
        return redirect(next_url or url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        outcome = auth_service.authenticate(
            db.session,
            form.username.data,
            form.password.data,
            request_origin(),
            policy=auth_service.LoginPolicy.from_config(current_app.config),
            device=trusted_device(),
        )
        if outcome.ok:
            user = outcome.user
            assert user is not None
            if mfa.is_enrolled(user):
                return _pending_second_factor(user, next_url, enrol=False)
            if mfa.is_required(user, _mfa_roles()):
                return _pending_second_factor(user, next_url, enrol=True)
            return finish_login(user, next_url)
        db.session.commit()  # the failure count and the security event
        flash(translate(outcome.error), "error")
        status = {"auth.invalid_credentials": 401, "auth.throttled": 429}.get(outcome.code or "", 403)
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form, next=next_url), status


@bp.post("/logout")
@login_required
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        credential = current_user.current_credential
        if isinstance(credential, auth_service.LoginSession):
            auth_service.end_login_session(db.session, credential, "logout", request_origin())
            db.session.commit()
        logout_user()
        locale = session.get("locale")
        session.clear()
        if locale:
            session["locale"] = locale
        flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Choose one's own password (required after an administrator set it)."""
    next_url = request.args.get("next")
    if not is_safe_next(next_url):
        next_url = None
    form = PasswordChangeForm()
    credential = current_user.current_credential
    return submit(
        form,
        lambda: auth_service.change_own_password(
            db.session,
            current_user._get_current_object(),
            form.current_password.data,
            form.new_password.data,
            request_origin(),
            keep=credential if isinstance(credential, auth_service.LoginSession) else None,
        ),
        done=_("Your password has been changed."),
        to=next_url or url_for("main.home"),
    ).or_render(lambda: render_template("auth/change_password.html", form=form))


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("main.home"))
