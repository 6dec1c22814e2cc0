"""Reconciliation of a payout period: the payout system against the decisions and the ledger.

What it compares, the findings and the reports: docs/reconciliation.md. One module per job:
``settings`` (the period), ``sources`` (the exports, planned), ``client`` (the payout system's
API), ``findings`` and ``compare`` (the finders), ``report`` (the reports), ``job`` (the steps).
"""
