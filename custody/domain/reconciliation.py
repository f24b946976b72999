"""Bank-statement reconciliation of the case-money account (涉案款专户对账) [DESIGN].

The law requires the dedicated account (2021解释 art. 437 ¶3; 检察院规则 art. 217), not a
reconciliation procedure: this is ours. A bank statement's lines are matched to the account's
movements by reference (the slip / 缴款书 number) and signed amount; what stays unmatched on either
side is listed for a keeper to resolve with a reason, or to match by hand (equal amounts only).

Pure rules over plain values; amounts in 分 (credits positive, debits negative).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .errors import Conflict, InvalidInput
from .i18n import N_
from .items import is_real_reason
from .money import check_amount

MAX_REASON = 500


def check_line_amount(fen: int) -> int:
    """A statement line's signed amount in 分: never zero, at most ``MAX_FEN`` either way, whole 分
    (the domain's amount check on its size; the sign says credit or debit)."""
    if fen < 0:
        return -check_amount(-fen, "amount")
    return check_amount(fen, "amount")


def reference_key(reference: str | None) -> str | None:
    """What two references are compared by: the text without any white space, case folded, so
    ``存款凭条 0001`` on the slip and ``存款凭条0001`` on the statement are one reference."""
    key = "".join((reference or "").split()).casefold()
    return key or None


def check_reason(reason: str | None) -> str:
    """A resolution's reason: a real reason (``is_real_reason``: four letters or digits, not all the
    same), at most 500 characters."""
    text = (reason or "").strip()
    if not is_real_reason(text):
        raise InvalidInput(
            N_("Say why this line needs no match (a real reason, at least four characters)."),
            fields={"reason": [N_("Give a real reason.")]},
        )
    if len(text) > MAX_REASON:
        raise InvalidInput(N_("The reason is too long."), fields={"reason": [N_("Too long.")]})
    return text


def check_manual_match(line_amount_fen: int, movement_delta_fen: int) -> None:
    """By hand, a line is matched only to a movement of exactly its amount and sign."""
    if line_amount_fen != movement_delta_fen:
        raise Conflict(
            N_(
                "The statement line (%(line)s fen) and the movement (%(movement)s fen) differ: "
                "only equal amounts are matched."
            ),
            code="reconciliation.amount_differs",
            line=line_amount_fen,
            movement=movement_delta_fen,
        )


@dataclass(frozen=True)
class LineKey:
    """A statement line as matching sees it."""

    key: Any
    value_date: date
    amount_fen: int
    reference: str | None


@dataclass(frozen=True)
class MovementKey:
    key: Any
    value_date: date
    delta_fen: int
    reference: str | None


def match(lines: Sequence[LineKey], movements: Iterable[MovementKey]) -> dict[Any, Any]:
    """Automatic matching: line key → movement key.

    A line matches a movement with the same reference (``reference_key``) and the same signed amount;
    each movement is matched at most once. When several movements qualify, the one whose value date
    is nearest the line's is taken (then the earlier date, then the smaller key); lines are served in
    the statement's order. Lines without a reference are never matched automatically."""
    pool: dict[tuple[str, int], list[MovementKey]] = {}
    for movement in movements:
        ref = reference_key(movement.reference)
        if ref is not None and movement.delta_fen != 0:
            pool.setdefault((ref, movement.delta_fen), []).append(movement)
    matched: dict[Any, Any] = {}
    for line in lines:
        ref = reference_key(line.reference)
        if ref is None:
            continue
        candidates = pool.get((ref, line.amount_fen))
        if not candidates:
            continue
        best = min(
            candidates,
            key=lambda m: (abs((m.value_date - line.value_date).days), m.value_date, m.key),
        )
        candidates.remove(best)
        matched[line.key] = best.key
    return matched


@dataclass(frozen=True)
class Totals:
    """A statement's totals in 分: credits and debits are sizes (positive numbers)."""

    lines: int
    credits_fen: int
    debits_fen: int
    matched_lines: int
    matched_fen: int  # the matched lines' net amount
    unmatched_lines: int
    unmatched_lines_fen: int  # net
    unmatched_movements: int
    unmatched_movements_fen: int  # net

    @property
    def net_fen(self) -> int:
        return self.credits_fen - self.debits_fen


def totals(line_amounts: Iterable[tuple[int, bool]], unmatched_movement_deltas: Iterable[int]) -> Totals:
    """``line_amounts``: (signed amount, matched?) per line."""
    credits = debits = matched_n = matched_fen = unmatched_n = unmatched_fen = 0
    for amount, is_matched in line_amounts:
        if amount > 0:
            credits += amount
        else:
            debits -= amount
        if is_matched:
            matched_n += 1
            matched_fen += amount
        else:
            unmatched_n += 1
            unmatched_fen += amount
    deltas = list(unmatched_movement_deltas)
    return Totals(
        lines=matched_n + unmatched_n,
        credits_fen=credits,
        debits_fen=debits,
        matched_lines=matched_n,
        matched_fen=matched_fen,
        unmatched_lines=unmatched_n,
        unmatched_lines_fen=unmatched_fen,
        unmatched_movements=len(deltas),
        unmatched_movements_fen=sum(deltas),
    )
