"""One whole inbox run without Robot Framework, the steps the ``ProcessInbox`` keyword library
takes (``Inbox.take``, ``return_interrupted``, ``process_new_exports``, the summary), so tests
can drive the inbox with a stand-in for each export's run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from splitpayout.jobs.inbox.job import Inbox
from splitpayout.jobs.inbox.run import RunExport, run_split_payouts
from splitpayout.jobs.inbox.settings import InboxSettings


def process_inbox(
    settings: InboxSettings, *, run_export: RunExport = run_split_payouts, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """The inbox run's summary, also written to ``inbox-summary.json``."""
    inbox = Inbox(settings, run_export=run_export, say=say)
    error = ""
    try:
        if inbox.take():
            inbox.return_interrupted()
            inbox.process_new_exports()
    except BaseException as failure:
        error = f"{type(failure).__name__}: {failure}"
        raise
    finally:
        summary = inbox.finish(error)
        inbox.write_summary(summary)
        inbox.close()
    return summary
