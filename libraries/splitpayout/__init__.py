"""The split-payout robot's domain logic, plain Python without Robot Framework.

- ``models``: the domain model (decisions, plans, outcomes, reasons).
- ``cells``: one export cell -> amount, date, yes/no, share or text.
- ``reader``: streaming read of the export (``read_header``, ``iter_rows``).
- ``planner``: the split and the rules (``parse_row``, ``plan_decision``, ``plan_export``).
- ``errors``: ``ExportFileError`` (the file cannot be used) and ``CellError`` (one cell).

Submodules are imported explicitly (``from splitpayout.planner import plan_export``) so that
importing the models never pulls in the export reader.
"""
