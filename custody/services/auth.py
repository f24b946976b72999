"""Authentication: password login with lockout, browser login sessions, API tokens.

Every outcome — success, wrong password, unknown user, locked or disabled account, token
issued, revoked or refused — is recorded as a security event (never with the secret).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session, joinedload

from custody.audit.recorder import record_event
from custody.domain.actor import Actor, Origin
from custody.domain.enums import EventCategory, Outcome
from custody.domain.errors import InvalidInput, NotFound
from custody.domain.i18n import N_
from custody.domain.passwords import password_problems
from custody.domain.policy import Action, allowed
from custody.models.agency import Agency
from custody.models.user import ApiToken, LoginFailure, LoginSession, LoginThrottle, User
from custody.orm import utcnow
from custody.security import (
    burn_time_for_unknown_user,
    hash_password,
    needs_rehash,
    new_secret,
    secret_hash,
    verify_password,
)

from . import mfa
from .context import actor_for

USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{2,63}")

TOKEN_PREFIX = "ctk_"


@dataclass(frozen=True)
class TrustedDevice:
    """A browser where ``user_id`` logged in before (a signed cookie, see ``custody.web.auth``)."""

    user_id: int
    device_id: str


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5  # consecutive failures that lock a username (or a trusted device) ...
    lockout: timedelta = timedelta(minutes=10)  # ... for this long
    max_failures_per_address: int = 30  # failures from one client address ...
    address_window: timedelta = timedelta(minutes=15)  # ... within this window: refused until they age out

    @classmethod
    def from_config(cls, config: Any) -> LoginPolicy:
        return cls(
            max_failures=config["CUSTODY_LOGIN_MAX_FAILURES"],
            lockout=timedelta(minutes=config["CUSTODY_LOCKOUT_MINUTES"]),
            max_failures_per_address=config["CUSTODY_LOGIN_MAX_FAILURES_PER_ADDRESS"],
        )


@dataclass
class LoginOutcome:
    user: User | None
    error: str | None = None  # an N_ message when the login was refused
    code: str | None = None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None


LOCKED_MESSAGE = N_("This account is locked after too many failed logins. Try again later.")


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


# Failures older than this no longer count for any limit; the security events keep the history.
FAILURE_RETENTION = timedelta(days=1)


def _note_failure(session: Session, now: datetime, ip: str, device: str | None) -> None:
    """Count one failed check (address and device limits), dropping counts too old to matter."""
    session.execute(delete(LoginFailure).where(LoginFailure.attempted_at < now - FAILURE_RETENTION))
    session.add(LoginFailure(attempted_at=now, ip=ip, device=device))


def _failures_since(session: Session, column: Any, value: str, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(column == value, LoginFailure.attempted_at > since)
        )
        or 0
    )


def active_user(session: Session, user_id: int) -> User | None:
    """The user a half-finished login names, if the account still exists and is active."""
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None


def authenticate(
    session: Session,
    username: str,
    password: str,
    origin: Origin,
    *,
    policy: LoginPolicy,
    device: TrustedDevice | None = None,
    now: datetime | None = None,
) -> LoginOutcome:
    """Check a username and password. The caller commits whatever the outcome.

    Lockout [DESIGN, issue 14]: ``policy.max_failures`` consecutive failures lock the *username* for
    ``policy.lockout`` — whether or not an account has that name (an unknown name keeps the same
    counters in ``login_throttle``), with the same answers and the same slow hash, so nothing tells
    which names exist. A client address with ``max_failures_per_address`` failures in the window is
    refused without checking anything (one machine guessing many names). A lockout provoked by
    strangers does not shut the owner out: from a *trusted device* (a browser where they logged in
    before, which holds a signed device cookie for that account) neither the account's nor the
    address's lock applies — the device has its own limit of ``max_failures`` — and the user still
    passes the password and, where enrolled, the second factor. An administrator can also unlock.
    """
    now = now or utcnow()
    name = username.strip()
    ip = (origin.ip or "unknown")[:64]
    user = session.scalar(select(User).where(User.username == name))
    trusted = device is not None and user is not None and device.user_id == user.id
    throttled = _throttled(session, user, device if trusted else None, ip, origin, policy, now)
    if throttled is not None:
        return throttled
    if user is None:
        return _unknown_user(session, name, password, origin, policy, now, ip)

    actor = actor_for(user, origin)
    if not trusted and user.locked_until is not None and user.locked_until > now:
        return _refuse_locked(session, user, origin, user.locked_until)

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
    if not trusted and user.locked_until is not None and user.locked_until > now:
        return _refuse_locked(session, user, origin, user.locked_until)  # locked by an attempt meanwhile

    if not verified:
        return _wrong_password(
            session, user, actor, origin, policy, now, ip, device.device_id if trusted and device else None
        )
    if not user.is_active:
        _security(session, "login", Outcome.DENIED, actor, origin, reason="disabled")
        return LoginOutcome(
            None, N_("This account is disabled. Contact your administrator."), "auth.disabled"
        )
    return _password_passed(session, user, actor, origin, password, trusted=trusted)


def _throttled(
    session: Session,
    user: User | None,
    device: TrustedDevice | None,
    ip: str,
    origin: Origin,
    policy: LoginPolicy,
    now: datetime,
) -> LoginOutcome | None:
    """Refused before the password is looked at: a trusted ``device`` over its own limit, else an
    address with too many failures in the window. None: go on checking."""
    if device is not None:
        if _failures_since(session, LoginFailure.device, device.device_id, now - policy.lockout) >= (
            policy.max_failures
        ):
            return _refuse_locked(session, user, origin, None, reason="device_locked")  # type: ignore[arg-type]
        return None
    if _failures_since(session, LoginFailure.ip, ip, now - policy.address_window) >= (
        policy.max_failures_per_address
    ):
        actor = actor_for(user, origin) if user is not None else None
        _security(session, "login", Outcome.DENIED, actor, origin, reason="address_throttled")
        return LoginOutcome(
            None,
            N_("Too many failed logins from your network address. Wait a while and try again."),
            "auth.throttled",
        )
    return None


def _wrong_password(
    session: Session,
    user: User,
    actor: Actor,
    origin: Origin,
    policy: LoginPolicy,
    now: datetime,
    ip: str,
    device_id: str | None,
) -> LoginOutcome:
    """Count a wrong password: against the trusted device it came from (``device_id``), else
    against the account, which locks after ``policy.max_failures``."""
    _note_failure(session, now, ip, device_id)
    if device_id is not None:
        # A trusted device's typos count against the device, not the account.
        _security(
            session, "login", Outcome.FAILURE, actor, origin, reason="wrong_password", trusted_device=True
        )
        return LoginOutcome(None, N_("Wrong username or password."), "auth.invalid_credentials")
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
    return _count_failure(session, user, actor, origin, policy, now)


def _password_passed(
    session: Session, user: User, actor: Actor, origin: Origin, password: str, *, trusted: bool
) -> LoginOutcome:
    """The password was right: reset the counters (unless a second factor is still to pass) and
    upgrade an old hash."""
    if not trusted and not mfa.is_enrolled(user):  # else the second factor has yet to pass
        user.failed_login_count = 0
        user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    data: dict[str, Any] = {"trusted_device": True} if trusted else {}
    if mfa.is_enrolled(user):
        data["step"] = "password"  # the second factor follows (login.second_factor)
    _security(session, "login", Outcome.SUCCESS, actor, origin, **data)
    return LoginOutcome(user)


def second_factor(
    session: Session,
    user: User,
    code: str,
    origin: Origin,
    *,
    policy: LoginPolicy,
    device: TrustedDevice | None = None,
    now: datetime | None = None,
) -> LoginOutcome:
    """The login's second step for an enrolled user: a TOTP or recovery code. Wrong codes count
    towards the same lockout as wrong passwords (from a trusted device: the device's)."""
    now = now or utcnow()
    actor = actor_for(user, origin)
    trusted = device is not None and device.user_id == user.id
    if not trusted and user.locked_until is not None and user.locked_until > now:
        return _refuse_locked(session, user, origin, user.locked_until)
    if trusted:
        assert device is not None
        if _failures_since(session, LoginFailure.device, device.device_id, now - policy.lockout) >= (
            policy.max_failures
        ):
            return _refuse_locked(session, user, origin, None, reason="device_locked")
    method = mfa.check_code(session, user, code, now=now)
    if method is None:
        ip = (origin.ip or "unknown")[:64]
        _note_failure(session, now, ip, device.device_id if trusted and device else None)
        wrong = LoginOutcome(None, N_("Wrong code."), "auth.invalid_code")
        if trusted:
            _security(session, "login.second_factor", Outcome.FAILURE, actor, origin, trusted_device=True)
            return wrong
        user.failed_login_count += 1
        _security(
            session,
            "login.second_factor",
            Outcome.FAILURE,
            actor,
            origin,
            consecutive_failures=user.failed_login_count,
        )
        locked = _count_failure(session, user, actor, origin, policy, now)
        return locked if locked.code == "auth.locked" else wrong
    if not trusted:
        user.failed_login_count = 0
        user.locked_until = None
    _security(session, "login.second_factor", Outcome.SUCCESS, actor, origin, method=method)
    return LoginOutcome(user)


def _count_failure(
    session: Session,
    holder: User | LoginThrottle,
    actor: Actor | None,
    origin: Origin,
    policy: LoginPolicy,
    now: datetime,
) -> LoginOutcome:
    """The failure has been counted on ``holder`` (an account or an unknown name): lock at the limit."""
    if holder.failed_login_count >= policy.max_failures:
        holder.locked_until = now + policy.lockout
        holder.failed_login_count = 0
        data: dict[str, Any] = {"locked_until": holder.locked_until}
        if actor is None:
            data["username"] = _shown(holder.username)
        _security(session, "lockout", Outcome.SUCCESS, actor, origin, **data)
        return LoginOutcome(None, LOCKED_MESSAGE, "auth.locked", holder.locked_until)
    return LoginOutcome(None, N_("Wrong username or password."), "auth.invalid_credentials")


def _shown(username: str) -> str:
    # A mistyped password can land in the username box: record only plausible usernames.
    return username if USERNAME_RE.fullmatch(username) else "(not a valid username)"


def _unknown_user(
    session: Session, name: str, password: str, origin: Origin, policy: LoginPolicy, now: datetime, ip: str
) -> LoginOutcome:
    """No account has this name: answer exactly as for an account (same hash work, same counters)."""
    key = name.lower()[:64]
    throttle = session.scalar(
        select(LoginThrottle)
        .where(LoginThrottle.username == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        _security(session, "login", Outcome.DENIED, None, origin, username=_shown(name), reason="locked")
        return LoginOutcome(None, LOCKED_MESSAGE, "auth.locked", throttle.locked_until)
    burn_time_for_unknown_user(password)
    if throttle is None:
        throttle = LoginThrottle(username=key, failed_login_count=0)
        session.add(throttle)
    throttle.failed_login_count += 1
    _note_failure(session, now, ip, None)
    _security(session, "login", Outcome.FAILURE, None, origin, username=_shown(name), reason="unknown_user")
    return _count_failure(session, throttle, None, origin, policy, now)


def _refuse_locked(
    session: Session, user: User, origin: Origin, locked_until: datetime | None, reason: str = "locked"
) -> LoginOutcome:
    _security(session, "login", Outcome.DENIED, actor_for(user, origin), origin, reason=reason)
    return LoginOutcome(None, LOCKED_MESSAGE, "auth.locked", locked_until)


# -- one's own password ------------------------------------------------------------------------


def check_new_password(user: User, new_password: str) -> None:
    """The password rules (``custody.domain.passwords``), for every way a password is set."""
    problems = password_problems(new_password, user.username, [user.display_name])
    if problems:
        raise InvalidInput(problems[0], fields={"new_password": problems})


def change_own_password(
    session: Session,
    user: User,
    current_password: str,
    new_password: str,
    origin: Origin,
    *,
    keep: LoginSession | None = None,
) -> None:
    """The user replaces their password (required after an administrator set it). The current one
    must be given; every other login session and API token of the user ends (``keep``: the browser
    session that made the change stays)."""
    actor = actor_for(user, origin)
    if not verify_password(user.password_hash, current_password):
        _security(session, "password.change", Outcome.FAILURE, actor, origin, reason="wrong_password")
        raise InvalidInput(
            N_("The current password is wrong."),
            fields={"current_password": [N_("The current password is wrong.")]},
        )
    check_new_password(user, new_password)
    if verify_password(user.password_hash, new_password):
        raise InvalidInput(
            N_("Choose a new password, not the current one."),
            fields={"new_password": [N_("Choose a new password, not the current one.")]},
        )
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    revoke_all_credentials(session, user, "password_changed", keep=keep)
    _security(session, "password.change", Outcome.SUCCESS, actor, origin)


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


def _with_user(credential: type[LoginSession] | type[ApiToken]) -> Any:
    """The credential's user, agency and roles in the credential's own query: every request
    authenticates, so the actor costs one statement (token → user → agency → roles), not three."""
    return joinedload(credential.user).options(
        joinedload(User.agency).joinedload(Agency.operated_centres), joinedload(User.role_rows)
    )


@cache
def _credential_by_hash(credential: type[LoginSession] | type[ApiToken]) -> Any:
    """The one statement that authenticates a request, built once per process: building its loader
    options cost more than running it (issue 15)."""
    return (
        select(credential)
        .where(credential.secret_hash == bindparam("secret_hash"))
        .options(_with_user(credential))
    )


def load_login_session(
    session: Session, secret: str, *, max_age: timedelta, now: datetime | None = None
) -> User | None:
    """The user of a live login session, or None if it was revoked, expired or disabled."""
    now = now or utcnow()
    login = (
        session.scalars(_credential_by_hash(LoginSession), {"secret_hash": secret_hash(secret)})
        .unique()
        .first()
    )
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


def revoke_all_credentials(
    session: Session, user: User, reason: str, *, keep: LoginSession | None = None
) -> None:
    """End every login session and API token of ``user`` (disabling an account, a new password);
    ``keep`` names a browser session to leave running."""
    now = utcnow()
    sessions = update(LoginSession).where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
    if keep is not None:
        sessions = sessions.where(LoginSession.id != keep.id)
    session.execute(sessions.values(revoked_at=now, revoked_reason=reason))
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
    token = (
        session.scalars(_credential_by_hash(ApiToken), {"secret_hash": secret_hash(secret)}).unique().first()
    )
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
    """Revoke one token: its owner may, and so may an administrator. Someone else's token answers
    exactly as an unknown id does (404, same problem): token ids do not tell strangers what exists."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and not allowed(actor, Action.MANAGE_USERS)):
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.api_token")
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
