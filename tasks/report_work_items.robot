*** Settings ***
Documentation       Report work items: the last step of the robot's Control Room process. Collects
...                 the consumers' results of one export and writes summary.json and the case
...                 workers' manual-handling workbook, as a Split payouts run does.
...
...                 Configured by environment variables (see docs/work-items.md): the work-item
...                 adapter, WORK_ITEM_KEYS or WORK_ITEM_KEY_FILE, STATE_DIR, ROBOT_ARTIFACTS.

Library             WorkItemSteps.ReportWorkItems


*** Tasks ***
Report work items
    [Documentation]    The reports of the whole export; fails when a decision failed or has no result.
    Collect The Results Of Every Decision
    Write The Run Reports
    Check That Every Decision Has Been Handled
    [Teardown]    Finish The Run
