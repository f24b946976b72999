"""Small helpers shared by the HTML views."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash
from flask_wtf import FlaskForm

from custody.domain.errors import DomainError
from custody.errors import translate


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths are followed after login (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def show_domain_error(form: FlaskForm | None, error: DomainError) -> None:
    """Put a service's refusal next to the fields it concerns, or at the top of the page."""
    placed = False
    if form is not None:
        for name, messages in error.fields.items():
            field = getattr(form, name, None)
            if field is not None:
                field.errors = [*field.errors, *(translate(m) for m in messages)]
                placed = True
    if not placed:
        flash(translate(error.message, error.params), "error")
