"""Authentication: password login with lockout, browser login sessions, API tokens.

Every outcome — success, wrong password, unknown user, locked or disabled account, token
issued, revoked or refused — is recorded as a security event (never with the secret).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from custody.audit.recorder import record_event
from custody.domain.actor import Actor, Origin
from custody.domain.enums import EventCategory, Outcome
from custody.domain.errors import InvalidInput, NotFound, PermissionDenied
from custody.domain.i18n import N_
from custody.domain.policy import Action, allowed
from custody.models.user import ApiToken, LoginSession, User
from custody.orm import utcnow
from custody.security import (
    burn_time_for_unknown_user,
    hash_password,
    needs_rehash,
    new_secret,
    secret_hash,
    verify_password,
)

from .context import actor_for

USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{2,63}")

TOKEN_PREFIX = "ctk_"


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=10)


@dataclass
class LoginOutcome:
    user: User | None
    error: str | None = None  # an N_ message when the login was refused
    code: str | None = None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None


def _security(session: Session, action: str, outcome: Outcome, actor: Actor | None, origin: Origin, **data):
    return record_event(
        session,
        category=EventCategory.SECURITY,
        action=action,
        outcome=outcome,
        actor=actor,
        origin=origin,
        object_type="user" if actor else None,
        object_id=actor.user_id if actor else None,
        data=data,
    )


def authenticate(
    session: Session,
    username: str,
    password: str,
    origin: Origin,
    *,
    policy: LoginPolicy,
    now: datetime | None = None,
) -> LoginOutcome:
    """Check a username and password. The caller commits whatever the outcome."""
    now = now or utcnow()
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        burn_time_for_unknown_user(password)
        # A mistyped password can land in the username box: record only plausible usernames.
        shown = username if USERNAME_RE.fullmatch(username) else "(not a valid username)"
        _security(session, "login", Outcome.FAILURE, None, origin, username=shown, reason="unknown_user")
        return LoginOutcome(None, N_("Wrong username or password."), "auth.invalid_credentials")

    actor = actor_for(user, origin)
    if user.locked_until is not None and user.locked_until > now:
        return _refuse_locked(session, user, actor, origin)

    verified = verify_password(user.password_hash, password)
    # The failure count is read and written under the user's row lock, so parallel attempts are
    # counted one after another (a read-then-write without it lets them all count "1"). The slow
    # hash is checked before taking the lock, so attempts do not queue behind each other's hashing.
    session.scalar(
        select(User)
        .where(User.id == user.id)
        .with_for_update(of=User)
        .execution_options(populate_existing=True)
    )
    if user.locked_until is not None and user.locked_until > now:
        return _refuse_locked(session, user, actor, origin)  # locked by an attempt that ran meanwhile

    if not verified:
        user.failed_login_count += 1
        _security(
            session,
            "login",
            Outcome.FAILURE,
            actor,
            origin,
            reason="wrong_password",
            consecutive_failures=user.failed_login_count,
        )
        if user.failed_login_count >= policy.max_failures:
            user.locked_until = now + policy.lockout
            user.failed_login_count = 0
            _security(session, "lockout", Outcome.SUCCESS, actor, origin, locked_until=user.locked_until)
            return LoginOutcome(
                None,
                N_("This account is locked after too many failed logins. Try again later."),
                "auth.locked",
                user.locked_until,
            )
        return LoginOutcome(None, N_("Wrong username or password."), "auth.invalid_credentials")

    if not user.is_active:
        _security(session, "login", Outcome.DENIED, actor, origin, reason="disabled")
        return LoginOutcome(
            None, N_("This account is disabled. Contact your administrator."), "auth.disabled"
        )

    user.failed_login_count = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    _security(session, "login", Outcome.SUCCESS, actor, origin)
    return LoginOutcome(user)


def _refuse_locked(session: Session, user: User, actor: Actor, origin: Origin) -> LoginOutcome:
    _security(session, "login", Outcome.DENIED, actor, origin, reason="locked")
    return LoginOutcome(
        None,
        N_("This account is locked after too many failed logins. Try again later."),
        "auth.locked",
        user.locked_until,
    )


# -- browser login sessions ---------------------------------------------------------------


def start_login_session(session: Session, user: User, origin: Origin) -> LoginSession:
    secret = new_secret()
    login = LoginSession(
        secret_hash=secret_hash(secret),
        user=user,
        origin_ip=origin.ip,
        user_agent=(origin.user_agent or "")[:255] or None,
    )
    login.cookie_secret = secret
    session.add(login)
    session.flush()
    user.current_credential = login
    return login


def load_login_session(
    session: Session, secret: str, *, max_age: timedelta, now: datetime | None = None
) -> User | None:
    """The user of a live login session, or None if it was revoked, expired or disabled."""
    now = now or utcnow()
    login = session.scalar(select(LoginSession).where(LoginSession.secret_hash == secret_hash(secret)))
    if login is None or login.revoked_at is not None or not login.user.is_active:
        return None
    if login.created_at + max_age < now:
        return None
    login.cookie_secret = secret
    login.user.current_credential = login
    return login.user


def end_login_session(session: Session, login: LoginSession, reason: str, origin: Origin) -> None:
    if login.revoked_at is None:
        login.revoked_at = utcnow()
        login.revoked_reason = reason
    _security(session, "logout", Outcome.SUCCESS, actor_for(login.user, origin), origin, reason=reason)


def revoke_all_credentials(session: Session, user: User, reason: str) -> None:
    """End every login session and API token of ``user`` (used when disabling an account)."""
    now = utcnow()
    session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


# -- API tokens ---------------------------------------------------------------------------


def issue_token(
    session: Session, user: User, origin: Origin, *, name: str, ttl: timedelta
) -> tuple[ApiToken, str]:
    """Create a bearer token; the plain secret is returned once and never stored."""
    if ttl <= timedelta(0):
        raise InvalidInput(
            N_("Token lifetime must be positive."), fields={"ttl_hours": [N_("Must be positive.")]}
        )
    secret = new_secret(TOKEN_PREFIX)
    token = ApiToken(
        user=user,
        name=name.strip()[:64] or "api",
        secret_hash=secret_hash(secret),
        prefix=secret[:12],
        expires_at=utcnow() + ttl,
    )
    session.add(token)
    session.flush()
    _security(
        session,
        "token.issue",
        Outcome.SUCCESS,
        actor_for(user, origin),
        origin,
        token_id=token.id,
        token_prefix=token.prefix,
        expires_at=token.expires_at,
    )
    return token, secret


@dataclass
class TokenCheck:
    user: User | None
    reason: str | None = None  # "unknown", "expired", "revoked", "disabled"


def load_token(session: Session, secret: str, *, now: datetime | None = None) -> TokenCheck:
    now = now or utcnow()
    token = session.scalar(select(ApiToken).where(ApiToken.secret_hash == secret_hash(secret)))
    if token is None:
        return TokenCheck(None, "unknown")
    if token.revoked_at is not None:
        return TokenCheck(None, "revoked")
    if token.expires_at <= now:
        return TokenCheck(None, "expired")
    if not token.user.is_active:
        return TokenCheck(None, "disabled")
    token.user.current_credential = token
    return TokenCheck(token.user)


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    """Revoke one token: its owner may, and so may an administrator."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.api_token")
    if token.user_id != actor.user_id and not allowed(actor, Action.MANAGE_USERS):
        raise PermissionDenied(
            N_("Only the token's owner or an administrator may revoke it."), code="policy.revoke_token"
        )
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    _security(
        session,
        "token.revoke",
        Outcome.SUCCESS,
        actor,
        actor.origin,
        token_id=token.id,
        token_prefix=token.prefix,
        owner_user_id=token.user_id,
    )
    return token


def list_tokens(session: Session, actor: Actor) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id.desc())
        )
    )


def record_token_refused(session: Session, reason: str, origin: Origin, prefix: str) -> None:
    _security(session, "token.refused", Outcome.DENIED, None, origin, reason=reason, token_prefix=prefix[:12])
