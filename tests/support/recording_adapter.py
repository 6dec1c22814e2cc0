"""RPA.Robocorp.WorkItems' file adapter, recording how each input work item is released.

The file adapter's ``release_input`` does nothing (it only logs), so a local run cannot show
whether an item ended done or failed, nor with which type, code and message. This adapter
does what the file adapter does and also appends one JSON line per release to the file named
by ``RECORD_RELEASES_PATH``::

    {"item": "3", "state": "FAILED", "exception": {"type": "BUSINESS", "code": "...", "message": "..."}}

``item`` is the file adapter's id of the input (its index in the input file), ``state`` is
``DONE`` or ``FAILED`` (the ``State`` member's name; Control Room's value for ``DONE`` is
``COMPLETED``) and ``exception`` is what the library passes for a failed item (``None`` for
a done one). Point the robot at it with::

    RPA_WORKITEMS_ADAPTER=tests.support.recording_adapter.RecordingFileAdapter
    RPA_INPUT_WORKITEM_PATH=... RPA_OUTPUT_WORKITEM_PATH=... RECORD_RELEASES_PATH=...

The robot's runner puts the repository root on Robot Framework's module search path, and
tasks run from the repository root, so ``tests.support`` is importable there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from RPA.Robocorp.WorkItems import FileAdapter, State

RECORD_ENV = "RECORD_RELEASES_PATH"


class RecordingFileAdapter(FileAdapter):  # type: ignore[misc]  # rpaframework ships no type hints
    """``FileAdapter`` whose ``release_input`` also records the release (see the module docstring)."""

    def release_input(self, item_id: str, state: State, exception: dict[str, Any] | None = None) -> None:
        super().release_input(item_id, state, exception=exception)
        target = os.environ.get(RECORD_ENV)
        if not target:
            return
        record = {
            "item": item_id,
            "state": state.name if isinstance(state, State) else str(state),
            "exception": dict(exception) if exception else None,
        }
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_releases(path: Path) -> list[dict[str, Any]]:
    """The releases recorded in ``path``, in order (an empty list when nothing was released)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
