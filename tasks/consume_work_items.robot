*** Settings ***
Documentation       Consume work items: the second step of the robot's Control Room process, run
...                 by as many robots at once as there is work. Registers the payments of one
...                 decision per input work item in the payout system, exactly once, and releases
...                 the item done, or failed with BUSINESS (manual handling) or APPLICATION
...                 (a technical failure: retrying the item completes it).
...
...                 Configured by environment variables (see docs/work-items.md): the work-item
...                 adapter, PAYOUT_SYSTEM_URL, the credentials, STATE_DIR, ROBOT_ARTIFACTS,
...                 LOOK_UP_EACH_PAYMENT, WORK_ITEM_KEYS or WORK_ITEM_KEY_FILE (without a key that
...                 opens the items, nothing is entered and the item in hand goes back).

Library             WorkItemSteps.ConsumeWorkItems
Resource            ../resources/payout_system.resource


*** Tasks ***
Consume work items
    [Documentation]    Every input work item ends released: done, or failed with the reason.
    Register The Payments Of Every Decision Work Item
    Check That Every Work Item Has Been Handled
    [Teardown]    Finish The Consumption
