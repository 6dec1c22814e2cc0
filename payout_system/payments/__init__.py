"""Start page, registering a payment, its confirmation, its detail page and attesting it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from payout_system import store
from payout_system.db import get_db
from payout_system.faults import get_injector
from payout_system.payments.forms import METHODS, validate_payment
from payout_system.release import EXTRA_STEP_FIELD, ReleaseSettings
from payout_system.security import current_user, flash, login_required, role_required
from payout_system.settings import ATTESTANT, REGISTRAR, Settings

bp = Blueprint("payments", __name__, template_folder="templates")

PAYMENT_NUMBER = re.compile(r"^U-\d{6,}$")


def _today() -> dt.date:
    clock: Callable[[], float] = current_app.config["PAYOUT_CLOCK"]
    return dt.date.fromtimestamp(clock())


def _payment_or_404(payment_number: str) -> dict[str, object]:
    if not PAYMENT_NUMBER.match(payment_number):
        abort(404)
    row = store.get_payment(get_db(), payment_number)
    if row is None:
        abort(404)
    return dict(row)


@bp.route("/")
@login_required
def home() -> str:
    """The start page."""
    return render_template("payments/home.html", user=current_user())


def _form(values: Mapping[str, str], errors: Mapping[str, str], release: ReleaseSettings) -> str:
    return render_template(
        "payments/new.html", values=values, errors=errors, methods=METHODS, release=release
    )


@bp.route("/payments/new", methods=["GET", "POST"])
@role_required(REGISTRAR)
def new_payment() -> Response | str | tuple[str, int]:
    """The "Ny utbetalning" form; a valid POST stores the payment and redirects to its receipt.

    A release played by the stand-in (``release.py``) may rename a field, ask for a new one, add a
    confirmation step or store a field differently.
    """
    settings: Settings = current_app.config["PAYOUT_SETTINGS"]
    release = settings.release
    if request.method == "GET":
        return _form({"method": "KONTO"}, {}, release)
    payment, errors, values = validate_payment(
        release.form_values(request.form), _today(), max_amount_ore=settings.max_payment_ore
    )
    errors = {**errors, **release.extra_error(request.form)}
    if payment is None or errors:
        return _form({**values, **release.extra_values(request.form)}, errors, release), 422
    if release.extra_step and request.form.get(EXTRA_STEP_FIELD) != "1":
        fields = {name: value for name, value in request.form.items() if name != "csrf_token"}
        return render_template("payments/confirm.html", fields=fields, step_field=EXTRA_STEP_FIELD)
    user = current_user()
    assert user is not None  # guaranteed by role_required
    payment_number = store.insert_payment(get_db(), release.stored(payment), user["username"])
    get_injector().slow_save()
    return redirect(url_for("payments.receipt", payment_number=payment_number), code=303)


@bp.route("/payments/<payment_number>/kvitto")
@login_required
def receipt(payment_number: str) -> str:
    """The confirmation page after registering."""
    return render_template("payments/receipt.html", payment=_payment_or_404(payment_number))


@bp.route("/payments/<payment_number>")
@login_required
def detail(payment_number: str) -> str:
    """One payment, with the attest button for attestants."""
    return render_template("payments/detail.html", payment=_payment_or_404(payment_number))


@bp.route("/payments/<payment_number>/attest", methods=["POST"])
@role_required(ATTESTANT)
def attest(payment_number: str) -> Response:
    """Approve a registered payment (registrerad -> attesterad)."""
    _payment_or_404(payment_number)
    user = current_user()
    assert user is not None  # guaranteed by role_required
    if store.attest_payment(get_db(), payment_number, user["username"]):
        flash("info", f"Utbetalning {payment_number} är attesterad.")
    else:
        flash("error", f"Utbetalning {payment_number} är redan attesterad.")
    return redirect(url_for("payments.detail", payment_number=payment_number), code=303)
