"""One run rides out an ordinary flaky payout system: server errors, lost sessions, hangs and latency.

Each seed is a fresh stand-in with the fault mix of a bad day (10 % server errors, 5 % lost
sessions, 3 % hanging requests, latency with jitter), reproducible from its seed. One run of
the registration loop, with the robot's default retry discipline, must complete every decision
exactly once: retries per step, then a second pass after a pause and a fresh log-in. Not timed:
a hang (12 s) is twice the client's timeout (6 s), so it is a timeout on any machine, while an
ordinary request on a loaded machine takes a small fraction of that timeout.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from splitpayout.adapters.ledger import Ledger
from splitpayout.adapters.runlog import RunLog
from splitpayout.config import DEFAULT_MAX_ATTEMPTS
from splitpayout.domain.models import DecisionPlan, DecisionResult, Outcome
from splitpayout.jobs.registration.loop import RegistrationLoop, RunIdentity

from tests.support.registration import (
    assert_registered_exactly_once,
    engine_for,
    many_plans,
    payout_system,
)

pytestmark = pytest.mark.slow

SEEDS = range(1, 7)
FAULT_MIX = (
    "--error-rate", "0.1", "--expire-session-rate", "0.05", "--hang-rate", "0.03",
    "--hang-seconds", "12", "--latency-ms", "5", "--jitter-ms", "20",
)  # fmt: skip
# A hang outlasts the client's timeout by far, and the timeout is far above what an answer takes on a
# loaded machine (parallel workers, one core): only the injected hangs time out.
CLIENT_TIMEOUT = 6.0


def one_run(
    url: str, state: Path, plans: list[DecisionPlan], *, timeout: float = CLIENT_TIMEOUT
) -> dict[str, DecisionResult]:
    results: dict[str, DecisionResult] = {}
    with Ledger(state / "ledger.sqlite3") as ledger:
        engine = engine_for(
            url, ledger, timeout=timeout, max_attempts=DEFAULT_MAX_ATTEMPTS, backoff_seconds=0.02
        )
        log = RunLog(state / "run.jsonl", engine.run_id)
        try:
            loop: RegistrationLoop[int] = RegistrationLoop(
                engine._gateway,
                engine,
                ledger,
                run=RunIdentity(engine.run_id, "real", "flaky.xlsx", ""),
                log=log,
                say=lambda _: None,
                announce=lambda _: None,
                max_attempts=DEFAULT_MAX_ATTEMPTS,
                backoff_seconds=0.02,
                deferred=True,
            )
            loop.run(
                enumerate(plans, start=1),
                lambda _, plan, result: results.__setitem__(plan.decision_id, result),
            )
        finally:
            log.close()
    return results


@pytest.mark.parametrize("seed", SEEDS)
def test_one_run_completes_every_decision_exactly_once_under_the_fault_mix(seed: int, tmp_path: Path) -> None:
    plans = many_plans(20, prefix=f"F{seed}")
    with payout_system(tmp_path, "--seed", str(seed), *FAULT_MIX) as server:
        results = one_run(server.url, tmp_path, plans)
        left = {decision: r.outcome.value for decision, r in results.items() if r.outcome is not Outcome.PAID}
        assert left == {}, f"seed {seed}: not completed in one run: {left}"
        assert_registered_exactly_once(server, plans)
        faults = server.log_text().count("fault injected")
        assert faults > 10, f"seed {seed}: the fault mix should have hit the run ({faults} faults)"
