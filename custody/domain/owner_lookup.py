"""当事人查询 — what a holder or owner may learn about the items on their seizure list.

Only a coarse status per item and the agency responsible for it: no names, ID numbers, values,
locations, case titles or anything about other lists. Lookups are rate-limited per client address,
counting failures in a sliding window.

There is deliberately no limit per list number [DESIGN, issue 14]: it would let anyone who knows a
list number (they are sequential) lock its owner out with a few wrong guesses. The code's entropy
does that job instead: 16 characters from a 31-letter alphabet are 79 bits, so even a botnet of a
million addresses, each held to ``MAX_FAILURES`` per ``FAILURE_WINDOW``, would need ~10^14 years
on average. Lists printed before codes were lengthened keep their 8-character codes (~40 bits):
at the same rate still about 1,000 years.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from .enums import (
    CustodyState,
    DispositionKind,
    DispositionStatus,
    LabelledEnum,
    LocationState,
    register_labels,
)
from .i18n import N_

MAX_FAILURES = 5  # per client address ...
FAILURE_WINDOW = timedelta(minutes=15)  # ... within this sliding window


class OwnerStatus(LabelledEnum):
    AWAITING_STORAGE = "awaiting_storage"
    STORED = "stored"
    WITH_HOLDER = "with_holder"
    KEPT_EXTERNALLY = "kept_externally"
    IN_TRANSFER = "in_transfer"
    RETURNED = "returned"
    CONFISCATED = "confiscated"
    DESTROYED = "destroyed"
    HANDED_OVER = "handed_over"
    SOLD = "sold"


class LookupOutcome(LabelledEnum):
    SUCCESS = "success"
    FAILURE = "failure"  # unknown list number or wrong code (never told apart)
    LIMITED = "limited"  # refused by the rate limit


_DISPOSED = {
    DispositionKind.RETURN_TO_OWNER: OwnerStatus.RETURNED,
    DispositionKind.PRETRIAL_RETURN: OwnerStatus.RETURNED,
    DispositionKind.CONFISCATE: OwnerStatus.CONFISCATED,
    DispositionKind.DESTROY: OwnerStatus.DESTROYED,
    DispositionKind.HAND_OVER: OwnerStatus.HANDED_OVER,
    DispositionKind.EARLY_SALE: OwnerStatus.SOLD,
}


def owner_status(
    custody_state: CustodyState,
    location_state: LocationState,
    disposition_status: DispositionStatus,
    disposition_kind: DispositionKind | None,
) -> OwnerStatus:
    """The owner's view of an item. Check-outs and pending decisions are internal steps: an item
    checked out for appraisal, or with a disposal proposed, is still simply held."""
    if disposition_status is DispositionStatus.EXECUTED or location_state is LocationState.GONE:
        return (
            _DISPOSED.get(disposition_kind, OwnerStatus.HANDED_OVER)
            if disposition_kind
            else OwnerStatus.HANDED_OVER
        )
    if custody_state is CustodyState.IN_TRANSFER:
        return OwnerStatus.IN_TRANSFER
    return {
        LocationState.AWAITING_CHECK_IN: OwnerStatus.AWAITING_STORAGE,
        LocationState.IN_STORAGE: OwnerStatus.STORED,
        LocationState.CHECKED_OUT: OwnerStatus.STORED,
        LocationState.WITH_HOLDER: OwnerStatus.WITH_HOLDER,
        LocationState.EXTERNAL: OwnerStatus.KEPT_EXTERNALLY,
    }[location_state]


def shows_agency(status: OwnerStatus) -> bool:
    """Whether the owner is told which agency is responsible (while the item is held)."""
    return status in (
        OwnerStatus.AWAITING_STORAGE,
        OwnerStatus.STORED,
        OwnerStatus.WITH_HOLDER,
        OwnerStatus.KEPT_EXTERNALLY,
        OwnerStatus.IN_TRANSFER,
    )


def normalise_list_no(value: str | None) -> str:
    return (value or "").strip().upper()[:32]


def normalise_code(value: str | None) -> str:
    """Codes are read off paper: ignore spaces and dashes, and letter case."""
    return "".join(ch for ch in (value or "") if ch not in " -\u3000").upper()[:32]


CODE_LENGTH = 16
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read off paper


# [DESIGN] A victim's lookup number: a prefix no seizure-list number has, then the victim's id. Like a
# list number it is not secret; the code carries the entropy.
VICTIM_PREFIX = "BHR-"


def victim_lookup_no(victim_id: int) -> str:
    return f"{VICTIM_PREFIX}{victim_id:08d}"


def is_victim_lookup_no(number: str | None) -> bool:
    return normalise_list_no(number).startswith(VICTIM_PREFIX)


def format_code(code: str) -> str:
    """As printed: groups of four (``ABCD-EFGH-JKMN-PQRS``); typing it with or without dashes works."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def code_matches(given: str, stored: str) -> bool:
    return hmac.compare_digest(normalise_code(given).encode(), normalise_code(stored).encode())


def is_limited(failures_from_address: int) -> bool:
    return failures_from_address >= MAX_FAILURES


register_labels(
    [
        (OwnerStatus.AWAITING_STORAGE, N_("Seized, being taken into the custody centre")),
        (OwnerStatus.STORED, N_("Kept at the custody centre")),
        (OwnerStatus.WITH_HOLDER, N_("Registered and left in your keeping")),
        (OwnerStatus.KEPT_EXTERNALLY, N_("Kept outside the centre (bank, impound lot)")),
        (OwnerStatus.IN_TRANSFER, N_("Being handed over to another agency with the case")),
        (OwnerStatus.RETURNED, N_("Returned")),
        (OwnerStatus.CONFISCATED, N_("Confiscated to the state treasury")),
        (OwnerStatus.DESTROYED, N_("Destroyed")),
        (OwnerStatus.HANDED_OVER, N_("Handed to the competent authority")),
        (OwnerStatus.SOLD, N_("Sold before judgment; the proceeds are kept for the case")),
        (LookupOutcome.SUCCESS, N_("Success")),
        (LookupOutcome.FAILURE, N_("Failure")),
        (LookupOutcome.LIMITED, N_("Refused (too many attempts)")),
    ]
)
