*** Settings ***
Documentation       Acceptance: a case worker's preview. The Split payouts task with DRY_RUN=true
...                 reads the demo export, plans every decision and touches no payout system.

Library             OperatingSystem
Library             AcceptanceHelpers.py

Suite Setup         Prepare The Demo Export


*** Variables ***
${WORKDIR}          ${OUTPUT DIR}${/}dry-run
${EXPORT}           ${WORKDIR}${/}decisions-demo.xlsx
${ARTIFACTS}        ${WORKDIR}${/}artifacts
${STATE}            ${WORKDIR}${/}state


*** Test Cases ***
Dry Run Plans Every Decision Without Touching The Payout System
    [Documentation]    Every decision ends planned or manual; no ledger is created, no payout system
    ...    is contacted (the URL points nowhere).
    ${status}=    Run Split Payouts    ${EXPORT}    ${ARTIFACTS}    ${STATE}    dry_run=true
    Should Be Equal As Integers    ${status}    0
    ${summary}=    Load Summary    ${ARTIFACTS}
    Should Be Equal    ${summary}[mode]    dry_run
    Every Decision Should Have Outcome In    ${ARTIFACTS}    planned    manual
    Totals Should Add Up    ${ARTIFACTS}
    File Should Not Exist    ${STATE}${/}ledger.sqlite3

Dry Run Names Every Reason The Export Can Give
    [Documentation]    The demo export holds every reason code the plan can give.
    Summary Should Contain Reasons    ${ARTIFACTS}
    ...    invalid_row    duplicate_decision    protected_identity    missing_partner
    ...    invalid_identity    invalid_account    invalid_bankgiro    amount_above_limit
    ...    payout_date_passed

Dry Run Writes The Case Workers' Workbook
    [Documentation]    The decisions that need a human are listed for the case workers.
    File Should Exist    ${ARTIFACTS}${/}manuell-hantering.xlsx

Dry Run Leaves No Personal Data In Operator Artifacts
    [Documentation]    No identity number, account number or name from the export in any operator
    ...    artifact (log.html, report.html, output.xml, summary.json, run.jsonl).
    Artifacts Should Hold No Personal Data    ${ARTIFACTS}    ${EXPORT}


*** Keywords ***
Prepare The Demo Export
    [Documentation]    The demo export with payout dates relative to today.
    Remove Directory    ${WORKDIR}    recursive=True
    Create Directory    ${WORKDIR}
    Write Demo Export    ${EXPORT}
