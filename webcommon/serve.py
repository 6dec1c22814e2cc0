"""Serving an app with waitress until SIGTERM or Ctrl-C, and the command line's shared parts."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable

from flask import Flask
from waitress import create_server


def _stop(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def configuration_error(prog: str, exc: Exception) -> int:
    """Say why the settings are unusable; the exit status for it."""
    print(f"{prog}: configuration error: {exc}", file=sys.stderr)
    return 2


def serve(
    build_app: Callable[[], Flask],
    *,
    host: str,
    port: int,
    threads: int,
    announce: Callable[[Flask, int], None],
) -> int:
    """Build the app, listen (port 0 = any free port), ``announce`` the port, serve until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = build_app()
    server = create_server(app, host=host, port=port, threads=threads)
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
