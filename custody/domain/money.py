"""Money as money: the case-money account (涉案款专户), each case's sub-ledger of movements, and
restitution to victims in the legal order [LAW + DESIGN].

Pure rules over plain values. Amounts are integers in 分 (fen) everywhere; nothing here ever
uses a float. The database keeps the balance as the running sum of movements (custody/models/money.py,
migration 0040); these functions decide what may be recorded and how money is shared out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .enums import LabelledEnum, TransferKind, register_labels
from .errors import Conflict, InvalidInput
from .i18n import N_
from .items import MAX_FEN

# -- movements ---------------------------------------------------------------------------------


class MovementKind(LabelledEnum):
    """One line of a case's sub-ledger (分户账)."""

    DEPOSIT = "deposit"  # 现金存入专户 (with the bank slip)
    INTEREST = "interest"  # 孳息: interest credited by the bank
    PROCEEDS = "proceeds"  # 先行处置（变卖、拍卖）价款
    DEDUCTION = "deduction"  # 扣划: from a frozen account into the 专户, after the judgment
    REFUND = "refund"  # 退库: money back from the treasury for a verified late claim
    TRANSFER = "transfer"  # 随案移交: the balance's custodian changes, the money stays in the bank
    RESTITUTION = "restitution"  # 发还、退赔: paid to a victim under an approved plan
    REMITTANCE = "remittance"  # 上缴国库 (with the 缴款书 number)


INFLOWS = frozenset(
    {
        MovementKind.DEPOSIT,
        MovementKind.INTEREST,
        MovementKind.PROCEEDS,
        MovementKind.DEDUCTION,
        MovementKind.REFUND,
    }
)
OUTFLOWS = frozenset({MovementKind.RESTITUTION, MovementKind.REMITTANCE})


def sign_of(kind: MovementKind) -> int:
    """+1 money in, -1 money out, 0 a change of custodian only."""
    if kind in INFLOWS:
        return 1
    if kind in OUTFLOWS:
        return -1
    return 0


def direction_sql() -> str:
    """The CHECK that ties each kind to the sign of its amount (kept equal to ``sign_of`` by a test)."""
    ins = ", ".join(f"'{k.value}'" for k in sorted(INFLOWS))
    outs = ", ".join(f"'{k.value}'" for k in sorted(OUTFLOWS))
    return (
        f"(kind IN ({ins}) AND delta_fen > 0) OR (kind IN ({outs}) AND delta_fen < 0)"
        f" OR (kind = '{MovementKind.TRANSFER.value}' AND delta_fen = 0)"
    )


# [LAW] The case's money follows the case file on these routes (刑诉法 245 ¶1 随案移送; 程序规定 185);
# not on an appeal (the first-instance court deals with it after the judgment, 2021解释 447) and not
# back to the police for supplementary investigation (custody normally stays) [DESIGN].
MONEY_FOLLOWS_CASE = frozenset({TransferKind.PROSECUTION, TransferKind.INDICTMENT, TransferKind.JURISDICTION})

# [LAW] 检察院规则 art. 217: seized money is paid into the 唯一合规账户 within three days. [DESIGN] the
# same period for every agency (the police's 2015 rules say "及时").
DEPOSIT_DAYS = 3


def check_amount(value: Any, field: str = "amount_fen") -> int:
    """A positive amount of money in whole 分, at most ``MAX_FEN`` (1,000 亿元) in one movement.

    Refuses, each with its own message: no number, a flag, a fraction of a 分, zero, a negative
    amount, an amount too large for one movement. Only context-free Decimal operations touch the
    untrusted value (no arithmetic), so ``1E+400000000`` is a field error, not an overflow."""

    def bad(message: str) -> InvalidInput:
        return InvalidInput(message, fields={field: [message]})

    if isinstance(value, bool) or value is None:
        raise bad(N_("Enter an amount in fen (a whole number)."))
    if isinstance(value, int):
        amount = Decimal(value)
    else:
        try:
            amount = Decimal(value) if isinstance(value, Decimal | float) else Decimal(str(value).strip())
        except (InvalidOperation, ValueError, TypeError) as exc:
            raise bad(N_("Enter an amount in fen (a whole number).")) from exc
    if not amount.is_finite():
        raise bad(N_("Enter an amount in fen (a whole number)."))
    if amount.is_signed() and not amount.is_zero():
        raise bad(N_("The amount cannot be negative."))
    if amount.is_zero():
        raise bad(N_("The amount must be more than zero."))
    if amount.adjusted() > Decimal(MAX_FEN).adjusted():
        raise bad(N_("The amount is too large for one movement."))
    if amount != amount.to_integral_value():
        raise bad(N_("Amounts are whole fen: a fraction of a fen cannot be recorded."))
    fen = int(amount)
    if fen > MAX_FEN:
        raise bad(N_("The amount is too large for one movement."))
    return fen


def check_sufficient(balance_fen: int, amount_fen: int) -> None:
    """A payment never takes more than the balance it is paid from."""
    if amount_fen > balance_fen:
        raise Conflict(
            N_("The balance (%(balance)s fen) does not cover this payment (%(amount)s fen)."),
            code="money.insufficient_balance",
            balance=balance_fen,
            amount=amount_fen,
        )


def check_text(fields: dict[str, tuple[str | None, int, bool]]) -> dict[str, str | None]:
    """Strip texts; ``(value, max length, required)`` per field. Raises one error naming every field."""
    cleaned: dict[str, str | None] = {}
    errors: dict[str, list[str]] = {}
    for name, (value, limit, required) in fields.items():
        text = (value or "").strip()
        if required and not text:
            errors[name] = [N_("Required.")]
        elif len(text) > limit:
            errors[name] = [N_("Too long.")]
        cleaned[name] = text or None
    if errors:
        raise InvalidInput(N_("The entry has errors."), fields=errors)
    return cleaned


# -- restitution (2014规定 art. 13; 2021解释 art. 438) -------------------------------------------


class ClaimClass(LabelledEnum):
    """What a claim on the case's money is, in the order 2014规定 art. 13 pays them."""

    MEDICAL = "medical"  # （一）人身损害赔偿中的医疗费用
    VICTIM_LOSS = "victim_loss"  # （二）退赔被害人的损失
    CIVIL_DEBT = "civil_debt"  # （三）其他民事债务
    FINE = "fine"  # （四）罚金
    CONFISCATION = "confiscation"  # （五）没收财产


LEGAL_ORDER: tuple[ClaimClass, ...] = (
    ClaimClass.MEDICAL,
    ClaimClass.VICTIM_LOSS,
    ClaimClass.CIVIL_DEBT,
    ClaimClass.FINE,
    ClaimClass.CONFISCATION,
)
# Paid to the state (上缴国库), not to a person.
STATE_CLASSES = frozenset({ClaimClass.FINE, ClaimClass.CONFISCATION})


def priority(klass: ClaimClass) -> int:
    return LEGAL_ORDER.index(klass) + 1


class PlanStatus(LabelledEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


OPEN_PLAN = frozenset({PlanStatus.PROPOSED, PlanStatus.APPROVED})


class LineKind(LabelledEnum):
    """A line of a restitution plan: a claim, an order of the judgment, or the remainder that goes to the treasury."""

    CLAIM = "claim"
    ORDER = "order"  # an order of money in the judgment (pay a victim, confiscate an amount)
    REMAINDER = "remainder"  # 余款上缴国库 (刑诉法 245 ¶4)


class LineStatus(LabelledEnum):
    PENDING = "pending"
    PAID = "paid"
    NOTHING_DUE = "nothing_due"  # allocated 0 fen: nothing to pay


@dataclass(frozen=True)
class Claim:
    """A confirmed claim still owed: ``key`` is its stable identity (the claim's id), used to break
    ties so the allocation does not depend on the order claims are listed in."""

    key: int
    klass: ClaimClass
    owed_fen: int


@dataclass(frozen=True)
class Allocation:
    key: int
    klass: ClaimClass
    owed_fen: int
    allocated_fen: int

    @property
    def full(self) -> bool:
        return self.allocated_fen == self.owed_fen


@dataclass(frozen=True)
class Plan:
    funds_fen: int
    allocations: tuple[Allocation, ...]
    remainder_fen: int  # what is left after every claim: to the treasury
    short_class: ClaimClass | None  # the class that was shared proportionally (None: all paid in full)


RULE = "largest-remainder-v1"


def share_proportionally(funds_fen: int, claims: Sequence[Claim]) -> dict[int, int]:
    """Share ``funds_fen`` (less than the claims' total) in proportion to what each claim is owed.

    [DESIGN] The remainder-分 rule (largest remainder, Hamilton's method): each claim first gets
    ⌊funds × owed ÷ total⌋ fen; the few fen left over (fewer than the number of claims) go one each
    to the claims with the largest discarded fraction (funds × owed mod total), ties to the smaller
    ``key`` (the claim registered first). So every share is within one 分 of its exact proportion,
    the shares add up to the funds exactly, no claim gets more than it is owed, and listing the
    claims in another order changes nothing.
    """
    total = sum(c.owed_fen for c in claims)
    if total <= 0:
        return {c.key: 0 for c in claims}
    if funds_fen >= total:
        return {c.key: c.owed_fen for c in claims}
    base = {c.key: funds_fen * c.owed_fen // total for c in claims}
    left = funds_fen - sum(base.values())
    by_fraction = sorted(claims, key=lambda c: (-(funds_fen * c.owed_fen % total), c.key))
    for claim in by_fraction[:left]:
        base[claim.key] += 1
    return base


def allocate(funds_fen: int, claims: Iterable[Claim]) -> Plan:
    """The restitution plan: claims in the legal order of 2014规定 art. 13, each class paid in full
    while the funds last; the first class the funds cannot cover is shared proportionally
    (2021解释 art. 438: 按比例返还被害人) and the classes after it get nothing; what is left after
    every claim goes to the treasury (刑诉法 art. 245 ¶4)."""
    if funds_fen < 0:
        raise ValueError("funds cannot be negative")
    claims = list(claims)
    if len({c.key for c in claims}) != len(claims):
        raise ValueError("claim keys must be unique")
    left = funds_fen
    allocations: list[Allocation] = []
    short: ClaimClass | None = None
    for klass in LEGAL_ORDER:
        group = sorted((c for c in claims if c.klass is klass), key=lambda c: c.key)
        if not group:
            continue
        total = sum(c.owed_fen for c in group)
        shares = share_proportionally(left, group) if left < total else {c.key: c.owed_fen for c in group}
        if left < total and short is None:
            short = klass
        for claim in group:
            allocations.append(Allocation(claim.key, klass, claim.owed_fen, shares[claim.key]))
        left -= sum(shares.values())
    return Plan(funds_fen, tuple(allocations), left, short)


# -- auction lots -------------------------------------------------------------------------------


class LotSplit(LabelledEnum):
    """How a lot's total price was shared out over its items."""

    AUCTION = "auction"  # the auction's own per-item prices
    APPRAISED = "appraised"  # in proportion to each item's appraised (estimated) value
    EQUAL = "equal"  # equally: no item of the lot has a value


LOT_RULE = "largest-remainder-v1"


@dataclass(frozen=True)
class AuctionLot:
    """One lot of a judicial auction (司法拍卖) that sold many items together: the auction's
    reference (the platform's lot or 成交确认书 number) and the buyer (买受人)."""

    reference: str
    buyer: str


def split_by_weight(total_fen: int, weights: Mapping[int, int]) -> dict[int, int]:
    """Share ``total_fen`` over keys in proportion to their (positive) weights, exactly.

    [DESIGN] The same largest-remainder rule as the restitution plan (``share_proportionally``):
    each key first gets ⌊total × weight ÷ Σweights⌋ 分; the few 分 left over (fewer than the keys) go
    one each to the largest discarded fractions, ties to the smaller key. The parts add up to the
    total, each is within one 分 of its exact proportion, and the keys' order changes nothing."""
    if total_fen < 0 or not weights or any(w <= 0 for w in weights.values()):
        raise ValueError("a non-negative total over positive weights")
    whole = sum(weights.values())
    parts = {key: total_fen * weight // whole for key, weight in weights.items()}
    left = total_fen - sum(parts.values())
    for key in sorted(weights, key=lambda k: (-(total_fen * weights[k] % whole), k))[:left]:
        parts[key] += 1
    return parts


def split_lot(
    total_fen: int, values: Mapping[int, int | None], prices: Mapping[int, int] | None = None
) -> tuple[LotSplit, dict[int, int]]:
    """An auction lot's total price shared out over its items (item id → 分).

    The auction's own per-item prices when it states them (every item, adding up to the total);
    otherwise in proportion to each item's appraised value; when no item has a value, equally.
    [DESIGN] A lot where some items have a value and others none is refused: a share for an item
    without a value would be invented, so the keeper gives the auction's prices (or has the items
    valued) instead. A value of 0 counts as none."""
    if not values:
        raise ValueError("a lot has items")
    if prices:
        if set(prices) != set(values):
            raise InvalidInput(
                N_("Give a price for every item of the lot, or none."),
                fields={"line_proceeds": [N_("Every item of the lot, or none.")]},
            )
        if any(v < 0 or v > MAX_FEN for v in prices.values()) or sum(prices.values()) != total_fen:
            raise InvalidInput(
                N_("The prices of the items must add up to the lot's proceeds."),
                fields={"line_proceeds": [N_("Does not add up to the proceeds.")]},
            )
        return LotSplit.AUCTION, dict(prices)
    valued = {key: v for key, v in values.items() if v}
    if not valued:
        return LotSplit.EQUAL, split_by_weight(total_fen, dict.fromkeys(values, 1))
    if len(valued) != len(values):
        raise InvalidInput(
            N_(
                "Some items of the lot have no appraised value: give the auction's price of every item, "
                "or value the items first."
            ),
            code="money.lot_unvalued_items",
            fields={"line_proceeds": [N_("Give the auction's price of every item.")]},
        )
    return LotSplit.APPRAISED, split_by_weight(total_fen, valued)


def check_claim_amounts(
    claimed_fen: Any, confirmed_fen: Any = None, compensated_fen: Any = None
) -> tuple[int, int | None, int]:
    """A claim: the amount claimed, the amount the judgment confirms (none until then), and what the
    victim already received elsewhere (已获退赔的部分应予扣除, 2021解释 art. 438; none is 0)."""
    errors: dict[str, list[str]] = {}
    claimed = confirmed = None
    compensated = 0
    try:
        claimed = check_amount(claimed_fen, "claimed_fen")
    except InvalidInput as error:
        errors.update(error.fields)
    if confirmed_fen is not None and confirmed_fen != "":
        try:
            confirmed = check_amount(confirmed_fen, "confirmed_fen")
        except InvalidInput as error:
            errors.update(error.fields)
    if compensated_fen is not None and compensated_fen != "" and compensated_fen != 0:
        try:
            compensated = check_amount(compensated_fen, "compensated_fen")
        except InvalidInput as error:
            errors.update(error.fields)
    if not errors and confirmed is not None and compensated > confirmed:
        errors["compensated_fen"] = [N_("More than the confirmed loss.")]
    if errors or claimed is None:
        raise InvalidInput(N_("The claim has errors."), fields=errors)
    return claimed, confirmed, compensated


def owed(confirmed_fen: int | None, compensated_fen: int, paid_fen: int) -> int:
    """What a claim is still owed: the confirmed loss less what was received elsewhere and paid here."""
    if confirmed_fen is None:
        return 0
    return max(confirmed_fen - compensated_fen - paid_fen, 0)


register_labels(
    [
        (MovementKind.DEPOSIT, N_("Cash deposited")),
        (LotSplit.AUCTION, N_("The auction's per-item prices")),
        (LotSplit.APPRAISED, N_("In proportion to the appraised values")),
        (LotSplit.EQUAL, N_("Equally (no appraised values)")),
        (MovementKind.INTEREST, N_("Interest (fruits)")),
        (MovementKind.PROCEEDS, N_("Sale / auction proceeds")),
        (MovementKind.DEDUCTION, N_("Deducted from a frozen account")),
        (MovementKind.REFUND, N_("Refund from the treasury")),
        (MovementKind.TRANSFER, N_("Transferred with the case")),
        (MovementKind.RESTITUTION, N_("Restitution payment")),
        (MovementKind.REMITTANCE, N_("Remitted to the treasury")),
        (ClaimClass.MEDICAL, N_("Medical costs of personal injury")),
        (ClaimClass.VICTIM_LOSS, N_("Victim's loss")),
        (ClaimClass.CIVIL_DEBT, N_("Other civil debt")),
        (ClaimClass.FINE, N_("Fine")),
        (ClaimClass.CONFISCATION, N_("Confiscation of property")),
        (PlanStatus.PROPOSED, N_("Awaiting approval")),
        (PlanStatus.APPROVED, N_("Approved")),
        (PlanStatus.REJECTED, N_("Rejected")),
        (PlanStatus.COMPLETED, N_("Completed")),
        (PlanStatus.CANCELLED, N_("Cancelled")),
        (LineKind.CLAIM, N_("Claim")),
        (LineKind.ORDER, N_("The judgment's order")),
        (LineKind.REMAINDER, N_("Remainder to the treasury")),
        (LineStatus.PENDING, N_("To be paid")),
        (LineStatus.PAID, N_("Paid")),
        (LineStatus.NOTHING_DUE, N_("Nothing due")),
    ]
)
