"""Live progress of runs in Redis: one hash per run, updated atomically by concurrent tasks.

Counters use HINCRBY, so any number of workers can report at once without losing an update.
Keys expire after `RUN_PROGRESS_TTL_S`; the lasting record of a run is its `sync_runs` row.
"""

from __future__ import annotations

import redis

from shared.redis_client import KEY_PREFIX

RUN_PROGRESS_TTL_S = 7 * 24 * 3600
MAX_ERRORS_KEPT = 500


class ProgressStore:
    def __init__(self, client: redis.Redis, ttl_s: int = RUN_PROGRESS_TTL_S) -> None:
        self._client = client
        self.ttl_s = ttl_s

    @staticmethod
    def _key(run_id: str) -> str:
        return f"{KEY_PREFIX}run:{run_id}"

    def hash_key(self, run_id: str) -> str:
        """The run's hash, for callers that update it inside their own Lua script or pipeline."""
        return self._key(run_id)

    @staticmethod
    def _errors_key(run_id: str) -> str:
        return f"{KEY_PREFIX}run:{run_id}:errors"

    @staticmethod
    def _latest_key(scope: str) -> str:
        return f"{KEY_PREFIX}latest:{scope}"

    def start(self, run_id: str, scope: str, fields: dict[str, object]) -> None:
        """Create the run's hash and make it the latest run of `scope`."""
        pipe = self._client.pipeline()
        pipe.delete(self._key(run_id), self._errors_key(run_id))
        pipe.hset(self._key(run_id), mapping={k: _text(v) for k, v in fields.items()})
        pipe.expire(self._key(run_id), self.ttl_s)
        pipe.set(self._latest_key(scope), run_id, ex=self.ttl_s)
        pipe.execute()

    def update(self, run_id: str, **fields: object) -> None:
        pipe = self._client.pipeline()
        pipe.hset(self._key(run_id), mapping={k: _text(v) for k, v in fields.items()})
        pipe.expire(self._key(run_id), self.ttl_s)
        pipe.execute()

    def incr(self, run_id: str, field: str, amount: int = 1) -> int:
        return int(self._client.hincrby(self._key(run_id), field, amount))

    def incr_many(self, run_id: str, amounts: dict[str, int]) -> dict[str, int]:
        """Several counters in one round trip; returns their new values."""
        pipe = self._client.pipeline()
        for field, amount in amounts.items():
            pipe.hincrby(self._key(run_id), field, amount)
        return dict(zip(amounts, (int(v) for v in pipe.execute())))

    def add_error(self, run_id: str, message: str) -> None:
        pipe = self._client.pipeline()
        pipe.rpush(self._errors_key(run_id), message)
        pipe.ltrim(self._errors_key(run_id), -MAX_ERRORS_KEPT, -1)
        pipe.expire(self._errors_key(run_id), self.ttl_s)
        pipe.execute()

    def errors(self, run_id: str) -> list[str]:
        return list(self._client.lrange(self._errors_key(run_id), 0, -1))

    def get(self, run_id: str) -> dict[str, str] | None:
        """The run's fields as strings, or None when Redis no longer has the run."""
        fields = self._client.hgetall(self._key(run_id))
        return dict(fields) if fields else None

    def latest(self, scope: str) -> str | None:
        return self._client.get(self._latest_key(scope))


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)
