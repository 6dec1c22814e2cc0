"""The domain: what a decision, a plan, a payment and a reason are, and the rules that turn one
into the other.

Pure Python without I/O: ``models`` (decisions, plans, outcomes, results), ``references``
(decision numbers and payment references), ``cells`` (one cell of an export to one value),
``planning`` (one row to a decision, the rules, one decision to its payments), ``reasons`` (the
reason codes and their Swedish texts), ``contract`` (the payout system's form and limits),
``stops`` (why a run stops), ``errors`` (what makes a file unusable, the robot's own storage
failing) and ``localtime``. Nothing here imports an adapter, a job, the configuration, Robot
Framework or the web apps' plumbing (``tests/unit/test_layers.py``).
"""
