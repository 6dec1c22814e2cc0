"""Processor time of process trees, for the benchmarks (Linux ``/proc``).

``CpuMeter(roots)`` samples, a few times a second while it runs, the user and system time of
every process descended from ``roots`` (pids), and keeps the last figure of each. A process
that was once seen stays counted when it is orphaned or exits, so a worker's browser is
counted whether or not it outlives its worker. What a process spends after its last sample
is lost (at most one interval, per process that exits before the end); long-lived processes,
such as browsers, are sampled once more when the meter stops.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system seconds) of ``pid``, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


class CpuMeter:
    """The processor seconds of the process trees under ``roots`` while the meter runs."""

    def __init__(self, *roots: int, interval: float = 0.5) -> None:
        self._roots = set(roots)
        self._interval = interval
        self._seen: dict[int, float] = {}  # every process of the trees ever seen: its last figure
        self._start: dict[int, float] = {}  # its figure when the meter started (0 if started later)
        self._baseline = True  # the first look: what the trees spent before does not count
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-meter", daemon=True)
        self._lock = threading.Lock()

    def add(self, pid: int) -> None:
        """Count ``pid`` and its descendants too (a process started after the meter)."""
        with self._lock:
            self._roots.add(pid)

    def sample(self) -> None:
        """Look at every process once: find the trees' new members and update their figures."""
        table: dict[int, tuple[int, float]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                found = _stat(int(entry.name))
                if found is not None:
                    table[int(entry.name)] = found
        with self._lock:
            members = (self._roots | self._seen.keys()) & table.keys()
            frontier = list(members)
            children: dict[int, list[int]] = {}
            for pid, (parent, _) in table.items():
                children.setdefault(parent, []).append(pid)
            while frontier:
                for child in children.get(frontier.pop(), []):
                    if child not in members:
                        members.add(child)
                        frontier.append(child)
            for pid in members:
                seconds = table[pid][1]
                # A process that was there before the meter counts from the meter's start.
                self._start.setdefault(pid, seconds if self._baseline else 0.0)
                self._seen[pid] = seconds
            self._baseline = False

    @property
    def seconds(self) -> float:
        """Processor seconds counted so far."""
        with self._lock:
            return sum(seconds - self._start[pid] for pid, seconds in self._seen.items())

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def __enter__(self) -> CpuMeter:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
