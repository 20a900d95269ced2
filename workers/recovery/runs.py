"""Run checks every feature may use: a run whose live state Redis lost is ended, not left hanging.

A run PostgreSQL records as `running` whose progress hash Redis no longer has (Redis restarted
empty, or was flushed) can never finish: its counters and bookkeeping are gone. It is ended
`failed` with a message saying so, and its locks released, so a new trigger works at once.
PostgreSQL stays the source of truth: nothing Redis lost is invented again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy import select

from shared.models import RunStatus, SyncRun, utcnow
from shared.runs.locks import RunLock
from shared.runs.record import finish_run
from shared.services import Services

log = logging.getLogger("workers.recovery")

REDIS_LOST_MESSAGE = ("Redis lost its state (restarted empty?) while the run was running; "
                      "the run was ended, start it again")
# A run younger than this may not have written its live state yet (the trigger records it first).
REDIS_LOST_MIN_AGE_S = 15


def running_runs(svc: Services, kinds: Sequence[str]) -> list[SyncRun]:
    with svc.session() as session:
        return list(session.scalars(select(SyncRun).where(
            SyncRun.status == RunStatus.RUNNING.value, SyncRun.kind.in_(list(kinds)))))


def end_runs_with_lost_state(svc: Services, kinds: Sequence[str],
                             locks_of: Callable[[SyncRun], list[RunLock]]) -> list[str]:
    """End the running runs of `kinds` whose live state is gone; returns their ids."""
    ended = []
    cutoff = utcnow() - timedelta(seconds=REDIS_LOST_MIN_AGE_S)
    for run in running_runs(svc, kinds):
        if run.started_at is None or run.started_at > cutoff or _live_state_kept(svc, run.id):
            continue
        if not _end_failed(svc, run.id):
            continue
        for lock in locks_of(run):
            lock.release(run.id)
        log.error("[RECOVERY] run %s (%s): %s", run.id, run.kind, REDIS_LOST_MESSAGE)
        ended.append(run.id)
    return ended


def _end_failed(svc: Services, run_id: str) -> bool:
    with svc.session() as session:
        row = session.get(SyncRun, run_id, with_for_update=True)
        if row is None or row.status != RunStatus.RUNNING.value:
            return False
        finish_run(session, run_id, RunStatus.FAILED.value, total=row.total, processed=row.processed,
                   skipped=row.skipped, failed=row.failed, errors=[REDIS_LOST_MESSAGE],
                   stats={"success": False, "message": REDIS_LOST_MESSAGE})
        return True


def _live_state_kept(svc: Services, run_id: str) -> bool:
    """The run's progress hash as its trigger wrote it. A task still running when Redis was emptied
    may write counters again, but not the `status` the trigger set."""
    return "status" in (svc.progress.get(run_id) or {})
