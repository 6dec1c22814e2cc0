"""The run's decision results, on disk instead of in memory: memory stays flat however long the export.

A small SQLite file in a private temporary folder, one row per decision keyed by its
position in the export (1-based). Results hold no personal data (``DecisionResult`` has
none), so nothing here needs protecting beyond the folder being the run's own. A result
put again for the same position replaces the earlier one (a second pass, say). A temporary
folder that cannot be written (full, read-only) costs the run nothing but memory: from its
first failure (kept in ``failure``, a ``StorageError`` naming ``TMPDIR``) results are kept in
memory, so the run and its reports go on.
"""

from __future__ import annotations

import heapq
import sqlite3
import tempfile
from array import array
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from splitpayout.adapters.storage import translated
from splitpayout.domain.errors import StorageError, StorageFolder
from splitpayout.domain.models import DecisionResult, Outcome

_OUTCOMES = tuple(Outcome)


class ResultStore:
    """Decision results by position, in a temporary SQLite file removed by ``close``."""

    def __init__(self, folder: Path | None = None) -> None:
        self._path = Path(folder or tempfile.gettempdir())
        self.failure: StorageError | None = None
        # Results kept in memory once the temporary folder failed (its first failure in ``failure``).
        self._in_memory: dict[int, str] = {}
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._conn: sqlite3.Connection | None = None
        try:
            with translated(StorageFolder.TEMP, self._path):
                self._folder = tempfile.TemporaryDirectory(prefix="results-", dir=folder)
                self._path = Path(self._folder.name) / "results.sqlite3"
                self._conn = sqlite3.connect(self._path, isolation_level=None)
                # A rollback journal in memory: a write the full disk refuses is undone, and what was
                # kept before stays readable (no journal at all would leave the file damaged).
                self._conn.execute("PRAGMA journal_mode = MEMORY")
                self._conn.execute("PRAGMA synchronous = OFF")
                self._conn.execute(
                    "CREATE TABLE results"
                    " (position INTEGER PRIMARY KEY, outcome TEXT NOT NULL, body TEXT NOT NULL)"
                )
        except StorageError as error:
            self.failure = error
        self._outcomes: Counter[str] = Counter()
        self._count = 0
        # The outcome of each position (index = position), one byte per decision: -1 when none.
        self._by_position = array("b")

    def put(self, position: int, result: DecisionResult) -> None:
        """Store (or replace) the result of the decision at ``position`` (1 or more)."""
        if position < 1:
            raise ValueError(f"positions start at 1, got {position}")
        body = result.model_dump_json()
        if self._conn is not None and self.failure is None:
            try:
                with translated(StorageFolder.TEMP, self._path):
                    self._conn.execute(
                        "INSERT OR REPLACE INTO results (position, outcome, body) VALUES (?, ?, ?)",
                        (position, result.outcome.value, body),
                    )
            except StorageError as error:
                self.failure = error
        if self.failure is not None:
            self._in_memory[position] = body
        if position >= len(self._by_position):
            self._by_position.extend([-1] * (position + 1 - len(self._by_position)))
        earlier = self._by_position[position]
        if earlier >= 0:
            self._outcomes[_OUTCOMES[earlier].value] -= 1
        self._by_position[position] = _OUTCOMES.index(result.outcome)
        self._outcomes[result.outcome.value] += 1
        self._count += earlier < 0

    def get(self, position: int) -> DecisionResult | None:
        if position in self._in_memory:
            return DecisionResult.model_validate_json(self._in_memory[position])
        if self._conn is None:
            return None
        row = self._conn.execute("SELECT body FROM results WHERE position = ?", (position,)).fetchone()
        return None if row is None else DecisionResult.model_validate_json(row[0])

    def __len__(self) -> int:
        return self._count

    def __contains__(self, position: object) -> bool:
        return (
            isinstance(position, int)
            and 0 < position < len(self._by_position)
            and self._by_position[position] >= 0
        )

    def count(self, outcome: Outcome) -> int:
        return self._outcomes[outcome.value]

    def positions(self, outcome: Outcome) -> list[int]:
        """Positions of the decisions that ended with ``outcome``, in export order."""
        code = _OUTCOMES.index(outcome)
        return [p for p, value in enumerate(self._by_position) if value == code]

    def __iter__(self) -> Iterator[tuple[int, DecisionResult]]:
        """Every result in export order, read in batches."""
        for position, body in heapq.merge(self._stored(), sorted(self._in_memory.items())):
            yield position, DecisionResult.model_validate_json(body)

    def _stored(self) -> Iterator[tuple[int, str]]:
        if self._conn is None:
            return
        cursor = self._conn.execute("SELECT position, body FROM results ORDER BY position")
        while rows := cursor.fetchmany(500):
            for position, body in rows:
                if position not in self._in_memory:  # replaced after the folder failed
                    yield position, body

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._folder is not None:
            self._folder.cleanup()
