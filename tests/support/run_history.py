"""Every run folder under a runs folder, read back as the console reads each one."""

from __future__ import annotations

from pathlib import Path

from splitpayout.adapters.runs import RunRecord, read_run


def list_runs(runs_dir: Path) -> list[RunRecord]:
    """Every run under ``runs_dir``, newest first."""
    if not runs_dir.is_dir():
        return []
    records = (read_run(path) for path in sorted(runs_dir.iterdir(), reverse=True) if path.is_dir())
    return [record for record in records if record is not None]
