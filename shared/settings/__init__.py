"""Settings: every knob of the system, read once from the environment into one object.

The object is passed explicitly to `api.create_app(settings)` and `workers.create_celery(settings)`;
no module reads `os.environ` on import. `Settings.from_env()` is the one reader of the environment:
constructing `Settings(...)` directly (tests, benches) takes only the given values and the defaults,
so a developer's shell never leaks into a test.

pydantic-settings types and validates every field (lower-case field = upper-case variable, no
prefix, case-insensitive; an empty variable counts as unset). The fields are declared in groups
(runtime, database/Redis, secrets & API, storage, Sipuni, HEMIS, AI, Celery, recovery,
observability), each with its own checks, but read flat: `settings.hemis_page_size`.
Any invalid value raises `ConfigError` naming the variable and what to set instead.

Flower's two variables live in `FlowerSettings`, read by `flowerconfig.py` and `make run` only.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import ClassVar

from shared.settings.defaults import *  # noqa: F403 (the named defaults are part of this package's surface)
from shared.settings.defaults import DEPRECATED_SETTINGS
from shared.settings.flower import FlowerSettings
from shared.settings.groups import (
    AiGroup,
    ApiGroup,
    CeleryGroup,
    HemisGroup,
    ObservabilityGroup,
    RecoveryGroup,
    RuntimeGroup,
    SipuniGroup,
    StorageGroup,
    StoreGroup,
)
from shared.settings.loading import SECRET_EXAMPLE, ConfigError, EnvSettingsBase

__all__ = ["ConfigError", "FlowerSettings", "HemisGroup", "Settings"]


# The groups are listed in reverse: pydantic collects fields from the last base first, so that the
# fields (and `to_env()`) come in the reading order above.
class Settings(ObservabilityGroup, RecoveryGroup, CeleryGroup, AiGroup, HemisGroup, SipuniGroup, StorageGroup,
               ApiGroup, StoreGroup, RuntimeGroup, EnvSettingsBase):
    """The whole configuration. Field names are the lower-case environment variable names."""

    deprecated_settings: ClassVar[Mapping[str, str]] = DEPRECATED_SETTINGS

    def with_api_secrets(self) -> Settings:
        """What the API needs on top: a JWT secret. Workers and beat do without one.

        Missing in production: a clear `ConfigError`. Elsewhere a random key stands in for this
        process only (`make run` writes a shared one to .env so that every process agrees).
        """
        if self.jwt_secret_key:
            return self
        if self.is_production:
            raise ConfigError(f"JWT_SECRET_KEY is not set. In production it is required: set it to a long random "
                              f"string, e.g. {SECRET_EXAMPLE}.")
        return self.replace(jwt_secret_key=secrets.token_urlsafe(48), secrets_generated=("JWT_SECRET_KEY",))
