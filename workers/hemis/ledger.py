"""The page ledger of a HEMIS run in Redis, shared by every worker on every host: the run's meta
(kind, organization, page size, page count, the highest page published...), the pages done and failed, the ids seen (each record's key,
`mapping.record_key`: a student's enrolment, an employee's position row, the list items HEMIS's
totalCount counts), each page's fingerprint and the totalCount each page reported.

Pages are counted when they first finish (SADD returns 1), atomically with the progress counters,
so a page delivered twice (crash, recovery publishing it again) never counts twice. The run is
finalized once, by whoever sees the last page finish (or by the recovery sweeper), under a SET NX lease.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable

import redis

from shared import keys
from shared.redis_client import run_script
from shared.runs.progress import ProgressStore

RUN_STATE_TTL_S = 3 * 24 * 3600
# A finalizer that died is replaced by the sweeper's check once this lease expires (well within a minute).
FINALIZE_LEASE_S = 30

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


# The page window (see `claim_pages`). KEYS: meta hash, done set. ARGV: pages wanted, most in flight.
# Returns the page numbers claimed (possibly none): `published` moves on by as many.
_CLAIM_PAGES = """
local published = tonumber(redis.call('hget', KEYS[1], 'published') or '')
local count = tonumber(redis.call('hget', KEYS[1], 'page_count') or '')
if not published or not count then return {} end
local in_flight = published - redis.call('scard', KEYS[2])
local n = math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - in_flight, count - published)
if n <= 0 then return {} end
redis.call('hset', KEYS[1], 'published', published + n)
local pages = {}
for i = 1, n do pages[i] = published + i end
return pages
"""


def ids_fingerprint(ids: Iterable[str]) -> str:
    return hashlib.sha1(",".join(sorted(ids)).encode()).hexdigest()


class RunLedger:
    def __init__(self, client: redis.Redis, progress: ProgressStore, run_id: str) -> None:
        self.redis = client
        self.progress = progress
        self.run_id = run_id
        self._keys = keys.hemis_run_ledger(run_id)

    def key(self, part: str) -> str:
        return self._keys[part]

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

    def meta_and_done(self, page: int) -> tuple[dict[str, str], bool, bool]:
        """The meta, whether `page` has finished and whether the run was cancelled (its flag,
        `shared.runs.cancel`; Redis keeps it as long as the meta), in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(self.key("meta"))
        pipe.sismember(self.key("done"), str(page))
        pipe.exists(keys.run_cancelled(self.run_id))
        meta, done, cancelled = pipe.execute()
        return dict(meta), bool(done), bool(cancelled)

    def page_count(self) -> int | None:
        value = self.redis.hget(self.key("meta"), "page_count")
        return int(value) if value not in (None, "") else None

    def is_closed(self) -> bool:
        """Finalized, or failed for good: page tasks of a closed run do nothing."""
        return self.redis.hget(self.key("meta"), "closed") == "1"

    # --- pages --------------------------------------------------------------------------------
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
        result = int(run_script(self.redis, _FINISH_PAGE,
                                (self.key("done"), self.progress.hash_key(self.run_id), self.key("failed")),
                                (str(page), str(records), "1" if failed else "0", str(RUN_STATE_TTL_S), message,
                                 str(time.time()))))
        return None if result < 0 else result

    # --- the page window -----------------------------------------------------------------------------
    def claim_pages(self, wanted: int, most_in_flight: int) -> list[int]:
        """The next pages to publish: up to `wanted`, as long as the run has fewer than
        `most_in_flight` pages published and not done (queued, or waiting for their request slot).
        Atomic, so two finishing pages never claim the same page; none before `published` is set."""
        claimed = run_script(self.redis, _CLAIM_PAGES, (self.key("meta"), self.key("done")),
                             (str(wanted), str(most_in_flight)))
        return [int(page) for page in claimed]

    def published(self) -> int | None:
        """The highest page published so far (pages 1..published), or None for a run without a window."""
        value = self.redis.hget(self.key("meta"), "published")
        return int(value) if value not in (None, "") else None

    def done_pages(self) -> set[int]:
        return {int(p) for p in self.redis.smembers(self.key("done"))}

    def failed_pages(self) -> list[int]:
        return sorted(int(p) for p in self.redis.smembers(self.key("failed")))

    def distinct_ids(self) -> int:
        """Records seen by the run, each counted once however often pages repeated it."""
        return int(self.redis.scard(self.key("ids")))

    def fingerprints(self) -> dict[int, str]:
        return {int(k): v for k, v in self.redis.hgetall(self.key("fingerprints")).items()}

    def totals_seen(self) -> dict[int, int]:
        return {int(k): int(v) for k, v in self.redis.hgetall(self.key("totals")).items()}

    # --- finalize -------------------------------------------------------------------------------
    def claim_finalize(self) -> bool:
        """One finalizer at a time; the lease expires, so a finalizer that died can be replaced."""
        return bool(self.redis.set(self.key("finalizing"), "1", nx=True, ex=FINALIZE_LEASE_S))

    def close(self) -> None:
        self.set_meta(closed="1")
        self.redis.delete(self.key("ids"))
