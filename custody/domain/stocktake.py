"""盘点 — stocktake: reconcile what the books say is on the shelves with what the keeper scans.

The books: items whose storage location lies in the counted subtree and that are in storage or
checked out (a checked-out item keeps its storage location: it comes back there). A scan is judged
against the item's record *at the moment of the scan*; what was never scanned is judged against
the record *when the stocktake is finished* — so check-ins, check-outs and moves recorded during
the count are accounted for, not reported as discrepancies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .enums import LabelledEnum, LocationState, register_labels
from .errors import Conflict, InvalidInput
from .i18n import N_

MAX_REASON_LENGTH = 500


class StocktakeStatus(LabelledEnum):
    OPEN = "open"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class StocktakeResult(LabelledEnum):
    PENDING = "pending"  # expected, not scanned yet
    VERIFIED = "verified"  # found where the books say
    MISSING = "missing"  # the books say it is here; nobody found it
    UNEXPECTED = "unexpected"  # found, but the books do not have it in storage (or the label is unknown)
    CHECKED_OUT = "checked_out"  # not on the shelf, and recorded as checked out: accounted for
    WRONG_LOCATION = "wrong_location"  # found, but recorded at another storage location
    MOVED_OUT = "moved_out"  # left the counted area by a recorded step during the count: accounted for


DISCREPANCIES = frozenset(
    {StocktakeResult.MISSING, StocktakeResult.UNEXPECTED, StocktakeResult.WRONG_LOCATION}
)
ACCOUNTED_FOR = frozenset({StocktakeResult.VERIFIED, StocktakeResult.CHECKED_OUT, StocktakeResult.MOVED_OUT})
# Report order.
RESULT_ORDER = (
    StocktakeResult.VERIFIED,
    StocktakeResult.CHECKED_OUT,
    StocktakeResult.MOVED_OUT,
    StocktakeResult.MISSING,
    StocktakeResult.WRONG_LOCATION,
    StocktakeResult.UNEXPECTED,
    StocktakeResult.PENDING,
)


class DiscrepancyStatus(LabelledEnum):
    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class ItemRecord:
    """What the books say about an item now."""

    location_state: LocationState
    storage_location_id: int | None


def on_books(record: ItemRecord, subtree: frozenset[int]) -> bool:
    """Whether the books place the item on the counted shelves (in storage or out on check-out)."""
    return record.storage_location_id in subtree and record.location_state in (
        LocationState.IN_STORAGE,
        LocationState.CHECKED_OUT,
    )


def in_centre(record: ItemRecord, centre_locations: Iterable[int]) -> bool:
    """Whether the item's recorded storage location belongs to the stocktake's custody centre: it is
    then on the centre's books, wherever in the centre and whichever agency holds it, so a scan names
    it and judges it like any other (a misplaced item reads *wrong location*, for its custodian to
    resolve). Items kept outside or elsewhere have no storage location here."""
    return record.storage_location_id is not None and record.storage_location_id in set(centre_locations)


def initial_result(record: ItemRecord) -> StocktakeResult:
    return (
        StocktakeResult.CHECKED_OUT
        if record.location_state is LocationState.CHECKED_OUT
        else StocktakeResult.PENDING
    )


def classify_scan(
    record: ItemRecord | None, found_location_id: int | None, found_ancestry: Iterable[int] = ()
) -> StocktakeResult:
    """Judge one scan.

    ``found_location_id`` is where the keeper says they are counting (None: somewhere in the counted
    area); ``found_ancestry`` are the locations *containing* the item's recorded location, itself
    included — scanning at a room or shelf that contains the recorded bin verifies the item.
    """
    if record is None or record.location_state is not LocationState.IN_STORAGE:
        return StocktakeResult.UNEXPECTED
    if found_location_id is None or found_location_id in set(found_ancestry):
        return StocktakeResult.VERIFIED
    return StocktakeResult.WRONG_LOCATION


def result_at_finish(record: ItemRecord | None, subtree: frozenset[int]) -> StocktakeResult:
    """An expected line nobody scanned, judged by the record when the count ends."""
    if record is None or not on_books(record, subtree):
        return StocktakeResult.MOVED_OUT
    if record.location_state is LocationState.CHECKED_OUT:
        return StocktakeResult.CHECKED_OUT
    return StocktakeResult.MISSING


def ensure_open(status: StocktakeStatus) -> None:
    if status is not StocktakeStatus.OPEN:
        raise Conflict(N_("The stocktake is finished; start a new one."), code="stocktake.not_open")


def check_label(label: str | None) -> str:
    label = (label or "").strip().upper()
    if not label:
        raise InvalidInput(N_("Scan or type a label code."), fields={"label_code": [N_("Required.")]})
    if len(label) > 32 or any(ch.isspace() for ch in label):
        raise InvalidInput(N_("Not a label code."), fields={"label_code": [N_("Not a label code.")]})
    return label


def check_resolution(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(N_("Give the reason for the resolution."), fields={"reason": [N_("Required.")]})
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(N_("The reason is too long."), fields={"reason": [N_("Too long.")]})
    return reason


register_labels(
    [
        (StocktakeStatus.OPEN, N_("In progress")),
        (StocktakeStatus.FINISHED, N_("Finished")),
        (StocktakeStatus.CANCELLED, N_("Cancelled")),
        (StocktakeResult.PENDING, N_("Not scanned yet")),
        (StocktakeResult.VERIFIED, N_("Verified")),
        (StocktakeResult.MISSING, N_("Missing")),
        (StocktakeResult.UNEXPECTED, N_("Unexpected")),
        (StocktakeResult.CHECKED_OUT, N_("Checked out (accounted for)")),
        (StocktakeResult.WRONG_LOCATION, N_("Wrong location")),
        (StocktakeResult.MOVED_OUT, N_("Moved out during the count (recorded)")),
        (DiscrepancyStatus.OPEN, N_("Open")),
        (DiscrepancyStatus.RESOLVED, N_("Resolved")),
    ]
)
