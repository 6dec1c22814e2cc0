"""The appending file adapter of the parallel workers, with RPA.Robocorp.WorkItems itself."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from splitpayout.adapters.local_adapter import NAME, read_output_lines
from splitpayout.adapters.workitems import Release, WorkItemQueue, file_adapter_env


def test_outputs_are_appended_once_each_and_inputs_read_like_the_file_adapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from RPA.Robocorp.WorkItems import WorkItems

    source = tmp_path / "input.json"
    source.write_text(json.dumps([{"payload": {"n": n}} for n in range(3)]), encoding="utf-8")
    output = tmp_path / "output.jsonl"
    for name, value in file_adapter_env(source, output, adapter=NAME).items():
        monkeypatch.setenv(name, value)
    queue = WorkItemQueue(WorkItems(autoload=False))
    seen = []
    for payload in queue.inputs():
        seen.append(payload["n"])
        queue.create_output({"double": payload["n"] * 2})
        assert len(output.read_text(encoding="utf-8").splitlines()) == len(seen)  # written at once
        queue.release(Release("DONE"))
    assert seen == [0, 1, 2]
    items = read_output_lines(output.read_text(encoding="utf-8"))
    assert [item["payload"] for item in items] == [{"double": 0}, {"double": 2}, {"double": 4}]


def test_the_output_file_is_its_owners_only_whatever_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from RPA.Robocorp.WorkItems import WorkItems

    source = tmp_path / "input.json"
    source.write_text(json.dumps([{"payload": {"n": 1}}]), encoding="utf-8")
    output = tmp_path / "output.jsonl"
    for name, value in file_adapter_env(source, output, adapter=NAME).items():
        monkeypatch.setenv(name, value)
    previous = os.umask(0o022)
    try:
        queue = WorkItemQueue(WorkItems(autoload=False))
        assert queue.next_input() == {"n": 1}
        queue.create_output({"n": 2})
    finally:
        os.umask(previous)
    assert output.stat().st_mode & 0o777 == 0o600


def test_a_line_still_being_written_is_not_read() -> None:
    text = json.dumps({"payload": {"a": 1}}) + "\n" + '{"payload": {"b"'
    assert read_output_lines(text) == [{"payload": {"a": 1}}]
