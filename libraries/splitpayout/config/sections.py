"""The sections of the robot's configuration: every environment variable the robot reads, with
its type, default and limits (the README's configuration table, checked by
``tests/unit/test_configuration_table.py``).

A task validates the sections it uses, before it does anything: a wrong retention setting
does not stop a payout run. The notifier's section is text only: its values are checked by
``splitpayout.jobs.notify.config``, where a wrong value stops the sending but never a run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr

from splitpayout.config import names
from splitpayout.config.fields import (
    BlankIsNone,
    CommaList,
    Date,
    EnvSection,
    Flag,
    OptionalDate,
    StrippedSecret,
    Text,
    seconds,
    whole,
)
from splitpayout.domain.contract import FORM_FIELDS
from splitpayout.domain.export_columns import DEFAULT_MAX_DECISIONS
from splitpayout.domain.planning.rules import DEFAULT_AMOUNT_LIMIT_ORE, PlanningRules

#: Tries per step on technical failures: a registration attempt is several page loads, each of
#: which an unreliable payout system may fail, so a few tries are not enough (docs/rules.md §4).
DEFAULT_MAX_ATTEMPTS = 6

#: Browser workers one machine may run at once (``WORKERS``): each is a Chromium of its own.
MAX_WORKERS = 8


def _var(name: str, default: Any = None, **extra: Any) -> Any:
    """A field read from the environment variable ``name``."""
    if "default_factory" in extra:
        return Field(validation_alias=name, **extra)
    return Field(default, validation_alias=name, **extra)


class Places(EnvSection):
    """Where a run keeps its files, and who started it: shared by every task."""

    state_dir: Path = _var("STATE_DIR", Path(names.STATE_DIR))
    artifacts_dir: Path = _var("ROBOT_ARTIFACTS", Path(names.ARTIFACTS_DIR))
    runs_dir: Path = _var("RUNS_DIR", Path(names.RUNS_DIR))
    started_by: str = _var("RUN_STARTED_BY", names.STARTED_BY)

    @property
    def ledger_path(self) -> Path:
        return self.state_dir / names.LEDGER_FILE


def _known_fields(value: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [field for field in value if field not in FORM_FIELDS]
    if unknown:
        raise ValueError(
            f"names fields the payment form does not have: {', '.join(unknown)}"
            f" (its fields: {', '.join(FORM_FIELDS)})"
        )
    return value


Url = Annotated[str, AfterValidator(lambda url: url.strip().rstrip("/"))]
PositiveSeconds = Annotated[float, BeforeValidator(seconds(zero_allowed=False))]
Seconds = Annotated[float, BeforeValidator(seconds(zero_allowed=True))]


class Settings(Places):
    """Everything a run of ``Split payouts`` (and the work-item tasks) is configured by,
    including the browser's settings (``headless`` ... ``chromedriver_path``)."""

    decisions_file: Annotated[Path | None, BlankIsNone] = _var("DECISIONS_FILE")
    # The export's name as the case worker knows it (the console stores uploads under a label): shown
    # in her workbook only, never in the operators' records.
    decisions_file_title: Annotated[str | None, BlankIsNone] = _var("DECISIONS_FILE_TITLE")
    dry_run: Flag = _var("DRY_RUN", False)
    payout_system_url: Url = _var("PAYOUT_SYSTEM_URL", names.PAYOUT_SYSTEM_URL)
    amount_limit_kr: Annotated[int, BeforeValidator(whole(1))] = _var(
        "AMOUNT_LIMIT_KR", DEFAULT_AMOUNT_LIMIT_ORE // 100
    )
    run_date: Date = _var("RUN_DATE", default_factory=dt.date.today)
    vault_secret_name: str = _var("PAYOUT_SYSTEM_SECRET", names.PAYOUT_SYSTEM_SECRET)
    headless: Flag = _var("PAYOUT_SYSTEM_HEADLESS", True)
    page_timeout_seconds: PositiveSeconds = _var("PAYOUT_SYSTEM_TIMEOUT", 30.0)
    fast_fill: Flag = _var("PAYOUT_FAST_FILL", True)
    typed_fields: Annotated[CommaList, AfterValidator(_known_fields)] = _var("PAYOUT_TYPED_FIELDS", ())
    # Fields of the payment form outside the robot's contract that the payout system accepts left
    # empty (docs/rules.md §4.9); any other field the form asks for stops the run before it enters anything.
    ignored_fields: CommaList = _var("PAYOUT_SYSTEM_IGNORED_FIELDS", ())
    chrome_binary: Annotated[str | None, BlankIsNone] = _var("CHROME_BINARY")
    chromedriver_path: Annotated[str | None, BlankIsNone] = _var("CHROMEDRIVER_PATH")
    workers: Annotated[int, BeforeValidator(whole(1, MAX_WORKERS))] = _var("WORKERS", 1)
    look_up_each_payment: Flag = _var("LOOK_UP_EACH_PAYMENT", True)
    max_attempts: Annotated[int, BeforeValidator(whole(1))] = _var("MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)
    max_consecutive_failures: Annotated[int, BeforeValidator(whole(1))] = _var("MAX_CONSECUTIVE_FAILURES", 5)
    backoff_seconds: PositiveSeconds = _var("RETRY_BACKOFF_SECONDS", 1.0)
    settle_seconds: PositiveSeconds = _var("UNKNOWN_OUTCOME_SETTLE_SECONDS", 5.0)
    max_decisions: Annotated[int, BeforeValidator(whole(1))] = _var("MAX_DECISIONS", DEFAULT_MAX_DECISIONS)
    # The installation's ceiling per payment, when it has one.
    max_payment_kr: Annotated[int | None, BeforeValidator(whole(1))] = _var("PAYOUT_SYSTEM_MAX_PAYMENT_KR")

    @property
    def planning_rules(self) -> PlanningRules:
        """The rules every way of planning uses (a run, its work items and workers, the
        reconciliation with ``.on(its date)``), built here only: the run's date and every limit."""
        return PlanningRules(
            today=self.run_date,
            amount_limit_ore=self.amount_limit_kr * 100,
            max_payment_ore=None if self.max_payment_kr is None else self.max_payment_kr * 100,
            max_decisions=self.max_decisions,
        )


class InboxFolders(Places):
    """The inbox's folders (the ``Process inbox`` and ``Retention`` tasks)."""

    inbox_dir: Path = _var("INBOX_DIR", Path(names.INBOX_DIR))
    archive_dir: Path = _var("ARCHIVE_DIR", Path(names.ARCHIVE_DIR))
    rejected_dir: Path = _var("REJECTED_DIR", Path(names.REJECTED_DIR))


class InboxConfig(InboxFolders):
    """How the ``Process inbox`` task behaves (docs/scheduling.md)."""

    min_age_seconds: Seconds = _var("INBOX_MIN_AGE_SECONDS", names.INBOX_MIN_AGE_SECONDS)
    lock_wait_seconds: Seconds = _var("INBOX_LOCK_WAIT_SECONDS", names.INBOX_LOCK_WAIT_SECONDS)


class RetentionSettings(InboxFolders):
    """What the ``Retention`` task looks at, and how old is too old (docs/scheduling.md)."""

    days: Annotated[int, BeforeValidator(whole(1))] = _var("RETENTION_DAYS", 90)
    dry_run: Flag = _var("RETENTION_DRY_RUN", False)
    extra_run_folders: Annotated[tuple[Path, ...], BeforeValidator(lambda raw: _paths(raw))] = _var(
        "RETENTION_RUN_FOLDERS", ()
    )
    console_data_folder: Annotated[Path | None, BlankIsNone] = _var("CONSOLE_DATA_DIR")

    @property
    def console_data_dir(self) -> Path:
        """``CONSOLE_DATA_DIR``, default the console's folder in the state folder."""
        if self.console_data_folder is not None:
            return self.console_data_folder
        return self.state_dir / names.CONSOLE_DATA_FOLDER


def _paths(raw: Any) -> Any:
    if isinstance(raw, str):
        return tuple(Path(part.strip()) for part in raw.split(",") if part.strip())
    return raw


class ReconcileConfig(EnvSection):
    """The payout dates the ``Reconcile`` task compares (docs/reconciliation.md)."""

    reconcile_from: OptionalDate = _var("RECONCILE_FROM")
    reconcile_to: OptionalDate = _var("RECONCILE_TO")


class FollowUpConfig(Places):
    """The payout dates and run folders the ``Follow up`` task counts (docs/follow-up.md)."""

    follow_up_from: OptionalDate = _var("FOLLOW_UP_FROM")
    follow_up_to: OptionalDate = _var("FOLLOW_UP_TO")
    extra_run_folders: Annotated[tuple[Path, ...], BeforeValidator(lambda raw: _paths(raw))] = _var(
        "FOLLOW_UP_RUN_FOLDERS", ()
    )


class NotifyConfig(Places):
    """The notifier's settings as given; ``splitpayout.jobs.notify.config`` checks them."""

    smtp_host: Text = _var("SMTP_HOST", "")
    smtp_port: Text = _var("SMTP_PORT", str(names.SMTP_PORT))
    smtp_timeout_seconds: Text = _var("SMTP_TIMEOUT_SECONDS", str(names.SMTP_TIMEOUT_SECONDS))
    smtp_ca_file: Text = _var("SMTP_CA_FILE", "")
    smtp_secret: Text = _var("SMTP_SECRET", names.SMTP_SECRET)
    sender: Text = _var("NOTIFY_FROM", "")
    case_worker_template: Text = _var("NOTIFY_CASEWORKER_ADDRESS", "")
    case_worker_fallback: Text = _var("NOTIFY_CASEWORKER_FALLBACK", "")
    operators: Text = _var("NOTIFY_OPERATORS", "")
    console_url: Text = _var("CONSOLE_URL", "")
    max_attempts: Text = _var("NOTIFY_MAX_ATTEMPTS", str(names.NOTIFY_MAX_ATTEMPTS))


class Credentials(EnvSection):
    """Secrets given in the environment (never shown by ``repr``), and whether a vault is set
    up; ``splitpayout.config.secrets`` turns them and the vault into credentials."""

    payout_system_username: SecretStr = _var("PAYOUT_SYSTEM_USERNAME", SecretStr(""))
    payout_system_password: SecretStr = _var("PAYOUT_SYSTEM_PASSWORD", SecretStr(""))
    payout_system_api_token: StrippedSecret = _var("PAYOUT_SYSTEM_API_TOKEN", SecretStr(""))
    smtp_username: SecretStr = _var("SMTP_USERNAME", SecretStr(""))
    smtp_password: SecretStr = _var("SMTP_PASSWORD", SecretStr(""))
    # The work-item key(s), newest first: never in Control Room's vault (splitpayout.adapters.sealing).
    work_item_keys: SecretStr = _var("WORK_ITEM_KEYS", SecretStr(""))
    work_item_key_file: Annotated[Path | None, BlankIsNone] = _var("WORK_ITEM_KEY_FILE")
    secret_manager: str = _var("RPA_SECRET_MANAGER", "")
    control_room_vault: str = _var("RC_API_SECRET_HOST", "")

    @property
    def vault_configured(self) -> bool:
        """Whether RPA.Robocorp.Vault has a vault to ask (Control Room's, or a local file)."""
        return bool(self.secret_manager or self.control_room_vault)


#: The robot's installation modes (``ROBOT_ENV``): production, the default, refuses a run
#: without a ledger key; development makes one itself, outside the state folder.
PRODUCTION = "production"
DEVELOPMENT = "development"


def _robot_env(raw: Any) -> Any:
    word = raw.strip().lower() if isinstance(raw, str) else raw
    if word not in (PRODUCTION, DEVELOPMENT):
        raise ValueError(f"must be {PRODUCTION} or {DEVELOPMENT}, got {raw!r}")
    return word


class LedgerKeyConfig(Places):
    """Where the key of the ledger's fingerprints comes from (``splitpayout.adapters.ledger_key``)."""

    robot_env: Annotated[str, BeforeValidator(_robot_env)] = _var("ROBOT_ENV", PRODUCTION)
    fingerprint_key: StrippedSecret = _var("LEDGER_FINGERPRINT_KEY", SecretStr(""))
    secret_name: str = _var("LEDGER_SECRET", names.LEDGER_SECRET)
    key_file: Annotated[Path | None, BlankIsNone] = _var("LEDGER_KEY_FILE")

    @property
    def development(self) -> bool:
        return self.robot_env == DEVELOPMENT

    @property
    def development_key_file(self) -> Path:
        """``LEDGER_KEY_FILE``, default ``~/.config/split-payout/ledger-fingerprint.key``."""
        return self.key_file or Path.home() / names.DEVELOPMENT_KEY_FILE


class RunnerConfig(Places):
    """The runner's own setting besides the folders."""

    ci: str = _var("CI", "")
