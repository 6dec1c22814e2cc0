*** Settings ***
Documentation       Acceptance of the payout system's keywords (resources/payout_system.resource) and of
...                 RobotGateway, against the stand-in in a real headless Chromium.
...
...                 Run: .venv/bin/python -m robot --pythonpath .:libraries --outputdir output/acceptance
...                 tests/acceptance/payout_system_ui.robot
...                 (tests/integration/test_robot_gateway_suite.py runs it and checks that its log
...                 holds no personal data and no password).

Resource            payout_system_steps.resource
Library             StandIn.py

Suite Setup         Start The Stand-in And Log In
Suite Teardown      Close The Browser And Stop The Stand-ins


*** Test Cases ***
Registering A Payment Returns Its Payment Number
    [Documentation]    The form is filled in one step and the stand-in holds exactly what was entered.
    ${payment}=    Get Test Payment    T-1/1
    ${payment_number}=    Register Payment    ${payment}
    Should Match Regexp    ${payment_number}    ^U-\\d+$
    Payment In Stand-in Should Match    ${payment_number}    ${payment}

Typing Key By Key Gives The Same Payment
    [Documentation]    The fallback that types like a person enters the same payment.
    ${payment}=    Get Test Payment    T-2/2    amount_ore=${99}
    Open Payment Form
    Fill Payment Form    ${payment}    fast=${FALSE}
    Submit Payment Form
    ${payment_number}=    Read Payment Number
    Payment In Stand-in Should Match    ${payment_number}    ${payment}

A Field The Payout System Refuses Is A Business Failure
    [Documentation]    The stand-in's own validation is a typed business failure naming the field; nothing is stored.
    ${payment}=    Get Test Payment With An Invalid Identity Number    T-3/1
    Run Keyword And Expect Error    BUSINESS: rejected_by_payout_system fields=personnummer
    ...    Register Payment    ${payment}
    Stand-in Should Hold Payments    T-3/1    0

The Search Reads Every Row By Reference
    [Documentation]    Search by reference returns every matching row with its cells, and the count.
    ${payment}=    Get Test Payment    T-4/1
    ${first}=    Register Payment    ${payment}
    ${second}=    Register Payment    ${payment}
    ${rows}    ${next_pages}    ${matches}=    Read Search Results Page    reference=T-4/1
    Found Payments Should Be    ${rows}    ${first}    ${second}
    Should Be Equal As Integers    ${matches}    2
    Should Be Equal As Integers    ${next_pages}    0
    ${rows}    ${_}    ${matches}=    Read Search Results Page    reference=T-NOTHING/1
    Should Be Empty    ${rows}
    Should Be Equal As Integers    ${matches}    0

The Search Reads Payments By Date One Page At A Time
    [Documentation]    Search by payout date, one row to a page, says when another page follows.
    ${payment}=    Get Test Payment    T-4/2
    Register Payment    ${payment}
    ${day}=    Evaluate    $payment.payout_date.isoformat()
    ${rows}    ${next_pages}    ${matches}=    Read Search Results Page    date_from=${day}    date_to=${day}
    ...    page=2    per_page=1
    Should Be Equal As Integers    ${next_pages}    1
    Length Should Be    ${rows}    1
    Should Be True    ${matches} >= 3

A Lost Session Is An Application Failure
    [Documentation]    Landing on the login page is a typed, retryable failure; logging in again recovers.
    Delete All Cookies
    Run Keyword And Expect Error    APPLICATION: session_expired*    Open Payment Form
    Log In To Payout System    ${USERNAME}    ${PASSWORD}
    Payout System Should Be Open

The Gateway Registers And Finds Payments
    [Documentation]    RobotGateway, inside a running suite, registers a payment and reads it back
    ...    as a RegisteredPayment.
    Gateway Should Register And Find    T-5/1

The Gateway Reads Every Page Of A Search
    [Documentation]    RobotGateway reads a search one result to a page and finds every payment.
    Gateway Should Find Every Page    T-5/2    3

The Gateway Types Its Failures
    [Documentation]    RobotGateway raises BusinessError for a refused field and session_expired before submitting.
    Gateway Should Raise Business Error    T-6/1
    Delete All Cookies
    Gateway Should Raise Session Expired
    Log In To Payout System    ${USERNAME}    ${PASSWORD}

A Confirmation That Never Comes Is An Unknown Outcome
    [Documentation]    A payment stored but not confirmed in time raises SubmitOutcomeUnknownError.
    [Setup]    Use A Stand-in That Saves Slowly
    Gateway Should Report Unknown Outcome    T-7/1
    Stand-in Should Hold Payments    T-7/1    1
    [Teardown]    Close Payout System

Maintenance And Server Errors Are Application Failures
    [Documentation]    A maintenance window and 5xx error pages are typed, retryable failures.
    ${closed}=    Start The Stand-in    --maintenance-from-request    1    --maintenance-requests    1000000
    Open The Browser    ${closed}
    Run Keyword And Expect Error    APPLICATION: maintenance*
    ...    Log In To Payout System    ${USERNAME}    ${PASSWORD}
    Close Payout System
    ${failing}=    Start The Stand-in    --error-rate    1    --seed    1
    Open The Browser    ${failing}
    Run Keyword And Expect Error    APPLICATION: server_error*
    ...    Log In To Payout System    ${USERNAME}    ${PASSWORD}
    [Teardown]    Close Payout System

Logging Out Shows The Login Page
    [Documentation]    Logging out ends the session; a wrong password is refused.
    [Setup]    Open Payout System And Log In    ${FIRST_URL}
    Log Out Of Payout System
    Payout System Should Show Page    login
    ${wrong}=    Get Wrong Password
    Run Keyword And Expect Error    LOGIN_REFUSED: the payout system refused*
    ...    Log In To Payout System    ${USERNAME}    ${wrong}


*** Keywords ***
Start The Stand-in And Log In
    [Documentation]    Start a stand-in with a fresh database, open the browser and log in as the registrar.
    ${url}=    Start The Stand-in
    ${username}=    Get Robot Username
    ${password}=    Get Robot Password
    VAR    ${FIRST_URL}=    ${url}    scope=SUITE    # robocop: off=VAR05
    VAR    ${USERNAME}=    ${username}    scope=SUITE    # robocop: off=VAR05
    VAR    ${PASSWORD}=    ${password}    scope=SUITE    # robocop: off=VAR05
    Open Payout System And Log In    ${url}

Open The Browser
    [Documentation]    Open the browser at ``url`` with the robot's own browser settings.
    [Arguments]    ${url}
    ${browser}=    Get Browser Settings
    Open Payout System    ${url}    ${browser.headless}    ${browser.page_timeout_seconds}
    Choose How Payment Forms Are Filled    ${browser.fast_fill}

Open Payout System And Log In
    [Documentation]    Open the browser at ``url`` and log in as the registrar.
    [Arguments]    ${url}
    Open The Browser    ${url}
    Log In To Payout System    ${USERNAME}    ${PASSWORD}
    Payout System Should Be Open

Use A Stand-in That Saves Slowly
    [Documentation]    Switch to a stand-in that answers 30 s after saving, with a 2 s page-load
    ...    timeout: a margin that no loaded machine eats.
    Close Payout System
    ${url}=    Start The Stand-in    --slow-save-seconds    30
    Open Payout System And Log In    ${url}
    Set Selenium Page Load Timeout    2 seconds
    Set Selenium Timeout    2 seconds

Close The Browser And Stop The Stand-ins
    [Documentation]    Close the browser, stop every stand-in and remove their files.
    Close Payout System
    Stop The Stand-ins
    Remove The Stand-in Files
