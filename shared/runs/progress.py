"""Live progress of runs in Redis: one hash per run, updated atomically by concurrent tasks.

Counters use HINCRBY, so any number of workers can report at once without losing an update.
Keys expire after `RUN_PROGRESS_TTL_S`; the lasting record of a run is its `sync_runs` row.
"""

from __future__ import annotations

import redis

from shared import keys
from shared.redis_client import run_script

RUN_PROGRESS_TTL_S = 7 * 24 * 3600
MAX_ERRORS_KEPT = 500

# KEYS[1] = finished set, KEYS[2] = progress hash; ARGV = unit, ttl, then field/amount pairs.
_COUNT_ONCE = """
local added = redis.call('sadd', KEYS[1], ARGV[1])
if added == 1 then
  for i = 3, #ARGV, 2 do redis.call('hincrby', KEYS[2], ARGV[i], ARGV[i + 1]) end
end
redis.call('expire', KEYS[1], ARGV[2])
redis.call('expire', KEYS[2], ARGV[2])
return {added, redis.call('scard', KEYS[1]), redis.call('hget', KEYS[2], 'total') or ''}
"""


class ProgressStore:
    def __init__(self, client: redis.Redis, ttl_s: int = RUN_PROGRESS_TTL_S) -> None:
        self._client = client
        self.ttl_s = ttl_s

    @property
    def redis(self) -> redis.Redis:
        return self._client

    @staticmethod
    def _key(run_id: str) -> str:
        return keys.run_progress(run_id)

    def hash_key(self, run_id: str) -> str:
        """The run's hash, for callers that update it inside their own Lua script or pipeline."""
        return self._key(run_id)

    @staticmethod
    def _errors_key(run_id: str) -> str:
        return keys.run_errors(run_id)

    @staticmethod
    def _latest_key(scope: str) -> str:
        return keys.latest_run(scope)

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

    def count_once(self, run_id: str, unit: str, amounts: dict[str, int]) -> tuple[bool, int, int | None]:
        """Count the outcome of one unit of work (e.g. one call) at most once, however often it is
        delivered: the unit joins the run's set of finished units and, only if it was not there
        yet, the counters move, atomically. Returns (counted now, finished units, the run's
        `total` or None while it is not known yet)."""
        args: list[object] = [unit, self.ttl_s]
        for field, amount in amounts.items():
            args.extend([field, amount])
        added, finished, total = run_script(self._client, _COUNT_ONCE,
                                            (self._finished_key(run_id), self._key(run_id)), args)
        return bool(int(added)), int(finished), (int(total) if total not in (None, b"", "") else None)

    def finished_count(self, run_id: str) -> int:
        return int(self._client.scard(self._finished_key(run_id)))

    @staticmethod
    def _finished_key(run_id: str) -> str:
        return keys.run_finished_units(run_id)

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
