"""Deployment settings the services read (e.g. the deadline grace periods, docs/DEADLINES.md).

Services import no Flask: the application installs a reader of its configuration at start
(``custody.create_app``); without one (a script, a pure unit test) every setting has its default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_reader: Callable[[str, Any], Any] | None = None


def install(reader: Callable[[str, Any], Any] | None) -> None:
    """Read settings through ``reader(name, default)`` from now on (None: defaults only)."""
    global _reader
    _reader = reader


def get(name: str, default: Any) -> Any:
    return default if _reader is None else _reader(name, default)
