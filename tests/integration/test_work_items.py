"""Work items (Control Room's producer-consumer process) run for real, as Control Room runs them.

Every step is the robot's own task in a subprocess (``python -m splitpayout.runner <task>``)
with RPA.Robocorp.WorkItems' file adapter: a JSON file of input work items (the producer's
with the export attached as a file) and a JSON file of the output work items it creates.
The file adapter's release does nothing, so the tests use ``RecordingFileAdapter``
(``tests/support/recording_adapter.py``): the file adapter, recording each release (state,
exception type, code and message) as a JSON line.

The consumers register for real, in headless Chromium, in the stand-in payout system run as
a server; what it then holds is read from its JSON API.

One scenario export (every reason for manual handling) is produced, consumed and reported
once for the module (``chain``); one small export of valid decisions is produced once
(``small_batch``) for the tests of exactly-once registration across consumers that share no
local state, each on a stand-in of its own.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from splitpayout.domain.models import DecisionPlan, Outcome
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.jobs.export_plan import plan_export

from devdata.generate_export import generate
from tests.support.payout_server import running_payout_system
from tests.support.robot_logs import readable_text
from tests.support.work_items import (
    DECISION_KIND,
    RESULT_KIND,
    ROOT,
    TODAY,
    PersonalData,
    Produced,
    TaskRun,
    outcomes_by_decision,
    payout_system,
    personal_data,
    planned_references,
    produce_valid,
    readable_by_others,
    references,
    run_every_step,
    run_task,
    start_task,
    unreachable_payout_system,
    with_attachment,
    work_item_files,
)

# One worker runs this module's tests: its module-scoped fixtures are built once.
pytestmark = pytest.mark.xdist_group("test_work_items")

FIXTURES = ROOT / "tests" / "fixtures"


# == the module's scenario export, produced, consumed and reported once ======================
@dataclass
class Chain:
    export: Path
    scenarios: dict[str, list[str]]
    plans: list[DecisionPlan]  # what the planner makes of the export, for comparison
    producer: TaskRun
    consumer: TaskRun
    reporter: TaskRun
    held: list[dict[str, Any]]  # what the payout system holds after the consumer
    personal: PersonalData  # the export's personal values, in every format

    @property
    def items(self) -> list[dict[str, Any]]:
        """The producer's output work items: the consumer's input."""
        return self.producer.output_items()

    @property
    def decisions(self) -> list[dict[str, Any]]:
        return self.producer.payloads()


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    folder = tmp_path_factory.mktemp("chain")
    export = folder / "beslut-november.xlsx"
    scenarios = generate(export, count=42, seed=20261123, today=TODAY, scenario_mix=True)
    plans = list(plan_export(export, PlanningRules(TODAY)))
    steps = run_every_step(export, folder)
    return Chain(
        export,
        scenarios,
        plans,
        steps.producer,
        steps.consumer,
        steps.reporter,
        steps.held,
        personal_data(export, plans),
    )


@pytest.mark.browser
@pytest.mark.slow
def test_the_producer_creates_one_decision_work_item_per_decision_of_the_attached_export(
    chain: Chain,
) -> None:
    decisions = chain.decisions

    assert [item["kind"] for item in decisions] == [DECISION_KIND] * len(chain.plans)
    assert [item["position"] for item in decisions] == list(range(1, len(chain.plans) + 1))
    assert [item["plan"]["decision_id"] for item in decisions] == [plan.decision_id for plan in chain.plans]
    assert [item["plan"]["outcome"] for item in decisions] == [plan.outcome.value for plan in chain.plans]
    [batch] = {json.dumps(item["batch"], sort_keys=True) for item in decisions}
    batch_data = json.loads(batch)
    assert batch_data["source_name"] == chain.export.name
    assert batch_data["decisions"] == len(chain.plans) == 42
    assert all(item["files"] == {} for item in chain.items), "the export stays with the producer"
    assert chain.producer.releases() == [{"item": "0", "state": "DONE", "exception": None}]
    assert "Created 42 work items" in chain.producer.console


@pytest.mark.browser
@pytest.mark.slow
def test_consumer_and_reporter_register_every_planned_payment_once_and_report_every_decision(
    chain: Chain,
) -> None:
    assert chain.consumer.returncode == 0, chain.consumer.explain()
    assert chain.reporter.returncode == 0, chain.reporter.explain()
    planned = [plan for plan in chain.plans if plan.outcome is Outcome.PLANNED]
    manual = [plan for plan in chain.plans if plan.outcome is Outcome.MANUAL]
    assert planned and manual

    # The payout system holds each planned payment exactly once, as planned.
    expected = {p.reference: p for plan in planned for p in plan.payments}
    held = references(chain.held)
    assert held == sorted(expected), "every planned reference, each once, and nothing else"
    for payment in chain.held:
        plan = expected[payment["reference"]]
        assert (payment["amount_ore"], payment["payout_date"], payment["personnummer"]) == (
            plan.amount_ore,
            plan.payout_date.isoformat(),
            plan.personnummer,
        ), payment["reference"]

    # One result work item per decision, in the consumer's output.
    results = chain.consumer.payloads()
    assert [item["kind"] for item in results] == [RESULT_KIND] * len(chain.plans)
    assert sorted(item["position"] for item in results) == list(range(1, len(chain.plans) + 1))

    # The reporter: summary.json of the whole export.
    summary = chain.reporter.summary()
    assert summary["status"] == "completed"
    assert summary["source"]["file_name"] == chain.export.name
    totals = summary["totals"]
    assert totals["decisions"] == len(chain.plans)
    assert totals["outcomes"] == {
        "paid": len(planned),
        "already_paid": 0,
        "manual": len(manual),
        "failed": 0,
        "planned": 0,
    }
    assert totals["payments"]["registered"] == len(expected)
    assert [d["decision_id"] for d in summary["decisions"]] == [plan.decision_id for plan in chain.plans]
    numbers = {p["reference"]: p["payment_number"] for d in summary["decisions"] for p in d["payments"]}
    assert {p["reference"]: p["payment_number"] for p in chain.held} == {
        reference: numbers[reference] for reference in expected
    }

    # The follow-up's statistics, kept by the reporter through the same hook as a single run.
    statistics = json.loads((chain.reporter.artifacts / "statistics.json").read_text(encoding="utf-8"))
    days = statistics["by_payout_date"]
    assert sum(day["households"]["paid"] for day in days) == len(planned)
    assert sum(day["payments_registered"] for day in days) == len(expected)

    # The case workers' workbook names every decision that needs a human.
    workbook = chain.reporter.artifacts / "manuell-hantering.xlsx"
    assert workbook.is_file()
    book = load_workbook(workbook, read_only=True)
    text = "\n".join(
        " ".join("" if cell is None else str(cell) for cell in row)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    )
    book.close()
    for plan in manual:
        assert plan.decision_id in text
    assert chain.reporter.releases() == [
        {"item": str(index), "state": "DONE", "exception": None} for index in range(len(chain.plans))
    ]


@pytest.mark.browser
@pytest.mark.slow
def test_each_decision_work_item_is_released_done_or_failed_with_its_reason(chain: Chain) -> None:
    releases = chain.consumer.releases()
    decisions = chain.decisions
    assert [release["item"] for release in releases] == [str(i) for i in range(len(decisions))], (
        "every input released once, in order"
    )
    codes: Counter[str] = Counter()
    for release, item in zip(releases, decisions, strict=True):
        plan = item["plan"]
        if plan["outcome"] == "planned":
            assert (release["state"], release["exception"]) == ("DONE", None), plan["decision_id"]
        else:
            exception = release["exception"]
            assert release["state"] == "FAILED", plan["decision_id"]
            assert exception["type"] == "BUSINESS"
            assert exception["code"] == plan["reasons"][0]["code"]
            assert plan["decision_id"] in exception["message"]
            codes[exception["code"]] += 1
    for reason in ("invalid_account", "protected_identity", "duplicate_decision"):
        assert codes[reason] >= 1, f"the scenario export has a {reason} decision: {codes}"
    assert codes["duplicate_decision"] == len(chain.scenarios["duplicate_decision"]) == 2


@pytest.mark.browser
@pytest.mark.slow
def test_work_items_and_logs_hold_no_personal_data(chain: Chain) -> None:
    secrets = chain.personal
    assert len(secrets) > 100
    texts: dict[str, str] = {}
    for run in (chain.producer, chain.consumer, chain.reporter):
        for name in ("log.html", "output.xml", "run.jsonl"):
            texts[f"{run.task}/{name}"] = readable_text(run.artifacts / name)
        texts[f"{run.task}/console"] = run.console
        texts[f"{run.task}/releases"] = json.dumps(run.releases(), ensure_ascii=False)
    texts["report_work_items/summary.json"] = readable_text(chain.reporter.artifacts / "summary.json")
    files = work_item_files(*(run.folder for run in (chain.producer, chain.consumer, chain.reporter)))
    assert len(files) >= 6, files  # each step's input and output, the sealed export
    for path in files:
        texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    for name, text in texts.items():
        leaked = secrets.found_in(text)
        assert leaked == [], f"{name} holds personal data of the export ({len(leaked)} values)"
    assert readable_by_others(files) == []


# -- consumers: what is not a decision, and a payout system that is down ----------------------
@pytest.mark.browser
@pytest.mark.slow
def test_a_work_item_that_is_not_a_decision_fails_as_business_and_the_rest_goes_on(
    chain: Chain, tmp_path: Path
) -> None:
    manual = next(item for item in chain.items if item["payload"]["plan"]["outcome"] == "manual")
    consumer = run_task(
        "consume_work_items",
        tmp_path / "consumer",
        items=[{"payload": {"hello": 1}}, manual],
        env=unreachable_payout_system(),
    )

    assert consumer.returncode != 0, "a work item the robot cannot use needs attention"
    assert "not decisions of this robot" in consumer.console
    first, second = consumer.releases()
    assert first["item"] == "0"
    assert first["state"] == "FAILED"
    assert (first["exception"]["type"], first["exception"]["code"]) == ("BUSINESS", "invalid_work_item")
    reason = manual["payload"]["plan"]["reasons"][0]["code"]
    assert (second["state"], second["exception"]["type"], second["exception"]["code"]) == (
        "FAILED",
        "BUSINESS",
        reason,
    )
    [result] = consumer.payloads()
    assert result["result"]["decision_id"] == manual["payload"]["plan"]["decision_id"]


@pytest.mark.browser
@pytest.mark.slow
def test_with_the_payout_system_unreachable_planned_decisions_fail_as_application(
    chain: Chain, tmp_path: Path
) -> None:
    consumer = run_task(
        "consume_work_items", tmp_path / "consumer", items=chain.items, env=unreachable_payout_system()
    )

    assert consumer.returncode != 0, consumer.explain()
    assert "STOPPED" in consumer.console
    releases = consumer.releases()
    assert len(releases) == len(chain.items)
    secrets = chain.personal
    for release, item in zip(releases, chain.decisions, strict=True):
        plan = item["plan"]
        exception = release["exception"]
        assert release["state"] == "FAILED", plan["decision_id"]
        if plan["outcome"] == "planned":
            assert exception["type"] == "APPLICATION", plan["decision_id"]
            assert exception["code"] in ("payout_system_unavailable", "technical_failure")
        else:
            assert (exception["type"], exception["code"]) == ("BUSINESS", plan["reasons"][0]["code"])
        assert plan["decision_id"] in exception["message"]
        assert secrets.found_in(json.dumps(exception, ensure_ascii=False)) == []
    results = {item["position"]: item["result"] for item in consumer.payloads()}
    for item in chain.decisions:
        if item["plan"]["outcome"] == "planned":
            result = results[item["position"]]
            assert result["outcome"] == "failed"
            assert {p["status"] for p in result["payments"]} == {"failed"}


# -- exactly once across consumers that share no local state -------------------------------------
@pytest.fixture(scope="module")
def small_batch(tmp_path_factory: pytest.TempPathFactory) -> Produced:
    """Ten valid decisions, produced from DECISIONS_FILE (an input work item with no file)."""
    return produce_valid(
        tmp_path_factory.mktemp("small-batch"), "beslut-valid.xlsx", count=10, seed=4711, attached=False
    )


def test_without_an_attached_export_the_producer_takes_decisions_file(small_batch: Produced) -> None:
    decisions = small_batch.producer.payloads()
    assert [item["position"] for item in decisions] == list(range(1, 11))
    assert {item["batch"]["source_name"] for item in decisions} == {small_batch.export.name}
    assert {item["plan"]["outcome"] for item in decisions} == {"planned"}
    assert small_batch.producer.releases() == [{"item": "0", "state": "DONE", "exception": None}]


@pytest.mark.browser
@pytest.mark.slow
def test_a_consumer_without_state_that_is_given_every_item_again_enters_nothing_twice(
    small_batch: Produced, tmp_path: Path
) -> None:
    items = small_batch.items
    half = len(items) // 2
    first_half = {item["payload"]["plan"]["decision_id"] for item in items[:half]}
    with running_payout_system(tmp_path / "payout.db") as server:
        a = run_task("consume_work_items", tmp_path / "a", items=items[:half], env=payout_system(server.url))
        after_a = server.api_payments()
        # B: another machine (an empty STATE_DIR of its own), given every item again, as Control
        # Room redelivers after a crash or a retry.
        b = run_task("consume_work_items", tmp_path / "b", items=items, env=payout_system(server.url))
        held = server.api_payments()

    assert a.returncode == 0, a.explain()
    assert b.returncode == 0, b.explain()
    assert references(after_a) == planned_references([item["payload"] for item in items[:half]])
    assert set(outcomes_by_decision(a.payloads()).values()) == {"paid"}
    b_outcomes = outcomes_by_decision(b.payloads())
    assert b_outcomes == {
        item["payload"]["plan"]["decision_id"]: "already_paid"
        if item["payload"]["plan"]["decision_id"] in first_half
        else "paid"
        for item in items
    }
    assert {release["state"] for release in b.releases()} == {"DONE"}
    assert len(b.releases()) == len(items)
    # B found A's payments, with A's payment numbers, and entered only the rest.
    numbers_a = {p["reference"]: p["payment_number"] for p in after_a}
    numbers_b = {
        p["reference"]: (p["status"], p["payment_number"])
        for item in b.payloads()
        for p in item["result"]["payments"]
    }
    for reference, number in numbers_a.items():
        assert numbers_b[reference] == ("already_registered", number)
    assert references(held) == planned_references([item["payload"] for item in items])
    assert len(set(references(held))) == len(held), "each reference exactly once"


@pytest.mark.browser
@pytest.mark.slow
def test_two_consumers_at_once_on_disjoint_halves_enter_each_payment_once(
    small_batch: Produced, tmp_path: Path
) -> None:
    items = small_batch.items
    half = len(items) // 2
    with running_payout_system(tmp_path / "payout.db") as server:
        started = [
            start_task(
                "consume_work_items", tmp_path / "a", items=items[:half], env=payout_system(server.url)
            ),
            start_task(
                "consume_work_items", tmp_path / "b", items=items[half:], env=payout_system(server.url)
            ),
        ]
        runs = [task.finish() for task in started]
        held = server.api_payments()

    for run in runs:
        assert run.returncode == 0, run.explain()
        assert {release["state"] for release in run.releases()} == {"DONE"}
        assert set(outcomes_by_decision(run.payloads()).values()) == {"paid"}
    assert references(held) == planned_references([item["payload"] for item in items])
    assert len(set(references(held))) == len(held), "each reference exactly once"


# -- the reporter --------------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.slow
def test_the_reporter_with_part_of_the_results_fails_and_reports_incomplete(
    chain: Chain, tmp_path: Path
) -> None:
    part = chain.consumer.output_items()[:10]
    reporter = run_task("report_work_items", tmp_path / "reporter", items=part)

    assert reporter.returncode != 0
    assert f"{len(chain.plans) - 10} decisions of the export have no result" in reporter.console
    summary = reporter.summary()
    assert summary["status"] == "incomplete"
    assert summary["missing_decisions"] == len(chain.plans) - 10
    assert len(summary["decisions"]) == 10


@pytest.mark.browser
@pytest.mark.slow
def test_the_reporter_refuses_results_of_two_producer_runs(chain: Chain, tmp_path: Path) -> None:
    # The same export produced a second time is another batch; a few of its decisions consumed.
    producer = run_task(
        "produce_work_items",
        tmp_path / "producer",
        items=[with_attachment(chain.export, tmp_path / "producer")],
    )
    assert producer.returncode == 0, producer.explain()
    manual = [item for item in producer.output_items() if item["payload"]["plan"]["outcome"] == "manual"][:2]
    consumer = run_task(
        "consume_work_items", tmp_path / "consumer", items=manual, env=unreachable_payout_system()
    )
    assert consumer.returncode == 0, consumer.explain()
    first_batch = chain.decisions[0]["batch"]["batch_id"]
    second_batch = producer.payloads()[0]["batch"]["batch_id"]
    assert first_batch != second_batch

    reporter = run_task(
        "report_work_items",
        tmp_path / "reporter",
        items=chain.consumer.output_items() + consumer.output_items(),
    )

    assert reporter.returncode != 0
    assert "more than one export" in reporter.console
    assert first_batch in reporter.console
    assert second_batch in reporter.console
    # No summary that an operator could take for a report of either export.
    assert not (reporter.artifacts / "summary.json").exists()


# -- the producer ----------------------------------------------------------------------------------
def test_a_producer_input_without_an_export_fails_as_business_no_export(tmp_path: Path) -> None:
    folder = tmp_path / "producer"
    folder.mkdir()
    (folder / "anteckningar.txt").write_text("inget här", encoding="utf-8")
    producer = run_task(
        "produce_work_items",
        folder,
        items=[{"payload": {"requested_by": "test"}, "files": {"anteckningar.txt": "anteckningar.txt"}}],
    )

    assert producer.returncode != 0
    assert "carries no sealed .xlsx export" in producer.console
    assert "anteckningar.txt" in producer.console
    [release] = producer.releases()
    assert release["state"] == "FAILED"
    assert (release["exception"]["type"], release["exception"]["code"]) == ("BUSINESS", "no_export")
    assert producer.output_items() == []


@pytest.mark.parametrize("fixture", ["truncated.xlsx", "csv-renamed.xlsx"])
def test_a_producer_given_a_corrupt_export_fails_as_business_and_produces_nothing(
    fixture: str, tmp_path: Path
) -> None:
    folder = tmp_path / "producer"
    producer = run_task(
        "produce_work_items", folder, items=[with_attachment(FIXTURES / fixture, folder, name="beslut.xlsx")]
    )

    assert producer.returncode != 0
    assert "cannot be processed" in producer.console
    [release] = producer.releases()
    assert release["state"] == "FAILED"
    assert release["exception"]["type"] == "BUSINESS"
    assert release["exception"]["code"] == "export_not_xlsx"
    assert "beslut.xlsx" in release["exception"]["message"]
    assert producer.output_items() == []
