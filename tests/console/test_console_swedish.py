"""What the console says is Swedish and true: a stopped run gives its reason from the robot's own table,
counts agree, field names and reasons come from one Swedish table, and no English reaches a page
(Flask test client over run folders the quick fake runner made, changed as the robot writes them)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from splitpayout.adapters.reports import FIELD_LABELS
from splitpayout.domain.reasons import REASONS, UNKNOWN_REASON, ReasonCode
from splitpayout.domain.stops import STOP_TEXT, RunStop, StopCode

from console.facts import waiting_for_payout_system
from tests.console.conftest import World
from tests.console.test_console_operations import cell, history_rows

# English a person must never read on a page (outside a technical detail marked lang="en" or <code>).
ENGLISH = re.compile(
    r"\b(payments? in a row|failed for technical reasons|reference|amount|payout_date|account"
    r"|registered|the payout system|stopped|discrepanc\w*|invalid_\w+|rejected_by_payout_system)\b",
    re.I,
)


class VisibleText(HTMLParser):
    """The text a person reads: not scripts, not <code>, not what is marked lang="en"."""

    SKIPPED = frozenset({"script", "style", "code", "title"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "input", "meta", "link", "img"):
            return
        skipped = tag in self.SKIPPED or dict(attrs).get("lang") == "en"
        self.stack.append(skipped or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("br", "input", "meta", "link", "img") and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_on(html: str) -> list[str]:
    return sorted({match.group(0) for match in ENGLISH.finditer(visible(html))})


@pytest.fixture
def settings_runs(settings: object) -> Path:
    return Path(settings.runs_dir)  # type: ignore[attr-defined]


@pytest.fixture
def olle(as_user: Callable[[str], FlaskClient]) -> FlaskClient:
    return as_user("olle")


def stop_run(run_dir: Path, code: StopCode, detail: str) -> None:
    """Make a run folder read as the robot writes a stopped run."""
    path = run_dir / "summary.json"
    summary = json.loads(path.read_text(encoding="utf-8"))
    summary["status"] = "stopped"
    summary["stop"] = RunStop(code, detail).as_dict()
    summary["totals"]["outcomes"]["failed"] = 3
    path.write_text(json.dumps(summary), encoding="utf-8")
    record_path = run_dir / "run.json"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["exit_status"] = 1
    record_path.write_text(json.dumps(record), encoding="utf-8")


def test_a_stopped_run_gives_its_reason_in_swedish_from_the_robots_table(
    olle: FlaskClient, world: World, settings_runs: Path
) -> None:
    stop_run(settings_runs / world.scheduled_run, StopCode.PAYOUT_SYSTEM_DOWN, "5 payments in a row failed")
    rows = history_rows(olle.get("/korningar").get_data(as_text=True))
    assert cell(rows[world.scheduled_run], "state") == "Stoppad: " + STOP_TEXT[StopCode.PAYOUT_SYSTEM_DOWN]
    page = olle.get(f"/korningar/{world.scheduled_run}").get_data(as_text=True)
    assert STOP_TEXT[StopCode.PAYOUT_SYSTEM_DOWN] in page
    assert english_on(page) == []  # the English detail is there, marked lang="en", for IT


def test_no_english_reaches_the_pages_of_either_role(
    as_user: Callable[[str], FlaskClient], world: World, settings_runs: Path
) -> None:
    stop_run(settings_runs / world.scheduled_run, StopCode.PAYOUT_SYSTEM_DOWN, "5 payments in a row failed")
    olle, anna = as_user("olle"), as_user("anna")
    pages = {
        "/korningar": olle,
        "/korningar?visa=misslyckade": olle,
        f"/korningar/{world.real_run}": olle,
        f"/korningar/{world.scheduled_run}": olle,
        "/avstamning": olle,
        "/korningar/beslut?beslut=EB-2026-000002": olle,
        "/filer": anna,
        f"/filer/{world.upload_id}": anna,
        "/filer/beslut?beslut=EB-2026-000002": anna,
    }
    found = {path: english_on(client.get(path).get_data(as_text=True)) for path, client in pages.items()}
    assert {path: words for path, words in found.items() if words} == {}


def test_every_field_and_reason_has_one_swedish_text() -> None:
    from splitpayout.domain.contract import FORM_FIELDS

    from console.display import field_labels, reason_label

    assert set(FORM_FIELDS) <= set(FIELD_LABELS)
    assert field_labels("reference, amount") == "Referens, Belopp"
    assert field_labels(["Sökande 1 kontonummer"]) == "Sökande 1 kontonummer"  # export columns stay
    assert all(reason_label(code.value) == REASONS[code].label for code in ReasonCode)


def test_a_reason_code_of_a_later_version_reads_as_the_reason_tables_one_fallback(
    olle: FlaskClient, world: World, settings_runs: Path
) -> None:
    path = settings_runs / world.real_run / "summary.json"
    summary = json.loads(path.read_text(encoding="utf-8"))
    decision = next(d for d in summary["decisions"] if d["reasons"])
    decision["reasons"][0]["code"] = "a_code_of_a_later_version"
    path.write_text(json.dumps(summary), encoding="utf-8")
    page = olle.get(f"/korningar/{world.real_run}").get_data(as_text=True)
    row = re.search(r'<tr class="reason-row" data-code="a_code_of_a_later_version"><td>([^<]*)</td>', page)
    assert row is not None and row.group(1) == UNKNOWN_REASON.label == "Annan orsak"


@pytest.mark.parametrize(
    ("events", "waiting"),
    [
        (["logged_in", "attempt_failed"], True),
        (["logged_in", "attempt_failed", "attempt_failed", "decision"], False),
        (["log_in_failed"], True),
        (["second_pass"], True),
        (["logged_in", "decision"], False),
        ([], False),
    ],
)
def test_progress_knows_when_the_payout_system_is_not_answering(
    tmp_path: Path, events: list[str], waiting: bool
) -> None:
    lines = [json.dumps({"event": name, "step": "register"}) for name in events]
    (tmp_path / "run.jsonl").write_text("\n".join([*lines, '{"event": "half a li']), encoding="utf-8")
    assert waiting_for_payout_system(tmp_path) is waiting


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"fran": "2026-13-01"}, "filter-from", "skriv datumet som ÅÅÅÅ-MM-DD"),
        ({"till": "igår"}, "filter-to", "skriv datumet som ÅÅÅÅ-MM-DD"),
        ({"fran": "2026-12-31", "till": "2026-12-01"}, "filter-from", "Byt plats på datumen"),
    ],
    ids=["bad-month", "not-a-date", "reversed"],
)
def test_an_invalid_or_reversed_date_filter_is_said_not_silently_ignored(
    olle: FlaskClient, world: World, query: dict[str, str], field: str, words: str
) -> None:
    html = olle.get("/korningar", query_string=query).get_data(as_text=True)
    assert re.search(r"<title>Fel: ", html)
    summary = re.search(r'<div id="filter-errors".*?</div>', html, re.S)
    assert summary is not None and words in summary.group(0) and f'href="#{field}"' in summary.group(0)
    assert re.search(rf'<input id="{field}"[^>]*aria-invalid="true"', html)
    assert len(history_rows(html)) == 3  # the dates filter nothing; every run is still listed
    plain = olle.get("/korningar").get_data(as_text=True)
    assert 'id="filter-errors"' not in plain


def test_the_workbooks_run_id_is_shown_to_the_case_worker_and_the_operator(
    as_user: Callable[[str], FlaskClient], world: World, settings_runs: Path
) -> None:
    from openpyxl import load_workbook

    sheet = load_workbook(settings_runs / world.real_run / "manuell-hantering.xlsx").worksheets[0]
    facts = str(sheet.cell(row=2, column=1).value)
    found = re.search(r"Körning (\S+),", facts)
    assert found is not None, facts
    run_id = found.group(1)
    anna = as_user("anna").get(f"/filer/{world.upload_id}").get_data(as_text=True)
    assert f'<code id="real-run-id">{run_id}</code>' in anna
    olle = as_user("olle").get(f"/korningar/{world.real_run}").get_data(as_text=True)
    assert f'<code id="run-id">{run_id}</code>' in olle or f'<code id="run-name">{run_id}</code>' in olle
