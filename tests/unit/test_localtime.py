"""Runs are dated as the people who read their ids live: Europe/Stockholm, with the zone (CET/CEST)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from splitpayout.adapters.runs import new_run_dir
from splitpayout.jobs.split_payouts.state import new_run_id

from console.history import RUN_NAME


def test_a_run_just_after_midnight_in_sweden_is_dated_that_day_not_the_utc_day(tmp_path: Path) -> None:
    just_after_midnight = dt.datetime(2026, 12, 5, 23, 3, tzinfo=dt.UTC)  # 00:03 CET, 6 December
    run_id = new_run_id(just_after_midnight)
    assert run_id.startswith("2026-12-06T000300CET-")
    folder = new_run_dir(tmp_path, "korning-anna", just_after_midnight)
    assert folder.name.startswith("2026-12-06T000300CET-korning-anna-")
    assert RUN_NAME.fullmatch(folder.name)


def test_summer_time_has_its_own_offset_and_older_utc_names_are_still_runs() -> None:
    assert new_run_id(dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)).startswith("2026-07-01T120000CEST-")
    assert RUN_NAME.fullmatch("2026-11-23T104206Z-korning-anna-3fa9c1")  # a folder of an earlier release
    assert not RUN_NAME.fullmatch("2026-11-23T104206-korning-anna-3fa9c1")


def test_a_run_name_travels_in_a_url_as_written() -> None:
    from urllib.parse import quote, unquote_plus

    name = new_run_id(dt.datetime(2026, 12, 5, 23, 3, tzinfo=dt.UTC))
    assert quote(name) == name and unquote_plus(name) == name  # no '+' to read as a space
