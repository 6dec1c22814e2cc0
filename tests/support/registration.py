"""Registration against the real payout-system stand-in, through HttpGateway, for the tests:
decisions planned as the planner would plan them (valid identity, account and bankgiro numbers),
an engine with the test's settings, a run as the robot's task does it, and the check that the
payout system holds every planned reference exactly once, as planned.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from splitpayout.adapters.ledger import Ledger
from splitpayout.domain.models import (
    DecisionPlan,
    DecisionResult,
    Method,
    Outcome,
    PaymentStatus,
    PlannedPayment,
    Reason,
)
from splitpayout.domain.reasons import ReasonCode
from splitpayout.jobs.registration.engine import PayoutSystemUnavailable, RegistrationEngine

from swedish_rules import is_valid_account, normalize_bankgiro, normalize_identity, previous_bank_day
from tests.support.http_gateway import HttpGateway
from tests.support.payout_server import PayoutServer, running_payout_system

USER, PASSWORD = "robot", "robot-demo-password"
TODAY = dt.date.today()
PAYOUT_DATE = previous_bank_day(TODAY + dt.timedelta(days=30))
CLEARING = "6789"  # Handelsbanken: type 2, mod 11 over a 9-digit account


def _luhn(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def personnummer(index: int) -> str:
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=(41 * index) % 20_000)
    body = f"{birth:%y%m%d}{100 + index % 800:03d}"
    return normalize_identity(f"{birth:%Y%m%d}{body[6:]}{_luhn(body)}", today=TODAY)


def account(index: int) -> str:
    for candidate in range(12_000_000 + index * 37, 12_000_000 + index * 37 + 40):
        digits = f"{candidate:08d}"
        for check in "0123456789":
            if is_valid_account(CLEARING, digits + check):
                return digits + check
    raise AssertionError("no valid account near the base")


def bankgiro(index: int) -> str:
    base = f"{5050100 + index}"
    return normalize_bankgiro(base + _luhn(base))


def plan(
    decision_id: str,
    amount_ore: int,
    *,
    index: int = 0,
    split: bool = True,
    direct_ore: int = 0,
    payout_date: dt.date = PAYOUT_DATE,
) -> DecisionPlan:
    """A decision as the planner would produce it: /D by bankgiro, /1 to an account, /2 by AVI."""
    payments: list[PlannedPayment] = []
    common: dict[str, Any] = {"decision_id": decision_id, "payout_date": payout_date}
    if direct_ore:
        payments.append(
            PlannedPayment(
                reference=f"{decision_id}/D",
                method=Method.BANKGIRO,
                personnummer=personnummer(index),
                name="Hyresvärd AB",
                bankgiro=bankgiro(index),
                amount_ore=direct_ore,
                **common,
            )
        )
    rest = amount_ore - direct_ore
    second = rest // 2 if split else 0
    payments.append(
        PlannedPayment(
            reference=f"{decision_id}/1",
            method=Method.KONTO,
            personnummer=personnummer(index),
            name="Sökande Ett",
            clearing=CLEARING,
            account=account(index),
            amount_ore=rest - second,
            **common,
        )
    )
    if second:
        payments.append(
            PlannedPayment(
                reference=f"{decision_id}/2",
                method=Method.AVI,
                personnummer=personnummer(index + 500),
                name="Sökande Två",
                amount_ore=second,
                **common,
            )
        )
    return DecisionPlan(
        decision_id=decision_id,
        row_numbers=(index + 2,),
        amount_ore=amount_ore,
        outcome=Outcome.PLANNED,
        payments=tuple(payments),
    )


def manual_plan(decision_id: str) -> DecisionPlan:
    return DecisionPlan(
        decision_id=decision_id,
        row_numbers=(99,),
        amount_ore=500_000,
        outcome=Outcome.MANUAL,
        reasons=(Reason(code=ReasonCode.INVALID_ACCOUNT, fields=("Sökande 1 kontonummer",)),),
    )


def many_plans(count: int, prefix: str = "B") -> list[DecisionPlan]:
    return [
        plan(f"{prefix}-{n}", 1_000_001 + n * 1_003, index=n, direct_ore=300_000 if n % 3 == 0 else 0)
        for n in range(count)
    ]


@contextmanager
def payout_system(tmp_path: Path, *faults: str) -> Iterator[PayoutServer]:
    with running_payout_system(tmp_path / "payout.db", extra_args=faults) as server:
        yield server


def engine_for(url: str, ledger: Ledger, *, timeout: float = 2.0, **options: Any) -> RegistrationEngine:
    settings: dict[str, Any] = {
        "run_id": f"run-{uuid.uuid4().hex[:8]}",
        "max_attempts": 3,
        "backoff_seconds": 0.01,
        "unknown_outcome_settle_seconds": 0.1,
        "max_consecutive_failures": 5,
    }
    settings.update(options)
    return RegistrationEngine(HttpGateway(url, USER, PASSWORD, timeout=timeout), ledger, **settings)


def run(engine: RegistrationEngine, plans: list[DecisionPlan]) -> dict[str, DecisionResult]:
    """What the robot's task does: prefetch, process each decision, stop cleanly when unavailable."""
    results: list[DecisionResult] = []
    try:
        engine.prefetch(plans)
        for item in plans:
            results.append(engine.process(item))
    except PayoutSystemUnavailable:
        results.extend(engine.not_attempted(item) for item in plans[len(results) :])
    return {result.decision_id: result for result in results}


def run_once(
    url: str, ledger_path: Path, plans: list[DecisionPlan], **options: Any
) -> dict[str, DecisionResult]:
    with Ledger(ledger_path) as ledger:
        return run(engine_for(url, ledger, **options), plans)


def planned_payments(plans: list[DecisionPlan]) -> dict[str, PlannedPayment]:
    return {p.reference: p for item in plans if item.outcome is Outcome.PLANNED for p in item.payments}


def assert_registered_exactly_once(
    server: PayoutServer, plans: list[DecisionPlan]
) -> dict[str, dict[str, Any]]:
    """Every planned reference is in the payout system once, as planned; nothing else is."""
    held = server.api_payments()
    counts = Counter(row["reference"] for row in held)
    duplicates = {reference: n for reference, n in counts.items() if n > 1}
    assert duplicates == {}
    expected = planned_payments(plans)
    assert set(counts) == set(expected)
    by_reference = {row["reference"]: row for row in held}
    for reference, payment in expected.items():
        row = by_reference[reference]
        assert row["personnummer"] == payment.personnummer, reference
        assert row["method"] == payment.method.value, reference
        assert row["amount_ore"] == payment.amount_ore, reference
        assert row["payout_date"] == payment.payout_date.isoformat(), reference
        assert (row["clearing"] or None, row["account"] or None) == (payment.clearing, payment.account)
        assert (row["bankgiro"] or None) == payment.bankgiro
        assert row["created_by"] == USER
    return by_reference


def assert_numbers_match(results: dict[str, DecisionResult], held: dict[str, dict[str, Any]]) -> None:
    for result in results.values():
        for payment in result.payments:
            if payment.status in (PaymentStatus.REGISTERED, PaymentStatus.ALREADY_REGISTERED):
                assert payment.payment_number == held[payment.reference]["payment_number"]


def run_until_complete(
    server: PayoutServer, ledger_path: Path, plans: list[DecisionPlan], runs: int, **options: Any
) -> tuple[list[dict[str, DecisionResult]], set[str]]:
    """Run again while decisions fail (at most ``runs`` times); also say which failure kinds were met."""
    history = []
    kinds: set[str] = set()

    def collect(event: str, values: dict[str, Any]) -> None:
        if "kind" in values:
            kinds.add(values["kind"])

    for _ in range(runs):
        results = run_once(server.url, ledger_path, plans, on_event=collect, **options)
        history.append(results)
        if all(r.outcome is not Outcome.FAILED for r in results.values()):
            break
    return history, kinds
