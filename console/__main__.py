"""Command line: ``python -m console --host 127.0.0.1 --port 8090``."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from flask import Flask
from werkzeug.security import generate_password_hash

from console.app import create_app
from console.settings import (
    APP,
    DEFAULT_DATA_DIR,
    DEFAULT_HOST,
    DEFAULT_MAX_PREVIEWS,
    DEFAULT_MAX_UPLOAD_MB,
    DEFAULT_PAYOUT_SYSTEM_URL,
    DEFAULT_PORT,
    DEFAULT_PREVIEW_TIMEOUT_SECONDS,
    DEFAULT_RUNS_DIR,
    DEFAULT_SESSION_IDLE_SECONDS,
    DEFAULT_SESSION_MAX_SECONDS,
    DEFAULT_STATE_DIR,
    DEFAULT_THREADS,
    DEMO_PASSWORDS,
    Settings,
)
from webcommon.serve import add_common_options, demo_users_help, new_parser, parse, run, say
from webcommon.settings import MIN_PASSWORD_LENGTH

PROG = "console"

_DEMO_USERS = demo_users_help(DEMO_PASSWORDS)

DESCRIPTION = (
    "The robot's console: case workers upload an export, read its preview and run it for real; "
    "operators follow every run and its logs. Swedish web UI, served by waitress."
)

EPILOG = f"""\
users and roles:
  handläggare (case worker): uploads an export, reads the preview, confirms the real run,
    follows its progress and downloads the workbook of decisions that need a human.
  driftansvarig (operator): reads the history of every run and its log.html/report.html,
    filters the failed runs, starts a reconciliation. Sees no personal data.
  CONSOLE_ENV=development (the default) has demo users:
{_DEMO_USERS}
  CONSOLE_USERS_FILE   JSON list of {{"username", "password_hash" (werkzeug) or "password",
                       "role"}}; replaces the demo users. Required in production. Make a hash
                       with: python -m console --hash-password
  CONSOLE_SECRET_KEY   signs session cookies (production: at least 32 random characters,
                       e.g. python -c "import secrets; print(secrets.token_urlsafe(32))").
  CONSOLE_ENV=production refuses to start (exit 2, naming the setting) with the demo users,
  a password under 12 characters in the users file, a weak or default secret key, any of
  the stand-in's demo credentials (CONSOLE_PAYOUT_SYSTEM_*, PAYOUT_SYSTEM_*, the vault file
  RPA_SECRET_FILE) or a plain http:// payout-system URL (unless CONSOLE_ALLOW_PLAIN_HTTP=true
  says the network between them is closed). The session cookie is always Secure, and
  waitress trusts X-Forwarded-* headers from CONSOLE_TRUSTED_PROXY (default 127.0.0.1).

settings (flags win over the environment):
  CONSOLE_HOST, CONSOLE_PORT          where to listen (default {DEFAULT_HOST}:{DEFAULT_PORT})
  CONSOLE_DATA_DIR                    the console's database and uploaded exports
                                      (default {DEFAULT_DATA_DIR})
  CONSOLE_RUNS_DIR (or RUNS_DIR)      one folder per run, shared with scheduled runs
                                      (default {DEFAULT_RUNS_DIR})
  CONSOLE_STATE_DIR (or STATE_DIR)    the robot's ledger, passed to every run as STATE_DIR
                                      (default {DEFAULT_STATE_DIR})
  CONSOLE_SESSION_IDLE_SECONDS        idle time before a session expires
                                      (default {DEFAULT_SESSION_IDLE_SECONDS})
  CONSOLE_SESSION_MAX_SECONDS         a session ends this long after its login, however active
                                      (default {DEFAULT_SESSION_MAX_SECONDS})
  CONSOLE_MAX_UPLOAD_MB               largest export accepted (default {DEFAULT_MAX_UPLOAD_MB})
  CONSOLE_MAX_PREVIEWS                previews (dry runs) at once (default {DEFAULT_MAX_PREVIEWS})
  CONSOLE_PREVIEW_TIMEOUT_SECONDS     a preview still going after this long is stopped, and its
                                      page says why (default {DEFAULT_PREVIEW_TIMEOUT_SECONDS})
  CONSOLE_THREADS                     waitress worker threads (default {DEFAULT_THREADS})

the payout system (passed to every run):
  CONSOLE_PAYOUT_SYSTEM_URL           its address, as PAYOUT_SYSTEM_URL
                                      (default {DEFAULT_PAYOUT_SYSTEM_URL})
  CONSOLE_PAYOUT_SYSTEM_USERNAME, CONSOLE_PAYOUT_SYSTEM_PASSWORD
                                      the robot's registrar account, as PAYOUT_SYSTEM_USERNAME/
                                      PAYOUT_SYSTEM_PASSWORD. Unset: the run uses its own
                                      environment or the vault (RPA_SECRET_MANAGER,
                                      RPA_SECRET_FILE, PAYOUT_SYSTEM_SECRET). In development mode
                                      with neither, the stand-in's demo account robot.
  CONSOLE_PAYOUT_SYSTEM_API_TOKEN     the JSON API's token, for reconciliations
  CONSOLE_RECONCILE_DECISIONS         the exports a reconciliation compares with (file or folder;
                                      default: the uploaded exports under CONSOLE_DATA_DIR)
  Every other variable of the console's environment (MAX_ATTEMPTS, AMOUNT_LIMIT_KR, ...)
  reaches the runs as it is; CONSOLE_* variables do not.

one real run at a time:
  A real run is refused, with a message to the case worker, while another run that
  registers payments is going (the console's own or a scheduled one in the runs folder).
"""


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = new_parser(PROG, DESCRIPTION, EPILOG)
    add_common_options(parser, APP)
    parser.add_argument("--data-dir", help=f"the console's own storage (default {DEFAULT_DATA_DIR})")
    parser.add_argument("--runs-dir", help=f"the runs folder (default {DEFAULT_RUNS_DIR})")
    parser.add_argument("--state-dir", help=f"the robot's ledger folder (default {DEFAULT_STATE_DIR})")
    parser.add_argument(
        "--payout-system-url", help=f"the payout system (default {DEFAULT_PAYOUT_SYSTEM_URL})"
    )
    parser.add_argument(
        "--max-upload-mb", type=int, help=f"largest export accepted (default {DEFAULT_MAX_UPLOAD_MB})"
    )
    parser.add_argument(
        "--hash-password",
        action="store_true",
        help=f"ask for a password (at least {MIN_PASSWORD_LENGTH} characters), print its hash for the "
        "users file, and exit",
    )
    return parser


def hash_password() -> int:
    """Read a password (terminal or one line of stdin) and print its hash."""
    password = getpass.getpass("Lösenord: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        print(f"console: the password must be at least {MIN_PASSWORD_LENGTH} characters", file=sys.stderr)
        return 2
    print(generate_password_hash(password))
    return 0


def announce(settings: Settings, _app: Flask, port: int) -> None:
    """The start-up line."""
    say(
        PROG,
        f"serving http://{settings.host}:{port}/ ({settings.env} mode, runs in {settings.runs_dir}, "
        f"payout system {settings.payout_system_url})",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, check settings, serve until interrupted."""
    options = parse(build_parser(), argv)
    if options["hash_password"]:
        return hash_password()
    return run(PROG, lambda: Settings.load(options, os.environ), create_app, announce)


if __name__ == "__main__":
    sys.exit(main())
