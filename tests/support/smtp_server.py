"""A real SMTP server for the notification tests (aiosmtpd), started and stopped by the tests.

``LocalSmtpServer`` keeps every message it accepted and can refuse chosen recipients;
``HangingSmtpServer`` accepts connections and never answers (a server that hangs).
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

MACHINE_HEADERS = frozenset({"message-id", "date"})


@dataclass
class Received:
    """One message as the server received it."""

    mail_from: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def text(self) -> str:
        """Headers and the decoded body: everything a reader of the message sees, except the
        machine-made Message-ID and Date (random and clock digits, never from the export: a short
        number such as a clearing number could otherwise turn up in them by chance)."""
        message = self.message
        body = message.get_body(("plain",))
        content = body.get_content() if body is not None else ""
        headers = [f"{k}: {v}" for k, v in message.items() if k.lower() not in MACHINE_HEADERS]
        return "\n".join(headers) + "\n" + str(content)


@dataclass
class RecordingHandler:
    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def local_smtp_server(refuse: set[str] | None = None) -> Iterator[tuple[int, RecordingHandler]]:
    """A running SMTP server on 127.0.0.1; yields its port and its handler (the messages)."""
    handler = RecordingHandler(refuse=set(refuse or ()))
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, handler
    finally:
        controller.stop()


@contextmanager
def hanging_smtp_server() -> Iterator[int]:
    """A server that accepts connections and never says a word; yields its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


def closed_port() -> int:
    """A port where nothing listens (a mail server that is down)."""
    return free_port()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with the openssl command."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@dataclass
class Logins:
    """The logins a server accepted (user names), and the password it wants."""

    password: bytes
    accepted: list[str] = field(default_factory=list)

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and auth_data.password == self.password:
            self.accepted.append(auth_data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@contextmanager
def starttls_smtp_server(folder: Path, password: str) -> Iterator[tuple[int, RecordingHandler, Logins, Path]]:
    """A server that offers STARTTLS and requires it, and a login, before mail; yields its port, the
    messages, the accepted logins and its certificate (for the client to trust)."""
    cert, key = self_signed_certificate(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = RecordingHandler()
    logins = Logins(password.encode())
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=logins,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield controller.port, handler, logins, cert
    finally:
        controller.stop()
