"""The board's follow-up of split payouts by legal sex (docs/follow-up.md).

``statistics`` keeps a real run's aggregates (``statistics.json``); ``collect`` reads the runs'
folders and counts each decision once; ``report`` withholds small groups; ``files`` writes
``uppfoljning.json``, ``.csv`` and ``.xlsx``; ``job`` is the ``Follow up`` task's steps.
"""
