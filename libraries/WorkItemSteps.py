"""Keyword libraries for the work-item tasks: ``Produce work items``, ``Consume work items``,
``Report work items`` (Control Room's producer-consumer process; see ``splitpayout.adapters.workitems``).

Each is a thin layer over ``splitpayout.jobs.work_queue`` and shares the business steps of
``SplitPayouts`` (reading, planning, reports). Work items are reached through
``splitpayout.adapters.workitems.WorkItemQueue``, never through RPA.Robocorp.WorkItems' keywords,
whose log messages would carry the payloads. Their personal part is sealed with the
work-item key (``splitpayout.adapters.sealing``): without a key that opens them, a step takes
nothing and gives its input back, failing with a plain sentence.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from pathlib import Path

from robot.api.deco import keyword, library
from robotglue import robot_log as logger
from splitpayout.adapters.sealing import Sealer, WorkItemKeyError, work_item_sealer
from splitpayout.adapters.workitems import Release, WorkItemQueue
from splitpayout.config import Settings
from splitpayout.domain.errors import ExportFileError
from splitpayout.jobs.work_queue import (
    Consumer,
    WorkQueueError,
    collect_results,
    export_from_input,
    give_back,
    key_release,
    produce,
    release_export_error,
)
from SplitPayouts import SplitPayouts


def key_failure(error: WorkItemKeyError) -> AssertionError:
    """The task's failure when the work-item key is missing or wrong: a plain sentence, then the detail."""
    logger.error(f"{error.plain} ({error})")
    return AssertionError(f"{error.plain} Detail: {error}.")


def sealer_or_give_back(queue: WorkItemQueue) -> Sealer:
    """The work-item key(s); without a usable one, the next input goes back and the task fails."""
    try:
        return work_item_sealer()
    except WorkItemKeyError as error:
        give_back(queue, error)
        raise key_failure(error) from None


@library(scope="SUITE", auto_keywords=False)
class ProduceWorkItems(SplitPayouts):
    """The producer: the export of the input work item becomes one output work item per decision."""

    def __init__(self) -> None:
        super().__init__()
        self._queue: WorkItemQueue | None = None
        self._export: Path | None = None
        self._download: Path | None = None  # where the attached export was saved, if it was
        self._released = False
        self._sealer: Sealer | None = None

    @property
    def queue(self) -> WorkItemQueue:
        if self._queue is None:
            self._queue = WorkItemQueue()
        return self._queue

    def settings(self) -> Settings:
        settings = self.config.run
        # The producer plans and enters nothing: a dry run of the export it was given.
        return settings.model_copy(
            update={"decisions_file": self._export or settings.decisions_file, "dry_run": True}
        )

    @keyword
    def get_the_export_from_the_input_work_item(self) -> None:
        """Take the export attached to the input work item (locally: ``DECISIONS_FILE`` when none is)."""
        base = self.config.run
        self._released = True  # without a key the input is given back at once
        self._sealer = sealer_or_give_back(self.queue)
        self._released = False
        folder = self._download = base.state_dir / "exports" / uuid.uuid4().hex[:12]
        try:
            self._export = export_from_input(self.queue, folder, base.decisions_file, self._sealer)
        except WorkItemKeyError as error:
            self.queue.release(key_release(error))
            self._released = True
            raise key_failure(error) from None
        except WorkQueueError as error:
            release_export_error(self.queue, error)
            self._released = True
            raise AssertionError(f"No export to process, nothing was created: {error}") from None
        logger.info(f"The export to plan: {self._export.name}")

    @keyword
    def create_one_work_item_per_decision(self) -> None:
        """One output work item per decision, with its plan, for the consumers."""
        assert self._sealer is not None  # the export was taken with it
        produce(self.job, self.queue, self._sealer)
        self.queue.release(Release("DONE"))
        self._released = True

    @keyword
    def finish_the_production(self) -> None:
        """Release the input work item as failed when the export could not be processed."""
        job = self._job
        if not self._released and self._queue is not None:
            error = job.error if job is not None and job.error is not None else None
            if error is not None:
                release_export_error(self.queue, error)
            else:
                self.queue.release(
                    Release("FAILED", "APPLICATION", "producer_failed", "the producer stopped; run it again")
                )
            self._released = True
        if job is not None:
            job.close()
        if self._download is not None:
            # The copy of the attached export holds personal data: it is not kept.
            shutil.rmtree(self._download, ignore_errors=True)


@library(scope="SUITE", auto_keywords=False)
class ConsumeWorkItems(SplitPayouts):
    """A consumer: registers the payments of one decision per input work item, exactly once."""

    def __init__(self) -> None:
        super().__init__()
        self._consumer: Consumer | None = None

    @keyword(tags=["robot:flatten"])
    def register_the_payments_of_every_decision_work_item(self) -> None:
        """Work through the input work items: register, then release each as done or failed.

        Flattened in the log: one entry per decision and its payments.
        """
        job = self.job
        settings = job.settings
        if settings.dry_run:
            raise AssertionError(
                "DRY_RUN is set, but a consumer registers payments: the producer is the step that plans only"
            )
        queue = WorkItemQueue()
        sealer = sealer_or_give_back(queue)  # before the browser: without a key nothing is done
        self._consumer = Consumer(
            job,
            queue,
            self.open_gateway(),
            sealer,
            worker_id=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}",
            look_up_each_payment=settings.look_up_each_payment,
        )
        self._consumer.run()
        if self._consumer.key_error is not None:
            raise key_failure(self._consumer.key_error)

    @keyword
    def check_that_every_work_item_has_been_handled(self) -> None:
        """Fail when a decision failed for technical reasons or a work item was not the robot's."""
        consumer = self._consumer
        if consumer is not None and consumer.invalid_items:
            raise AssertionError(f"{consumer.invalid_items} work items were not decisions of this robot")
        self.check_that_every_decision_has_been_handled()

    @keyword
    def finish_the_consumption(self) -> None:
        """Close the payout system's browser and the run's log (reports are the reporter's)."""
        self.close_gateway()
        if self._job is not None:
            self._job.close()


@library(scope="SUITE", auto_keywords=False)
class ReportWorkItems(SplitPayouts):
    """The reporter: summary.json and the case workers' workbook from the consumers' results."""

    def __init__(self) -> None:
        super().__init__()
        self._collected = False

    @keyword
    def collect_the_results_of_every_decision(self) -> None:
        """Read every result work item of one export, in the export's order."""
        queue = WorkItemQueue()
        sealer = sealer_or_give_back(queue)
        try:
            collect_results(self.job, queue, sealer)
        except WorkItemKeyError as error:
            raise key_failure(error) from None
        except (WorkQueueError, ExportFileError) as error:
            raise AssertionError(f"Nothing to report: {error}") from None
        self._collected = True

    @keyword
    def finish_the_run(self) -> None:
        """Close the run; without the results of one export collected there is nothing to report."""
        if not self._collected and self._job is not None:
            self._job.nothing_to_report()  # a summary of nothing would read as a completed report
        super().finish_the_run()
