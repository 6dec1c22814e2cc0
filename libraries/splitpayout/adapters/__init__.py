"""The adapters: where the robot meets files, databases, the payout system and Control Room.

``reader`` (the export, streamed), ``ledger`` and ``ledger_key`` (the SQLite ledger and its
key), ``results`` (a run's results on disk), ``reports`` and ``workbook`` (``summary.json`` and
the workbooks), ``runlog`` and ``narration`` (the run's logs), ``runs`` and ``storage`` (run
folders, room on disk), ``files``, ``gateway`` (the ``PayoutGateway`` seam to the payout
system), ``workitems``, ``local_adapter`` and ``sealing`` (work items and their sealed personal
part). Adapters use the domain and the configuration, never a job.
"""
