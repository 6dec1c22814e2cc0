"""Exactly-once registration against the real payout-system stand-in, through HttpGateway.

Every test checks what a case worker or an auditor would see in the payout system
(through its JSON API): each planned reference exactly once, with the planned
identity, method, amount and payout date; nothing for decisions that went to
manual handling; no duplicates whatever the faults. Here: clean runs, crashes and concurrency;
faults and outages in ``test_registration_faults.py``, workers without a shared ledger in
``test_registration_without_ledger.py``.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import Counter
from pathlib import Path
from typing import Any

from splitpayout.adapters.ledger import EntryState, Ledger
from splitpayout.domain.models import DecisionPlan, Outcome, PaymentStatus
from splitpayout.domain.reasons import ReasonCode

from tests.support.http_gateway import HttpGateway
from tests.support.registration import (
    PASSWORD,
    PAYOUT_DATE,
    USER,
    account,
    assert_numbers_match,
    assert_registered_exactly_once,
    engine_for,
    manual_plan,
    many_plans,
    payout_system,
    plan,
    planned_payments,
    run,
    run_once,
)

# -- clean runs ---------------------------------------------------------------------------------


def test_clean_run_registers_exactly_the_plan(tmp_path: Path) -> None:
    plans = [
        plan("B-1", 1_234_551, index=1),  # odd öre goes to sökande 1
        plan("B-2", 800_000, index=2, split=False),
        plan("B-3", 1_500_000, index=3, direct_ore=650_000),
        manual_plan("B-4"),
    ]
    events: list[tuple[str, dict[str, Any]]] = []
    progress: list[tuple[int, int]] = []
    with payout_system(tmp_path) as server, Ledger(tmp_path / "state" / "ledger.sqlite3") as ledger:
        engine = engine_for(
            server.url,
            ledger,
            on_event=lambda event, values: events.append((event, values)),
            progress=lambda done, total: progress.append((done, total)),
        )
        results = run(engine, plans)
        held = assert_registered_exactly_once(server, plans)

        assert {d: r.outcome for d, r in results.items()} == {
            "B-1": Outcome.PAID,
            "B-2": Outcome.PAID,
            "B-3": Outcome.PAID,
            "B-4": Outcome.MANUAL,
        }
        assert held["B-1/1"]["amount_ore"] == 617_276
        assert held["B-1/2"]["amount_ore"] == 617_275
        assert results["B-4"].reasons[0].code is ReasonCode.INVALID_ACCOUNT
        assert all(p.status is PaymentStatus.REGISTERED for d in "123" for p in results[f"B-{d}"].payments)
        assert_numbers_match(results, held)
        for reference, row in held.items():
            entry = ledger.get(reference)
            assert entry is not None
            assert entry.state is EntryState.REGISTERED
            assert entry.payment_number == row["payment_number"]
            assert entry.run_id == engine.run_id

    assert progress[-1] == (4, 4)
    assert [done for done, _ in progress] == [1, 2, 3, 4]
    registered = [values for event, values in events if event == "payment_registered"]
    assert sorted(values["reference"] for values in registered) == sorted(planned_payments(plans))
    assert all(values["run_id"] == engine.run_id and values["decision_id"] for values in registered)
    assert all("duration_ms" in values and values["outcome"] == "registered" for values in registered)
    logged = repr(events)
    for payment in planned_payments(plans).values():
        assert payment.personnummer not in logged
        assert payment.personnummer[2:] not in logged
        assert payment.name not in logged
        if payment.account:
            assert payment.account not in logged


def test_second_run_enters_nothing_and_reports_already_paid(tmp_path: Path) -> None:
    plans = many_plans(4)
    with payout_system(tmp_path) as server:
        first = run_once(server.url, tmp_path / "ledger.sqlite3", plans)
        assert all(r.outcome is Outcome.PAID for r in first.values())
        before = server.api_payments()

        second = run_once(server.url, tmp_path / "ledger.sqlite3", plans)
        # the payout system is the truth: a lost ledger does not lead to a second entry either
        third = run_once(server.url, tmp_path / "fresh-ledger.sqlite3", plans)

        assert server.api_payments() == before
        held = assert_registered_exactly_once(server, plans)
        for results in (second, third):
            assert all(r.outcome is Outcome.ALREADY_PAID for r in results.values())
            assert all(
                p.status is PaymentStatus.ALREADY_REGISTERED for r in results.values() for p in r.payments
            )
            assert_numbers_match(results, held)


def test_a_changed_amount_for_an_existing_reference_goes_to_manual_handling(tmp_path: Path) -> None:
    original = [plan("C-1", 1_000_000, index=1, split=False), plan("C-2", 900_000, index=2)]
    # C-1 became a split decision with another amount: C-1/1 now conflicts and C-1/2 must not be entered.
    updated = [plan("C-1", 1_200_000, index=1), plan("C-2", 900_000, index=2), plan("C-3", 700_000, index=3)]
    with payout_system(tmp_path) as server:
        run_once(server.url, tmp_path / "ledger.sqlite3", original)
        results = run_once(server.url, tmp_path / "ledger.sqlite3", updated)

        c1 = results["C-1"]
        assert c1.outcome is Outcome.MANUAL
        assert [r.code for r in c1.reasons] == [ReasonCode.CONFLICT_EXISTING_PAYMENT]
        assert "C-1/1" in c1.reasons[0].detail
        assert all(p.status is PaymentStatus.NOT_ENTERED for p in c1.payments)
        assert results["C-2"].outcome is Outcome.ALREADY_PAID
        assert results["C-3"].outcome is Outcome.PAID
        assert server.api_payments(reference="C-1/2") == []
        c1_rows = server.api_payments(reference="C-1/1")
        assert [row["amount_ore"] for row in c1_rows] == [1_000_000]
        with Ledger(tmp_path / "ledger.sqlite3") as ledger:
            entry = ledger.get("C-1/1")
            assert entry is not None
            assert entry.state is EntryState.CONFLICT


def test_another_recipient_for_an_existing_reference_is_a_conflict(tmp_path: Path) -> None:
    original = [plan("R-1", 1_000_000, index=1)]
    changed = plan("R-1", 1_000_000, index=1)
    other_account = changed.payments[0].model_copy(update={"account": account(40)})
    changed = changed.model_copy(update={"payments": (other_account, changed.payments[1])})
    with payout_system(tmp_path) as server:
        run_once(server.url, tmp_path / "ledger.sqlite3", original)
        before = server.api_payments()
        results = run_once(server.url, tmp_path / "ledger.sqlite3", [changed])
        assert results["R-1"].outcome is Outcome.MANUAL
        assert results["R-1"].reasons[0].code is ReasonCode.CONFLICT_EXISTING_PAYMENT
        assert server.api_payments() == before


def test_a_field_the_payout_system_refuses_goes_to_manual_handling(tmp_path: Path) -> None:
    saturday = PAYOUT_DATE + dt.timedelta(days=(5 - PAYOUT_DATE.weekday()) % 7 or 7)
    plans = [plan("F-1", 600_000, index=1, payout_date=saturday), plan("F-2", 600_000, index=2)]
    with payout_system(tmp_path) as server:
        results = run_once(server.url, tmp_path / "ledger.sqlite3", plans)
        refused = results["F-1"]
        assert refused.outcome is Outcome.MANUAL
        assert [r.code for r in refused.reasons] == [ReasonCode.REJECTED_BY_PAYOUT_SYSTEM]
        assert refused.reasons[0].fields == ("payout_date",)
        assert all(p.status is PaymentStatus.NOT_ENTERED for p in refused.payments)
        assert server.api_payments(reference="F-1/1") == []
        assert server.api_payments(reference="F-1/2") == []
        assert results["F-2"].outcome is Outcome.PAID
        with Ledger(tmp_path / "ledger.sqlite3") as ledger:
            entry = ledger.get("F-1/1")
            assert entry is not None
            assert entry.state is EntryState.REJECTED


# -- crashes and concurrency ----------------------------------------------------------------------


def test_a_submit_left_by_a_crashed_run_is_resolved_by_look_up(tmp_path: Path) -> None:
    plans = [plan("K-1", 1_000_000, index=1), plan("K-2", 1_000_000, index=2)]
    submitted = plans[0].payments[0]  # the crashed run's POST went through; it never saw the number
    never_sent = plans[1].payments[0]  # the crashed run died before its POST left
    ledger_path = tmp_path / "ledger.sqlite3"
    with payout_system(tmp_path) as server, Ledger(ledger_path) as ledger:
        engine = engine_for(server.url, ledger)
        engine.prefetch(plans)  # this run's view of the payout system, before the crashed run's POST

        with Ledger(ledger_path) as crashed_ledger:
            for payment in (submitted, never_sent):
                assert crashed_ledger.claim(payment, "crashed", "run-crashed", lease_seconds=0) is not None
                crashed_ledger.mark_submitting(payment.reference, "crashed", lease_seconds=0)
        crashed_gateway = HttpGateway(server.url, USER, PASSWORD)
        crashed_gateway.log_in()
        crashed_number = crashed_gateway.register(submitted).payment_number

        results = {item.decision_id: engine.process(item) for item in plans}

        assert_registered_exactly_once(server, plans)
        k1 = {p.reference: p for p in results["K-1"].payments}
        assert k1["K-1/1"].status is PaymentStatus.ALREADY_REGISTERED
        assert k1["K-1/1"].payment_number == crashed_number
        assert k1["K-1/2"].status is PaymentStatus.REGISTERED
        assert results["K-1"].outcome is Outcome.PAID
        assert results["K-2"].outcome is Outcome.PAID
        entry = ledger.get("K-1/1")
        assert entry is not None
        assert (entry.state, entry.payment_number) == (EntryState.REGISTERED, crashed_number)


def test_a_live_claim_of_another_run_is_left_alone(tmp_path: Path) -> None:
    plans = [plan("L-1", 1_000_000, index=1)]
    ledger_path = tmp_path / "ledger.sqlite3"
    with payout_system(tmp_path) as server, Ledger(ledger_path) as other:
        assert other.claim(plans[0].payments[1], "other-worker", "run-other", lease_seconds=600) is not None
        with Ledger(ledger_path) as ledger:
            engine = engine_for(server.url, ledger)
            results = run(engine, plans)
            assert results["L-1"].outcome is Outcome.FAILED
            assert engine.held_elsewhere == {"L-1"}, "the run is told which decisions to check again"
            assert server.api_payments() == []
            other.release("L-1/2", "other-worker")
            again = engine.process(plans[0])
            assert again.outcome is Outcome.PAID
            assert engine.held_elsewhere == set()
        assert_registered_exactly_once(server, plans)


def _engine_process(
    url: str, ledger_path: str, plans_json: list[str], worker: str, start: Any, out: Any
) -> None:
    plans = [DecisionPlan.model_validate_json(text) for text in plans_json]
    with Ledger(ledger_path) as ledger:
        engine = engine_for(url, ledger, worker_id=worker)
        start.wait()
        results = run(engine, plans)
    out.put((worker, {d: r.model_dump(mode="json") for d, r in results.items()}))


def test_two_engines_on_one_ledger_never_enter_a_reference_twice(tmp_path: Path) -> None:
    plans = many_plans(10)
    ledger_path = tmp_path / "ledger.sqlite3"
    Ledger(ledger_path).close()
    context = multiprocessing.get_context("spawn")
    with payout_system(tmp_path, "--latency-ms", "5", "--jitter-ms", "10", "--seed", "5") as server:
        start = context.Barrier(2)
        out = context.Queue()
        payload = [item.model_dump_json() for item in plans]
        workers = [
            context.Process(
                target=_engine_process, args=(server.url, str(ledger_path), payload, name, start, out)
            )
            for name in ("engine-a", "engine-b")
        ]
        for worker in workers:
            worker.start()
        outputs = dict(out.get(timeout=120) for _ in workers)
        for worker in workers:
            worker.join(timeout=30)
            assert worker.exitcode == 0

        held_after_both = server.api_payments()
        assert max(Counter(row["reference"] for row in held_after_both).values()) == 1
        for results in outputs.values():
            assert {r["outcome"] for r in results.values()} <= {"paid", "already_paid", "failed"}
            assert any(r["outcome"] == "paid" for r in results.values())  # both engines did work
        # what one left to the other (a claim it could not take) a later run completes
        final = run_once(server.url, ledger_path, plans)
        assert all(r.outcome in (Outcome.PAID, Outcome.ALREADY_PAID) for r in final.values())
        assert_registered_exactly_once(server, plans)
