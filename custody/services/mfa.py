"""Second factor [DESIGN, issue 14]: TOTP (RFC 6238, pyotp) with one-time recovery codes.

Who needs it is configuration (``CUSTODY_MFA_ROLES``: roles, or ``all``; administrators and
approvers by default — production refuses less). Anyone may enrol voluntarily. A user who needs it
and has not enrolled enrols at the next login, before anything else.

- A code is accepted for the current 30-second step and one step either side (clock drift), and
  never twice: the last accepted step is kept, so an observed code cannot be replayed.
- Ten recovery codes are issued at enrolment (shown once; only their SHA-256 is stored); each works
  once instead of a TOTP code (lost phone). New ones replace all old ones.
- Wrong codes count towards the account's login lockout like wrong passwords.
- An administrator can remove a user's second factor (new phone): the user enrols again at the next
  login. Every step is a security event; no secret or code is ever recorded.

``confirm_identity`` is the re-authentication before sensitive steps (approving a disposal,
exporting personal data): a current code, or the password for users without a second factor.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

import pyotp
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from custody.audit.recorder import record_event
from custody.domain.actor import Actor, Origin
from custody.domain.enums import EventCategory, Outcome, Role
from custody.domain.errors import Conflict, InvalidInput
from custody.domain.i18n import N_
from custody.domain.owner_lookup import CODE_ALPHABET
from custody.domain.policy import Action, require
from custody.models.user import MfaRecoveryCode, User
from custody.orm import utcnow
from custody.security import secret_hash, verify_password

from .context import actor_for, get_or_404

ISSUER = "涉案财物管理"
STEP_SECONDS = 30
RECOVERY_CODES = 10
RECOVERY_CODE_LENGTH = 10  # from a 31-letter alphabet: ~50 bits each


def required_roles(setting: str | Iterable[str] | None) -> frozenset[Role]:
    """``CUSTODY_MFA_ROLES`` as roles: a comma-separated list, ``all``, or empty for none."""
    if setting is None:
        return frozenset({Role.ADMIN, Role.APPROVER})
    names = [n.strip().lower() for n in (setting.split(",") if isinstance(setting, str) else setting)]
    if "all" in names:
        return frozenset(Role)
    return frozenset(Role(n) for n in names if n)


def is_required(user: User, roles: frozenset[Role]) -> bool:
    return bool(user.roles & roles)


def is_enrolled(user: User) -> bool:
    return user.totp_secret is not None


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def _step(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch not in " -\u3000").upper()


def _totp_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step ``code`` belongs to (now ±1), if it is valid and later than ``after``."""
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = _step(now)
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _security(
    session: Session, action: str, outcome: Outcome, actor: Actor, origin: Origin | None = None, **data
):
    return record_event(
        session,
        category=EventCategory.SECURITY,
        action=action,
        outcome=outcome,
        actor=actor,
        origin=origin or actor.origin,
        object_type="user",
        object_id=actor.user_id,
        data=data,
    )


def _issue_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(
        update(MfaRecoveryCode)
        .where(MfaRecoveryCode.user_id == user.id, MfaRecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    codes = [
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    for code in codes:
        session.add(MfaRecoveryCode(user_id=user.id, code_hash=secret_hash(code)))
    session.flush()
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def confirm_enrolment(
    session: Session, user: User, secret: str, code: str, origin: Origin, *, now: datetime | None = None
) -> list[str]:
    """The user's app shows the right code for ``secret``: enrol, and return the recovery codes
    (to show once)."""
    now = now or utcnow()
    actor = actor_for(user, origin)
    if is_enrolled(user):
        raise Conflict(N_("A second factor is already set up for this account."), code="mfa.already_enrolled")
    step = _totp_step(secret, _normalise(code), now, None)
    if step is None:
        raise InvalidInput(
            N_("That code is not right: check the time on your phone and type the current code."),
            fields={"code": [N_("Wrong code.")]},
        )
    user.totp_secret = secret
    user.totp_enrolled_at = now
    user.totp_last_step = step
    codes = _issue_recovery_codes(session, user)
    _security(session, "mfa.enrol", Outcome.SUCCESS, actor, origin)
    return codes


def record_failure(session: Session, user: User, action: str, origin: Origin) -> None:
    """A refused enrolment or recovery-code renewal (recorded after the view rolled back)."""
    _security(session, action, Outcome.FAILURE, actor_for(user, origin), origin, reason="wrong_code")


def check_code(session: Session, user: User, code: str, *, now: datetime | None = None) -> str | None:
    """Accept a TOTP code or an unused recovery code of ``user``: returns "totp" or "recovery_code"
    (and uses it up), or None. The caller records the outcome."""
    if not is_enrolled(user):
        return None
    now = now or utcnow()
    given = _normalise(code)
    assert user.totp_secret is not None
    # Under the user's row lock, so one code cannot be used by two requests at once.
    session.scalar(
        select(User)
        .where(User.id == user.id)
        .with_for_update(of=User)
        .execution_options(populate_existing=True)
    )
    step = _totp_step(user.totp_secret, given, now, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return "totp"
    if len(given) == RECOVERY_CODE_LENGTH:
        row = session.scalar(
            select(MfaRecoveryCode).where(
                MfaRecoveryCode.user_id == user.id,
                MfaRecoveryCode.code_hash == secret_hash(given),
                MfaRecoveryCode.used_at.is_(None),
            )
        )
        if row is not None:
            row.used_at = now
            return "recovery_code"
    return None


def remaining_recovery_codes(session: Session, user: User) -> int:
    return len(
        session.scalars(
            select(MfaRecoveryCode.id).where(
                MfaRecoveryCode.user_id == user.id, MfaRecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def confirm_identity(session: Session, user: User, secret: str, origin: Origin) -> bool:
    """Re-authentication: a current code (or a recovery code) for an enrolled user, else the
    password. Recorded either way."""
    actor = actor_for(user, origin)
    if is_enrolled(user):
        method = check_code(session, user, secret)
        ok = method is not None
    else:
        method, ok = "password", verify_password(user.password_hash, secret)
    _security(
        session,
        "reauthenticate",
        Outcome.SUCCESS if ok else Outcome.FAILURE,
        actor,
        origin,
        **({"method": method} if ok else {}),
    )
    return ok


def regenerate_recovery_codes(session: Session, user: User, code: str, origin: Origin) -> list[str]:
    actor = actor_for(user, origin)
    if check_code(session, user, code) is None:
        raise InvalidInput(N_("Wrong code."), fields={"code": [N_("Wrong code.")]})
    codes = _issue_recovery_codes(session, user)
    _security(session, "mfa.recovery_codes", Outcome.SUCCESS, actor, origin)
    return codes


def remove(session: Session, actor: Actor, user_id: int) -> User:
    """An administrator removes a user's second factor (lost or new phone); the user enrols again
    at the next login if their roles need one."""
    require(actor, Action.MANAGE_USERS)
    user = get_or_404(session, User, user_id)
    _clear(session, user)
    record_event(
        session,
        category=EventCategory.ADMIN,
        action="user.mfa_reset",
        actor=actor,
        object_type="user",
        object_id=user.id,
        data={},
    )
    return user


def _clear(session: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    session.execute(
        update(MfaRecoveryCode)
        .where(MfaRecoveryCode.user_id == user.id, MfaRecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )


def enrol_directly(session: Session, user: User, secret: str | None = None) -> str:
    """Set ``user``'s second factor without a confirming code — for the demo accounts made by
    ``flask custody seed-demo`` (whose secrets it prints) and nothing else."""
    user.totp_secret = secret or new_secret()
    user.totp_enrolled_at = utcnow()
    user.totp_last_step = None
    session.flush()
    return user.totp_secret
