"""How settings are read: from one mapping only (`from_env`), frozen, and every validation problem
turned into one `ConfigError` naming the variables and what to set instead."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

_BOOL_WORDS = "1/0, true/false, yes/no, on/off"
SECRET_EXAMPLE = "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"

logger = logging.getLogger(__name__)


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable and how to fix it."""


class _EnvironSource(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping instead of `os.environ`, so that
    `from_env(mapping)` reads that mapping and nothing else (tests, `make run`'s merged `.env`).
    `_load_env_vars` is the hook pydantic-settings' own dotenv source overrides the same way."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # Case-insensitive, and an empty variable counts as unset (as `KEY=` in a .env file means).
        return {name.lower(): value for name, value in self._environ.items() if value != ""}


class EnvSettingsBase(BaseSettings):
    """What `Settings` and `FlowerSettings` share: read from a mapping by `from_env`, immutable,
    every validation problem raised as one `ConfigError` naming the variables."""

    model_config = SettingsConfigDict(frozen=True, case_sensitive=False, env_prefix="", env_ignore_empty=True,
                                      extra="forbid", validate_default=True, hide_input_in_errors=True)
    # Upper-case variable name -> the variable that replaced it (accepted, ignored, warned about).
    deprecated_settings: ClassVar[Mapping[str, str]] = {}

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            # `from None`: pydantic's own text repeats the rejected input, which may be a secret.
            raise ConfigError(_describe(exc, type(self))) from None

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values given to the constructor: the environment is read by `from_env` alone."""
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Read the settings from `environ` (default `os.environ`) and check them."""
        environ = os.environ if environ is None else environ
        values = {name: value for name, value in _EnvironSource(cls, environ)().items()
                  if not cls.model_fields[name].exclude}
        for name, value in environ.items():
            if name.upper() in cls.deprecated_settings and value != "":
                values[name.lower()] = value
        return cls(**values)

    @model_validator(mode="before")
    @classmethod
    def _drop_deprecated(cls, data: Any) -> Any:
        """An obsolete variable is ignored with a warning instead of stopping the process."""
        if not isinstance(data, dict):
            return data
        for name, successor in cls.deprecated_settings.items():
            if name.lower() in data:
                data = {key: value for key, value in data.items() if key != name.lower()}
                _warn_deprecated(name, successor)
        return data

    def checked(self) -> Self:
        """The settings, validated: construction already checked every field, so this returns self.
        Kept because start-up code reads `Settings(...).checked()` as "refuse bad values here"."""
        return self

    def replace(self, **changes: Any) -> Self:
        """A validated copy with `changes` (the frozen settings' `dataclasses.replace`)."""
        values = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self)(**{**values, **changes})

    def to_env(self) -> dict[str, str]:
        """The settings as environment variables, to hand to a child process (worker, beat)."""
        return {name.upper(): _env_text(getattr(self, name))
                for name, spec in type(self).model_fields.items() if not spec.exclude}


def _env_text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _warn_deprecated(name: str, successor: str) -> None:
    message = (f"{name} is ignored: it was superseded by {successor}. It is accepted with this warning in "
               f"this release and refused in the next; remove it from the environment (.env).")
    warnings.warn(message, DeprecationWarning, stacklevel=2)
    logger.warning(message)


# --- validation errors as ConfigError ----------------------------------------------------------

_REQUIREMENTS = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": f"must be one of {_BOOL_WORDS}",
}


def _describe(exc: ValidationError, model: type[BaseModel]) -> str:
    """Every problem of a failed validation, each naming its variable and what to set instead."""
    return "; ".join(_problem(error, model) for error in exc.errors(include_url=False))


def _problem(error: ErrorDetails, model: type[BaseModel]) -> str:
    if error["type"] == "value_error":  # our own validators: the message already names the variable
        return str(error.get("ctx", {}).get("error", error["msg"]))
    name = str(error["loc"][0]) if error["loc"] else ""
    variable = name.upper()
    if error["type"] == "extra_forbidden":
        return f"{variable} is not a setting"
    spec = model.model_fields.get(name)
    requirement = _requirement(error, spec, unit=" s" if name.endswith("_s") else "")
    # A string field's input may be a secret: only numbers, flags and choices are echoed.
    shown = "" if spec is None or spec.annotation is str else f", got {error['input']!r}"
    explained = f" ({spec.description})" if spec is not None and spec.description else ""
    return f"{variable} {requirement}{shown}{explained}"


def _requirement(error: ErrorDetails, spec: FieldInfo | None, unit: str) -> str:
    """What a valid value looks like, from the field's bounds or the kind of error."""
    if error["type"] == "literal_error":
        return f"must be one of {error.get('ctx', {}).get('expected', '')}"
    if error["type"] in _REQUIREMENTS:
        return _REQUIREMENTS[error["type"]]
    low, high = _bounds(spec)
    if low is not None and high is not None:
        return f"must lie within {low}..{high}{unit}"
    if error["type"] == "greater_than_equal":
        return f"must be at least {low}{unit}"
    if error["type"] == "greater_than":
        return f"must be greater than {low}{unit}"
    return f"is invalid: {error['msg']}"


def _bounds(spec: FieldInfo | None) -> tuple[object | None, object | None]:
    """The field's lower and upper bound (`Field(ge=..., le=...)`), None where it has none."""
    low: object | None = None
    high: object | None = None
    for constraint in spec.metadata if spec is not None else ():
        low = getattr(constraint, "ge", getattr(constraint, "gt", low))
        high = getattr(constraint, "le", getattr(constraint, "lt", high))
    return low, high
