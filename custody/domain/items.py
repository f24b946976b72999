"""Items: registration rules, category-specific fields, and the four dimensions' transitions.

The four dimensions (DESIGN §2) change independently; this module says which physical-location
and custody changes are allowed from which states. Everything here is pure: callers pass the
item's current values in and get a decision (or a ``DomainError``) back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from .clock import local_date
from .enums import (
    CustodyState,
    DispositionStatus,
    ExternalKind,
    ItemCategory,
    ItemStatus,
    LocationState,
    Measure,
    StorageHolds,
)
from .errors import Conflict, DomainError, InvalidInput
from .i18n import N_

# Bounds on amounts: 1,000 亿元 per item (in fen) keeps sums over whole centres inside 64 bits; the
# quantity column holds 14 digits with 3 decimals.
MAX_FEN = 10**13
MAX_QUANTITY = Decimal("99999999999.999")
EARLIEST_DATE = date(1949, 10, 1)  # nothing in these records predates the People's Republic

# How far in the past an event may be dated without a reason, and the clock skew tolerated.
BACKDATE_WITHOUT_REASON = timedelta(minutes=10)
CLOCK_SKEW = timedelta(minutes=2)
# A back-dated entry needs a real reason: this many letters or digits at least (a Chinese character
# counts as one), not punctuation alone, not one character repeated [DESIGN, issue 14].
MIN_BACKDATE_REASON = 4
# The steps a keeper may date earlier than now (with a reason): the storage events.
BACKDATABLE_ACTIONS = ("item.check_in", "item.move", "item.external", "item.condition")


@dataclass(frozen=True)
class ItemFacts:
    """The parts of an item's state that the transition rules look at."""

    custody_state: CustodyState
    location_state: LocationState
    disposition_status: DispositionStatus
    storage_location_id: int | None = None


def derive_status(facts: ItemFacts) -> ItemStatus:
    """One-word summary for lists, in priority order (a disposed item is just 'disposed')."""
    if facts.disposition_status is DispositionStatus.EXECUTED or facts.location_state is LocationState.GONE:
        return ItemStatus.DISPOSED
    if facts.custody_state is CustodyState.IN_TRANSFER:
        return ItemStatus.IN_TRANSFER
    if facts.disposition_status in (DispositionStatus.PROPOSED, DispositionStatus.APPROVED):
        return ItemStatus.DISPOSAL_PENDING
    return {
        LocationState.AWAITING_CHECK_IN: ItemStatus.AWAITING_CHECK_IN,
        LocationState.IN_STORAGE: ItemStatus.IN_STORAGE,
        LocationState.CHECKED_OUT: ItemStatus.CHECKED_OUT,
        LocationState.WITH_HOLDER: ItemStatus.WITH_HOLDER,
        LocationState.EXTERNAL: ItemStatus.EXTERNAL,
        LocationState.GONE: ItemStatus.DISPOSED,
    }[facts.location_state]


def ensure_not_disposed(facts: ItemFacts) -> None:
    if facts.disposition_status is DispositionStatus.EXECUTED or facts.location_state is LocationState.GONE:
        raise Conflict(
            N_("This item has been disposed of and accepts no further action."), code="item.disposed"
        )


def ensure_not_in_transfer(facts: ItemFacts) -> None:
    if facts.custody_state is CustodyState.IN_TRANSFER:
        raise Conflict(
            N_("This item is in a transfer awaiting the receiver's decision; recall or wait for it first."),
            code="item.in_transfer",
        )


def ensure_can_change_location(facts: ItemFacts) -> None:
    ensure_not_disposed(facts)
    ensure_not_in_transfer(facts)


KEPT_OUTSIDE = (LocationState.WITH_HOLDER, LocationState.EXTERNAL)


def check_in_allowed(facts: ItemFacts, *, bring_in: bool = False, reason: str | None = None) -> None:
    """入库: an item awaiting check-in. An item kept outside the centre (with the holder, at a bank or
    an impound lot) is brought in only deliberately (``bring_in``), with the reason stated: never as
    a side effect of a check-in or a batch [DESIGN: its place of keeping was decided and recorded]."""
    ensure_can_change_location(facts)
    if facts.location_state is LocationState.AWAITING_CHECK_IN:
        return
    if facts.location_state in KEPT_OUTSIDE:
        if not bring_in:
            raise Conflict(
                N_(
                    "This item is kept outside the centre (with the holder, at a bank or an impound "
                    "lot): bringing it in is a deliberate step of its own, with a reason."
                ),
                code="item.kept_outside",
            )
        if not (reason or "").strip():
            raise InvalidInput(
                N_("Say why the item is brought into the centre."), fields={"reason": [N_("Required.")]}
            )
        return
    raise Conflict(
        N_("Only an item awaiting check-in or kept outside the centre can be checked in."),
        code="item.not_awaiting_check_in",
    )


# What a storage location can hold [DESIGN]: rights, accounts and real estate are never shelved;
# vehicles and vessels only go to a location made for them, and such a yard takes nothing else.
NEVER_STORED = frozenset(
    {
        ItemCategory.BANK_ACCOUNT,
        ItemCategory.SECURITIES,
        ItemCategory.EQUITY,
        ItemCategory.INSURANCE,
        ItemCategory.PAYMENT_ACCOUNT,
        ItemCategory.VIRTUAL_ASSET,
        ItemCategory.REAL_ESTATE,
    }
)
YARD_ONLY = frozenset({ItemCategory.VEHICLE, ItemCategory.VESSEL})


def location_holds(holds: StorageHolds, category: ItemCategory) -> bool:
    """Whether a location made for ``holds`` can take an item of ``category``."""
    if category in NEVER_STORED:
        return False
    if holds is StorageHolds.VEHICLES:
        return category in YARD_ONLY
    return category not in YARD_ONLY


def check_location_holds(holds: StorageHolds, category: ItemCategory) -> None:
    if category in NEVER_STORED:
        raise Conflict(
            N_("Accounts, rights and real estate are not kept in storage locations."),
            code="location.never_stored",
            fields={"location_id": [N_("This item is not kept in a storage location.")]},
        )
    if not location_holds(holds, category):
        raise Conflict(
            N_("This location is for %(holds)s: it cannot hold this item (%(category)s)."),
            code="location.cannot_hold",
            fields={"location_id": [N_("Cannot hold this item: choose a location made for it.")]},
            holds=holds.label,
            category=category.label,
        )


# -- shelf and bin labels ---------------------------------------------------------------------------

# A storage location's QR label encodes ``LOC:<centre code>:<location code>`` (e.g.
# ``LOC:PDZX:R1-A-01``): the scan box and the batch pages tell it from an item's label code by the
# prefix (static/js/scan.js reads ``LOC:`` followed by letters, digits and ``:._-``) [DESIGN].
LOCATION_CODE_PREFIX = "LOC:"
_LOCATION_PART = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,63}$")


def location_scan_code(centre_code: str, location_code: str) -> str:
    """What a location's QR label encodes: ``LOC:PDZX:R1-A-01``."""
    return f"{LOCATION_CODE_PREFIX}{centre_code}:{location_code}".upper()


def is_location_scan_code(code: str | None) -> bool:
    return (code or "").strip().upper().startswith(LOCATION_CODE_PREFIX)


def parse_location_scan_code(code: str | None) -> tuple[str, str] | None:
    """``LOC:PDZX:R1-A-01`` → ``("PDZX", "R1-A-01")``; None for anything else (an item's label, a
    malformed code)."""
    text = (code or "").strip().upper()
    if not text.startswith(LOCATION_CODE_PREFIX):
        return None
    centre, sep, location = text[len(LOCATION_CODE_PREFIX) :].partition(":")
    if not sep or not _LOCATION_PART.match(centre) or not _LOCATION_PART.match(location):
        return None
    return centre, location


def may_use_centre(holds_custody: bool, centre_id: int, operated_centre_ids: frozenset[int]) -> bool:
    """Whether a keeper may put items into a location of centre ``centre_id`` — the keepers of a case
    agency (the custodian's keepers check in anywhere, as domain/policy allows), and an operator's
    keepers only in the centres their agency runs (issue 12: a centre operator acts only there).
    A scanned shelf label of any other centre is refused [DESIGN]."""
    return holds_custody or centre_id in operated_centre_ids


@dataclass(frozen=True)
class CheckInCandidate:
    """One scanned line of a check-in batch, as the batch rule sees it."""

    facts: ItemFacts
    category: ItemCategory
    held_by_actor: bool  # the keeper's own agency is the item's custodian
    custodian_name: str
    holds: StorageHolds | None = None  # the chosen location's purpose (None: none chosen yet)


def check_in_refusal(line: CheckInCandidate) -> DomainError | None:
    """Why this line of a check-in batch cannot be checked in (``None``: it can). A batch checks every
    line before anything is written and refuses the whole batch, naming each line that cannot go in.
    Items kept outside the centre are refused: bringing them in is a step of its own."""
    try:
        ensure_not_disposed(line.facts)
        if not line.held_by_actor:
            raise Conflict(
                N_("Held by %(agency)s: their keeper checks it in."),
                code="item.other_agency",
                agency=line.custodian_name,
            )
        check_in_allowed(line.facts)
        if line.holds is not None:
            check_location_holds(line.holds, line.category)
    except DomainError as refusal:
        return refusal
    return None


def move_allowed(facts: ItemFacts, new_location_id: int) -> None:
    ensure_can_change_location(facts)
    if facts.location_state is not LocationState.IN_STORAGE:
        raise Conflict(
            N_("Only an item in storage can be moved to another location."), code="item.not_in_storage"
        )
    if facts.storage_location_id == new_location_id:
        raise Conflict(N_("The item is already at that location."), code="item.same_location")


def external_allowed(facts: ItemFacts) -> None:
    ensure_can_change_location(facts)
    if facts.location_state is LocationState.CHECKED_OUT:
        raise Conflict(N_("A checked-out item must be returned first."), code="item.checked_out")


def check_items_confirmed(expected: Iterable[int], confirmed: Iterable[int] | None) -> None:
    """Release, return and disposal execution hand physical items over: the keeper confirms each one in
    hand — scanning its label or ticking it — before the step is recorded; a submission with an item
    not confirmed is refused, naming them (``unconfirmed_item_ids``). ``None``: the caller does not
    confirm item by item (an API client that does not send ``confirmed_item_ids``); the pages always
    send the list. Confirmed ids beyond ``expected`` are ignored (the return page lists every item
    still out). [DESIGN: like a sign-for, a signature that means it — issue 18]"""
    if confirmed is None:
        return
    missing = sorted(set(expected) - set(confirmed))
    if missing:
        raise InvalidInput(
            N_("Check every item: %(count)s not yet confirmed (scan each label or tick it)."),
            code="items.unconfirmed",
            fields={"confirmed_item_ids": [N_("Scan or tick each item you have in hand.")]},
            extra={"unconfirmed_item_ids": missing},
            count=len(missing),
        )


# -- money: one source of truth for a cash item's amount [DESIGN] ------------------------------


def cash_amount_fen(category: ItemCategory, details: dict[str, Any] | None) -> int | None:
    """A cash item's amount in fen, from ``details.amount_fen`` (required at registration, checked
    against the denominations): what every page and printed list shows for cash, never the
    quantity and unit a registrar typed beside it ("1 元")."""
    if category is not ItemCategory.CASH or not details:
        return None
    amount = details.get("amount_fen")
    return amount if isinstance(amount, int) and not isinstance(amount, bool) else None


def value_fen(
    category: ItemCategory, estimated_value_fen: int | None, details: dict[str, Any] | None
) -> int | None:
    """An item's value: its estimated value, or for cash without one the amount counted — the same
    rule as ``services/cases.item_value_fen`` in SQL (the ledger's value column, case totals)."""
    if estimated_value_fen is not None:
        return estimated_value_fen
    return cash_amount_fen(category, details)


# -- identifying particulars on printed lists ----------------------------------------------------

# Category → the details that identify the thing itself (IMEI, plate, VIN, serial, account), in order.
MASKED_DETAILS = frozenset({"account_no", "account_id"})  # last four characters on printed lists
IDENTIFYING_DETAILS: dict[ItemCategory, tuple[str, ...]] = {
    ItemCategory.PHONE: ("imei", "imei2"),
    ItemCategory.VEHICLE: ("plate", "vin"),
    ItemCategory.VESSEL: ("registry_no", "hull_no"),
    ItemCategory.ELECTRONICS: ("serial_no",),
    ItemCategory.BANK_ACCOUNT: ("bank", "account_no"),
    ItemCategory.SECURITIES: ("institution", "account_no"),
    ItemCategory.PAYMENT_ACCOUNT: ("platform", "account_id"),
    ItemCategory.VIRTUAL_ASSET: ("currency", "wallet_address"),
    ItemCategory.REAL_ESTATE: ("address", "title_no"),
    ItemCategory.DOCUMENTS: ("document_no",),
    ItemCategory.CONTRABAND: ("seal_no",),
}


def identifying_details(category: ItemCategory, details: dict[str, Any] | None) -> list[tuple[str, str]]:
    """``[("imei", "490154203237518"), ...]``: the particulars a printed list carries so the thing
    can be matched to its line. Account numbers show their last four digits only (``****4455``)."""
    found: list[tuple[str, str]] = []
    for key in IDENTIFYING_DETAILS.get(category, ()):
        value = (details or {}).get(key)
        if isinstance(value, str) and value.strip():
            value = value.strip()
            found.append((key, "****" + value[-4:] if key in MASKED_DETAILS else value))
    return found


# -- valuables: photographed and valued [DESIGN] ------------------------------------------------

VALUABLE_PHOTO = "photo"
VALUABLE_VALUE = "value"


def valuable_missing(category: ItemCategory, *, has_photo: bool, is_valued: bool) -> tuple[str, ...]:
    """What a valuable (贵重物品) still lacks of its photo and estimated value: () when nothing, or
    when the item is not a valuable. Registration accepts a valuable without them (the photo is
    often uploaded right after); the item page and the custodian's inbox say what is missing, and
    a transfer or disposal is refused until both are on record (``check_valuable_documented``)."""
    if category is not ItemCategory.VALUABLES:
        return ()
    return tuple(what for what, ok in ((VALUABLE_PHOTO, has_photo), (VALUABLE_VALUE, is_valued)) if not ok)


def check_valuable_documented(
    label_code: str, category: ItemCategory, *, has_photo: bool, is_valued: bool
) -> None:
    """[DESIGN] Valuables are photographed and valued before they leave the custodian's hands: the
    receiving agency signs for what the photos show, and a disposal records what was disposed of."""
    if valuable_missing(category, has_photo=has_photo, is_valued=is_valued):
        raise Conflict(
            N_(
                "Valuable %(label)s has no photo or no estimated value: photograph and value it "
                "before transferring or disposing of it."
            ),
            code="item.valuable_undocumented",
            label=label_code,
        )


def initial_location(measure: Measure, external_kind: ExternalKind | None) -> LocationState:
    """Where a newly registered item is: 登记保存 stays with the holder, others await check-in."""
    if measure is Measure.REGISTERED_KEPT:
        return LocationState.WITH_HOLDER
    if external_kind is ExternalKind.WITH_HOLDER:
        return LocationState.WITH_HOLDER
    if external_kind is not None:
        return LocationState.EXTERNAL
    return LocationState.AWAITING_CHECK_IN


# Rights and accounts are not things a keeper can shelve: a freeze or seizure of them is kept at the
# bank or institution that holds them (never "awaiting check-in", never a 24-hour storage alert).
# Category → (where, the details field naming the institution).
_KEPT_AT_INSTITUTION: dict[ItemCategory, tuple[ExternalKind, str]] = {
    ItemCategory.BANK_ACCOUNT: (ExternalKind.BANK, "bank"),
    ItemCategory.SECURITIES: (ExternalKind.OTHER, "institution"),
    ItemCategory.EQUITY: (ExternalKind.OTHER, "company"),
    ItemCategory.INSURANCE: (ExternalKind.OTHER, "insurer"),
    ItemCategory.PAYMENT_ACCOUNT: (ExternalKind.OTHER, "platform"),
    # [DESIGN] coins sit at their wallet address (or with the exchange, when one is named).
    ItemCategory.VIRTUAL_ASSET: (ExternalKind.OTHER, "platform"),
}
# Accounts and wallets are never shelved: kept where the institution or the chain holds them.
KEPT_WHERE_THEY_ARE = frozenset(
    {
        ItemCategory.BANK_ACCOUNT,
        ItemCategory.SECURITIES,
        ItemCategory.PAYMENT_ACCOUNT,
        ItemCategory.VIRTUAL_ASSET,
    }
)


SEALED_IN_PLACE = "原地查封"


def default_keeping(
    category: ItemCategory, measure: Measure, details: dict[str, Any]
) -> tuple[ExternalKind, str | None] | None:
    """Where an item is kept when the officer names no place: bank accounts and securities
    accounts, and anything frozen (冻结), stay at their bank or institution (``details`` names it);
    ``None`` means the usual rule of ``initial_location``."""
    if measure is Measure.REGISTERED_KEPT:
        return None
    if measure is Measure.SEALED:
        # [LAW] 程序规定 art. 228 ¶2, 2021解释 art. 437 ¶2: real estate, vessels and other things that
        # cannot be moved are sealed where they are (原地封存): never "awaiting check-in".
        place = details.get("address")
        return ExternalKind.OTHER, (
            place.strip() if isinstance(place, str) and place.strip() else SEALED_IN_PLACE
        )
    if category in KEPT_WHERE_THEY_ARE or measure is Measure.FROZEN:
        kind, field = _KEPT_AT_INSTITUTION.get(category, (ExternalKind.OTHER, ""))
        place = details.get(field) if field else None
        if not (isinstance(place, str) and place.strip()) and category is ItemCategory.VIRTUAL_ASSET:
            place = details.get("wallet_address")
        return kind, (place.strip()[:200] if isinstance(place, str) and place.strip() else None)
    return None


def external_state(kind: ExternalKind) -> LocationState:
    return LocationState.WITH_HOLDER if kind is ExternalKind.WITH_HOLDER else LocationState.EXTERNAL


# -- time ----------------------------------------------------------------------------------


def is_backdated(occurred_at: datetime, recorded_at: datetime) -> bool:
    """Dated more than ``BACKDATE_WITHOUT_REASON`` before it was recorded: shown as back-dated on the
    timeline and in the supervisors' list; deadlines judge it by ``recorded_at`` (domain/deadlines)."""
    return recorded_at - occurred_at > BACKDATE_WITHOUT_REASON


def is_real_reason(reason: str | None) -> bool:
    """At least ``MIN_BACKDATE_REASON`` letters or digits, not all the same: "." or "。。。" or "aaaa"
    say nothing about why an entry is late."""
    significant = [ch for ch in (reason or "") if unicodedata.category(ch)[0] in "LN"]
    return len(significant) >= MIN_BACKDATE_REASON and len(set(significant)) > 1


def check_occurred_at(
    occurred_at: datetime, now: datetime, reason: str | None, *, not_before: datetime | None = None
) -> None:
    """When something happened [DESIGN §2, issue 14]: not in the future; not before the item's last
    recorded step (``not_before``: its seizure or its latest event), so the history stays in order;
    back-dating needs a real reason."""
    if occurred_at > now + CLOCK_SKEW:
        raise InvalidInput(
            N_("The time cannot be in the future."), fields={"occurred_at": [N_("In the future.")]}
        )
    if not_before is not None and occurred_at < not_before:
        raise InvalidInput(
            N_("The time is earlier than the item's last recorded step."),
            code="item.before_last_step",
            fields={"occurred_at": [N_("Earlier than the previous step.")]},
        )
    if is_backdated(occurred_at, now) and not is_real_reason(reason):
        raise InvalidInput(
            N_(
                "A back-dated entry needs a real reason: say why it is recorded late, "
                "in at least %(min)s letters or digits."
            ),
            code="item.backdate_reason",
            fields={"reason": [N_("Say why it is recorded late.")]},
            min=MIN_BACKDATE_REASON,
        )


# -- registration --------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """What an officer enters for one item (validated by ``check_registration``)."""

    name: str
    category: ItemCategory
    quantity: Decimal
    unit: str
    measure: Measure
    measure_doc_no: str | None
    measure_date: date
    seized_at: datetime
    estimated_value_fen: int | None
    details: dict[str, Any]


def check_registration(reg: Registration, *, case_filed_on: date, now: datetime) -> dict[str, Any]:
    """Validate an item registration; returns the cleaned category details."""
    errors: dict[str, list[str]] = {}
    if not reg.name.strip():
        errors["name"] = [N_("Required.")]
    if not reg.unit.strip():
        errors["unit"] = [N_("Required.")]
    errors.update(_amount_errors(reg))
    if reg.measure_doc_no is not None and len(reg.measure_doc_no) > 64:
        errors["measure_doc_no"] = [N_("Too long.")]
    errors.update(_date_errors(reg, case_filed_on, now))
    details, detail_errors = clean_details(reg.category, reg.details)
    errors.update(detail_errors)
    if reg.measure is Measure.FROZEN and reg.category not in FREEZABLE:
        errors["measure"] = [N_("Only accounts, securities, equity and insurance rights can be frozen.")]
    if errors:
        raise InvalidInput(N_("The item registration has errors."), fields=errors)
    return details


def _amount_errors(reg: Registration) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if reg.quantity <= 0:
        errors["quantity"] = [N_("Must be greater than zero.")]
    elif reg.quantity > MAX_QUANTITY:
        errors["quantity"] = [N_("Too large.")]
    if reg.estimated_value_fen is not None and reg.estimated_value_fen < 0:
        errors["estimated_value_fen"] = [N_("Cannot be negative.")]
    elif reg.estimated_value_fen is not None and reg.estimated_value_fen > MAX_FEN:
        errors["estimated_value_fen"] = [N_("Too large.")]
    return errors


def _date_errors(reg: Registration, case_filed_on: date, now: datetime) -> dict[str, list[str]]:
    """The measure's and the seizure's dates: not in the future, not before the case was opened."""
    errors: dict[str, list[str]] = {}
    measure_date_error = measure_date_problem(reg.measure_date, now)
    if measure_date_error:
        errors["measure_date"] = [measure_date_error]
    # [LAW] No 查封/扣押/冻结 before the case is opened (程序规定 art. 174 ¶2); evidence obtained (调取)
    # during the pre-filing check may predate it.
    before_filing_allowed = reg.measure is Measure.OBTAINED
    if reg.seized_at > now + CLOCK_SKEW:
        errors["seized_at"] = [N_("In the future.")]
    elif local_date(reg.seized_at) < case_filed_on and not before_filing_allowed:
        errors["seized_at"] = [N_("Earlier than the date the case was opened.")]
    if reg.measure_date < case_filed_on and "measure_date" not in errors and not before_filing_allowed:
        errors["measure_date"] = [N_("Earlier than the date the case was opened.")]
    return errors


def measure_date_problem(measure_date: date, now: datetime) -> str | None:
    """The date of the measure's document: not before 1949-10-01, not after today (local date, with
    the tolerated clock skew). Returns an error msgid or None (also for corrections of the field)."""
    if measure_date < EARLIEST_DATE:
        return N_("Too early.")
    if measure_date > local_date(now + CLOCK_SKEW):
        return N_("In the future.")
    return None


FREEZABLE = frozenset(
    {
        ItemCategory.BANK_ACCOUNT,
        ItemCategory.SECURITIES,
        ItemCategory.EQUITY,
        ItemCategory.INSURANCE,
        ItemCategory.PAYMENT_ACCOUNT,
    }
)

# Category-specific fields: name → (required, validator). Validators return an error msgid or None.
_DIGITS = re.compile(r"\d+")
_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
_PLATE = re.compile(r"[\u4e00-\u9fa5][A-Z][A-Z0-9\u4e00-\u9fa5]{4,6}")
CNY_DENOMINATIONS_FEN = {10000, 5000, 2000, 1000, 500, 100, 50, 10, 5, 2, 1}
_DENOMINATION_KEYS = {str(fen): fen for fen in CNY_DENOMINATIONS_FEN}  # exactly as written: no "0100", no "²"


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _text(max_len: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return N_("Must be non-empty text.")
        if len(value) > max_len:
            return N_("Too long.")
        return None

    return check


def _non_negative_int(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return N_("Must be a whole number of fen (分), zero or more.")
    if value > MAX_FEN:
        return N_("Too large.")
    return None


def _imei(value: Any) -> str | None:
    """15 digits. A wrong check digit is accepted (``detail_warnings``): counterfeit phones carry
    IMEIs that fail it, and the registrar records what is printed on the phone [DESIGN, issue 18]."""
    if not isinstance(value, str) or not (len(value) == 15 and _DIGITS.fullmatch(value)):
        return N_("An IMEI is 15 digits.")
    return None


IMEI_KEYS = ("imei", "imei2")


def detail_warnings(category: ItemCategory, details: dict[str, Any] | None) -> list[tuple[str, str]]:
    """``[("imei", "490154203237519")]``: details that were accepted but deserve a second look — an IMEI
    whose check digit (Luhn) is wrong: a mistyped number, or a counterfeit phone."""
    if category is not ItemCategory.PHONE:
        return []
    return [
        (key, value)
        for key in IMEI_KEYS
        if isinstance(value := (details or {}).get(key), str)
        and _DIGITS.fullmatch(value)
        and not luhn_ok(value)
    ]


def _vin(value: Any) -> str | None:
    if not isinstance(value, str) or not _VIN.fullmatch(value.upper()):
        return N_("A VIN is 17 letters and digits (no I, O or Q).")
    return None


def _plate(value: Any) -> str | None:
    if not isinstance(value, str) or not _PLATE.fullmatch(value.upper()):
        return N_("Not a valid licence plate (e.g. 沪A12345).")
    return None


def _account_no(value: Any) -> str | None:
    if not isinstance(value, str) or not (8 <= len(value) <= 32 and _DIGITS.fullmatch(value)):
        return N_("An account number is 8–32 digits.")
    return None


_WALLET = re.compile(r"[A-Za-z0-9:_-]{20,128}")
_COIN_UNITS = re.compile(r"\d{1,20}(\.\d{1,18})?")


def _wallet_address(value: Any) -> str | None:
    if not isinstance(value, str) or not _WALLET.fullmatch(value.strip()):
        return N_("A wallet address is 20–128 letters and digits.")
    return None


def _coin_units(value: Any) -> str | None:
    """A quantity of a virtual currency, written exactly (up to 18 decimals, as chains count)."""
    if (
        not isinstance(value, str)
        or not _COIN_UNITS.fullmatch(value.strip())
        or not any(c in "123456789" for c in value)
    ):
        return N_("A positive number with at most 18 decimals, e.g. 1520.5.")
    return None


def _denominations(value: Any) -> str | None:
    if not isinstance(value, dict) or not value:
        return N_('Give the count of each denomination, e.g. {"10000": 12} for twelve 100-yuan notes.')
    for key, count in value.items():
        # Compared as text: never int() an untrusted key (thousands of digits, or non-ASCII digits).
        if not (isinstance(key, str) and key in _DENOMINATION_KEYS):
            return N_("Unknown denomination (in fen: 10000, 5000, 2000, 1000, 500, 100, 50, 10, 5, 2, 1).")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            return N_("Counts must be whole numbers.")
        if count > MAX_FEN:
            return N_("Too large.")
    return None


def _iso_date(value: Any) -> str | None:
    if not isinstance(value, str):
        return N_("A date like 2026-03-01.")
    try:
        date.fromisoformat(value)
    except ValueError:
        return N_("A date like 2026-03-01.")
    return None


# [LAW] 2021解释 art. 437 ¶2 (……并通知有关财物的登记、管理部门办理查封登记手续): a sealed item records the
# registry's notice (协助执行通知): the registry, the notice number and its date.
REGISTRY_NOTICE: dict[str, tuple[bool, Any]] = {
    "registry": (False, _text(100)),
    "registry_notice_no": (False, _text(64)),
    "registry_notice_date": (False, _iso_date),
}

CATEGORY_FIELDS: dict[ItemCategory, dict[str, tuple[bool, Any]]] = {
    ItemCategory.CASH: {
        "amount_fen": (True, _non_negative_int),
        "currency": (False, _text(8)),
        "denominations": (False, _denominations),
    },
    ItemCategory.BANK_ACCOUNT: {
        "bank": (True, _text(100)),
        "account_no": (True, _account_no),
        "account_name": (False, _text(64)),
        "amount_fen": (False, _non_negative_int),
    },
    ItemCategory.SECURITIES: {
        "institution": (True, _text(100)),
        "account_no": (True, _text(40)),
        "security_code": (False, _text(20)),
        "units": (False, _text(40)),
    },
    ItemCategory.EQUITY: {"company": (True, _text(100)), "share": (False, _text(40))},
    # [DESIGN] 第三方支付账户: the platform (支付宝、微信支付、财付通 …) and the account id on it (the
    # login phone, e-mail or the platform's user number); the balance when known.
    ItemCategory.PAYMENT_ACCOUNT: {
        "platform": (True, _text(50)),
        "account_id": (True, _text(64)),
        "account_name": (False, _text(64)),
        "amount_fen": (False, _non_negative_int),
    },
    # [DESIGN] 虚拟货币: the currency (USDT, BTC …), the wallet address, the quantity (exact decimal
    # text); the chain and the exchange or custodian holding it when known.
    ItemCategory.VIRTUAL_ASSET: {
        "currency": (True, _text(20)),
        "wallet_address": (True, _wallet_address),
        "units": (True, _coin_units),
        "chain": (False, _text(40)),
        "platform": (False, _text(100)),
    },
    ItemCategory.INSURANCE: {"insurer": (True, _text(100)), "policy_no": (True, _text(40))},
    ItemCategory.VEHICLE: {
        "plate": (False, _plate),
        "vin": (False, _vin),
        "brand_model": (False, _text(100)),
        "colour": (False, _text(20)),
        **REGISTRY_NOTICE,
    },
    ItemCategory.VESSEL: {"registry_no": (True, _text(40)), "hull_no": (False, _text(40)), **REGISTRY_NOTICE},
    ItemCategory.PHONE: {
        "imei": (False, _imei),
        "imei2": (False, _imei),
        "brand_model": (False, _text(100)),
        "phone_number": (False, _text(20)),
    },
    ItemCategory.ELECTRONICS: {"serial_no": (False, _text(64)), "brand_model": (False, _text(100))},
    ItemCategory.REAL_ESTATE: {
        "address": (True, _text(200)),
        "title_no": (False, _text(64)),
        **REGISTRY_NOTICE,
    },
    ItemCategory.VALUABLES: {"weight_g": (False, _text(20)), "purity": (False, _text(20))},
    ItemCategory.DOCUMENTS: {"document_no": (False, _text(64))},
    ItemCategory.CONTRABAND: {"weight_g": (False, _text(20)), "seal_no": (False, _text(40))},
    ItemCategory.GOODS: {"weight_g": (False, _text(20)), "address": (False, _text(200)), **REGISTRY_NOTICE},
}


def clean_details(
    category: ItemCategory, details: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check the category-specific fields; field errors are keyed ``details.<name>``."""
    details = dict(details or {})
    spec = CATEGORY_FIELDS[category]
    errors: dict[str, list[str]] = {}
    for key in details:
        if key not in spec:
            errors[f"details.{key}"] = [N_("Not a field of this category.")]
    for key, (required, check) in spec.items():
        value = details.get(key)
        if value is None or value == "":
            details.pop(key, None)
            if required:
                errors[f"details.{key}"] = [N_("Required.")]
            continue
        problem = check(value)
        if problem:
            errors[f"details.{key}"] = [problem]
    for key in ("vin", "plate"):
        if isinstance(details.get(key), str):
            details[key] = details[key].upper()
    if category is ItemCategory.VEHICLE and not errors and not (details.get("plate") or details.get("vin")):
        errors["details.vin"] = [N_("Give the plate or the VIN.")]
    if category is ItemCategory.CASH and not errors and "denominations" in details:
        counted = sum(_DENOMINATION_KEYS[k] * n for k, n in details["denominations"].items())
        if counted != details["amount_fen"]:
            errors["details.denominations"] = [N_("The denominations do not add up to the amount.")]
    return details, errors


def parse_quantity(value: Any) -> Decimal:
    """A quantity as entered: a finite decimal with at most three decimals, within the column's range.

    Only context-free operations are used on the untrusted value (no arithmetic, no ``abs``), so
    an exponent like ``1E+400000000`` is a field error, not a ``decimal.Overflow``.
    """
    try:
        if isinstance(value, bool):
            raise TypeError("a flag is not a quantity")
        quantity = Decimal(value) if isinstance(value, Decimal | int) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise InvalidInput(N_("Not a number."), fields={"quantity": [N_("Not a number.")]}) from exc
    if not quantity.is_finite():
        raise InvalidInput(N_("Not a number."), fields={"quantity": [N_("Not a number.")]})
    if not quantity.is_zero() and quantity.adjusted() > MAX_QUANTITY.adjusted():
        raise InvalidInput(N_("The quantity is too large."), fields={"quantity": [N_("Too large.")]})
    if quantity.as_tuple().exponent < -3:  # type: ignore[operator]
        raise InvalidInput(
            N_("At most three decimal places."), fields={"quantity": [N_("At most three decimal places.")]}
        )
    if quantity.copy_abs() > MAX_QUANTITY:
        raise InvalidInput(N_("The quantity is too large."), fields={"quantity": [N_("Too large.")]})
    return quantity
