"""A new release of the payout system, played on demand (off by default).

The robot must notice when the application it drives changes under it (docs/rules.md §4.9).
These switches make the stand-in behave like a release that does, for tests and demos:

- ``store_differently``: the named fields are stored other than typed: ``amount`` in whole
  kronor (the öre dropped), ``payout_date`` one day later, ``name`` in capitals, ``message``
  cut to its first 10 characters; the confirmation shows what was stored.
- ``required_field``: the form asks for a new text field of that name, refused when empty.
- ``renamed_field``: the named form field has another id and name (``<field>_v2``); the form
  reads it under the new name.
- ``extra_step``: after the form, a page "Bekräfta utbetalning" (``data-page="confirm-payment"``)
  must be confirmed before the payment is stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from payout_system.store import NewPayment

#: The payment form's fields (as ``payments.forms.FIELDS``, which this module cannot import: the
#: settings import it before the blueprint exists).
FIELDS = (
    "personnummer",
    "name",
    "method",
    "clearing",
    "account",
    "bankgiro",
    "ocr",
    "amount",
    "payout_date",
    "reference",
    "message",
)
RENAMED_SUFFIX = "_v2"
EXTRA_STEP_FIELD = "confirmed"
MESSAGE_KEPT = 10

#: How each field a release may store differently is changed.
_STORED: dict[str, Callable[[NewPayment], dict[str, object]]] = {
    "amount": lambda p: {"amount_ore": max(100, p.amount_ore // 100 * 100)},
    "payout_date": lambda p: {"payout_date": p.payout_date + dt.timedelta(days=1)},
    "name": lambda p: {"name": p.name.upper()},
    "message": lambda p: {"message": p.message[:MESSAGE_KEPT]},
}
STORABLE_DIFFERENTLY = tuple(_STORED)


class ReleaseError(ValueError):
    """A release switch names something the stand-in cannot play."""


@dataclass(frozen=True)
class ReleaseSettings:
    """Which changes of a new release are played; none by default."""

    store_differently: tuple[str, ...] = ()
    required_field: str | None = None
    renamed_field: str | None = None
    extra_step: bool = False

    @property
    def enabled(self) -> bool:
        return bool(self.store_differently or self.required_field or self.renamed_field or self.extra_step)

    def validate(self) -> None:
        """Raise ReleaseError for a switch the stand-in cannot play."""
        unknown = [name for name in self.store_differently if name not in _STORED]
        if unknown:
            raise ReleaseError(
                f"store-differently takes {', '.join(STORABLE_DIFFERENTLY)}, got {', '.join(unknown)}"
            )
        if self.renamed_field is not None and self.renamed_field not in FIELDS:
            raise ReleaseError(
                f"renamed-field takes a form field ({', '.join(FIELDS)}), got {self.renamed_field}"
            )
        required = self.required_field
        if required is not None and (required in FIELDS or not required.isidentifier()):
            raise ReleaseError(
                f"required-field must be a new field name (letters, digits, _), got {required!r}"
            )

    def field_id(self, name: str) -> str:
        """The id and name of the form field ``name`` in this release."""
        return name + RENAMED_SUFFIX if name == self.renamed_field else name

    def form_values(self, form: Mapping[str, str]) -> dict[str, str]:
        """The form's fields under the names the validation knows."""
        return {name: form.get(self.field_id(name)) or "" for name in FIELDS}

    def extra_values(self, form: Mapping[str, str]) -> dict[str, str]:
        """The new required field as entered, to show the form again."""
        return {self.required_field: form.get(self.required_field) or ""} if self.required_field else {}

    def extra_error(self, form: Mapping[str, str]) -> dict[str, str]:
        """The refusal of the new required field, when it is empty."""
        if self.required_field and not (form.get(self.required_field) or "").strip():
            return {self.required_field: "Ange " + self.required_field.replace("_", " ") + "."}
        return {}

    def stored(self, payment: NewPayment) -> NewPayment:
        """The payment as this release stores it."""
        for name in self.store_differently:
            payment = dataclasses.replace(payment, **_STORED[name](payment))  # type: ignore[arg-type]
        return payment
