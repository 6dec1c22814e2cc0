*** Settings ***
Documentation       Follow up: the board's figures of split payouts by legal sex, per month of payout
...                 date and for the whole period, counted from every run's statistics. Each decision
...                 is counted once; figures over fewer than 5 households are withheld; protected
...                 identities are left out. No file holds personal data.
...
...                 Configured by environment variables (see docs/follow-up.md): FOLLOW_UP_FROM,
...                 FOLLOW_UP_TO, RUNS_DIR, FOLLOW_UP_RUN_FOLDERS, ROBOT_ARTIFACTS.

Library             FollowUp


*** Tasks ***
Follow up the split payouts of the period
    [Documentation]    Writes uppfoljning.json, uppfoljning.xlsx (with a chart) and uppfoljning.csv.
    Read Every Run Folder
    Count Each Decision Once
    Write The Follow Up Files
