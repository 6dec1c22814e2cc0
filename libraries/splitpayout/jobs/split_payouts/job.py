"""One run of the split-payout job: read, plan, register, report.

Plain Python over the domain modules; the ``SplitPayouts`` keyword library is a thin layer over
this class. Its steps are in the modules of their own: ``state`` (the run's facts and its
final status), ``planning`` (the export read and planned), ``registering`` (each decision's
payments entered, its result kept and told) and ``reporting`` (``summary.json``, the case
workers' workbook; ``run.jsonl`` is written as the run goes).
"""

from __future__ import annotations

from splitpayout.jobs.split_payouts.reporting import ReportingSteps


class SplitPayoutJob(ReportingSteps):
    """The state of one run. Methods are called in order; each says what it did through ``say``:
    ``read_export`` and ``plan``, then ``register`` (or ``record_dry_run``), then
    ``write_reports`` and ``close``. Each step builds on the one before (``planning`` ->
    ``registering`` -> ``reporting``); the run's status is decided in ``state.RunState`` only.

    Plans are never held as a list: each pass reads them from the export again (checking
    that the file is still the one read first), and results go to a ``ResultStore`` on disk
    as they come, so memory stays flat however long the export. A work-item run hands its
    plans over instead (``use_plans``).
    """
