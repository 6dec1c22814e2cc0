"""One run of the ``Split payouts`` task: read, plan, register, report (``job.SplitPayoutJob``)."""
