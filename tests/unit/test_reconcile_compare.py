"""The reconciliation's comparison and period, on made-up plans and payments (no I/O)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from splitpayout.adapters.ledger import EntryState, Ledger, LedgerEntry
from splitpayout.config import SettingsError
from splitpayout.domain.models import DecisionPlan, Method, Outcome, PlannedPayment, Reason
from splitpayout.domain.reasons import ReasonCode
from splitpayout.domain.references import decision_key
from splitpayout.jobs.reconcile.client import HeldPayment, Holdings
from splitpayout.jobs.reconcile.compare import ledger_by_reference, reconcile, references_to_look_up
from splitpayout.jobs.reconcile.findings import FindingCode
from splitpayout.jobs.reconcile.settings import Period, period_from_env

PERIOD = Period(dt.date(2026, 12, 1), dt.date(2026, 12, 31))
DAY = dt.date(2026, 12, 18)
PNR = "199001011234"


def planned(reference: str, ore: int = 100_000, **changes: Any) -> PlannedPayment:
    values: dict[str, Any] = {
        "reference": reference,
        "decision_id": reference.rsplit("/", 1)[0],
        "method": Method.KONTO,
        "personnummer": PNR,
        "name": "Test Testsson",
        "clearing": "6789",
        "account": "123456789",
        "amount_ore": ore,
        "payout_date": DAY,
    }
    values.update(changes)
    return PlannedPayment(**values)


def held(payment: PlannedPayment, number: str, **changes: Any) -> HeldPayment:
    values: dict[str, Any] = {
        "payment_number": number,
        "reference": payment.reference,
        "amount_ore": payment.amount_ore,
        "payout_date": payment.payout_date,
        "method": payment.method.value,
        "status": "registrerad",
        "personnummer": payment.personnummer,
        "clearing": payment.clearing,
        "account": payment.account,
        "bankgiro": payment.bankgiro,
        "ocr": payment.ocr,
    }
    values.update(changes)
    return HeldPayment(**values)


def decision(*payments: PlannedPayment) -> DecisionPlan:
    return DecisionPlan(
        decision_id=payments[0].decision_id,
        row_numbers=(4,),
        amount_ore=sum(p.amount_ore for p in payments),
        outcome=Outcome.PLANNED,
        payments=payments,
    )


def manual(decision_id: str, *, protected: bool = False) -> DecisionPlan:
    code = ReasonCode.PROTECTED_IDENTITY if protected else ReasonCode.INVALID_ACCOUNT
    return DecisionPlan(
        decision_id=decision_id,
        row_numbers=(5,),
        outcome=Outcome.MANUAL,
        reasons=(Reason(code=code),),
        protected=protected,
    )


def plans(*items: DecisionPlan) -> dict[str, DecisionPlan]:
    return {decision_key(item.decision_id): item for item in items}


def entry(
    reference: str, number: str | None, *, fingerprint: str = "", state: EntryState, ore: int = 0
) -> LedgerEntry:
    return LedgerEntry(
        reference=reference,
        decision_id=reference.rsplit("/", 1)[0],
        fingerprint=fingerprint,
        amount_ore=ore,
        state=state,
        payment_number=number,
        claimed_by=None,
        lease_until=None,
        attempts=1,
        submissions=1,
        last_error=None,
        run_id="r",
        updated_at="2026-11-23T00:00:00Z",
    )


def codes(result: Any) -> set[tuple[str, str]]:
    return {(f.code.value, f.reference) for f in result.findings}


@pytest.fixture
def fingerprint(tmp_path: Path) -> Iterator[Callable[[PlannedPayment], str]]:
    """The ledger's own fingerprint of a planned payment."""
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        yield ledger.fingerprint


# --- the period -------------------------------------------------------------------------------


def test_the_default_period_is_the_calendar_month_of_today() -> None:
    assert period_from_env({}, dt.date(2027, 2, 14)) == Period(dt.date(2027, 2, 1), dt.date(2027, 2, 28))


def test_a_start_alone_reconciles_to_the_end_of_its_month() -> None:
    period = period_from_env({"RECONCILE_FROM": "2026-12-10"}, dt.date(2026, 1, 1))
    assert period == Period(dt.date(2026, 12, 10), dt.date(2026, 12, 31))


def test_an_end_alone_reconciles_from_the_start_of_its_month() -> None:
    period = period_from_env({"RECONCILE_TO": "2026-12-10"}, dt.date(2026, 1, 1))
    assert period == Period(dt.date(2026, 12, 1), dt.date(2026, 12, 10))
    assert len(period.days()) == 10


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RECONCILE_FROM": "2026-12-31", "RECONCILE_TO": "2026-12-01"}, "before"),
        ({"RECONCILE_FROM": "2025-01-01", "RECONCILE_TO": "2026-12-31"}, "at most"),
        ({"RECONCILE_FROM": "1/12/2026"}, "YYYY-MM-DD"),
    ],
)
def test_a_wrong_period_is_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        period_from_env(env, dt.date(2026, 12, 1))


# --- the comparison ---------------------------------------------------------------------------


def test_references_match_ignoring_letter_case() -> None:
    one = planned("eb-1/1")
    result = reconcile(PERIOD, plans(decision(one)), Holdings([held(one, "U-1", reference="EB-1/1")]))
    assert result.findings == []
    assert result.matched.payments == 1


def test_a_held_reference_the_decision_does_not_plan_is_without_decision() -> None:
    one = planned("EB-1/1")
    extra = planned("EB-1/2")
    result = reconcile(PERIOD, plans(decision(one)), Holdings([held(one, "U-1"), held(extra, "U-2")]))
    assert codes(result) == {("registered_without_decision", "EB-1/2")}
    assert result.findings[0].decision_id == "EB-1"
    assert "plans no payment" in result.findings[0].detail


def test_every_recipient_field_that_differs_is_named_never_its_value() -> None:
    one = planned("EB-1/1")
    other = held(one, "U-1", method="AVI", clearing=None, account=None, personnummer="199002021234")
    result = reconcile(PERIOD, plans(decision(one)), Holdings([other]))
    [finding] = result.findings
    assert finding.code is FindingCode.RECIPIENT_DIFFERS
    assert finding.fields == ["method", "personnummer", "clearing", "account"]
    assert "199002021234" not in str(finding.as_dict())


def test_account_fields_are_compared_by_their_digits() -> None:
    one = planned("EB-1/1", clearing="6789", account="123456789")
    same = held(one, "U-1", clearing="6789", account="123 456 789")
    assert reconcile(PERIOD, plans(decision(one)), Holdings([same])).findings == []


def test_a_planned_payment_outside_the_period_is_not_expected() -> None:
    later = planned("EB-1/1", payout_date=dt.date(2027, 1, 5))
    result = reconcile(PERIOD, plans(decision(later)), Holdings())
    assert result.findings == []
    assert result.planned.payments == 0


def test_a_payment_held_in_the_period_but_planned_outside_it_has_another_date() -> None:
    later = planned("EB-1/1", payout_date=dt.date(2027, 1, 5))
    result = reconcile(PERIOD, plans(decision(later)), Holdings([held(later, "U-1", payout_date=DAY)]))
    assert codes(result) == {("payout_date_differs", "EB-1/1")}


def test_a_payment_held_only_outside_the_period_has_another_date_not_missing() -> None:
    one = planned("EB-1/1")
    holdings = Holdings(elsewhere={"eb-1/1": [held(one, "U-1", payout_date=dt.date(2027, 1, 4))]})
    result = reconcile(PERIOD, plans(decision(one)), holdings)
    assert codes(result) == {("payout_date_differs", "EB-1/1")}
    assert result.decisions_fully_registered == 0


def test_a_missing_payment_says_whether_it_was_looked_up_on_other_dates() -> None:
    one, two = planned("EB-1/1"), planned("EB-2/1")
    holdings = Holdings(looked_up={"eb-1/1"}, references_looked_up=1, look_ups_skipped=1)
    result = reconcile(PERIOD, plans(decision(one), decision(two)), holdings)
    details = {f.reference: f.detail for f in result.findings}
    assert details == {
        "EB-1/1": "not held in the period nor on any other date",
        "EB-2/1": "not held in the period (not looked up on other dates)",
    }


def test_a_duplicate_with_another_amount_is_both_findings() -> None:
    one = planned("EB-1/1")
    holdings = Holdings([held(one, "U-1"), held(one, "U-2", amount_ore=1)])
    result = reconcile(PERIOD, plans(decision(one)), holdings)
    assert codes(result) == {("duplicate_reference", "EB-1/1"), ("amount_differs", "EB-1/1")}
    amount = next(f for f in result.findings if f.code is FindingCode.AMOUNT_DIFFERS)
    assert amount.payment_numbers == ["U-2"]
    assert result.matched.payments == 0


def test_protected_decisions_are_counted_never_listed() -> None:
    secret = planned("EB-9/1")
    result = reconcile(
        PERIOD,
        plans(manual("EB-9", protected=True)),
        Holdings([held(secret, "U-1"), held(secret, "U-2")]),
        ledger_by_reference([entry("EB-9/1", "U-7", state=EntryState.REGISTERED)]),
    )
    assert result.findings == []
    assert result.held_for_protected_decisions == 2


def test_a_manual_decision_held_names_its_reasons() -> None:
    one = planned("EB-2/1")
    result = reconcile(PERIOD, plans(manual("EB-2")), Holdings([held(one, "U-5")]))
    [finding] = result.findings
    assert finding.code is FindingCode.REGISTERED_FOR_MANUAL_DECISION
    assert "invalid_account" in finding.detail
    assert finding.payment_numbers == ["U-5"]


def test_ledger_states_other_than_registered_are_reported_not_judged(
    fingerprint: Callable[[PlannedPayment], str],
) -> None:
    one = planned("EB-1/1")
    ledger = ledger_by_reference([entry("EB-1/1", None, state=EntryState.FAILED)])
    result = reconcile(PERIOD, plans(decision(one)), Holdings(), ledger, fingerprint)
    [finding] = result.findings
    assert finding.code is FindingCode.NOT_FULLY_REGISTERED
    assert finding.ledger_state == "failed"


def test_a_ledger_registration_not_held_disagrees_and_the_payment_is_missing(
    fingerprint: Callable[[PlannedPayment], str],
) -> None:
    one = planned("EB-1/1")
    ledger = ledger_by_reference(
        [entry("EB-1/1", "U-3", state=EntryState.REGISTERED, fingerprint=fingerprint(one))]
    )
    result = reconcile(PERIOD, plans(decision(one)), Holdings(), ledger, fingerprint)
    assert codes(result) == {("not_fully_registered", "EB-1/1"), ("ledger_disagrees", "EB-1/1")}


def test_a_ledger_fingerprint_with_another_amount_is_an_amount_difference_from_both_sources(
    fingerprint: Callable[[PlannedPayment], str],
) -> None:
    one = planned("EB-1/1")
    registered = one.model_copy(update={"amount_ore": 90_000})
    ledger = ledger_by_reference(
        [
            entry(
                "EB-1/1",
                "U-1",
                state=EntryState.REGISTERED,
                fingerprint=fingerprint(registered),
                ore=90_000,
            )
        ]
    )
    holdings = Holdings([held(one, "U-1", amount_ore=90_000)])
    result = reconcile(PERIOD, plans(decision(one)), holdings, ledger, fingerprint)
    [finding] = result.findings
    assert finding.code is FindingCode.AMOUNT_DIFFERS
    assert finding.sources == ["payout_system", "ledger"]


def test_references_to_look_up() -> None:
    missing, present, renumbered = planned("EB-1/1"), planned("EB-2/1"), planned("EB-3/1")
    holdings = Holdings([held(present, "U-2"), held(renumbered, "U-3")])
    ledger = ledger_by_reference(
        [
            entry("EB-2/1", "U-2", state=EntryState.REGISTERED),
            entry("EB-3/1", "U-30", state=EntryState.REGISTERED),
        ]
    )
    wanted = references_to_look_up(
        PERIOD, plans(decision(missing), decision(present), decision(renumbered)), holdings, ledger
    )
    assert wanted == ["EB-1/1", "EB-3/1"]


def test_totals_add_up() -> None:
    one, two = planned("EB-1/1", 100_000), planned("EB-1/2", 50_001)
    stray = planned("EB-7/1", 5)
    holdings = Holdings([held(one, "U-1"), held(two, "U-2", amount_ore=50_000), held(stray, "U-3")])
    result = reconcile(PERIOD, plans(decision(one, two)), holdings)
    assert result.held.as_dict() == {"payments": 3, "amount_ore": 150_005}
    assert result.planned.as_dict() == {"payments": 2, "amount_ore": 150_001}
    assert result.matched.as_dict() == {"payments": 1, "amount_ore": 100_000}
    assert result.decisions_in_period == 1
    assert result.decisions_fully_registered == 0
    assert result.counts()["amount_differs"] == 1
    assert result.counts()["registered_without_decision"] == 1


def test_a_decision_dated_before_the_period_but_held_in_it_has_another_date() -> None:
    passed = DecisionPlan(
        decision_id="EB-4",
        row_numbers=(6,),
        outcome=Outcome.MANUAL,
        reasons=(Reason(code=ReasonCode.PAYOUT_DATE_PASSED),),
    )
    result = reconcile(PERIOD, plans(passed), Holdings([held(planned("EB-4/1"), "U-4")]))
    [finding] = result.findings
    assert finding.code is FindingCode.PAYOUT_DATE_DIFFERS
    assert "before the period" in finding.detail


def test_a_ledger_fingerprint_with_another_date_is_a_date_difference(
    fingerprint: Callable[[PlannedPayment], str],
) -> None:
    one = planned("EB-1/1")
    registered = one.model_copy(update={"payout_date": dt.date(2026, 12, 21)})
    ledger = ledger_by_reference(
        [
            entry(
                "EB-1/1",
                "U-1",
                state=EntryState.REGISTERED,
                fingerprint=fingerprint(registered),
                ore=one.amount_ore,
            )
        ]
    )
    holdings = Holdings([held(registered, "U-1")])
    result = reconcile(PERIOD, plans(decision(one)), holdings, ledger, fingerprint)
    [finding] = result.findings
    assert finding.code is FindingCode.PAYOUT_DATE_DIFFERS
    assert finding.sources == ["payout_system", "ledger"]


# --- what a run of the robot explains ------------------------------------------------------------


def test_a_payment_the_robot_registered_for_an_export_left_out_is_counted_never_without_decision() -> None:
    left_out = planned("EB-9/1", 70_000)
    ledger = ledger_by_reference([entry("EB-9/1", "U-9", state=EntryState.REGISTERED)])
    result = reconcile(PERIOD, plans(), Holdings([held(left_out, "U-9")]), ledger)
    assert result.findings == []
    assert result.registered_by_robot_outside_exports.as_dict() == {"payments": 1, "amount_ore": 70_000}
    assert result.totals()["registered_by_robot_outside_exports"]["payments"] == 1


def test_a_payment_with_another_number_than_the_ledgers_is_still_without_decision() -> None:
    stray = planned("EB-9/1")
    ledger = ledger_by_reference([entry("EB-9/1", "U-8", state=EntryState.REGISTERED)])
    result = reconcile(PERIOD, plans(), Holdings([held(stray, "U-9")]), ledger)
    assert ("registered_without_decision", "EB-9/1") in codes(result)
    assert result.registered_by_robot_outside_exports.payments == 0


def test_a_robot_registration_of_a_decision_now_manual_says_so_and_never_advises_stopping() -> None:
    from splitpayout.jobs.reconcile.report import FINDING_TEXT, advice

    one = planned("EB-2/1")
    ledger = ledger_by_reference([entry("EB-2/1", "U-5", state=EntryState.REGISTERED)])
    [finding] = reconcile(PERIOD, plans(manual("EB-2")), Holdings([held(one, "U-5")]), ledger).findings
    assert finding.code is FindingCode.REGISTERED_FOR_MANUAL_DECISION and finding.registered_by_robot
    assert "tidigare körning" in advice(finding)
    stop = "stoppa utbetalningen"
    assert [code for code, (_, todo) in FINDING_TEXT.items() if stop in todo.lower()] == [
        FindingCode.REGISTERED_WITHOUT_DECISION
    ]
    assert stop not in advice(finding).lower()
