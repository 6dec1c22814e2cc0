"""The audit trail: who logged in or out, registered or attested what, and when."""

from __future__ import annotations

from flask import Blueprint, render_template

from payout_system import store
from payout_system.db import get_db
from payout_system.security import role_required
from payout_system.settings import ATTESTANT

bp = Blueprint("audit", __name__, template_folder="templates")

SHOWN_ENTRIES = 500


@bp.route("/audit")
@role_required(ATTESTANT)
def audit_log() -> str:
    """The latest events, newest first."""
    return render_template("audit/audit.html", entries=store.audit_entries(get_db(), SHOWN_ENTRIES))
