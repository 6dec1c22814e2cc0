"""Searching payments by reference, identity number and payout-date range.

An identity number never travels in a URL (proxy logs, browser history, a ``next=`` after an
expired session): the search form is sent by POST, and its result pages by POST too when it
holds one. A GET with ``personnummer`` is refused without echoing it. Reference and date
searches (the robot's) may still be opened by GET, with links between their pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
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


FIELDS = ("reference", "personnummer", "date_from", "date_to")
IN_URL_REFUSED = "Sök på personnummer med sökformuläret: personnummer skickas aldrig i adressen."


def _int_arg(source: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole-number parameter within ``low..high``; ``default`` when it is not a number."""
    raw = source.get(name, "").strip()
    digits = raw.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):
        return default
    if raw.startswith("-"):
        return low
    return high if len(digits) > len(str(high)) else min(high, max(low, int(digits)))


def _date_arg(source: Mapping[str, str], name: str, errors: dict[str, str]) -> dt.date | None:
    raw = source.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Ogiltigt datum. Skriv ÅÅÅÅ-MM-DD."
        return None


@bp.route("/payments/search", methods=["GET", "POST"])
@login_required
def search() -> tuple[str, int] | str:
    """The search form and, when any parameter is given, the results (ordered by payment number)."""
    source: Mapping[str, str] = request.form if request.method == "POST" else request.args
    values = {name: source.get(name, "").strip() for name in FIELDS}
    errors: dict[str, str] = {}
    personnummer = None
    if request.method == "GET" and values["personnummer"]:
        values["personnummer"] = ""  # not shown again: it is not kept anywhere
        errors["personnummer"] = IN_URL_REFUSED
    elif values["personnummer"]:
        try:
            personnummer = normalize_identity(values["personnummer"])
        except InvalidIdentity:
            errors["personnummer"] = "Ogiltigt personnummer eller samordningsnummer."
    filters = store.PaymentFilter(
        reference=values["reference"] or None,
        personnummer=personnummer,
        date_from=_date_arg(source, "date_from", errors),
        date_to=_date_arg(source, "date_to", errors),
    )
    per_page = _int_arg(source, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    page = _int_arg(source, "page", 1, 1, MAX_PAGE)
    searched = any(name != "csrf_token" for name in source)
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
        by_post = bool(personnummer)  # pages of an identity-number search: buttons, never links
        context.update(
            total=total,
            payments=rows,
            page=page,
            page_fields=args,
            pages_by_post=by_post,
            next_page=page + 1 if has_next else None,
            prev_page=page - 1 if page > 1 else None,
            next_url=url_for("search.search", **args, page=page + 1) if has_next and not by_post else None,
            prev_url=url_for("search.search", **args, page=page - 1) if page > 1 and not by_post else None,
        )
    return render_template("search/search.html", **context)
