"""The outbox: messages wait in the state folder until the mail server has taken them.

One JSON file per message in ``STATE_DIR/outbox/pending/`` (owner-only: the addresses are
personal data of staff), moved to ``sent/`` once the server accepted it, or to
``given_up/`` after ``NOTIFY_MAX_ATTEMPTS`` tries (``merged/`` holds a message whose text went
out as part of another one). A message's id is made of its run id,
its kind and its recipient id, and an id is never queued twice, whichever folder holds it:
a run whose reports are written again, or a later run retrying the outbox, never sends the
same run's message twice.

Each run that sent (or tried) also gets ``notifications.json`` in its artifacts, with
recipient ids (Handläggare ids, never addresses) and each message's state, which the
console shows on the run's page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PENDING, SENT, GIVEN_UP, MERGED = "pending", "sent", "given_up", "merged"
STATES = (PENDING, SENT, GIVEN_UP, MERGED)  # MERGED: its text went out in another message
NOTIFICATIONS_FILE = "notifications.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class Message:
    """One e-mail for one recipient (or the operators) about one run."""

    message_id: str
    run_id: str
    run_dir: str  # the run's artifacts folder (absolute), where notifications.json goes
    kind: str  # case_worker or operators
    recipient_id: str
    to: list[str]
    subject: str
    body: str
    created_at: str = field(default_factory=now_iso)
    state: str = PENDING
    attempts: int = 0
    refusals: int = 0  # tries the server refused (a server that is down counts only in attempts)
    last_error: str = ""
    sent_at: str = ""

    @staticmethod
    def make_id(run_id: str, kind: str, recipient_id: str) -> str:
        return _UNSAFE.sub("-", f"{run_id}.{kind}.{recipient_id}")[:200]

    def public(self) -> dict[str, Any]:
        """What the run's artifacts and the console may show: no addresses, no text."""
        return {
            "message_id": self.message_id,
            "kind": self.kind,
            "recipient_id": self.recipient_id,
            "recipients": len(self.to),
            "state": self.state,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "created_at": self.created_at,
            "sent_at": self.sent_at,
        }


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        path.chmod(stat.S_IRWXU)
    return path


def write_private_json(path: Path, document: dict[str, Any]) -> None:
    """Write ``document`` to ``path`` atomically, readable by the owner only."""
    _private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


class Outbox:
    """The messages of every run, in ``folder`` (``STATE_DIR/outbox``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, state: str, message_id: str) -> Path:
        return self.folder / state / f"{message_id}.json"

    def known(self, message_id: str) -> bool:
        return any(self._path(state, message_id).exists() for state in STATES)

    def add(self, message: Message) -> bool:
        """Queue ``message`` unless a message with its id was ever queued; True when queued."""
        if self.known(message.message_id):
            return False
        message.state = PENDING
        write_private_json(self._path(PENDING, message.message_id), asdict(message))
        return True

    def _read(self, path: Path) -> Message | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Message(**data)
        except (OSError, ValueError, TypeError):
            return None  # a file being written, or not ours

    def messages(self, state: str = PENDING) -> list[Message]:
        """Messages in one state, oldest first."""
        folder = self.folder / state
        if not folder.is_dir():
            return []
        found = (self._read(path) for path in folder.glob("*.json"))
        return sorted((m for m in found if m is not None), key=lambda m: (m.created_at, m.message_id))

    def get(self, message_id: str, state: str = PENDING) -> Message | None:
        path = self._path(state, message_id)
        return self._read(path) if path.is_file() else None

    def of_run(self, run_id: str) -> list[Message]:
        return [m for state in STATES for m in self.messages(state) if m.run_id == run_id]

    def update(self, message: Message) -> None:
        """Store ``message`` in the folder of its state (after an attempt)."""
        target = self._path(message.state, message.message_id)
        write_private_json(target, asdict(message))
        for state in STATES:
            if state != message.state:
                with contextlib.suppress(FileNotFoundError):
                    self._path(state, message.message_id).unlink()


def record_in_run(run_dir: Path, messages: list[Message]) -> None:
    """``notifications.json`` in the run's artifacts: who was (or is to be) notified, by id."""
    if not run_dir.is_dir():
        return
    document = {
        "updated_at": now_iso(),
        "messages": [m.public() for m in sorted(messages, key=lambda m: m.message_id)],
    }
    write_private_json(run_dir / NOTIFICATIONS_FILE, document)


def read_run_notifications(run_dir: Path) -> list[dict[str, Any]]:
    """The messages of a run as ``notifications.json`` records them ([] when none)."""
    try:
        data = json.loads((run_dir / NOTIFICATIONS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    messages = data.get("messages") if isinstance(data, dict) else None
    return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []
