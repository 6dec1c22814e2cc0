"""The whole export, streamed: the first pass finds repeated decision numbers, the second plans
row by row (docs/rules.md §1 and §3)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from splitpayout.adapters import reader
from splitpayout.adapters.reader import StrPath
from splitpayout.domain.cells import parse_text, parse_yes_no
from splitpayout.domain.errors import CellError, ExportFileError
from splitpayout.domain.export_columns import DECISION, PROTECTED, SPLIT
from splitpayout.domain.models import DecisionPlan, Outcome, Reason
from splitpayout.domain.planning.parsing import is_protected, protected_plan
from splitpayout.domain.planning.payments import plan_row
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.domain.reasons import ReasonCode
from splitpayout.domain.references import decision_key, shown


@dataclass
class DecisionIndex:
    """The first pass over the file: which decision numbers repeat, which are protected."""

    decisions: int = 0
    duplicates: set[str] = field(default_factory=set)  # decision_key of numbers on more than one row
    protected: set[str] = field(default_factory=set)  # decision_key of numbers with a protected row


def index_decisions(path: StrPath, *, max_decisions: int) -> DecisionIndex:
    """Read only the decision numbers and protection flags of the whole file (first pass).

    Raises ``ExportFileError`` (``export_too_large``) as soon as the file proves too large.
    """
    index = DecisionIndex()
    seen: set[str] = set()
    header = reader.read_header(path, max_decisions=max_decisions)
    needed = reader.missing_for_split(header)
    columns = (DECISION, PROTECTED, SPLIT)
    for row_number, raw in reader.iter_rows(path, columns=columns, max_decisions=max_decisions):
        index.decisions += 1
        if needed and _is_split(raw.get(SPLIT)):
            raise ExportFileError(
                "missing_columns",
                f"The export file {header.file_name} holds split decisions (row {row_number} is the first) "
                f"but lacks the columns a split needs: {', '.join(needed)}.",
                needed,
            )
        try:
            decision_id = parse_text(raw.get(DECISION))
        except CellError:
            decision_id = None
        if decision_id is None:
            continue
        key = decision_key(shown(decision_id))
        if key in seen:
            index.duplicates.add(key)
        else:
            seen.add(key)
        if is_protected(raw.get(PROTECTED))[0]:
            index.protected.add(key)
    index.protected &= index.duplicates  # only repeated numbers need it in the second pass
    return index


def _is_split(value: object) -> bool:
    try:
        return parse_yes_no(value)
    except CellError:
        return False


def _as_duplicate(plan: DecisionPlan, protected: bool) -> DecisionPlan:
    duplicate = Reason(
        code=ReasonCode.DUPLICATE_DECISION,
        fields=(DECISION,),
        detail="the decision number occurs on more than one row",
    )
    if protected or plan.protected:
        return protected_plan(plan.decision_id, plan.row_numbers, (duplicate,), plan.case_worker)
    others = tuple(reason for reason in plan.reasons if reason.code is not ReasonCode.DUPLICATE_DECISION)
    return plan.model_copy(
        update={"outcome": Outcome.MANUAL, "reasons": (duplicate, *others), "payments": ()}
    )


def plan_export(path: StrPath, rules: PlanningRules) -> Iterator[DecisionPlan]:
    """One ``DecisionPlan`` per data row of the export, in file order, streamed, planned by ``rules``.

    Raises ``ExportFileError`` before yielding anything when the file cannot be used (the
    first pass reads it to the end, ``rules.max_decisions`` rows at most). Every row whose
    decision number occurs more than once becomes ``manual`` with ``duplicate_decision``.
    """
    index = index_decisions(path, max_decisions=rules.max_decisions)
    for row_number, raw in reader.iter_rows(path, max_decisions=rules.max_decisions):
        plan = plan_row(row_number, raw, rules)
        if plan.decision_id:
            key = decision_key(plan.decision_id)
            if key in index.duplicates:
                plan = _as_duplicate(plan, key in index.protected)
        yield plan
