"""How a setting's text becomes a value, and the base of every section of the configuration.

Each section is a ``pydantic-settings`` model whose fields are named by their environment
variable (``validation_alias``). A value that cannot be used raises :class:`SettingsError`
with a message that starts with the variable's name, e.g. ``WORKERS must be at most 8, got 9``.
An unset variable, or for numbers and dates a blank one, takes the field's default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, SecretStr, ValidationError
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from splitpayout.config.environment import environment

TRUE_WORDS = frozenset({"1", "true", "yes", "ja", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "nej", "off", ""})


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


def _text(raw: Any) -> str:
    return raw if isinstance(raw, str) else str(raw)


def _flag(raw: Any) -> Any:
    if isinstance(raw, bool):
        return raw
    word = _text(raw).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"must be true or false, got {raw!r}")


def _blank_is_default(raw: Any) -> None:
    if isinstance(raw, str) and not raw.strip():
        raise PydanticUseDefault()


def whole(minimum: int = 0, maximum: int | None = None) -> Callable[[Any], Any]:
    """A whole number from ``minimum`` to ``maximum``."""

    def parse(raw: Any) -> Any:
        _blank_is_default(raw)
        if raw is None:  # an optional number's default
            return None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        else:
            try:
                value = int(_text(raw).strip())
            except ValueError:
                raise ValueError(f"must be a whole number, got {raw!r}") from None
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise ValueError(f"must be at most {maximum}, got {value}")
        return value

    return parse


def seconds(*, zero_allowed: bool) -> Callable[[Any], Any]:
    """A number of seconds: positive, or with ``zero_allowed`` 0 or more."""

    def parse(raw: Any) -> Any:
        _blank_is_default(raw)
        try:
            value = float(raw) if isinstance(raw, int | float) else float(_text(raw).strip())
        except ValueError:
            raise ValueError(f"must be a number of seconds, got {raw!r}") from None
        if zero_allowed and value < 0:
            raise ValueError(f"must be 0 or more, got {value}")
        if not zero_allowed and value <= 0:
            raise ValueError(f"must be positive, got {value}")
        return value

    return parse


def _date(raw: Any) -> Any:
    if raw is None or isinstance(raw, dt.date):  # an optional date's default, or a date
        return raw
    _blank_is_default(raw)
    try:
        return dt.date.fromisoformat(_text(raw).strip())
    except ValueError:
        raise ValueError(f"must be a date YYYY-MM-DD, got {raw!r}") from None


def _stripped(raw: Any) -> Any:
    return raw.strip() if isinstance(raw, str) else raw


def _comma_list(raw: Any) -> Any:
    if isinstance(raw, str):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def _optional_path(raw: Any) -> Any:
    if isinstance(raw, str) and not raw.strip():
        return None
    return raw.strip() if isinstance(raw, str) else raw


Flag = Annotated[bool, BeforeValidator(_flag)]
Date = Annotated[dt.date, BeforeValidator(_date)]
OptionalDate = Annotated[dt.date | None, BeforeValidator(_date)]
Text = Annotated[str, BeforeValidator(_stripped)]
StrippedSecret = Annotated[SecretStr, BeforeValidator(_stripped)]  # spaces around a secret mean nothing
CommaList = Annotated[tuple[str, ...], BeforeValidator(_comma_list)]
BlankIsNone = BeforeValidator(_optional_path)


class EnvSection(BaseSettings):
    """One section of the configuration, read from a mapping of environment variables."""

    model_config = SettingsConfigDict(
        frozen=True, extra="ignore", validate_by_name=True, validate_by_alias=True
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Values come only from the snapshot given to from_env: no second read of the environment.
        return (init_settings,)

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Environment variable name -> field name, for every field of the section."""
        return {str(field.validation_alias): name for name, field in cls.model_fields.items()}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """The section from ``env`` (default: this process's environment). Raises SettingsError
        naming the first variable whose value cannot be used."""
        env = environment() if env is None else env
        given = {name: env[name] for name in cls.variables() if name in env}
        try:
            return cls(**given)
        except ValidationError as error:
            raise SettingsError(_message(cls, error)) from None


def _message(section: type[EnvSection], error: ValidationError) -> str:
    first = error.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else "a setting"
    field = section.model_fields.get(name)
    if field is not None and field.validation_alias:
        name = str(field.validation_alias)
    cause = (first.get("ctx") or {}).get("error")
    text = str(cause) if cause is not None else first["msg"]
    return f"{name} {text}"
