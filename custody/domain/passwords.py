"""Password rules [DESIGN, after NIST SP 800-63B; issue 14]: 12–128 characters, not only white
space, not on the list of common passwords shipped below, and not easy to guess by zxcvbn's
estimate (dictionary words, names, keyboard walks, sequences, repeats, dates, the user's own names).
No composition rules (NIST advises against them). The same function serves the API, the pages and
the command line."""

from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

from .i18n import N_

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn score 3: "safely unguessable" (~10^10 guesses); Argon2 makes each guess slow on top.
MIN_SCORE = 3

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


def password_problems(
    password: str, username: str | None = None, other_inputs: Iterable[str] = ()
) -> list[str]:
    """Return the reasons ``password`` is refused (empty when acceptable). ``other_inputs`` are
    words the user's password must not be built from (display name, agency)."""
    problems: list[str] = []
    if not password.strip():
        problems.append(N_("Password must not be only spaces."))
        return problems
    if len(password) < MIN_LENGTH:
        problems.append(N_("Password must be at least 12 characters long."))
    if len(password) > MAX_LENGTH:
        problems.append(N_("Password must be at most 128 characters long."))
        return problems  # not worth estimating
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or lowered.strip() in COMMON_PASSWORDS:
        problems.append(N_("This password is too common; choose another."))
    if username and lowered == username.lower():
        problems.append(N_("Password must not be the same as the username."))
    if not problems:
        inputs = [word for word in (username, *other_inputs) if word]
        if zxcvbn(password, user_inputs=inputs)["score"] < MIN_SCORE:
            problems.append(
                N_(
                    "This password is easy to guess (common words, names, sequences, repeats or "
                    "dates); choose a longer or less predictable one, e.g. a few unrelated words."
                )
            )
    return problems
