"""Exactly-once registration by workers that share no ledger (Control Room consumers): what the
payout system holds alone keeps every reference from being entered twice."""

from __future__ import annotations

from pathlib import Path

from splitpayout.adapters.ledger import Ledger
from splitpayout.domain.models import Outcome, PaymentStatus
from splitpayout.domain.reasons import ReasonCode

from tests.support.registration import (
    assert_registered_exactly_once,
    engine_for,
    many_plans,
    payout_system,
    run_once,
)

# -- workers that share no ledger (Control Room consumers) ----------------------------------------


def test_a_worker_without_a_shared_ledger_looks_each_reference_up_and_never_enters_it_twice(
    tmp_path: Path,
) -> None:
    """Consumer B searched what was held before consumer A entered decision X; X then reaches B too
    (a retried work item). With a ledger of its own, only a fresh look-up keeps B from entering X again."""
    plans = many_plans(4, prefix="W")
    with payout_system(tmp_path) as server:
        with Ledger(tmp_path / "b.sqlite3") as ledger_b:
            events: list[str] = []
            engine_b = engine_for(
                server.url, ledger_b, look_up_each_payment=True, on_event=lambda e, _: events.append(e)
            )
            first = engine_b.process(plans[0])  # B is busy before A registers the others
            run_once(server.url, tmp_path / "a.sqlite3", plans[1:3])  # consumer A, its own ledger
            later = [engine_b.process(item) for item in plans[1:]]
        assert first.outcome is Outcome.PAID
        assert [r.outcome for r in later] == [Outcome.ALREADY_PAID, Outcome.ALREADY_PAID, Outcome.PAID]
        assert "prefetched" not in events  # no stale index: every decision was looked up afresh
        assert events.count("looked_up") == sum(len(p.payments) for p in plans)
        assert_registered_exactly_once(server, plans)


def test_a_failing_look_up_fails_the_decision_and_enters_nothing(tmp_path: Path) -> None:
    plans = many_plans(1, prefix="L")
    with payout_system(tmp_path) as server:
        url = server.url
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:  # the stand-in is gone now
        engine = engine_for(url, ledger, look_up_each_payment=True, max_attempts=1, timeout=0.5)
        result = engine.process(plans[0])
        assert result.outcome is Outcome.FAILED
        assert {p.status for p in result.payments} == {PaymentStatus.FAILED}
        assert ledger.get(plans[0].payments[0].reference) is None


def test_a_registration_the_payout_system_no_longer_shows_is_never_entered_again(tmp_path: Path) -> None:
    """The ledger's record is never overruled by a search that finds nothing: registered_not_found."""
    import sqlite3

    plans = many_plans(2)
    ledger_path = tmp_path / "ledger.sqlite3"
    with payout_system(tmp_path) as server:
        first = run_once(server.url, ledger_path, plans)
        assert {r.outcome for r in first.values()} == {Outcome.PAID}
        (lost,) = server.api_payments(reference="B-1/2")
        with sqlite3.connect(tmp_path / "payout.db") as db:  # the payout system loses one payment
            db.execute("DELETE FROM payments WHERE reference = ?", ("B-1/2",))
        for _ in range(2):
            again = run_once(server.url, ledger_path, plans)
            assert again["B-0"].outcome is Outcome.ALREADY_PAID
            result = again["B-1"]
            assert result.outcome is Outcome.MANUAL
            (reason,) = result.reasons
            assert reason.code is ReasonCode.REGISTERED_NOT_FOUND
            assert f"B-1/2 as {lost['payment_number']}" in reason.detail
            assert {p.reference: p.payment_number for p in result.payments}["B-1/2"] == lost["payment_number"]
            assert server.api_payments(reference="B-1/2") == []  # never entered again
        with Ledger(ledger_path) as ledger:
            entry = ledger.get("B-1/2")
            assert entry is not None and entry.payment_number == lost["payment_number"]


def test_with_the_ledger_lost_the_payout_systems_holdings_alone_prevent_every_duplicate(
    tmp_path: Path,
) -> None:
    plans = many_plans(4)
    with payout_system(tmp_path) as server:
        run_once(server.url, tmp_path / "ledger.sqlite3", plans)
        for fresh in ("new-machine-1.sqlite3", "new-machine-2.sqlite3"):
            results = run_once(server.url, tmp_path / fresh, plans)
            assert {r.outcome for r in results.values()} == {Outcome.ALREADY_PAID}
        assert_registered_exactly_once(server, plans)
