*** Settings ***
Documentation       Acceptance: the Split payouts task for real, against the stand-in payout system
...                 in headless Chromium. What the payout system holds is checked through its
...                 JSON API, payment by payment, against the plan for the export.

Library             OperatingSystem
Library             AcceptanceHelpers.py

Suite Setup         Prepare The Exports
Test Teardown       Stop The Payout System


*** Variables ***
${WORKDIR}          ${OUTPUT DIR}${/}real-runs
${DEMO_EXPORT}      ${WORKDIR}${/}decisions-demo.xlsx
${VALID_EXPORT}     ${WORKDIR}${/}decisions-valid.xlsx
${SMALL_EXPORT}     ${WORKDIR}${/}decisions-small.xlsx
${FIXTURES}         ${CURDIR}${/}..${/}fixtures


*** Test Cases ***
A Clean Run Pays Exactly The Plan
    [Documentation]    Every planned payment of the demo export is registered once, as planned;
    ...    the reports add up and hold no personal data.
    ${case}=    Start A Fresh Case    clean
    Run Split Payouts And Expect Success    ${DEMO_EXPORT}    ${case}${/}first    ${case}${/}state
    The Payout System Should Hold Exactly The Plan    ${DEMO_EXPORT}
    Every Decision Should Have Outcome In    ${case}${/}first    paid    manual
    Totals Should Add Up    ${case}${/}first
    Artifacts Should Hold No Personal Data    ${case}${/}first    ${DEMO_EXPORT}
    File Should Exist    ${case}${/}first${/}manuell-hantering.xlsx

    Run Split Payouts And Expect Success    ${DEMO_EXPORT}    ${case}${/}second    ${case}${/}state
    Every Decision Should Have Outcome In    ${case}${/}second    already_paid    manual
    The Payout System Should Hold Exactly The Plan    ${DEMO_EXPORT}

A Run Killed Mid-Way Is Completed By The Next Run Without Duplicates
    [Documentation]    SIGKILL at random points around submits; the next run looks up what may have
    ...    been sent and registers the rest, each reference exactly once.
    ${case}=    Start A Fresh Case    killed
    Run Split Payouts And Kill It    ${VALID_EXPORT}    ${case}${/}first    ${case}${/}state
    ...    after_registrations=5    seed=11
    Run Split Payouts And Kill It    ${VALID_EXPORT}    ${case}${/}second    ${case}${/}state
    ...    after_registrations=20    seed=12
    Run Split Payouts And Expect Success    ${VALID_EXPORT}    ${case}${/}third    ${case}${/}state
    The Payout System Should Hold Exactly The Plan    ${VALID_EXPORT}
    Every Decision Should Have Outcome In    ${case}${/}third    paid    already_paid

Server Errors, Expired Sessions And Hangs Are Ridden Out
    [Documentation]    With 5xx answers, dropped sessions and hanging requests, retries with backoff
    ...    and fresh log-ins register every payment once in a single run.
    ${case}=    Start A Fresh Case    faults
    ...    --seed    5    --error-rate    0.1    --expire-session-rate    0.05
    ...    --hang-rate    0.03    --hang-seconds    6    --latency-ms    50    --jitter-ms    150
    Run Split Payouts And Expect Success    ${VALID_EXPORT}    ${case}${/}first    ${case}${/}state
    The Payout System Should Hold Exactly The Plan    ${VALID_EXPORT}
    Run Log Should Show Failures    ${case}${/}first    server_error    session_expired    timeout

A Short Maintenance Window Is Waited Out
    [Documentation]    A maintenance notice for a few requests mid-run is retried through. The window
    ...    opens at the 30th request to the payout system's pages: mid-run on any machine.
    ${case}=    Start A Fresh Case    short-maintenance
    ...    --maintenance-from-request    30    --maintenance-requests    4
    Run Split Payouts And Expect Success    ${VALID_EXPORT}    ${case}${/}first    ${case}${/}state
    ...    RETRY_BACKOFF_SECONDS=0.5
    The Payout System Should Hold Exactly The Plan    ${VALID_EXPORT}
    Run Log Should Show Failures    ${case}${/}first    maintenance

A Long Outage Stops The Run Cleanly And The Next Run Completes It
    [Documentation]    When the payout system stays closed the run stops, says so, and exits non-zero;
    ...    the decisions it did not reach are failed, and a run after the outage completes them.
    ${case}=    Start A Fresh Case    outage
    ...    --maintenance-from-request    30    --maintenance-requests    1000000
    ${status}=    Run Split Payouts    ${VALID_EXPORT}    ${case}${/}first    ${case}${/}state
    ...    MAX_ATTEMPTS=2    MAX_CONSECUTIVE_FAILURES=2
    The Run Should Have Stopped Cleanly    ${status}    ${case}${/}first
    Restart The Payout System Without Faults
    Run Split Payouts And Expect Success    ${VALID_EXPORT}    ${case}${/}second    ${case}${/}state
    The Payout System Should Hold Exactly The Plan    ${VALID_EXPORT}

A Slow Save Is Not Entered Twice
    [Documentation]    The confirmation comes after the robot's page timeout; the payment was stored,
    ...    and the robot finds it instead of entering it again.
    ${case}=    Start A Fresh Case    slow-save    --slow-save-seconds    4
    Run Split Payouts And Expect Success    ${SMALL_EXPORT}    ${case}${/}first    ${case}${/}state
    The Payout System Should Hold Exactly The Plan    ${SMALL_EXPORT}

Refusals By The Payout System Go To Manual Handling
    [Documentation]    Payments the payout system's own validation refuses (here: above its ceiling
    ...    for one payment) are not retried; their decisions go to the case workers.
    ${case}=    Start A Fresh Case    refusals    --max-payment-kr    15000
    ${refused}=    Decisions With A Payment Above    ${VALID_EXPORT}    15000
    Should Not Be Empty    ${refused}
    Run Split Payouts And Expect Success    ${VALID_EXPORT}    ${case}${/}first    ${case}${/}state
    Decisions Should Be    ${case}${/}first    manual    @{refused}
    Summary Should Contain Reasons    ${case}${/}first    rejected_by_payout_system
    The Payout System Should Hold Exactly The Plan    ${VALID_EXPORT}    refused_above_kr=15000
    File Should Exist    ${case}${/}first${/}manuell-hantering.xlsx

A File That Cannot Be Used Enters Nothing And Says Why
    [Documentation]    Not an xlsx, encrypted, or lacking required columns: a non-zero exit, nothing
    ...    entered, and summary.json names the problem (and the missing columns).
    [Template]    The Export Should Be Refused
    csv-renamed.xlsx    not_xlsx
    encrypted.xlsx    encrypted
    missing-columns.xlsx    missing_columns
    header-only.xlsx    no_decisions

Wrong Credentials Stop The Run At Once
    [Documentation]    A refused log-in is not retried (it could lock the account): the run stops,
    ...    says why, enters nothing, and the password reaches no artifact.
    ${case}=    Start A Fresh Case    wrong-password
    ${status}=    Run Split Payouts    ${SMALL_EXPORT}    ${case}${/}first    ${case}${/}state
    ...    PAYOUT_SYSTEM_PASSWORD=not-the-robots-password
    Should Not Be Equal As Integers    ${status}    0
    ${summary}=    Load Summary    ${case}${/}first
    Should Be Equal    ${summary}[status]    stopped
    Should Contain    ${summary}[stopped_reason]    refused the username or password
    ${held}=    Payments In The Payout System
    Should Be Empty    ${held}
    Artifacts Should Hold No Personal Data    ${case}${/}first    ${SMALL_EXPORT}    not-the-robots-password

Two Runs At Once Never Enter A Payment Twice
    [Documentation]    Two runs started together on the same state share the work through the
    ...    ledger's claims, both end without failures, and a third run finds everything registered.
    ${case}=    Start A Fresh Case    concurrent
    ${one}=    Start Split Payouts    ${VALID_EXPORT}    ${case}${/}one    ${case}${/}state
    ${two}=    Start Split Payouts    ${VALID_EXPORT}    ${case}${/}two    ${case}${/}state
    ${status_one}=    Wait For Split Payouts    ${one}
    ${status_two}=    Wait For Split Payouts    ${two}
    Should Be Equal As Integers    ${status_one}    0
    Should Be Equal As Integers    ${status_two}    0
    The Payout System Should Hold Exactly The Plan    ${VALID_EXPORT}
    Run Split Payouts And Expect Success    ${VALID_EXPORT}    ${case}${/}three    ${case}${/}state
    Every Decision Should Have Outcome In    ${case}${/}three    already_paid


*** Keywords ***
Prepare The Exports
    [Documentation]    The demo export (every rule and reason code) and two exports of valid decisions.
    Remove Directory    ${WORKDIR}    recursive=True
    Create Directory    ${WORKDIR}
    Write Demo Export    ${DEMO_EXPORT}    count=60
    Write Valid Export    ${VALID_EXPORT}    count=20
    Write Valid Export    ${SMALL_EXPORT}    count=3    seed=3

Start A Fresh Case
    [Documentation]    A new working folder and a stand-in with an empty database and the given faults.
    [Arguments]    ${name}    @{fault_options}
    VAR    ${case}=    ${WORKDIR}${/}${name}
    Create Directory    ${case}
    Start The Payout System    ${case}    @{fault_options}
    RETURN    ${case}

Run Split Payouts And Expect Success
    [Documentation]    Run the task for real and check that it exited 0 (no decision failed).
    [Arguments]    ${export}    ${artifacts}    ${state}    &{settings}
    ${status}=    Run Split Payouts    ${export}    ${artifacts}    ${state}    &{settings}
    Should Be Equal As Integers    ${status}    0    msg=the run failed: see ${artifacts}${/}log.html

The Run Should Have Stopped Cleanly
    [Documentation]    A non-zero exit, status ``stopped`` with its reason, every decision paid or
    ...    failed (none half-done, none lost), and totals that add up.
    [Arguments]    ${status}    ${artifacts}
    Should Not Be Equal As Integers    ${status}    0
    ${summary}=    Load Summary    ${artifacts}
    Should Be Equal    ${summary}[status]    stopped
    Should Not Be Equal    ${summary}[stopped_reason]    ${None}
    Every Decision Should Have Outcome In    ${artifacts}    paid    failed
    Totals Should Add Up    ${artifacts}

The Export Should Be Refused
    [Documentation]    Run for real on the fixture ``file``; check the refusal and that nothing was entered.
    [Arguments]    ${file}    ${code}
    ${case}=    Start A Fresh Case    refused-${code}
    ${status}=    Run Split Payouts    ${FIXTURES}${/}${file}    ${case}${/}first    ${case}${/}state
    Should Not Be Equal As Integers    ${status}    0
    ${summary}=    Load Summary    ${case}${/}first
    Should Be Equal    ${summary}[status]    file_error
    Should Be Equal    ${summary}[error][code]    ${code}
    IF    $code == 'missing_columns'    Should Not Be Empty    ${summary}[error][columns]
    ${held}=    Payments In The Payout System
    Should Be Empty    ${held}
    Stop The Payout System
