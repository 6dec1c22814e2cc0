"""The inbox: every new export put in a folder is processed once, unattended.

``Inbox`` runs the ``Split payouts`` task on each new ``*.xlsx`` in ``INBOX_DIR``, one at a
time and each in its own run folder, then archives, rejects (with a Swedish note) or returns
the file; ``InboxLock`` keeps to one inbox run at a time. What happens to each file, and why,
is in docs/scheduling.md. Nothing here reads a cell of an export.

The modules: ``settings`` (folders and behaviour), ``files`` (finding and moving files),
``lock`` (one inbox run at a time), ``seen`` (the record of content already taken),
``notes`` (the Swedish notes), ``outcomes`` (what became of a file), ``run`` (one export's
run in its own process) and ``job`` (the inbox run).
"""
