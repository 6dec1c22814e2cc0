"""Notifications by e-mail: case workers about decisions that need them, operators about runs
that need tending. See ``docs/notifications.md``.

Two calls from the rest of the robot:

- ``delivery.queue_run_messages`` when a run's reports are written (``SplitPayoutJob.write_reports``):
  one message per Handläggare with decisions for manual handling, into the outbox;
- ``delivery.after_run`` when a task has ended and its ``run.json`` is written
  (``splitpayout.runner``): the operators' message when the run failed, then the outbox
  is sent, and what happened is recorded in the run's artifacts.

Neither ever raises, and neither changes a run's outcome or exit status.
"""
