"""Notifications by e-mail against a real SMTP server (aiosmtpd) started by the tests.

The plans come from real .xlsx exports; the messages go through the outbox in a temporary
state folder to a server that is up, down, refusing a recipient, or hanging.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from splitpayout.adapters.files import file_sha256
from splitpayout.domain.models import DecisionPlan, DecisionResult
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.jobs.export_plan import plan_export
from splitpayout.jobs.notify.config import NotifySettings, smtp_credentials
from splitpayout.jobs.notify.delivery import after_run, queue_run_messages
from splitpayout.jobs.notify.outbox import GIVEN_UP, PENDING, SENT, Outbox, read_run_notifications
from splitpayout.jobs.notify.sender import deliver
from splitpayout.jobs.split_payouts.planning import dry_run_result

from swedish_rules import format_amount
from tests.support.smtp_server import (
    closed_port,
    hanging_smtp_server,
    local_smtp_server,
    starttls_smtp_server,
)
from tests.unit.splitpayout.export_builder import TODAY, raw_row, write_export

OPERATORS = "drift@kommun.example,jour@kommun.example"
FALLBACK = "ekonomiskt-bistand@kommun.example"


def rows() -> list[dict[str, object]]:
    """Two decisions for hl01, one for hl02, one without Handläggare, one protected, one with an
    id that would change the address, and one that is paid (no message for it)."""
    return [
        raw_row(Beslutsnummer="EB-1", Sökande_1_kontonummer="123"),  # invalid_account, HL01
        raw_row(Beslutsnummer="EB-2", Sökande_2_namn=None, Sökande_2_personnummer=None, Handläggare="HL01"),
        raw_row(Beslutsnummer="EB-3", Belopp="90 000,00", Handläggare="HL02"),  # amount_above_limit
        raw_row(Beslutsnummer="EB-4", Sökande_1_kontonummer="99999", Handläggare=None),
        raw_row(Beslutsnummer="EB-5", Skyddade_personuppgifter="Ja", Handläggare="HL02"),
        raw_row(Beslutsnummer="EB-6", Sökande_1_kontonummer="77777", Handläggare="x@evil.example,HL01"),
        raw_row(Beslutsnummer="EB-7", Sökande_1_namn="Cecilia Carlsson", Handläggare="HL03"),
    ]


def planned(tmp_path: Path) -> tuple[Path, list[tuple[DecisionPlan, DecisionResult]]]:
    export = write_export(tmp_path / "export.xlsx", rows())
    plans = list(plan_export(export, PlanningRules(TODAY)))
    return export, [(plan, dry_run_result(plan)) for plan in plans]


def personal_data(export: Path) -> set[str]:
    """Every name, identity number, account number and amount of the export, as text."""
    values: set[str] = set()
    for row in rows():
        for column, value in row.items():
            if value and (column.startswith("Sökande") or column == "Belopp"):
                values.add(str(value))
    values |= {format_amount(100_000_00 * n // 10) for n in range(1, 10)}
    return {value for value in values if len(value) >= 4}


def settings_for(tmp_path: Path, port: int, **changes: object) -> NotifySettings:
    env = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_TIMEOUT_SECONDS": "30",
        "NOTIFY_FROM": "robot@kommun.example",
        "NOTIFY_CASEWORKER_ADDRESS": "{handlaggare}@kommun.example",
        "NOTIFY_CASEWORKER_FALLBACK": FALLBACK,
        "NOTIFY_OPERATORS": OPERATORS,
        "CONSOLE_URL": "https://robot.kommun.example",
        "STATE_DIR": str(tmp_path / "state"),
        "RUNS_DIR": str(tmp_path / "runs"),
    }
    env.update({k: str(v) for k, v in changes.items()})
    settings = NotifySettings.from_env(env)
    assert not settings.problem, settings.problem
    return settings


def test_each_case_worker_gets_one_message_without_personal_data(tmp_path: Path) -> None:
    export, items = planned(tmp_path)
    run_dir = tmp_path / "runs" / "run-1"
    run_dir.mkdir(parents=True)
    with local_smtp_server() as (port, server):
        settings = settings_for(tmp_path, port)
        queued = queue_run_messages(
            run_id="R1",
            mode="real",
            artifacts_dir=run_dir,
            items=items,
            export=(export, file_sha256(export)),
            settings=settings,
        )
        report = deliver(settings, Outbox(settings.outbox_dir))

    assert sorted(m.recipient_id for m in queued) == ["HL01", "HL02", "ingen-handlaggare"]
    assert len(report.sent) == 3 and not report.failed
    by_recipient = {tuple(r.recipients): r for r in server.received}
    assert set(by_recipient) == {("HL01@kommun.example",), ("HL02@kommun.example",), (FALLBACK,)}
    hl01 = by_recipient[("HL01@kommun.example",)].text
    assert "EB-1" in hl01 and "EB-2" in hl01 and "Ogiltigt eller ofullständigt bankkonto" in hl01
    assert "https://robot.kommun.example/" in hl01
    hl02 = by_recipient[("HL02@kommun.example",)].text
    assert "EB-3" in hl02 and "EB-5" not in hl02  # protected: counted in its case worker's, never named
    assert "2 av dina beslut" in hl02 and "1 beslut med skyddade personuppgifter" in hl02
    fallback = by_recipient[(FALLBACK,)].text
    assert "EB-4" in fallback and "EB-6" in fallback and "EB-5" not in fallback
    assert "skyddade personuppgifter" not in fallback
    for received in server.received:
        assert "EB-7" not in received.text
        leaked = [value for value in personal_data(export) if value in received.text]
        assert leaked == [], leaked
        assert received.message["Subject"].startswith("Delad utbetalning:")


def test_a_dry_run_and_an_unconfigured_notifier_queue_nothing(tmp_path: Path) -> None:
    _, items = planned(tmp_path)
    settings = settings_for(tmp_path, closed_port())
    assert (
        queue_run_messages(
            run_id="R1", mode="dry_run", artifacts_dir=tmp_path, items=items, settings=settings
        )
        == []
    )
    off = NotifySettings.from_env({"STATE_DIR": str(tmp_path / "state")})
    assert (
        queue_run_messages(run_id="R1", mode="real", artifacts_dir=tmp_path, items=items, settings=off) == []
    )
    assert not (tmp_path / "state" / "outbox").exists()


def test_a_server_that_is_down_keeps_the_messages_for_the_next_run_which_sends_them_once(
    tmp_path: Path,
) -> None:
    _, items = planned(tmp_path)
    run_dir = tmp_path / "runs" / "run-1"
    run_dir.mkdir(parents=True)
    down = settings_for(tmp_path, closed_port())
    queue_run_messages(run_id="R1", mode="real", artifacts_dir=run_dir, items=items, settings=down)
    outbox = Outbox(down.outbox_dir)

    report = deliver(down, outbox)

    assert report.server_error and len(report.failed) == 3 and not report.sent
    assert len(outbox.messages(PENDING)) == 3
    for path in (down.outbox_dir / PENDING).iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((down.outbox_dir / PENDING).stat().st_mode) == 0o700
    # The run's reports are written again: nothing is queued twice.
    assert (
        queue_run_messages(run_id="R1", mode="real", artifacts_dir=run_dir, items=items, settings=down) == []
    )

    with local_smtp_server() as (port, server):
        up = settings_for(tmp_path, port)
        first = deliver(up, outbox)
        second = deliver(up, outbox)
        again = queue_run_messages(run_id="R1", mode="real", artifacts_dir=run_dir, items=items, settings=up)
        third = deliver(up, outbox)

    assert len(first.sent) == 3 and not second.touched and again == [] and not third.touched
    assert len(server.received) == 3
    assert [m.state for m in outbox.of_run("R1")] == [SENT] * 3


def test_a_refused_recipient_does_not_stop_the_others_and_is_given_up_after_the_last_try(
    tmp_path: Path,
) -> None:
    _, items = planned(tmp_path)
    with local_smtp_server(refuse={"HL02@kommun.example"}) as (port, server):
        settings = settings_for(tmp_path, port, NOTIFY_MAX_ATTEMPTS=2)
        queue_run_messages(run_id="R1", mode="real", artifacts_dir=tmp_path, items=items, settings=settings)
        outbox = Outbox(settings.outbox_dir)
        first = deliver(settings, outbox)
        second = deliver(settings, outbox)
        third = deliver(settings, outbox)

    assert sorted(m.recipient_id for m in first.sent) == ["HL01", "ingen-handlaggare"]
    assert [m.recipient_id for m in first.failed] == ["HL02"]
    assert "recipient refused (550)" in first.failed[0].last_error
    assert [m.recipient_id for m in second.given_up] == ["HL02"]
    assert not third.touched
    assert len(server.received) == 2
    assert [m.recipient_id for m in outbox.messages(GIVEN_UP)] == ["HL02"]


def test_a_hanging_server_costs_a_timeout_and_keeps_the_messages(tmp_path: Path) -> None:
    _, items = planned(tmp_path)
    with hanging_smtp_server() as port:
        settings = settings_for(tmp_path, port, SMTP_TIMEOUT_SECONDS=1)
        queue_run_messages(run_id="R1", mode="real", artifacts_dir=tmp_path, items=items, settings=settings)
        outbox = Outbox(settings.outbox_dir)
        report = deliver(settings, outbox)

    assert report.server_error in ("TimeoutError", "SMTPServerDisconnected")
    assert not report.sent and len(outbox.messages(PENDING)) == 3


def write_run(run_dir: Path, summary: dict[str, object], exit_status: int) -> dict[str, object]:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    record = {"task": "split_payouts", "started_at": "2026-12-01T02:00:05+00:00", "exit_status": exit_status}
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")
    return record


def env_for(tmp_path: Path, port: int) -> dict[str, str]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_TIMEOUT_SECONDS": "30",
        "NOTIFY_FROM": "robot@kommun.example",
        "NOTIFY_OPERATORS": OPERATORS,
        "CONSOLE_URL": "https://robot.kommun.example",
        "STATE_DIR": str(tmp_path / "state"),
        "RUNS_DIR": str(tmp_path / "runs"),
    }


@pytest.mark.parametrize(
    ("summary", "exit_status", "told"),
    [
        ({"run_id": "R-stop", "mode": "real", "status": "stopped"}, 1, "stopped"),
        (
            {"run_id": "R-file", "mode": "real", "status": "file_error", "error": {"code": "unreadable"}},
            1,
            "file_error",
        ),
        (
            {
                "run_id": "R-big",
                "mode": "real",
                "status": "file_error",
                "error": {"code": "export_too_large"},
            },
            1,
            "export_too_large",
        ),
        (
            {
                "run_id": "R-fail",
                "mode": "real",
                "status": "completed",
                "totals": {"outcomes": {"failed": 2}},
            },
            1,
            "failed",
        ),
        ({"run_id": "R-ok", "mode": "real", "status": "completed"}, 0, None),
        (
            {
                "run_id": "R-preview",
                "mode": "dry_run",
                "status": "file_error",
                "error": {"code": "unreadable"},
            },
            1,
            None,
        ),
    ],
)
def test_operators_get_one_message_when_a_run_needs_tending(
    tmp_path: Path, summary: dict[str, object], exit_status: int, told: str | None
) -> None:
    run_dir = tmp_path / "runs" / "2026-12-01T020005Z-inbox-abc123"
    record = write_run(run_dir, summary, exit_status)
    with local_smtp_server() as (port, server):
        after_run("split_payouts", record, run_dir, env_for(tmp_path, port))
        after_run("split_payouts", record, run_dir, env_for(tmp_path, port))  # the same run again

    if told is None:
        assert server.received == []
        return
    [received] = server.received
    assert sorted(received.recipients) == sorted(OPERATORS.split(","))
    assert f"({told})" in received.message["Subject"] and str(summary["run_id"]) in received.text
    assert f"https://robot.kommun.example/korningar/{run_dir.name}" in received.text
    written = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert written["notifications"]["this_run"]["recipients"] == ["operators"]
    [recorded] = read_run_notifications(run_dir)
    assert (recorded["recipient_id"], recorded["state"]) == ("operators", SENT)
    assert "@" not in (run_dir / "notifications.json").read_text(encoding="utf-8")


def test_a_later_run_sends_what_an_earlier_one_could_not_and_says_so(tmp_path: Path) -> None:
    first = tmp_path / "runs" / "run-1"
    record = write_run(first, {"run_id": "R1", "mode": "real", "status": "stopped"}, 1)
    after_run("split_payouts", record, first, env_for(tmp_path, closed_port()))
    summary = json.loads((first / "summary.json").read_text(encoding="utf-8"))
    assert summary["notifications"]["this_run"]["unsent"] == 1
    assert summary["notifications"]["server_error"]
    [recorded] = read_run_notifications(first)
    assert recorded["state"] == PENDING and recorded["last_error"]

    second = tmp_path / "runs" / "run-2"
    record = write_run(second, {"run_id": "R2", "mode": "real", "status": "completed"}, 0)
    with local_smtp_server() as (port, server):
        after_run("split_payouts", record, second, env_for(tmp_path, port))

    assert len(server.received) == 1 and "R1" in server.received[0].text
    summary = json.loads((second / "summary.json").read_text(encoding="utf-8"))
    assert summary["notifications"]["earlier_runs"]["sent"] == 1
    assert summary["notifications"]["still_unsent"] == 0
    assert read_run_notifications(first)[0]["state"] == SENT


def test_a_wrong_setting_sends_nothing_and_never_raises(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    record = write_run(run_dir, {"run_id": "R1", "mode": "real", "status": "stopped"}, 1)
    env = env_for(tmp_path, closed_port()) | {"NOTIFY_FROM": "not an address", "SMTP_PORT": "x"}
    after_run("split_payouts", record, run_dir, env)
    assert not (tmp_path / "state" / "outbox").exists()
    assert "NOTIFY_FROM" in NotifySettings.from_env(env).problem


def test_a_consumer_leaves_telling_to_the_run_that_reports_the_export(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs" / "worker"
    record = write_run(run_dir, {"run_id": "W1", "mode": "real", "status": "stopped"}, 1)
    with local_smtp_server() as (port, server):
        after_run("consume_work_items", record, run_dir, env_for(tmp_path, port))
    assert server.received == []


def test_starttls_is_used_when_offered_and_only_then_are_credentials_sent(tmp_path: Path) -> None:
    _, items = planned(tmp_path)
    with starttls_smtp_server(tmp_path, "smtp-hemligt") as (port, server, logins, cert):
        settings = settings_for(tmp_path, port, SMTP_CA_FILE=cert)
        queue_run_messages(run_id="R1", mode="real", artifacts_dir=tmp_path, items=items, settings=settings)
        report = deliver(settings, Outbox(settings.outbox_dir), ("robot-smtp", "smtp-hemligt"))
    assert len(report.sent) == 3 and logins.accepted == ["robot-smtp"] and len(server.received) == 3

    with local_smtp_server() as (port, plain):  # offers no STARTTLS
        settings = settings_for(tmp_path / "plain", port)
        queue_run_messages(run_id="R2", mode="real", artifacts_dir=tmp_path, items=items, settings=settings)
        refused = deliver(settings, Outbox(settings.outbox_dir), ("robot-smtp", "smtp-hemligt"))
    assert refused.server_error.startswith("SMTPNotSupportedError") and not refused.sent
    assert plain.received == []


def test_the_credentials_come_from_the_environment_or_the_vault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert smtp_credentials("smtp", {"SMTP_USERNAME": "u", "SMTP_PASSWORD": "p"}) == ("u", "p")
    assert smtp_credentials("smtp", {}) is None  # no vault configured: no login
    vault = tmp_path / "vault.json"
    vault.write_text(
        json.dumps({"smtp": {"username": "robot-smtp", "password": "ur-valvet"}}), encoding="utf-8"
    )
    monkeypatch.setenv("RPA_SECRET_MANAGER", "RPA.Robocorp.Vault.FileSecrets")
    monkeypatch.setenv("RPA_SECRET_FILE", str(vault))
    env = {"RPA_SECRET_MANAGER": "RPA.Robocorp.Vault.FileSecrets"}
    assert smtp_credentials("smtp", env) == ("robot-smtp", "ur-valvet")
    assert smtp_credentials("no-such-secret", env) is None


@pytest.mark.parametrize(
    ("inbox_summary", "told"),
    [
        ({"status": "needs_attention", "counts": {"rejected_duplicate": 1}}, True),
        ({"status": "error", "counts": {}}, True),
        ({"status": "needs_attention", "counts": {"run_failed": 1, "rejected_unreadable": 1}}, False),
        ({"status": "completed", "counts": {"processed": 2}}, False),
    ],
)
def test_an_inbox_run_tells_operators_only_what_its_export_runs_did_not(
    tmp_path: Path, inbox_summary: dict[str, object], told: bool
) -> None:
    artifacts = tmp_path / "inbox-output"
    artifacts.mkdir()
    (artifacts / "inbox-summary.json").write_text(json.dumps(inbox_summary), encoding="utf-8")
    record = {"task": "process_inbox", "started_at": "2026-12-01T02:00:05+00:00", "exit_status": 1}
    with local_smtp_server() as (port, server):
        after_run("process_inbox", record, artifacts, env_for(tmp_path, port))
    assert len(server.received) == (1 if told else 0)
    if told:
        written = json.loads((artifacts / "inbox-summary.json").read_text(encoding="utf-8"))
        assert written["notifications"]["this_run"]["sent"] == 1


def test_without_a_fallback_the_operators_get_one_message_for_a_stopped_run(tmp_path: Path) -> None:
    _, items = planned(tmp_path)
    run_dir = tmp_path / "runs" / "run-1"
    record = write_run(run_dir, {"run_id": "R1", "mode": "real", "status": "stopped"}, 1)
    env = env_for(tmp_path, closed_port()) | {"NOTIFY_CASEWORKER_ADDRESS": "{handlaggare}@localhost"}
    with local_smtp_server() as (port, server):
        env["SMTP_PORT"] = str(port)
        settings = NotifySettings.from_env(env)
        queue_run_messages(run_id="R1", mode="real", artifacts_dir=run_dir, items=items, settings=settings)
        after_run("split_payouts", record, run_dir, env)

    to_operators = [r for r in server.received if sorted(r.recipients) == sorted(OPERATORS.split(","))]
    assert len(to_operators) == 1 and len(server.received) == 3  # HL01, HL02 and the operators
    text = to_operators[0].text
    assert "(stopped)" in to_operators[0].message["Subject"] and "EB-4" in text and "EB-6" in text
    states = {m["recipient_id"]: m["state"] for m in read_run_notifications(run_dir)}
    assert states == {"HL01": SENT, "HL02": SENT, "ingen-handlaggare": "merged", "operators": SENT}


def test_a_missing_sender_gets_a_default_and_a_wrong_recipient_setting_is_left_out(tmp_path: Path) -> None:
    env = env_for(tmp_path, 25) | {
        "NOTIFY_FROM": "",
        "NOTIFY_CASEWORKER_ADDRESS": "handlaggare@kommun.example",  # no {handlaggare}
        "NOTIFY_OPERATORS": "drift@kommun.example, inte en adress",
    }
    settings = NotifySettings.from_env(env)
    assert settings.enabled and settings.sender.startswith("utbetalningsroboten@")
    assert settings.case_worker_template == "" and settings.operators == ("drift@kommun.example",)
    assert "NOTIFY_CASEWORKER_ADDRESS" in settings.warning and "NOTIFY_OPERATORS" in settings.warning


def test_protected_decisions_go_to_the_fallback_when_the_export_is_not_the_one_planned(
    tmp_path: Path,
) -> None:
    export, items = planned(tmp_path)
    settings = settings_for(tmp_path, closed_port())
    queued = queue_run_messages(
        run_id="R1",
        mode="real",
        artifacts_dir=tmp_path,
        items=items,
        export=(export, "0" * 64),
        settings=settings,
    )
    fallback = next(m for m in queued if m.recipient_id == "ingen-handlaggare")
    assert "1 beslut med skyddade personuppgifter" in fallback.body
    assert "skyddade" not in next(m for m in queued if m.recipient_id == "HL02").body
