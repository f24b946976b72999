"""The rest of an item's life: check-out and return, disposal, freezes, corrections [LAW + DESIGN §3].

Pure rules over plain values; services load rows, ask these functions, then change rows.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .enums import (
    CaseStage,
    DispositionKind,
    DispositionStatus,
    ItemCategory,
    LabelledEnum,
    LocationState,
    register_labels,
)
from .errors import Conflict, InvalidInput, PermissionDenied
from .i18n import N_
from .items import MAX_FEN, ItemFacts, ensure_not_disposed, ensure_not_in_transfer

# -- check-out (调用) ---------------------------------------------------------------------------


class CheckoutPurpose(LabelledEnum):
    """The legal purposes for taking an item out of storage [LAW]."""

    INTERROGATION = "interrogation"  # 讯问、询问
    APPRAISAL = "appraisal"  # 鉴定
    IDENTIFICATION = "identification"  # 辨认
    TESTING = "testing"  # 检验、检测
    INSPECTION = "inspection"  # 勘验、检查
    COURT_PRESENTATION = "court_presentation"  # 庭审出示


class CheckoutStatus(LabelledEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    RELEASED = "released"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class ExtensionStatus(LabelledEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


class Discrepancy(LabelledEnum):
    """What the keeper found on return that differs from what left."""

    DAMAGE = "damage"  # 损坏
    SHORTAGE = "shortage"  # 短少
    SUBSTITUTION = "substitution"  # 调换


class CounterpartyKind(LabelledEnum):
    PERSON = "person"
    LAB = "lab"
    COURT = "court"
    BANK = "bank"
    AUTHORITY = "authority"
    OTHER = "other"


def require_not_requester(requester_id: int, approver_id: int) -> None:
    """[DESIGN §4] Separation of duties: nobody approves their own request."""
    if requester_id == approver_id:
        raise PermissionDenied(
            N_("You cannot approve your own request: another approver must decide."),
            code="separation.requester_not_approver",
        )


def check_checkout_item(facts: ItemFacts) -> None:
    ensure_not_disposed(facts)
    ensure_not_in_transfer(facts)
    if facts.disposition_status is not DispositionStatus.NONE:
        raise Conflict(N_("The item has a disposal in progress."), code="item.disposal_pending")
    if facts.location_state is LocationState.CHECKED_OUT:
        raise Conflict(N_("The item is already checked out."), code="item.checked_out")
    if facts.location_state is not LocationState.IN_STORAGE:
        raise Conflict(N_("Only an item in storage can be checked out."), code="item.not_in_storage")


def check_due(due_at: datetime, now: datetime, *, after: datetime | None = None) -> None:
    if due_at <= now:
        raise InvalidInput(
            N_("The due time must be in the future."), fields={"due_at": [N_("Must be in the future.")]}
        )
    if after is not None and due_at <= after:
        raise InvalidInput(
            N_("An extension must move the due time later."),
            fields={"due_at": [N_("Must be later than the current due time.")]},
        )


# A check-out in one of these states is over: nothing more happens on it.
CLOSED_CHECKOUT_STATUSES = frozenset(
    {CheckoutStatus.RETURNED, CheckoutStatus.CANCELLED, CheckoutStatus.REJECTED}
)


def require_checkout_status(status: CheckoutStatus, *allowed: CheckoutStatus) -> None:
    if status not in allowed and status in CLOSED_CHECKOUT_STATUSES:
        # Returned, cancelled or rejected: "not released yet" or "not approved yet" would mislead.
        raise Conflict(N_("The check-out is over."), code="checkout.closed")
    if status not in allowed:
        messages = {
            CheckoutStatus.APPROVED: N_("The check-out must be approved first."),
            CheckoutStatus.RELEASED: N_("The items have not been released."),
            CheckoutStatus.REQUESTED: N_("The request has already been decided."),
        }
        raise Conflict(
            messages.get(allowed[0], N_("Not possible in the check-out's current state.")),
            code=f"checkout.not_{allowed[0].value}",
        )


def _spaceless(name: str | None) -> str:
    return "".join((name or "").split())


def check_released_to(released_to: str | None, registered_name: str) -> str:
    """[LAW] Items leave storage only to the person the check-out was approved for: the name given at
    release must be the registered one (whitespace ignored); none given means that person. Returns the
    name to record."""
    if (released_to or "").strip() and _spaceless(released_to) != _spaceless(registered_name):
        raise InvalidInput(
            N_("The items can be released only to the person registered on the check-out: %(name)s."),
            code="checkout.not_registered_recipient",
            fields={"released_to": [N_("Not the person registered on the check-out.")]},
            name=registered_name,
        )
    return registered_name


def is_overdue(status: CheckoutStatus, due_at: datetime, now: datetime) -> bool:
    return status is CheckoutStatus.RELEASED and now > due_at


# -- disposition (处置) -------------------------------------------------------------------------

FINAL_KINDS = frozenset(
    {
        DispositionKind.RETURN_TO_OWNER,
        DispositionKind.CONFISCATE,
        DispositionKind.DESTROY,
        DispositionKind.HAND_OVER,
    }
)
# Categories that depreciate fast enough for early sale; any item flagged perishable also qualifies.
DEPRECIATING = frozenset({ItemCategory.VEHICLE, ItemCategory.VESSEL, ItemCategory.SECURITIES})


class DispositionRecordStatus(LabelledEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXECUTED = "executed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class DisposalFacts:
    """What the disposal rules need to know about one item."""

    facts: ItemFacts
    category: ItemCategory
    is_perishable: bool
    ownership_clear: bool
    has_photo: bool
    is_valued: bool
    has_owner: bool = True  # an owner name is recorded (returns go only to the recorded owner)


@dataclass(frozen=True)
class CaseOutcome:
    """What the case has decided, as far as the final disposal of its property goes [LAW].

    ``judgment_no`` is the court's effective judgment (recording it puts the case in execution);
    ``closing_decision`` the number of the decision that closed the case: not to prosecute, to drop
    the case, or closing it after the judgment was executed.
    """

    stage: CaseStage
    judgment_no: str | None = None
    closing_decision: str | None = None

    @property
    def decided(self) -> bool:
        if self.stage is CaseStage.EXECUTION:
            return bool(self.judgment_no)
        if self.stage is CaseStage.CLOSED:
            return bool(self.judgment_no or self.closing_decision)
        return False

    @property
    def reference(self) -> str | None:
        """What a final disposal cites unless told otherwise: the judgment, else the closing decision."""
        if not self.decided:
            return None
        return self.judgment_no or self.closing_decision


def check_disposal_ground(kind: DispositionKind, case: CaseOutcome) -> None:
    """[LAW] A final disposal carries out the outcome of the case: the court's effective judgment,
    or the decision not to prosecute or to drop the case. Until one is recorded, only early sale and
    pre-trial return (each under its own rules) may take an item out of custody.

    Checked at proposal, and again at approval and execution (a proposal recorded before this rule
    must not slip through).
    """
    if kind in FINAL_KINDS and not case.decided:
        raise Conflict(
            N_(
                "A final disposal carries out the outcome of the case: first record the court's "
                "effective judgment, or close the case with the decision not to prosecute or to "
                "drop it."
            ),
            code="disposal.case_not_decided",
        )


def disposal_legal_basis(kind: DispositionKind, legal_basis: str | None, case: CaseOutcome) -> str | None:
    """The legal basis to record: as given, or for a final disposal the recorded judgment or decision."""
    given = (legal_basis or "").strip() or None
    if given is None and kind in FINAL_KINDS:
        return case.reference
    return given


def check_disposal_proposal(
    kind: DispositionKind,
    item: DisposalFacts,
    legal_basis: str | None,
    reason: str | None,
    *,
    case: CaseOutcome,
) -> None:
    ensure_not_disposed(item.facts)
    ensure_not_in_transfer(item.facts)
    if item.facts.disposition_status is not DispositionStatus.NONE:
        raise Conflict(N_("The item already has a disposal in progress."), code="item.disposal_pending")
    if item.facts.location_state is LocationState.CHECKED_OUT:
        raise Conflict(N_("A checked-out item must be returned first."), code="item.checked_out")
    check_disposal_ground(kind, case)
    if kind in FINAL_KINDS and not (legal_basis or "").strip():
        raise InvalidInput(
            N_("Cite the judgment or decision that orders this disposal."),
            fields={"legal_basis": [N_("Required.")]},
        )
    if kind is DispositionKind.EARLY_SALE:
        if not (item.is_perishable or item.category in DEPRECIATING):
            raise Conflict(
                N_("Only perishable or fast-depreciating items may be disposed of before judgment."),
                code="disposal.not_perishable",
            )
        if not (reason or "").strip():
            raise InvalidInput(
                N_("Give the reason for early disposal."), fields={"reason": [N_("Required.")]}
            )
        if not item.has_photo:
            raise Conflict(N_("Photograph the item before early disposal."), code="disposal.photo_required")
    check_owner_recorded(kind, item.has_owner)
    if kind is DispositionKind.PRETRIAL_RETURN:
        if not item.ownership_clear:
            raise Conflict(
                N_("Pre-trial return needs ownership recorded as clear and undisputed."),
                code="disposal.ownership_unclear",
            )
        if not (item.has_photo and item.is_valued):
            raise Conflict(
                N_("Register, photograph and value the item before returning it."),
                code="disposal.not_documented",
            )


RETURN_KINDS = frozenset({DispositionKind.RETURN_TO_OWNER, DispositionKind.PRETRIAL_RETURN})


def check_owner_recorded(kind: DispositionKind, has_owner: bool) -> None:
    """[LAW] A return (发还, 先行发还) goes only to the recorded owner or an agent the owner authorised in
    writing: with no owner recorded, no recipient could ever be accepted. Checked at proposal,
    approval and execution; the owner is recorded by a correction of the item's owner name."""
    if kind in RETURN_KINDS and not has_owner:
        raise Conflict(
            N_(
                "No owner is recorded for this item, and a return goes only to the recorded owner: "
                "first record the owner's name by a correction of the item."
            ),
            code="disposal.no_owner",
        )


@dataclass(frozen=True)
class Recipient:
    """Who receives a returned item: the owner, or an agent with a written authorisation."""

    name: str
    id_no: str | None = None
    is_agent: bool = False
    authorisation_ref: str | None = None  # 授权委托书 number/reference


def check_recipient(recipient: Recipient | None, owner_name: str | None, owner_id_no: str | None) -> None:
    """[LAW] Returns go only to the owner or an agent holding a written authorisation."""
    if recipient is None or not recipient.name.strip():
        raise InvalidInput(N_("Name the person receiving the item."), fields={"recipient": [N_("Required.")]})
    if recipient.is_agent:
        if not (recipient.authorisation_ref or "").strip():
            raise Conflict(
                N_("An agent may receive the item only with a recorded written authorisation."),
                code="disposal.no_authorisation",
            )
        return
    if not owner_name or recipient.name.strip() != owner_name.strip():
        raise Conflict(N_("The recipient is not the recorded owner."), code="disposal.not_owner")
    if owner_id_no and recipient.id_no and recipient.id_no.strip().upper() != owner_id_no.strip().upper():
        raise Conflict(
            N_("The recipient's ID number does not match the recorded owner."), code="disposal.not_owner"
        )
    if owner_id_no and not recipient.id_no:
        raise InvalidInput(
            N_("Check and record the recipient's ID number."), fields={"recipient.id_no": [N_("Required.")]}
        )


def witness_disqualified(chain_of_custody_user_ids: set[int], executor_user_id: int) -> set[int]:
    """[DESIGN §4] Who may not witness a destruction: everyone in the items' chain of custody and
    the executing keeper. The execute form lists the other active users; ``check_witness`` refuses
    these — one rule for both."""
    return set(chain_of_custody_user_ids) | {executor_user_id}


def check_witness(witness_user_id: int | None, chain_of_custody_user_ids: set[int]) -> None:
    """[DESIGN §4] A destruction witness must appear nowhere in the item's chain of custody."""
    if witness_user_id is None:
        raise InvalidInput(N_("Destruction needs a witness."), fields={"witness": [N_("Required.")]})
    if witness_user_id in chain_of_custody_user_ids:
        # A fact about this item's records, not about the actor's permissions: a conflict (409).
        raise Conflict(
            N_("The witness has handled this item and cannot witness its destruction."),
            code="separation.witness_in_chain",
        )


def check_execution(kind: DispositionKind, receipt_no: str | None, proceeds_fen: int | None) -> None:
    if not (receipt_no or "").strip():
        raise InvalidInput(
            N_("Record the execution receipt number (执行回单)."), fields={"receipt_no": [N_("Required.")]}
        )
    if kind is DispositionKind.EARLY_SALE:
        if proceeds_fen is None or proceeds_fen < 0 or proceeds_fen > MAX_FEN:
            raise InvalidInput(
                N_("Record the sale proceeds in fen."), fields={"proceeds_fen": [N_("Required.")]}
            )
    elif proceeds_fen is not None:
        raise InvalidInput(
            N_("Proceeds apply only to an early sale."), fields={"proceeds_fen": [N_("Not applicable.")]}
        )


# -- freezes (冻结) -----------------------------------------------------------------------------


class FreezeAssetType(LabelledEnum):
    DEPOSIT = "deposit"  # 存款
    REMITTANCE = "remittance"  # 汇款
    BROKERAGE_FUNDS = "brokerage_funds"  # 证券交易结算资金
    BONDS = "bonds"  # 债券
    STOCKS = "stocks"  # 股票
    FUND_UNITS = "fund_units"  # 基金份额
    EQUITY = "equity"  # 股权
    INSURANCE = "insurance"  # 保单权益


class FreezeStatus(LabelledEnum):
    ACTIVE = "active"
    LAPSED = "lapsed"  # not renewed before expiry: the freeze ended by itself
    RELEASED = "released"  # 解除冻结


# [LAW] Maximum period per freeze or renewal, in months (major cases: deposits etc. 12).
FREEZE_PERIOD_MONTHS: dict[FreezeAssetType, int] = {
    FreezeAssetType.DEPOSIT: 6,
    FreezeAssetType.REMITTANCE: 6,
    FreezeAssetType.BROKERAGE_FUNDS: 6,
    FreezeAssetType.BONDS: 24,
    FreezeAssetType.STOCKS: 24,
    FreezeAssetType.FUND_UNITS: 24,
    FreezeAssetType.EQUITY: 6,
    FreezeAssetType.INSURANCE: 6,
}
MAJOR_CASE_MONTHS = 12
MAJOR_CASE_TYPES = frozenset(
    {FreezeAssetType.DEPOSIT, FreezeAssetType.REMITTANCE, FreezeAssetType.BROKERAGE_FUNDS}
)

ASSET_TYPES_FOR_CATEGORY: dict[ItemCategory, frozenset[FreezeAssetType]] = {
    ItemCategory.BANK_ACCOUNT: frozenset({FreezeAssetType.DEPOSIT, FreezeAssetType.REMITTANCE}),
    ItemCategory.SECURITIES: frozenset(
        {
            FreezeAssetType.BROKERAGE_FUNDS,
            FreezeAssetType.BONDS,
            FreezeAssetType.STOCKS,
            FreezeAssetType.FUND_UNITS,
        }
    ),
    ItemCategory.EQUITY: frozenset({FreezeAssetType.EQUITY}),
    ItemCategory.INSURANCE: frozenset({FreezeAssetType.INSURANCE}),
}


def max_period_months(asset_type: FreezeAssetType, major_case: bool) -> int:
    if major_case and asset_type in MAJOR_CASE_TYPES:
        return MAJOR_CASE_MONTHS
    return FREEZE_PERIOD_MONTHS[asset_type]


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's end (31 Aug + 6 months = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def freeze_expiry(start: date, months: int) -> date:
    """The last day the freeze holds: a 6-month freeze from 1 March holds until 31 August."""
    return add_months(start, months) - timedelta(days=1)


def check_freeze_period(asset_type: FreezeAssetType, major_case: bool, months: int | None) -> int:
    limit = max_period_months(asset_type, major_case)
    months = limit if months is None else months
    if months < 1 or months > limit:
        raise InvalidInput(
            N_("The period must be 1 to %(months)s months for this asset type."),
            code="freeze.period_too_long",
            fields={"period_months": [N_("Longer than the law allows for this asset type.")]},
            months=limit,
        )
    return months


def check_freeze_category(category: ItemCategory, asset_type: FreezeAssetType) -> None:
    if asset_type not in ASSET_TYPES_FOR_CATEGORY.get(category, frozenset()):
        raise InvalidInput(
            N_("This asset type does not match the item's category."),
            fields={"asset_type": [N_("Does not match the item's category.")]},
        )


def check_freeze_not_expired(expires_on: date, today: date) -> None:
    """[LAW] A freeze is recorded while it holds: one whose last day has already passed would have
    lapsed on the day it was recorded (and alert at once as overdue). Record the freeze or renewal
    notice that is in force instead."""
    if expires_on < today:
        raise InvalidInput(
            N_(
                "A freeze starting on this day would have ended on %(last)s: it has already lapsed. "
                "Record the freeze notice in force (the latest renewal) with its own start date."
            ),
            code="freeze.already_expired",
            fields={"start_on": [N_("The freeze period from this day is already over.")]},
            last=expires_on.isoformat(),
        )


def freeze_status_on(status: FreezeStatus, expires_on: date, today: date) -> FreezeStatus:
    """An active freeze whose last day has passed has lapsed, whether or not that was recorded yet."""
    if status is FreezeStatus.ACTIVE and today > expires_on:
        return FreezeStatus.LAPSED
    return status


# [LAW + DESIGN] A renewal is accepted only in the last RENEWAL_WINDOW_DAYS days before the current
# last day (that day included). The law requires renewal before expiry, each renewal for at most the
# same period, counted on from the old expiry: renewals stacked far ahead (ten on the day of the
# freeze would push a 6-month deposit freeze five years out) would hold the assets beyond any period
# anyone decided on. Thirty days leaves time for the renewal notice to reach the institution.
RENEWAL_WINDOW_DAYS = 30


def renewal_opens_on(expires_on: date) -> date:
    """The first day a renewal is accepted for a freeze whose last day is ``expires_on``."""
    return expires_on - timedelta(days=RENEWAL_WINDOW_DAYS)


def check_renewal(status: FreezeStatus, expires_on: date, today: date) -> None:
    """[LAW] Renewal must happen before expiry (afterwards the freeze has lapsed by itself), and no
    earlier than the renewal window before the last day."""
    effective = freeze_status_on(status, expires_on, today)
    if effective is FreezeStatus.LAPSED:
        raise Conflict(
            N_("The freeze expired without renewal and has lapsed; it cannot be renewed."),
            code="freeze.lapsed",
        )
    if effective is FreezeStatus.RELEASED:
        raise Conflict(N_("The freeze has been released."), code="freeze.released")
    opens = renewal_opens_on(expires_on)
    if today < opens:
        raise Conflict(
            N_(
                "A freeze can be renewed only in the last %(days)s days before its last day "
                "(%(last)s): from %(opens)s."
            ),
            code="freeze.renewal_too_early",
            days=RENEWAL_WINDOW_DAYS,
            last=expires_on.isoformat(),
            opens=opens.isoformat(),
        )


# -- corrections (更正) -------------------------------------------------------------------------


class CorrectionStatus(LabelledEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


# Registration fields that a correction may change (custody, location and disposition change only
# through their own workflows, never by correction).
CORRECTABLE_FIELDS = (
    "name",
    "quantity",
    "unit",
    "features",
    "specification",
    "condition_at_seizure",
    "source",
    "estimated_value_fen",
    "owner_name",
    "owner_id_no",
    "owner_contact",
    "ownership_clear",
    "is_perishable",
    "measure_doc_no",
    "measure_date",
    "details",
)


def check_correction_field(field: str) -> None:
    if field not in CORRECTABLE_FIELDS:
        raise InvalidInput(
            N_("This field cannot be corrected."), fields={"field": [N_("Not a correctable field.")]}
        )


def check_correction_still_valid(recorded_old: Any, current: Any) -> None:
    if recorded_old != current:
        raise Conflict(
            N_("The field changed since the correction was proposed; propose it again."),
            code="correction.stale",
        )


register_labels(
    [
        (CheckoutPurpose.INTERROGATION, N_("Interrogation")),
        (CheckoutPurpose.APPRAISAL, N_("Appraisal")),
        (CheckoutPurpose.IDENTIFICATION, N_("Identification")),
        (CheckoutPurpose.TESTING, N_("Testing")),
        (CheckoutPurpose.INSPECTION, N_("Inspection")),
        (CheckoutPurpose.COURT_PRESENTATION, N_("Court presentation")),
        (CheckoutStatus.REQUESTED, N_("Requested")),
        (CheckoutStatus.APPROVED, N_("Approved")),
        (CheckoutStatus.REJECTED, N_("Not approved")),
        (CheckoutStatus.RELEASED, N_("Released")),
        (CheckoutStatus.RETURNED, N_("Returned")),
        (CheckoutStatus.CANCELLED, N_("Cancelled")),
        (ExtensionStatus.REQUESTED, N_("Requested")),
        (ExtensionStatus.APPROVED, N_("Approved")),
        (ExtensionStatus.REJECTED, N_("Not approved")),
        (Discrepancy.DAMAGE, N_("Damage")),
        (Discrepancy.SHORTAGE, N_("Shortage")),
        (Discrepancy.SUBSTITUTION, N_("Substitution")),
        (CounterpartyKind.PERSON, N_("Person")),
        (CounterpartyKind.LAB, N_("Laboratory")),
        (CounterpartyKind.COURT, N_("Court")),
        (CounterpartyKind.BANK, N_("Bank")),
        (CounterpartyKind.AUTHORITY, N_("Authority")),
        (CounterpartyKind.OTHER, N_("Other")),
        (DispositionRecordStatus.PROPOSED, N_("Proposed")),
        (DispositionRecordStatus.APPROVED, N_("Approved")),
        (DispositionRecordStatus.REJECTED, N_("Not approved")),
        (DispositionRecordStatus.EXECUTED, N_("Executed")),
        (DispositionRecordStatus.CANCELLED, N_("Cancelled")),
        (FreezeAssetType.DEPOSIT, N_("Deposit")),
        (FreezeAssetType.REMITTANCE, N_("Remittance")),
        (FreezeAssetType.BROKERAGE_FUNDS, N_("Brokerage funds")),
        (FreezeAssetType.BONDS, N_("Bonds")),
        (FreezeAssetType.STOCKS, N_("Stocks")),
        (FreezeAssetType.FUND_UNITS, N_("Fund units")),
        (FreezeAssetType.EQUITY, N_("Equity")),
        (FreezeAssetType.INSURANCE, N_("Insurance")),
        (FreezeStatus.ACTIVE, N_("In force")),
        (FreezeStatus.LAPSED, N_("Lapsed")),
        (FreezeStatus.RELEASED, N_("Unfrozen")),
        (CorrectionStatus.PROPOSED, N_("Proposed")),
        (CorrectionStatus.APPROVED, N_("Approved")),
        (CorrectionStatus.REJECTED, N_("Not approved")),
    ]
)
