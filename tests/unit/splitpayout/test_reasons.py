"""The reason table: every reason code has a Swedish label, explanation and what to do, and the
pages, the workbook and the e-mails all read that one table."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest
from splitpayout.domain.reasons import REASONS, UNKNOWN_REASON, ReasonCode, ReasonText, reason_text

RULES = Path(__file__).resolve().parents[3] / "docs" / "rules.md"
ENGLISH = re.compile(
    r"\b(the|and|or|is|not|of|to|with|invalid|missing|payment|decision|row|account|amount|limit)\b", re.I
)
ENTRIES = [entry.name for entry in fields(ReasonText)]


LATER_CODE = "a_code_of_a_later_version"  # a run of a newer version, read back by this one


@pytest.mark.parametrize("code", [*ReasonCode, LATER_CODE], ids=str)
@pytest.mark.parametrize("entry", ENTRIES)
def test_every_reason_code_has_every_entry_in_swedish(code: str, entry: str) -> None:
    text = getattr(reason_text(code), entry)
    assert text.strip() == text != ""
    assert text[0].isupper()
    # No code names ("invalid_row") or other identifiers: a case worker reads this.
    assert "_" not in text
    assert not any(other.value in text for other in ReasonCode)
    assert not ENGLISH.search(text), text


def test_every_reason_has_its_own_label() -> None:
    assert set(REASONS) == set(ReasonCode)
    labels = [text.label for text in (*REASONS.values(), UNKNOWN_REASON)]
    assert len(set(labels)) == len(labels) == len(ReasonCode) + 1


def test_a_code_reads_its_own_texts_and_an_unknown_code_the_one_fallback() -> None:
    for code in ReasonCode:
        assert reason_text(code) is reason_text(code.value) is REASONS[code]
    assert reason_text(LATER_CODE) is reason_text("") is UNKNOWN_REASON


def test_the_rules_name_the_same_codes() -> None:
    section = RULES.read_text(encoding="utf-8").split("### 3.2 Reason codes", 1)[1].split("\n### ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))
    assert documented == {code.value for code in ReasonCode}
