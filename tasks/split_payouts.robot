*** Settings ***
Documentation       Split payouts: read the approved decisions that the case-management system
...                 exported, split each amount between the partners, register every planned
...                 payment in the payout system exactly once, and report what needs a human.
...
...                 Configured by environment variables (see the README): DECISIONS_FILE,
...                 DRY_RUN, PAYOUT_SYSTEM_URL, the credentials, STATE_DIR, ROBOT_ARTIFACTS.

Library             SplitPayouts
Resource            ../resources/payout_system.resource


*** Tasks ***
Split payouts
    [Documentation]    One run over one export: every decision ends paid, already_paid, manual or
    ...    failed, and the reports say which.
    Read The Decisions Export
    Plan The Payments
    Register The Planned Payments
    Write The Run Reports
    Check That Every Decision Has Been Handled
    [Teardown]    Finish The Run
