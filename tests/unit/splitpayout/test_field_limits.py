"""The payout system's field limits are known before anything is entered (its documented contract).

A decision that would break one is ``manual`` (``invalid_row`` naming the column) and none of
its payments is entered: a split decision is paid in full or not at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from export_builder import TODAY, raw_row
from splitpayout.domain.contract import FORM_FIELDS, LIMITS
from splitpayout.domain.models import DecisionPlan, Outcome
from splitpayout.domain.planning.payments import plan_row
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.domain.reasons import ReasonCode

from tests.support.contract_doc import read_form_fields, read_limits


def plan(*, max_payment_ore: int | None = None, **overrides: object) -> DecisionPlan:
    return plan_row(7, raw_row(**overrides), PlanningRules(TODAY, max_payment_ore=max_payment_ore))


def invalid(p: DecisionPlan) -> tuple[str, ...]:
    return tuple(f for r in p.reasons if r.code is ReasonCode.INVALID_ROW for f in r.fields)


def test_the_limits_are_those_written_in_the_contract() -> None:
    # The code's limits and the doc's "Field limits" table say the same.
    assert read_limits() == LIMITS
    assert (LIMITS.name, LIMITS.reference, LIMITS.ocr, LIMITS.message) == (100, 40, 25, 200)


def test_the_form_is_the_one_written_in_the_contract_and_a_contract_without_it_is_refused(
    tmp_path: Path,
) -> None:
    # The code's form and the doc's validation table under "Register a payment" list the same fields.
    assert read_form_fields() == FORM_FIELDS
    assert FORM_FIELDS[:3] == ("personnummer", "name", "method") and FORM_FIELDS[-1] == "message"
    assert len(FORM_FIELDS) == len(set(FORM_FIELDS)) == 11
    other = tmp_path / "contract.md"
    other.write_text("# Another system\n\n## Field limits\n| `name` | 50 | x |\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="Register a payment"):
        read_form_fields(other)
    with pytest.raises(RuntimeError, match="lack: reference, ocr, message, amount_kr"):
        read_limits(other)


def test_a_partners_name_over_the_limit_stops_the_whole_split_decision() -> None:
    p = plan(Sökande_2_namn="B" * (LIMITS.name + 1))
    assert p.outcome is Outcome.MANUAL and p.payments == ()
    assert invalid(p) == ("Sökande 2 namn",)
    assert plan(Sökande_2_namn="B" * LIMITS.name).outcome is Outcome.PLANNED


def test_a_name_with_a_line_break_cannot_be_typed_as_written() -> None:
    p = plan(Sökande_1_namn="Anna\nAndersson")
    assert p.outcome is Outcome.MANUAL and invalid(p) == ("Sökande 1 namn",)


def test_sokande_2_of_an_undivided_decision_is_not_checked() -> None:
    p = plan(Delad_utbetalning="Nej", Sökande_2_namn="B" * 500)
    assert p.outcome is Outcome.PLANNED
    assert [x.reference for x in p.payments] == ["B-1/1"]


def test_ocr_numbers_are_digits_within_the_limit_and_stored_without_spaces() -> None:
    direct = {"Varav_direktbetalning": "1 000,00", "Direktbetalning_bankgiro": "5050-1055"}
    p = plan(Direktbetalning_OCR="1234 5678 90", **direct)
    assert p.outcome is Outcome.PLANNED
    assert [x.ocr for x in p.payments if x.reference.endswith("/D")] == ["1234567890"]
    for bad in ("1" * (LIMITS.ocr + 1), "12-34", "١٢٣", "12\n34"):
        refused = plan(Direktbetalning_OCR=bad, **direct)
        assert refused.outcome is Outcome.MANUAL and invalid(refused) == ("Direktbetalning OCR",), bad


def test_the_payout_systems_ceiling_per_payment_when_it_has_one() -> None:
    # 10 000 kr split 50/50: 5 000 kr each; a ceiling of 4 000 kr refuses the decision at planning.
    assert plan(max_payment_ore=500_000).outcome is Outcome.PLANNED
    p = plan(max_payment_ore=400_000)
    assert p.outcome is Outcome.MANUAL and invalid(p) == ("Belopp",) and p.payments == ()
