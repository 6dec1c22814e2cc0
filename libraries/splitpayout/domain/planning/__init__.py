"""Planning one decision: the split and the rules of docs/rules.md §2 and §3.

``parsing`` (one raw row -> a decision), ``rules`` (the named rule checks, ``RULES``) and
``payments`` (the plan of one decision and its payments). The whole export, streamed, with
repeated decision numbers found, is planned by ``splitpayout.jobs.export_plan``.
"""
