"""A per-scope Redis lock whose value is the holding run's id, so a refusal can name that run."""

from __future__ import annotations

import redis

from shared import keys
from shared.redis_client import run_script

DEFAULT_LOCK_TTL_S = 15 * 60

# Delete or extend only if we still hold the lock (it may have expired and been taken by another run).
_RELEASE_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_EXTEND_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end
return 0
"""


class RunLock:
    """At most one run per scope (e.g. `hemis:students`, `sipuni:step2:7`).

    The lock expires after `ttl_s` unless the run keeps extending it, so a crashed run can never
    block its scope forever.
    """

    def __init__(self, client: redis.Redis, scope: str, ttl_s: int = DEFAULT_LOCK_TTL_S) -> None:
        self._client = client
        self.key = keys.run_lock(scope)
        self.ttl_s = ttl_s

    def acquire(self, run_id: str) -> str | None:
        """Take the lock for `run_id`; return None on success, else the id of the run holding it."""
        if self._client.set(self.key, run_id, nx=True, ex=self.ttl_s):
            return None
        holder = self._client.get(self.key)
        if holder is None:  # expired between SET and GET: try once more
            return None if self._client.set(self.key, run_id, nx=True, ex=self.ttl_s) else "unknown"
        return holder

    def holder(self) -> str | None:
        return self._client.get(self.key)

    def extend(self, run_id: str) -> bool:
        return bool(run_script(self._client, _EXTEND_IF_OWNER, (self.key,), (run_id, self.ttl_s)))

    def release(self, run_id: str) -> bool:
        return bool(run_script(self._client, _RELEASE_IF_OWNER, (self.key,), (run_id,)))
