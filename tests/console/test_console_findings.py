"""Answers without reading logs: the history's filters, pages and CSV, the look-up by decision number,
what a reconciliation compares, and the preview's facts, through the Flask test client."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from splitpayout.adapters.runs import new_run_dir

from console.facts import preview_facts
from console.runfilter import PAGE_SIZE
from console.settings import Settings
from tests.console.conftest import World, finished_run
from tests.console.console_testdata import Export, wait_until
from tests.console.test_console_operations import cell, history_rows, personal_data, reconcile, reconcile_runs


@pytest.fixture
def olle(as_user: Callable[[str], FlaskClient]) -> FlaskClient:
    return as_user("olle")


def old_run(settings: Settings, index: int, *, task: str = "process_inbox", file_name: str = "x.xlsx") -> str:
    """A finished run folder, started ``index`` days into November 2026."""
    run_dir = new_run_dir(settings.runs_dir, f"inbox-{index}")
    started = f"2026-11-{index:02d}T09:00:00+00:00"
    record = {"task": task, "started_by": "schedule", "pid": 1, "started_at": started}
    record |= {"finished_at": started, "exit_status": 0}
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")
    summary = {"status": "completed", "mode": "real", "source": {"file_name": file_name, "sha256": "ab"}}
    (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return run_dir.name


def test_the_history_pages_and_filters_by_period_kind_file_and_state(
    olle: FlaskClient, settings: Settings
) -> None:
    names = [old_run(settings, day, file_name=f"export-{day}.xlsx") for day in range(1, 29)]
    new_run_dir(settings.runs_dir, "empty")  # a folder without a run is neither listed nor counted
    many = [old_run(settings, 1 + n % 28, file_name=f"more-{n}.xlsx") for n in range(PAGE_SIZE)]
    total = len(names) + len(many)

    first = olle.get("/korningar").get_data(as_text=True)
    assert len(history_rows(first)) == PAGE_SIZE
    assert f"{total} körningar" in first and 'id="page-next"' in first
    second = olle.get("/korningar?sida=2").get_data(as_text=True)
    assert len(history_rows(second)) == total - PAGE_SIZE
    assert not set(history_rows(first)) & set(history_rows(second))

    period = history_rows(olle.get("/korningar?fran=2026-11-03&till=2026-11-04").get_data(as_text=True))
    assert {cell(row, "file") for row in period.values()} >= {"export-3.xlsx", "export-4.xlsx"}
    assert all(cell(row, "started-at").startswith(("2026-11-03", "2026-11-04")) for row in period.values())
    by_file = history_rows(olle.get("/korningar?fil=EXPORT-1").get_data(as_text=True))
    assert {cell(row, "file") for row in by_file.values()} == {
        f"export-{d}.xlsx" for d in (1, *range(10, 20))
    }
    assert history_rows(olle.get("/korningar?typ=reconcile").get_data(as_text=True)) == {}
    assert history_rows(olle.get("/korningar?av=handl").get_data(as_text=True)) == {}
    assert len(history_rows(olle.get("/korningar?status=ok&typ=inbox&sida=9").get_data(as_text=True))) > 0


@hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.dictionaries(
        st.sampled_from(["fran", "till", "typ", "fil", "av", "status", "sida", "visa"]), st.text()
    )
)
def test_any_query_string_gives_a_page_not_an_error(olle: FlaskClient, query: dict[str, str]) -> None:
    assert olle.get("/korningar", query_string=query).status_code == 200
    assert olle.get("/korningar.csv", query_string=query).status_code == 200


@hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(number=st.text(max_size=80))
def test_any_decision_number_is_looked_up_safely(as_user: Callable[[str], FlaskClient], number: str) -> None:
    for user, path in (("olle", "/korningar/beslut"), ("anna", "/filer/beslut")):
        response = as_user(user).get(path, query_string={"beslut": number})
        assert response.status_code == 200


def test_the_history_as_csv_has_zoned_times_and_no_formulas(olle: FlaskClient, settings: Settings) -> None:
    old_run(settings, 5, file_name="=HYPERLINK(1).xlsx")
    response = olle.get("/korningar.csv?fil=hyperlink")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    header, (row,) = rows[0], rows[1:]
    record = dict(zip(header, row, strict=True))
    assert record["fil"] == "'=HYPERLINK(1).xlsx"  # never a formula in a spreadsheet program
    assert record["start"] == "2026-11-05T10:00:00+01:00"  # Europe/Stockholm, with its offset
    assert record["typ"] == "Inkorg" and record["lage"] == "Klar"


def test_an_operator_looks_up_a_decision_in_every_run_without_personal_data(
    olle: FlaskClient, world: World, export_file: Export
) -> None:
    page = olle.get("/korningar/beslut", query_string={"beslut": export_file.invalid_account_id.lower()})
    html = page.get_data(as_text=True)
    runs = set(re.findall(r'<tr class="lookup-row" data-run="([^"]+)"', html))
    assert runs == {world.preview_run, world.real_run, world.scheduled_run}
    assert "Ogiltigt eller ofullständigt bankkonto" in html and "<code>invalid_account</code>" in html
    assert [value for value in personal_data(export_file) if value in html] == []
    missing = olle.get("/korningar/beslut?beslut=EB-FINNS-INTE").get_data(as_text=True)
    assert "Ingen körning har hanterat EB-FINNS-INTE" in missing


def test_a_case_worker_looks_up_only_their_own_uploads(
    as_user: Callable[[str], FlaskClient], world: World, export_file: Export
) -> None:
    anna = as_user("anna")
    html = anna.get("/filer/beslut", query_string={"beslut": export_file.invalid_account_id}).get_data(
        as_text=True
    )
    assert len(re.findall(r'<tr class="lookup-row"', html)) == 2
    assert f'href="/filer/{world.upload_id}"' in html


def test_the_case_workers_look_up_shows_each_payments_amount_and_method(
    as_user: Callable[[str], FlaskClient], world: World, settings: Settings
) -> None:
    summary = json.loads((settings.runs_dir / world.real_run / "summary.json").read_text(encoding="utf-8"))
    paid = next(d for d in summary["decisions"] if d["outcome"] == "paid")
    html = (
        as_user("anna")
        .get("/filer/beslut", query_string={"beslut": paid["decision_id"]})
        .get_data(as_text=True)
    )
    amounts = re.findall(r'<td class="col-amounts number">(.*?)</td>', html, re.S)
    methods = re.findall(r'<td class="col-methods">(.*?)</td>', html, re.S)
    want = [f"{p['amount_ore'] // 100:,}".replace(",", " ") for p in paid["payments"]]
    assert amounts and all(all(w in cell for w in want) for cell in amounts)
    assert methods and all("(KONTO)" in cell or "(AVI)" in cell or "bankgiro" in cell for cell in methods)
    operator = as_user("olle").get("/korningar/beslut", query_string={"beslut": paid["decision_id"]})
    assert "col-amounts" not in operator.get_data(as_text=True)  # operators: references and numbers


def test_a_reconciliation_without_a_run_export_is_refused_with_a_reason(
    olle: FlaskClient, settings: Settings
) -> None:
    message = reconcile(olle)
    assert "Det finns ingen körd export att stämma av mot." in message
    assert reconcile_runs(settings) == []


@pytest.fixture
def environment_seen(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment the next run the console starts gets."""
    from console.launcher import Launcher

    seen: dict[str, str] = {}
    original = Launcher.environment

    def spy(self: Launcher, run_dir: Path, started_by: str, extra: dict[str, str]) -> dict[str, str]:
        env = original(self, run_dir, started_by, extra)
        seen.update(env)
        return env

    monkeypatch.setattr(Launcher, "environment", spy)
    return seen


def abandoned_preview(settings: Settings, export_file: Export, *, file_error: str = "") -> str:
    """An upload of anna's that was previewed and never run (its id)."""
    from console import db, store
    from console.uploads import store_upload, upload_path

    conn = db.connect(settings.database_path)
    try:
        with export_file.path.open("rb") as handle:
            upload = store_upload(handle, "ny-version.xlsx", settings, "anna")
        store.insert_upload(conn, upload)
        env = {
            "DRY_RUN": "true",
            "DECISIONS_FILE": str(upload_path(settings, upload)),
            "FAKE_RUN_TEMPLATE": os.environ["FAKE_RUN_TEMPLATE"],
        }
        if file_error:
            env["FAKE_RUN_FILE_ERROR"] = file_error
        run_dir = finished_run(settings, "preview-anna", env)
        store.insert_run(
            conn,
            store.ConsoleRun(
                run_dir.name, store.PREVIEW, upload.upload_id, "anna", store.now_iso(), None, None, None
            ),
        )
        store.finish_run(conn, run_dir.name, 1 if file_error else 0)
    finally:
        conn.close()
    return upload.upload_id


def linked_uploads(seen: dict[str, str]) -> set[str]:
    folder = Path(seen["DECISIONS_FILE"])
    return {path.relative_to(folder).parts[0] for path in folder.rglob("*.xlsx")}


def test_a_reconciliation_compares_what_was_run_never_an_abandoned_preview_unless_added(
    olle: FlaskClient, world: World, settings: Settings, export_file: Export, environment_seen: dict[str, str]
) -> None:
    abandoned = abandoned_preview(settings, export_file)
    unreadable = abandoned_preview(settings, export_file, file_error="missing_columns")
    page = olle.get("/avstamning").get_data(as_text=True)
    offered = dict(re.findall(r'name="underlag" value="([0-9a-f]+)" data-ran="(yes|no)"', page))
    assert offered == {world.upload_id: "yes", abandoned: "no"}  # an unreadable one is not offered
    assert unreadable not in page and "ny-version.xlsx" not in page and "beslut-november.xlsx" not in page

    assert "Avstämningen har startat" in reconcile(olle)
    assert linked_uploads(environment_seen) == {world.upload_id}
    days = sorted(
        payment["payout_date"]
        for decision in json.loads((settings.runs_dir / world.preview_run / "summary.json").read_text())[
            "decisions"
        ]
        for payment in decision["payments"]
    )
    assert (environment_seen["RECONCILE_FROM"], environment_seen["RECONCILE_TO"]) == (days[0], days[-1])
    assert f"<strong>{days[0]} – {days[-1]}</strong>" in page

    for run_dir in settings.runs_dir.glob("*avstamning*"):
        (run_dir / "release").touch()
    wait_until(lambda: "Avstämningen har startat" in reconcile(olle, valt="1", underlag=[abandoned]))
    assert linked_uploads(environment_seen) == {abandoned}


def test_the_inbox_archive_is_compared_and_an_uploaded_export_can_be_added(
    olle: FlaskClient, settings: Settings, export_file: Export, environment_seen: dict[str, str]
) -> None:
    archive = Path(os.environ["ARCHIVE_DIR"]) / "2026-12-01T020000Z-inkorg-abc123"
    archive.mkdir(parents=True)
    (archive / "export-dec.xlsx").write_bytes(export_file.path.read_bytes())
    page = olle.get("/avstamning").get_data(as_text=True)
    assert 'id="source-archive"' in page and "1 export som schemat har kört" in page
    with export_file.path.open("rb") as handle:
        message = reconcile(
            olle, valt="1", inkorg="ja", export=(handle, "extra.xlsx"), **{"from": "2026-12-01"}
        )
    assert "Avstämningen har startat" in message
    folder = Path(environment_seen["DECISIONS_FILE"])
    linked = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*.xlsx"))
    assert len(linked) == 2 and "inkorg/2026-12-01T020000Z-inkorg-abc123/export-dec.xlsx" in linked
    assert (folder / "inkorg" / archive.name / "export-dec.xlsx").is_symlink()  # goes with the archive


def test_the_preview_facts_count_dates_methods_and_moves() -> None:
    summary = {
        "amount_limit_ore": 5_000_000,
        "decisions": [
            {
                "outcome": "planned",
                "requested_payout_date": "2026-12-26",  # Boxing Day: paid on the 23rd
                "payments": [
                    {"method": "KONTO", "amount_ore": 100, "payout_date": "2026-12-23", "status": "planned"},
                    {"method": "AVI", "amount_ore": 50, "payout_date": "2026-12-23", "status": "planned"},
                ],
            },
            {
                "outcome": "planned",
                "requested_payout_date": "2026-12-22",
                "payments": [
                    {"method": "BANKGIRO", "amount_ore": 7, "payout_date": "2026-12-22", "status": "planned"}
                ],
            },
            {"outcome": "manual", "payments": []},
        ],
    }
    facts = preview_facts(summary)
    assert (facts.payments, facts.amount_ore, facts.decisions, facts.limit_ore) == (3, 157, 2, 5_000_000)
    assert [(line.day.isoformat(), line.payments, line.amount_ore) for line in facts.dates] == [
        ("2026-12-22", 1, 7),
        ("2026-12-23", 2, 150),
    ]
    assert [day.isoformat() for day in facts.dates[1].moved_from] == ["2026-12-26"] and not facts.dates[
        0
    ].moved_from
    assert [(m.method, m.payments, m.amount_ore) for m in facts.methods] == [
        ("KONTO", 1, 100),
        ("AVI", 1, 50),
        ("BANKGIRO", 1, 7),
    ]


def test_the_run_page_counts_decisions_needing_manual_handling_per_handlaggare(
    olle: FlaskClient, world: World
) -> None:
    html = olle.get(f"/korningar/{world.real_run}").get_data(as_text=True)
    workers = re.findall(r'<tr class="worker-row" data-handlaggare="([^"]*)"', html)
    assert workers and workers[-1] == ""  # the protected decision: no handläggare, listed last
    assert all(worker.startswith("hl") for worker in workers[:-1])


def test_only_a_reconciliations_workbook_is_served(
    olle: FlaskClient, world: World, settings: Settings
) -> None:
    (settings.runs_dir / world.real_run / "avstamning.xlsx").write_bytes(b"not served")
    (settings.runs_dir / world.real_run / "manuell-hantering.xlsx").write_bytes(b"never served")
    assert olle.get(f"/korningar/{world.real_run}/avstamning.xlsx").status_code == 404
    assert olle.get(f"/korningar/{world.real_run}/manuell-hantering.xlsx").status_code == 404


def test_one_name_per_run_the_case_worker_sees_hers_and_operators_find_it_without_seeing_it(
    as_user: Callable[[str], FlaskClient], world: World, export_file: Export
) -> None:
    anna_page = as_user("anna").get("/filer/beslut", query_string={"beslut": export_file.invalid_account_id})
    names = re.findall(r'<span class="hint col-file-name">([^<]*)</span>', anna_page.get_data(as_text=True))
    assert names and set(names) == {"beslut-november.xlsx"}  # her own file name, not the label
    olle = as_user("olle")
    found = olle.get("/korningar", query_string={"fil": "BESLUT-NOVEMBER"}).get_data(as_text=True)
    rows = history_rows(found)
    assert {world.preview_run, world.real_run} <= set(rows)  # the console's runs of it, found by her name
    assert all(cell(rows[name], "file").startswith("export-") for name in (world.preview_run, world.real_run))
    operator_lookup = olle.get("/korningar/beslut", query_string={"beslut": export_file.invalid_account_id})
    shown = dict(
        re.findall(
            r'<tr class="lookup-row" data-run="([^"]+)".*?<span class="hint col-file-name">([^<]*)</span>',
            operator_lookup.get_data(as_text=True),
            re.S,
        )
    )
    assert shown[world.real_run].startswith("export-")  # operators: the label only
