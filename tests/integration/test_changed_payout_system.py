"""A new release of the payout system under the unchanged robot (docs/rules.md §4.9), over HTTP.

Each test starts the stand-in playing one change of a release (``payout_system/release.py``),
runs the registration loop on it, then starts the stand-in again on the same database without
the change (the robot adapted, or the release fixed) and runs again on the same ledger. The
robot must stop at once naming what changed, enter nothing more (at most one payment stored
other than entered), send nothing to the case workers for a changed form, and leave a state from
which the later run completes every other decision exactly once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from splitpayout.adapters.ledger import EntryState, Ledger
from splitpayout.adapters.runlog import RunLog
from splitpayout.domain.models import DecisionPlan, DecisionResult, Outcome, PaymentStatus
from splitpayout.domain.reasons import ReasonCode
from splitpayout.domain.stops import StopCode
from splitpayout.jobs.registration.changes import REPEATED_REFUSALS
from splitpayout.jobs.registration.loop import LoopOutcome, RegistrationLoop, RunIdentity

from tests.support.payout_server import PayoutServer, running_payout_system
from tests.support.registration import engine_for, many_plans, planned_payments

PLANS = 6


@contextmanager
def stand_in(tmp_path: Path, *release: str) -> Iterator[PayoutServer]:
    with running_payout_system(tmp_path / "payout.db", extra_args=release) as server:
        yield server


def one_run(
    url: str, state: Path, plans: list[DecisionPlan], *, ignored: tuple[str, ...] = ()
) -> tuple[dict[str, DecisionResult], LoopOutcome, list[str]]:
    """One run of the registration loop; its results, its outcome and the events it logged."""
    results: dict[str, DecisionResult] = {}
    events: list[str] = []
    with Ledger(state / "ledger.sqlite3") as ledger:
        engine = engine_for(url, ledger, on_event=lambda event, _: events.append(event))
        log = RunLog(state / f"{engine.run_id}.jsonl", engine.run_id)
        try:
            loop: RegistrationLoop[int] = RegistrationLoop(
                engine._gateway,
                engine,
                ledger,
                run=RunIdentity(engine.run_id, "real", "release.xlsx", ""),
                log=log,
                say=lambda _: None,
                announce=lambda _: None,
                max_attempts=3,
                backoff_seconds=0.01,
                deferred=True,
                ignored_fields=ignored,
            )
            outcome = loop.run(
                enumerate(plans, start=1),
                lambda _, plan, result: results.__setitem__(plan.decision_id, result),
            )
        finally:
            log.close()
    return results, outcome, events


def outcomes(results: dict[str, DecisionResult]) -> Counter[str]:
    return Counter(result.outcome.value for result in results.values())


def held_references(server: PayoutServer) -> Counter[str]:
    return Counter(row["reference"] for row in server.api_payments())


def assert_fixed_run_completes_the_rest(
    tmp_path: Path,
    plans: list[DecisionPlan],
    *,
    left_with_a_human: frozenset[str] = frozenset(),
) -> dict[str, DecisionResult]:
    """Against the fixed payout system the next run pays every other decision, each reference once."""
    with stand_in(tmp_path) as server:
        results, outcome, _ = one_run(server.url, tmp_path, plans)
        assert outcome.stop is None
        for decision, result in results.items():
            expected = Outcome.MANUAL if decision in left_with_a_human else Outcome.PAID
            assert result.outcome is expected or (
                expected is Outcome.PAID and result.outcome is Outcome.ALREADY_PAID
            ), (decision, result.outcome)
        held = held_references(server)
        assert set(held) == set(planned_payments(plans)) - _unentered(plans, left_with_a_human, results)
        assert max(held.values()) == 1
    return results


def _unentered(
    plans: list[DecisionPlan], decisions: frozenset[str], results: dict[str, DecisionResult]
) -> set[str]:
    """The references of ``decisions`` that were never entered (the rest of a decision with a human)."""
    return {
        p.reference
        for decision in decisions
        for p in results[decision].payments
        if p.status is PaymentStatus.NOT_ENTERED
    }


@pytest.mark.parametrize("field", ["amount", "payout_date", "name", "message"])
def test_a_field_stored_differently_stops_the_run_and_the_payment_stays_with_a_human(
    tmp_path: Path, field: str
) -> None:
    plans = many_plans(PLANS, prefix=f"S{field[:2].upper()}")
    plans = [
        p.model_copy(
            update={
                "payments": tuple(
                    x.model_copy(update={"message": "Ekonomiskt bistånd december"}) for x in p.payments
                )
            }
        )
        for p in plans
    ]
    with stand_in(tmp_path, "--store-differently", field) as server:
        results, outcome, events = one_run(server.url, tmp_path, plans)
        assert outcome.stop is not None and outcome.stop.code is StopCode.STORED_DIFFERENTLY
        assert field in outcome.stop.subject and field in outcome.stop.detail
        wrong = [r for r in results.values() if r.outcome is Outcome.MANUAL]
        assert len(wrong) == 1, "exactly the decision whose payment was stored differently"
        (reason,) = wrong[0].reasons
        assert reason.code is ReasonCode.STORED_DIFFERENTLY and reason.fields == (field,)
        stored = [p for p in wrong[0].payments if p.status is PaymentStatus.STORED_DIFFERENTLY]
        assert len(stored) == 1 and stored[0].payment_number is not None
        assert outcomes(results) == {"manual": 1, "failed": PLANS - 1}
        assert "paid" not in outcomes(results)
        # nothing more was entered: the payment stored differently is the last one held
        held = server.api_payments()
        assert held[-1]["payment_number"] == stored[0].payment_number
        assert events.count("stored_differently") == 1
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        entry = ledger.get(stored[0].reference)
        assert entry is not None and entry.state is EntryState.STORED_DIFFERENTLY
    fixed = assert_fixed_run_completes_the_rest(
        tmp_path, plans, left_with_a_human=frozenset({wrong[0].decision_id})
    )
    assert fixed[wrong[0].decision_id].reasons[0].code is ReasonCode.STORED_DIFFERENTLY


def test_a_new_required_field_stops_the_run_before_the_first_payment(tmp_path: Path) -> None:
    plans = many_plans(PLANS, prefix="RQ")
    with stand_in(tmp_path, "--required-field", "kostnadsstalle") as server:
        results, outcome, events = one_run(server.url, tmp_path, plans)
        assert outcome.stop is not None and outcome.stop.code is StopCode.UNKNOWN_FIELD
        assert outcome.stop.subject == "kostnadsstalle"
        assert "kostnadsstalle" in outcome.stop.sentence
        assert outcomes(results) == {"failed": PLANS}, "nothing goes to the case workers"
        assert server.api_payments() == []
        assert "payment_registered" not in events and "payment_rejected" not in events
    assert_fixed_run_completes_the_rest(tmp_path, plans)


def test_an_ignored_field_the_payout_system_requires_after_all_stops_at_the_first_refusal(
    tmp_path: Path,
) -> None:
    """Listed in PAYOUT_SYSTEM_IGNORED_FIELDS, the field passes the form check, but the payout system
    refuses it left empty: a changed application, not the decision's data."""
    plans = many_plans(PLANS, prefix="IG")
    with stand_in(tmp_path, "--required-field", "kostnadsstalle") as server:
        results, outcome, _ = one_run(server.url, tmp_path, plans, ignored=("kostnadsstalle",))
        assert outcome.stop is not None and outcome.stop.code is StopCode.FIELD_REFUSED
        assert outcome.stop.subject == "kostnadsstalle"
        assert outcomes(results) == {"failed": PLANS}, "nothing goes to the case workers"
        assert server.api_payments() == []
    assert_fixed_run_completes_the_rest(tmp_path, plans)


def test_a_renamed_field_stops_the_run_naming_it_without_a_retry(tmp_path: Path) -> None:
    plans = many_plans(PLANS, prefix="RN")
    with stand_in(tmp_path, "--renamed-field", "amount") as server:
        results, outcome, events = one_run(server.url, tmp_path, plans)
        assert outcome.stop is not None and outcome.stop.code is StopCode.ELEMENT_MISSING
        assert outcome.stop.subject == "fältet Belopp (amount)"
        assert "fältet Belopp (amount) saknas" in outcome.stop.sentence
        assert outcomes(results) == {"failed": PLANS}
        assert "attempt_failed" not in events, "a missing element is not retried"
        assert server.api_payments() == []
    assert_fixed_run_completes_the_rest(tmp_path, plans)


def test_an_extra_step_after_the_form_stops_the_run_and_a_later_run_enters_the_payment_once(
    tmp_path: Path,
) -> None:
    plans = many_plans(PLANS, prefix="XS")
    with stand_in(tmp_path, "--extra-step") as server:
        results, outcome, events = one_run(server.url, tmp_path, plans)
        assert outcome.stop is not None and outcome.stop.code is StopCode.PAGE_FLOW_CHANGED
        assert "confirm-payment" in outcome.stop.subject
        assert outcomes(results) == {"failed": PLANS}
        assert events.count("payout_system_changed") == 1 and "attempt_failed" not in events
        assert server.api_payments() == []
    assert_fixed_run_completes_the_rest(tmp_path, plans)


def test_the_same_field_refused_decision_after_decision_is_a_changed_application(tmp_path: Path) -> None:
    """A ceiling the robot was not told about refuses every amount: after REPEATED_REFUSALS decisions
    in a row the run stops, and none of them goes to the case workers."""
    plans = many_plans(PLANS, prefix="RR")
    with stand_in(tmp_path, "--max-payment-kr", "1") as server:
        results, outcome, events = one_run(server.url, tmp_path, plans)
        assert outcome.stop is not None and outcome.stop.code is StopCode.FIELD_REFUSED
        assert outcome.stop.subject == "Belopp (amount)"
        assert outcomes(results) == {"failed": PLANS}, "nothing goes to the case workers"
        assert events.count("payment_rejected") == REPEATED_REFUSALS - 1
        assert server.api_payments() == []
    assert_fixed_run_completes_the_rest(tmp_path, plans)


def test_a_single_refusal_stays_the_decisions_own(tmp_path: Path) -> None:
    plans = many_plans(PLANS, prefix="OR")
    refused = plans[2]
    bad = tuple(
        p.model_copy(update={"payout_date": p.payout_date.replace(year=2000)}) for p in refused.payments
    )
    plans[2] = refused.model_copy(update={"payments": bad})
    with stand_in(tmp_path) as server:
        results, outcome, _ = one_run(server.url, tmp_path, plans)
        assert outcome.stop is None
        assert results[refused.decision_id].outcome is Outcome.MANUAL
        assert results[refused.decision_id].reasons[0].code is ReasonCode.REJECTED_BY_PAYOUT_SYSTEM
        assert outcomes(results) == {"paid": PLANS - 1, "manual": 1}


def test_a_payout_system_as_the_robot_knows_it_is_registered_without_a_stop(tmp_path: Path) -> None:
    plans = many_plans(PLANS, prefix="OK")
    with stand_in(tmp_path) as server:
        results, outcome, events = one_run(server.url, tmp_path, plans)
        assert outcome.stop is None and outcomes(results) == {"paid": PLANS}
        assert "payout_system_changed" not in events and "stored_differently" not in events
        held: dict[str, Any] = {row["reference"]: row for row in server.api_payments()}
        assert set(held) == set(planned_payments(plans))
