"""HttpGateway against the real stand-in: the forms, the search pages and how failures are told apart."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from splitpayout.adapters.gateway import ApplicationError, BusinessError, SubmitOutcomeUnknownError
from splitpayout.domain.models import Method, PlannedPayment
from splitpayout.domain.reasons import ReasonCode

from swedish_rules import normalize_identity, previous_bank_day
from tests.support.http_gateway import HttpGateway, LoginRefusedError
from tests.support.payout_server import running_payout_system

PASSWORD = "robot-demo-password"
PAYOUT_DATE = previous_bank_day(dt.date.today() + dt.timedelta(days=30))
PNR = normalize_identity("19811218-9876")


def avi(reference: str, amount_ore: int = 123_450, payout_date: dt.date = PAYOUT_DATE) -> PlannedPayment:
    return PlannedPayment(
        reference=reference,
        decision_id=reference.split("/")[0],
        method=Method.AVI,
        personnummer=PNR,
        name="Test Testsson",
        amount_ore=amount_ore,
        payout_date=payout_date,
    )


def test_register_returns_the_confirmed_payment_number_and_search_reads_every_page(tmp_path: Path) -> None:
    with running_payout_system(tmp_path / "payout.db") as server:
        gateway = HttpGateway(server.url, "robot", PASSWORD, timeout=5, per_page=2)
        gateway.log_in()
        numbers = [gateway.register(avi(f"G-{n}/1", 100_000 + n)).payment_number for n in range(5)]
        api = {row["reference"]: row for row in server.api_payments()}
        assert [api[f"G-{n}/1"]["payment_number"] for n in range(5)] == numbers
        assert api["G-3/1"]["amount_ore"] == 100_003

        found = gateway.find_payments(payout_date_from=PAYOUT_DATE, payout_date_to=PAYOUT_DATE)
        assert sorted(p.payment_number for p in found) == sorted(numbers)  # 3 pages of 2
        by_reference = {p.reference: p for p in found}
        assert by_reference["G-4/1"].amount_ore == 100_004
        assert by_reference["G-4/1"].personnummer == PNR
        assert by_reference["G-4/1"].method is Method.AVI
        assert by_reference["G-4/1"].payout_date == PAYOUT_DATE

        assert [p.payment_number for p in gateway.find_payments(reference="g-2/1")] == [numbers[2]]
        assert gateway.find_payments(reference="G-9/1") == []
        later = PAYOUT_DATE + dt.timedelta(days=1)
        assert gateway.find_payments(payout_date_from=later, payout_date_to=later) == []
        gateway.log_out()


def test_a_refused_form_names_the_fields_and_stores_nothing(tmp_path: Path) -> None:
    with running_payout_system(tmp_path / "payout.db") as server:
        gateway = HttpGateway(server.url, "robot", PASSWORD, timeout=5)
        gateway.log_in()
        with pytest.raises(BusinessError) as refused:
            gateway.register(avi("G-1/1", payout_date=dt.date.today() - dt.timedelta(days=3)))
        assert refused.value.code is ReasonCode.REJECTED_BY_PAYOUT_SYSTEM
        assert refused.value.fields == ("payout_date",)
        assert PNR not in str(refused.value)
        assert server.api_payments() == []


def test_wrong_password_is_refused_and_never_shown(tmp_path: Path) -> None:
    with running_payout_system(tmp_path / "payout.db") as server:
        gateway = HttpGateway(server.url, "robot", "not-the-password")
        with pytest.raises(LoginRefusedError) as refused:
            gateway.log_in()
        assert "not-the-password" not in str(refused.value)
        assert "not-the-password" not in repr(gateway)
        assert "not-the-password" not in str(vars(gateway))


def test_an_expired_session_is_reported_as_such(tmp_path: Path) -> None:
    env = {"PAYOUT_SESSION_IDLE_SECONDS": "1"}
    with running_payout_system(tmp_path / "payout.db", env=env) as server:
        gateway = HttpGateway(server.url, "robot", PASSWORD, timeout=5)
        gateway.log_in()
        time.sleep(1.5)  # let the session go idle on the server
        with pytest.raises(ApplicationError) as expired:
            gateway.find_payments(reference="G-1/1")
        assert expired.value.kind == "session_expired"
        time.sleep(1.5)
        with pytest.raises(ApplicationError) as expired_on_form:
            gateway.register(avi("G-1/1"))
        assert not isinstance(expired_on_form.value, SubmitOutcomeUnknownError)  # the form was never sent
        assert expired_on_form.value.kind == "session_expired"
        gateway.log_in()
        assert gateway.register(avi("G-1/1")).payment_number.startswith("U-")


def test_a_save_slower_than_the_timeout_is_an_unknown_outcome(tmp_path: Path) -> None:
    # Seconds apart, so that a log-in on a loaded machine is not the request that times out.
    with running_payout_system(tmp_path / "payout.db", extra_args=["--slow-save-seconds", "15"]) as server:
        gateway = HttpGateway(server.url, "robot", PASSWORD, timeout=5)
        gateway.log_in()
        with pytest.raises(SubmitOutcomeUnknownError) as unknown:
            gateway.register(avi("G-1/1"))
        assert unknown.value.kind == "timeout"
        assert [row["reference"] for row in server.api_payments()] == ["G-1/1"]  # it was stored after all


def test_an_unreachable_payout_system_is_a_retryable_failure(tmp_path: Path) -> None:
    with running_payout_system(tmp_path / "payout.db") as server:
        url = server.url
    gateway = HttpGateway(url, "robot", PASSWORD, timeout=0.5)
    with pytest.raises(ApplicationError) as down:
        gateway.log_in()
    assert down.value.kind == "timeout"
    gateway.log_out()  # never raises
