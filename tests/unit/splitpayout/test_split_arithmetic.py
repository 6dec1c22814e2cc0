"""Property-based checks of the split: exact, never negative, within one öre, odd öre to sökande 1."""

from __future__ import annotations

from fractions import Fraction

import pytest
from export_builder import TODAY, raw_row
from hypothesis import given
from hypothesis import strategies as st
from splitpayout.domain.models import Outcome
from splitpayout.domain.planning.payments import plan_row
from splitpayout.domain.planning.rules import PlanningRules, split_amount

rests = st.integers(min_value=0, max_value=10**12)
shares = st.integers(min_value=100, max_value=9900)


@given(rests, shares)
def test_parts_add_up_exactly_and_are_never_negative(rest: int, share: int) -> None:
    p1, p2 = split_amount(rest, share)
    assert p1 + p2 == rest
    assert p1 >= 0
    assert p2 >= 0


@given(rests, shares)
def test_each_part_is_within_one_ore_of_the_exact_share(rest: int, share: int) -> None:
    p1, p2 = split_amount(rest, share)
    exact1 = Fraction(rest * share, 10_000)
    exact2 = rest - exact1
    assert abs(p1 - exact1) < 1
    assert abs(p2 - exact2) < 1
    assert p1 >= exact1  # rounding always favours sökande 1
    assert p2 <= exact2


@given(st.integers(min_value=0, max_value=10**12))
def test_an_even_split_gives_the_odd_ore_to_sokande_1(rest: int) -> None:
    p1, p2 = split_amount(rest, 5000)
    assert p1 - p2 == rest % 2


@given(
    st.integers(min_value=1, max_value=5_000_000),
    st.integers(min_value=0, max_value=5_000_000),
    shares,
)
def test_planned_payments_always_add_up_to_belopp(amount: int, direct: int, share: int) -> None:
    direct = min(direct, amount)
    raw = raw_row(
        Belopp=f"{amount // 100},{amount % 100:02d}",
        Varav_direktbetalning=f"{direct // 100}.{direct % 100:02d}",
        Direktbetalning_bankgiro="5050-1055",
        Andel_sökande_1=f"{share // 100},{share % 100:02d} %",
    )
    plan = plan_row(2, raw, PlanningRules(TODAY))
    assert plan.outcome is Outcome.PLANNED
    assert sum(p.amount_ore for p in plan.payments) == amount
    assert all(p.amount_ore > 0 for p in plan.payments)


@pytest.mark.parametrize(("rest", "share"), [(-1, 5000), (100, 0), (100, 10_000)])
def test_split_refuses_impossible_input(rest: int, share: int) -> None:
    with pytest.raises(ValueError):
        split_amount(rest, share)
