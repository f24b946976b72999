"""Request authentication (session cookie or bearer token), CSRF and the acting user.

Browser logins are server-side ``LoginSession`` rows; the signed cookie carries only a random
secret, and Flask rejects a cookie not refreshed within the idle timeout. API programs send
``Authorization: Bearer <token>``. Both end up as ``current_user``; views turn that into an
``Actor`` for the services.
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, redirect, request, url_for
from flask_login import current_user

from custody.domain.actor import Actor, Origin
from custody.domain.errors import AccountUnavailable, AuthenticationRequired, ReauthenticationRequired
from custody.domain.i18n import N_
from custody.extensions import csrf, db, login_manager
from custody.orm import utcnow
from custody.services import auth as auth_service
from custody.services import mfa
from custody.services.context import actor_for

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Endpoints that authenticate by password in their own body: no ambient credential to abuse.
CSRF_EXEMPT_ENDPOINTS = {"api_tokens.Tokens", "api_account.Password"}


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Please log in to continue.")
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user_from_session)
    login_manager.request_loader(_load_user_from_request)
    login_manager.unauthorized_handler(_unauthorized)
    app.before_request(_check_csrf)
    app.before_request(_require_own_password)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def request_origin() -> Origin:
    # Behind a reverse proxy, CUSTODY_TRUSTED_PROXIES installs ProxyFix so remote_addr is the client.
    return Origin(ip=request.remote_addr, user_agent=request.headers.get("User-Agent"))


def current_actor() -> Actor:
    """The authenticated user as an ``Actor`` for service calls (raises 401 if anonymous)."""
    if not current_user.is_authenticated:
        raise AuthenticationRequired(N_("Please log in to continue."), code="auth.required")
    if "actor" not in g:
        g.actor = actor_for(current_user._get_current_object(), request_origin())
    return g.actor


def _bearer_secret(req: Any) -> str | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return header[len("Bearer ") :].strip()


def _load_user_from_session(secret: str):
    # A request that names a bearer token is authenticated by that token alone: a browser cookie
    # riding along must neither stand in for a bad token nor make the request exempt from CSRF.
    if _bearer_secret(request) is not None:
        return None
    max_age = timedelta(hours=current_app.config["CUSTODY_SESSION_MAX_HOURS"])
    return auth_service.load_login_session(db.session, secret, max_age=max_age)


def _load_user_from_request(req):
    secret = _bearer_secret(req)
    if secret is None:
        return None
    check = auth_service.load_token(db.session, secret)
    if check.user is None:
        g.token_refusal = (check.reason, secret[:12])
    return check.user


def _unauthorized():
    refusal = g.pop("token_refusal", None)
    if refusal is not None:
        reason, prefix = refusal
        db.session.rollback()
        auth_service.record_token_refused(db.session, reason, request_origin(), prefix)
        db.session.commit()
        messages = {
            "expired": N_("The API token has expired."),
            "revoked": N_("The API token has been revoked."),
            "disabled": N_("The account of this API token is disabled."),
        }
        raise AuthenticationRequired(
            messages.get(reason, N_("The API token is not valid.")), code=f"auth.token_{reason}"
        )
    if is_api_request():
        raise AuthenticationRequired(
            N_("Authentication required: send a bearer token or log in."), code="auth.required"
        )
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def _check_csrf() -> None:
    if request.method in SAFE_METHODS or request.endpoint in CSRF_EXEMPT_ENDPOINTS:
        return
    if _bearer_secret(request) is not None and _authenticated_by_token():
        return  # a valid token authenticated this request: no ambient cookie to forge
    if is_api_request() and not current_user.is_authenticated:
        return  # no session to ride on: the view answers 401
    csrf.protect()


def _authenticated_by_token() -> bool:
    return bool(current_user.is_authenticated) and isinstance(
        current_user.current_credential, auth_service.ApiToken
    )


# What a user whose password an administrator set may still do before choosing their own.
PASSWORD_CHANGE_ENDPOINTS = frozenset(
    {"auth.change_password", "auth.logout", "auth.login", "auth.language", "static", "api_account.Password"}
)


MFA_ENROLMENT_ENDPOINTS = frozenset({"auth.account_mfa", "auth.logout", "auth.language", "static"})


def _require_own_password() -> Any:
    """After an administrator set the password, nothing but choosing one's own (and logging out);
    a user whose roles need a second factor and who has none (an administrator removed it, or the
    roles changed) sets one up before anything else."""
    if not current_user.is_authenticated:
        return None
    user = current_user
    if user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        if is_api_request():
            raise AccountUnavailable(
                N_("Choose your own password first (POST /api/v1/account/password or the account page)."),
                code="auth.password_change_required",
            )
        return redirect(url_for("auth.change_password"))
    if (
        user.totp_secret is None
        and request.endpoint not in MFA_ENROLMENT_ENDPOINTS
        and mfa.is_required(user, mfa.required_roles(current_app.config["CUSTODY_MFA_ROLES"]))
    ):
        if is_api_request():
            raise AccountUnavailable(
                N_("Your role needs a second factor: set it up on the account page first."),
                code="auth.mfa_enrolment_required",
            )
        return redirect(url_for("auth.account_mfa"))
    return None


def recently_confirmed() -> bool:
    """Whether this browser session proved its user within ``CUSTODY_REAUTH_MINUTES``."""
    credential = current_user.current_credential if current_user.is_authenticated else None
    if not isinstance(credential, auth_service.LoginSession) or credential.confirmed_at is None:
        return False
    window = timedelta(minutes=current_app.config["CUSTODY_REAUTH_MINUTES"])
    return credential.confirmed_at + window >= utcnow()


def require_recent_confirmation() -> None:
    """Approving a disposal or exporting personal data: the user must have proved who they are
    within ``CUSTODY_REAUTH_MINUTES`` — in a browser by logging in with the second factor or on the
    confirmation page; a program by sending ``X-Custody-Confirm`` (a current code, or the password
    for an account without a second factor) with the request."""
    user = current_user._get_current_object()
    header = request.headers.get("X-Custody-Confirm", "").strip()
    if header:
        ok = mfa.confirm_identity(db.session, user, header, request_origin())
        db.session.commit()  # the re-authentication is recorded whatever follows
        if ok:
            return
    elif recently_confirmed():
        return
    raise ReauthenticationRequired(
        N_("Confirm who you are first (your authenticator code, or your password)."),
        code="auth.reauthentication_required",
    )


def login_required_api(view: Any) -> Any:
    """Require an authenticated user on an API view (session cookie or bearer token)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper
