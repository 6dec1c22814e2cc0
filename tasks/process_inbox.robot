*** Settings ***
Documentation       Process inbox: every new decisions export put in the inbox folder is processed
...                 once by the Split payouts task, in its own run folder, and then archived under
...                 that run, or rejected with a note saying why (unreadable, or content already
...                 processed).
...
...                 Configured by environment variables (see docs/scheduling.md): INBOX_DIR,
...                 ARCHIVE_DIR, REJECTED_DIR, RUNS_DIR, STATE_DIR, INBOX_MIN_AGE_SECONDS,
...                 INBOX_LOCK_WAIT_SECONDS, and everything the Split payouts task reads.

Library             ProcessInbox


*** Tasks ***
Process inbox
    [Documentation]    One inbox run: every new export ends processed and archived, or rejected
    ...    with a note; the run fails when any file needs attention, so monitoring alerts.
    Make Sure No Other Inbox Run Is Working
    Return Exports Left By An Interrupted Run
    Process Every New Export In The Inbox
    Report The Inbox Run
    [Teardown]    Finish The Inbox Run
