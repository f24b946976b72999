"""Pure money rules (issue 13): amounts in whole 分, and the restitution allocation in the legal
order of 2014规定 art. 13 with the largest-remainder rule (hypothesis property tests)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custody.domain.errors import Conflict, InvalidInput
from custody.domain.items import MAX_FEN
from custody.domain.money import (
    LEGAL_ORDER,
    Claim,
    ClaimClass,
    allocate,
    check_amount,
    check_claim_amounts,
    check_sufficient,
    owed,
    priority,
    share_proportionally,
)

# -- amounts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1, 100, "100", " 250 ", Decimal("300"), MAX_FEN, 5.0])
def test_amounts_are_positive_whole_fen(value):
    assert check_amount(value) == int(Decimal(str(value).strip()))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "cannot be negative"),
        ("-0.5", "cannot be negative"),
        (0, "more than zero"),
        ("0.00", "more than zero"),
        (12.5, "fraction of a fen"),
        ("100.01", "fraction of a fen"),
        (Decimal("0.1"), "fraction of a fen"),
        (MAX_FEN + 1, "too large"),
        (10**30, "too large"),
        ("1E+400000000", "too large"),
        ("abc", "whole number"),
        ("NaN", "whole number"),
        ("Infinity", "whole number"),
        (float("inf"), "whole number"),
        (None, "whole number"),
        (True, "whole number"),
        ([1], "whole number"),
    ],
)
def test_bad_amounts_are_refused_with_a_clear_message(value, message):
    with pytest.raises(InvalidInput) as refused:
        check_amount(value, "amount_fen")
    assert message in refused.value.message.lower()
    assert list(refused.value.fields) == ["amount_fen"]


def test_a_payment_never_exceeds_the_balance():
    check_sufficient(100, 100)
    with pytest.raises(Conflict) as refused:
        check_sufficient(100, 101)
    assert refused.value.code == "money.insufficient_balance"


def test_a_claim_already_compensated_elsewhere_is_owed_the_rest():
    assert check_claim_amounts(1_000, 800, 300) == (1_000, 800, 300)
    assert owed(800, 300, 0) == 500
    assert owed(800, 300, 500) == 0
    assert owed(None, 0, 0) == 0
    with pytest.raises(InvalidInput) as refused:
        check_claim_amounts(1_000, 800, 900)
    assert "compensated_fen" in refused.value.fields
    with pytest.raises(InvalidInput) as refused:
        check_claim_amounts(-5, "1.5", None)
    assert set(refused.value.fields) == {"claimed_fen", "confirmed_fen"}


# -- allocation: examples ------------------------------------------------------------------------


def test_full_return_where_funds_suffice_and_the_remainder_to_the_treasury():
    plan = allocate(
        10_000, [Claim(1, ClaimClass.VICTIM_LOSS, 3_000), Claim(2, ClaimClass.VICTIM_LOSS, 4_000)]
    )
    assert [a.allocated_fen for a in plan.allocations] == [3_000, 4_000]
    assert plan.remainder_fen == 3_000
    assert plan.short_class is None


def test_proportional_when_funds_fall_short_with_the_remainder_fen_rule():
    # 100 fen among 3 equal claims: 33 each, the one fen left goes to the earliest claim (ties by key).
    plan = allocate(
        100,
        [
            Claim(7, ClaimClass.VICTIM_LOSS, 50),
            Claim(3, ClaimClass.VICTIM_LOSS, 50),
            Claim(5, ClaimClass.VICTIM_LOSS, 50),
        ],
    )
    assert {a.key: a.allocated_fen for a in plan.allocations} == {3: 34, 5: 33, 7: 33}
    assert plan.remainder_fen == 0
    assert plan.short_class is ClaimClass.VICTIM_LOSS


def test_largest_fraction_gets_the_spare_fen():
    # 2 fen over claims of 10 and 20: exact shares 0.67 and 1.33 → floors 0 and 1; the spare fen goes
    # to the larger discarded fraction (0.67), so 1 and 1.
    assert share_proportionally(
        2, [Claim(1, ClaimClass.VICTIM_LOSS, 10), Claim(2, ClaimClass.VICTIM_LOSS, 20)]
    ) == {1: 1, 2: 1}


def test_the_legal_order_medical_costs_first_then_losses_debts_fines_confiscation():
    claims = [
        Claim(1, ClaimClass.CONFISCATION, 5_000),
        Claim(2, ClaimClass.FINE, 2_000),
        Claim(3, ClaimClass.CIVIL_DEBT, 1_000),
        Claim(4, ClaimClass.VICTIM_LOSS, 6_000),
        Claim(5, ClaimClass.MEDICAL, 1_500),
    ]
    plan = allocate(8_000, claims)
    got = {a.klass: a.allocated_fen for a in plan.allocations}
    assert got == {
        ClaimClass.MEDICAL: 1_500,
        ClaimClass.VICTIM_LOSS: 6_000,
        ClaimClass.CIVIL_DEBT: 500,  # the first class the funds cannot cover is shared
        ClaimClass.FINE: 0,
        ClaimClass.CONFISCATION: 0,
    }
    assert [a.klass for a in plan.allocations] == list(LEGAL_ORDER)
    assert plan.short_class is ClaimClass.CIVIL_DEBT
    assert plan.remainder_fen == 0


# -- allocation: properties ------------------------------------------------------------------------

claims_strategy = st.lists(
    st.tuples(st.sampled_from(list(ClaimClass)), st.integers(min_value=0, max_value=10**13)),
    min_size=0,
    max_size=12,
).map(lambda pairs: [Claim(key, klass, amount) for key, (klass, amount) in enumerate(pairs, start=1)])
funds_strategy = st.integers(min_value=0, max_value=10**14)


@settings(max_examples=300, deadline=None)
@given(funds=funds_strategy, claims=claims_strategy)
def test_allocations_never_exceed_the_funds_nor_any_claim(funds, claims):
    plan = allocate(funds, claims)
    total = sum(a.allocated_fen for a in plan.allocations)
    assert 0 <= total <= funds
    assert total + plan.remainder_fen == funds
    assert all(0 <= a.allocated_fen <= a.owed_fen for a in plan.allocations)


@settings(max_examples=300, deadline=None)
@given(funds=funds_strategy, claims=claims_strategy)
def test_allocations_sum_to_the_funds_when_the_claims_exceed_them(funds, claims):
    plan = allocate(funds, claims)
    if sum(c.owed_fen for c in claims) >= funds:
        assert sum(a.allocated_fen for a in plan.allocations) == funds
        assert plan.remainder_fen == 0
    else:
        assert all(a.full for a in plan.allocations)


@settings(max_examples=300, deadline=None)
@given(funds=funds_strategy, claims=claims_strategy)
def test_allocations_respect_the_legal_order(funds, claims):
    plan = allocate(funds, claims)
    by_class = {k: [a for a in plan.allocations if a.klass is k] for k in ClaimClass}
    for klass in ClaimClass:
        later = [k for k in ClaimClass if priority(k) > priority(klass)]
        got_something_later = any(a.allocated_fen for k in later for a in by_class[k])
        if got_something_later:
            # A later class is paid only once every earlier class is paid in full.
            assert all(a.full for a in by_class[klass])


@settings(max_examples=300, deadline=None)
@given(funds=funds_strategy, claims=claims_strategy)
def test_shares_are_within_one_fen_of_the_exact_proportion_and_order_does_not_matter(funds, claims):
    plan = allocate(funds, claims)
    if plan.short_class is not None:
        group = [a for a in plan.allocations if a.klass is plan.short_class]
        pot = sum(a.allocated_fen for a in group)
        total = sum(a.owed_fen for a in group)
        for a in group:
            exact = Fraction(pot * a.owed_fen, total)
            assert abs(a.allocated_fen - exact) < 1
    shuffled = allocate(funds, list(reversed(claims)))
    assert {a.key: a.allocated_fen for a in shuffled.allocations} == {
        a.key: a.allocated_fen for a in plan.allocations
    }


@settings(max_examples=200, deadline=None)
@given(
    funds=st.integers(min_value=0, max_value=10**9),
    owed_amounts=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=10),
)
def test_more_owed_never_gets_less_within_a_class(funds, owed_amounts):
    claims = [Claim(k, ClaimClass.VICTIM_LOSS, o) for k, o in enumerate(owed_amounts, start=1)]
    shares = share_proportionally(min(funds, sum(owed_amounts)), claims)
    for a in claims:
        for b in claims:
            if a.owed_fen > b.owed_fen:
                assert shares[a.key] >= shares[b.key]
