"""Errors the domain and services raise; the API maps them to JSON problems, the web to pages.

``message`` is an English msgid marked with ``N_``; ``params`` fill its ``%(name)s`` slots after
translation. ``fields`` carries per-field messages for validation errors.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.code = code or type(self).__name__
        self.fields = fields or {}
        self.extra = extra or {}  # more structured detail for the API answer (e.g. per-row errors)
        self.params = params


class InvalidInput(DomainError):
    """The request is well-formed but its values break a rule (422)."""

    status = 422
    title = "Unprocessable input"


class AuthenticationRequired(DomainError):
    status = 401
    title = "Authentication required"


class PermissionDenied(DomainError):
    """The actor may not do this. ``code`` names the policy rule that refused it (403)."""

    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    """Unknown, or not visible to the actor's agency — the two are indistinguishable (404)."""

    status = 404
    title = "Not found"


class Conflict(DomainError):
    """The object's current state does not allow this (409)."""

    status = 409
    title = "Conflict"


class AccountUnavailable(DomainError):
    """The credentials are right but the account is locked or disabled (403)."""

    status = 403
    title = "Forbidden"


class TooManyAttempts(DomainError):
    """Refused by a rate limit before anything was checked (429)."""

    status = 429
    title = "Too many requests"


class ReauthenticationRequired(AuthenticationRequired):
    """A sensitive step needs the user to prove again who they are (401)."""


class RecordMissing(RuntimeError):
    """A row the schema guarantees is absent (a foreign key's target, a row written moments ago).

    Not a user error: it means the database was changed behind the application's back, so the
    request fails (500, logged) and its transaction is rolled back; ``verify-audit`` names the
    damage.
    """


def must_exist(value: T | None, what: str) -> T:
    """``value``, which the schema guarantees is present; :class:`RecordMissing` when it is not."""
    if value is None:
        raise RecordMissing(f"{what} is missing")
    return value
