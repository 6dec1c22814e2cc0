"""Run the payout-system stand-in as a real server in a subprocess, for tests.

    from tests.support.payout_server import running_payout_system

    with running_payout_system(tmp_path / "payout.db") as server:
        requests.get(server.url + "payments/search")          # the web UI
        server.api_payments(reference="B-1/1")                # the JSON API

or as a pytest fixture::

    @pytest.fixture
    def payout_server(tmp_path):
        faults = ["--error-rate", "0.2", "--seed", "7"]
        with running_payout_system(tmp_path / "payout.db", extra_args=faults) as server:
            yield server

The server listens on a free loopback port, in development mode unless ``env`` says
otherwise (demo users ``robot``/``robot-demo-password`` etc., token ``dev-api-token``).
It is always stopped when the ``with`` block ends, also when the block raises.
Its output goes to ``<db_path>.server.log`` (useful when a test fails).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_API_TOKEN = "dev-api-token"
# A guard against a server that never answers, not a speed limit: on a loaded machine (parallel
# workers, one core) starting Python and Flask can take far longer than on an idle one.
START_TIMEOUT_SECONDS = 120.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PayoutServer:
    """A running stand-in. ``url`` ends with a slash, e.g. ``http://127.0.0.1:40123/``."""

    url: str
    api_token: str
    process: subprocess.Popen[bytes]
    log_path: Path
    db_path: Path
    _stopped: bool = field(default=False, repr=False)

    def api_payments(
        self, reference: str | None = None, payout_date: str | None = None
    ) -> list[dict[str, Any]]:
        """GET /api/payments (optionally filtered) as a list of dicts."""
        query = {k: v for k, v in (("reference", reference), ("payout_date", payout_date)) if v is not None}
        url = self.url + "api/payments" + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Authorization": f"Bearer {self.api_token}"}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - a loopback URL built here
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback URL we built
            result: list[dict[str, Any]] = json.loads(response.read().decode("utf-8"))
        return result

    def log_text(self) -> str:
        """What the server printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s). Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_payout_system(
    db_path: Path | str,
    *,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = START_TIMEOUT_SECONDS,
) -> PayoutServer:
    """Start the server and wait until /api/health answers; the caller must ``stop()`` it."""
    db_path = Path(db_path)
    port = free_port()
    process_env = dict(os.environ)
    process_env.update(env or {})
    process_env.setdefault("PAYOUT_ENV", "development")
    process_env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT), *filter(None, [process_env.get("PYTHONPATH")])]
    )
    process_env["PYTHONUNBUFFERED"] = "1"
    log_path = db_path.with_name(db_path.name + ".server.log")
    command = [
        sys.executable,
        "-m",
        "payout_system",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--db",
        str(db_path),
        *extra_args,
    ]
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=process_env, stdout=log_file, stderr=subprocess.STDOUT
        )
    server = PayoutServer(
        url=f"http://127.0.0.1:{port}/",
        api_token=process_env.get("PAYOUT_API_TOKEN") or DEV_API_TOKEN,
        process=process,
        log_path=log_path,
        db_path=db_path,
    )
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            server.stop()
            raise RuntimeError(
                f"payout system exited with status {process.returncode} before answering:\n"
                + server.log_text()
            )
        try:
            with urllib.request.urlopen(server.url + "api/health", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"payout system did not answer within {timeout:g} s:\n{server.log_text()}")
        time.sleep(0.1)


@contextmanager
def running_payout_system(
    db_path: Path | str,
    *,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = START_TIMEOUT_SECONDS,
) -> Iterator[PayoutServer]:
    """Context manager around ``start_payout_system``: the server always stops at the end."""
    server = start_payout_system(db_path, extra_args=extra_args, env=env, timeout=timeout)
    try:
        yield server
    finally:
        server.stop()
