*** Settings ***
Documentation       Produce work items: the first step of the robot's Control Room process. Reads
...                 and plans the export attached to the input work item and creates one output
...                 work item per decision, for the consumers. Enters nothing in the payout system.
...
...                 Configured by environment variables (see docs/work-items.md): the work-item
...                 adapter (Control Room's, or RPA_WORKITEMS_ADAPTER with RPA_INPUT_WORKITEM_PATH
...                 and RPA_OUTPUT_WORKITEM_PATH locally), WORK_ITEM_KEYS or WORK_ITEM_KEY_FILE (the
...                 key that seals the items' personal data), STATE_DIR, ROBOT_ARTIFACTS, RUN_DATE.

Library             WorkItemSteps.ProduceWorkItems


*** Tasks ***
Produce work items
    [Documentation]    One work item per decision of the export, each with the decision's plan.
    Get The Export From The Input Work Item
    Read The Decisions Export
    Plan The Payments
    Create One Work Item Per Decision
    [Teardown]    Finish The Production
