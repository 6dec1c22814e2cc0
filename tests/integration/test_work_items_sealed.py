"""Work items Control Room may hold: no personal data in clear text, and a wrong key changes nothing.

Generated exports (the devdata generator with names and seeds from hypothesis) go through the
producer, a consumer and the reporter over the file adapter, as in ``test_work_items.py``;
every work-item file is then scanned for the export's names, identity numbers and accounts in
every format, and for its mode. A consumer or reporter with a wrong or missing key enters,
releases and reports nothing but the one item it gives back.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from splitpayout.domain.models import Outcome
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.jobs.export_plan import plan_export

from devdata.generate_export import generate
from tests.support.payout_server import running_payout_system
from tests.support.work_items import (
    KEY,
    TODAY,
    Produced,
    TaskRun,
    outcomes_by_decision,
    payout_system,
    personal_data,
    planned_references,
    produce_valid,
    readable_by_others,
    references,
    run_every_step,
    run_task,
    with_attachment,
    with_clear_attachment,
    work_item_files,
)

# One worker runs this module's tests: its module-scoped fixtures are built once.
pytestmark = pytest.mark.xdist_group("test_work_items_sealed")

OTHER_KEY = Fernet.generate_key()
LETTERS = "abcdefghijklmnopqrstuvwxyzåäöéüABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖÉ"
WORD = st.text(LETTERS, min_size=3, max_size=12).map(str.capitalize)
NAME = st.builds(
    lambda first, last, joiner: f"{first}{joiner}{last}", WORD, WORD, st.sampled_from((" ", " von "))
)


def export_with(path: Path, *, count: int, seed: int, names: list[str]) -> dict[str, str]:
    """A valid generated export with ``names`` as the applicants' names; its first decision above
    the amount limit (manual: the workbook names the household), its second with protected
    identity. Returns those two decision numbers."""
    generate(path, count=count, seed=seed, today=TODAY, scenario_mix=False)
    book = load_workbook(path)
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[3]]
    column = {name: header.index(name) + 1 for name in header if name}
    given_names = iter(names)
    for row in range(4, 4 + count):
        for title in ("Sökande 1 namn", "Sökande 2 namn"):
            if sheet.cell(row, column[title]).value:
                sheet.cell(row, column[title]).value = next(given_names)
    sheet.cell(4, column["Belopp"]).value = 60_000
    for title in ("Varav direktbetalning", "Direktbetalning bankgiro", "Direktbetalning OCR"):
        sheet.cell(4, column[title]).value = None
    sheet.cell(5, column["Skyddade personuppgifter"]).value = "Ja"
    book.save(path)
    ids = [sheet.cell(row, column["Beslutsnummer"]).value for row in (4, 5)]
    return {"manual": str(ids[0]), "protected": str(ids[1])}


def workbook_text(path: Path) -> str:
    book = load_workbook(path, read_only=True)
    text = "\n".join(
        " ".join("" if cell is None else str(cell) for cell in row)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    )
    book.close()
    return text


@pytest.mark.browser
@pytest.mark.slow
@settings(
    max_examples=2,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),  # a run is a minute: no shrinking
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    count=st.integers(3, 6),
    names=st.lists(NAME, min_size=12, max_size=12, unique=True),
)
def test_a_generated_export_goes_through_every_step_with_no_readable_personal_data_in_any_work_item(
    tmp_path: Path, seed: int, count: int, names: list[str]
) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    export = folder / "beslut.xlsx"
    special = export_with(export, count=count, seed=seed, names=names)
    plans = list(plan_export(export, PlanningRules(TODAY)))
    secrets = personal_data(export, plans)
    steps = run_every_step(export, folder)
    producer, consumer, reporter, held = steps.producer, steps.consumer, steps.reporter, steps.held

    # Exactly once, and the reporter's totals, as before.
    assert consumer.returncode == 0, consumer.explain()
    assert reporter.returncode == 0, reporter.explain()
    assert references(held) == sorted(
        p.reference for plan in plans if plan.outcome is Outcome.PLANNED for p in plan.payments
    )
    summary = reporter.summary()
    assert summary["totals"]["decisions"] == count
    assert summary["totals"]["outcomes"]["paid"] == count - 2
    assert summary["totals"]["outcomes"]["manual"] == 2
    # The case workers' workbook is rebuilt on the municipality's side: it names the household
    # of the decision above the limit, never the protected one's.
    manual_plan = next(plan for plan in plans if plan.decision_id == special["manual"])
    protected_plan = next(plan for plan in plans if plan.decision_id == special["protected"])
    text = workbook_text(reporter.artifacts / "manuell-hantering.xlsx")
    assert manual_plan.contact.applicant1_name and manual_plan.contact.applicant1_name in text
    assert special["protected"] in text
    assert protected_plan.contact.applicant1_name == "" and all(
        p.name not in text for p in protected_plan.payments
    )

    # No work-item file holds a name, identity or account number in clear text; all owner-only.
    files = work_item_files(producer.folder, consumer.folder, reporter.folder)
    assert {path.name for path in files} >= {"input.json", "output.json", "beslut.xlsx.sealed"}
    for path in files:
        leaked = secrets.found_in(path.read_text(encoding="utf-8", errors="replace"))
        assert leaked == [], f"{path} holds personal data in clear text ({len(leaked)} values)"
    assert readable_by_others(files) == []


def test_an_export_attached_in_clear_text_is_refused_and_nothing_is_produced(tmp_path: Path) -> None:
    export = tmp_path / "beslut.xlsx"
    generate(export, count=3, seed=11, today=TODAY, scenario_mix=False)
    producer = run_task(
        "produce_work_items",
        tmp_path / "producer",
        items=[with_clear_attachment(export, tmp_path / "producer")],
    )

    assert producer.returncode != 0
    assert "clear text" in producer.console
    [release] = producer.releases()
    assert (release["state"], release["exception"]["type"], release["exception"]["code"]) == (
        "FAILED",
        "BUSINESS",
        "export_not_sealed",
    )
    assert producer.output_items() == []


def test_a_producer_without_a_key_gives_its_input_back_and_produces_nothing(tmp_path: Path) -> None:
    export = tmp_path / "beslut.xlsx"
    generate(export, count=3, seed=12, today=TODAY, scenario_mix=False)
    producer = run_task(
        "produce_work_items",
        tmp_path / "producer",
        items=[with_attachment(export, tmp_path / "producer")],
        env={"WORK_ITEM_KEYS": ""},
    )

    assert producer.returncode != 0
    assert "saknar nyckeln till arbetsposterna" in producer.console
    [release] = producer.releases()
    assert (release["state"], release["exception"]["type"], release["exception"]["code"]) == (
        "FAILED",
        "APPLICATION",
        "work_item_key_missing",
    )
    assert producer.output_items() == []


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory) -> Produced:
    return produce_valid(tmp_path_factory.mktemp("sealed"), "beslut.xlsx", count=6, seed=2024, attached=True)


def assert_given_back(run: TaskRun, code: str) -> None:
    """One input released ``FAILED`` ``APPLICATION`` (for a retry with the right key), nothing output."""
    assert run.returncode != 0
    [release] = run.releases()
    assert (release["state"], release["exception"]["type"], release["exception"]["code"]) == (
        "FAILED",
        "APPLICATION",
        code,
    )
    assert release["item"] == "0"
    assert run.output_items() == []


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize(
    ("keys", "code", "sentence"),
    [
        (OTHER_KEY.decode(), "work_item_key_wrong", "fel nyckel till arbetsposterna"),
        ("", "work_item_key_missing", "saknar nyckeln till arbetsposterna"),
    ],
    ids=["wrong-key", "no-key"],  # the same ids in every test worker: not the random key
)
def test_a_consumer_with_a_wrong_or_no_key_changes_nothing_and_a_later_one_does_it_all(
    produced: Produced, tmp_path: Path, keys: str, code: str, sentence: str
) -> None:
    items = produced.items
    with running_payout_system(tmp_path / "payout.db") as server:
        refused = run_task(
            "consume_work_items",
            tmp_path / "refused",
            items=items,
            env={**payout_system(server.url), "WORK_ITEM_KEYS": keys},
        )
        after_refused = server.api_payments()
        later = run_task("consume_work_items", tmp_path / "later", items=items, env=payout_system(server.url))
        held = server.api_payments()

    assert_given_back(refused, code)
    assert sentence in refused.console
    assert after_refused == [], "nothing entered in the payout system"
    assert later.returncode == 0, later.explain()
    assert set(outcomes_by_decision(later.payloads()).values()) == {"paid"}
    assert references(held) == planned_references([item["payload"] for item in items])


@pytest.mark.browser
@pytest.mark.slow
def test_a_reporter_with_a_wrong_key_reports_nothing_and_one_with_the_rotated_keys_reports_all(
    produced: Produced, tmp_path: Path
) -> None:
    with running_payout_system(tmp_path / "payout.db") as server:
        consumer = run_task(
            "consume_work_items", tmp_path / "consumer", items=produced.items, env=payout_system(server.url)
        )
    assert consumer.returncode == 0, consumer.explain()

    refused = run_task(
        "report_work_items",
        tmp_path / "refused",
        items=consumer.output_items(),
        env={"WORK_ITEM_KEYS": OTHER_KEY.decode()},
    )
    assert_given_back(refused, "work_item_key_wrong")
    assert not (refused.artifacts / "summary.json").exists()

    # The key rotated: a new one first, the old one still listed for what it sealed.
    rotated = f"{Fernet.generate_key().decode()}, {KEY.decode()}"
    reporter = run_task(
        "report_work_items",
        tmp_path / "reporter",
        items=consumer.output_items(),
        env={"WORK_ITEM_KEYS": rotated},
    )
    assert reporter.returncode == 0, reporter.explain()
    assert reporter.summary()["totals"]["outcomes"]["paid"] == len(produced.items)
