"""Plumbing shared by the task keyword libraries (``SplitPayouts``, ``Reconcile``, ``ProcessInbox``,
``FollowUp``).

Each of them is a thin layer over one job of the run (a split-payout run, a reconciliation, an
inbox run, a follow-up). :class:`JobLibrary` reads the configuration once and builds the job when a keyword
first needs it; :class:`KeywordFailure` turns an expected error into a keyword failure that
says what is wrong, without a Python traceback that would say nothing to whoever reads the log.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ContextDecorator
from functools import cached_property
from types import TracebackType
from typing import Generic, TypeVar

from splitpayout.config import Config

from robotglue import robot_log as logger

JobT = TypeVar("JobT")
ErrorT = TypeVar("ErrorT", bound=BaseException)


class JobLibrary(Generic[JobT, ErrorT]):
    """A keyword library over one job, built from the run's configuration on first use.

    A subclass builds its job in :meth:`build_job`. When that raises one of
    :attr:`settings_errors` (a setting is wrong), the keyword that needed the job fails with the
    sentence of :meth:`cannot_start`, and the error stays in :attr:`settings_error` for the
    library's last keyword to report.
    """

    #: The errors that say the job cannot start because of a wrong setting (none by default).
    settings_errors: tuple[type[ErrorT], ...] = ()

    def __init__(self) -> None:
        self._job: JobT | None = None
        self.settings_error: ErrorT | None = None

    @cached_property
    def config(self) -> Config:
        """The run's configuration, read once."""
        return Config.load()

    @property
    def job(self) -> JobT:
        """The library's job, built by :meth:`build_job` when a keyword first needs it."""
        if self._job is None:
            try:
                self._job = self.build_job()
            except self.settings_errors as error:
                self.settings_error = error
                raise AssertionError(self.cannot_start(error)) from None
        return self._job

    def build_job(self) -> JobT:
        """The job, from :attr:`config`."""
        raise NotImplementedError

    def cannot_start(self, error: ErrorT) -> str:
        """The keyword failure of a job that a wrong setting keeps from starting."""
        return f"The job cannot start: {error}"


class KeywordFailure(ContextDecorator, Generic[ErrorT]):
    """Turns ``error_type`` into a keyword failure that says ``describe(error)``.

    Around a keyword's steps (``with``) or around the whole keyword (as its decorator, under
    ``@keyword``); other errors pass unchanged.
    """

    def __init__(
        self, error_type: type[ErrorT] | tuple[type[ErrorT], ...], describe: Callable[[ErrorT], str]
    ) -> None:
        self.error_type = error_type
        self.describe = describe

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(error, self.error_type):
            raise AssertionError(self.describe(error)) from None


def announce(text: str) -> None:
    """A milestone of the run: in the log and on the console of whoever watches it."""
    logger.info(text)
    logger.console(f"  {text}")
