"""Why a run stopped: each code has its Swedish sentence; a stop survives the trip through summary.json."""

from __future__ import annotations

import json

import pytest
from splitpayout.domain.stops import STOP_TEXT, RunStop, StopCode


@pytest.mark.parametrize("code", list(StopCode))
def test_every_stop_code_has_a_swedish_sentence_that_says_the_robot_stopped(code: StopCode) -> None:
    sentence = STOP_TEXT[code]
    assert sentence.endswith(".") and "stoppat" in sentence


def test_a_stop_is_read_back_as_written_and_anything_else_is_no_stop() -> None:
    stop = RunStop(StopCode.LOGIN_REFUSED, "the payout system refused the robot's credentials")
    assert RunStop.from_dict(json.loads(json.dumps(stop.as_dict()))) == stop
    assert stop.as_dict()["message_sv"] == STOP_TEXT[StopCode.LOGIN_REFUSED]
    for other in (None, "stopped", {"code": "no_such_code", "detail": "x"}, {"detail": "x"}, []):
        assert RunStop.from_dict(other) is None
