"""Input text hygiene: control characters never enter the record.

Pasting from spreadsheets and scanners brings vertical tabs, NULs and the like; bidi overrides can
make a label read differently from what is stored; a lone surrogate cannot even be encoded as UTF-8. They are removed from every form field, query
argument and API string on the way in (tab, newline and carriage return stay), so stored text is
printable, exports (XLSX refuses such characters) and PDFs work, and PostgreSQL never sees a NUL.
"""

from __future__ import annotations

import re
from typing import Any

_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


def clean_text(value: str) -> str:
    return _UNWANTED.sub("", value)


def clean_data(value: Any) -> Any:
    """Clean every string inside a JSON-like value."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_data(k): clean_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_data(v) for v in value]
    return value


def nesting_depth(value: Any, limit: int) -> int:
    """How deeply lists and objects nest in a JSON-like value, counted without recursion and
    stopping once past ``limit`` (so a hostile body cannot exhaust the stack here)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if not isinstance(current, dict | list):
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        children = current.values() if isinstance(current, dict) else current
        stack.extend((child, depth + 1) for child in children)
    return deepest


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: Any) -> Any:
    """A cell value safe to hand to Excel: no control characters, and text that would start a
    formula (= + - @) is prefixed with an apostrophe so it stays text (CSV/formula injection)."""
    if not isinstance(value, str):
        return value
    value = clean_text(value)
    return "'" + value if value.startswith(_FORMULA_START) else value
