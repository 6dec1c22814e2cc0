"""Planning every payment of the export: the split and the rules of docs/rules.md §2 and §3.

``parsing`` (one raw row -> a decision), ``rules`` (the named rule checks, ``RULES``),
``payments`` (the plan of one decision and its payments) and ``export`` (the whole file,
streamed, with repeated decision numbers found). ``splitpayout.planner`` gathers the names
callers use.
"""
