"""The application factory."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from payout_system import db, display, faults, security
from payout_system.settings import Settings

ERROR_MESSAGES = {
    400: "Begäran kunde inte behandlas. Ladda om sidan och försök igen.",
    403: "Du saknar behörighet för den här sidan.",
    404: "Sidan eller utbetalningen finns inte.",
    405: "Metoden är inte tillåten för den här sidan.",
    413: "Begäran är för stor.",
    500: "Ett tekniskt fel inträffade. Försök igen senare.",
}


def create_app(settings: Settings, *, clock: Callable[[], float] = time.time) -> Flask:
    """Build the payout-system app. ``clock`` (seconds) drives session expiry."""
    settings.validate()
    app = Flask(__name__)
    app.config.update(
        PAYOUT_SETTINGS=settings,
        PAYOUT_CLOCK=clock,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=64 * 1024,
        # The stylesheet changes only with a new release: browsers keep it for an hour instead
        # of asking for it again at every page.
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    db.init_app(app)
    # Faults first: a request answered by a fault never reaches the session layer or a view.
    faults.init_app(app, clock)
    security.init_app(app)
    display.init_app(app)

    from payout_system.api import bp as api_bp
    from payout_system.audit import bp as audit_bp
    from payout_system.auth import bp as auth_bp
    from payout_system.payments import bp as payments_bp
    from payout_system.search import bp as search_bp

    for blueprint in (auth_bp, payments_bp, search_bp, audit_bp, api_bp):
        app.register_blueprint(blueprint)

    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.after_request(_security_headers)
    return app


def _error_response(status: int, message: str) -> Response:
    if request.path.startswith("/api/"):
        response = jsonify({"error": message, "status": status})
        response.status_code = status
        return response
    html = render_template("error.html", message=message, status=status)
    return Response(html, status=status, mimetype="text/html")


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    response = _error_response(status, ERROR_MESSAGES.get(status, exc.description or "Fel."))
    if status == 405 and exc.get_headers():
        for name, value in exc.get_headers():
            if name.lower() == "allow":
                response.headers["Allow"] = value
    return response


def _unexpected_error(exc: Exception) -> Response:
    # Only the exception type reaches the log: form values may hold personal data.
    from flask import current_app

    current_app.logger.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.path)
    return _error_response(500, ERROR_MESSAGES[500])


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'")
    return response
