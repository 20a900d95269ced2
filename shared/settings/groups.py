"""The settings in groups, one class per concern, each with its own checks; `Settings` combines them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, BeforeValidator, Field, field_validator, model_validator

from shared.redis_url import RedisTarget, parse_redis_target
from shared.settings.defaults import (
    DEFAULT_AI_RATE_LIMIT_PER_S,
    DEFAULT_DATA_DIR,
    DEFAULT_DATABASE_MAX_OVERFLOW,
    DEFAULT_DATABASE_POOL_SIZE,
    DEFAULT_GEMINI_API_URL,
    DEFAULT_HEMIS_PAGE_SIZE,
    DEFAULT_HEMIS_PAGES_IN_FLIGHT,
    DEFAULT_HEMIS_RATE_LIMIT_PER_S,
    DEFAULT_HEMIS_READ_TIMEOUT_S,
    DEFAULT_HEMIS_RUN_DEADLINE_S,
    DEFAULT_HEMIS_SYNC_CRON,
    DEFAULT_JWT_EXPIRES_S,
    DEFAULT_MAX_CRITERIA,
    DEFAULT_PORT,
    DEFAULT_RECOVERY_LEASE_S,
    DEFAULT_RECOVERY_MAX_ATTEMPTS,
    DEFAULT_RECOVERY_QUEUED_GRACE_S,
    DEFAULT_RECOVERY_SWEEP_INTERVAL_S,
    DEFAULT_RECOVERY_WORKER_ALIVE_S,
    DEFAULT_REDIS_URL,
    DEFAULT_SIPUNI_API_URL,
    DEFAULT_SIPUNI_MAX_WINDOW_DAYS,
    DEFAULT_SIPUNI_RATE_LIMIT_PER_S,
    DEFAULT_SQLITE_FILE,
    DEFAULT_STATS_MAX_WINDOW_DAYS,
    DEFAULT_STATS_STATEMENT_TIMEOUT_MS,
    DEFAULT_STT_LANGUAGE,
    DEFAULT_STT_RATE_LIMIT_PER_S,
    DEFAULT_STT_TIMEOUT_S,
    DEFAULT_SYNC_MIN_INTERVAL_S,
    DEFAULT_SYNC_SCHEDULE_TICK_S,
    DEFAULT_TASK_TIME_LIMIT_S,
    DEFAULT_TRUSTED_PROXY_HOPS,
    DEFAULT_VISIBILITY_TIMEOUT_S,
    DEFAULT_WORKER_CONCURRENCY,
    ENV_PRODUCTION,
    LOG_FORMAT_TEXT,
    MAX_HEMIS_PAGE_SIZE,
    MAX_HEMIS_PAGES_IN_FLIGHT,
    MAX_JWT_EXPIRES_S,
    MAX_STATS_STATEMENT_TIMEOUT_MS,
    MAX_SYNC_INTERVAL_S,
    MAX_TRUSTED_PROXY_HOPS,
    MIN_JWT_EXPIRES_S,
    MIN_JWT_SECRET_BYTES,
    MIN_METRICS_TOKEN_LENGTH,
    MIN_SYNC_INTERVAL_S,
    MIN_WEBHOOK_KEY_LENGTH,
    SOFT_LIMIT_MAX_MARGIN_S,
    SOFT_LIMIT_MIN_MARGIN_S,
)
from shared.settings.loading import SECRET_EXAMPLE


def _strip_text(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


# A flag from the environment: 1/0, true/false, yes/no, on/off, with surrounding blanks forgiven.
EnvBool = Annotated[bool, BeforeValidator(_strip_text)]


# --- runtime -----------------------------------------------------------------------------------


class RuntimeGroup(BaseModel):
    # production (every secret required), development or test
    navai_env: Literal["production", "development", "test"] = ENV_PRODUCTION
    port: int = DEFAULT_PORT  # the API's port

    @property
    def is_production(self) -> bool:
        return self.navai_env == ENV_PRODUCTION


# --- database and Redis ------------------------------------------------------------------------


class StoreGroup(BaseModel):
    # PostgreSQL directly, or a PgBouncer in `pool_mode = transaction` (README "Running at scale").
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_FILE}"
    # Where `alembic upgrade` connects ("" = DATABASE_URL): PostgreSQL itself when DATABASE_URL is a PgBouncer.
    migrations_database_url: str = ""
    database_pool_size: int = Field(DEFAULT_DATABASE_POOL_SIZE, ge=1,
                                    description="database connections each process keeps open")
    database_max_overflow: int = Field(DEFAULT_DATABASE_MAX_OVERFLOW, ge=0,
                                       description="connections a process may open beyond DATABASE_POOL_SIZE")
    # Broker, result backend, live progress, locks, rate limits: redis://, rediss://, or the sentinels
    # (sentinel://h1:26379,h2:26379/0, sentinels:// over TLS) of the master REDIS_SENTINEL_MASTER.
    redis_url: str = DEFAULT_REDIS_URL
    redis_sentinel_master: str = ""
    redis_sentinel_password: str = ""  # the sentinels' own; the master's is in REDIS_URL

    @property
    def redis_target(self) -> RedisTarget:
        """REDIS_URL read once, for every Redis client (`shared.redis_url`)."""
        return parse_redis_target(self.redis_url, self.redis_sentinel_master, self.redis_sentinel_password)

    @model_validator(mode="after")
    def _redis_url_understood(self) -> Self:
        self.redis_target  # noqa: B018 (raises ValueError naming REDIS_URL or REDIS_SENTINEL_MASTER)
        return self

    @property
    def migrations_url(self) -> str:
        """Alembic's database: MIGRATIONS_DATABASE_URL, else DATABASE_URL. (A property, not a
        filled-in field, so that a copy with another DATABASE_URL follows it.)"""
        return self.migrations_database_url or self.database_url


# --- secrets and the API -----------------------------------------------------------------------


class ApiGroup(BaseModel):
    """Secrets and token lifetimes (issue #12): refused at start with what to set instead."""

    # Required by the API in production (see `with_api_secrets`); workers and beat do without.
    jwt_secret_key: str = ""
    jwt_expires_s: int = Field(DEFAULT_JWT_EXPIRES_S, ge=MIN_JWT_EXPIRES_S, le=MAX_JWT_EXPIRES_S,
                               description="access-token lifetime: a minute (clock skew) to a day")
    # "" = only organizations' own webhook keys are accepted.
    webhook_api_key: str = ""
    # Proxy hops in front of the API whose X-Forwarded-* headers are believed (0 = none: ignored).
    trusted_proxies: int = Field(DEFAULT_TRUSTED_PROXY_HOPS, ge=0, le=MAX_TRUSTED_PROXY_HOPS,
                                 description="reverse proxies in front of the API (X-Forwarded-For hops)")
    # Bounded statistics (issue #18): ADMIN and SUPERADMIN windows keep the API's own ten-year bound.
    stats_max_window_days: int = Field(DEFAULT_STATS_MAX_WINDOW_DAYS, ge=1,
                                       description="the longest /stats/* window of an EMPLOYEE or MANAGER, days")
    stats_statement_timeout_ms: int = Field(DEFAULT_STATS_STATEMENT_TIMEOUT_MS, ge=1,
                                            le=MAX_STATS_STATEMENT_TIMEOUT_MS,
                                            description="a statistics query running longer is cancelled (503)")
    # Generated stand-ins (see `with_api_secrets`): never read from nor written to the environment.
    secrets_generated: tuple[str, ...] = Field((), exclude=True)

    @field_validator("jwt_secret_key")
    @classmethod
    def _jwt_secret_long_enough(cls, value: str) -> str:
        if value and len(value.encode("utf-8")) < MIN_JWT_SECRET_BYTES:
            raise ValueError(f"JWT_SECRET_KEY must be at least {MIN_JWT_SECRET_BYTES} bytes long, "
                             f"e.g. {SECRET_EXAMPLE}")
        return value

    @field_validator("webhook_api_key")
    @classmethod
    def _webhook_key_long_enough(cls, value: str) -> str:
        if value and len(value) < MIN_WEBHOOK_KEY_LENGTH:
            raise ValueError(f"WEBHOOK_API_KEY must be at least {MIN_WEBHOOK_KEY_LENGTH} characters long "
                             "(or unset, to accept only organizations' own webhook keys)")
        return value


# --- storage -----------------------------------------------------------------------------------


class StorageGroup(BaseModel):
    # Files with local storage; with S3, only a worker's downloads in progress.
    data_dir: str = DEFAULT_DATA_DIR
    storage_url: str = ""  # "" = files under DATA_DIR; s3://bucket[/prefix] = an S3-compatible store
    aws_endpoint_url_s3: str = ""
    aws_endpoint_url: str = ""
    aws_access_key_id: str = ""
    aws_secret_access_key: str = ""
    aws_default_region: str = ""

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @field_validator("storage_url")
    @classmethod
    def _storage_url_is_s3(cls, value: str) -> str:
        if value and not value.startswith("s3://"):
            raise ValueError(f"STORAGE_URL must be empty (files under DATA_DIR) or s3://bucket[/prefix], "
                             f"got {value!r}")
        return value


# --- Sipuni ------------------------------------------------------------------------------------


class SipuniGroup(BaseModel):
    sipuni_api_url: str = DEFAULT_SIPUNI_API_URL
    # A single-organization deployment's account; per-organization values win.
    sipuni_user: str = ""
    sipuni_secret: str = ""
    sipuni_rate_limit: float = Field(DEFAULT_SIPUNI_RATE_LIMIT_PER_S, ge=0,
                                     description="requests per second across all workers, 0 = unlimited")
    sipuni_max_window_days: int = Field(DEFAULT_SIPUNI_MAX_WINDOW_DAYS, ge=1,
                                        description="the longest from..to window of step 1 / step 2")
    sync_schedule_tick_s: int = Field(DEFAULT_SYNC_SCHEDULE_TICK_S, ge=1,
                                      description="how often beat checks the organizations' call-sync schedules")
    sync_min_interval_s: int = Field(DEFAULT_SYNC_MIN_INTERVAL_S, ge=MIN_SYNC_INTERVAL_S, le=MAX_SYNC_INTERVAL_S,
                                     description="the shortest time between two due times of an organization's "
                                                 "syncSchedule")


# --- HEMIS -------------------------------------------------------------------------------------


class HemisGroup(BaseModel):
    hemis_api_url: str = ""
    hemis_bearer_token: str = ""
    # 5-field cron, UTC; checked where beat builds its schedule (celeryconfig.hemis_crontab).
    hemis_sync_cron: str = DEFAULT_HEMIS_SYNC_CRON
    hemis_page_size: int = Field(DEFAULT_HEMIS_PAGE_SIZE, ge=1, le=MAX_HEMIS_PAGE_SIZE,
                                 description="records per page; HEMIS caps pages at 200")
    hemis_rate_limit: float = Field(DEFAULT_HEMIS_RATE_LIMIT_PER_S, ge=0,
                                    description="our own cap, requests per second across all workers, 0 = none")
    hemis_ca_bundle: str = ""
    hemis_read_timeout_s: float = Field(DEFAULT_HEMIS_READ_TIMEOUT_S, gt=0,
                                        description="read timeout of every HEMIS request")
    hemis_run_deadline_s: int = Field(DEFAULT_HEMIS_RUN_DEADLINE_S, ge=1,
                                      description="a run not finished this long after its start fails")
    hemis_pages_in_flight: int = Field(DEFAULT_HEMIS_PAGES_IN_FLIGHT, ge=1, le=MAX_HEMIS_PAGES_IN_FLIGHT,
                                       description="pages of one run queued or waiting at once")


# --- AI processing of calls --------------------------------------------------------------------


class AiGroup(BaseModel):
    stt_api_url: str = ""
    stt_language: str = DEFAULT_STT_LANGUAGE
    stt_api_key: str = ""
    stt_timeout_s: int = Field(DEFAULT_STT_TIMEOUT_S, ge=1, description="cap on one transcription request")
    stt_rate_limit: float = Field(DEFAULT_STT_RATE_LIMIT_PER_S, ge=0,
                                  description="speech-to-text uploads per second across all workers, 0 = unlimited")
    ai_provider: str = ""  # gemini | openai; checked where the provider is chosen (workers.ai)
    ai_model: str = ""
    gemini_api_key: str = ""
    gemini_api_url: str = DEFAULT_GEMINI_API_URL
    openai_base_url: str = ""
    openai_api_key: str = ""
    ai_rate_limit: float = Field(DEFAULT_AI_RATE_LIMIT_PER_S, ge=0,
                                 description="provider requests per second across all workers, 0 = unlimited")
    delete_audio_after_analysis: EnvBool = False
    max_criteria: int = Field(DEFAULT_MAX_CRITERIA, ge=1, description="active scoring criteria per organization")


# --- Celery and workers ------------------------------------------------------------------------


class CeleryGroup(BaseModel):
    celery_task_time_limit_s: int = DEFAULT_TASK_TIME_LIMIT_S
    celery_visibility_timeout_s: int = DEFAULT_VISIBILITY_TIMEOUT_S
    # Pool processes per worker when `-c` is not given.
    worker_concurrency: int = DEFAULT_WORKER_CONCURRENCY

    @property
    def celery_soft_time_limit_s(self) -> int:
        """The soft limit: a margin under the hard limit, for the task to record its outcome.
        The margin is a sixth of the hard limit, kept within 3..30 s, so short limits (tests) work too."""
        hard_s = self.celery_task_time_limit_s
        margin_s = max(SOFT_LIMIT_MIN_MARGIN_S, min(SOFT_LIMIT_MAX_MARGIN_S, hard_s // 6))
        return max(1, hard_s - margin_s)

    @model_validator(mode="after")
    def _redelivery_after_the_limit(self) -> Self:
        if self.celery_visibility_timeout_s <= self.celery_task_time_limit_s:
            raise ValueError("CELERY_VISIBILITY_TIMEOUT_S must be longer than CELERY_TASK_TIME_LIMIT_S, "
                             "or a running task would be delivered a second time")
        return self


# --- crash recovery ----------------------------------------------------------------------------


class RecoveryGroup(BaseModel):
    """See the DEFAULT_RECOVERY_* constants above and README "What survives what"."""

    recovery_sweep_interval_s: float = Field(DEFAULT_RECOVERY_SWEEP_INTERVAL_S, gt=0,
                                             description="how often beat runs the recovery sweep")
    recovery_lease_s: float = Field(DEFAULT_RECOVERY_LEASE_S, gt=0,
                                    description="a running unit silent this long is presumed dead")
    recovery_worker_alive_s: float = Field(DEFAULT_RECOVERY_WORKER_ALIVE_S, gt=0,
                                           description="a worker silent this long is presumed dead")
    recovery_queued_grace_s: float = Field(DEFAULT_RECOVERY_QUEUED_GRACE_S, gt=0,
                                           description="a unit not taken this long after it was due is "
                                                       "published again")
    recovery_max_attempts: int = Field(DEFAULT_RECOVERY_MAX_ATTEMPTS, ge=1,
                                       description="times a unit is published again before it is given up")


# --- observability -----------------------------------------------------------------------------


class ObservabilityGroup(BaseModel):
    # `json`: one JSON object per log line (API, workers, beat).
    log_format: Literal["text", "json"] = LOG_FORMAT_TEXT
    # When set, `GET /metrics` needs `Authorization: Bearer <METRICS_TOKEN>`.
    metrics_token: str = ""

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token_long_enough(cls, value: str) -> str:
        if value and len(value) < MIN_METRICS_TOKEN_LENGTH:
            raise ValueError(f"METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} characters long "
                             f"(or unset, for an open /metrics), e.g. {SECRET_EXAMPLE}")
        return value
