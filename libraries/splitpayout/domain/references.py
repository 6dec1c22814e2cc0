"""One identity of a payment, end to end: the decision number and the reference made from it.

A payment's reference (``<Beslutsnummer>/1``, ``/2`` or ``/D``) is what the payout system
stores, what its search finds and what the ledger keys on. It is made here, checked here and
compared here (docs/rules.md §1.2, §4). A decision number is usable only when it survives
every hop unchanged: typed into a single-line browser field, stored, searched and compared.
So it may hold only letters A–Ö/a–ö, digits, ``-``, ``_`` and ``.``, at most ``MAX_DECISION_NUMBER`` (37)
characters, so that the reference fits the payout system's 40 with room to spare.
Anything else (a line break, a tab, a byte-order mark, a space inside, a ``/``) is refused
at planning, never "cleaned up": the robot does not guess which decision was meant.
"""

from __future__ import annotations

import re
import unicodedata

from splitpayout.domain.contract import LIMITS

#: A payment's suffix after the decision number: sökande 1, sökande 2, direct payment.
SUFFIXES = ("1", "2", "D")
# docs/rules.md §1.2: at most 37 characters, fewer when the payout system's references are
# shorter than 40 (a reference is the decision number, "/" and a one-character suffix).
MAX_DECISION_NUMBER = min(37, LIMITS.reference - 2)
_DECISION_NUMBER = re.compile(r"[A-Za-z0-9ÅÄÖåäö_.\-]+")


def decision_number_problem(text: str) -> str | None:
    """Why ``text`` (already trimmed) cannot be a decision number, or None when it can.

    The explanation names the kind of problem, never the value itself.
    """
    if not text:
        return "the decision number is empty"
    if len(text) > MAX_DECISION_NUMBER:
        return f"the decision number is longer than {MAX_DECISION_NUMBER} characters"
    if _DECISION_NUMBER.fullmatch(text) is None:
        return (
            "the decision number holds a character other than letters A–Ö, digits, '-', '_' and '.'"
            " (for example a line break, a space or an invisible character)"
        )
    return None


def payment_reference(decision_id: str, suffix: str) -> str:
    """The reference of one payment of a decision, exactly as the payout system stores it."""
    if suffix not in SUFFIXES:
        raise ValueError(f"expected a payment suffix in {SUFFIXES}, got {suffix!r}")
    problem = decision_number_problem(decision_id)
    if problem is not None:
        raise ValueError(f"cannot make a payment reference: {problem}")
    return f"{decision_id}/{suffix}"


def reference_key(reference: str) -> str:
    """How references are compared: the payout system finds them ignoring letter case."""
    return reference.strip().casefold()


def decision_key(decision_id: str) -> str:
    """How decision numbers are compared for duplicates: ignoring letter case and surrounding space."""
    return decision_id.strip().casefold()


def shown(text: str) -> str:
    """``text`` safe for one line of a log, a report or a page: control, format and separator
    characters become visible escapes (``WS-3\\nNL``), so an odd decision number can still be
    recognised but never breaks a line or hides a character."""
    out: list[str] = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char != " " and unicodedata.category(char) in _INVISIBLE:
            escaped = char.encode("unicode_escape").decode("ascii")
            out.append(escaped if escaped != char else f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


# Unicode categories that cannot be seen or break a line: controls, format characters,
# line and paragraph separators, surrogates, private use and unassigned code points,
# and every space but the ordinary one.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})
