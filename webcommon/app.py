"""The app factory both apps build on: database, sessions, error pages and response headers.

An app describes itself in a ``WebApp`` (its settings' common part, database, cookie, texts,
which requests use sessions, its ``Layout``); ``create_web_app`` builds the Flask app from it,
and the app adds its own blueprints. The page skeleton (``base.html``), the error page and the
login page are this package's templates (``webcommon/templates``), filled in from the app's
``Layout``; an app's own ``templates/_nav.html`` holds its menu links, and its ``style.css`` its
colours. Every response but a static file gets ``Cache-Control: no-store`` (pages, the JSON API
and downloads may all hold personal data), the security headers, a Permissions-Policy, and in
production HSTS.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from webcommon import db, security
from webcommon.files import printable
from webcommon.settings import PRODUCTION, AppIdentity, CommonSettings, users_file_reader
from webcommon.throttle import THROTTLE_SCHEMA
from webcommon.users import LiveUsers

_APP_KEY = "webcommon_app"
_USERS_KEY = "webcommon_users"

DEFAULT_ERROR = "Begäran kunde inte behandlas."
ERROR_MESSAGES: Mapping[int, str] = {
    400: "Begäran kunde inte behandlas. Ladda om sidan och försök igen.",
    403: "Du saknar behörighet för den här sidan.",
    404: "Sidan finns inte.",
    405: "Metoden är inte tillåten för den här sidan.",
    413: "Begäran är för stor.",
    500: "Ett tekniskt fel inträffade. Försök igen senare.",
}
CONTENT_SECURITY_POLICY = "default-src 'self'; frame-ancestors 'none'"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
HSTS = "max-age=31536000"

# Records one login event in the app's own trail: (connection, username, action).
RecordEvent = Callable[[sqlite3.Connection, str, str], None]


def _never() -> bool:
    return False


def _not_static() -> bool:
    """Every request but a static file's."""
    return not request.path.startswith("/static/")


@dataclass(frozen=True)
class Layout:
    """What the shared page skeleton shows for one app (templates read it as ``app_layout``)."""

    system_name: str  # the header's name
    title: str  # after each page's title in <title>
    footer: str
    scripts: tuple[str, ...] = ()  # static files every page loads (deferred)
    skip_link: str | None = None  # the "skip to content" link's text, if the app has one
    nav_label: str | None = None  # the menu's accessible name, if the app gives it one
    login_hints: bool = False  # autocomplete and required on the login fields


@dataclass(frozen=True)
class WebApp:
    """What differs between the apps; everything else is the same code."""

    settings: CommonSettings = field(repr=False)  # read: mode, secret key, users and idle time
    database: Path
    schema: str
    cookie_name: str
    record_event: RecordEvent
    home_endpoint: str
    layout: Layout
    clock: Callable[[], float] = time.time
    uses_sessions: Callable[[], bool] = _not_static
    error_messages: Mapping[int, str] = field(default_factory=dict)
    json_errors: Callable[[], bool] = _never
    drop_session: Callable[[], bool] | None = None
    max_content_length: int = 64 * 1024
    static_max_age: int | None = None
    expired_notice: str = security.EXPIRED_NOTICE
    # Roles and demo values, to re-read the users file as at start (None: the users never change).
    identity: AppIdentity | None = field(default=None, repr=False)

    @property
    def production(self) -> bool:
        return self.settings.env == PRODUCTION


def web_app() -> WebApp:
    """The running app's description."""
    value: WebApp = current_app.extensions[_APP_KEY]
    return value


def live_users() -> LiveUsers:
    """The running app's accounts as its users file says now."""
    value: LiveUsers = current_app.extensions[_USERS_KEY]
    return value


def _live_users(web: WebApp) -> LiveUsers:
    settings = web.settings
    if web.identity is None or settings.users_file is None:
        return LiveUsers(None, settings.users, lambda _path: settings.users)
    return LiveUsers(settings.users_file, settings.users, users_file_reader(web.identity, settings.env))


def create_web_app(
    import_name: str, web: WebApp, *, before_sessions: Callable[[Flask], None] | None = None
) -> Flask:
    """A Flask app with the database, sessions, CSRF, error pages and headers set up.

    ``before_sessions`` runs between the database and the session layer (the stand-in's
    fault injection answers some requests before they reach a session).
    """
    app = Flask(import_name)
    app.config.update(SECRET_KEY=web.settings.secret_key, MAX_CONTENT_LENGTH=web.max_content_length)
    if web.static_max_age is not None:
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = web.static_max_age
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[_APP_KEY] = web
    users = app.extensions[_USERS_KEY] = _live_users(web)
    app.jinja_env.globals["app_layout"] = web.layout
    # The shared templates come after the app's own folder and before its blueprints' ones.
    app.register_blueprint(Blueprint("webcommon", __name__, template_folder="templates"))
    db.init_app(app, web.database, db.SESSIONS_SCHEMA + THROTTLE_SCHEMA + web.schema)
    if before_sessions is not None:
        before_sessions(app)
    session_config = security.SessionConfig(
        cookie_name=web.cookie_name,
        expired_notice=web.expired_notice,
        secret_key=web.settings.secret_key,
        idle_seconds=web.settings.session_idle_seconds,
        max_seconds=web.settings.session_max_seconds,
        find_user=users.find,
        clock=web.clock,
        applies_to=web.uses_sessions,
        secure_cookie=web.production,
        drop_session=web.drop_session,
    )
    security.init_app(app, session_config)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.after_request(_headers)
    return app


def _message(status: int) -> str:
    own = web_app().error_messages
    return own.get(status) or ERROR_MESSAGES.get(status, DEFAULT_ERROR)


def error_response(status: int, message: str) -> Response:
    """The error page (or, for the JSON API, ``{"error", "status"}``) with ``status``."""
    if web_app().json_errors():
        response = jsonify({"error": message, "status": status})
        response.status_code = status
        return response
    html = render_template("error.html", message=message, status=status)
    return Response(html, status=status, mimetype="text/html")


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    response = error_response(status, _message(status))
    if status == 405:
        for name, value in exc.get_headers():
            if name.lower() == "allow":
                response.headers["Allow"] = value
    return response


def _unexpected_error(exc: Exception) -> Response:
    # Only the exception type and the path reach the log: form values and files may hold
    # personal data, and a path's control characters could forge log lines.
    current_app.logger.error(
        "unhandled %s on %s %s", type(exc).__name__, request.method, printable(request.path)
    )
    return error_response(500, _message(500))


def _headers(response: Response) -> Response:
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if web_app().production:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
