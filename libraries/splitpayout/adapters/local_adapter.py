"""A file adapter for long local runs: output work items appended as JSON lines.

RPA.Robocorp.WorkItems' ``FileAdapter`` rewrites its whole output file every time an output
item is saved, so a worker that saves thousands of items serialises the growing list
thousands of times: quadratic work that, on a busy machine, slows the run down as it goes.
``AppendingFileAdapter`` reads its inputs like the file adapter and appends each new output
item to ``RPA_OUTPUT_WORKITEM_PATH`` as one JSON line, once. The parallel workers of
``Split payouts`` (``parallel.py``) use it; an output item changed after it was saved would not
be written again, and the robot never does that.
"""

from __future__ import annotations

import json
from typing import Any

from RPA.Robocorp.WorkItems import FileAdapter

from webcommon.files import open_private

NAME = "splitpayout.adapters.local_adapter.AppendingFileAdapter"


class AppendingFileAdapter(FileAdapter):  # type: ignore[misc]  # the library has no type hints
    """``FileAdapter`` with outputs appended as JSON lines (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._written = 0

    def _save_to_disk(self, source: str) -> None:
        if source != "output":
            super()._save_to_disk(source)
            return
        with open_private(self.output_path, "ab") as handle:  # work items: owner-only
            for item in self.outputs[self._written :]:
                handle.write((json.dumps(item, ensure_ascii=False) + "\n").encode("utf-8"))
        self._written = len(self.outputs)


def read_output_lines(text: str) -> list[dict[str, Any]]:
    """The output items of an appending adapter's file; a line still being written is skipped."""
    items: list[dict[str, Any]] = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            items.append(item)
    return items
