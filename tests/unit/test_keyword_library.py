"""robotglue.keyword_library: the lazily built job of a keyword library and expected errors
turned into keyword failures."""

from __future__ import annotations

import pytest
from robotglue.keyword_library import JobLibrary, KeywordFailure


class WrongSettingError(Exception):
    pass


class Library(JobLibrary[list[str], WrongSettingError]):
    settings_errors = (WrongSettingError,)

    def __init__(self, fail_with: Exception | None = None) -> None:
        super().__init__()
        self.fail_with = fail_with
        self.builds = 0

    def build_job(self) -> list[str]:
        self.builds += 1
        if self.fail_with is not None:
            raise self.fail_with
        return ["job"]

    def cannot_start(self, error: WrongSettingError) -> str:
        return f"The test cannot start: {error}"


def test_the_job_is_built_once_on_first_use() -> None:
    library = Library()
    assert library.builds == 0
    job = library.job
    assert library.job is job
    assert library.builds == 1
    assert library.settings_error is None


def test_a_wrong_setting_fails_the_keyword_and_is_kept_for_the_report() -> None:
    error = WrongSettingError("RUNS_DIR is not a folder")
    library = Library(fail_with=error)
    with pytest.raises(AssertionError, match=r"^The test cannot start: RUNS_DIR is not a folder$") as raised:
        _ = library.job
    assert raised.value.__suppress_context__
    assert library.settings_error is error
    assert library._job is None


def test_other_errors_of_the_build_pass_unchanged() -> None:
    library = Library(fail_with=KeyError("other"))
    with pytest.raises(KeyError):
        _ = library.job
    assert library.settings_error is None


def test_a_library_without_settings_errors_lets_every_error_pass() -> None:
    class Plain(JobLibrary[str, WrongSettingError]):
        def build_job(self) -> str:
            raise WrongSettingError("wrong")

    with pytest.raises(WrongSettingError):
        _ = Plain().job


def test_the_configuration_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import robotglue.keyword_library as module

    loads: list[int] = []

    def load() -> object:
        loads.append(1)
        return object()

    monkeypatch.setattr(module.Config, "load", load)
    library = Library()
    assert library.config is library.config
    assert loads == [1]


FAILURE = KeywordFailure(WrongSettingError, lambda error: f"Cannot go on: {error}")


def test_keyword_failure_in_a_with_block() -> None:
    with pytest.raises(AssertionError, match=r"^Cannot go on: no export$") as raised, FAILURE:
        raise WrongSettingError("no export")
    assert raised.value.__suppress_context__


def test_keyword_failure_as_a_decorator_keeps_the_keyword_and_can_be_used_again() -> None:
    @FAILURE
    def first(text: str) -> str:
        """The first keyword."""
        if text == "bad":
            raise WrongSettingError(text)
        return text.upper()

    @FAILURE
    def second() -> None:
        raise WrongSettingError("second")

    assert first.__doc__ == "The first keyword."
    assert first.__name__ == "first"
    assert first("ok") == "OK"
    for _ in range(2):
        with pytest.raises(AssertionError, match=r"^Cannot go on: bad$"):
            first("bad")
        with pytest.raises(AssertionError, match=r"^Cannot go on: second$"):
            second()


def test_keyword_failure_lets_other_errors_pass() -> None:
    with pytest.raises(ValueError, match="other"), FAILURE:
        raise ValueError("other")


def test_keyword_failure_of_several_error_types() -> None:
    failure = KeywordFailure((KeyError, WrongSettingError), lambda error: f"Nothing to report: {error}")
    with pytest.raises(AssertionError, match="Nothing to report"), failure:
        raise KeyError("x")
