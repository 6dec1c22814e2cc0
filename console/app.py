"""The application factory: the console's parts on ``webcommon``'s app."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, redirect, url_for
from werkzeug.wrappers import Response

from console import db, display, runstate, security, store
from console.history import RunBook
from console.launcher import Launcher
from console.settings import APP, CASE_WORKER, FOLLOW_UP, Settings
from console.uploads import too_big_message
from webcommon.app import Layout, WebApp, create_web_app
from webcommon.files import private_dir

LAYOUT = Layout(
    system_name="Robotkonsolen – delad utbetalning",
    title="Robotkonsolen",
    footer="Robotkonsolen – ekonomiskt bistånd, delad utbetalning",
    scripts=("console.js",),
    skip_link="Hoppa till innehållet",
    nav_label="Huvudmeny",
    login_hints=True,
)
# Room for the form's other fields besides the file itself.
FORM_OVERHEAD_BYTES = 64 * 1024


def create_app(settings: Settings, *, clock: Callable[[], float] = time.time) -> Flask:
    """Build the console. ``clock`` (seconds) drives session expiry and login throttling."""
    settings.validate()
    for folder in (settings.data_dir, settings.uploads_dir, settings.runs_dir, settings.state_dir):
        private_dir(folder)
    web = WebApp(
        settings=settings,
        database=settings.database_path,
        schema=db.APP_SCHEMA,
        cookie_name=security.COOKIE_NAME,
        record_event=store.add_event,
        home_endpoint="home",
        layout=LAYOUT,
        clock=clock,
        error_messages={
            413: too_big_message(settings.max_upload_bytes),
            500: "Ett tekniskt fel inträffade. Försök igen senare eller kontakta driften.",
        },
        max_content_length=settings.max_upload_bytes + FORM_OVERHEAD_BYTES,
        identity=APP,
    )
    app = create_web_app(__name__, web)
    app.config.update(CONSOLE_SETTINGS=settings, CONSOLE_CLOCK=clock)
    launcher = Launcher(settings)
    app.extensions[security.LAUNCHER_KEY] = launcher
    app.extensions[security.RUNBOOK_KEY] = RunBook(settings, launcher)
    display.init_app(app)
    app.jinja_env.filters["state_text"] = runstate.state_text
    app.jinja_env.filters["kind_text"] = runstate.kind_text

    from console.auth import bp as auth_bp
    from console.casework import bp as casework_bp
    from console.followup import bp as followup_bp
    from console.operations import bp as operations_bp

    for blueprint in (auth_bp, casework_bp, operations_bp, followup_bp):
        app.register_blueprint(blueprint)
    app.add_url_rule("/", "home", home)
    return app


@security.login_required
def home() -> Response:
    """Each role's start page."""
    user = security.current_user()
    assert user is not None
    if user["role"] == CASE_WORKER:
        return redirect(url_for("casework.home"), code=303)
    if user["role"] == FOLLOW_UP:
        return redirect(url_for("followup.page"), code=303)
    return redirect(url_for("operations.history"), code=303)
