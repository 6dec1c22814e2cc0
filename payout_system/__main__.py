"""Command line: ``python -m payout_system --host 127.0.0.1 --port PORT --db PATH``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from flask import Flask

from payout_system.app import create_app
from payout_system.settings import (
    APP,
    DEFAULT_SESSION_IDLE_SECONDS,
    DEFAULT_SESSION_MAX_SECONDS,
    DEMO_PASSWORDS,
    DEV_API_TOKEN,
    Settings,
)
from swedish_rules import format_amount
from webcommon.serve import add_common_options, demo_users_help, new_parser, parse, run, say

PROG = "payout_system"

_DEMO_USERS = demo_users_help(DEMO_PASSWORDS)

DESCRIPTION = "A stand-in for the municipality's payout system (Swedish web UI, JSON API, fault injection)."

EPILOG = f"""\
users and the API token:
  PAYOUT_ENV=development (the default) has demo users and the API token {DEV_API_TOKEN!r}:
{_DEMO_USERS}
  Roles: registrar registers payments, attestant attests them and reads the audit
  trail, viewer only searches. No account holds two roles.
  PAYOUT_USERS_FILE   JSON list of {{"username", "password_hash" (werkzeug) or "password",
                      "role"}}; replaces the demo users. Required in production.
  PAYOUT_API_TOKEN    bearer token of the JSON API (GET /api/payments); production: at
                      least 16 random characters.
  PAYOUT_SECRET_KEY   signs session cookies (production: at least 32 random characters,
                      e.g. python -c "import secrets; print(secrets.token_urlsafe(32))").
  PAYOUT_SESSION_IDLE_SECONDS  idle time before a session expires (default {DEFAULT_SESSION_IDLE_SECONDS}).
  PAYOUT_SESSION_MAX_SECONDS   a session ends this long after its login, however active
                               (default {DEFAULT_SESSION_MAX_SECONDS}).
  PAYOUT_ENV=production refuses to start (exit 2, naming the setting) with the demo users,
  a password under 12 characters in the users file, the demo token, or a weak or default
  secret key or token. The session cookie is always Secure, and waitress trusts
  X-Forwarded-* headers from PAYOUT_TRUSTED_PROXY (default 127.0.0.1).

payment rules (off by default):
  --max-payment-kr N (or PAYOUT_MAX_PAYMENT_KR=N) refuses a payment above N kronor: the
  form comes back (422) with "Beloppet överstiger gränsen för en enskild utbetalning
  (N kr)." beside the amount field (#error-amount), as for any other refused field.

a new release (off by default; for tests and demos of a changed application):
  --store-differently FIELD[,FIELD]  store a field other than typed: amount (whole kronor),
                      payout_date (a day later), name (capitals), message (first 10 characters)
  --required-field NAME   the form asks for a new text field NAME, refused when empty
  --renamed-field FIELD   the form field FIELD has the id and name FIELD_v2
  --extra-step        an extra page "Bekräfta utbetalning" (data-page confirm-payment) before storing
  Each also reads PAYOUT_RELEASE_<NAME> (e.g. PAYOUT_RELEASE_EXTRA_STEP=true); flags win.

fault injection (off by default; UI pages only, never /api/* or /static/*):
  Every option also reads PAYOUT_FAULT_<NAME> from the environment, e.g.
  PAYOUT_FAULT_ERROR_RATE=0.1; flags win. The same --seed and the same sequence of
  requests give the same faults. At most one of hang, error and session drop hits a
  request; the answer names it in the header X-Fault-Injected.

JSON API:
  GET /api/health                    {{"status": "ok"}}, no token
  GET /api/payments[?reference=R][&payout_date=YYYY-MM-DD]
                                     Authorization: Bearer <PAYOUT_API_TOKEN>
"""

# The fault-injection flags in --help order: (name, type, metavar, help). Each also reads
# PAYOUT_FAULT_<NAME> (settings.FAULT_OPTIONS).
FAULT_FLAGS: tuple[tuple[str, Callable[[str], object], str | None, str], ...] = (
    ("latency_ms", int, None, "added delay on every UI request, in milliseconds"),
    ("jitter_ms", int, None, "plus a random 0..N milliseconds on every UI request"),
    (
        "error_rate",
        float,
        None,
        "share (0-1) of UI requests answered 500 or 503 with the error page, NOT processed",
    ),
    (
        "hang_rate",
        float,
        None,
        "share (0-1) of UI requests that wait --hang-seconds, then answer 504, NOT processed",
    ),
    ("hang_seconds", float, None, "how long a hanging request waits (default 30)"),
    (
        "expire_session_rate",
        float,
        None,
        "share (0-1) of UI requests whose session is dropped first (-> login page, 'session expired')",
    ),
    (
        "maintenance_from_request",
        int,
        "N",
        "the Nth UI request since start (1-based) opens a maintenance window (UI pages answer 503)",
    ),
    ("maintenance_requests", int, "M", "... which lasts for M UI requests"),
    (
        "maintenance_file",
        str,
        "PATH",
        "while this file exists, every UI request answers the maintenance page (a switch a test flips)",
    ),
    (
        "slow_save_seconds",
        float,
        None,
        "a successful registration is stored, then the answer waits this long",
    ),
    ("seed", int, None, "seed of the fault random generator (default: random, printed at start)"),
)


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = new_parser(PROG, DESCRIPTION, EPILOG)
    server = parser.add_argument_group("server")
    add_common_options(server, APP)
    server.add_argument("--db", help="SQLite database file, created if missing (env PAYOUT_DB)")

    rules = parser.add_argument_group("payment rules")
    rules.add_argument(
        "--max-payment-kr",
        metavar="N",
        help="refuse a payment above N kronor, e.g. 50000 (env PAYOUT_MAX_PAYMENT_KR; default: no ceiling)",
    )

    release = parser.add_argument_group("a new release (docs/rules.md §4.9)")
    release.add_argument(
        "--store-differently",
        metavar="FIELD[,FIELD]",
        help="store these fields other than typed: amount, payout_date, name, message"
        " (env PAYOUT_RELEASE_STORE_DIFFERENTLY)",
    )
    release.add_argument(
        "--required-field",
        metavar="NAME",
        help="the payment form asks for a new text field NAME, refused when empty"
        " (env PAYOUT_RELEASE_REQUIRED_FIELD)",
    )
    release.add_argument(
        "--renamed-field",
        metavar="FIELD",
        help="the payment form's field FIELD has the id and name FIELD_v2 (env PAYOUT_RELEASE_RENAMED_FIELD)",
    )
    release.add_argument(
        "--extra-step",
        action="store_true",
        default=None,
        help="a confirmation page (data-page confirm-payment) before the payment is stored"
        " (env PAYOUT_RELEASE_EXTRA_STEP=true)",
    )

    faults = parser.add_argument_group("fault injection")
    for name, kind, metavar, text in FAULT_FLAGS:
        faults.add_argument(f"--{name.replace('_', '-')}", type=kind, metavar=metavar, help=text)
    return parser


def announce(settings: Settings, app: Flask, port: int) -> None:
    """The start-up lines."""
    say(PROG, f"serving http://{settings.host}:{port}/ ({settings.env} mode, db {settings.db_path})")
    if settings.max_payment_ore is not None:
        say(PROG, f"payments above {format_amount(settings.max_payment_ore)} kr are refused")
    if settings.release.enabled:
        say(PROG, f"playing a new release: {settings.release}")
    if settings.faults.enabled:
        say(PROG, f"fault injection on, seed {app.extensions['payout_faults'].seed}")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, check settings, serve until interrupted."""
    options = parse(build_parser(), argv)
    return run(PROG, lambda: Settings.load(options, os.environ), create_app, announce)


if __name__ == "__main__":
    sys.exit(main())
