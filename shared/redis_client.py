"""One explicit Redis connection factory (no module-level client): one server, or the master that
Redis Sentinel names now (`shared.redis_url`)."""

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
from redis.sentinel import Sentinel

from shared.redis_url import RedisTarget

REDIS_SOCKET_TIMEOUT_S = 10.0
REDIS_CONNECT_TIMEOUT_S = 5.0
# A Redis restart (a second or two with AOF) is ridden out: a command is retried on connection
# errors with backoff 0.1, 0.2, 0.4, 0.8, 1, 1... s, about 8 s in all, before it raises. A Sentinel
# failover (the master down for `down-after-milliseconds`, then a vote and a promotion) takes about
# as long again: each retry asks the sentinels for the master anew, so the retries are doubled.
REDIS_RETRIES = 10
REDIS_SENTINEL_RETRIES = 20
REDIS_RETRY_MAX_DELAY_S = 1.0
REDIS_RETRY_BASE_DELAY_S = 0.1
REDIS_HEALTH_CHECK_INTERVAL_S = 30


def make_redis(target: RedisTarget | str) -> redis.Redis:
    """A client that returns `str`, with timeouts so a dead Redis fails fast instead of hanging.
    With Sentinel, the client asks the sentinels for the master before each new connection, and a
    connection that finds a replica (a demoted master) is dropped: every command reaches the master."""
    if isinstance(target, str):
        target = RedisTarget(url=target)
    if target.is_sentinel:
        return _sentinel_master(target)
    return redis.Redis.from_url(target.url, **_client_options(REDIS_RETRIES))


def _client_options(retries: int) -> dict[str, Any]:
    return {
        "decode_responses": True,
        "socket_timeout": REDIS_SOCKET_TIMEOUT_S,
        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_S,
        "health_check_interval": REDIS_HEALTH_CHECK_INTERVAL_S,
        "retry": Retry(ExponentialBackoff(cap=REDIS_RETRY_MAX_DELAY_S, base=REDIS_RETRY_BASE_DELAY_S), retries),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
    }


def _sentinel_master(target: RedisTarget) -> redis.Redis:
    sentinel = Sentinel(list(target.sentinels), sentinel_kwargs=target.sentinel_kwargs())
    return sentinel.master_for(target.master_name, redis_class=redis.Redis,
                               **target.master_auth(), **_client_options(REDIS_SENTINEL_RETRIES))


@functools.cache
def _script(source: str) -> Script:
    # Bytes, so that no client (and its encoder) is needed to compute the SHA once per process.
    return Script(None, source.encode())  # type: ignore[arg-type]


def run_script(client: redis.Redis, source: str, keys: Sequence[Any], args: Sequence[Any]) -> Any:
    """Run a Lua script by its SHA (EVALSHA), loading it once per server (again after a restart).
    EVAL would send, and have Redis hash, the whole text at every call: a HEMIS page makes several."""
    return _script(source)(keys=list(keys), args=list(args), client=client)
