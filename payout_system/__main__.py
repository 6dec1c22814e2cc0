"""Command line: ``python -m payout_system --host 127.0.0.1 --port PORT --db PATH``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from flask import Flask

from payout_system.app import create_app
from payout_system.settings import (
    DEFAULT_SESSION_IDLE_SECONDS,
    DEFAULT_THREADS,
    DEMO_PASSWORDS,
    DEV_API_TOKEN,
    Settings,
    SettingsError,
)
from swedish_rules import format_amount
from webcommon.serve import configuration_error, say, serve

PROG = "payout_system"

_DEMO_USERS = "\n".join(
    f"  {name:<10} / {password:<24} ({role})" for name, (password, role) in DEMO_PASSWORDS.items()
)

DESCRIPTION = "A stand-in for the municipality's payout system (Swedish web UI, JSON API, fault injection)."

EPILOG = f"""\
users and the API token:
  PAYOUT_ENV=development (the default) has demo users and the API token {DEV_API_TOKEN!r}:
{_DEMO_USERS}
  Roles: registrar registers payments, attestant attests them and reads the audit
  trail, viewer only searches. No account holds two roles.
  PAYOUT_USERS_FILE   JSON list of {{"username", "password_hash" (werkzeug) or "password",
                      "role"}}; replaces the demo users. Required in production.
  PAYOUT_API_TOKEN    bearer token of the JSON API (GET /api/payments).
  PAYOUT_SECRET_KEY   signs session cookies (at least 32 characters in production).
  PAYOUT_SESSION_IDLE_SECONDS  idle time before a session expires (default {DEFAULT_SESSION_IDLE_SECONDS}).
  PAYOUT_ENV=production refuses to start with the demo users, the demo token or the
  default secret key.

payment rules (off by default):
  --max-payment-kr N (or PAYOUT_MAX_PAYMENT_KR=N) refuses a payment above N kronor: the
  form comes back (422) with "Beloppet överstiger gränsen för en enskild utbetalning
  (N kr)." beside the amount field (#error-amount), as for any other refused field.

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


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m payout_system",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    server = parser.add_argument_group("server")
    server.add_argument("--host", help="interface to listen on (default 127.0.0.1; env PAYOUT_HOST)")
    server.add_argument(
        "--port", type=int, help="port to listen on (default 8080; 0 = any free port; env PAYOUT_PORT)"
    )
    server.add_argument("--db", help="SQLite database file, created if missing (env PAYOUT_DB)")
    server.add_argument(
        "--env", choices=("development", "production"), help="overrides PAYOUT_ENV (default development)"
    )
    server.add_argument("--users-file", help="JSON file of users (overrides PAYOUT_USERS_FILE)")
    server.add_argument(
        "--session-idle-seconds",
        type=int,
        help=f"idle seconds before a session expires (default {DEFAULT_SESSION_IDLE_SECONDS}; "
        "env PAYOUT_SESSION_IDLE_SECONDS)",
    )
    server.add_argument(
        "--threads", type=int, help=f"worker threads (default {DEFAULT_THREADS}; env PAYOUT_THREADS)"
    )

    rules = parser.add_argument_group("payment rules")
    rules.add_argument(
        "--max-payment-kr",
        metavar="N",
        help="refuse a payment above N kronor, e.g. 50000 (env PAYOUT_MAX_PAYMENT_KR; default: no ceiling)",
    )

    faults = parser.add_argument_group("fault injection")
    faults.add_argument("--latency-ms", type=int, help="added delay on every UI request, in milliseconds")
    faults.add_argument("--jitter-ms", type=int, help="plus a random 0..N milliseconds on every UI request")
    faults.add_argument(
        "--error-rate",
        type=float,
        help="share (0-1) of UI requests answered 500 or 503 with the error page, NOT processed",
    )
    faults.add_argument(
        "--hang-rate",
        type=float,
        help="share (0-1) of UI requests that wait --hang-seconds, then answer 504, NOT processed",
    )
    faults.add_argument("--hang-seconds", type=float, help="how long a hanging request waits (default 30)")
    faults.add_argument(
        "--expire-session-rate",
        type=float,
        help="share (0-1) of UI requests whose session is dropped first (-> login page, 'session expired')",
    )
    faults.add_argument(
        "--maintenance-from-request",
        type=int,
        metavar="N",
        help="the Nth UI request since start (1-based) opens a maintenance window (UI pages answer 503)",
    )
    faults.add_argument(
        "--maintenance-requests", type=int, metavar="M", help="... which lasts for M UI requests"
    )
    faults.add_argument(
        "--maintenance-file",
        metavar="PATH",
        help="while this file exists, every UI request answers the maintenance page (a switch a test flips)",
    )
    faults.add_argument(
        "--slow-save-seconds",
        type=float,
        help="a successful registration is stored, then the answer waits this long",
    )
    faults.add_argument(
        "--seed", type=int, help="seed of the fault random generator (default: random, printed at start)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, check settings, serve until interrupted."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.load(vars(args), os.environ)
    except SettingsError as exc:
        return configuration_error(PROG, exc)

    def announce(app: Flask, port: int) -> None:
        say(PROG, f"serving http://{settings.host}:{port}/ ({settings.env} mode, db {settings.db_path})")
        if settings.max_payment_ore is not None:
            say(PROG, f"payments above {format_amount(settings.max_payment_ore)} kr are refused")
        if settings.faults.enabled:
            say(PROG, f"fault injection on, seed {app.extensions['payout_faults'].seed}")

    return serve(
        lambda: create_app(settings),
        host=settings.host,
        port=settings.port,
        threads=settings.threads,
        announce=announce,
    )


if __name__ == "__main__":
    sys.exit(main())
