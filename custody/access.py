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
from custody.domain.errors import AccountUnavailable, AuthenticationRequired
from custody.domain.i18n import N_
from custody.extensions import csrf, db, login_manager
from custody.services import auth as auth_service
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


def _require_own_password() -> Any:
    """After an administrator set the password, nothing but choosing one's own (and logging out)."""
    if request.endpoint in PASSWORD_CHANGE_ENDPOINTS or not current_user.is_authenticated:
        return None
    if not current_user.must_change_password:
        return None
    if is_api_request():
        raise AccountUnavailable(
            N_("Choose your own password first (POST /api/v1/account/password or the account page)."),
            code="auth.password_change_required",
        )
    return redirect(url_for("auth.change_password"))


def login_required_api(view: Any) -> Any:
    """Require an authenticated user on an API view (session cookie or bearer token)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper
