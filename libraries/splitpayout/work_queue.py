"""The three work-item steps over a ``SplitPayoutJob``: produce, consume, report.

Plain Python: the ``WorkItemSteps`` keyword library is a thin layer over these
functions, and the local parallel workers of ``Split payouts`` (``parallel.py``)
run the consumer on files of work items. See ``workitems.py`` for the payloads.
"""

from __future__ import annotations

import time
from pathlib import Path

from splitpayout.errors import ExportFileError
from splitpayout.gateway import LoginRefusedError, PayoutGateway
from splitpayout.job import HELD_ELSEWHERE_MAX_WAIT_SECONDS, HELD_ELSEWHERE_WAIT_SECONDS, SplitPayoutJob
from splitpayout.ledger import Ledger
from splitpayout.models import DecisionPlan, DecisionResult, Outcome
from splitpayout.registration import PayoutSystemUnavailable, RegistrationEngine
from splitpayout.workitems import (
    Batch,
    DecisionItem,
    Release,
    ResultItem,
    WorkItemError,
    WorkItemQueue,
    decision_item,
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
    dates = [p.payout_date for plan in job.plans if plan.outcome is Outcome.PLANNED for p in plan.payments]
    return Batch(
        batch_id=job.run_id,
        source_name=job.source_name,
        source_sha256=job.source_sha256,
        decisions=len(job.plans),
        run_date=job.settings.run_date,
        first_payout_date=min(dates, default=None),
        last_payout_date=max(dates, default=None),
    )


def produce(job: SplitPayoutJob, queue: WorkItemQueue) -> int:
    """One output work item per planned or manual decision of the job's plan; returns how many."""
    batch = batch_of(job)
    for position, plan in enumerate(job.plans, start=1):
        queue.create_output(DecisionItem(batch=batch, position=position, plan=plan).model_dump(mode="json"))
        if position % 500 == 0:
            job.announce(f"Progress: {position} of {len(job.plans)} work items created")
    job.log.event("work_items_created", step="produce", batch_id=batch.batch_id, items=len(job.plans))
    job.announce(f"Created {len(job.plans)} work items, one per decision (batch {batch.batch_id})")
    return len(job.plans)


def release_export_error(queue: WorkItemQueue, error: ExportFileError | WorkQueueError) -> None:
    """Release the producer's input ``FAILED`` ``BUSINESS``: the export must be fixed or exported again."""
    code = f"export_{error.code}" if isinstance(error, ExportFileError) else "no_export"
    queue.release(Release("FAILED", "BUSINESS", code, str(error)[:500]))


# -- consumer -------------------------------------------------------------------------------


class Consumer:
    """Registers the payments of one decision per input work item (see ``workitems.py``)."""

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
        self.sleep = time.sleep

    def run(self) -> int:
        """Work through every input work item; returns how many decisions were handled."""
        job = self.job
        settings = job.settings
        ledger = Ledger(settings.ledger_path)
        ledger.start_run(job.run_id, mode="consumer", source_name="work items", source_sha256="")
        engine = job.new_engine(
            self.gateway, ledger, worker_id=self.worker_id, look_up_each_payment=self.look_up_each_payment
        )
        handled = 0
        logged_in = False
        job.log.event(
            "registration_started",
            step="register",
            lookup="each" if self.look_up_each_payment else "prefetch",
        )
        try:
            for payload in self.queue.inputs():
                try:
                    item = decision_item(payload)
                except WorkItemError as error:
                    self.invalid_items += 1
                    job.log.warning("invalid_work_item", step="consume", error=str(error))
                    job.say(f"A work item was not a decision of this robot's: {error}")
                    self.queue.release(Release("FAILED", "BUSINESS", "invalid_work_item", str(error)))
                    continue
                plan = item.plan
                if self.stopped:
                    result = engine.not_attempted(plan)
                else:
                    try:
                        if not logged_in and plan.outcome is Outcome.PLANNED:
                            job.log_in(self.gateway)
                            logged_in = True
                            self._prefetch(engine, item.batch)
                        result = self._process(engine, plan)
                    except (PayoutSystemUnavailable, LoginRefusedError) as error:
                        self.stop(error)
                        result = engine.not_attempted(plan)
                job.plans.append(plan)
                job.results.append(result)
                job.report_decision(result)
                self.queue.create_output(
                    ResultItem(
                        batch=item.batch,
                        position=item.position,
                        plan=plan,
                        result=result,
                        worker=self.worker_id,
                        stopped=self.stopped or None,
                    ).model_dump(mode="json")
                )
                self.queue.release(release_for(result, self.stopped or None))
                handled += 1
                if handled % 50 == 0:
                    job.announce(f"Progress: {handled} decisions handled")
        finally:
            if logged_in:
                self.gateway.log_out()
            job.log.event("registration_finished", step="register", decisions=handled)
            ledger.finish_run(job.run_id, status="stopped" if self.stopped else "completed")
            ledger.close()
        job.announce(f"Handled {handled} decisions from work items")
        return handled

    def _process(self, engine: RegistrationEngine, plan: DecisionPlan) -> DecisionResult:
        """The decision's end state. A decision another worker is working on at the same time (another
        run on this machine's ledger) is checked again once that worker is done with it: then it is
        found registered, or this worker enters what is left. Still held after the wait, it fails."""
        result = engine.process(plan)
        waited = 0.0
        while plan.decision_id in engine.held_elsewhere and waited < HELD_ELSEWHERE_MAX_WAIT_SECONDS:
            self.job.say(
                f"Decision {plan.decision_id} is being worked on by another run at the same time; "
                f"checking it again in {HELD_ELSEWHERE_WAIT_SECONDS:.0f} s"
            )
            self.sleep(HELD_ELSEWHERE_WAIT_SECONDS)
            waited += HELD_ELSEWHERE_WAIT_SECONDS
            result = engine.process(plan)
        return result

    def _prefetch(self, engine: RegistrationEngine, batch: Batch) -> None:
        """A worker that shares the ledger searches the batch's payout dates once, up front."""
        if self.look_up_each_payment or batch.first_payout_date is None or batch.last_payout_date is None:
            return
        engine.prefetch_dates(batch.first_payout_date, batch.last_payout_date)

    def stop(self, error: Exception) -> None:
        self.stopped = str(error)
        self.job.stopped_reason = self.stopped
        if isinstance(error, LoginRefusedError):
            self.job.announce(f"STOPPED: {error}; check the robot's credentials. Nothing more is entered")
        else:
            self.job.announce(
                f"STOPPED: the payout system is unavailable ({error}); the rest is left for a retry"
            )
        self.job.log.warning("run_stopped", step="register", error=self.stopped)


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
    job.plans = [item.plan for item in ordered]
    job.results = [item.result for item in ordered]
    job.source_name = batch.source_name
    job.source_sha256 = batch.source_sha256
    job.missing_results = batch.decisions - len(ordered)
    job.stopped_reason = next((item.stopped for item in ordered if item.stopped), "") or ""
    for result in job.results:
        job.report_decision(result)
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
