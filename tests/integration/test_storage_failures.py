"""The robot's own storage failing, for real: a small filesystem that fills up during the run, a
read-only one, one without room to start. The run against the real stand-in (through the HTTP
gateway) must say what happened in summary.json (status, cause, control totals of the whole
file), enter nothing more once its storage fails, and leave a next run with room to complete
every decision exactly once.

The faults are driven by the payout system's requests (after the N-th registered payment, at the
first look-up of a reference), never by time. Mounting a tmpfs needs root: elsewhere these tests
are skipped with the reason.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from splitpayout.adapters.ledger import EntryState, Ledger
from splitpayout.config import Settings
from splitpayout.domain.models import Outcome, PlannedPayment
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.domain.stops import STOP_TEXT, StopCode
from splitpayout.jobs.export_plan import plan_export
from splitpayout.jobs.split_payouts.job import SplitPayoutJob

from devdata.generate_export import generate
from tests.integration.test_work_items import payout_system, run_task
from tests.support.http_gateway import HttpGateway
from tests.support.inbox_run import export as inbox_export
from tests.support.inbox_run import run_the_inbox
from tests.support.payout_server import PayoutServer, running_payout_system
from tests.support.robot_env import REPO_ROOT, clean_robot_env
from tests.support.robot_logs import readable_text
from tests.support.small_disk import fill, free, set_read_only, small_disk
from tests.support.smtp_server import local_smtp_server

pytestmark = pytest.mark.slow

USER, PASSWORD = "robot", "robot-demo-password"
DECISIONS = 24
# Room for the ledger's pre-start estimate of DECISIONS decisions, and a little more.
STATE_KIB = 12 * 1024
ARTIFACTS_KIB = 16 * 1024


class WatchedGateway(HttpGateway):
    """The HTTP gateway, with a fault of the test's set off by the payout system's requests."""

    def __init__(self, url: str) -> None:
        super().__init__(url, USER, PASSWORD, timeout=10)
        self.log_ins = 0
        self.registered = 0
        self.after_payments: tuple[int, Callable[[], object]] | None = None
        self.at_first_look_up: Callable[[], object] | None = None

    def log_in(self) -> None:
        self.log_ins += 1
        super().log_in()

    def register(self, payment: object) -> str:
        number = super().register(payment)
        self.registered += 1
        if self.after_payments is not None and self.registered == self.after_payments[0]:
            self.after_payments[1]()
        return number

    def find_payments(self, *, reference: str | None = None, **dates: Any) -> Any:
        if reference is not None and self.at_first_look_up is not None:
            fault, self.at_first_look_up = self.at_first_look_up, None
            fault()
        return super().find_payments(reference=reference, **dates)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PayoutServer]:
    with running_payout_system(tmp_path / "payout.db") as running:
        yield running


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.xlsx"
    generate(path, count=DECISIONS, scenario_mix=False)
    return path


def settings_for(export: Path, state: Path, artifacts: Path, server: PayoutServer) -> Settings:
    return Settings.from_env(
        {
            "DECISIONS_FILE": str(export),
            "STATE_DIR": str(state),
            "ROBOT_ARTIFACTS": str(artifacts),
            "PAYOUT_SYSTEM_URL": server.url,
            "RETRY_BACKOFF_SECONDS": "0.01",
            "UNKNOWN_OUTCOME_SETTLE_SECONDS": "0.1",
            "LOOK_UP_EACH_PAYMENT": "false",
        }
    )


def finished_worker_id() -> str:
    """A worker id of this host whose process has ended, as a run's is once the run is over (the
    runs of a test share the test's process, which the ledger would count as still alive)."""
    with subprocess.Popen(["true"]) as process:
        process.wait()
    return f"{socket.gethostname()}:{process.pid}:test"


def run_job(settings: Settings, gateway: HttpGateway) -> dict[str, Any]:
    """The steps of the ``Split payouts`` task, in-process; returns summary.json."""
    job = SplitPayoutJob(settings, say=lambda _: None)
    try:
        job.read_export()
        job.plan()
        if job.room_to_start():
            job.register(gateway, worker_id=finished_worker_id())
        job.write_reports()
    finally:
        job.close()
    summary: dict[str, Any] = json.loads((settings.artifacts_dir / "summary.json").read_text("utf-8"))
    return summary


def file_totals(export: Path) -> tuple[int, int, set[str]]:
    """The export's decisions, their amount in öre and the references a run must enter."""
    plans = list(plan_export(export, PlanningRules(dt.date.today())))
    references = {p.reference for plan in plans if plan.outcome is Outcome.PLANNED for p in plan.payments}
    return len(plans), sum(plan.amount_ore for plan in plans), references


def assert_stopped(summary: dict[str, Any], code: StopCode, export: Path) -> None:
    """Stopped with its cause, and control totals of the whole file: every decision counted once,
    those not completed ``failed``, the amounts adding up to the file's."""
    decisions, amount, _ = file_totals(export)
    assert summary["status"] == "stopped"
    assert summary["stop"]["code"] == code.value
    assert summary["stop"]["message_sv"] == STOP_TEXT[code]
    assert summary["stopped_reason"] == summary["stop"]["detail"]
    totals = summary["totals"]
    assert totals["decisions"] == decisions
    assert sum(totals["outcomes"].values()) == decisions
    assert totals["outcomes"]["failed"] > 0
    amounts = totals["amounts_ore"]
    assert amounts["in_file"] == amount
    assert amounts["registered"] + amounts["failed"] + amounts["manual"] == amount


def assert_completes_exactly_once(summary: dict[str, Any], server: PayoutServer, export: Path) -> None:
    _, _, references = file_totals(export)
    assert summary["status"] == "completed" and summary["stop"] is None
    assert summary["totals"]["outcomes"]["failed"] == 0
    held = Counter(row["reference"] for row in server.api_payments())
    assert set(held) == references
    assert max(held.values()) == 1


def test_a_ledger_disk_that_fills_mid_run_stops_the_run_which_says_so_and_the_next_run_completes(
    tmp_path: Path, server: PayoutServer, export: Path
) -> None:
    with small_disk(tmp_path / "state", STATE_KIB) as state:
        settings = settings_for(export, state, tmp_path / "artifacts", server)
        gateway = WatchedGateway(server.url)
        gateway.after_payments = (5, lambda: fill(state))

        summary = run_job(settings, gateway)

        assert_stopped(summary, StopCode.STORAGE_FULL, export)
        assert "STATE_DIR" in summary["stop"]["detail"]
        # Nothing was entered after the ledger could no longer record it.
        assert len(server.api_payments()) == 5
        log = (tmp_path / "artifacts" / "run.jsonl").read_text("utf-8")
        assert '"event": "run_stopped"' in log and '"code": "storage_full"' in log
        assert '"status": "stopped"' in log.splitlines()[-1]

        free(state)
        summary = run_job(settings, WatchedGateway(server.url))
        assert_completes_exactly_once(summary, server, export)


def test_a_failure_to_record_the_intent_means_nothing_is_sent_for_that_payment(
    tmp_path: Path, server: PayoutServer, export: Path
) -> None:
    _, _, references = file_totals(export)
    with small_disk(tmp_path / "state", STATE_KIB) as state:
        settings = settings_for(export, state, tmp_path / "artifacts", server)
        # An earlier run left one reference with its outcome unknown: the next run claims it,
        # looks it up, finds nothing, and must record its intent before it sends the form.
        first = next(plan for plan in plan_export(export, PlanningRules(dt.date.today())) if plan.payments)
        payment: PlannedPayment = first.payments[0]
        with Ledger(settings.ledger_path) as ledger:
            ledger.claim(payment, "gone:1", "earlier-run", 60)
            ledger.mark_submitting(payment.reference, "gone:1", 60)
            ledger.release(payment.reference, "gone:1")
        gateway = WatchedGateway(server.url)
        gateway.at_first_look_up = lambda: fill(state)  # between the claim and the intent

        summary = run_job(settings, gateway)

        assert_stopped(summary, StopCode.STORAGE_FULL, export)
        assert gateway.registered == 0 and server.api_payments() == []
        free(state)
        with Ledger(settings.ledger_path) as ledger:
            entry = ledger.get(payment.reference)
        assert entry is not None and entry.state is EntryState.SUBMITTING and entry.submissions == 1

        summary = run_job(settings, WatchedGateway(server.url))
        assert_completes_exactly_once(summary, server, export)
        assert payment.reference in references


def test_a_read_only_state_folder_refuses_the_run_before_it_logs_in(
    tmp_path: Path, server: PayoutServer, export: Path
) -> None:
    with small_disk(tmp_path / "state", STATE_KIB) as state:
        settings = settings_for(export, state, tmp_path / "artifacts", server)
        set_read_only(state, True)
        gateway = WatchedGateway(server.url)

        summary = run_job(settings, gateway)

        assert_stopped(summary, StopCode.STORAGE_READ_ONLY, export)
        assert summary["totals"]["outcomes"]["failed"] == DECISIONS
        assert gateway.log_ins == 0 and server.api_payments() == []

        set_read_only(state, False)
        summary = run_job(settings, WatchedGateway(server.url))
        assert_completes_exactly_once(summary, server, export)


def test_a_state_folder_without_room_for_the_export_refuses_the_run(
    tmp_path: Path, server: PayoutServer, export: Path
) -> None:
    with small_disk(tmp_path / "state", 1024) as state:
        gateway = WatchedGateway(server.url)
        summary = run_job(settings_for(export, state, tmp_path / "artifacts", server), gateway)

    assert_stopped(summary, StopCode.STORAGE_FULL, export)
    assert "MiB free" in summary["stop"]["detail"]
    assert gateway.log_ins == 0 and server.api_payments() == []


def test_an_artifacts_folder_that_fills_mid_run_stops_the_run_and_still_leaves_a_summary(
    tmp_path: Path, server: PayoutServer, export: Path
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    with small_disk(tmp_path / "artifacts", ARTIFACTS_KIB) as artifacts:
        settings = settings_for(export, state, artifacts, server)
        gateway = WatchedGateway(server.url)
        gateway.after_payments = (4, lambda: fill(artifacts))

        summary = run_job(settings, gateway)

        assert_stopped(summary, StopCode.ARTIFACTS_FULL, export)
        assert summary["decisions"] == [] and summary["decisions_omitted"] == DECISIONS
        # The decision under way is finished; nothing of the next one is entered.
        _, _, references = file_totals(export)
        assert 4 <= len(server.api_payments()) <= 6 < len(references)

        free(artifacts)
        summary = run_job(settings, WatchedGateway(server.url))
        assert_completes_exactly_once(summary, server, export)
        assert "decisions_omitted" not in summary and len(summary["decisions"]) == DECISIONS


# -- the task as robot.yaml runs it ----------------------------------------------------------


def start_split_payouts(
    export: Path, state: Path, artifacts: Path, server: PayoutServer, **extra: str
) -> subprocess.Popen[str]:
    env = clean_robot_env("SMTP_HOST", "NOTIFY_OPERATORS")
    env.update(
        DECISIONS_FILE=str(export),
        DRY_RUN="false",
        PAYOUT_SYSTEM_URL=server.url,
        PAYOUT_SYSTEM_USERNAME=USER,
        PAYOUT_SYSTEM_PASSWORD=PASSWORD,
        PAYOUT_SYSTEM_TIMEOUT="10",
        RETRY_BACKOFF_SECONDS="0.05",
        LOOK_UP_EACH_PAYMENT="false",
        STATE_DIR=str(state),
        ROBOT_ARTIFACTS=str(artifacts),
    )
    env.update(extra)
    return subprocess.Popen(
        [sys.executable, "-m", "splitpayout.runner", "split_payouts"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def fill_after_payments(
    process: subprocess.Popen[str], server: PayoutServer, count: int, state: Path
) -> None:
    """Fill ``state`` once the stand-in holds ``count`` payments (it is asked between its answers)."""
    while process.poll() is None:
        if len(server.api_payments()) >= count:
            fill(state)
            return
        time.sleep(0.05)  # a poll of the payout system's state, not a wait for time to pass
    raise AssertionError("the run ended before the stand-in held the payments to fill the disk after")


@pytest.mark.browser
def test_the_task_on_a_disk_that_fills_exits_non_zero_and_every_record_says_why(
    tmp_path: Path, server: PayoutServer, export: Path
) -> None:
    artifacts = tmp_path / "artifacts"
    with small_disk(tmp_path / "state", STATE_KIB) as state, local_smtp_server() as (port, mail):
        mail_settings = {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "NOTIFY_FROM": "robot@kommun.example",
            "NOTIFY_OPERATORS": "drift@kommun.example",
        }
        process = start_split_payouts(export, state, artifacts, server, **mail_settings)
        fill_after_payments(process, server, 3, state)
        _, errors = process.communicate(timeout=600)

        assert process.returncode != 0, errors
        summary = json.loads((artifacts / "summary.json").read_text("utf-8"))
        assert_stopped(summary, StopCode.STORAGE_FULL, export)
        run = json.loads((artifacts / "run.json").read_text("utf-8"))
        assert run["status"] == "stopped" and run["stop"]["code"] == "storage_full"
        assert run["exit_status"] == process.returncode
        events = [json.loads(line) for line in (artifacts / "run.jsonl").read_text("utf-8").splitlines()]
        assert any(e["event"] == "run_stopped" and e["code"] == "storage_full" for e in events)
        assert events[-1]["event"] == "run_finished" and events[-1]["status"] == "stopped"
        log = readable_text(artifacts / "log.html")
        assert STOP_TEXT[StopCode.STORAGE_FULL] in log
        assert "OperationalError" not in log  # the cause is named, not a raw exception
        # The operators hear of it, though the outbox in the full STATE_DIR cannot keep the message.
        [told] = [m for m in mail.received if m.recipients == ["drift@kommun.example"]]
        assert STOP_TEXT[StopCode.STORAGE_FULL] in " ".join(told.text.split())
        assert "Teknisk detalj (storage_full)" in told.text

        free(state)
        process = start_split_payouts(export, state, artifacts, server, **mail_settings)
        _, errors = process.communicate(timeout=600)
        assert process.returncode == 0, errors
        summary = json.loads((artifacts / "summary.json").read_text("utf-8"))
        assert_completes_exactly_once(summary, server, export)
        run = json.loads((artifacts / "run.json").read_text("utf-8"))
        assert run["status"] == "completed" and run["stop"] is None


def test_parallel_workers_on_a_read_only_state_folder_are_never_started(
    tmp_path: Path, server: PayoutServer, export: Path
) -> None:
    artifacts = tmp_path / "artifacts"
    with small_disk(tmp_path / "state", STATE_KIB) as state:
        set_read_only(state, True)
        process = start_split_payouts(export, state, artifacts, server, WORKERS="2")
        _, errors = process.communicate(timeout=300)

    assert process.returncode != 0, errors
    assert_stopped(
        json.loads((artifacts / "summary.json").read_text("utf-8")), StopCode.STORAGE_READ_ONLY, export
    )
    assert not (artifacts / "workers").exists()
    assert server.api_payments() == []
    run = json.loads((artifacts / "run.json").read_text("utf-8"))
    assert (run["status"], run["stop"]["code"]) == ("stopped", "storage_read_only")


# -- work-item consumers and the inbox ---------------------------------------------------------


@pytest.mark.browser
def test_a_consumer_on_a_read_only_state_folder_fails_every_item_with_that_cause_and_a_retry_completes(
    tmp_path: Path, server: PayoutServer, export: Path
) -> None:
    producer = run_task(
        "produce_work_items",
        tmp_path / "producer",
        items=[{"payload": {"requested_by": "test"}}],
        env={"DECISIONS_FILE": str(export)},
    )
    assert producer.returncode == 0, producer.explain()
    with small_disk(tmp_path / "state", STATE_KIB) as state:

        def consume(folder: str) -> Any:
            return run_task(
                "consume_work_items",
                tmp_path / folder,
                items=producer.output_items(),
                env=payout_system(server.url),
                state_dir=state,
            )

        set_read_only(state, True)
        consumer = consume("consumer")

        assert consumer.returncode != 0, consumer.explain()
        assert server.api_payments() == []
        releases = consumer.releases()
        assert len(releases) == DECISIONS
        assert {(r["state"], r["exception"]["code"]) for r in releases} == {("FAILED", "storage_read_only")}
        reporter = run_task("report_work_items", tmp_path / "reporter", items=consumer.output_items())
        assert_stopped(reporter.summary(), StopCode.STORAGE_READ_ONLY, export)

        set_read_only(state, False)
        again = consume("again")
        assert again.returncode == 0, again.explain()
        reporter = run_task("report_work_items", tmp_path / "reporter-again", items=again.output_items())
        assert_completes_exactly_once(reporter.summary(), server, export)


def test_an_inbox_export_whose_run_has_no_room_needs_attention_and_is_not_processed(
    tmp_path: Path, server: PayoutServer
) -> None:
    place = {name: tmp_path / name for name in ("inbox", "archive", "rejected", "runs", "output")}
    place["inbox"].mkdir()
    inbox_export(place["inbox"] / "beslut.xlsx", count=DECISIONS)
    with small_disk(tmp_path / "state", 1024) as state:
        place["state"] = state
        status, summary = run_the_inbox(place, dry_run=False, **payout_system(server.url))

    assert status != 0
    assert summary["status"] == "needs_attention"
    [entry] = summary["files"]
    assert (entry["outcome"], entry["run_status"], entry["error_code"]) == (
        "run_failed",
        "stopped",
        "storage_full",
    )
    run_summary = json.loads((place["runs"] / entry["run_dir"] / "summary.json").read_text("utf-8"))
    assert run_summary["stop"]["code"] == "storage_full"
    assert run_summary["totals"]["decisions"] == DECISIONS
    assert server.api_payments() == []
