"""Per-run bookkeeping of a HEMIS sync in Redis, shared by every worker on every host.

Pages are counted when they first finish (SADD returns 1), atomically with the progress counters,
so a page delivered twice (crash, supervisor re-enqueue) never counts twice. The run is finalized
once, by whoever sees the last page finish (or by the supervisor), under a SET NX lease.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import redis

from shared.progress import ProgressStore
from shared.redis_client import KEY_PREFIX

RUN_STATE_TTL_S = 3 * 24 * 3600
FINALIZE_LEASE_S = 120
HEARTBEAT_MAX_INTERVAL_S = 5.0
# kombu's Redis transport keeps a queue's messages in these lists (default priority steps).
QUEUE_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")

# KEYS: done set, progress hash, failed set. ARGV: page, records, failed flag ("1"/"0"), ttl, message,
# now (s). Returns -1 if the page had already finished, else the number of finished pages. The
# message is left alone while the run waits for HEMIS's rate limit (`waitUntil` in the future),
# so "Waiting for HEMIS rate limit" stays visible for the whole pause.
_FINISH_PAGE = """
if redis.call('sadd', KEYS[1], ARGV[1]) == 0 then return -1 end
redis.call('expire', KEYS[1], ARGV[4])
redis.call('hincrby', KEYS[2], 'processedRecords', ARGV[2])
redis.call('hincrby', KEYS[2], 'pagesDone', 1)
redis.call('hset', KEYS[2], 'currentPage', ARGV[1])
if (tonumber(redis.call('hget', KEYS[2], 'waitUntil')) or 0) <= tonumber(ARGV[6]) then
  redis.call('hset', KEYS[2], 'message', ARGV[5])
end
if ARGV[3] == '1' then
  redis.call('sadd', KEYS[3], ARGV[1])
  redis.call('expire', KEYS[3], ARGV[4])
  redis.call('hincrby', KEYS[2], 'failedPages', 1)
end
return redis.call('scard', KEYS[1])
"""


def ids_fingerprint(ids: Iterable[str]) -> str:
    return hashlib.sha1(",".join(sorted(ids)).encode()).hexdigest()


class RunState:
    def __init__(self, client: redis.Redis, progress: ProgressStore, run_id: str) -> None:
        self.redis = client
        self.progress = progress
        self.run_id = run_id
        self._prefix = f"{KEY_PREFIX}hemis:run:{run_id}:"

    def key(self, name: str) -> str:
        return self._prefix + name

    # --- meta -------------------------------------------------------------------------------
    def init_meta(self, fields: dict[str, object]) -> None:
        """Set fields not set yet (a redelivered coordinator keeps the first values)."""
        pipe = self.redis.pipeline()
        for name, value in fields.items():
            pipe.hsetnx(self.key("meta"), name, "" if value is None else str(value))
        pipe.expire(self.key("meta"), RUN_STATE_TTL_S)
        pipe.execute()

    def set_meta(self, **fields: object) -> None:
        pipe = self.redis.pipeline()
        pipe.hset(self.key("meta"), mapping={k: "" if v is None else str(v) for k, v in fields.items()})
        pipe.expire(self.key("meta"), RUN_STATE_TTL_S)
        pipe.execute()

    def meta(self) -> dict[str, str]:
        return dict(self.redis.hgetall(self.key("meta")))

    def page_count(self) -> int | None:
        value = self.redis.hget(self.key("meta"), "page_count")
        return int(value) if value not in (None, "") else None

    def is_closed(self) -> bool:
        """Finalized, or failed for good: page tasks of a closed run do nothing."""
        return self.redis.hget(self.key("meta"), "closed") == "1"

    # --- pages --------------------------------------------------------------------------------
    def mark_enqueued(self, page: int, *, only_if_new: bool) -> bool:
        now = str(time.time())
        if only_if_new:
            added = bool(self.redis.hsetnx(self.key("enqueued"), str(page), now))
        else:
            self.redis.hset(self.key("enqueued"), str(page), now)
            added = True
        self.redis.expire(self.key("enqueued"), RUN_STATE_TTL_S)
        return added

    def mark_enqueued_many(self, pages: list[int], *, only_if_new: bool) -> list[int]:
        """`mark_enqueued` for many pages in one round trip; returns the pages marked now. All pages
        are marked before any is published, so no recovery can take a page for lost (never enqueued)
        while the coordinator is still publishing the rest."""
        if not pages:
            return []
        now = str(time.time())
        pipe = self.redis.pipeline(transaction=False)
        for page in pages:
            (pipe.hsetnx if only_if_new else pipe.hset)(self.key("enqueued"), str(page), now)
        pipe.expire(self.key("enqueued"), RUN_STATE_TTL_S)
        answers = pipe.execute()[:-1]
        return [page for page, added in zip(pages, answers) if added or not only_if_new]

    def defer(self, page: int, due: float) -> None:
        """The page waits for the server's rate limit until `due` (a re-queued task with a countdown).
        It stays out of `done`, so it is visibly unfinished to any recovery; its enqueued time is
        when it is due, so recovery does not take it for lost while it waits."""
        pipe = self.redis.pipeline()
        pipe.hset(self.key("enqueued"), str(page), str(due))
        pipe.expire(self.key("enqueued"), RUN_STATE_TTL_S)
        pipe.execute()

    def beat(self, page: int) -> None:
        pipe = self.redis.pipeline()
        pipe.hset(self.key("running"), str(page), str(time.time()))
        pipe.expire(self.key("running"), RUN_STATE_TTL_S)
        pipe.execute()

    def stop_running(self, page: int) -> None:
        self.redis.hdel(self.key("running"), str(page))

    @contextmanager
    def heartbeat(self, page: int, stall_s: float) -> Iterator[None]:
        """Say "page N is being worked on" every few seconds until the block ends (or the process dies)."""
        interval_s = min(HEARTBEAT_MAX_INTERVAL_S, max(0.2, stall_s / 4))
        stop = threading.Event()

        def keep_beating() -> None:
            while not stop.wait(interval_s):
                try:
                    self.beat(page)
                except redis.RedisError:
                    pass  # a missed beat only risks a harmless second fetch of the page

        self.beat(page)
        thread = threading.Thread(target=keep_beating, name=f"hemis-heartbeat-{page}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=1)
            self.stop_running(page)

    def is_done(self, page: int) -> bool:
        return bool(self.redis.sismember(self.key("done"), str(page)))

    def record_page_facts(self, page: int, ids: list[str], total_count: int) -> None:
        """Ids seen (for the distinct count), the page's fingerprint and the totalCount it reported."""
        pipe = self.redis.pipeline()
        if ids:
            pipe.sadd(self.key("ids"), *ids)
            pipe.expire(self.key("ids"), RUN_STATE_TTL_S)
        pipe.hset(self.key("fingerprints"), str(page), ids_fingerprint(ids))
        pipe.hset(self.key("totals"), str(page), str(total_count))
        pipe.expire(self.key("fingerprints"), RUN_STATE_TTL_S)
        pipe.expire(self.key("totals"), RUN_STATE_TTL_S)
        pipe.execute()

    def finish_page(self, page: int, records: int, failed: bool, message: str) -> int | None:
        """Count the page once (and show `message`); returns the number of finished pages, or None
        if it had finished before."""
        result = int(self.redis.eval(_FINISH_PAGE, 3, self.key("done"), self.progress.hash_key(self.run_id),
                                     self.key("failed"), str(page), str(records), "1" if failed else "0",
                                     str(RUN_STATE_TTL_S), message, str(time.time())))
        return None if result < 0 else result

    def done_pages(self) -> set[int]:
        return {int(p) for p in self.redis.smembers(self.key("done"))}

    def failed_pages(self) -> list[int]:
        return sorted(int(p) for p in self.redis.smembers(self.key("failed")))

    def timestamps(self, name: str) -> dict[int, float]:
        return {int(k): float(v) for k, v in self.redis.hgetall(self.key(name)).items()}

    def distinct_ids(self) -> int:
        return int(self.redis.scard(self.key("ids")))

    def fingerprints(self) -> dict[int, str]:
        return {int(k): v for k, v in self.redis.hgetall(self.key("fingerprints")).items()}

    def totals_seen(self) -> dict[int, int]:
        return {int(k): int(v) for k, v in self.redis.hgetall(self.key("totals")).items()}

    def queue_backlog(self, queue: str) -> int:
        pipe = self.redis.pipeline()
        for suffix in QUEUE_PRIORITY_SUFFIXES:
            pipe.llen(queue + suffix)
        return sum(int(n) for n in pipe.execute())

    # --- finalize -------------------------------------------------------------------------------
    def claim_finalize(self) -> bool:
        """One finalizer at a time; the lease expires, so a finalizer that died can be replaced."""
        return bool(self.redis.set(self.key("finalizing"), "1", nx=True, ex=FINALIZE_LEASE_S))

    def close(self) -> None:
        self.set_meta(closed="1")
        self.redis.delete(self.key("ids"), self.key("running"))
