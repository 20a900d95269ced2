"""Cancelling a run: PostgreSQL records it for good, Redis tells every worker on every host cheaply.

`mark_cancelled` ends a running run `cancelled`, with the counts it has reached, in one
conditional UPDATE (`... WHERE status = 'running'`): a run that ended meanwhile keeps its end, and
an end written later leaves the cancelled run alone (`shared.runs.record.finish_run` takes the
same row lock). After the commit it raises the run's flag in Redis (`keys.run_cancelled`, kept as
long as the live progress), shows the end in the live progress and frees the run's locks, so a new
trigger works at once, whichever API process took the request.

Workers ask `is_cancelled` before a unit's upstream work (a download, a page, an STT or LLM
request): the flag and the progress hash in one round trip, and the run's row only when Redis lost
both (restarted empty). What was in flight finishes and is kept: a unit that ends after the cancel
finds the run's lock gone or its flag raised and adds itself to the cancelled run's counts
(`record_cancelled_counts`); one that ended just before is in the count the cancel takes again
after freeing the lock. This module knows no feature: the caller names the run's locks and how to
read its counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared import keys
from shared.models import RunStatus, SyncRun, utcnow
from shared.runs.locks import RunLock
from shared.runs.progress import RUN_PROGRESS_TTL_S, ProgressStore

CANCELLED = RunStatus.CANCELLED.value
# The flag lives as long as the run's live progress: a worker that finds neither asks PostgreSQL.
CANCEL_FLAG_TTL_S = RUN_PROGRESS_TTL_S


class RunServices(Protocol):
    """What cancelling needs of a process's `shared.services.Services`."""

    @property
    def redis(self) -> redis.Redis: ...

    @property
    def progress(self) -> ProgressStore: ...

    def session(self) -> AbstractContextManager[Session]: ...


class RunNotRunning(Exception):
    """The run is unknown (`status` None) or has ended already (`status` says how)."""

    def __init__(self, run_id: str, status: str | None) -> None:
        super().__init__(f"run {run_id} is {status or 'unknown'}")
        self.run_id = run_id
        self.status = status


@dataclass(frozen=True)
class RunCounts:
    """A run's counts as `sync_runs` keeps them; `stats` is its feature's summary."""

    total: int = 0
    processed: int = 0
    skipped: int = 0
    failed: int = 0
    stats: Mapping[str, object] = field(default_factory=dict)


ReadCounts = Callable[[], RunCounts]  # reads a run's counts as they are now (from its live progress)


def mark_cancelled(svc: RunServices, run_id: str, *, by: str, counts: ReadCounts,
                   locks: Sequence[RunLock] = ()) -> None:
    """End the running run `cancelled` with `counts()`, raise its flag, free `locks` (those it
    holds), then count once more. Raises RunNotRunning when the run is unknown or not running."""
    values = _count_values(counts(), by)
    with svc.session() as session:
        still_running = SyncRun.status == RunStatus.RUNNING.value
        cancelled = session.execute(update(SyncRun).where(SyncRun.id == run_id, still_running).values(
            status=CANCELLED, finished_at=utcnow(), errors=svc.progress.errors(run_id), **values)).rowcount
        if not cancelled:
            raise RunNotRunning(run_id, session.scalar(select(SyncRun.status).where(SyncRun.id == run_id)))
    # After the commit, the flag first: a unit that finds the lock gone finds the flag raised.
    svc.redis.set(keys.run_cancelled(run_id), by, ex=CANCEL_FLAG_TTL_S)
    _show_end(svc.progress, run_id, values["stats"]["message"])
    for lock in locks:
        lock.release(run_id)
    # A unit that finished between the first count and now saw neither the flag nor a free lock,
    # so it did not count itself in the cancelled run: this count has it. Later ones count themselves.
    record_cancelled_counts(svc, run_id, counts)


def is_cancelled(svc: RunServices, run_id: str) -> bool:
    """Whether the run was cancelled: its Redis flag, else (Redis lost the run) its row."""
    pipe = svc.redis.pipeline(transaction=False)
    pipe.exists(keys.run_cancelled(run_id))
    pipe.exists(svc.progress.hash_key(run_id))
    flagged, live = pipe.execute()
    if flagged:
        return True
    if live:
        return False
    with svc.session() as session:
        return session.scalar(select(SyncRun.status).where(SyncRun.id == run_id)) == CANCELLED


def record_cancelled_counts(svc: RunServices, run_id: str, counts: ReadCounts) -> bool:
    """A unit in flight at the cancel finished: write the counts now reached, keeping the status
    and who cancelled; False when the run is not cancelled. `counts()` is read under the row's
    lock, so that of two writers the later one writes the later (larger) counts."""
    with svc.session() as session:
        run = session.get(SyncRun, run_id, with_for_update=True, populate_existing=True)
        if run is None or run.status != CANCELLED:
            return False
        for name, value in _count_values(counts(), str((run.stats or {}).get("cancelledBy") or "")).items():
            setattr(run, name, value)
        run.errors = svc.progress.errors(run_id) or run.errors
    return True


def _count_values(counts: RunCounts, by: str) -> dict[str, Any]:
    summary = str(counts.stats.get("message") or "")
    # Who cancelled is in `cancelledBy` only: a HEMIS run is shown to every organization's ADMINs.
    message = "Cancelled" + (f"; {summary}" if summary else "")
    return {"total": counts.total, "processed": counts.processed, "skipped": counts.skipped, "failed": counts.failed,
            "stats": {**counts.stats, "success": False, "cancelledBy": by, "message": message}}


def _show_end(progress: ProgressStore, run_id: str, message: str) -> None:
    end_ms = int(time.time() * 1000)
    start_ms = (progress.get(run_id) or {}).get("startTime")
    fields: dict[str, object] = {"status": CANCELLED, "message": message, "endTime": end_ms}
    if start_ms and start_ms.isdigit():
        fields["duration"] = end_ms - int(start_ms)
    progress.update(run_id, **fields)
