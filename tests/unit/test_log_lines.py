"""No control character from any source reaches a log line: the log writers clean every message
(``narration.log_line`` for the jobs and ``robotglue.robot_log`` for Robot Framework's log, the
structured ``run.jsonl`` by its processor), so a reference holding CR/LF cannot forge a line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import robot
from hypothesis import given
from hypothesis import strategies as st
from robot.api import ExecutionResult
from splitpayout.adapters.narration import Lines, NarratedJob, log_line
from splitpayout.adapters.runlog import RunLog

LIBRARIES = Path(__file__).resolve().parents[2] / "libraries"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
HOSTILE = st.text(
    alphabet=st.one_of(
        st.sampled_from(["\r", "\n", "\x00", "\x1b", "\u2028", "\x85", "\t"]), st.characters()
    ),
    max_size=60,
)


@given(HOSTILE)
def test_a_message_reaches_the_log_without_control_characters(text: str) -> None:
    assert not CONTROL.search(log_line(f"Reference {text} is held"))


@given(st.lists(HOSTILE, min_size=1, max_size=5))
def test_only_the_robots_own_line_breaks_stay(parts: list[str]) -> None:
    written = log_line(Lines(parts))
    assert written.count("\n") == len(parts) - 1
    assert not any(CONTROL.search(line) for line in written.split("\n"))


@given(HOSTILE)
def test_a_jobs_say_and_announce_clean_what_they_write(text: str) -> None:
    said: list[str] = []
    job = NarratedJob(say=said.append)
    job.say(text)
    job.announce(text)
    assert len(said) == 2 and not any(CONTROL.search(line) for line in said)


def test_the_run_log_writes_one_clean_line_per_event(tmp_path: Path) -> None:
    log = RunLog(tmp_path / "run.jsonl", "run-1")
    log.event("payment_held", reference='B-1/1\r\n{"event": "forged"}\x00', detail=["a\nb"])
    log.close()
    lines = (tmp_path / "run.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert not CONTROL.search(record["reference"]) and not CONTROL.search(record["detail"][0])


def test_robot_frameworks_log_gets_no_control_character(tmp_path: Path) -> None:
    (tmp_path / "Hostile.py").write_text(
        "from robotglue import robot_log\n"
        "def log_a_reference_from_the_payout_system():\n"
        "    robot_log.info('Held: B-1/1\\r\\n20261206 12:00:00.000 INFO forged line\\x00')\n",
        encoding="utf-8",
    )
    (tmp_path / "hostile.robot").write_text(
        "*** Settings ***\nLibrary    Hostile.py\n\n*** Test Cases ***\nLog It\n"
        "    Log A Reference From The Payout System\n",
        encoding="utf-8",
    )
    status = robot.run(
        str(tmp_path / "hostile.robot"),
        outputdir=str(tmp_path),
        log="NONE",
        report="NONE",
        pythonpath=[str(tmp_path), str(LIBRARIES)],
        stdout=open(tmp_path / "stdout.txt", "w"),  # noqa: SIM115 - closed with the process
    )
    assert status == 0
    (keyword,) = ExecutionResult(str(tmp_path / "output.xml")).suite.tests[0].body
    held = [message.message for message in keyword.body if message.message.startswith("Held:")]
    assert held and not any(CONTROL.search(text) for text in held)


def test_no_library_writes_to_robot_frameworks_log_but_through_the_cleaning_writer() -> None:
    direct = [
        path.relative_to(LIBRARIES).as_posix()
        for path in LIBRARIES.rglob("*.py")
        if re.search(
            r"from robot\.api import logger|robot\.api\.logger|from robot\.api\.logger", path.read_text()
        )
    ]
    assert direct == ["robotglue/robot_log.py"]
