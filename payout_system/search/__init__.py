"""Searching payments by reference, identity number and payout-date range."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, render_template, request, url_for

from payout_system import store
from payout_system.db import get_db
from payout_system.security import login_required
from swedish_rules import InvalidIdentity, normalize_identity

bp = Blueprint("search", __name__, template_folder="templates")

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
# Far beyond any real result; keeps the offset inside SQLite's 64-bit integers.
MAX_PAGE = 1_000_000


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    """A whole-number parameter within ``low..high``; ``default`` when it is not a number."""
    raw = request.args.get(name, "").strip()
    digits = raw.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):
        return default
    if raw.startswith("-"):
        return low
    return high if len(digits) > len(str(high)) else min(high, max(low, int(digits)))


def _date_arg(name: str, errors: dict[str, str]) -> dt.date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Ogiltigt datum. Skriv ÅÅÅÅ-MM-DD."
        return None


@bp.route("/payments/search")
@login_required
def search() -> tuple[str, int] | str:
    """The search form and, when any parameter is given, the results (ordered by payment number)."""
    values = {
        name: request.args.get(name, "").strip()
        for name in ("reference", "personnummer", "date_from", "date_to")
    }
    errors: dict[str, str] = {}
    personnummer = None
    if values["personnummer"]:
        try:
            personnummer = normalize_identity(values["personnummer"])
        except InvalidIdentity:
            errors["personnummer"] = "Ogiltigt personnummer eller samordningsnummer."
    filters = store.PaymentFilter(
        reference=values["reference"] or None,
        personnummer=personnummer,
        date_from=_date_arg("date_from", errors),
        date_to=_date_arg("date_to", errors),
    )
    per_page = _int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    page = _int_arg("page", 1, 1, MAX_PAGE)
    searched = bool(request.args)
    context: dict[str, Any] = {"values": values, "errors": errors, "searched": searched, "per_page": per_page}
    if errors:
        return render_template("search/search.html", **context), 422
    if searched:
        conn = get_db()
        total = store.count_payments(conn, filters)
        rows = store.find_payments(conn, filters, limit=per_page, offset=(page - 1) * per_page)
        args: dict[str, Any] = {k: v for k, v in values.items() if v}
        args["per_page"] = str(per_page)
        has_next = page * per_page < total
        context.update(
            total=total,
            payments=rows,
            page=page,
            next_url=url_for("search.search", **args, page=page + 1) if has_next else None,
            prev_url=url_for("search.search", **args, page=page - 1) if page > 1 else None,
        )
    return render_template("search/search.html", **context)
