"""Exactly-once registration of planned payments in the payout system (docs/rules.md §4).

``RegistrationEngine`` (``engine``) brings every planned payment of each decision to a known
end state through any ``PayoutGateway`` and the ``Ledger`` shared by every run. Its parts:
``holdings`` (what the payout system holds, by reference: the prefetch and fresh look-ups),
``retry`` (attempts, backoff, fresh log-ins, when the payout system counts as unavailable),
``decision`` (the work on one decision) and ``matching`` (when a held payment is the planned
one). How the engine goes about it, step by step, is in docs/rules.md §4.8. Events never
carry names, identity or account numbers.
"""
