"""The reconciliation's inputs: the exports of a folder, and the payout system's API (faked)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
import requests
from splitpayout.domain.models import Outcome
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.jobs.reconcile.client import PayoutSystemApi
from splitpayout.jobs.reconcile.errors import ReconcileInputError
from splitpayout.jobs.reconcile.report import REPORT_FILE, WORKBOOK_FILE, write_settings_error_report
from splitpayout.jobs.reconcile.sources import export_files, read_decisions

from devdata.generate_export import generate

TODAY = dt.date(2026, 11, 23)
PLANNING = dt.date(2026, 12, 1)
RULES = PlanningRules(PLANNING, amount_limit_ore=5_000_000)


def _touch(path: Path, seconds: int) -> None:
    os.utime(path, (seconds, seconds))


# --- exports ----------------------------------------------------------------------------------


def test_a_folder_is_read_with_its_subfolders_oldest_first(tmp_path: Path) -> None:
    for name, seconds in (("b/new.xlsx", 2_000), ("a/old.xlsx", 1_000), ("top.XLSX", 1_500)):
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"x")
        _touch(path, seconds)
    (tmp_path / "a" / "~$old.xlsx").write_bytes(b"lock")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.xlsx").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    assert [name for _, name in export_files(tmp_path)] == ["a/old.xlsx", "top.XLSX", "b/new.xlsx"]


@pytest.mark.parametrize("kind", ["unset", "missing", "empty"])
def test_no_export_is_an_input_error(tmp_path: Path, kind: str) -> None:
    path = {"unset": None, "missing": tmp_path / "nope.xlsx", "empty": tmp_path}[kind]
    with pytest.raises(ReconcileInputError) as raised:
        export_files(path)
    assert raised.value.source == "decisions"


def test_a_later_export_supersedes_an_earlier_one_and_a_copy_is_read_once(tmp_path: Path) -> None:
    first = tmp_path / "one" / "beslut.xlsx"
    second = tmp_path / "two" / "beslut.xlsx"
    copy = tmp_path / "three" / "beslut.xlsx"
    for path in (first, second, copy):
        path.parent.mkdir()
    generate(first, count=6, seed=1, today=TODAY, scenario_mix=False)
    generate(second, count=6, seed=2, today=TODAY, scenario_mix=False)  # same numbers, other content
    copy.write_bytes(second.read_bytes())
    for seconds, path in enumerate((first, second, copy), start=1):
        _touch(path, seconds * 1_000)
    said: list[str] = []
    decisions = read_decisions(tmp_path, RULES, say=said.append)
    assert [s.file_name for s in decisions.sources] == [
        "one/beslut.xlsx",
        "two/beslut.xlsx",
        "three/beslut.xlsx",
    ]
    assert [s.same_content_as_earlier for s in decisions.sources] == [False, False, True]
    assert decisions.superseded == 6
    assert len(decisions.plans) == 6
    later = {p.decision_id: p for p in read_decisions(second, RULES).plans.values()}
    assert all(plan.payments == later[plan.decision_id].payments for plan in decisions.plans.values())
    assert len(said) == 2


def test_payout_dates_of_the_period_are_not_passed_when_planned_for_it(tmp_path: Path) -> None:
    export = tmp_path / "beslut.xlsx"
    generate(export, count=5, seed=3, today=TODAY, scenario_mix=False)  # payout dates next month
    decisions = read_decisions(export, RULES)
    assert all(plan.outcome is Outcome.PLANNED for plan in decisions.plans.values())
    too_late = read_decisions(export, RULES.on(dt.date(2027, 1, 1)))
    assert all(plan.outcome is Outcome.MANUAL for plan in too_late.plans.values())


def test_an_unreadable_export_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "trasig.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(ReconcileInputError, match=r"trasig\.xlsx"):
        read_decisions(tmp_path, RULES)


# --- the payout system's API ------------------------------------------------------------------


class FakeResponse:
    def __init__(self, status: int, body: object) -> None:
        self.status_code = status
        self._body = body

    def json(self) -> object:
        if isinstance(self._body, Exception):
            raise self._body
        return self._body


class FakeHttp:
    """Answers in turn; an exception instance is raised instead of answered."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    def get(self, url: str, **options: Any) -> FakeResponse:
        self.calls.append({"url": url, **options})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, FakeResponse)
        return answer

    def close(self) -> None:
        pass


PAYMENT = {
    "payment_number": "U-100001",
    "reference": "EB-1/1",
    "personnummer": "199001011234",
    "name": "Test Testsson",
    "method": "KONTANT",
    "clearing": None,
    "account": None,
    "bankgiro": None,
    "ocr": None,
    "amount_ore": 12_345,
    "payout_date": "2026-12-18",
    "status": "registrerad",
}


def api_with(http: FakeHttp, attempts: int = 3) -> PayoutSystemApi:
    api = PayoutSystemApi(
        "http://payout.example/",
        "secret-token",
        timeout=30.0,
        attempts=attempts,
        backoff_seconds=1.0,
        sleep=lambda _: None,
    )
    api._http = http  # type: ignore[assignment]
    return api


def test_the_api_is_asked_per_payout_date_with_the_bearer_token() -> None:
    http = FakeHttp(FakeResponse(200, [PAYMENT]))
    [payment] = api_with(http).payments(payout_date=dt.date(2026, 12, 18))
    assert http.calls[0]["url"] == "http://payout.example/api/payments"
    assert http.calls[0]["params"] == {"payout_date": "2026-12-18"}
    assert http.calls[0]["headers"]["Authorization"] == "Bearer secret-token"
    assert (payment.payment_number, payment.amount_ore, payment.method) == ("U-100001", 12_345, "KONTANT")
    assert "199001011234" not in repr(payment)
    assert "secret-token" not in repr(api_with(http))


def test_passing_failures_are_retried() -> None:
    http = FakeHttp(requests.ConnectionError("down"), FakeResponse(503, {}), FakeResponse(200, []))
    assert api_with(http).payments(reference="EB-1/1") == []
    assert len(http.calls) == 3


def test_a_payout_system_that_stays_down_is_an_input_error() -> None:
    http = FakeHttp(requests.Timeout(), requests.Timeout())
    with pytest.raises(ReconcileInputError, match="after 2 tries"):
        api_with(http, attempts=2).payments(payout_date=dt.date(2026, 12, 1))


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (FakeResponse(401, {"error": "no"}), "refused the API token"),
        (FakeResponse(404, {}), "HTTP 404"),
        (FakeResponse(200, ValueError("not json")), "not JSON"),
        (FakeResponse(200, {"payments": []}), "not a list"),
        (FakeResponse(200, [PAYMENT | {"amount_ore": "12,34"}]), "amount_ore"),
        (FakeResponse(200, [PAYMENT | {"payout_date": "18/12"}]), "payout_date"),
    ],
)
def test_answers_that_cannot_be_used_stop_at_once(answer: FakeResponse, message: str) -> None:
    http = FakeHttp(answer)
    with pytest.raises(ReconcileInputError, match=message) as raised:
        api_with(http).payments(payout_date=dt.date(2026, 12, 1))
    assert "secret-token" not in str(raised.value)
    assert "199001011234" not in str(raised.value)
    assert len(http.calls) == 1


# --- a reconciliation that cannot start -------------------------------------------------------


def test_wrong_settings_still_leave_a_report(tmp_path: Path) -> None:
    (tmp_path / WORKBOOK_FILE).write_bytes(b"an earlier reconciliation's")
    error = ReconcileInputError("settings", "RECONCILE_TO (2026-12-01) is before RECONCILE_FROM (2026-12-31)")
    write_settings_error_report(tmp_path, error, started_by="schedule")
    document = json.loads((tmp_path / REPORT_FILE).read_text(encoding="utf-8"))
    assert document["status"] == "input_error"
    assert document["error"] == {"source": "settings", "message": error.message}
    assert not (tmp_path / WORKBOOK_FILE).exists()
