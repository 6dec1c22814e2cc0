*** Settings ***
Documentation       Reconcile: compare what the payout system holds for a period of payout dates
...                 with the approved decisions and with the robot's ledger, and report every
...                 discrepancy as evidence for finance.
...
...                 Configured by environment variables (see docs/reconciliation.md):
...                 RECONCILE_FROM, RECONCILE_TO, DECISIONS_FILE, PAYOUT_SYSTEM_URL, the API token,
...                 STATE_DIR, ROBOT_ARTIFACTS. Exit status 0 only when nothing differs.

Library             Reconcile


*** Tasks ***
Reconcile the payout period
    [Documentation]    Payments without a decision, decisions not fully registered, amounts, recipients
    ...    or dates that differ, duplicate references, and a ledger that disagrees: each is a finding
    ...    in reconciliation.json and avstamning.xlsx.
    Read The Decisions Of The Period
    Read The Ledger
    Read What The Payout System Holds
    Compare The Payments With The Decisions And The Ledger
    Write The Reconciliation Reports
    Check That The Period Is Reconciled
    [Teardown]    Finish The Reconciliation
