"""One explicit Redis connection factory (no module-level client)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.commands.core import Script
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

REDIS_SOCKET_TIMEOUT_S = 10.0
REDIS_CONNECT_TIMEOUT_S = 5.0
# A Redis restart (a second or two with AOF) is ridden out: a command is retried on connection
# errors with backoff 0.1, 0.2, 0.4, 0.8, 1, 1... s, about 8 s in all, before it raises.
REDIS_RETRIES = 10
REDIS_RETRY_MAX_DELAY_S = 1.0
REDIS_RETRY_BASE_DELAY_S = 0.1


def make_redis(url: str) -> redis.Redis:
    """A client that returns `str`, with timeouts so a dead Redis fails fast instead of hanging."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=REDIS_SOCKET_TIMEOUT_S,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=REDIS_RETRY_MAX_DELAY_S, base=REDIS_RETRY_BASE_DELAY_S), REDIS_RETRIES),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )


@functools.lru_cache(maxsize=None)
def _script(source: str) -> Script:
    # Bytes, so that no client (and its encoder) is needed to compute the SHA once per process.
    return Script(None, source.encode())  # type: ignore[arg-type]


def run_script(client: redis.Redis, source: str, keys: Sequence[Any], args: Sequence[Any]) -> Any:
    """Run a Lua script by its SHA (EVALSHA), loading it once per server (again after a restart).
    EVAL would send, and have Redis hash, the whole text at every call: a HEMIS page makes several."""
    return _script(source)(keys=list(keys), args=list(args), client=client)
