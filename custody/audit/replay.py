"""Replaying the audit record into the live state it implies (docs/LEDGER.md §9.1).

Every change to an item, a case, a transfer, a check-out, a disposal, a freeze or a correction is
recorded as an event in the same transaction. Folding those events in log order therefore gives
what each row must hold now: ``Replay`` does that fold, ``compare`` holds a row against it. The
database verification (``verification.verify_ledger``: every record) and the item check
(``verification.verify_item`` and the item page) both use this module, so they cannot disagree.

Pure: no database, no Flask. Events come as their hashed entries (``canonical.build_entry``), rows
as mappings of column values. Expected values are kept in their JSON form (as recorded); a field
whose history does not say what it holds — an event recorded before the field was part of the
payload — is ``UNKNOWN`` and is not compared (never guessed), until a later event sets it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .canonical import PLAIN_TYPES, jsonable, legacy_digest, salted_digest


class _Unknown(enum.Enum):
    UNKNOWN = "unknown"

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown.UNKNOWN

ITEM, CASE, TRANSFER, CHECKOUT, DISPOSITION, FREEZE, CORRECTION = (
    "item",
    "case",
    "transfer",
    "checkout",
    "disposition",
    "freeze",
    "correction",
)
MONEY_LEDGER, MONEY_MOVEMENT = "money_ledger", "money_movement"
KINDS = (ITEM, CASE, TRANSFER, CHECKOUT, DISPOSITION, FREEZE, CORRECTION, MONEY_LEDGER, MONEY_MOVEMENT)

PERSONAL_FIELDS = ("owner_name", "owner_id_no", "owner_contact")
OWNER = "owner"  # the three personal fields together, as the registration's digest commits to them

# The item's four dimensions, as ``services.item_events.item_snapshot`` records them in before/after.
SNAPSHOT_FIELDS = (
    "measure",
    "custodian_agency_id",
    "custody_state",
    "location_state",
    "storage_location_id",
    "external_kind",
    "external_place",
    "disposition_status",
    "disposition_kind",
)
# Registration fields (``services.item_events.registration_data``); corrections change some of them.
REGISTRATION_FIELDS = (
    "label_code",
    "name",
    "category",
    "quantity",
    "unit",
    "features",
    "specification",
    "condition_at_seizure",
    "source",
    "is_perishable",
    "estimated_value_fen",
    "details",
    "measure_doc_no",
    "measure_date",
    "seized_at",
    "ownership_clear",
    "external_contact",
    "source_item_id",
)
# Every column of an item row the history determines (and ``compare`` checks), in report order.
ITEM_FIELDS = (
    "case_id",
    *SNAPSHOT_FIELDS,
    "external_contact",
    "condition",
    "checked_in_at",
    "flag_reason",
    *(name for name in REGISTRATION_FIELDS if name != "external_contact"),
    *PERSONAL_FIELDS,
)
CASE_FIELDS = (
    "title",
    "origin",
    "filed_on",
    "referring_body",
    "stage",
    "handling_agency_id",
    "police_agency_id",
    "police_case_no",
    "procuratorate_agency_id",
    "procuratorate_case_no",
    "court_agency_id",
    "court_case_no",
    "appeal_court_agency_id",
    "appeal_case_no",
    "supplementary_rounds",
    "merged_into_id",
)
# Case columns recorded in the before/after of ``case.receive`` (services/transfers.py).
CASE_RECEIVE_FIELDS = (
    "stage",
    "handling_agency_id",
    "police_agency_id",
    "police_case_no",
    "procuratorate_agency_id",
    "procuratorate_case_no",
    "court_agency_id",
    "court_case_no",
    "appeal_court_agency_id",
    "appeal_case_no",
)
TRANSFER_FIELDS = ("transfer_no", "case_id", "kind", "from_agency_id", "to_agency_id", "status")
CHECKOUT_FIELDS = ("checkout_no", "case_id", "custodian_agency_id", "purpose", "status", "due_at")
DISPOSITION_FIELDS = (
    "disposition_no",
    "case_id",
    "custodian_agency_id",
    "kind",
    "ground",
    "legal_basis",
    "status",
    "receipt_no",
    "lot_proceeds_fen",
    "lot_auction_ref",
    "lot_split",
    "refund_doc_no",
)
FREEZE_FIELDS = (
    "item_id",
    "asset_type",
    "institution",
    "amount_fen",
    "notice_doc_no",
    "start_on",
    "period_months",
    "expires_on",
    "queue_position",
    "status",
    "release_doc_no",
)
CORRECTION_FIELDS = ("item_id", "field", "status")
# A case's money (services/money.py): each movement's event records its complete after-state.
MONEY_LEDGER_FIELDS = ("case_id", "account_id", "custodian_agency_id")
MONEY_MOVEMENT_FIELDS = (
    "ledger_id",
    "seq",
    "kind",
    "delta_fen",
    "balance_before_fen",
    "balance_after_fen",
    "case_id",
    "custodian_agency_id",
    "from_agency_id",
    "value_date",
    "bank",
    "counterparty_account",
    "reference",
    "item_id",
    "disposition_id",
    "transfer_id",
    "plan_line_id",
)
FIELDS: dict[str, tuple[str, ...]] = {
    ITEM: ITEM_FIELDS,
    CASE: CASE_FIELDS,
    TRANSFER: TRANSFER_FIELDS,
    CHECKOUT: CHECKOUT_FIELDS,
    DISPOSITION: DISPOSITION_FIELDS,
    FREEZE: FREEZE_FIELDS,
    CORRECTION: CORRECTION_FIELDS,
    MONEY_LEDGER: MONEY_LEDGER_FIELDS,
    MONEY_MOVEMENT: MONEY_MOVEMENT_FIELDS,
}
# The lines of a workflow record: (line table's name for the report, what each line holds).
LINE_LABELS = {TRANSFER: "decision", CHECKOUT: "returned", DISPOSITION: "proceeds_fen"}

# What a case's opening agency kind numbers (services/cases._OPENING_NUMBER).
_OPENING_NUMBER = {
    "police": ("police_case_no", "police_agency_id"),
    "procuratorate": ("procuratorate_case_no", "procuratorate_agency_id"),
    "court": ("court_case_no", "court_agency_id"),
}


@dataclass
class Record:
    """What the history says one row holds."""

    kind: str
    id: int
    fields: dict[str, Any]
    events: int = 0
    first_event_id: int | None = None
    # Workflow records: item id → what the line holds (transfer decision, check-out returned, ...).
    lines: dict[int, Any] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Mismatch:
    """A field of a row that is not what its history says (``line`` set for a line of a record)."""

    kind: str
    id: int
    field: str
    expected: Any
    found: Any
    line: int | None = None
    personal: bool = False  # the values are personal data: never shown


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


# Each record starts with every field unknown (a copy of these: faster than building it, issue 15).
_UNKNOWN_FIELDS = {kind: dict.fromkeys(names, UNKNOWN) for kind, names in FIELDS.items()}


class Replay:
    """The fold of events (in log order) into the expected state of every record they touch."""

    def __init__(self) -> None:
        self.records: dict[str, dict[int, Record]] = {kind: {} for kind in KINDS}

    # -- records --------------------------------------------------------------------------------

    def record(self, kind: str, record_id: int, event_id: int | None) -> Record:
        records = self.records[kind]
        found = records.get(record_id)
        if found is None:
            found = records[record_id] = Record(
                kind, record_id, _UNKNOWN_FIELDS[kind].copy(), first_event_id=event_id
            )
        found.events += 1
        return found

    def get(self, kind: str, record_id: int) -> Record | None:
        return self.records[kind].get(record_id)

    # -- the fold -------------------------------------------------------------------------------

    def add(self, entry: Mapping[str, Any], event_id: int | None = None) -> None:
        """Fold one event (its hashed entry). Security and administration events change no record."""
        if entry.get("outcome") != "success" or entry.get("category") not in _FOLDED:
            return
        data = entry.get("data")
        if type(data) is not dict:
            data = data if isinstance(data, dict) else {}
        action = entry.get("action")
        if "movement_id" in data and isinstance(action, str) and action.startswith("money."):
            _money_movement(self, entry, data, event_id)
        item_id = entry.get("item_id")
        if type(item_id) is not int:  # _id's usual case first
            item_id = _id(item_id)
        if item_id is not None:
            item = self.records[ITEM].get(item_id)
            if item is None:
                item = self.record(ITEM, item_id, event_id)
            else:  # self.record, inlined for an item seen before
                item.events += 1
            case_id = entry.get("case_id")
            item.fields["case_id"] = case_id if type(case_id) is int else _id(case_id)
            handler = _ITEM_HANDLERS.get(action)  # type: ignore[arg-type]
            if handler is not None:
                handler(self, item, entry, data, event_id)
            after = data.get("after")
            if after is not None:
                _apply_after(item, after)
            return
        if entry.get("object_type") == "case" or action in _CASE_HANDLERS:
            case_handler = _CASE_HANDLERS.get(action)  # type: ignore[arg-type]
            case_id = _id(entry.get("case_id"))
            if case_id is None:
                return
            case = self.record(CASE, case_id, event_id)
            if case_handler is not None:
                case_handler(self, case, entry, data, event_id)


_FOLDED = ("custody", "case")  # the categories whose successful events are folded


# -- item events ----------------------------------------------------------------------------------


def _apply_after(item: Record, after: Any) -> None:
    """The after-state an event recorded: snapshot fields, a corrected field, a condition."""
    if not isinstance(after, dict):
        return
    fields = item.fields
    for name, value in after.items():
        if name in PERSONAL_FIELDS:
            # A correction: the value itself only as {"sha256": salted digest}, or null.
            if isinstance(value, dict) and isinstance(value.get("sha256"), str):
                fields[name] = ("sha256", value["sha256"])
            elif value is None:
                fields[name] = ("value", None)
            else:
                fields[name] = UNKNOWN
            fields[OWNER] = UNKNOWN  # the registration's joint digest no longer describes the row
        elif name in fields:
            fields[name] = value


def _register(replay: Replay, item: Record, entry: Mapping[str, Any], data: dict[str, Any], _e: Any) -> None:
    fields = item.fields
    proceeds = "source_item_ids" in data  # an early sale's proceeds entry (services/dispositions.py)
    for name in REGISTRATION_FIELDS:
        if name in data:
            fields[name] = data[name]
    # Registrations recorded before every field was in the payload: what they did not record is
    # known only where registration never varies.
    if "seized_at" not in data and not proceeds:
        fields["seized_at"] = entry.get("occurred_at")  # register_item records at the seizure time
    if "source_item_id" not in data and not proceeds:
        fields["source_item_id"] = None
    if "external_contact" not in data and proceeds:
        fields["external_contact"] = None
    if proceeds and "quantity" not in data:
        fields["quantity"], fields["unit"] = "1", "笔"
    fields["condition"] = None
    fields["checked_in_at"] = None
    fields["flag_reason"] = None
    per_field = data.get("personal_data_fields_sha256")
    if isinstance(per_field, dict):
        for name in PERSONAL_FIELDS:
            digest = per_field.get(name)
            fields[name] = ("sha256", digest) if isinstance(digest, str) else UNKNOWN
    joint = data.get("personal_data_sha256")
    fields[OWNER] = ("sha256", joint) if isinstance(joint, str) else UNKNOWN


def _check_in(replay: Replay, item: Record, entry: Mapping[str, Any], data: dict[str, Any], _e: Any) -> None:
    fields = item.fields
    condition = data.get("condition")
    if isinstance(condition, str) and condition:
        fields["condition"] = condition.strip()
    fields["external_contact"] = None
    if fields["checked_in_at"] is None:
        fields["checked_in_at"] = entry.get("occurred_at")


def _external(replay: Replay, item: Record, entry: Mapping[str, Any], data: dict[str, Any], _e: Any) -> None:
    if "contact" in data:
        item.fields["external_contact"] = data["contact"]


def _return(
    replay: Replay, item: Record, entry: Mapping[str, Any], data: dict[str, Any], event_id: Any
) -> None:
    if "condition" in data:
        item.fields["condition"] = data["condition"]
    checkout = _workflow(replay, CHECKOUT, data.get("checkout_id"), event_id)
    if checkout is not None:
        checkout.lines[item.id] = True
        if checkout.lines and all(checkout.lines.values()):
            checkout.fields["status"] = "returned"


def _transfer_line(decision: str) -> Callable[..., None]:
    def handle(
        replay: Replay, item: Record, entry: Mapping[str, Any], data: dict[str, Any], event_id: Any
    ) -> None:
        transfer = _workflow(replay, TRANSFER, data.get("transfer_id"), event_id)
        if decision == "accepted":
            item.fields["flag_reason"] = None
        elif decision == "rejected":
            item.fields["flag_reason"] = entry.get("reason")
        if transfer is None:
            return
        transfer.lines[item.id] = decision
        if decision == "pending":
            fields = transfer.fields
            fields["case_id"] = _id(entry.get("case_id"))
            for name in ("transfer_no", "kind", "to_agency_id"):
                if name in data:
                    fields[name] = data[name]
            if fields["from_agency_id"] is UNKNOWN:
                # The sender is the custodian that offered the item (snapshot before this event).
                before = _dict(data.get("before"))
                custodian = before.get("custodian_agency_id", item.fields["custodian_agency_id"])
                fields["from_agency_id"] = custodian
        _transfer_status(transfer)

    return handle


def _checkout_step(status: str | None) -> Callable[..., None]:
    def handle(
        replay: Replay, item: Record, entry: Mapping[str, Any], data: dict[str, Any], event_id: Any
    ) -> None:
        checkout = _workflow(replay, CHECKOUT, data.get("checkout_id"), event_id)
        if checkout is None:
            return
        fields = checkout.fields
        if status == "requested":
            checkout.lines.setdefault(item.id, False)
            fields["case_id"] = _id(entry.get("case_id"))
            fields["custodian_agency_id"] = item.fields["custodian_agency_id"]
            for name in ("checkout_no", "purpose", "due_at"):
                if name in data:
                    fields[name] = data[name]
        if status is not None:
            fields["status"] = status
        if entry.get("action") == "checkout.extension_approve" and "due_at" in data:
            fields["due_at"] = data["due_at"]

    return handle


def _disposition_step(status: str | None) -> Callable[..., None]:
    def handle(
        replay: Replay, item: Record, entry: Mapping[str, Any], data: dict[str, Any], event_id: Any
    ) -> None:
        disposition = _workflow(replay, DISPOSITION, data.get("disposition_id"), event_id)
        if disposition is None:
            return
        fields = disposition.fields
        for name in ("disposition_no", "kind", "ground", "legal_basis"):
            if name in data:
                fields[name] = data[name]
        action = entry.get("action")
        if action == "disposition.propose":
            disposition.lines.setdefault(item.id, None)
            fields["case_id"] = _id(entry.get("case_id"))
            before = _dict(data.get("before"))
            fields["custodian_agency_id"] = before.get(
                "custodian_agency_id", item.fields["custodian_agency_id"]
            )
            fields["receipt_no"] = fields["lot_proceeds_fen"] = fields["refund_doc_no"] = None
            fields["lot_auction_ref"] = fields["lot_split"] = None
        elif action == "disposition.execute":
            fields["receipt_no"] = data.get("receipt_no", UNKNOWN)
            fields["lot_proceeds_fen"] = data.get("lot_proceeds_fen")
            lot = _dict(data.get("lot"))
            fields["lot_auction_ref"] = lot.get("auction_ref")
            fields["lot_split"] = lot.get("split")
            disposition.lines[item.id] = data.get("proceeds_fen")
        elif action == "disposition.refund":
            fields["refund_doc_no"] = data.get("refund_doc_no", UNKNOWN)
        if status is not None:
            fields["status"] = status

    return handle


def _freeze_step(status: str | None) -> Callable[..., None]:
    def handle(
        replay: Replay, item: Record, entry: Mapping[str, Any], data: dict[str, Any], event_id: Any
    ) -> None:
        freeze = _workflow(replay, FREEZE, data.get("freeze_id"), event_id)
        if freeze is None:
            return
        fields = freeze.fields
        action = entry.get("action")
        for name in ("asset_type", "institution", "amount_fen", "expires_on"):
            if name in data:
                fields[name] = data[name]
        if action in ("freeze.create", "freeze.queue"):
            fields["item_id"] = item.id
            for name in ("start_on", "period_months", "notice_doc_no", "queue_position"):
                fields[name] = data.get(name, UNKNOWN)
            fields["release_doc_no"] = None
        elif action == "freeze.activate":
            fields["start_on"] = data.get("start_on", UNKNOWN)
            fields["queue_position"] = None
        elif action == "freeze.release":
            fields["release_doc_no"] = data.get("doc_no", UNKNOWN)
        if status is not None:
            fields["status"] = status

    return handle


def _correction_step(status: str) -> Callable[..., None]:
    def handle(
        replay: Replay, item: Record, entry: Mapping[str, Any], data: dict[str, Any], event_id: Any
    ) -> None:
        correction = _workflow(replay, CORRECTION, data.get("correction_id"), event_id)
        if correction is None:
            return
        correction.fields["item_id"] = item.id
        if "field" in data:
            correction.fields["field"] = data["field"]
        correction.fields["status"] = status

    return handle


def _workflow(replay: Replay, kind: str, record_id: Any, event_id: Any) -> Record | None:
    number = _id(record_id)
    return None if number is None else replay.record(kind, number, event_id)


_ITEM_HANDLERS: dict[str, Callable[..., None]] = {
    "item.register": _register,
    "item.check_in": _check_in,
    "item.external": _external,
    "item.return": _return,
    "item.release": _checkout_step("released"),
    "transfer.propose": _transfer_line("pending"),
    "transfer.accept": _transfer_line("accepted"),
    "transfer.reject": _transfer_line("rejected"),
    "transfer.recall": _transfer_line("recalled"),
    "checkout.request": _checkout_step("requested"),
    "checkout.approve": _checkout_step("approved"),
    "checkout.reject": _checkout_step("rejected"),
    "checkout.cancel": _checkout_step("cancelled"),
    "checkout.extension_approve": _checkout_step(None),
    "disposition.propose": _disposition_step("proposed"),
    "disposition.approve": _disposition_step("approved"),
    "disposition.reject": _disposition_step("rejected"),
    "disposition.cancel": _disposition_step("cancelled"),
    "disposition.execute": _disposition_step("executed"),
    "disposition.refund": _disposition_step(None),
    "freeze.create": _freeze_step("active"),
    "freeze.queue": _freeze_step("queued"),
    "freeze.activate": _freeze_step("active"),
    "freeze.renew": _freeze_step(None),
    "freeze.release": _freeze_step("released"),
    "freeze.lapse": _freeze_step("lapsed"),
    "correction.propose": _correction_step("proposed"),
    "item.correct": _correction_step("approved"),
    "correction.reject": _correction_step("rejected"),
}


def _transfer_status(transfer: Record) -> None:
    """services/transfers: recalled, else from the lines' decisions (domain status_after), else —
    a transfer of the case file alone — completed once signed for."""
    fields = transfer.fields
    decisions = list(transfer.lines.values())
    if "recalled" in transfer.flags:
        fields["status"] = "recalled"
    elif not decisions:
        fields["status"] = "completed" if "received" in transfer.flags else "pending"
    elif all(d == "recalled" for d in decisions):
        fields["status"] = "recalled"
    else:
        pending = sum(d == "pending" for d in decisions)
        if pending == len(decisions):
            fields["status"] = "pending"
        else:
            fields["status"] = "completed" if pending == 0 else "partial"


# -- money ------------------------------------------------------------------------------------------


def _money_movement(replay: Replay, entry: Mapping[str, Any], data: dict[str, Any], event_id: Any) -> None:
    """A movement of a case's money (its item event and its case event carry the same after-state)."""
    movement = _workflow(replay, MONEY_MOVEMENT, data.get("movement_id"), event_id)
    if movement is None:
        return
    case_id = _id(entry.get("case_id"))
    for name in MONEY_MOVEMENT_FIELDS:
        if name in data:
            movement.fields[name] = data[name]
    movement.fields["case_id"] = case_id
    ledger = _workflow(replay, MONEY_LEDGER, data.get("ledger_id"), event_id)
    if ledger is not None:
        ledger.fields["case_id"] = case_id
        for name in ("account_id", "custodian_agency_id"):
            if name in data:
                ledger.fields[name] = data[name]


# -- case events ----------------------------------------------------------------------------------


def _actor(entry: Mapping[str, Any]) -> dict[str, Any]:
    actor = entry.get("actor")
    return actor if isinstance(actor, dict) else {}


def _case_open(replay: Replay, case: Record, entry: Mapping[str, Any], data: dict[str, Any], _e: Any) -> None:
    fields = case.fields
    actor = _actor(entry)
    for name in ("title", "filed_on", "stage"):
        fields[name] = data.get(name, UNKNOWN)
    fields["origin"] = data.get("origin", "police_filing")
    fields["referring_body"] = data.get("referring_body")
    for number, agency in _OPENING_NUMBER.values():
        fields[number] = fields[agency] = None
    fields["appeal_court_agency_id"] = fields["appeal_case_no"] = None
    opening = _OPENING_NUMBER.get(actor.get("agency_kind"))  # type: ignore[arg-type]
    if opening is None:
        for number, agency in _OPENING_NUMBER.values():
            fields[number] = fields[agency] = UNKNOWN
    else:
        fields[opening[0]] = data.get("case_no", data.get("police_case_no", UNKNOWN))
        fields[opening[1]] = actor.get("agency_id", UNKNOWN)
    fields["handling_agency_id"] = actor.get("agency_id", UNKNOWN)
    fields["supplementary_rounds"] = 0
    fields["merged_into_id"] = None


def _case_after(
    replay: Replay, case: Record, entry: Mapping[str, Any], data: dict[str, Any], _e: Any
) -> None:
    after = data.get("after")
    if isinstance(after, dict):
        for name, value in after.items():
            if name in case.fields:
                case.fields[name] = value


def _case_receive(
    replay: Replay, case: Record, entry: Mapping[str, Any], data: dict[str, Any], event_id: Any
) -> None:
    after = _dict(data.get("after"))
    for name in CASE_RECEIVE_FIELDS:
        # Recorded before the receiving agencies' ids were in the payload: not known since.
        case.fields[name] = after.get(name, UNKNOWN)
    if "supplementary_rounds" in data:
        case.fields["supplementary_rounds"] = data["supplementary_rounds"]
    transfer = _workflow(replay, TRANSFER, data.get("transfer_id"), event_id)
    if transfer is not None:
        transfer.flags.add("received")
        _transfer_status(transfer)


def _case_judgment(
    replay: Replay, case: Record, entry: Mapping[str, Any], data: dict[str, Any], e: Any
) -> None:
    after = _dict(data.get("after"))
    fields = case.fields
    if "handling_agency_id" not in after:
        # Recorded before the payload said: an appeal court's judgment sends the case back to the
        # first-instance court (services/milestones.record_judgment), which the replay may know.
        appeal, court = fields["appeal_court_agency_id"], fields["court_agency_id"]
        if appeal is UNKNOWN or court is UNKNOWN:
            fields["handling_agency_id"] = UNKNOWN
        elif appeal is not None and appeal == _actor(entry).get("agency_id") and court is not None:
            fields["handling_agency_id"] = court
    _case_after(replay, case, entry, data, e)


def _case_merged_into(
    replay: Replay, case: Record, entry: Mapping[str, Any], data: dict[str, Any], e: Any
) -> None:
    _case_after(replay, case, entry, data, e)
    case.fields["merged_into_id"] = data.get("into_case_id", UNKNOWN)


def _case_transfer(recall: bool) -> Callable[..., None]:
    def handle(
        replay: Replay, case: Record, entry: Mapping[str, Any], data: dict[str, Any], event_id: Any
    ) -> None:
        # The case-level event of a transfer (its items' events came first, in the same commit).
        transfer = _workflow(replay, TRANSFER, data.get("transfer_id"), event_id)
        if transfer is None:
            return
        fields = transfer.fields
        if recall:
            transfer.flags.add("recalled")
        else:
            fields["case_id"] = case.id
            for name in ("transfer_no", "kind", "to_agency_id"):
                if name in data:
                    fields[name] = data[name]
            fields["from_agency_id"] = data.get("from_agency_id", _actor(entry).get("agency_id", UNKNOWN))
        _transfer_status(transfer)

    return handle


_CASE_HANDLERS: dict[str, Callable[..., None]] = {
    "case.open": _case_open,
    "case.receive": _case_receive,
    "case.stage": _case_after,
    "case.close": _case_after,
    "case.judgment": _case_judgment,
    "case.merged_into": _case_merged_into,
    "transfer.propose": _case_transfer(recall=False),
    "transfer.recall": _case_transfer(recall=True),
}


# -- comparing a row with its history ------------------------------------------------------------


def _quantity(value: Any) -> Any:
    try:
        return format(Decimal(str(value)).normalize(), "f")
    except (InvalidOperation, ValueError):
        return value


_NORMALISE: dict[str, Callable[[Any], Any]] = {"quantity": _quantity}


def _same(name: str, expected: Any, found: Any) -> bool:
    kind = type(found)
    if kind is type(expected) and kind in PLAIN_TYPES and name not in _NORMALISE:
        return bool(expected == found)  # most fields: what the rest of this function concludes, sooner
    found = jsonable(found)
    normalise = _NORMALISE.get(name)
    if normalise is not None and expected is not None and found is not None:
        return bool(normalise(expected) == normalise(found))
    if isinstance(expected, bool) or isinstance(found, bool):
        return expected is found or (expected == found and type(expected) is type(found))
    return bool(expected == found)


def _digest_matches(salt: Any, value: Any, digest: str) -> bool:
    """The row's value against a recorded digest: salted with the row's salt, or (events recorded
    before migration 0006) unsalted."""
    if isinstance(salt, str) and len(salt) == 32 and salted_digest(salt, value) == digest:
        return True
    return legacy_digest(value) == digest


def _compare_personal(record: Record, row: Mapping[str, Any]) -> list[Mismatch]:
    fields = record.fields
    salt = row.get("personal_data_salt")
    found: list[Mismatch] = []
    per_field_known = all(fields[name] is not UNKNOWN for name in PERSONAL_FIELDS)
    for name in PERSONAL_FIELDS:
        expected = fields[name]
        if expected is UNKNOWN:
            continue
        how, value = expected
        ok = row.get(name) is None if how == "value" else _digest_matches(salt, row.get(name), value)
        if not ok:
            found.append(Mismatch(ITEM, record.id, name, None, None, personal=True))
    joint = fields.get(OWNER, UNKNOWN)
    if not per_field_known and joint is not UNKNOWN:
        values = [row.get(name) for name in PERSONAL_FIELDS]
        if not _digest_matches(salt, values, joint[1]):
            found.append(
                Mismatch(ITEM, record.id, "owner_name, owner_id_no, owner_contact", None, None, personal=True)
            )
    return found


def compare(record: Record, row: Mapping[str, Any]) -> list[Mismatch]:
    """Each field of ``row`` that differs from what ``record``'s history says (unknown fields skipped)."""
    found: list[Mismatch] = []
    for name in FIELDS[record.kind]:
        if name in PERSONAL_FIELDS:
            continue
        expected = record.fields.get(name, UNKNOWN)
        if expected is UNKNOWN or name not in row:
            continue
        if not _same(name, expected, row[name]):
            found.append(Mismatch(record.kind, record.id, name, expected, jsonable(row[name])))
    if record.kind == ITEM:
        found.extend(_compare_personal(record, row))
    return found


def compare_lines(record: Record, rows: Iterable[tuple[int, Any]]) -> list[Mismatch]:
    """The lines of a workflow record (item id, what it holds) against its history: a line added,
    removed, or holding something else."""
    label = LINE_LABELS.get(record.kind)
    if label is None:
        return []
    found: list[Mismatch] = []
    stored = dict(rows)
    for item_id in sorted(set(stored) | set(record.lines)):
        if item_id not in record.lines:
            found.append(Mismatch(record.kind, record.id, "lines", "absent", "present", line=item_id))
        elif item_id not in stored:
            found.append(Mismatch(record.kind, record.id, "lines", "present", "absent", line=item_id))
        else:
            expected, value = record.lines[item_id], jsonable(stored[item_id])
            if record.kind == DISPOSITION and expected is None:
                continue  # proceeds are recorded only when an early sale is executed
            if expected != value:
                found.append(Mismatch(record.kind, record.id, label, expected, value, line=item_id))
    return found


def replay_events(entries: Iterable[tuple[int | None, Mapping[str, Any]]]) -> Replay:
    """Fold ``(event id, entry)`` pairs in log order."""
    replay = Replay()
    for event_id, entry in entries:
        replay.add(entry, event_id)
    return replay
