"""Running the work-item tasks as Control Room runs them, with the file adapter, for the tests.

Every step is the robot's own task in a subprocess (``python -m splitpayout.runner <task>``)
with ``RecordingFileAdapter`` (``tests/support/recording_adapter.py``): the file adapter,
recording each release as a JSON line. Every run gets the work-item key ``KEY`` unless a
test gives it another one (or none).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from splitpayout.adapters.reader import iter_rows
from splitpayout.adapters.sealing import SEALED_SUFFIX, Sealer, seal_file
from splitpayout.domain.models import DecisionPlan

from devdata.generate_export import generate
from tests.support.payout_server import free_port, running_payout_system
from tests.support.recording_adapter import RECORD_ENV, read_releases
from tests.support.robot_env import clean_robot_env
from webcommon.files import open_private, private_dir

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "robot", "robot-demo-password"
TODAY = dt.date.today()
ADAPTER = "tests.support.recording_adapter.RecordingFileAdapter"
DECISION_KIND = "splitpayout.decision/2"
RESULT_KIND = "splitpayout.result/2"
#: The municipality's work-item key in the tests: every task run gets it unless told otherwise.
KEY = Fernet.generate_key()


# == running the tasks ========================================================================
@dataclass
class TaskRun:
    """One finished run of a work-item task: its exit status, console and work-item files."""

    task: str
    folder: Path
    returncode: int
    console: str

    @property
    def artifacts(self) -> Path:
        return self.folder / "artifacts"

    def output_items(self) -> list[dict[str, Any]]:
        """The output work items it created, as the file adapter saved them (``payload``, ``files``)."""
        path = self.folder / "output.json"
        if not path.exists():
            return []
        items: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        return items

    def payloads(self) -> list[dict[str, Any]]:
        return [item["payload"] for item in self.output_items()]

    def releases(self) -> list[dict[str, Any]]:
        return read_releases(self.folder / "releases.jsonl")

    def summary(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads((self.artifacts / "summary.json").read_text(encoding="utf-8"))
        return document

    def explain(self) -> str:
        log = self.artifacts / "log.html"
        return f"{self.task} exited {self.returncode} (see {log}):\n{self.console[-4000:]}"


@dataclass
class RunningTask:
    task: str
    folder: Path
    process: subprocess.Popen[str]

    def finish(self, timeout: float = 300) -> TaskRun:
        try:
            console, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            console, _ = self.process.communicate()
            raise AssertionError(
                f"{self.task} did not finish within {timeout:g} s:\n{console[-4000:]}"
            ) from None
        return TaskRun(self.task, self.folder, self.process.returncode, console)


def start_task(
    task: str,
    folder: Path,
    *,
    items: list[dict[str, Any]],
    env: dict[str, str] | None = None,
    state_dir: Path | None = None,
) -> RunningTask:
    """Start ``task`` as robot.yaml does, with ``items`` as its input work items (file adapter)."""
    private_dir(folder)
    with open_private(folder / "input.json", "wb") as handle:
        handle.write(json.dumps(items).encode("utf-8"))
    process_env = clean_robot_env(RECORD_ENV)
    process_env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "libraries")]),
        RPA_WORKITEMS_ADAPTER=ADAPTER,
        RPA_INPUT_WORKITEM_PATH=str(folder / "input.json"),
        RPA_OUTPUT_WORKITEM_PATH=str(folder / "output.json"),
        RECORD_RELEASES_PATH=str(folder / "releases.jsonl"),
        STATE_DIR=str(state_dir or folder / "state"),
        ROBOT_ARTIFACTS=str(folder / "artifacts"),
        RUN_DATE=TODAY.isoformat(),
        RETRY_BACKOFF_SECONDS="0.2",
        UNKNOWN_OUTCOME_SETTLE_SECONDS="1",
        WORK_ITEM_KEYS=KEY.decode("ascii"),
    )
    process_env.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "splitpayout.runner", task],
        cwd=ROOT,
        env=process_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return RunningTask(task, folder, process)


def run_task(task: str, folder: Path, **options: Any) -> TaskRun:
    return start_task(task, folder, **options).finish()


def payout_system(url: str) -> dict[str, str]:
    return {"PAYOUT_SYSTEM_URL": url, "PAYOUT_SYSTEM_USERNAME": USER, "PAYOUT_SYSTEM_PASSWORD": PASSWORD}


def unreachable_payout_system() -> dict[str, str]:
    """A payout-system address where nothing listens, and settings that give up quickly."""
    return {
        **payout_system(f"http://127.0.0.1:{free_port()}"),
        "MAX_ATTEMPTS": "1",
        "RETRY_BACKOFF_SECONDS": "0.1",
        "MAX_CONSECUTIVE_FAILURES": "2",
        "PAYOUT_SYSTEM_TIMEOUT": "5",
    }


def with_attachment(
    export: Path, folder: Path, name: str | None = None, *, key: bytes = KEY
) -> dict[str, Any]:
    """A producer input work item carrying ``export`` sealed with ``key`` (``<name>.sealed``),
    saved beside the input file, as Control Room would hold it."""
    private_dir(folder)
    sealed = f"{name or export.name}{SEALED_SUFFIX}"
    seal_file(Sealer([key]), export, folder / sealed)
    return {"payload": {"requested_by": "test"}, "files": {sealed: sealed}}


def with_clear_attachment(export: Path, folder: Path) -> dict[str, Any]:
    """A producer input work item carrying ``export`` as it is: what Control Room must never hold."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(export, folder / export.name)
    return {"payload": {"requested_by": "test"}, "files": {export.name: export.name}}


@dataclass
class Produced:
    """An export of valid decisions and the producer's run on it."""

    export: Path
    producer: TaskRun

    @property
    def items(self) -> list[dict[str, Any]]:
        """The producer's output work items: a consumer's input."""
        return self.producer.output_items()


def produce_valid(folder: Path, name: str, *, count: int, seed: int, attached: bool) -> Produced:
    """``count`` valid decisions generated into ``folder/name`` and produced: from the input work
    item's sealed attachment (``attached``), or from DECISIONS_FILE (an input work item with no file)."""
    export = folder / name
    generate(export, count=count, seed=seed, today=TODAY, scenario_mix=False)
    if attached:
        producer = run_task(
            "produce_work_items", folder / "producer", items=[with_attachment(export, folder / "producer")]
        )
    else:
        producer = run_task(
            "produce_work_items",
            folder / "producer",
            items=[{"payload": {"requested_by": "test"}}],
            env={"DECISIONS_FILE": str(export)},
        )
    assert producer.returncode == 0, producer.explain()
    return Produced(export, producer)


def references(payments: list[dict[str, Any]]) -> list[str]:
    return sorted(p["reference"] for p in payments)


def planned_references(payloads: list[dict[str, Any]]) -> list[str]:
    return sorted(
        p["reference"]
        for item in payloads
        if item["plan"]["outcome"] == "planned"
        for p in item["plan"]["payments"]
    )


def outcomes_by_decision(results: list[dict[str, Any]]) -> dict[str, str]:
    return {item["result"]["decision_id"]: item["result"]["outcome"] for item in results}


@dataclass
class Steps:
    """An export taken through every step once, and what the payout system then holds."""

    producer: TaskRun
    consumer: TaskRun
    reporter: TaskRun
    held: list[dict[str, Any]]


def run_every_step(export: Path, folder: Path) -> Steps:
    """``export`` (attached sealed) through the producer, one consumer on a stand-in payout system
    of its own (``folder/payout.db``) and the reporter, each in a folder of ``folder``."""
    producer = run_task(
        "produce_work_items", folder / "producer", items=[with_attachment(export, folder / "producer")]
    )
    assert producer.returncode == 0, producer.explain()
    with running_payout_system(folder / "payout.db") as server:
        consumer = run_task(
            "consume_work_items",
            folder / "consumer",
            items=producer.output_items(),
            env=payout_system(server.url),
        )
        held = server.api_payments()
    reporter = run_task("report_work_items", folder / "reporter", items=consumer.output_items())
    return Steps(producer, consumer, reporter, held)


# == personal data, and where it must not be ====================================================
SENSITIVE_COLUMNS = ("namn", "personnummer", "clearingnummer", "kontonummer", "bankgiro", "OCR")


@dataclass
class PersonalData:
    """An export's personal values in every way they can be written: ``texts`` are looked for as
    they are, ``numbers`` as whole runs of digits (or inside longer ones, when 10 digits or more)."""

    texts: set[str]
    numbers: set[str]

    def __len__(self) -> int:
        return len(self.texts) + len(self.numbers)

    def found_in(self, text: str) -> list[str]:
        """The values ``text`` holds in clear, JSON escapes (``\\u00f6``) decoded too."""
        variants = [text]
        for part in [text, *text.splitlines()]:  # a JSON document, or JSON lines
            try:
                variants.append(json.dumps(json.loads(part), ensure_ascii=False))
            except ValueError:
                continue
        runs = {run for variant in variants for run in re.findall(r"\d+", variant)}
        found = {value for value in self.texts for variant in variants if value in variant}
        found |= {value for value in self.numbers if value in runs}
        found |= {value for value in self.numbers if len(value) >= 10 and any(value in run for run in runs)}
        return sorted(found)


def identity_formats(twelve: str) -> set[str]:
    """A 12-digit identity number as people write it: 10 or 12 digits, with ``-``, ``+`` or a space."""
    short, long_ = (twelve[2:8], twelve[8:]), (twelve[:8], twelve[8:])
    return {twelve, twelve[2:]} | {f"{a}{sep}{b}" for a, b in (short, long_) for sep in ("-", "+", " ")}


def account_formats(clearing: str | None, account: str | None) -> set[str]:
    """An account alone and joined to its clearing number, with or without a separator."""
    if not account:
        return set()
    if not clearing:
        return {account}
    return {account, clearing + account} | {f"{clearing}{sep}{account}" for sep in ("-", " ", ", ")}


def personal_data(export: Path, plans: list[DecisionPlan]) -> PersonalData:
    """Names, identity numbers, accounts, bankgiro and OCR numbers of ``export``: from the
    planner's plans (normalised) and the export's cells as written."""
    texts: set[str] = set()
    numbers: set[str] = set()
    for plan in plans:
        contact = plan.contact
        texts.update(name for name in (contact.applicant1_name, contact.applicant2_name) if name)
        for twelve in (contact.applicant1_personnummer, contact.applicant2_personnummer):
            if len(twelve) == 12:
                texts.update(identity_formats(twelve))
        for payment in plan.payments:
            texts.add(payment.name)
            texts.update(identity_formats(payment.personnummer))
            numbers.update(account_formats(payment.clearing, payment.account))
            numbers.update(value for value in (payment.bankgiro, payment.ocr) if value)
    for _, row in iter_rows(export):
        for column, value in row.items():
            if value is not None and any(word in column for word in SENSITIVE_COLUMNS):
                written = str(value).strip()
                (numbers if written.isdigit() else texts).add(written)
    texts = {text for text in texts if len(text) >= 6}
    numbers = {number for number in numbers if len(number) >= 6}
    return PersonalData(texts, numbers - texts)


def work_item_files(*folders: Path) -> list[Path]:
    """Every work-item file of the task folders (their inputs, outputs, releases and attachments),
    not their artifacts and state folders."""
    return sorted(
        path
        for folder in folders
        for path in folder.rglob("*")
        if path.is_file() and not {"artifacts", "state"} & set(path.relative_to(folder).parts)
    )


def readable_by_others(paths: list[Path]) -> list[str]:
    return [f"{path} ({path.stat().st_mode & 0o777:04o})" for path in paths if path.stat().st_mode & 0o077]
