"""Work items: one per decision, from a producer through any number of consumers to a reporter.

The payloads (``DecisionItem``, ``ResultItem``) and ``WorkItemQueue``, the one way the robot
reaches RPA.Robocorp.WorkItems: with that library's logging switched off and every input
released explicitly. The process, how each item is released and the library's traps
avoided: docs/work-items.md.

Control Room keeps the payloads in the vendor's cloud, so they hold no personal data in clear
text: a payload's ``plan`` is the decision's public part (decision number, references,
amounts, dates, outcome, reasons), and its personal part (names, identity numbers, accounts,
bankgiro and OCR numbers) travels in ``sealed``, opened only with the municipality's
work-item key (``splitpayout.adapters.sealing``). A result carries the outcome, and a sealed personal
part only for a decision a case worker must take (the workbook names the household).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from splitpayout.adapters.sealing import Sealer, wrong_key
from splitpayout.domain.models import (
    Contact,
    DecisionPlan,
    DecisionResult,
    Outcome,
    PaymentStatus,
    payment_results,
)
from splitpayout.domain.stops import RunStop, StopCode

# Version 2: the personal part sealed (version 1 carried it in clear text and is refused).
DecisionKind = Literal["splitpayout.decision/2"]
ResultKind = Literal["splitpayout.result/2"]
DECISION_ITEM: DecisionKind = "splitpayout.decision/2"
RESULT_ITEM: ResultKind = "splitpayout.result/2"
#: A payment's personal data, sealed: who is paid and where, and a direct payment's bankgiro
#: and OCR number, which point at the household's landlord and invoice.
PERSONAL_PAYMENT_FIELDS = ("personnummer", "name", "clearing", "account", "bankgiro", "ocr")
#: Control Room shows at most this much of a failed item's message.
MESSAGE_LIMIT = 500
FILE_ADAPTER = "RPA.Robocorp.WorkItems.FileAdapter"


ItemT = TypeVar("ItemT", bound=BaseModel)


class WorkItemError(ValueError):
    """A work item the robot cannot use (not one of its own, or malformed)."""


class Batch(BaseModel):
    """The export a decision came from: what the reporter needs to tell whether it has them all."""

    model_config = ConfigDict(frozen=True)

    batch_id: str  # the producer's run id
    source_name: str
    source_sha256: str
    decisions: int  # decisions in the export
    run_date: dt.date
    # The payout dates of the export's planned payments: what a worker that shares the ledger
    # searches once, up front, for what the payout system already holds.
    first_payout_date: dt.date | None = None
    last_payout_date: dt.date | None = None
    # The batch id sealed with the producer's key: a consumer or reporter whose keys do not
    # open it stops at its first item, before it has entered or released anything.
    key_check: str = ""


class DecisionItem(BaseModel):
    """The payload of one producer output (consumer input): one decision's plan, its personal
    part sealed."""

    model_config = ConfigDict(frozen=True)

    kind: DecisionKind = DECISION_ITEM
    batch: Batch
    position: int  # 1-based position of the decision in the export
    plan: DecisionPlan  # the public part (``public_plan``)
    sealed: str  # the personal part (``personal_part``), sealed


class ResultItem(BaseModel):
    """The payload of one consumer output (reporter input): a decision's public plan and end state."""

    model_config = ConfigDict(frozen=True)

    kind: ResultKind = RESULT_ITEM
    batch: Batch
    position: int
    plan: DecisionPlan  # the public part
    result: DecisionResult
    worker: str = ""
    stopped: str | None = None  # why the consumer stopped before this decision, if it did
    stop_code: str | None = None  # that stop's code (splitpayout.domain.stops.StopCode)
    stop_subject: str | None = None  # what that stop names (an element or field of a changed payout system)
    # Sealed: who the household is (a decision a case worker must take) or, for a paid decision,
    # its recipients' identity numbers (the board's follow-up).
    sealed: str | None = None

    @property
    def stop(self) -> RunStop | None:
        """The consumer's stop before this decision, if it stopped."""
        if not self.stopped:
            return None
        code = self.stop_code or StopCode.PAYOUT_SYSTEM_DOWN
        return RunStop.from_dict({"code": code, "detail": self.stopped, "subject": self.stop_subject})


def first_stop(items: Iterable[ResultItem]) -> RunStop | None:
    """The first stop among results (a run over many consumers or workers stopped if one did)."""
    return next((item.stop for item in items if item.stop is not None), None)


def public_plan(plan: DecisionPlan) -> DecisionPlan:
    """``plan`` without its personal data: no names, identity, account, bankgiro or OCR numbers."""
    blank = {"personnummer": "", "name": "", "clearing": None, "account": None, "bankgiro": None, "ocr": None}
    payments = tuple(payment.model_copy(update=blank) for payment in plan.payments)
    return plan.model_copy(update={"payments": payments, "contact": Contact()})


def personal_part(plan: DecisionPlan, *, payments: bool = True) -> dict[str, Any]:
    """What ``public_plan`` leaves out (the payments' only when ``payments``), with the decision
    number and references it belongs to."""
    chosen = plan.payments if payments else ()
    return {
        "decision_id": plan.decision_id,
        "references": [payment.reference for payment in chosen],
        "payments": [{name: getattr(p, name) for name in PERSONAL_PAYMENT_FIELDS} for p in chosen],
        "contact": plan.contact.model_dump(),
    }


def identity_part(plan: DecisionPlan) -> dict[str, Any]:
    """The recipients' identity numbers of ``plan``'s payments, as a ``personal_part`` (nothing else)."""
    return {
        "decision_id": plan.decision_id,
        "references": [payment.reference for payment in plan.payments],
        "payments": [{"personnummer": payment.personnummer} for payment in plan.payments],
        "contact": Contact().model_dump(),
    }


def with_personal_part(plan: DecisionPlan, part: dict[str, Any]) -> DecisionPlan:
    """``plan`` (public) with its ``personal_part`` back; ``WorkItemError`` for another decision's."""
    references = [payment.reference for payment in plan.payments]
    if part.get("decision_id") != plan.decision_id or part.get("references") not in ([], references):
        raise WorkItemError(f"the sealed part of decision {plan.decision_id} belongs to another decision")
    try:
        payments = plan.payments
        if any(not isinstance(fields, dict) or not fields for fields in part["payments"]):
            raise ValueError("a payment's sealed fields are missing")
        if part["references"]:
            payments = tuple(
                payment.model_copy(
                    update={name: fields[name] for name in PERSONAL_PAYMENT_FIELDS if name in fields}
                )
                for payment, fields in zip(plan.payments, part["payments"], strict=True)
            )
        contact = Contact.model_validate(part["contact"])
    except (KeyError, TypeError, ValueError):
        raise WorkItemError(f"the sealed part of decision {plan.decision_id} is malformed") from None
    return plan.model_copy(update={"payments": payments, "contact": contact})


def key_check(sealer: Sealer, batch_id: str) -> str:
    return sealer.seal({"batch_id": batch_id})


def check_key(sealer: Sealer, batch: Batch) -> None:
    """``WorkItemKeyError`` unless ``sealer`` opens the batch's key check (its producer's key)."""
    if not batch.key_check or sealer.open(batch.key_check).get("batch_id") != batch.batch_id:
        raise wrong_key()


def seal_decision(sealer: Sealer, batch: Batch, position: int, plan: DecisionPlan) -> DecisionItem:
    return DecisionItem(
        batch=batch, position=position, plan=public_plan(plan), sealed=sealer.seal(personal_part(plan))
    )


def open_decision(sealer: Sealer, item: DecisionItem) -> DecisionPlan:
    """The whole plan of a decision item; ``WorkItemKeyError`` when ``sealer``'s keys do not open it."""
    check_key(sealer, item.batch)
    return with_personal_part(item.plan, sealer.open(item.sealed))


def seal_result(
    sealer: Sealer, item: DecisionItem, plan: DecisionPlan, result: DecisionResult, **extra: Any
) -> ResultItem:
    """The result of ``item``'s decision: its outcome, and who the household is (sealed) only when
    a case worker must take it and its identity is not protected; a paid decision's recipients'
    identity numbers (sealed), from which the reporter counts the money by legal sex."""
    human = result.outcome in (Outcome.MANUAL, Outcome.FAILED) and not plan.protected
    sealed = None
    if human and plan.contact != Contact():
        sealed = sealer.seal(personal_part(plan, payments=False))
    elif result.outcome is Outcome.PAID and not plan.protected:
        # The board's follow-up counts the money by legal sex, read from the recipients' identity
        # numbers on the municipality's side: those numbers alone, sealed.
        sealed = sealer.seal(identity_part(plan))
    return ResultItem(
        batch=item.batch,
        position=item.position,
        plan=public_plan(plan),
        result=result,
        sealed=sealed,
        **extra,
    )


def open_result(sealer: Sealer, item: ResultItem) -> DecisionPlan:
    """A result's plan with who the household is, when the consumer sealed that."""
    if item.sealed is None:
        return item.plan
    return with_personal_part(item.plan, sealer.open(item.sealed))


def decision_item(payload: Any) -> DecisionItem:
    """A consumer's input payload as a ``DecisionItem``; ``WorkItemError`` saying what is wrong."""
    return _parse(DecisionItem, payload, DECISION_ITEM)


def result_item(payload: Any) -> ResultItem:
    """A reporter's input payload as a ``ResultItem``; ``WorkItemError`` saying what is wrong."""
    return _parse(ResultItem, payload, RESULT_ITEM)


def _parse(model: type[ItemT], payload: Any, kind: str) -> ItemT:
    if not isinstance(payload, dict) or payload.get("kind") != kind:
        found = payload.get("kind") if isinstance(payload, dict) else type(payload).__name__
        raise WorkItemError(f"expected a work item of kind {kind!r}, got {found!r}")
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        # Field locations only: the input values may be personal data.
        places = sorted({".".join(str(part) for part in e["loc"]) for e in error.errors()})
        raise WorkItemError(f"malformed {kind} work item ({', '.join(places[:5])})") from None


@dataclass(frozen=True)
class Release:
    """How a consumer releases its input work item."""

    state: Literal["DONE", "FAILED"]
    exception_type: Literal["BUSINESS", "APPLICATION"] | None = None
    code: str | None = None
    message: str | None = None


def release_for(result: DecisionResult, stopped: str | None = None, stop_code: str | None = None) -> Release:
    """``DONE`` for paid and already paid; ``FAILED`` ``BUSINESS`` (reason code) for manual handling;
    ``FAILED`` ``APPLICATION`` for technical failures, which a retry of the work item completes (the
    stop's code when the run stopped: the payout system unavailable, the robot's storage failing)."""
    if result.outcome in (Outcome.PAID, Outcome.ALREADY_PAID):
        return Release("DONE")
    if result.outcome is Outcome.MANUAL:
        codes = [reason.code.value for reason in result.reasons] or ["manual_handling"]
        details = "; ".join(
            f"{reason.code.value}: {reason.detail}" if reason.detail else reason.code.value
            for reason in result.reasons
        )
        message = f"Decision {result.decision_id} needs manual handling ({details or codes[0]})"
        return Release("FAILED", "BUSINESS", codes[0], message[:MESSAGE_LIMIT])
    if stopped:
        message = f"Decision {result.decision_id} was not attempted: {stopped}"
        code = "payout_system_unavailable" if stop_code in (None, StopCode.PAYOUT_SYSTEM_DOWN) else stop_code
        return Release("FAILED", "APPLICATION", code, message[:MESSAGE_LIMIT])
    message = (
        f"Decision {result.decision_id}: a technical failure remained after retries; "
        "retry the work item to complete it (nothing is entered twice)"
    )
    return Release("FAILED", "APPLICATION", "technical_failure", message[:MESSAGE_LIMIT])


def not_attempted(plan: DecisionPlan) -> DecisionResult:
    """The result of a planned decision no worker got to: ``failed``, every payment ``failed``."""
    return DecisionResult(
        decision_id=plan.decision_id,
        outcome=Outcome.FAILED,
        amount_ore=plan.amount_ore,
        payments=payment_results(plan, PaymentStatus.FAILED),
    )


@contextmanager
def _no_logging() -> Iterator[None]:
    """RPA.Robocorp.WorkItems logs payload values and item contents: nothing of it reaches the log."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


class WorkItemQueue:
    """The robot's view of RPA.Robocorp.WorkItems: inputs one at a time, outputs, explicit releases.

    The adapter is Control Room's, or the file adapter when ``RPA_WORKITEMS_ADAPTER`` names it
    (``RPA.Robocorp.WorkItems.FileAdapter`` with ``RPA_INPUT_WORKITEM_PATH`` and
    ``RPA_OUTPUT_WORKITEM_PATH``).
    """

    def __init__(self, library: Any | None = None) -> None:
        if library is None:
            from RPA.Robocorp.WorkItems import WorkItems

            with _no_logging():
                library = WorkItems(autoload=False)
        self._library = library
        self._open = False  # an input is reserved and not yet released

    def next_input(self) -> dict[str, Any] | None:
        """Reserve the next input work item and return its payload; ``None`` when the queue is empty.

        The previous input must have been released (``release``): never implicitly done.
        """
        from RPA.Robocorp.WorkItems import EmptyQueue

        if self._open:
            raise RuntimeError("the previous input work item was not released")
        with _no_logging():
            try:
                item = self._library.get_input_work_item()
            except EmptyQueue:
                return None
        self._open = True
        payload = item.payload
        return payload if isinstance(payload, dict) else {"": payload}

    def input_files(self) -> list[str]:
        """The names of the files attached to the current input work item."""
        with _no_logging():
            return list(self._library.list_work_item_files())

    def download(self, name: str, folder: Path) -> Path:
        """Save the current input's file ``name`` in ``folder``; return its path."""
        folder.mkdir(parents=True, exist_ok=True)
        with _no_logging():
            path = self._library.get_work_item_file(name, str(folder / Path(name).name))
        return Path(path)

    def create_output(self, payload: dict[str, Any]) -> None:
        """Create and save an output work item (a child of the current input) with ``payload``."""
        with _no_logging():
            item = self._library.create_output_work_item()
            item.payload = payload
            item.save()

    def release(self, release: Release) -> None:
        """Release the current input work item as ``release`` says."""
        with _no_logging():
            if release.state == "DONE":
                self._library.release_input_work_item("DONE")
            else:
                self._library.release_input_work_item(
                    "FAILED",
                    exception_type=release.exception_type,
                    code=release.code,
                    message=release.message,
                )
        self._open = False

    def inputs(self) -> Iterator[dict[str, Any]]:
        """Every input payload in turn; the caller releases each before asking for the next."""
        while (payload := self.next_input()) is not None:
            yield payload


def file_adapter_env(input_path: Path, output_path: Path, adapter: str = FILE_ADAPTER) -> dict[str, str]:
    """The environment that points RPA.Robocorp.WorkItems at local work-item files."""
    return {
        "RPA_WORKITEMS_ADAPTER": adapter,
        "RPA_INPUT_WORKITEM_PATH": str(input_path),
        "RPA_OUTPUT_WORKITEM_PATH": str(output_path),
    }
