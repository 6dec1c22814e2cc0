"""Exactly-once registration through faults the robot rides out (server errors, hangs, lost
sessions, maintenance, a slow save) and an outage that stops the run, for a later run to complete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from splitpayout.adapters.ledger import EntryState, Ledger
from splitpayout.domain.models import Outcome, PaymentStatus
from splitpayout.jobs.registration.engine import PayoutSystemUnavailable

from tests.support.payout_server import running_payout_system
from tests.support.registration import (
    assert_numbers_match,
    assert_registered_exactly_once,
    engine_for,
    manual_plan,
    many_plans,
    payout_system,
    run,
    run_once,
    run_until_complete,
)

# -- faults ridden out ----------------------------------------------------------------------------


def test_server_errors_are_retried_without_duplicates(tmp_path: Path) -> None:
    plans = many_plans(8)
    with payout_system(tmp_path, "--error-rate", "0.3", "--seed", "7") as server:
        history, kinds = run_until_complete(
            server, tmp_path / "ledger.sqlite3", plans, runs=4, max_attempts=8
        )
        assert "server_error" in kinds
        held = assert_registered_exactly_once(server, plans)
        final = history[-1]
        assert all(r.outcome in (Outcome.PAID, Outcome.ALREADY_PAID) for r in final.values())
        assert_numbers_match(final, held)
        # the first run already got through most of it: retries, not re-runs, ride out the errors
        assert sum(r.outcome is Outcome.PAID for r in history[0].values()) >= 6


def test_hanging_requests_time_out_and_are_retried_without_duplicates(tmp_path: Path) -> None:
    plans = many_plans(5)
    faults = ("--hang-rate", "0.15", "--hang-seconds", "2", "--seed", "3")
    with payout_system(tmp_path, *faults) as server:
        history, kinds = run_until_complete(server, tmp_path / "ledger.sqlite3", plans, runs=3, timeout=1.0)
        assert "timeout" in kinds
        assert_registered_exactly_once(server, plans)
        assert all(r.outcome in (Outcome.PAID, Outcome.ALREADY_PAID) for r in history[-1].values())


def test_expiring_sessions_lead_to_a_new_log_in_without_duplicates(tmp_path: Path) -> None:
    plans = many_plans(6)
    with payout_system(tmp_path, "--expire-session-rate", "0.25", "--seed", "11") as server:
        history, kinds = run_until_complete(
            server, tmp_path / "ledger.sqlite3", plans, runs=3, max_attempts=5
        )
        assert "session_expired" in kinds
        assert_registered_exactly_once(server, plans)
        assert all(r.outcome in (Outcome.PAID, Outcome.ALREADY_PAID) for r in history[-1].values())
        assert all(r.outcome is Outcome.PAID for r in history[0].values())


def test_a_maintenance_window_is_waited_out(tmp_path: Path) -> None:
    plans = many_plans(3)
    with payout_system(tmp_path, "--maintenance-from-request", "1", "--maintenance-requests", "5") as server:
        history, kinds = run_until_complete(
            server,
            tmp_path / "ledger.sqlite3",
            plans,
            runs=1,
            max_attempts=6,
            backoff_seconds=(0.5, 1, 1, 1, 1),
        )
        assert kinds == {"maintenance"}
        assert all(r.outcome is Outcome.PAID for r in history[0].values())
        assert_registered_exactly_once(server, plans)


def test_a_slow_save_beyond_the_client_timeout_is_found_not_entered_again(tmp_path: Path) -> None:
    plans = many_plans(2)  # B-0 has /D, /1, /2; B-1 has /1, /2: five slow saves
    events: list[tuple[str, dict[str, Any]]] = []
    with payout_system(tmp_path, "--slow-save-seconds", "1.5") as server:
        with Ledger(tmp_path / "ledger.sqlite3") as ledger:
            engine = engine_for(
                server.url,
                ledger,
                timeout=0.7,
                unknown_outcome_settle_seconds=0.2,
                on_event=lambda event, values: events.append((event, values)),
            )
            results = run(engine, plans)
        held = assert_registered_exactly_once(server, plans)
        assert all(r.outcome is Outcome.PAID for r in results.values())
        assert_numbers_match(results, held)
        assert sum(event == "submit_outcome_unknown" for event, _ in events) == 5


# -- the payout system down -----------------------------------------------------------------------


def test_payout_system_down_stops_the_run_and_a_later_run_completes_it(tmp_path: Path) -> None:
    plans = many_plans(6)
    ledger_path = tmp_path / "ledger.sqlite3"
    with payout_system(tmp_path) as server, Ledger(ledger_path) as ledger:
        engine = engine_for(server.url, ledger, timeout=1.0, max_attempts=2, max_consecutive_failures=2)
        engine.prefetch(plans)
        first = engine.process(plans[0])
        assert first.outcome is Outcome.PAID
        server.stop()

        results = [first]
        with pytest.raises(PayoutSystemUnavailable):
            for item in plans[1:]:
                results.append(engine.process(item))
        assert [r.outcome for r in results] == [Outcome.PAID, Outcome.FAILED, Outcome.FAILED]
        assert engine.unavailable
        rest = [engine.not_attempted(item) for item in plans[len(results) :]]
        assert all(r.outcome is Outcome.FAILED for r in rest)
        assert all(p.status is PaymentStatus.FAILED for r in rest for p in r.payments)
        for reference in ("B-1/1", "B-1/2", "B-2/1", "B-2/2"):
            entry = ledger.get(reference)
            assert entry is not None
            assert entry.state is EntryState.FAILED
        assert ledger.get("B-3/D") is None  # never attempted

    # the same payout system back up (same database): the next run completes it, no duplicates
    with running_payout_system(tmp_path / "payout.db") as server:
        final = run_once(server.url, ledger_path, plans)
        assert final["B-0"].outcome is Outcome.ALREADY_PAID
        assert all(final[f"B-{n}"].outcome is Outcome.PAID for n in range(1, 6))
        assert_registered_exactly_once(server, plans)


def test_payout_system_unreachable_from_the_start_is_unavailable(tmp_path: Path) -> None:
    """A failing search is one technical failure; failures in a row make the payout system unavailable."""
    with payout_system(tmp_path) as server:
        url = server.url
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        engine = engine_for(url, ledger, timeout=0.5, max_attempts=2, max_consecutive_failures=2)
        assert engine.prefetch(many_plans(2)) == 0  # one failure: each decision then searches itself
        assert engine.process(manual_plan("M-1")).outcome is Outcome.MANUAL
        assert engine.process(many_plans(1)[0]).outcome is Outcome.FAILED  # the second failure in a row
        with pytest.raises(PayoutSystemUnavailable):
            engine.process(many_plans(1)[0])
        assert [entry.submissions for entry in ledger.entries()] == []  # nothing was ever sent
