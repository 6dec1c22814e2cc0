"""The run's structured log: one JSON object per line in ``run.jsonl`` (structlog).

Every line carries the run id and, where it applies, the decision id, payment
reference, step, duration and outcome, so it correlates with ``log.html``. A
masking processor is the last safety net: anything that looks like an identity
number or a bank account number is replaced before the line is written, and so is
every control character of any value (``narration.clean``), whatever its source.
Callers must still never pass personal data.

A line that cannot be written (the artifacts folder is full, read-only or gone) does not
raise where it is logged, in the middle of a payment: the first failure is kept as
``failure`` (a ``StorageError`` naming ``ROBOT_ARTIFACTS``), the lines after it are dropped,
and the registration loop stops the run on it before the next decision.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from contextlib import suppress
from pathlib import Path
from typing import Any, TextIO

import structlog

from splitpayout.adapters.narration import clean
from splitpayout.adapters.storage import storage_error, translated
from splitpayout.domain.errors import StorageError, StorageFolder

# 10 or 12 digits with an optional -/+ separator before the last four (identity numbers),
# and any run of 8 or more digits (account numbers, some identity formats).
_IDENTITY = re.compile(r"(?<!\d)(?:\d{2})?\d{6}[-+]?\d{4}(?!\d)")
_LONG_DIGITS = re.compile(r"(?<!\d)\d{8,}(?!\d)")
MASK = "***"
# Values the robot makes itself, never personal data: left as they are.
_OWN_KEYS = frozenset({"timestamp", "level", "event", "run_id", "sha256"})


def mask_text(text: str) -> str:
    """Replace identity-number-like and account-number-like digit runs."""
    return _LONG_DIGITS.sub(MASK, _IDENTITY.sub(MASK, text))


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return clean(mask_text(value))
    if isinstance(value, dict):
        return {key: _mask_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(item) for item in value]
    return value


def mask_personal_data(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask every string value, whatever its key."""
    for key, value in list(event_dict.items()):
        if key in _OWN_KEYS:
            event_dict[key] = clean(value) if isinstance(value, str) else value
            continue
        event_dict[key] = _mask_value(value)
    return event_dict


class RunLog:
    """Opens ``run.jsonl`` for one run and hands out bound loggers."""

    def __init__(self, path: Path, run_id: str) -> None:
        self.path = path
        self.failure: StorageError | None = None
        with translated(StorageFolder.ARTIFACTS, path):
            path.parent.mkdir(parents=True, exist_ok=True)
            self._handle: TextIO = path.open("a", encoding="utf-8")
        # WriteLogger writes each line under a lock and flushes it: nothing lost on a crash.
        self._logger = structlog.wrap_logger(
            structlog.WriteLogger(self._handle),
            processors=[
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                mask_personal_data,
                structlog.processors.JSONRenderer(ensure_ascii=False, sort_keys=False),
            ],
        ).bind(run_id=run_id)

    def bind(self, **values: Any) -> Any:
        return self._logger.bind(**values)

    def event(self, event: str, **values: Any) -> None:
        self._write(self._logger.info, event, values)

    def warning(self, event: str, **values: Any) -> None:
        self._write(self._logger.warning, event, values)

    def _write(self, method: Any, event: str, values: dict[str, Any]) -> None:
        if self.failure is not None:
            return
        try:
            method(event, **values)
        except OSError as error:
            self.failure = storage_error(error, StorageFolder.ARTIFACTS, self.path)

    def close(self) -> None:
        with suppress(OSError):  # a line not flushed on a full disk is already in ``failure``
            self._handle.close()
