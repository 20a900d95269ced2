"""Every setting's default and bounds, as named constants with their unit (imported by the groups,
and by code that needs a default without a `Settings`: `make run`, tests)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

ENV_PRODUCTION: Final = "production"
ENV_DEVELOPMENT: Final = "development"
ENV_TEST: Final = "test"
KNOWN_ENVS = (ENV_PRODUCTION, ENV_DEVELOPMENT, ENV_TEST)

DEFAULT_PORT = 3000
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_SQLITE_FILE = ".data/navai.sqlite3"
# SQLAlchemy's pool in each process (an API process, a worker's pool process, beat): connections
# kept open, and how many more it may open at a busy moment (SQLAlchemy's own defaults). A worker's
# pool process runs one task at a time and a gunicorn sync process one request, each holding one
# connection at a time (tests/test_pgbouncer.py runs with 1 and no overflow): such a process never
# opens more than one; the bounds cap threaded servers. README "Running at scale" has the arithmetic.
DEFAULT_DATABASE_POOL_SIZE = 5
DEFAULT_DATABASE_MAX_OVERFLOW = 10
DEFAULT_DATA_DIR = ".data/files"
DEFAULT_SIPUNI_API_URL = "https://sipuni.com/api"
DEFAULT_HEMIS_SYNC_CRON = "0 1 * * *"
# 200 is the de-facto maximum of every known HEMIS client: 4x fewer requests than 50 against a throttled HEMIS.
DEFAULT_HEMIS_PAGE_SIZE = 200
MAX_HEMIS_PAGE_SIZE = 200
DEFAULT_HEMIS_RATE_LIMIT_PER_S = 1.0
DEFAULT_SIPUNI_RATE_LIMIT_PER_S = 8.0
DEFAULT_AI_RATE_LIMIT_PER_S = 1.0
DEFAULT_JWT_EXPIRES_S = 3600
DEFAULT_STT_LANGUAGE = "uz"
DEFAULT_STT_RATE_LIMIT_PER_S = 1.0
DEFAULT_GEMINI_API_URL = "https://generativelanguage.googleapis.com/v1beta"
# HS256 keys shorter than the hash (32 bytes) make forged tokens guessable offline.
MIN_JWT_SECRET_BYTES = 32
# A webhook key is a bearer secret in a header: long enough not to be guessed by trying.
MIN_WEBHOOK_KEY_LENGTH = 24
# The bearer token of /metrics, for the same reason.
MIN_METRICS_TOKEN_LENGTH = 24
# A token lives at least a minute (clock skew) and at most a day (a stolen one dies soon).
MIN_JWT_EXPIRES_S = 60
MAX_JWT_EXPIRES_S = 86_400
# Reverse proxies in front of the API, each appending to X-Forwarded-For (TRUSTED_PROXIES, werkzeug's
# ProxyFix): 0 = none, forwarded headers are ignored and the client address is the connection's.
DEFAULT_TRUSTED_PROXY_HOPS = 0
MAX_TRUSTED_PROXY_HOPS = 5
DEFAULT_FLOWER_ADDRESS = "127.0.0.1"
# Bounded triggers: the longest step-1/step-2 date window, and active criteria per organization.
DEFAULT_SIPUNI_MAX_WINDOW_DAYS = 366
DEFAULT_MAX_CRITERIA = 30
# Bounded tenants (issue #18): an organization's call-sync schedule comes due at most every
# SYNC_MIN_INTERVAL_S (a full sync every minute would spend the rate limits every tenant shares;
# a cron cannot be finer than a minute anyway); an EMPLOYEE's or MANAGER's statistics window spans
# at most STATS_MAX_WINDOW_DAYS days; a statistics query is cancelled after STATS_STATEMENT_TIMEOUT_MS.
DEFAULT_SYNC_MIN_INTERVAL_S = 900
MIN_SYNC_INTERVAL_S = 60
MAX_SYNC_INTERVAL_S = 86_400  # at most daily: what a schedule that names days can always keep
DEFAULT_STATS_MAX_WINDOW_DAYS = 400
DEFAULT_STATS_STATEMENT_TIMEOUT_MS = 10_000
MAX_STATS_STATEMENT_TIMEOUT_MS = 3_600_000
# Every task ends within the hard limit; a message a dead worker held goes back to the queue after
# the visibility timeout, which must therefore be longer than the longest task.
DEFAULT_TASK_TIME_LIMIT_S = 300
DEFAULT_VISIBILITY_TIMEOUT_S = 360
# Tasks wait on upstream latency far more than they use the CPU: several per core pay off.
DEFAULT_WORKER_CONCURRENCY = 8
SOFT_LIMIT_MIN_MARGIN_S = 3
SOFT_LIMIT_MAX_MARGIN_S = 30
DEFAULT_HEMIS_READ_TIMEOUT_S = 60.0
# How often beat checks the organizations' call-sync schedules (cron's resolution is a minute).
DEFAULT_SYNC_SCHEDULE_TICK_S = 60
# The STT service's own bound on one transcription (the original allowed 10 min + 2 min/MB, at most 60 min).
DEFAULT_STT_TIMEOUT_S = 3600
LOG_FORMAT_TEXT: Final = "text"
LOG_FORMAT_JSON: Final = "json"
LOG_FORMATS = (LOG_FORMAT_TEXT, LOG_FORMAT_JSON)
# Crash recovery (see shared/leases/, workers/recovery/): beat sweeps every
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
# Pages of one HEMIS run queued or waiting at once (issue 20): enough to keep every worker process
# busy on a run alone, few enough that many universities' runs share the queue fairly.
DEFAULT_HEMIS_PAGES_IN_FLIGHT = 32
MAX_HEMIS_PAGES_IN_FLIGHT = 1000

# Variables nobody reads any more, and what replaced them. Accepted with a warning for one release
# (a deployment's old .env must not stop it from starting), refused in the next.
DEPRECATED_SETTINGS: Mapping[str, str] = {
    "HEMIS_PAGE_STALL_S": "RECOVERY_LEASE_S",
    "HEMIS_SUPERVISE_INTERVAL_S": "RECOVERY_SWEEP_INTERVAL_S",
}
