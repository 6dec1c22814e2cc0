"""The robot's configuration: every environment variable and secret, read once, validated, and
passed down (docs/architecture.md, "Configuration").

``Config.load()`` takes one snapshot of the environment; each task validates the sections it
uses (``config.run``, ``config.inbox``, ...) before it does anything, and passes them to the
code that needs them. Every variable is in the README's configuration table
(``tests/unit/test_configuration_table.py`` checks both ways); the names of the robot's files
and its default folders are in :mod:`splitpayout.config.names`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar

from splitpayout.config import names
from splitpayout.config.environment import child_environment, environment
from splitpayout.config.fields import EnvSection, SettingsError
from splitpayout.config.secrets import (
    MissingSecretError,
    payout_system_api_token,
    payout_system_credentials,
    smtp_credentials,
    vault_secret,
)
from splitpayout.config.sections import (
    DEFAULT_MAX_ATTEMPTS,
    MAX_WORKERS,
    Credentials,
    FollowUpConfig,
    InboxConfig,
    LedgerKeyConfig,
    NotifyConfig,
    Places,
    ReconcileConfig,
    RetentionSettings,
    RunnerConfig,
    Settings,
)

S = TypeVar("S", bound=EnvSection)

#: Variables the robot sets for RPA.Robocorp.WorkItems (``splitpayout.adapters.workitems``) and never
#: reads itself: Control Room sets them, or locally the work-item tasks' file adapter.
WORK_ITEM_VARIABLES = ("RPA_WORKITEMS_ADAPTER", "RPA_INPUT_WORKITEM_PATH", "RPA_OUTPUT_WORKITEM_PATH")

SECTIONS: tuple[type[EnvSection], ...] = (
    Settings,
    InboxConfig,
    RetentionSettings,
    ReconcileConfig,
    FollowUpConfig,
    NotifyConfig,
    Credentials,
    LedgerKeyConfig,
    RunnerConfig,
)


class _Section(Generic[S]):
    """A section of ``Config``, read from its environment snapshot and validated on first use."""

    def __init__(self, kind: type[S]) -> None:
        self.kind = kind

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, config: Config, owner: type | None = None) -> S:
        value = self.kind.from_env(config.env)
        config.__dict__[self.name] = value  # later reads find the value itself
        return value


class Config:
    """The robot's configuration: one snapshot of the environment, each section validated on
    first use (a task uses the sections it needs, so a wrong setting of another task never
    stops it). Raises SettingsError naming the variable."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env: Mapping[str, str] = dict(env)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None) -> Config:
        """The configuration from ``env`` (default: this process's environment, read once)."""
        return cls(environment() if env is None else env)

    places = _Section(Places)  # where a run keeps its files (never fails: any text is a path)
    run = _Section(Settings)
    inbox = _Section(InboxConfig)
    retention = _Section(RetentionSettings)
    reconcile = _Section(ReconcileConfig)
    follow_up = _Section(FollowUpConfig)
    notify = _Section(NotifyConfig)
    credentials = _Section(Credentials)
    runner = _Section(RunnerConfig)
    ledger_key = _Section(LedgerKeyConfig)


def variables() -> dict[str, tuple[type[EnvSection], str]]:
    """Every environment variable of the configuration -> the section and field it sets
    (the first section defining it; shared ones, such as ``STATE_DIR``, are one field)."""
    found: dict[str, tuple[type[EnvSection], str]] = {}
    for section in SECTIONS:
        for name, field in section.variables().items():
            found.setdefault(name, (section, field))
    return found


__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "MAX_WORKERS",
    "SECTIONS",
    "WORK_ITEM_VARIABLES",
    "Config",
    "Credentials",
    "EnvSection",
    "FollowUpConfig",
    "InboxConfig",
    "LedgerKeyConfig",
    "MissingSecretError",
    "NotifyConfig",
    "Places",
    "ReconcileConfig",
    "RetentionSettings",
    "RunnerConfig",
    "Settings",
    "SettingsError",
    "child_environment",
    "environment",
    "names",
    "payout_system_api_token",
    "payout_system_credentials",
    "smtp_credentials",
    "variables",
    "vault_secret",
]
