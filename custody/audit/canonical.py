"""Canonical serialisation of audit events (format version 1).

An event is serialised as JSON with sorted keys, no insignificant whitespace, UTF-8, non-ASCII
characters kept as they are, timestamps as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC. Its hash is
the SHA-256 of those bytes, in lower-case hex. ``docs/LEDGER.md`` specifies the fields.

This module uses only the standard library so the stand-alone verifier can share it.
"""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

FORMAT_VERSION = 1
GENESIS_HASH = "0" * 64

# The fields that are hashed, in the order documented (the JSON itself is key-sorted).
HASHED_FIELDS = (
    "v",
    "category",
    "action",
    "outcome",
    "actor",
    "object_type",
    "object_id",
    "case_id",
    "item_id",
    "item_seq",
    "occurred_at",
    "recorded_at",
    "reason",
    "data",
    "origin",
    "prev_hash",
)


# The audit_event columns an entry is built from (``origin`` combines origin_ip and user_agent).
ENTRY_COLUMNS = (
    "category",
    "action",
    "outcome",
    "actor",
    "object_type",
    "object_id",
    "case_id",
    "item_id",
    "item_seq",
    "occurred_at",
    "recorded_at",
    "reason",
    "data",
    "origin_ip",
    "user_agent",
    "prev_hash",
)


def build_entry(
    *,
    category: Any,
    action: str,
    outcome: Any,
    actor: dict[str, Any] | None,
    object_type: str | None,
    object_id: str | None,
    case_id: int | None,
    item_id: int | None,
    item_seq: int | None,
    occurred_at: datetime,
    recorded_at: datetime,
    reason: str | None,
    data: dict[str, Any],
    origin_ip: str | None,
    user_agent: str | None,
    prev_hash: str | None,
) -> dict[str, Any]:
    """The hashed fields of one event from its stored column values (enums or their values)."""
    return {
        "v": FORMAT_VERSION,
        "category": getattr(category, "value", category),
        "action": action,
        "outcome": getattr(outcome, "value", outcome),
        "actor": actor,
        "object_type": object_type,
        "object_id": object_id,
        "case_id": case_id,
        "item_id": item_id,
        "item_seq": item_seq,
        "occurred_at": format_timestamp(occurred_at),
        "recorded_at": format_timestamp(recorded_at),
        "reason": reason,
        "data": data,
        "origin": {"ip": origin_ip, "user_agent": user_agent},
        "prev_hash": prev_hash,
    }


def format_timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ``json.dumps`` with these options builds a new encoder on every call; one shared encoder writes the
# same bytes (it keeps no state between calls) for less than half the cost (issue 15: verify-audit).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_bytes(entry: dict[str, Any]) -> bytes:
    """The exact bytes that are hashed for ``entry`` (a dict of the hashed fields)."""
    return _CANONICAL.encode(entry).encode("utf-8")


def entry_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(entry)).hexdigest()


# The values ``jsonable`` gives back as they are (exact types: an enum member is not plain text).
PLAIN_TYPES = frozenset((str, int, bool, type(None)))


def jsonable(value: Any) -> Any:
    """Convert a value to the JSON form it is stored and hashed in (no floats for money)."""
    if type(value) in PLAIN_TYPES:  # most values, first
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 2.000 → "2", 2.50 → "2.5": one spelling per number
    return value


def salted_digest(salt: str, value: Any) -> str:
    """A salted commitment to personal data: ``SHA-256(salt || canonical JSON of value)`` in hex
    (docs/LEDGER.md §5.6; the salt is the item's ``personal_data_salt``, 32 hex digits)."""
    if not isinstance(salt, str) or len(salt) != 32:  # never fall back to an unsalted digest
        raise ValueError("a personal-data salt is 32 hex digits")
    return hashlib.sha256(salt.encode("ascii") + canonical_bytes(jsonable(value))).hexdigest()


def legacy_digest(value: Any) -> str:
    """The unsalted digest of events recorded before migration 0006 (docs/LEDGER.md §5.6)."""
    return hashlib.sha256(json.dumps(jsonable(value), ensure_ascii=False).encode("utf-8")).hexdigest()
