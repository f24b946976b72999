"""Password rules [DESIGN, after NIST SP 800-63B]: length 8–128, no common passwords."""

from __future__ import annotations

from .i18n import N_

MIN_LENGTH = 8
MAX_LENGTH = 128

# A short list of the passwords most often seen in breaches, including common Chinese choices.
COMMON_PASSWORDS = frozenset(
    [
        "12345678",
        "123456789",
        "1234567890",
        "11111111",
        "00000000",
        "88888888",
        "66666666",
        "87654321",
        "12341234",
        "password",
        "password1",
        "password123",
        "passw0rd",
        "p@ssw0rd",
        "qwerty123",
        "qwertyuiop",
        "1qaz2wsx",
        "1q2w3e4r",
        "1qaz2wsx3edc",
        "zaq12wsx",
        "abc12345",
        "abcd1234",
        "a1234567",
        "a12345678",
        "aa123456",
        "admin123",
        "admin1234",
        "administrator",
        "iloveyou",
        "sunshine",
        "welcome1",
        "letmein1",
        "football",
        "baseball",
        "superman",
        "trustno1",
        "woaini1314",
        "woaini520",
        "5201314520",
        "13141314",
        "147258369",
        "123123123",
        "11223344",
        "12344321",
        "asdfghjk",
        "asdf1234",
        "zxcvbnm1",
        "qazwsxedc",
        "q1w2e3r4",
        "changeme",
        "default1",
        "custody123",
        "police123",
        "shanghai",
    ]
)


def password_problems(password: str, username: str | None = None) -> list[str]:
    """Return the reasons ``password`` is refused (empty when acceptable)."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(N_("Password must be at least 8 characters long."))
    if len(password) > MAX_LENGTH:
        problems.append(N_("Password must be at most 128 characters long."))
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        problems.append(N_("This password is too common; choose another."))
    if username and lowered == username.lower():
        problems.append(N_("Password must not be the same as the username."))
    return problems
