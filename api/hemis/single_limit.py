"""At most `MAX_QUEUED_SINGLE_SYNCS` single-record HEMIS syncs of one organization queued or
running at once.

Single-record syncs already share their HEMIS's rate limit with full runs (the budget of its host);
this bound keeps an admin from piling up an unbounded queue in front of it. It is counted per
organization, so one organization's queue never refuses another's syncs. The truth is
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
def single_sync_slot(client: redis.Redis, session: Session, organization_id: int) -> Iterator[None]:
    """Hold the organization's mutex while the caller records its run in `session`; 429 when all
    of the organization's slots are taken."""
    with client.lock(keys.hemis_single_sync_mutex(organization_id), timeout=MUTEX_TIMEOUT_S,
                     blocking_timeout=MUTEX_TIMEOUT_S):
        queued = session.scalar(select(func.count()).select_from(SyncRun).where(
            SyncRun.organization_id == organization_id, SyncRun.kind.in_(SINGLE_RUN_KINDS),
            SyncRun.status == RunStatus.RUNNING.value,
            SyncRun.started_at > utcnow() - timedelta(seconds=SINGLE_SYNC_STALE_S))) or 0
        if queued >= MAX_QUEUED_SINGLE_SYNCS:
            raise ApiError(429, f"{queued} single-record HEMIS syncs are already queued; at most "
                                f"{MAX_QUEUED_SINGLE_SYNCS} may wait at once. Try again shortly.",
                           {"queued": queued}, headers={"Retry-After": str(RETRY_AFTER_S)})
        yield
        session.commit()  # the new run counts before the mutex is let go
