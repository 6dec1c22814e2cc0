"""Fault injection: each option does what --help says, only on UI routes, reproducibly."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from payout_testdata import FakeClock, csrf_from, login, page_name, valid_form_data

from payout_system.settings import Settings

FAULT = "X-Fault-Injected"


def stored_references(settings: Settings) -> list[str]:
    with sqlite3.connect(settings.db_path) as conn:
        return [row[0] for row in conn.execute("SELECT reference FROM payments ORDER BY seq")]


def faulty_client_with_session(
    make_app: Callable[..., Flask], **faults: object
) -> tuple[FlaskClient, str, str]:
    """Log in on a healthy app, then hand the session (same database) to a client of a faulty app.

    Returns the faulty client, a CSRF token valid for the session and the session cookie.
    """
    healthy = make_app().test_client()
    login(healthy)
    token = csrf_from(healthy.get("/payments/new"))
    cookie = healthy.get_cookie("payout_session")
    assert cookie is not None
    faulty = make_app(**faults).test_client()
    faulty.set_cookie("payout_session", cookie.value)
    return faulty, token, cookie.value


def record_sleeps(app: Flask) -> list[float]:
    """Make the app's fault injector record its waits instead of sleeping; returns the record."""
    sleeps: list[float] = []
    app.extensions["payout_faults"]._sleep = sleeps.append
    return sleeps


def test_faults_are_off_by_default(client: FlaskClient) -> None:
    responses = [client.get("/login") for _ in range(20)]
    assert {r.status_code for r in responses} == {200}
    assert not any(FAULT in r.headers for r in responses)


def test_latency_and_jitter_delay_ui_pages_but_not_the_api(make_app: Callable[..., Flask]) -> None:
    client = make_app(latency_ms=150, jitter_ms=50, seed=1).test_client()
    started = time.perf_counter()
    assert client.get("/login").status_code == 200
    assert 0.15 <= time.perf_counter() - started < 1.0
    started = time.perf_counter()
    assert client.get("/api/health").status_code == 200
    assert client.get("/static/style.css").status_code == 200
    assert time.perf_counter() - started < 0.15


def jitter_delays(make_app: Callable[..., Flask], seed: int) -> list[float]:
    app = make_app(latency_ms=100, jitter_ms=50, seed=seed)
    sleeps = record_sleeps(app)
    client = app.test_client()
    for _ in range(20):
        assert client.get("/login").status_code == 200
    return sleeps


def test_latency_plus_jitter_is_in_range_and_reproducible(make_app: Callable[..., Flask]) -> None:
    first = jitter_delays(make_app, seed=11)
    assert len(first) == 20
    assert all(0.100 <= delay <= 0.150 for delay in first)
    assert len(set(first)) == 20  # the jitter really varies
    assert jitter_delays(make_app, seed=11) == first
    assert jitter_delays(make_app, seed=12) != first


def test_faults_never_touch_the_api_or_static_files(make_app: Callable[..., Flask]) -> None:
    app = make_app(latency_ms=100, error_rate=0.5, hang_rate=0.5, seed=1)
    sleeps = record_sleeps(app)
    client = app.test_client()
    for _ in range(10):
        for path, headers in (
            ("/api/payments", {"Authorization": "Bearer dev-api-token"}),
            ("/api/health", {}),
            ("/static/style.css", {}),
        ):
            response = client.get(path, headers=headers)
            assert response.status_code == 200 and FAULT not in response.headers
    assert sleeps == []


def test_fault_shares_follow_the_rates(make_app: Callable[..., Flask]) -> None:
    app = make_app(error_rate=0.2, hang_rate=0.1, hang_seconds=30, expire_session_rate=0.3, seed=2024)
    sleeps = record_sleeps(app)
    client = app.test_client()
    requests = 400
    faults = [client.get("/login").headers.get(FAULT, "-") for _ in range(requests)]
    share = {name: faults.count(name) / requests for name in set(faults)}
    assert share["error-500"] + share["error-503"] == pytest.approx(0.2, abs=0.05)
    assert share["error-500"] == pytest.approx(share["error-503"], abs=0.05)
    assert share["hang"] == pytest.approx(0.1, abs=0.04)
    assert share["session-drop"] == pytest.approx(0.3, abs=0.05)
    assert sleeps == [30.0] * faults.count("hang")  # every hang waits hang_seconds, nothing else waits


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_error_rate_answers_500_or_503_without_processing(
    make_app: Callable[..., Flask], settings: Settings, method: str
) -> None:
    faulty, token, _ = faulty_client_with_session(make_app, error_rate=1.0, seed=3)
    statuses = set()
    for _ in range(10):
        response = faulty.open(
            "/payments/new", method=method, data={**valid_form_data(), "csrf_token": token}
        )
        assert response.status_code in (500, 503)
        assert page_name(response) == "error"
        assert 'id="error-message"' in response.get_data(as_text=True)
        statuses.add(response.status_code)
    assert statuses == {500, 503}
    assert stored_references(settings) == []
    assert faulty.get("/api/health").status_code == 200


def test_a_503_error_says_when_to_retry(make_app: Callable[..., Flask]) -> None:
    client = make_app(error_rate=1.0, seed=3).test_client()
    responses = [client.get("/login") for _ in range(10)]
    for response in responses:
        if response.status_code == 503:
            assert response.headers["Retry-After"] == "30"
            assert 'id="error-message" data-status="503"' in response.get_data(as_text=True)
        else:
            assert 'id="error-message" data-status="500"' in response.get_data(as_text=True)


def test_hang_waits_then_answers_504_without_processing(
    make_app: Callable[..., Flask], settings: Settings
) -> None:
    faulty, token, _ = faulty_client_with_session(make_app, hang_rate=1.0, hang_seconds=0.3, seed=3)
    started = time.perf_counter()
    response = faulty.post("/payments/new", data={**valid_form_data(), "csrf_token": token})
    assert time.perf_counter() - started >= 0.3
    assert response.status_code == 504
    assert response.headers[FAULT] == "hang"
    assert stored_references(settings) == []


def test_expire_session_rate_sends_the_user_to_login_without_processing(
    make_app: Callable[..., Flask], settings: Settings
) -> None:
    faulty, token, cookie = faulty_client_with_session(make_app, expire_session_rate=1.0, seed=3)
    response = faulty.post("/payments/new", data={**valid_form_data(), "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/payments/new&expired=1"
    assert stored_references(settings) == []
    # The session is gone for good, also for a healthy app.
    healthy = make_app().test_client()
    healthy.set_cookie("payout_session", cookie)
    assert healthy.get("/payments/new").status_code == 303


def test_maintenance_window_refuses_a_logged_in_post_without_processing(
    make_app: Callable[..., Flask], settings: Settings, tmp_path: Path
) -> None:
    switch = tmp_path / "maintenance"
    faulty, token, _ = faulty_client_with_session(make_app, maintenance_file=str(switch))
    switch.touch()
    for method in ("GET", "POST"):
        response = faulty.open(
            "/payments/new", method=method, data={**valid_form_data(), "csrf_token": token}
        )
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"
        assert response.headers[FAULT] == "maintenance"
        assert page_name(response) == "maintenance"
    assert stored_references(settings) == []
    switch.unlink()
    assert faulty.get("/payments/new").status_code == 200  # the session survived the window


def test_maintenance_window_counts_ui_requests_and_closes_every_ui_page(
    make_app: Callable[..., Flask], clock: FakeClock
) -> None:
    client = make_app(maintenance_from_request=2, maintenance_requests=3).test_client()
    assert client.get("/login").status_code == 200  # UI request 1
    clock.advance(3600)  # time does not open or close it: requests do
    for path in ("/login", "/", "/payments/search"):  # UI requests 2, 3 and 4
        response = client.get(path)
        assert response.status_code == 503
        assert page_name(response) == "maintenance"
        assert "Systemet är stängt för underhåll" in response.get_data(as_text=True)
        assert client.get("/api/health").status_code == 200  # the API is never counted or closed
    assert client.get("/login").status_code == 200  # UI request 5: open again


def test_slow_save_stores_first_then_answers_late(make_app: Callable[..., Flask], settings: Settings) -> None:
    # The answer comes 2 s after the payment is stored: far longer than a loaded machine takes to see it.
    client = make_app(slow_save_seconds=2).test_client()
    login(client)
    token = csrf_from(client.get("/payments/new"))
    result: dict[str, object] = {}

    def submit() -> None:
        result["response"] = client.post("/payments/new", data={**valid_form_data(), "csrf_token": token})

    started = time.perf_counter()
    thread = threading.Thread(target=submit)
    thread.start()
    deadline = time.perf_counter() + 2
    while not stored_references(settings) and time.perf_counter() < deadline:
        time.sleep(0.02)
    stored_while_waiting = stored_references(settings)
    answered_yet = "response" in result
    thread.join()
    assert stored_while_waiting == ["B-1001/1"]
    assert not answered_yet
    assert time.perf_counter() - started >= 2
    response = result["response"]
    assert getattr(response, "status_code", None) == 303
    assert getattr(response, "headers", {}).get(FAULT) == "slow-save"


def test_slow_save_does_not_delay_a_refused_form(make_app: Callable[..., Flask]) -> None:
    app = make_app(slow_save_seconds=30)
    sleeps = record_sleeps(app)
    client = app.test_client()
    login(client)
    token = csrf_from(client.get("/payments/new"))
    response = client.post("/payments/new", data={**valid_form_data(amount="0"), "csrf_token": token})
    assert response.status_code == 422 and FAULT not in response.headers
    assert sleeps == []


def fault_sequence(make_app: Callable[..., Flask], seed: int, requests: int = 40) -> list[str]:
    client = make_app(
        error_rate=0.3, hang_rate=0.1, hang_seconds=0, expire_session_rate=0.2, seed=seed
    ).test_client()
    return [client.get("/login").headers.get(FAULT, "-") for _ in range(requests)]


def test_same_seed_gives_the_same_faults(make_app: Callable[..., Flask]) -> None:
    first = fault_sequence(make_app, seed=42)
    second = fault_sequence(make_app, seed=42)
    other = fault_sequence(make_app, seed=43)
    assert first == second
    assert first != other
    assert {"error-500", "error-503", "hang", "session-drop", "-"} <= set(first)


def test_at_most_one_fault_per_request(make_app: Callable[..., Flask]) -> None:
    client = make_app(
        error_rate=0.4, hang_rate=0.3, hang_seconds=0, expire_session_rate=0.3, seed=5
    ).test_client()
    headers = [client.get("/login").headers.getlist(FAULT) for _ in range(30)]
    assert all(len(h) == 1 for h in headers)


def test_fault_rates_that_add_up_to_more_than_one_are_refused(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(ValueError, match="at most 1"):
        make_app(error_rate=0.6, hang_rate=0.6)
