"""Settings: every knob of the system, read once from the environment into one object.

The object is passed explicitly to `api.create_app(settings)` and `workers.create_celery(settings)`;
no module reads `os.environ` on import.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

ENV_PRODUCTION = "production"
ENV_DEVELOPMENT = "development"
ENV_TEST = "test"
KNOWN_ENVS = (ENV_PRODUCTION, ENV_DEVELOPMENT, ENV_TEST)

DEFAULT_PORT = 3000
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_SQLITE_FILE = ".data/navai.sqlite3"
DEFAULT_DATA_DIR = ".data/files"
DEFAULT_SIPUNI_API_URL = "https://sipuni.com/api"
DEFAULT_HEMIS_SYNC_CRON = "0 1 * * *"
# 200 is the de-facto maximum of every known HEMIS client: 4x fewer requests than 50 against a throttled HEMIS.
DEFAULT_HEMIS_PAGE_SIZE = 200
DEFAULT_HEMIS_RATE_LIMIT_PER_S = 1.0
DEFAULT_SIPUNI_RATE_LIMIT_PER_S = 8.0
DEFAULT_JWT_EXPIRES_S = 3600
DEFAULT_STT_LANGUAGE = "uz"
DEFAULT_STT_RATE_LIMIT_PER_S = 1.0
# HS256 keys shorter than the hash (32 bytes) make forged tokens guessable offline.
MIN_JWT_SECRET_BYTES = 32
# A webhook key is a bearer secret in a header: long enough not to be guessed by trying.
MIN_WEBHOOK_KEY_LENGTH = 24
# A token lives at least a minute (clock skew) and at most a day (a stolen one dies soon).
MIN_JWT_EXPIRES_S = 60
MAX_JWT_EXPIRES_S = 86_400
DEFAULT_FLOWER_ADDRESS = "127.0.0.1"
# Bounded triggers: the longest step-1/step-2 date window, and active criteria per organization.
DEFAULT_SIPUNI_MAX_WINDOW_DAYS = 366
DEFAULT_MAX_CRITERIA = 30
# Every task ends within the hard limit; a message a dead worker held goes back to the queue after
# the visibility timeout, which must therefore be longer than the longest task.
DEFAULT_TASK_TIME_LIMIT_S = 300
DEFAULT_VISIBILITY_TIMEOUT_S = 360
# Tasks wait on upstream latency far more than they use the CPU: several per core pay off.
DEFAULT_WORKER_CONCURRENCY = 8
SOFT_LIMIT_MIN_MARGIN_S = 3
SOFT_LIMIT_MAX_MARGIN_S = 30
# A HEMIS page task silent (no heartbeat) this long is presumed dead and its page fetched again;
# the supervisor of a run looks every HEMIS_SUPERVISE_INTERVAL_S.
DEFAULT_HEMIS_PAGE_STALL_S = 60
DEFAULT_HEMIS_SUPERVISE_INTERVAL_S = 20
DEFAULT_HEMIS_READ_TIMEOUT_S = 60.0
# How often beat checks the organizations' call-sync schedules (cron's resolution is a minute).
DEFAULT_SYNC_SCHEDULE_TICK_S = 60
# The STT service's own bound on one transcription (the original allowed 10 min + 2 min/MB, at most 60 min).
DEFAULT_STT_TIMEOUT_S = 3600
LOG_FORMAT_TEXT = "text"
LOG_FORMAT_JSON = "json"
LOG_FORMATS = (LOG_FORMAT_TEXT, LOG_FORMAT_JSON)
# Crash recovery (see shared/inflight.py, workers/recovery/): beat sweeps every
# RECOVERY_SWEEP_INTERVAL_S; a running unit whose heartbeat is older than RECOVERY_LEASE_S, or held by
# a worker silent for RECOVERY_WORKER_ALIVE_S, is published again; a queued unit not taken
# RECOVERY_QUEUED_GRACE_S after it was due, while its queue is empty, too. A unit is published again
# at most RECOVERY_MAX_ATTEMPTS times, then given up (recorded as failed).
DEFAULT_RECOVERY_SWEEP_INTERVAL_S = 10
DEFAULT_RECOVERY_LEASE_S = 15
DEFAULT_RECOVERY_WORKER_ALIVE_S = 15
DEFAULT_RECOVERY_QUEUED_GRACE_S = 30
DEFAULT_RECOVERY_MAX_ATTEMPTS = 3
# A HEMIS run that has not finished this long after it started (e.g. locked out by the server's rate
# limit) ends as failed; until then a page throttled by HEMIS waits and tries again, as often as it takes.
DEFAULT_HEMIS_RUN_DEADLINE_S = 6 * 3600


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable and how to fix it."""


@dataclass(frozen=True)
class Settings:
    """The whole configuration. Field names are the lower-case environment variable names."""

    navai_env: str = ENV_PRODUCTION
    port: int = DEFAULT_PORT
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_FILE}"
    redis_url: str = DEFAULT_REDIS_URL
    jwt_secret_key: str = ""
    jwt_expires_s: int = DEFAULT_JWT_EXPIRES_S
    webhook_api_key: str = ""
    data_dir: str = DEFAULT_DATA_DIR
    storage_url: str = ""  # "" = files under DATA_DIR; s3://bucket[/prefix] = an S3-compatible store
    aws_endpoint_url_s3: str = ""
    aws_endpoint_url: str = ""
    aws_access_key_id: str = ""
    aws_secret_access_key: str = ""
    aws_default_region: str = ""
    sipuni_api_url: str = DEFAULT_SIPUNI_API_URL
    sipuni_user: str = ""
    sipuni_secret: str = ""
    sipuni_rate_limit: float = DEFAULT_SIPUNI_RATE_LIMIT_PER_S
    hemis_api_url: str = ""
    hemis_bearer_token: str = ""
    hemis_sync_cron: str = DEFAULT_HEMIS_SYNC_CRON
    hemis_page_size: int = DEFAULT_HEMIS_PAGE_SIZE
    hemis_rate_limit: float = DEFAULT_HEMIS_RATE_LIMIT_PER_S
    hemis_ca_bundle: str = ""
    stt_api_url: str = ""
    stt_language: str = DEFAULT_STT_LANGUAGE
    stt_api_key: str = ""
    stt_timeout_s: int = DEFAULT_STT_TIMEOUT_S
    ai_provider: str = ""
    ai_model: str = ""
    gemini_api_key: str = ""
    gemini_api_url: str = "https://generativelanguage.googleapis.com/v1beta"
    openai_base_url: str = ""
    openai_api_key: str = ""
    ai_rate_limit: float = 1.0
    delete_audio_after_analysis: bool = False
    flower_basic_auth: str = ""
    flower_address: str = DEFAULT_FLOWER_ADDRESS
    sipuni_max_window_days: int = DEFAULT_SIPUNI_MAX_WINDOW_DAYS
    max_criteria: int = DEFAULT_MAX_CRITERIA
    celery_task_time_limit_s: int = DEFAULT_TASK_TIME_LIMIT_S
    celery_visibility_timeout_s: int = DEFAULT_VISIBILITY_TIMEOUT_S
    stt_rate_limit: float = DEFAULT_STT_RATE_LIMIT_PER_S
    hemis_page_stall_s: int = DEFAULT_HEMIS_PAGE_STALL_S
    hemis_supervise_interval_s: int = DEFAULT_HEMIS_SUPERVISE_INTERVAL_S
    hemis_read_timeout_s: float = DEFAULT_HEMIS_READ_TIMEOUT_S
    hemis_run_deadline_s: int = DEFAULT_HEMIS_RUN_DEADLINE_S
    worker_concurrency: int = DEFAULT_WORKER_CONCURRENCY
    sync_schedule_tick_s: int = DEFAULT_SYNC_SCHEDULE_TICK_S
    # `text` (default) or `json`: one JSON object per log line (API, workers, beat).
    log_format: str = LOG_FORMAT_TEXT
    # When set, `GET /metrics` needs `Authorization: Bearer <METRICS_TOKEN>`.
    metrics_token: str = ""
    recovery_sweep_interval_s: float = DEFAULT_RECOVERY_SWEEP_INTERVAL_S
    recovery_lease_s: float = DEFAULT_RECOVERY_LEASE_S
    recovery_worker_alive_s: float = DEFAULT_RECOVERY_WORKER_ALIVE_S
    recovery_queued_grace_s: float = DEFAULT_RECOVERY_QUEUED_GRACE_S
    recovery_max_attempts: int = DEFAULT_RECOVERY_MAX_ATTEMPTS
    secrets_generated: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_production(self) -> bool:
        return self.navai_env == ENV_PRODUCTION

    @property
    def celery_soft_time_limit_s(self) -> int:
        """The soft limit: a margin under the hard limit, for the task to record its outcome.
        The margin is a sixth of the hard limit, kept within 3..30 s, so short limits (tests) work too."""
        hard_s = self.celery_task_time_limit_s
        margin_s = max(SOFT_LIMIT_MIN_MARGIN_S, min(SOFT_LIMIT_MAX_MARGIN_S, hard_s // 6))
        return max(1, hard_s - margin_s)

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read settings from `environ` (default `os.environ`), then check them."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for spec in fields(cls):
            if spec.name == "secrets_generated":
                continue
            raw = environ.get(spec.name.upper())
            if raw is None or raw == "":
                continue
            values[spec.name] = _convert(spec.name, spec.type, raw)
        return cls(**values).checked()

    def checked(self) -> "Settings":
        """Validate formats and ranges; raise `ConfigError` naming the variable."""
        if self.navai_env not in KNOWN_ENVS:
            raise ConfigError(f"NAVAI_ENV must be one of {', '.join(KNOWN_ENVS)}, got {self.navai_env!r}")
        if self.hemis_page_size < 1 or self.hemis_page_size > 200:
            raise ConfigError("HEMIS_PAGE_SIZE must be between 1 and 200 (HEMIS caps pages at 200)")
        if min(self.hemis_rate_limit, self.sipuni_rate_limit, self.ai_rate_limit, self.stt_rate_limit) < 0:
            raise ConfigError("rate limits (HEMIS_RATE_LIMIT, SIPUNI_RATE_LIMIT, AI_RATE_LIMIT, STT_RATE_LIMIT) "
                              "must be >= 0")
        if self.hemis_read_timeout_s <= 0:
            raise ConfigError("HEMIS_READ_TIMEOUT_S must be > 0")
        if self.hemis_run_deadline_s < 1:
            raise ConfigError("HEMIS_RUN_DEADLINE_S must be at least 1 second")
        if self.hemis_page_stall_s < 1 or self.hemis_supervise_interval_s < 1:
            raise ConfigError("HEMIS_PAGE_STALL_S and HEMIS_SUPERVISE_INTERVAL_S must be at least 1 second")
        if min(self.recovery_sweep_interval_s, self.recovery_lease_s, self.recovery_worker_alive_s,
               self.recovery_queued_grace_s) <= 0 or self.recovery_max_attempts < 1:
            raise ConfigError("RECOVERY_SWEEP_INTERVAL_S, RECOVERY_LEASE_S, RECOVERY_WORKER_ALIVE_S and "
                              "RECOVERY_QUEUED_GRACE_S must be > 0, RECOVERY_MAX_ATTEMPTS at least 1")
        if self.celery_visibility_timeout_s <= self.celery_task_time_limit_s:
            raise ConfigError("CELERY_VISIBILITY_TIMEOUT_S must be longer than CELERY_TASK_TIME_LIMIT_S, "
                              "or a running task would be delivered a second time")
        if self.sync_schedule_tick_s < 1:
            raise ConfigError("SYNC_SCHEDULE_TICK_S must be at least 1 second")
        if self.storage_url and not self.storage_url.startswith("s3://"):
            raise ConfigError(f"STORAGE_URL must be empty (files under DATA_DIR) or s3://bucket[/prefix], "
                              f"got {self.storage_url!r}")
        if self.stt_timeout_s < 1:
            raise ConfigError("STT_TIMEOUT_S must be at least 1 second")
        if self.log_format not in LOG_FORMATS:
            raise ConfigError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {self.log_format!r}")
        self._check_security()
        return self

    def _check_security(self) -> None:
        """Secrets and token lifetimes (issue #12): refused at start with what to set instead."""
        if self.jwt_secret_key and len(self.jwt_secret_key.encode("utf-8")) < MIN_JWT_SECRET_BYTES:
            raise ConfigError(f"JWT_SECRET_KEY must be at least {MIN_JWT_SECRET_BYTES} bytes long, e.g. "
                              "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`")
        if not MIN_JWT_EXPIRES_S <= self.jwt_expires_s <= MAX_JWT_EXPIRES_S:
            raise ConfigError(f"JWT_EXPIRES_S must lie within {MIN_JWT_EXPIRES_S}..{MAX_JWT_EXPIRES_S} seconds "
                              f"(got {self.jwt_expires_s})")
        if self.webhook_api_key and len(self.webhook_api_key) < MIN_WEBHOOK_KEY_LENGTH:
            raise ConfigError(f"WEBHOOK_API_KEY must be at least {MIN_WEBHOOK_KEY_LENGTH} characters long "
                              "(or unset, to accept only organizations' own webhook keys)")
        if self.sipuni_max_window_days < 1 or self.max_criteria < 1:
            raise ConfigError("SIPUNI_MAX_WINDOW_DAYS and MAX_CRITERIA must be at least 1")

    def with_api_secrets(self) -> "Settings":
        """What the API needs on top: a JWT secret. Workers and beat do without one.

        Missing in production: a clear `ConfigError`. Elsewhere a random key stands in for this
        process only (`make run` writes a shared one to .env so that every process agrees).
        """
        if self.jwt_secret_key:
            return self
        if self.is_production:
            raise ConfigError(
                "JWT_SECRET_KEY is not set. In production it is required: set it to a long random "
                "string, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
            )
        # Outside production an ephemeral key keeps a single process usable; multi-process
        # setups (make run) pass an explicit key so that every process agrees.
        return replace(self, jwt_secret_key=secrets.token_urlsafe(48), secrets_generated=("JWT_SECRET_KEY",))

    def to_env(self) -> dict[str, str]:
        """The settings as environment variables, to hand to a child process (worker, beat)."""
        env: dict[str, str] = {}
        for spec in fields(self):
            if spec.name == "secrets_generated":
                continue
            value = getattr(self, spec.name)
            if isinstance(value, bool):
                value = "1" if value else "0"
            env[spec.name.upper()] = str(value)
        return env



_TRUE_WORDS = {"1", "true", "yes", "on"}
_FALSE_WORDS = {"0", "false", "no", "off"}


def _convert(name: str, type_name: object, raw: str) -> object:
    """Turn one environment string into the field's type, with an error naming the variable."""
    type_text = str(type_name)
    try:
        if type_text == "int":
            return int(raw)
        if type_text == "float":
            return float(raw)
        if type_text == "bool":
            lowered = raw.strip().lower()
            if lowered in _TRUE_WORDS:
                return True
            if lowered in _FALSE_WORDS:
                return False
            raise ValueError(raw)
    except ValueError as exc:
        raise ConfigError(f"{name.upper()} has an invalid value {raw!r} (expected {type_text})") from exc
    return raw
