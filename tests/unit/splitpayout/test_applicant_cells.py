"""Whatever an applicant's cells hold, planning names the applicant's own columns or pays
exactly what the cells say: never the other partner's details, never an exception."""

from __future__ import annotations

from export_builder import TODAY, raw_row
from hypothesis import given
from hypothesis import strategies as st
from splitpayout.domain.export_columns import ALL_COLUMNS, APPLICANT2, APPLICANTS
from splitpayout.domain.models import Outcome
from splitpayout.domain.planning.payments import plan_row
from splitpayout.domain.planning.rules import PlanningRules

COLUMNS = [column for applicant in APPLICANTS for column in applicant.all]
CELLS = st.one_of(st.none(), st.text(max_size=40), st.integers(min_value=-(10**13), max_value=10**13))


@given(column=st.sampled_from(COLUMNS), value=CELLS)
def test_any_value_in_an_applicant_column_is_paid_as_written_or_refused_naming_export_columns(
    column: str, value: object
) -> None:
    plan = plan_row(7, raw_row(**{column.replace(" ", "_"): value}), PlanningRules(TODAY))

    assert plan.outcome in (Outcome.PLANNED, Outcome.MANUAL)
    named = {field for reason in plan.reasons for field in reason.fields}
    assert named <= set(ALL_COLUMNS)
    if plan.outcome is Outcome.MANUAL:
        assert plan.payments == ()
        return
    # Paid: each partner's payment carries that partner's identity, never the other's.
    by_reference = {payment.reference: payment for payment in plan.payments}
    first, second = by_reference["B-1/1"], by_reference["B-1/2"]
    assert first.personnummer != second.personnummer
    assert (first.clearing, first.account) != (second.clearing, second.account)


@given(value=st.text(max_size=20).filter(lambda text: not any(char.isdigit() for char in text)))
def test_text_without_digits_as_sokande_2_identity_is_refused_naming_only_sokande_2(value: str) -> None:
    plan = plan_row(7, raw_row(**{APPLICANT2.id.replace(" ", "_"): value}), PlanningRules(TODAY))

    assert plan.outcome is Outcome.MANUAL
    named = {field for reason in plan.reasons for field in reason.fields}
    assert named and named <= set(APPLICANT2.all)
