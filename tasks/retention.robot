*** Settings ***
Documentation       Retention (gallring): remove every file and record with personal data that is
...                 older than the retention period: the case workers' workbooks of old runs, archived
...                 and rejected exports, work-item files, the console's uploads. Each run's operator
...                 record (summary.json, log.html, run.json) and the payment ledger stay.
...
...                 Configured by environment variables (see docs/scheduling.md): RETENTION_DAYS,
...                 RETENTION_DRY_RUN, RUNS_DIR, ARCHIVE_DIR, REJECTED_DIR, STATE_DIR,
...                 CONSOLE_DATA_DIR, ROBOT_ARTIFACTS. Exit status 0 only when everything due went.

Library             Retention


*** Tasks ***
Remove personal data past the retention period
    [Documentation]    What went is counted per kind in retention.json, with the run folders it
    ...    came from; a run whose files went says so in its own folder (removed-by-retention.json).
    Remove Personal Data Older Than The Retention Period
    Write The Retention Report
    Check That Everything Due Was Removed
    [Teardown]    Record The Retention In The Run History
