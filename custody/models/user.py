"""Accounts, roles, browser login sessions and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custody.domain.enums import Role
from custody.orm import Base, str_enum, utcnow

from .agency import Agency


class User(Base):
    """A person using the system. Belongs to exactly one agency; roles are scoped to it."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_login_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when an administrator chose the password (new account, reset): the user must pick their
    # own at the next login before doing anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Second factor (TOTP, RFC 6238): the shared secret once enrolment was confirmed, and the last
    # time step whose code was accepted (a code is never accepted twice).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enrolled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    agency: Mapped[Agency] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # Set by the login loader: the LoginSession or ApiToken this request authenticated with. Not a
    # column; declared for the type checker only, so the ORM does not try to map it.
    if TYPE_CHECKING:
        current_credential: LoginSession | ApiToken | None
    else:
        current_credential = None

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    # -- Flask-Login protocol -------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        """The login-session secret, not the user id: revoking the session ends the login."""
        return getattr(self.current_credential, "cookie_secret", None)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    role: Mapped[Role] = mapped_column(str_enum(Role), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class LoginSession(Base):
    """One browser login. The cookie carries a random secret; only its SHA-256 is stored.

    Logging out or disabling the user sets ``revoked_at``, after which a copied cookie no
    longer authenticates (server-side session end).
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    origin_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    # When the user last proved who they are in this session (logging in with the second factor,
    # or confirming again): disposal approvals and exports of personal data need it to be recent.
    confirmed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    # The plain secret exists only in memory right after login or while loading a request.
    if TYPE_CHECKING:
        cookie_secret: str | None
    else:
        cookie_secret = None


class ApiToken(Base):
    """A bearer token for programs (scanners, smart cabinets, integrations)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class LoginThrottle(Base):
    """Lockout state of a username that has no account, kept exactly like an account's own
    (``failed_login_count``, ``locked_until``), so trying names never tells which ones exist."""

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_login_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]


class LoginFailure(Base):
    """One failed password check: counted per client address (throttling) and per trusted device
    (a device's own limit, see ``services.auth``). Old rows only matter inside the window."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    device: Mapped[str | None] = mapped_column(String(32), index=True)


class MfaRecoveryCode(Base):
    """A one-time code to log in without the authenticator (lost phone); only its SHA-256 is kept."""

    __tablename__ = "mfa_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
