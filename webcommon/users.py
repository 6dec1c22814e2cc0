"""The accounts as the users file says now: a running app follows every change to it.

An app started with a users file re-reads it whenever its content changes (it is small, so
it is read on each request and parsed only when it differs), and every request's session is
checked against the result (``webcommon.security``): a user removed from the file, marked
``"disabled": true``, given another role or a new password loses every session at once, with
or without a restart. A file that can no longer be read or is no longer valid (or, in
production, holds a short or demo password) leaves the app with no users: every session ends
and every login is refused until the file is fixed, and the log says why. Without a users
file (development's demo users) the accounts are those the app started with.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from webcommon.settings import SettingsError, User

log = logging.getLogger("webcommon.users")

# Reads and checks the users file: raises SettingsError when it cannot be used.
ReadUsers = Callable[[Path], tuple[User, ...]]


class LiveUsers:
    """The current accounts: ``started_with`` until the users file's content changes."""

    def __init__(self, path: Path | None, started_with: tuple[User, ...], read: ReadUsers) -> None:
        self._path = path
        self._read = read
        self._users = started_with
        self._content = None if path is None else _content(path)
        self._lock = threading.Lock()

    def current(self) -> tuple[User, ...]:
        """The accounts now (re-read when the users file changed since the last look)."""
        if self._path is None:
            return self._users
        content = _content(self._path)
        with self._lock:
            if content != self._content:
                self._content = content
                self._users = self._reload(self._path)
            return self._users

    def _reload(self, path: Path) -> tuple[User, ...]:
        try:
            users = self._read(path)
        except SettingsError as error:
            log.error("the users file can no longer be used, so nobody is logged in: %s", error)
            return ()
        log.warning("the users file changed: %d accounts now", len(users))
        return users

    def find(self, username: str) -> User | None:
        """The account with this username (any case), or None."""
        typed = username.casefold().encode()
        for user in self.current():
            if hmac.compare_digest(user.username.casefold().encode(), typed):
                return user
        return None


def _content(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def user_stamp(secret_key: str, user: User) -> str:
    """What a session remembers of its account: a keyed hash of username, role and password
    hash, so that a change to any of them ends the session."""
    message = "\x1f".join((user.username, user.role, user.password_hash)).encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]
