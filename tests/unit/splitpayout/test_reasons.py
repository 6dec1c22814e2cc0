"""The reason table: every reason code has a Swedish label, explanation and what to do, and the
pages, the workbook and the e-mails all read that one table."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest
from splitpayout.domain.reasons import REASON_TEXT, REASONS, ReasonCode, ReasonText, reason_text

RULES = Path(__file__).resolve().parents[3] / "docs" / "rules.md"
ENGLISH = re.compile(
    r"\b(the|and|or|is|not|of|to|with|invalid|missing|payment|decision|row|account|amount|limit)\b", re.I
)
ENTRIES = [entry.name for entry in fields(ReasonText)]


@pytest.mark.parametrize("code", list(ReasonCode), ids=str)
@pytest.mark.parametrize("entry", ENTRIES)
def test_every_reason_code_has_every_entry_in_swedish(code: ReasonCode, entry: str) -> None:
    text = getattr(REASONS[code], entry)
    assert text.strip() == text != ""
    assert text[0].isupper()
    # No code names ("invalid_row") or other identifiers: a case worker reads this.
    assert "_" not in text
    assert not any(other.value in text for other in ReasonCode)
    assert not ENGLISH.search(text), text


def test_every_reason_has_its_own_label() -> None:
    labels = [text.label for text in REASONS.values()]
    assert len(set(labels)) == len(labels) == len(ReasonCode)


def test_the_label_and_what_to_do_are_the_tables() -> None:
    for code in ReasonCode:
        assert reason_text(code) == REASON_TEXT[code.value] == (REASONS[code].label, REASONS[code].todo)
    assert reason_text("not_a_code")[0] == "not_a_code"  # an unknown code is shown as it is


def test_the_rules_name_the_same_codes() -> None:
    section = RULES.read_text(encoding="utf-8").split("### 3.2 Reason codes", 1)[1].split("\n### ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))
    assert documented == {code.value for code in ReasonCode}
