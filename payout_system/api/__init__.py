"""The read-only JSON API for reconciliation and tests (bearer token; never fault-injected)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from werkzeug.wrappers import Response

from payout_system import store
from payout_system.db import get_db
from payout_system.settings import Settings

bp = Blueprint("api", __name__, url_prefix="/api")

# A payment as the API shows it: its number, what was registered, its status and who registered it when.
FIELDS = (
    "payment_number",
    *(field.name for field in dataclasses.fields(store.NewPayment)),
    "status",
    "created_by",
    "created_at",
)


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="payout-system"'
    return response


def _authorized() -> bool:
    settings: Settings = current_app.config["PAYOUT_SETTINGS"]
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(token.strip().encode(), settings.api_token.encode())


@bp.route("/health")
def health() -> Response:
    """Liveness: no token needed."""
    return jsonify({"status": "ok"})


@bp.route("/payments")
def payments() -> Response:
    """All payments, optionally filtered by ``reference`` (exact, case-insensitive) and ``payout_date``."""
    if not _authorized():
        return _error(401, "missing or wrong bearer token")
    payout_date = None
    if request.args.get("payout_date"):
        try:
            payout_date = dt.date.fromisoformat(request.args["payout_date"])
        except ValueError:
            return _error(400, "payout_date must be YYYY-MM-DD")
    filters = store.PaymentFilter(
        reference=request.args.get("reference") or None, date_from=payout_date, date_to=payout_date
    )
    rows = store.find_payments(get_db(), filters)
    result: list[dict[str, Any]] = [{name: row[name] for name in FIELDS} for row in rows]
    return jsonify(result)
