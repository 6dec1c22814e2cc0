"""Sending the outbox through an SMTP server (the standard library's ``smtplib`` and ``email``).

STARTTLS is used whenever the server offers it; credentials are sent only over an
encrypted connection. Every socket operation has a timeout (``SMTP_TIMEOUT_SECONDS``) and a
send as a whole stops after a few of them, so a server that is down, slow or hanging costs
a bounded time and never an exception: what could not be sent stays in the outbox for the
next run. A message the server refuses (a recipient it does not know) is tried again by
the next runs and given up after ``NOTIFY_MAX_ATTEMPTS`` refusals.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from splitpayout.jobs.notify.config import NotifySettings
from splitpayout.jobs.notify.outbox import GIVEN_UP, SENT, Message, Outbox, now_iso

# Refusals of one message (the server is there, it does not want this one).
_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


@dataclass
class DeliveryReport:
    """What one send of the outbox did."""

    sent: list[Message] = field(default_factory=list)
    failed: list[Message] = field(default_factory=list)  # tried, still in the outbox
    given_up: list[Message] = field(default_factory=list)
    not_tried: list[Message] = field(default_factory=list)  # the send stopped before them
    server_error: str = ""

    @property
    def touched(self) -> list[Message]:
        return [*self.sent, *self.failed, *self.given_up, *self.not_tried]


def build_email(message: Message, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = ", ".join(message.to)
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Message-ID"] = make_msgid(idstring=message.message_id[-40:], domain=sender.split("@")[-1])
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body, charset="utf-8")
    return email


def _describe(error: BaseException) -> str:
    """An error as the outbox and the artifacts keep it: its kind and SMTP code, no addresses."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _ in error.recipients.values()})
        return f"recipient refused ({', '.join(codes)})"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__} ({error.smtp_code})"
    return type(error).__name__


def open_connection(settings: NotifySettings, credentials: tuple[str, str] | None) -> smtplib.SMTP:
    """A connection that has said EHLO, switched to TLS when offered and logged in when asked to."""
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds)
    try:
        smtp.ehlo()
        encrypted = False
        if smtp.has_extn("starttls"):
            context = ssl.create_default_context()
            if settings.ca_file:
                context.load_verify_locations(cafile=settings.ca_file)
            smtp.starttls(context=context)
            smtp.ehlo()
            encrypted = True
        if credentials is not None:
            if not encrypted:
                raise smtplib.SMTPNotSupportedError("the server offers no STARTTLS: credentials not sent")
            smtp.login(*credentials)
    except BaseException:
        smtp.close()
        raise
    return smtp


def deliver(
    settings: NotifySettings, outbox: Outbox, credentials: tuple[str, str] | None = None
) -> DeliveryReport:
    """Send every pending message, oldest first; never raises for the mail server's sake."""
    report = DeliveryReport()
    pending = outbox.messages()
    if not pending:
        return report
    try:
        smtp = open_connection(settings, credentials)
    except (OSError, smtplib.SMTPException) as error:
        report.server_error = _describe(error)
        for message in pending:
            _failed(outbox, message, report.server_error, refused=False)
            report.failed.append(message)
        return report
    deadline = time.monotonic() + 3 * settings.timeout_seconds + len(pending)
    try:
        for index, message in enumerate(pending):
            if time.monotonic() > deadline:
                report.not_tried.extend(pending[index:])
                break
            if not _send_one(smtp, settings, outbox, message, report):
                report.not_tried.extend(pending[index + 1 :])
                break
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return report


def _send_one(
    smtp: smtplib.SMTP, settings: NotifySettings, outbox: Outbox, message: Message, report: DeliveryReport
) -> bool:
    """Send one message; False when the connection is no longer usable."""
    try:
        refused = smtp.send_message(build_email(message, settings.sender))
    except _REFUSED as error:
        _failed(outbox, message, _describe(error), refused=True, max_attempts=settings.max_attempts)
        (report.given_up if message.state == GIVEN_UP else report.failed).append(message)
        return True
    except (OSError, smtplib.SMTPException) as error:
        report.server_error = _describe(error)
        _failed(outbox, message, report.server_error, refused=False)
        report.failed.append(message)
        return False
    message.attempts += 1
    message.state = SENT
    message.sent_at = now_iso()
    message.last_error = f"{len(refused)} of {len(message.to)} recipients refused" if refused else ""
    outbox.update(message)
    report.sent.append(message)
    return True


def _failed(outbox: Outbox, message: Message, error: str, *, refused: bool, max_attempts: int = 0) -> None:
    message.attempts += 1
    message.last_error = error
    if refused:
        message.refusals += 1
        if message.refusals >= max_attempts:
            message.state = GIVEN_UP
    outbox.update(message)
