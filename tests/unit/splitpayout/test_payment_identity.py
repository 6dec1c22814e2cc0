"""One identity for a payment: decision numbers that survive every hop, or invalid_row.

The reference the robot plans (``<Beslutsnummer>/1``, ``/2``, ``/D``) must be exactly what
the payout system stores and its search finds. A decision number that a browser, the
payout system or a comparison could change (a line break, a byte-order mark, a space, a
character the payout system cannot keep) is refused at planning, naming the column.
"""

from __future__ import annotations

import re

import pytest
from export_builder import TODAY, raw_row
from hypothesis import example, given
from hypothesis import strategies as st
from splitpayout.domain.models import DecisionPlan, Outcome
from splitpayout.domain.planning.payments import plan_row
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.domain.reasons import ReasonCode
from splitpayout.domain.references import (
    MAX_DECISION_NUMBER,
    decision_number_problem,
    payment_reference,
    reference_key,
    shown,
)

ALLOWED = re.compile(r"[A-Za-z0-9ÅÄÖåäö_.\-]{1,37}")
VALID_NUMBERS = st.from_regex(ALLOWED, fullmatch=True)


def plan(decision_number: object, **overrides: object) -> DecisionPlan:
    return plan_row(
        7,
        raw_row(
            Beslutsnummer=decision_number,
            Varav_direktbetalning="1 000,00",
            Direktbetalning_bankgiro="5050-1055",
            **overrides,
        ),
        PlanningRules(TODAY),
    )


def invalid_columns(p: DecisionPlan) -> tuple[str, ...]:
    return tuple(f for r in p.reasons if r.code is ReasonCode.INVALID_ROW for f in r.fields)


@pytest.mark.parametrize(
    "odd",
    [
        "WS-3\nNL",
        "WS-3\rNL",
        "WS-3\r\nNL",
        "\ufeffWS-3",
        "WS-3\u200b",
        "WS\t3",
        "WS 3",
        "WS-3/1",
        "WS-3\u2028NL",
        "WS-3\x00",
        "Å" * (MAX_DECISION_NUMBER + 1),
        "A\u030a-1",  # Å written as A plus a combining ring: looks the same, is not
        "ＷＳ-3",  # full-width letters
    ],
)
def test_a_decision_number_that_could_change_on_the_way_is_an_invalid_row(odd: str) -> None:
    p = plan(odd)
    assert p.outcome is Outcome.MANUAL
    assert "Beslutsnummer" in invalid_columns(p)
    assert p.payments == ()
    assert "\n" not in p.decision_id and "\r" not in p.decision_id  # shown safely in every report


def test_surrounding_whitespace_is_trimmed_and_the_longest_number_fits_the_reference() -> None:
    longest = "E" * MAX_DECISION_NUMBER
    p = plan(f"  {longest}\t")
    assert p.outcome is Outcome.PLANNED
    assert [x.reference for x in p.payments] == [f"{longest}/1", f"{longest}/2", f"{longest}/D"]
    assert all(len(x.reference) <= 40 for x in p.payments)


def test_swedish_letters_digits_and_punctuation_are_kept_exactly() -> None:
    p = plan("Öst-2026_Å.001")
    assert p.outcome is Outcome.PLANNED
    assert p.payments[0].reference == "Öst-2026_Å.001/1"


@given(st.one_of(VALID_NUMBERS, st.text(max_size=45)))
@example("WS-3\nNL")
@example("\ufeffEB-1")
def test_every_text_is_either_refused_or_becomes_exactly_its_own_reference(text: str) -> None:
    p = plan(text)
    trimmed = text.strip()
    if ALLOWED.fullmatch(trimmed):
        assert decision_number_problem(trimmed) is None
        assert p.outcome is Outcome.PLANNED
        assert [x.reference for x in p.payments] == [f"{trimmed}/{s}" for s in ("1", "2", "D")]
    else:
        assert p.outcome is Outcome.MANUAL
        assert "Beslutsnummer" in invalid_columns(p)
        assert p.payments == ()


@given(st.text())
def test_shown_text_never_breaks_a_line_and_keeps_valid_numbers_as_they_are(text: str) -> None:
    visible = shown(text)
    assert not any(ch in visible for ch in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
    if ALLOWED.fullmatch(text):
        assert visible == text


def test_a_reference_is_only_made_from_a_valid_decision_number() -> None:
    assert payment_reference("EB-1", "D") == "EB-1/D"
    with pytest.raises(ValueError, match="decision number"):
        payment_reference("EB 1", "1")
    with pytest.raises(ValueError, match="suffix"):
        payment_reference("EB-1", "3")


def test_references_compare_ignoring_letter_case_as_the_payout_system_finds_them() -> None:
    assert reference_key("eb-1/d") == reference_key("EB-1/D")
    assert reference_key("ÅSA-1/1") == reference_key("åsa-1/1")
