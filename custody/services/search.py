"""The search box: one rule for every ``q`` that becomes a LIKE pattern.

What a user types is looked for as literal text anywhere in the columns, ignoring case: ``%`` and
``_`` (LIKE's wildcards) and the escape character itself are escaped, so ``100%`` finds "100%"
and not every value starting with "100", and ``_`` finds an underscore, not any one character.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_


def contains_text(q: str | None, *columns: Any) -> ColumnElement[bool] | None:
    """``q`` as literal text in any of ``columns`` (case-insensitive); None for an empty search."""
    text = (q or "").strip()
    if not text:
        return None
    # autoescape: SQLAlchemy escapes %, _ and its escape character "/" in the bound value and adds
    # ESCAPE '/' to each LIKE — the same on SQLite and PostgreSQL.
    return or_(*(column.icontains(text, autoescape=True) for column in columns))
