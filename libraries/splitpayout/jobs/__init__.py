"""The jobs: each way of running the robot, over the domain and the adapters.

``split_payouts`` (one ``Split payouts`` run: planning, registering, reporting), ``export_plan``
(a whole export planned, streamed), ``registration`` (exactly-once registration and the one
registration loop), ``parallel`` and ``work_queue`` (local workers, Control Room's work items),
``inbox``, ``reconcile``, ``notify``, ``retention`` and ``followup``. The keyword libraries and
``splitpayout.runner`` call them; nothing below them imports a job.
"""
