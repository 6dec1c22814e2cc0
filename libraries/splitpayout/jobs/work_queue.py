"""The three work-item steps over a ``SplitPayoutJob``: produce, consume, report.

Plain Python: the ``WorkItemSteps`` keyword library is a thin layer over these
functions, and the local parallel workers of ``Split payouts`` (``parallel.py``)
run the consumer on files of work items. See ``workitems.py`` for the payloads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from splitpayout.adapters.gateway import PayoutGateway
from splitpayout.adapters.ledger_key import open_ledger
from splitpayout.adapters.sealing import SEALED_SUFFIX, Sealer, WorkItemKeyError, open_file
from splitpayout.adapters.workitems import (
    MESSAGE_LIMIT,
    Batch,
    DecisionItem,
    Release,
    ResultItem,
    WorkItemError,
    WorkItemQueue,
    check_key,
    decision_item,
    first_stop,
    key_check,
    not_attempted,
    open_decision,
    open_result,
    release_for,
    result_item,
    seal_decision,
    seal_result,
)
from splitpayout.domain.errors import ExportFileError, StorageError
from splitpayout.domain.models import DecisionPlan, DecisionResult, Outcome
from splitpayout.jobs.registration.loop import RegistrationLoop
from splitpayout.jobs.split_payouts.job import SplitPayoutJob
from splitpayout.jobs.split_payouts.planning import dry_run_result

EXPORT_SUFFIXES = (".xlsx", ".xlsm")


class WorkQueueError(RuntimeError):
    """A work-item step cannot go on (no export, results of several exports, ...): says what to do."""

    def __init__(self, message: str, code: str = "no_export") -> None:
        super().__init__(message)
        self.code = code


def key_release(error: WorkItemKeyError) -> Release:
    """An input the robot's keys cannot open goes back: ``FAILED`` ``APPLICATION``, to be retried
    once the key is right (nothing of it was entered)."""
    return Release("FAILED", "APPLICATION", error.code, f"{error}. {error.plain}"[:MESSAGE_LIMIT])


def give_back(queue: WorkItemQueue, error: WorkItemKeyError) -> None:
    """Without a usable key: release the next input ``FAILED`` ``APPLICATION`` and take no other."""
    if queue.next_input() is not None:
        queue.release(key_release(error))


# -- producer -------------------------------------------------------------------------------


def export_from_input(queue: WorkItemQueue, folder: Path, fallback: Path | None, sealer: Sealer) -> Path:
    """Reserve the producer's input work item and return the export it carries.

    The export is the one sealed export attached to the item (``beslut.xlsx.sealed``, see
    ``splitpayout.adapters.sealing``), opened in ``folder``: it holds personal data, so ``folder`` is in
    the state directory, not among the artifacts. An item with no file takes the export from
    the municipality's own storage: ``DECISIONS_FILE`` (``fallback``). An export attached in
    clear text is refused: Control Room is no place for it.
    """
    payload = queue.next_input()
    if payload is None:
        raise WorkQueueError("no input work item: the producer is started with one, carrying the export")
    files = queue.input_files()
    sealed_suffixes = tuple(suffix + SEALED_SUFFIX for suffix in EXPORT_SUFFIXES)
    sealed = [name for name in files if name.lower().endswith(sealed_suffixes)]
    if [name for name in files if name.lower().endswith(EXPORT_SUFFIXES)]:
        raise WorkQueueError(
            "the input work item carries the export in clear text, which Control Room must never hold:"
            " attach it sealed (python -m splitpayout.adapters.sealing seal EXPORT) or set DECISIONS_FILE",
            "not_sealed",
        )
    if len(sealed) > 1:
        raise WorkQueueError(
            f"the input work item carries {len(sealed)} exports; attach exactly one export per run"
        )
    if sealed:
        download = queue.download(sealed[0], folder)
        try:
            return open_file(sealer, download, download.with_name(download.name[: -len(SEALED_SUFFIX)]))
        finally:
            download.unlink(missing_ok=True)
    if fallback is not None:
        return fallback
    found = f" (it carries {', '.join(files)})" if files else ""
    raise WorkQueueError(
        f"the input work item carries no sealed .xlsx export{found}: attach the case-management system's"
        " export, sealed"
    )


def batch_of(job: SplitPayoutJob, sealer: Sealer) -> Batch:
    """What every work item of a planned export says of it."""
    first, last = job.payout_dates or (None, None)
    return Batch(
        batch_id=job.run_id,
        source_name=job.source_name,
        source_sha256=job.source_sha256,
        decisions=job.decisions,
        run_date=job.rules.today,
        first_payout_date=first,
        last_payout_date=last,
        key_check=key_check(sealer, job.run_id),
    )


def produce(job: SplitPayoutJob, queue: WorkItemQueue, sealer: Sealer) -> int:
    """One output work item per planned or manual decision of the job's plan; returns how many."""
    batch = batch_of(job, sealer)
    created = 0
    for position, plan in enumerate(job.iter_plans(), start=1):
        queue.create_output(seal_decision(sealer, batch, position, plan).model_dump(mode="json"))
        created = position
        if position % 500 == 0:
            job.announce(f"Progress: {position} of {job.decisions} work items created")
    job.log.event("work_items_created", step="produce", batch_id=batch.batch_id, items=created)
    job.announce(f"Created {created} work items, one per decision (batch {batch.batch_id})")
    return created


def release_export_error(queue: WorkItemQueue, error: ExportFileError | WorkQueueError) -> None:
    """Release the producer's input ``FAILED`` ``BUSINESS``: the export must be fixed or exported again."""
    code = f"export_{error.code}" if isinstance(error, ExportFileError) else error.code
    if code == "not_sealed":
        code = "export_not_sealed"
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
        sealer: Sealer,
        *,
        worker_id: str,
        look_up_each_payment: bool,
    ) -> None:
        self.job = job
        self.queue = queue
        self.gateway = gateway
        self.sealer = sealer
        self.key_error: WorkItemKeyError | None = None  # the keys did not open a work item
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
            ledger = open_ledger(job.settings.ledger_path)
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
        """The decisions of the input work items; one that is not a decision is released as failed.

        One the keys do not open goes back (``key_release``) and ends the work: nothing more is
        taken, so the rest waits for a consumer with the right key."""
        for payload in self.queue.inputs():
            try:
                item = decision_item(payload)
                plan = open_decision(self.sealer, item)
            except WorkItemKeyError as error:
                self.key_error = error
                self.job.log.warning("work_item_key", step="consume", code=error.code, error=str(error))
                self.job.say(f"{error}: the work item goes back, nothing more is taken")
                self.queue.release(key_release(error))
                return
            except WorkItemError as error:
                self.invalid_items += 1
                self.job.log.warning("invalid_work_item", step="consume", error=str(error))
                self.job.say(f"A work item was not a decision of this robot's: {error}")
                self.queue.release(Release("FAILED", "BUSINESS", "invalid_work_item", str(error)))
                continue
            yield item, plan

    def _finish(self, item: DecisionItem, plan: DecisionPlan, result: DecisionResult) -> None:
        stop = self._loop.outcome.stop if self._loop is not None else self.job.stop
        self.job.record(len(self.job.results) + 1, plan, result)
        self.queue.create_output(
            seal_result(
                self.sealer,
                item,
                plan,
                result,
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


def collect_results(job: SplitPayoutJob, queue: WorkItemQueue, sealer: Sealer) -> Batch:
    """Read every result work item of one export into the job (in the export's order).

    Raises ``WorkQueueError`` for results of several exports or none, ``WorkItemKeyError`` when
    the keys do not open a result (that one goes back; the first one's key check is opened before
    anything is released). Decisions without a result are counted in ``job.missing_results``."""
    collected: dict[int, tuple[ResultItem, DecisionPlan]] = {}
    batch: Batch | None = None
    invalid = 0
    for payload in queue.inputs():
        try:
            item = result_item(payload)
            if batch is None:
                check_key(sealer, item.batch)
            plan = open_result(sealer, item)
        except WorkItemKeyError as error:
            job.log.warning("work_item_key", step="collect", code=error.code, error=str(error))
            queue.release(key_release(error))
            raise
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
        collected[item.position] = (item, plan)  # a retried work item's newer result replaces the older
        queue.release(Release("DONE"))
    if batch is None:
        raise WorkQueueError(
            "no results to report" + (f" ({invalid} work items were not results)" if invalid else "")
        )
    ordered = [collected[position] for position in sorted(collected)]
    job.use_plans([plan for _, plan in ordered])
    job.source_name = batch.source_name
    job.source_sha256 = batch.source_sha256
    job.missing_results = batch.decisions - len(ordered)
    job.stop = first_stop(item for item, _ in ordered)
    for position, (item, plan) in enumerate(ordered, start=1):
        job.record(position, plan, item.result)
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
