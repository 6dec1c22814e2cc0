"""The application factory: the stand-in's parts on ``webcommon``'s app."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask

from payout_system import db, display, faults, security, store
from payout_system.settings import APP, Settings
from webcommon.app import Layout, WebApp, create_web_app

LAYOUT = Layout(
    system_name="Utbetalningssystemet",
    title="Utbetalningssystemet",
    footer="Utbetalningssystemet – ekonomiskt bistånd",
)
ERROR_MESSAGES = {404: "Sidan eller utbetalningen finns inte."}
# The stylesheet changes only with a new release: browsers keep it for an hour instead of
# asking for it again at every page.
STATIC_MAX_AGE_SECONDS = 3600


def create_app(settings: Settings, *, clock: Callable[[], float] = time.time) -> Flask:
    """Build the payout-system app. ``clock`` (seconds) drives session expiry and login throttling."""
    settings.validate()
    web = WebApp(
        settings=settings,
        database=settings.db_path,
        schema=db.APP_SCHEMA,
        cookie_name=security.COOKIE_NAME,
        record_event=store.add_audit,
        home_endpoint="payments.home",
        uses_sessions=security.is_ui_request,
        layout=LAYOUT,
        clock=clock,
        error_messages=ERROR_MESSAGES,
        json_errors=security.is_api_request,
        drop_session=security.fault_drops_session,
        static_max_age=STATIC_MAX_AGE_SECONDS,
        identity=APP,
    )

    def before_sessions(app: Flask) -> None:
        app.config.update(PAYOUT_SETTINGS=settings, PAYOUT_CLOCK=clock)
        # Faults first: a request answered by a fault never reaches the session layer or a view.
        faults.init_app(app, clock)

    app = create_web_app(__name__, web, before_sessions=before_sessions)
    display.init_app(app)

    from payout_system.api import bp as api_bp
    from payout_system.audit import bp as audit_bp
    from payout_system.auth import bp as auth_bp
    from payout_system.payments import bp as payments_bp
    from payout_system.search import bp as search_bp

    for blueprint in (auth_bp, payments_bp, search_bp, audit_bp, api_bp):
        app.register_blueprint(blueprint)
    return app
