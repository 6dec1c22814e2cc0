"""The real server (``python -m payout_system`` in a subprocess): options given as flags and in the
environment reach it, and a hanging request outlasts the client's timeout. (How each option behaves
is tested in-process in test_payout_faults.py and test_payout_register.py.)"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.payout_server import running_payout_system


def test_a_hanging_request_outlasts_the_clients_timeout(tmp_path: Path) -> None:
    flags = ["--hang-rate", "1", "--hang-seconds", "5", "--max-payment-kr", "50000"]
    with running_payout_system(
        tmp_path / "payout.db", extra_args=flags, env={"PAYOUT_FAULT_SEED": "7"}
    ) as server:
        started = time.monotonic()
        with pytest.raises((TimeoutError, urllib.error.URLError)) as raised:
            urllib.request.urlopen(server.url + "login", timeout=0.3)  # noqa: S310 - loopback URL
        if isinstance(raised.value, urllib.error.URLError):
            assert isinstance(raised.value.reason, TimeoutError)
        assert time.monotonic() - started < 5  # gave up before the answer came
        assert server.api_payments() == []  # the API is never faulted
        log = server.log_text()
    assert "fault injection on, seed 7" in log
    assert "payments above 50 000,00 kr are refused" in log
