"""Planning every payment of the export: the split and the rules of docs/rules.md §2 and §3.

Three layers, each plain Python without Robot Framework:

* ``parse_row`` (``planning/parsing.py``): one raw row -> a ``Decision``, or a ``manual``
  plan with ``invalid_row`` naming every column that cannot be read;
* ``plan_decision`` (``planning/payments.py``, over the named checks ``RULES`` of
  ``planning/rules.py``): one decision -> its payments, or ``manual`` with every reason that
  applies (pure: the same decision, day and limit always give the same plan);
* ``plan_export`` (``planning/export.py``): the whole file, streamed, with duplicate
  decision numbers found. It reads the file twice: the decision numbers first (memory holds
  only that set, and a file damaged anywhere is refused before any plan is yielded), then
  plans row by row.

Each choice made here (passed dates, protected identity, shares, accounts, duplicates,
the message) is a rule of docs/rules.md and is stated there. This module gathers the names
callers use; the work is in ``splitpayout.planning``.
"""

from splitpayout.planning.export import DecisionIndex, index_decisions, plan_export
from splitpayout.planning.parsing import DEFAULT_SHARE_BP, parse_row
from splitpayout.planning.payments import build_payments, plan_decision, plan_row
from splitpayout.planning.rules import (
    DEFAULT_AMOUNT_LIMIT_ORE,
    FULL_SHARE_BP,
    PERSONKONTO_CLEARINGS,
    RULES,
    Case,
    PlanningRules,
    Rule,
    make_case,
    ocr_digits,
    payment_message,
    split_amount,
)
from splitpayout.reader import read_header
from splitpayout.references import decision_key

__all__ = [
    "DEFAULT_AMOUNT_LIMIT_ORE",
    "DEFAULT_SHARE_BP",
    "FULL_SHARE_BP",
    "PERSONKONTO_CLEARINGS",
    "RULES",
    "Case",
    "DecisionIndex",
    "PlanningRules",
    "Rule",
    "build_payments",
    "decision_key",
    "index_decisions",
    "make_case",
    "ocr_digits",
    "parse_row",
    "payment_message",
    "plan_decision",
    "plan_export",
    "plan_row",
    "read_header",
    "split_amount",
]
