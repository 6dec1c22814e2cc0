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
    DEFAULT_DATA_DIR,
    DEFAULT_HOST,
    DEFAULT_MAX_PREVIEWS,
    DEFAULT_MAX_UPLOAD_MB,
    DEFAULT_PAYOUT_SYSTEM_URL,
    DEFAULT_PORT,
    DEFAULT_RUNS_DIR,
    DEFAULT_SESSION_IDLE_SECONDS,
    DEFAULT_STATE_DIR,
    DEFAULT_THREADS,
    DEMO_PASSWORDS,
    Settings,
    SettingsError,
)
from webcommon.serve import configuration_error, say, serve

PROG = "console"

_DEMO_USERS = "\n".join(
    f"  {name:<6} / {password:<20} ({role})" for name, (password, role) in DEMO_PASSWORDS.items()
)

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
  CONSOLE_SECRET_KEY   signs session cookies (at least 32 characters in production).
  CONSOLE_ENV=production refuses to start with the demo users, the default secret key or
  the stand-in's demo credentials.

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
  CONSOLE_MAX_UPLOAD_MB               largest export accepted (default {DEFAULT_MAX_UPLOAD_MB})
  CONSOLE_MAX_PREVIEWS                previews (dry runs) at once (default {DEFAULT_MAX_PREVIEWS})
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
    parser = argparse.ArgumentParser(
        prog="python -m console",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", help=f"interface to listen on (default {DEFAULT_HOST}; env CONSOLE_HOST)")
    parser.add_argument(
        "--port",
        type=int,
        help=f"port to listen on (default {DEFAULT_PORT}; 0 = any free port; env CONSOLE_PORT)",
    )
    parser.add_argument(
        "--env", choices=("development", "production"), help="overrides CONSOLE_ENV (default development)"
    )
    parser.add_argument("--users-file", help="JSON file of users (overrides CONSOLE_USERS_FILE)")
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
        "--session-idle-seconds",
        type=int,
        help=f"idle seconds before a session expires (default {DEFAULT_SESSION_IDLE_SECONDS})",
    )
    parser.add_argument("--threads", type=int, help=f"worker threads (default {DEFAULT_THREADS})")
    parser.add_argument(
        "--hash-password",
        action="store_true",
        help="ask for a password, print its hash for the users file, and exit",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, check settings, serve until interrupted."""
    args = build_parser().parse_args(argv)
    if args.hash_password:
        password = getpass.getpass("Lösenord: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
        if not password:
            print("console: no password given", file=sys.stderr)
            return 2
        print(generate_password_hash(password))
        return 0
    try:
        settings = Settings.load(vars(args), os.environ)
    except SettingsError as exc:
        return configuration_error(PROG, exc)

    def announce(_app: Flask, port: int) -> None:
        say(
            PROG,
            f"serving http://{settings.host}:{port}/ ({settings.env} mode, runs in {settings.runs_dir}, "
            f"payout system {settings.payout_system_url})",
        )

    return serve(
        lambda: create_app(settings),
        host=settings.host,
        port=settings.port,
        threads=settings.threads,
        announce=announce,
    )


if __name__ == "__main__":
    sys.exit(main())
