"""The application factory."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from console import db, display, security
from console.history import RunBook
from console.launcher import Launcher
from console.settings import CASE_WORKER, Settings
from console.uploads import too_big_message

# Room for the form's other fields besides the file itself.
FORM_OVERHEAD_BYTES = 64 * 1024

ERROR_MESSAGES = {
    400: "Begäran kunde inte behandlas. Ladda om sidan och försök igen.",
    403: "Du saknar behörighet för den här sidan.",
    404: "Sidan finns inte.",
    405: "Metoden är inte tillåten för den här sidan.",
    500: "Ett tekniskt fel inträffade. Försök igen senare eller kontakta driften.",
}


def create_app(settings: Settings, *, clock: Callable[[], float] = time.time) -> Flask:
    """Build the console. ``clock`` (seconds) drives session expiry."""
    settings.validate()
    for folder in (settings.data_dir, settings.uploads_dir, settings.runs_dir, settings.state_dir):
        folder.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__)
    app.config.update(
        CONSOLE_SETTINGS=settings,
        CONSOLE_CLOCK=clock,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + FORM_OVERHEAD_BYTES,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    launcher = Launcher(settings)
    app.extensions["console_launcher"] = launcher
    app.extensions["console_runbook"] = RunBook(settings, launcher)
    db.init_app(app)
    security.init_app(app)
    display.init_app(app)

    from console.auth import bp as auth_bp
    from console.casework import bp as casework_bp
    from console.operations import bp as operations_bp

    for blueprint in (auth_bp, casework_bp, operations_bp):
        app.register_blueprint(blueprint)
    app.add_url_rule("/", "home", home)

    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.after_request(_security_headers)
    return app


@security.login_required
def home() -> Response:
    """Each role's start page."""
    user = security.current_user()
    assert user is not None
    if user["role"] == CASE_WORKER:
        return redirect(url_for("casework.home"), code=303)
    return redirect(url_for("operations.history"), code=303)


def _error_response(status: int, message: str) -> Response:
    html = render_template("error.html", message=message, status=status)
    return Response(html, status=status, mimetype="text/html")


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status == 413:
        settings: Settings = current_app.config["CONSOLE_SETTINGS"]
        message = too_big_message(settings.max_upload_bytes)
    else:
        message = ERROR_MESSAGES.get(status, "Begäran kunde inte behandlas.")
    response = _error_response(status, message)
    if status == 405:
        for name, value in exc.get_headers():
            if name.lower() == "allow":
                response.headers["Allow"] = value
    return response


def _unexpected_error(exc: Exception) -> Response:
    # Only the exception type reaches the log: form values and files may hold personal data.
    current_app.logger.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.path)
    return _error_response(500, ERROR_MESSAGES[500])


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
    return response
