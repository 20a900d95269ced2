"""One explicit Redis connection factory (no module-level client)."""

from __future__ import annotations

import redis

REDIS_SOCKET_TIMEOUT_S = 10.0
REDIS_CONNECT_TIMEOUT_S = 5.0
KEY_PREFIX = "navai:"


def make_redis(url: str) -> redis.Redis:
    """A client that returns `str`, with timeouts so a dead Redis fails fast instead of hanging."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=REDIS_SOCKET_TIMEOUT_S,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
        health_check_interval=30,
    )
