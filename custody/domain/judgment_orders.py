"""The judgment's per-item orders (判决对涉案财物的处理) [LAW 2021解释 art. 444–448 + DESIGN].

A recorded judgment lists, line by line, what it orders for the case's property: an item returned to
a named recipient, confiscated, destroyed or handed to the competent authority; an amount of the case
money confiscated or paid to a victim. Item orders become final disposals (``services/dispositions``)
proposed from the orders in one action; the executing agency's receipt (执行回单) goes back to the
court, which acknowledges it and so closes the order. Pure rules: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .enums import DispositionKind, LabelledEnum, register_labels
from .errors import Conflict, InvalidInput
from .i18n import N_
from .money import check_amount


class OrderKind(LabelledEnum):
    RETURN = "return"  # 发还（写明领取人）
    CONFISCATE = "confiscate"  # 没收上缴国库（物品或款项）
    DESTROY = "destroy"  # 销毁
    HAND_OVER = "hand_over"  # 移交有关主管机关
    PAY_VICTIM = "pay_victim"  # 从涉案款中发还、退赔被害人


class OrderStatus(LabelledEnum):
    OPEN = "open"  # recorded; nothing proposed yet
    PROPOSED = "proposed"  # a final disposal was proposed from it
    EXECUTED = "executed"  # the disposal was executed: its receipt waits for the court
    CLOSED = "closed"  # the court acknowledged the execution receipt (执行回单)


register_labels(
    [
        (OrderKind.RETURN, N_("Return to the named recipient")),
        (OrderKind.CONFISCATE, N_("Confiscate to the state treasury")),
        (OrderKind.DESTROY, N_("Destroy")),
        (OrderKind.HAND_OVER, N_("Hand to the competent authority")),
        (OrderKind.PAY_VICTIM, N_("Pay to the victim from the case money")),
        (OrderStatus.OPEN, N_("Open")),
        (OrderStatus.PROPOSED, N_("Disposal proposed")),
        (OrderStatus.EXECUTED, N_("Executed, receipt awaited")),
        (OrderStatus.CLOSED, N_("Receipt acknowledged, closed")),
    ]
)

# The final disposal each item order becomes.
DISPOSAL_KIND: dict[OrderKind, DispositionKind] = {
    OrderKind.RETURN: DispositionKind.RETURN_TO_OWNER,
    OrderKind.CONFISCATE: DispositionKind.CONFISCATE,
    OrderKind.DESTROY: DispositionKind.DESTROY,
    OrderKind.HAND_OVER: DispositionKind.HAND_OVER,
}
# Kinds that may name an amount of the case money instead of an item.
MONEY_KINDS = frozenset({OrderKind.CONFISCATE, OrderKind.PAY_VICTIM})
# An item may be in at most one order that is not yet executed [DESIGN].
PENDING = (OrderStatus.OPEN, OrderStatus.PROPOSED)
MAX_LINES = 500
RECIPIENT_MAX = 100
NOTE_MAX = 500


@dataclass(frozen=True)
class OrderLine:
    """One line of the judgment as the court enters it."""

    kind: OrderKind
    item_id: int | None = None
    amount_fen: Any = None
    victim_id: int | None = None
    recipient: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class OrderItemFacts:
    """What the rules need to know of an item a line names."""

    of_this_case: bool
    disposed: bool
    in_pending_order: bool


def _field(index: int, name: str) -> str:
    return f"lines.{index}.{name}"


def _bad(index: int, name: str, message: str, code: str | None = None) -> InvalidInput:
    return InvalidInput(message, code=code, fields={_field(index, name): [message]})


def check_judgment_recorded(has_judgment: bool) -> None:
    """Orders are part of the effective judgment: none before it is on record [LAW 2021解释 444 ¶1]."""
    if not has_judgment:
        raise Conflict(N_("No effective judgment is recorded for this case."), code="case.no_judgment")


def check_order_line(
    index: int,
    line: OrderLine,
    *,
    item: OrderItemFacts | None,
    victim_of_case: bool | None,
    seen_items: set[int],
) -> OrderLine:
    """One line, normalised: either an item of the case (not disposed of, in no other pending order,
    not twice in the judgment) or a positive amount; a return names its recipient; a payment to a
    victim names a victim of the case. ``item`` is None when the line's item is not of this case or
    unknown; ``victim_of_case`` likewise for the victim (None when no victim is named)."""
    kind = line.kind
    recipient = (line.recipient or "").strip() or None
    note = (line.note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise _bad(index, "note", N_("Too long."))
    if (line.item_id is None) == (line.amount_fen is None):
        raise _bad(
            index,
            "item_id",
            N_("A line names either an item of the case or an amount of money, one of them."),
            code="order.item_or_amount",
        )
    if line.item_id is not None:
        _check_item_line(index, line, item, seen_items)
        amount = None
    else:
        amount = _checked_amount(index, line)
    _check_victim(index, kind, line.victim_id, victim_of_case)
    recipient = _checked_recipient(index, kind, recipient)
    victim_id = line.victim_id
    return OrderLine(
        kind=kind,
        item_id=line.item_id,
        amount_fen=amount,
        victim_id=victim_id,
        recipient=recipient,
        note=note,
    )


def _check_item_line(index: int, line: OrderLine, item: OrderItemFacts | None, seen_items: set[int]) -> None:
    """A line naming an item: an order of property, about an item of the case not disposed of and
    not in another pending order (nor twice in this judgment)."""
    assert line.item_id is not None
    if line.kind not in DISPOSAL_KIND:
        raise _bad(index, "item_id", N_("This order is for money: give an amount."), code="order.money_only")
    if item is None or not item.of_this_case:
        raise _bad(index, "item_id", N_("Not an item of this case."), code="order.not_of_case")
    if item.disposed:
        raise Conflict(
            N_("Line %(line)s: the item has already been disposed of."),
            code="order.item_disposed",
            line=index + 1,
        )
    if item.in_pending_order or line.item_id in seen_items:
        raise Conflict(
            N_("Line %(line)s: the item is already in an order that is not yet executed."),
            code="order.item_in_open_order",
            line=index + 1,
        )
    seen_items.add(line.item_id)


def _checked_amount(index: int, line: OrderLine) -> int:
    """A line giving an amount: an order of money, for a positive amount."""
    if line.kind not in MONEY_KINDS:
        raise _bad(
            index, "amount_fen", N_("This order names an item, not an amount."), code="order.item_only"
        )
    try:
        return check_amount(line.amount_fen, _field(index, "amount_fen"))
    except InvalidInput as error:
        raise InvalidInput(error.message, code="order.amount", fields=error.fields) from None


def _check_victim(index: int, kind: OrderKind, victim_id: int | None, victim_of_case: bool | None) -> None:
    """A payment to a victim names a victim of the case; no other order names one."""
    if kind is OrderKind.PAY_VICTIM:
        if victim_id is None or not victim_of_case:
            raise _bad(index, "victim_id", N_("Name a victim of this case."), code="order.victim")
    elif victim_id is not None:
        raise _bad(index, "victim_id", N_("Only a payment to a victim names a victim."), code="order.victim")


def _checked_recipient(index: int, kind: OrderKind, recipient: str | None) -> str | None:
    """A return names its recipient (within the length); for other orders the name is kept, cut."""
    if kind is OrderKind.RETURN:
        if recipient is None:
            raise _bad(
                index, "recipient", N_("A return names its recipient."), code="order.recipient_required"
            )
        if len(recipient) > RECIPIENT_MAX:
            raise _bad(index, "recipient", N_("Too long."))
        return recipient
    return recipient[:RECIPIENT_MAX] if recipient is not None else None


def check_lines(count: int) -> None:
    if count == 0:
        raise InvalidInput(N_("Enter at least one line."), fields={"lines": [N_("Enter at least one line.")]})
    if count > MAX_LINES:
        raise InvalidInput(N_("Too many lines."), fields={"lines": [N_("Too many lines.")]})


def receipt_awaited(status: OrderStatus, *, money_order: bool) -> bool:
    """Whether the court may acknowledge an order's execution receipt: once the order is executed
    (an order of money is executed on the money pages, so while it is open) [DESIGN]."""
    return status is OrderStatus.EXECUTED or (money_order and status is OrderStatus.OPEN)


def check_receipt(status: OrderStatus, *, money_order: bool, receipt_no: str | None) -> str:
    """The court acknowledges the execution receipt of an executed order (for an order of money,
    executed on the money pages, of an open order) and so closes it [DESIGN]."""
    if status is OrderStatus.CLOSED:
        raise Conflict(N_("The order is already closed."), code="order.closed")
    if not receipt_awaited(status, money_order=money_order):
        raise Conflict(
            N_("The order has not been executed yet: there is no receipt to acknowledge."),
            code="order.not_executed",
        )
    number = (receipt_no or "").strip()
    if not number or len(number) > 64:
        raise InvalidInput(
            N_("Record the execution receipt number (执行回单)."), fields={"receipt_no": [N_("Required.")]}
        )
    return number
