"""Personal data: who sees it in full, and what everyone else sees (issue 14) [DESIGN §8].

Two functions, used by the API schemas, the pages, the exports and the printed forms alike:

- ``sees_personal_data(actor, *agency_ids)`` — the one rule for who sees a person's data in full:
  auditors, and users of the agency responsible for the record (an item's custodian; for a
  document about several items, the custodian of every one). Everyone else sees it masked.
- ``shown(field, value, full=...)`` — the value as the viewer may see it: unchanged when ``full``,
  else masked by the field's kind (``masked``). Lists mask for everyone (``masked`` directly).

Which values are personal data is data too (``PERSONAL_FIELDS``, ``PERSONAL_DETAILS``): the owner's
and the holder's name, ID number and contact, a bank or securities account's number and holder
name, the phone number of a seized phone, and people outside the system (recipients, witnesses).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from .actor import Actor
from .enums import Role


class Mask(StrEnum):
    """How a value is masked."""

    NAME = "name"  # 张三 → 张*, 欧阳娜娜 → 欧**娜
    NUMBER = "number"  # ID, account and phone numbers, contacts: first 3 and last 4 characters


# Personal data by field name, wherever the field appears.
PERSONAL_FIELDS: dict[str, Mask] = {
    "owner_name": Mask.NAME,
    "owner_id_no": Mask.NUMBER,
    "owner_contact": Mask.NUMBER,
    "holder_name": Mask.NAME,
    "holder_id_no": Mask.NUMBER,
    "holder_contact": Mask.NUMBER,
    # a freeze's account (and the same keys in an item's category details, below)
    "account_no": Mask.NUMBER,
    "account_name": Mask.NAME,
    # people outside the system: a disposal's recipient, an external destruction witness
    "person_name": Mask.NAME,
    "person_id_no": Mask.NUMBER,
    "person_contact": Mask.NUMBER,
}

# Personal data inside an item's category details (``domain.items.CATEGORY_FIELDS``).
PERSONAL_DETAILS: dict[str, Mask] = {
    "account_no": Mask.NUMBER,  # bank account, securities account
    "account_name": Mask.NAME,  # the account holder's name
    "phone_number": Mask.NUMBER,  # the number of a seized phone
}


def sees_personal_data(actor: Actor, *agency_ids: int | None, shared: bool = False) -> bool:
    """Whether ``actor`` sees personal data in full on a record the agencies ``agency_ids`` are
    responsible for: auditors always; otherwise a user with a custody role of an agency that is
    every one of them (a document about several items: the custodian of each) — or, with
    ``shared``, any one of them (data the agencies hold jointly, e.g. a case's victims: the
    agency handling the case and those holding its money). Administrators see no case data."""
    if actor.has_role(Role.AUDITOR):
        return True
    if not actor.roles - {Role.ADMIN}:
        return False
    if shared:
        return actor.agency_id in agency_ids
    return bool(agency_ids) and all(agency_id == actor.agency_id for agency_id in agency_ids)


def mask_name(value: str | None) -> str | None:
    """A name: its first and last characters (张三 → 张*, 欧阳娜娜 → 欧**娜)."""
    if not value:
        return value
    if len(value) <= 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_number(value: str | None) -> str | None:
    """An ID, account or phone number or a contact: the first 3 and last 4 characters."""
    if not value:
        return value
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


_MASKS = {Mask.NAME: mask_name, Mask.NUMBER: mask_number}


def masked(field: str, value: Any) -> Any:
    """``value`` of ``field`` as someone who may not see it in full sees it. ``details`` (an item's
    category details) keeps its other keys; fields that are not personal data are unchanged."""
    if field == "details" and isinstance(value, Mapping):
        return {
            key: _MASKS[PERSONAL_DETAILS[key]](item)
            if key in PERSONAL_DETAILS and isinstance(item, str)
            else item
            for key, item in value.items()
        }
    kind = PERSONAL_FIELDS.get(field)
    if kind is None or not isinstance(value, str):
        return value
    return _MASKS[kind](value)


def shown(field: str, value: Any, *, full: bool) -> Any:
    """``value`` of ``field`` as the viewer may see it: in full when ``full``
    (``sees_personal_data``), else ``masked``."""
    return value if full else masked(field, value)


def is_personal(field: str) -> bool:
    return field in PERSONAL_FIELDS or field == "details"
