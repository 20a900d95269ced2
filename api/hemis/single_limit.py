"""At most `MAX_QUEUED_SINGLE_SYNCS` single-record HEMIS syncs queued or running at once.

Single-record syncs already share the HEMIS rate limit with full runs (the worker's `hemis`
limiter); this bound keeps an admin from piling up an unbounded queue in front of it. The truth is
`sync_runs` (a single sync's run is `running` until its task ends); a short Redis mutex makes
"count, then record a new run" atomic across API processes. A run older than
`SINGLE_SYNC_STALE_S` no longer counts, so a crashed task cannot block single syncs for good.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.http.errors import ApiError
from shared import keys
from shared.hemis.names import SINGLE_RUN_KINDS
from shared.models import RunStatus, SyncRun, utcnow

MAX_QUEUED_SINGLE_SYNCS = 10
SINGLE_SYNC_STALE_S = 15 * 60
RETRY_AFTER_S = 5
MUTEX_TIMEOUT_S = 5


@contextmanager
def single_sync_slot(client: redis.Redis, session: Session) -> Iterator[None]:
    """Hold the mutex while the caller records its run in `session`; 429 when all slots are taken."""
    with client.lock(keys.HEMIS_SINGLE_SYNC_MUTEX, timeout=MUTEX_TIMEOUT_S, blocking_timeout=MUTEX_TIMEOUT_S):
        queued = session.scalar(select(func.count()).select_from(SyncRun).where(
            SyncRun.kind.in_(SINGLE_RUN_KINDS), SyncRun.status == RunStatus.RUNNING.value,
            SyncRun.started_at > utcnow() - timedelta(seconds=SINGLE_SYNC_STALE_S))) or 0
        if queued >= MAX_QUEUED_SINGLE_SYNCS:
            raise ApiError(429, f"{queued} single-record HEMIS syncs are already queued; at most "
                                f"{MAX_QUEUED_SINGLE_SYNCS} may wait at once. Try again shortly.",
                           {"queued": queued}, headers={"Retry-After": str(RETRY_AFTER_S)})
        yield
        session.commit()  # the new run counts before the mutex is let go
