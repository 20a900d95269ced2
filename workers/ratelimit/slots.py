"""A request-rate limit shared by every worker process on every host, kept in Redis.

Each caller reserves the next free time slot atomically (a Lua script on the Redis clock), then
sleeps until it. Slots are spaced `1 / rate` apart plus a small margin, so no one-second window
ever holds more than `rate` requests, however many workers run.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis

from shared import keys
from shared.redis_client import run_script

SPACING_MARGIN_RATIO = 0.06  # absorbs up to 6% of a second of send jitter (a worker delayed by load)
# before an extra request could land in one window at the upstream; costs 6% of throughput
SLOT_KEY_TTL_S = 60

# KEYS[1] = slot key; ARGV[1] = spacing in microseconds. Returns the wait in microseconds.
_RESERVE_SLOT = """
local now_parts = redis.call('time')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local next_free = tonumber(redis.call('get', KEYS[1]) or '0')
local slot = math.max(now, next_free)
redis.call('set', KEYS[1], tostring(slot + tonumber(ARGV[1])), 'EX', ARGV[2])
return slot - now
"""


class RateLimiter:
    """`acquire()` blocks until the caller may send one request. A rate of 0 means unlimited."""

    def __init__(self, client: redis.Redis, name: str, rate_per_s: float,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self.key = keys.rate_slots(name)
        self.rate_per_s = rate_per_s
        self._sleep = sleep

    @property
    def spacing_us(self) -> int:
        return int(1_000_000 / self.rate_per_s * (1 + SPACING_MARGIN_RATIO))

    def acquire(self) -> float:
        """Wait for a slot; return the seconds waited."""
        if self.rate_per_s <= 0:
            return 0.0
        wait_us = int(run_script(self._client, _RESERVE_SLOT, (self.key,), (self.spacing_us, SLOT_KEY_TTL_S)))
        wait_s = wait_us / 1_000_000
        if wait_s > 0:
            self._sleep(wait_s)
        return wait_s
