"""The follow-up's figures as published: small groups withheld (docs/follow-up.md).

Any figure that counts fewer than ``SUPPRESSION_THRESHOLD`` households, and any amount summed
over fewer, is withheld: ``None`` here (``null`` in ``uppfoljning.json``), "färre än 5" in the
workbook, the CSV and the console, and its key path listed in ``withheld``. Shares are given
only when every figure they are made of is shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from splitpayout.jobs.followup.collect import FollowUpCounts, Tally
from splitpayout.jobs.followup.statistics import AMOUNT_KEYS, HOUSEHOLD_KEYS

SUPPRESSION_THRESHOLD = 5
WITHHELD_TEXT = "färre än 5"
# The households each amount is summed over.
_AMOUNT_BASE = {key: key for key in AMOUNT_KEYS}


def published(tally: Tally, threshold: int = SUPPRESSION_THRESHOLD) -> dict[str, Any]:
    """One month's (or the period's) figures, with what counts fewer than ``threshold`` withheld."""
    withheld: list[str] = []

    def shown(path: str, value: int, households: int) -> int | None:
        if households < threshold:
            withheld.append(path)
            return None
        return value

    households = {
        key: shown(f"households.{key}", tally.households[key], tally.households[key])
        for key in HOUSEHOLD_KEYS
    }
    amounts = {
        key: shown(f"amount_ore.{key}", tally.amount_ore[key], tally.households_with[_AMOUNT_BASE[key]])
        for key in AMOUNT_KEYS
    }
    # Over the households paid, and those the payments belong to (which may include a decision
    # that a later run completed): the smaller of the two decides.
    registered = shown(
        "payments_registered",
        tally.payments_registered,
        min(tally.households["paid"], tally.households_registered),
    )
    manual = {
        code: shown(f"manual_by_reason.{code}", number, number)
        for code, number in sorted(tally.manual_by_reason.items())
    }
    document: dict[str, Any] = {
        "households": households,
        "amount_ore": amounts,
        "payments_registered": registered,
        "manual_by_reason": manual,
        "manual_decisions": shown("manual_decisions", tally.manual, tally.manual),
        "not_completed": shown("not_completed", tally.not_completed, tally.not_completed),
        "protected_left_out": shown("protected_left_out", tally.protected_left_out, tally.protected_left_out),
        "share_percent": {
            "to_women": _share(amounts["to_women"], amounts["to_women"], amounts["to_men"]),
            "to_men": _share(amounts["to_men"], amounts["to_women"], amounts["to_men"]),
            "split_households": _share(households["split"], households["paid"], 0),
        },
    }
    # A share made of a withheld figure is withheld too.
    withheld += [f"share_percent.{key}" for key, value in document["share_percent"].items() if value is None]
    document["withheld"] = withheld
    return document


def _share(part: int | None, first: int | None, second: int | None) -> float | None:
    """``part`` of ``first + second`` in percent with one decimal; None when one is withheld or both are 0
    (the split households' share is of the households paid: ``second`` is 0)."""
    if part is None or first is None or second is None or first + second == 0:
        return None
    return round(100 * part / (first + second), 1)


def follow_up_document(
    counts: FollowUpCounts, *, created: dt.datetime, threshold: int = SUPPRESSION_THRESHOLD
) -> dict[str, Any]:
    """``uppfoljning.json``: the period, each month's figures and the period's, small groups withheld."""
    return {
        "from": counts.period.first.isoformat(),
        "to": counts.period.last.isoformat(),
        "suppression_threshold": threshold,
        "created_at": created.isoformat(timespec="seconds"),
        "runs_read": counts.runs_read,
        "runs_without_statistics": counts.runs_without_statistics,
        "months": [{"month": month, **published(tally, threshold)} for month, tally in counts.months.items()],
        "total": published(counts.total(), threshold),
    }
