"""Fault injection: the rough edges of a legacy system, on demand and reproducible.

Off by default. Applies to UI requests only (every page including the login page);
``/api/*`` and ``/static/*`` are never touched. Each UI request draws exactly three
numbers from one ``random.Random(seed)`` under a lock, in the order requests arrive, so
the same seed and the same sequence of requests give the same faults. At most one of
hang, error and session drop hits a request, and a request is never faulted twice.

- latency:       every UI request waits ``latency_ms`` plus a uniform 0..``jitter_ms``.
- hang:          a share ``hang_rate`` waits ``hang_seconds`` and answers 504 without
                 handling the request (the client should have given up before).
- error:         a share ``error_rate`` answers 500 or 503 (error page) without handling it.
- session drop:  a share ``expire_session_rate`` loses its session before handling
                 (the user lands on the login page with the "session expired" notice).
- maintenance:   from the ``maintenance_from_request``-th UI request since start, for
                 ``maintenance_requests`` UI requests, and whenever the file
                 ``maintenance_file`` exists, every UI request answers 503 with the
                 maintenance page. Counted in requests (or switched by a file), never in
                 seconds: a test behaves the same on a fast machine and a slow one.
- slow save:     a successful registration is stored, then the answer waits
                 ``slow_save_seconds`` (see ``slow_save``).
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app, g, render_template, request
from werkzeug.wrappers import Response

from payout_system.security import is_ui_request
from payout_system.settings import FaultSettings

log = logging.getLogger("payout_system.faults")

FAULT_HEADER = "X-Fault-Injected"


class FaultInjector:
    """Decides, per UI request, which fault (if any) applies."""

    def __init__(
        self,
        settings: FaultSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.seed = settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**31)
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep: Callable[[float], None] = time.sleep  # tests record the waits here
        self._requests = 0  # UI requests seen since start

    def _draw(self) -> tuple[int, float, float, float]:
        with self._lock:
            self._requests += 1
            return self._requests, self._rng.random(), self._rng.random(), self._rng.random()

    def in_maintenance(self, request_number: int) -> bool:
        """Whether the maintenance window is open for the given UI request."""
        s = self.settings
        if s.maintenance_file and os.path.exists(s.maintenance_file):
            return True
        start, count = s.maintenance_from_request, s.maintenance_requests
        if start is None or count is None:
            return False
        return start <= request_number < start + count

    def before_request(self) -> Response | None:
        """Apply at most one fault to the current UI request; a response ends the request."""
        if not self.settings.enabled or not is_ui_request() or g.get("fault_checked"):
            return None
        g.fault_checked = True
        s = self.settings
        request_number, jitter_u, fault_u, kind_u = self._draw()
        delay_ms = s.latency_ms + jitter_u * s.jitter_ms
        if delay_ms > 0:
            self._sleep(delay_ms / 1000)
        if self.in_maintenance(request_number):
            return self._answer("maintenance", 503, "maintenance.html")
        if fault_u < s.hang_rate:
            self._sleep(s.hang_seconds)
            return self._answer("hang", 504, "error.html", message="Tidsgränsen för svaret överskreds.")
        if fault_u < s.hang_rate + s.error_rate:
            status = 500 if kind_u < 0.5 else 503
            message = (
                "Ett tekniskt fel inträffade. Försök igen senare."
                if status == 500
                else "Tjänsten är tillfälligt otillgänglig. Försök igen senare."
            )
            return self._answer(f"error-{status}", status, "error.html", message=message)
        if fault_u < s.hang_rate + s.error_rate + s.expire_session_rate:
            g.fault_drop_session = True
            g.fault_name = "session-drop"
            log.info("fault injected: session-drop on %s %s", request.method, request.path)
        return None

    def _answer(self, name: str, status: int, template: str, message: str = "") -> Response:
        g.fault_name = name
        log.info("fault injected: %s on %s %s", name, request.method, request.path)
        response = Response(
            render_template(template, message=message, status=status), status=status, mimetype="text/html"
        )
        if status == 503:
            response.headers["Retry-After"] = "30"
        return response

    def after_request(self, response: Response) -> Response:
        """Name the injected fault in a response header (tests and operators can see what happened)."""
        name = g.get("fault_name")
        if name:
            response.headers[FAULT_HEADER] = name
        return response

    def slow_save(self) -> None:
        """Called after a payment is stored, before answering."""
        if self.settings.slow_save_seconds > 0:
            g.fault_name = "slow-save"
            self._sleep(self.settings.slow_save_seconds)


def get_injector() -> FaultInjector:
    """The app's fault injector."""
    injector: FaultInjector = current_app.extensions["payout_faults"]
    return injector


def init_app(app: Flask, clock: Callable[[], float]) -> FaultInjector:
    """Register the injector; must run before the session hooks so a dropped session counts."""
    injector = FaultInjector(app.config["PAYOUT_SETTINGS"].faults, clock=clock)
    app.extensions["payout_faults"] = injector
    app.before_request(injector.before_request)
    app.after_request(injector.after_request)
    return injector
