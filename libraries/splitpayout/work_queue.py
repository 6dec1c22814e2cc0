"""The three work-item steps over a ``SplitPayoutJob``: produce, consume, report.

Plain Python: the ``WorkItemSteps`` keyword library is a thin layer over these
functions, and the local parallel workers of ``Split payouts`` (``parallel.py``)
run the consumer on files of work items. See ``workitems.py`` for the payloads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from splitpayout.errors import ExportFileError, StorageError
from splitpayout.gateway import PayoutGateway
from splitpayout.job import SplitPayoutJob, dry_run_result
from splitpayout.ledger import Ledger
from splitpayout.models import DecisionPlan, DecisionResult, Outcome
from splitpayout.registration_loop import RegistrationLoop
from splitpayout.workitems import (
    Batch,
    DecisionItem,
    Release,
    ResultItem,
    WorkItemError,
    WorkItemQueue,
    decision_item,
    first_stop,
    not_attempted,
    release_for,
    result_item,
)


class WorkQueueError(RuntimeError):
    """A work-item step cannot go on (no export, results of several exports, ...): says what to do."""


# -- producer -------------------------------------------------------------------------------


def export_from_input(queue: WorkItemQueue, folder: Path, fallback: Path | None) -> Path:
    """Reserve the producer's input work item and return the export it carries.

    The export is the one ``.xlsx`` file attached to the item (saved in ``folder``: it holds
    personal data, so ``folder`` is in the state directory, not among the artifacts). An
    item with no file falls back to ``DECISIONS_FILE`` (``fallback``), for local runs.
    """
    payload = queue.next_input()
    if payload is None:
        raise WorkQueueError("no input work item: the producer is started with one, carrying the export")
    names = [name for name in queue.input_files() if name.lower().endswith((".xlsx", ".xlsm"))]
    if len(names) > 1:
        raise WorkQueueError(
            f"the input work item carries {len(names)} spreadsheets; attach exactly one export per run"
        )
    if names:
        return queue.download(names[0], folder)
    if fallback is not None:
        return fallback
    others = queue.input_files()
    found = f" (it carries {', '.join(others)})" if others else ""
    raise WorkQueueError(
        f"the input work item carries no .xlsx export{found}: attach the case-management system's export"
    )


def batch_of(job: SplitPayoutJob) -> Batch:
    """What every work item of a planned export says of it."""
    first, last = job.payout_dates or (None, None)
    return Batch(
        batch_id=job.run_id,
        source_name=job.source_name,
        source_sha256=job.source_sha256,
        decisions=job.decisions,
        run_date=job.settings.run_date,
        first_payout_date=first,
        last_payout_date=last,
    )


def produce(job: SplitPayoutJob, queue: WorkItemQueue) -> int:
    """One output work item per planned or manual decision of the job's plan; returns how many."""
    batch = batch_of(job)
    created = 0
    for position, plan in enumerate(job.iter_plans(), start=1):
        queue.create_output(DecisionItem(batch=batch, position=position, plan=plan).model_dump(mode="json"))
        created = position
        if position % 500 == 0:
            job.announce(f"Progress: {position} of {job.decisions} work items created")
    job.log.event("work_items_created", step="produce", batch_id=batch.batch_id, items=created)
    job.announce(f"Created {created} work items, one per decision (batch {batch.batch_id})")
    return created


def release_export_error(queue: WorkItemQueue, error: ExportFileError | WorkQueueError) -> None:
    """Release the producer's input ``FAILED`` ``BUSINESS``: the export must be fixed or exported again."""
    code = f"export_{error.code}" if isinstance(error, ExportFileError) else "no_export"
    queue.release(Release("FAILED", "BUSINESS", code, str(error)[:500]))


# -- consumer -------------------------------------------------------------------------------


class Consumer:
    """Registers the payments of one decision per input work item (see ``workitems.py``), through
    the one registration loop, each decision finished before its work item is released."""

    def __init__(
        self,
        job: SplitPayoutJob,
        queue: WorkItemQueue,
        gateway: PayoutGateway,
        *,
        worker_id: str,
        look_up_each_payment: bool,
    ) -> None:
        self.job = job
        self.queue = queue
        self.gateway = gateway
        self.worker_id = worker_id
        self.look_up_each_payment = look_up_each_payment
        self.invalid_items = 0
        self.stopped = ""
        self._loop: RegistrationLoop[DecisionItem] | None = None

    def run(self) -> int:
        """Work through every input work item; returns how many decisions were handled."""
        job = self.job
        try:
            if not job.room_to_start():  # before logging in: the work items are released failed
                return self._none_attempted()
            ledger = Ledger(job.settings.ledger_path)
        except StorageError as error:
            job.stop_on_storage(error)
            return self._none_attempted()
        self.job.log.event(
            "work_items_lookup", step="register", lookup="each" if self.look_up_each_payment else "prefetch"
        )
        try:
            loop = job.registration_loop(
                self.gateway,
                ledger,
                worker_id=self.worker_id,
                deferred=False,
                look_up_each_payment=self.look_up_each_payment,
                mode="consumer",
                payout_dates=self._payout_dates,
            )
            self._loop = loop
            outcome = loop.run(self._decisions(), self._finish)
        finally:
            ledger.close()
        self.stopped = outcome.stopped
        job.stop = outcome.stop
        job.announce(f"Handled {outcome.handled} decisions from work items")
        return outcome.handled

    def _none_attempted(self) -> int:
        """The run stopped before its first decision: every work item is released as not attempted."""
        self.stopped = self.job.stopped_reason
        handled = 0
        for item, plan in self._decisions():
            self._finish(
                item, plan, not_attempted(plan) if plan.outcome is Outcome.PLANNED else dry_run_result(plan)
            )
            handled += 1
        return handled

    def _decisions(self) -> Iterator[tuple[DecisionItem, DecisionPlan]]:
        """The decisions of the input work items; one that is not a decision is released as failed."""
        for payload in self.queue.inputs():
            try:
                item = decision_item(payload)
            except WorkItemError as error:
                self.invalid_items += 1
                self.job.log.warning("invalid_work_item", step="consume", error=str(error))
                self.job.say(f"A work item was not a decision of this robot's: {error}")
                self.queue.release(Release("FAILED", "BUSINESS", "invalid_work_item", str(error)))
                continue
            yield item, item.plan

    def _finish(self, item: DecisionItem, plan: DecisionPlan, result: DecisionResult) -> None:
        stop = self._loop.outcome.stop if self._loop is not None else self.job.stop
        self.job.record(len(self.job.results) + 1, plan, result)
        self.queue.create_output(
            ResultItem(
                batch=item.batch,
                position=item.position,
                plan=plan,
                result=result,
                worker=self.worker_id,
                stopped=stop.detail if stop is not None else None,
                stop_code=stop.code.value if stop is not None else None,
                stop_subject=stop.subject or None if stop is not None else None,
            ).model_dump(mode="json")
        )
        self.queue.release(
            release_for(
                result, stop.detail if stop is not None else None, stop.code if stop is not None else None
            )
        )

    def _payout_dates(self, item: DecisionItem) -> tuple[dt.date, dt.date] | None:
        """A worker that shares the ledger searches the batch's payout dates once, up front."""
        batch = item.batch
        if self.look_up_each_payment or batch.first_payout_date is None or batch.last_payout_date is None:
            return None
        return batch.first_payout_date, batch.last_payout_date


# -- reporter -------------------------------------------------------------------------------


def collect_results(job: SplitPayoutJob, queue: WorkItemQueue) -> Batch:
    """Read every result work item of one export into the job (in the export's order).

    Raises ``WorkQueueError`` for results of several exports or none. Decisions of the export
    without a result are counted in ``job.missing_results``: their work items are still
    queued, or failed before a consumer could report them.
    """
    collected: dict[int, ResultItem] = {}
    batch: Batch | None = None
    invalid = 0
    for payload in queue.inputs():
        try:
            item = result_item(payload)
        except WorkItemError as error:
            invalid += 1
            job.log.warning("invalid_work_item", step="collect", error=str(error))
            queue.release(Release("FAILED", "BUSINESS", "invalid_work_item", str(error)))
            continue
        if batch is None:
            batch = item.batch
        elif item.batch.batch_id != batch.batch_id:
            queue.release(Release("FAILED", "BUSINESS", "other_batch", "a result of another export"))
            raise WorkQueueError(
                f"the results come from more than one export ({batch.batch_id}, {item.batch.batch_id});"
                " report each producer run's results on their own"
            )
        collected[item.position] = item  # a retried work item's newer result replaces the older one
        queue.release(Release("DONE"))
    if batch is None:
        raise WorkQueueError(
            "no results to report" + (f" ({invalid} work items were not results)" if invalid else "")
        )
    ordered = [collected[position] for position in sorted(collected)]
    job.use_plans([item.plan for item in ordered])
    job.source_name = batch.source_name
    job.source_sha256 = batch.source_sha256
    job.missing_results = batch.decisions - len(ordered)
    job.stop = first_stop(ordered)
    for position, item in enumerate(ordered, start=1):
        job.record(position, item.plan, item.result)
    job.log.event(
        "results_collected",
        step="collect",
        batch_id=batch.batch_id,
        results=len(ordered),
        decisions=batch.decisions,
        missing=job.missing_results,
    )
    job.announce(
        f"Collected the results of {len(ordered)} of the export's {batch.decisions} decisions"
        f" (batch {batch.batch_id})"
    )
    return batch
