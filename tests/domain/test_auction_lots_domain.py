"""An auction lot's total split over its items (issue 13, auction lots): the auction's prices, else by
appraised value, else equally; largest remainder so the parts add up exactly (hypothesis)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custody.domain.errors import InvalidInput
from custody.domain.items import MAX_FEN
from custody.domain.money import LotSplit, split_by_weight, split_lot


def test_the_auctions_own_prices_are_taken_when_they_add_up():
    assert split_lot(300, {1: 10, 2: None}, {1: 100, 2: 200}) == (LotSplit.AUCTION, {1: 100, 2: 200})
    with pytest.raises(InvalidInput) as short:
        split_lot(300, {1: 10, 2: 20}, {1: 100, 2: 199})
    assert "line_proceeds" in short.value.fields
    with pytest.raises(InvalidInput):
        split_lot(300, {1: 10, 2: 20}, {1: 300})


def test_the_total_is_split_by_appraised_value_with_the_spare_fen_to_the_largest_fraction():
    # 100 over 1:1:1 → 33.33 each: the spare 分 goes to the smallest item id (equal fractions).
    assert split_lot(100, {7: 500, 3: 500, 5: 500}) == (LotSplit.APPRAISED, {3: 34, 5: 33, 7: 33})
    # 1,000 over 1:2 → 333.3 and 666.6: the spare 分 to the larger fraction (item 2).
    assert split_lot(1_000, {1: 100, 2: 200}) == (LotSplit.APPRAISED, {1: 333, 2: 667})


def test_without_any_value_the_items_share_equally_and_a_mix_is_refused():
    assert split_lot(10, {1: None, 2: 0, 3: None}) == (LotSplit.EQUAL, {1: 4, 2: 3, 3: 3})
    with pytest.raises(InvalidInput) as mixed:
        split_lot(10, {1: 500, 2: None})
    assert mixed.value.code == "money.lot_unvalued_items"


weights = st.dictionaries(st.integers(1, 10_000), st.integers(1, MAX_FEN), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, MAX_FEN), weights)
def test_parts_add_up_to_the_total_are_never_negative_and_within_one_fen_of_the_proportion(total, w):
    parts = split_by_weight(total, w)
    assert sum(parts.values()) == total
    assert set(parts) == set(w)
    whole = sum(w.values())
    for key, part in parts.items():
        assert part >= 0
        assert abs(Fraction(part) - Fraction(total * w[key], whole)) < 1


@settings(max_examples=200, deadline=None)
@given(st.integers(0, MAX_FEN), weights, st.randoms(use_true_random=False))
def test_the_order_of_the_items_changes_nothing(total, w, rnd):
    keys = list(w)
    rnd.shuffle(keys)
    assert split_by_weight(total, {k: w[k] for k in keys}) == split_by_weight(total, w)
    assert split_lot(total, {k: w[k] for k in keys}) == split_lot(total, w)
