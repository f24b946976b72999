"""Password hashing (Argon2id) and secret-token helpers."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST, RFC_9106_LOW_MEMORY

_hasher = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
# A real hash to verify against when the username is unknown, so timing does not reveal it.
_dummy_hash: str | None = None


def use_cheap_hashing() -> None:
    """Tests only: the cheapest Argon2 parameters, so hundreds of logins stay fast."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher.from_parameters(CHEAPEST)
    _dummy_hash = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def burn_time_for_unknown_user(password: str) -> None:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_hex(16))
    verify_password(_dummy_hash, password)


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """Only this digest of a session or token secret is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
