"""The pure rules of bank reconciliation (custody/domain/reconciliation.py)."""

from __future__ import annotations

from datetime import date

import pytest

from custody.domain.errors import Conflict, InvalidInput
from custody.domain.reconciliation import (
    LineKey,
    MovementKey,
    check_line_amount,
    check_manual_match,
    check_reason,
    match,
    reference_key,
    totals,
)

D = date(2026, 11, 25)


def test_references_compare_without_white_space_or_case():
    assert reference_key(" 存款凭条 0001 ") == reference_key("存款凭条0001") == "存款凭条0001"
    assert reference_key("ab\u3000C") == reference_key("ABc")
    assert reference_key("   ") is None
    assert reference_key(None) is None


def test_a_line_matches_by_reference_and_signed_amount_and_a_movement_once():
    movements = [
        MovementKey(1, D, 500, "A-1"),
        MovementKey(2, D, -500, "A-1"),
        MovementKey(3, date(2026, 11, 20), 700, "B"),
        MovementKey(4, date(2026, 11, 24), 700, "B"),
    ]
    lines = [
        LineKey("credit", D, 500, "a-1"),
        LineKey("debit", D, -500, "A-1"),
        LineKey("again", D, 500, "A-1"),  # the only credit of A-1 is taken
        LineKey("nearest", D, 700, "B"),  # the movement dated nearest the line
        LineKey("next", D, 700, "B"),
        LineKey("no-ref", D, 700, None),
        LineKey("other-amount", D, 501, "A-1"),
    ]
    assert match(lines, movements) == {"credit": 1, "debit": 2, "nearest": 4, "next": 3}


def test_a_transfer_of_zero_is_never_matched():
    assert match([LineKey(1, D, 1, "T")], [MovementKey(9, D, 0, "T")]) == {}


@pytest.mark.parametrize("fen", [0])
def test_a_line_of_zero_is_refused(fen):
    with pytest.raises(InvalidInput):
        check_line_amount(fen)


def test_line_amounts_keep_their_sign_within_the_bound():
    assert check_line_amount(-1) == -1
    assert check_line_amount(10**13) == 10**13
    with pytest.raises(InvalidInput):
        check_line_amount(-(10**13) - 1)


def test_a_reason_is_real_and_a_manual_match_needs_equal_amounts():
    assert check_reason("  次日入账  ") == "次日入账"
    for reason in (None, "", "。。。", "aaaa", "abc", "x" * 501):
        with pytest.raises(InvalidInput):
            check_reason(reason)
    check_manual_match(-500, -500)
    with pytest.raises(Conflict):
        check_manual_match(500, -500)


def test_totals():
    t = totals([(500, True), (-200, False), (100, False)], [300, -50])
    assert (t.lines, t.credits_fen, t.debits_fen, t.net_fen) == (3, 600, 200, 400)
    assert (t.matched_lines, t.matched_fen, t.unmatched_lines, t.unmatched_lines_fen) == (1, 500, 2, -100)
    assert (t.unmatched_movements, t.unmatched_movements_fen) == (2, 250)
