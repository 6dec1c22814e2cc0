"""The split-payout robot's work, plain Python, in layers (docs/architecture.md):

- ``domain``: decisions, plans, the split and its rules, reason codes; pure, no I/O;
- ``config``: every setting and secret, read once and passed down;
- ``adapters``: the export, the ledger, the reports, logs, work items, the payout system's seam;
- ``jobs``: each way of running (the run, parallel workers, work items, inbox, reconciliation,
  notifications, retention, follow-up);
- ``runner``: starts a task with Robot Framework.

Each layer imports only from those above it in this list. Names are imported from the module
that defines them (``from splitpayout.domain.planning.payments import plan_decision``).
"""
