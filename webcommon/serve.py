"""The command line both apps share: common options, settings errors, serving with waitress.

In production the app runs behind a TLS proxy: waitress trusts the ``X-Forwarded-For``,
``-Proto``, ``-Host`` and ``-Port`` headers from the trusted proxy's address only (default
``127.0.0.1``; ``--trusted-proxy`` or ``<PREFIX>_TRUSTED_PROXY``), and clears them on
requests from anywhere else; the client address used by login throttling is then the one
the proxy saw. In development no proxy headers are trusted unless a proxy is named.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import Flask
from waitress import create_server

from webcommon.settings import DEFAULT_SESSION_IDLE_SECONDS, AppIdentity, CommonSettings, SettingsError

PROXY_HEADERS = frozenset({"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"})


def _stop(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def configuration_error(prog: str, exc: Exception) -> int:
    """Say why the settings are unusable; the exit status for it."""
    print(f"{prog}: configuration error: {exc}", file=sys.stderr)
    return 2


def new_parser(prog: str, description: str, epilog: str) -> argparse.ArgumentParser:
    """The app's ``python -m <prog>`` parser, its --help ending with ``epilog`` as written."""
    return argparse.ArgumentParser(
        prog=f"python -m {prog}",
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_common_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup, app: AppIdentity) -> None:
    """The options both apps have; each names its ``<prefix>_*`` environment variable."""
    prefix, host, port, threads = app.prefix, app.host, app.port, app.threads
    idle_seconds = DEFAULT_SESSION_IDLE_SECONDS
    parser.add_argument("--host", help=f"interface to listen on (default {host}; env {prefix}_HOST)")
    parser.add_argument(
        "--port", type=int, help=f"port to listen on (default {port}; 0 = any free port; env {prefix}_PORT)"
    )
    parser.add_argument(
        "--env", choices=("development", "production"), help=f"overrides {prefix}_ENV (default development)"
    )
    parser.add_argument("--users-file", help=f"JSON file of users (overrides {prefix}_USERS_FILE)")
    parser.add_argument(
        "--session-idle-seconds",
        type=int,
        help=f"idle seconds before a session expires (default {idle_seconds}; "
        f"env {prefix}_SESSION_IDLE_SECONDS)",
    )
    parser.add_argument(
        "--threads", type=int, help=f"worker threads (default {threads}; env {prefix}_THREADS)"
    )
    parser.add_argument(
        "--trusted-proxy",
        help=f"address of the TLS proxy whose X-Forwarded-* headers are trusted (production default "
        f"127.0.0.1; env {prefix}_TRUSTED_PROXY)",
    )


def demo_users_help(demo_passwords: Mapping[str, tuple[str, str]]) -> str:
    """The demo accounts as --help lists them: ``  name / password (role)``, one a line."""
    name_width = max(map(len, demo_passwords))
    password_width = max(len(password) for password, _ in demo_passwords.values())
    return "\n".join(
        f"  {name:<{name_width}} / {password:<{password_width}} ({role})"
        for name, (password, role) in demo_passwords.items()
    )


def run(
    prog: str,
    load: Callable[[], CommonSettings],
    build_app: Callable[[Any], Flask],
    announce: Callable[[Any, Flask, int], None],
) -> int:
    """Load the settings (exit 2 naming the setting when unusable), then serve until stopped."""
    try:
        settings = load()
    except SettingsError as exc:
        return configuration_error(prog, exc)
    return serve(
        lambda: build_app(settings),
        host=settings.host,
        port=settings.port,
        threads=settings.threads,
        announce=lambda app, port: announce(settings, app, port),
        trusted_proxy=settings.trusted_proxy,
    )


def proxy_options(trusted_proxy: str | None) -> Mapping[str, Any]:
    """waitress's options for running behind ``trusted_proxy`` (none without one)."""
    if not trusted_proxy:
        return {}
    return {
        "trusted_proxy": trusted_proxy,
        "trusted_proxy_count": 1,
        "trusted_proxy_headers": set(PROXY_HEADERS),
        "clear_untrusted_proxy_headers": True,
    }


def serve(
    build_app: Callable[[], Flask],
    *,
    host: str,
    port: int,
    threads: int,
    announce: Callable[[Flask, int], None],
    trusted_proxy: str | None = None,
) -> int:
    """Build the app, listen (port 0 = any free port), ``announce`` the port, serve until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = build_app()
    server = create_server(app, host=host, port=port, threads=threads, **proxy_options(trusted_proxy))
    announce(app, server.effective_port)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


def say(prog: str, message: str) -> None:
    """A line on stderr, flushed at once, prefixed with the program's name."""
    print(f"{prog}: {message}", file=sys.stderr, flush=True)


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> dict[str, Any]:
    """The parsed options as a dict (None = not given)."""
    return vars(parser.parse_args(argv))
