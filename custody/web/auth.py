"""Log in, log out, change one's password, switch language.

A browser that completed a login gets a *trusted-device* cookie (signed, HttpOnly, sent only to
/login): from it the user can still log in while strangers keep their account locked (see
``services.auth.authenticate``). The cookie never authenticates anyone by itself.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadData, URLSafeTimedSerializer

from custody.access import request_origin
from custody.domain.errors import DomainError
from custody.errors import translate
from custody.extensions import db
from custody.services import auth as auth_service

from .forms import LanguageForm, LoginForm, LogoutForm, PasswordChangeForm
from .helpers import is_safe_next, show_domain_error

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


def remember_device(response: Response, user_id: int) -> None:
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


def finish_login(user: auth_service.User, next_url: str | None) -> Response:
    """Start the browser session of a user who passed every check; remember this device."""
    chosen = session.get("locale")
    if chosen and chosen != user.locale:  # a language picked on the login page sticks
        user.locale = chosen
    login = auth_service.start_login_session(db.session, user, request_origin())
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
        target = (
            url_for("auth.change_password", next=next_url) if next_url else url_for("auth.change_password")
        )
    else:
        target = next_url or url_for("main.home")
    response = redirect(target)
    remember_device(response, user.id)
    return response


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
            assert outcome.user is not None
            return finish_login(outcome.user, next_url)
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
    status = 200
    if form.validate_on_submit():
        credential = current_user.current_credential
        try:
            auth_service.change_own_password(
                db.session,
                current_user._get_current_object(),
                form.current_password.data,
                form.new_password.data,
                request_origin(),
                keep=credential if isinstance(credential, auth_service.LoginSession) else None,
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
            status = error.status
        else:
            flash(_("Your password has been changed."), "success")
            return redirect(next_url or url_for("main.home"))
    elif form.is_submitted():
        status = 422
    return render_template("auth/change_password.html", form=form), status


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
