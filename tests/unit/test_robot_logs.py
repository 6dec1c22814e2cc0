"""The personal-data scans read every text of a Robot Framework log, compressed or not."""

from __future__ import annotations

from pathlib import Path

from robot import run

from tests.support.robot_logs import readable_text

SECRET = "19121212-1212"


def test_a_text_logged_deep_in_a_long_message_is_found_in_log_html(tmp_path: Path) -> None:
    suite = tmp_path / "leak.robot"
    filler = " ".join(f"word{n}" for n in range(400))  # long enough to be stored compressed
    suite.write_text(
        f"*** Test Cases ***\nLeak\n    Log    {filler} {SECRET} {filler}\n",
        encoding="utf-8",
    )
    run(str(suite), outputdir=str(tmp_path), stdout=None, console="none")

    raw = (tmp_path / "log.html").read_text(encoding="utf-8")
    assert SECRET not in raw, "the message is stored compressed: a plain search would miss it"
    assert SECRET in readable_text(tmp_path / "log.html")
    assert SECRET in readable_text(tmp_path / "output.xml")
