"""Starting a HEMIS run: the one path taken by the API and by beat's nightly sync.

The run lock is taken here, before anything is enqueued, so a second trigger (API or beat) gets the
running run's id at once and two runs of one kind can never overlap.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import redis
from celery import Celery
from sqlalchemy.orm import Session, sessionmaker

from shared.db import session_scope
from shared.locks import RunLock
from shared.progress import ProgressStore
from shared.runs import create_run, new_run_id

HEMIS_KINDS = ("students", "employees")
LOCK_TTL_S = 15 * 60


class RunAlreadyRunning(Exception):
    def __init__(self, kind: str, run_id: str) -> None:
        super().__init__(f"a HEMIS {kind} sync is already running (run {run_id})")
        self.kind = kind
        self.run_id = run_id


@dataclass(frozen=True)
class StartedRun:
    run_id: str
    task_id: str


def progress_scope(kind: str) -> str:
    return f"hemis:{kind}"


def run_kind(kind: str) -> str:
    """The `sync_runs.kind` of a full run."""
    return f"hemis_{kind}"


def run_lock(client: redis.Redis, kind: str) -> RunLock:
    return RunLock(client, progress_scope(kind), ttl_s=LOCK_TTL_S)


def start_full_run(*, kind: str, session_factory: sessionmaker[Session], client: redis.Redis,
                   progress: ProgressStore, celery: Celery, triggered_by: str, then: str | None = None) -> StartedRun:
    """Lock, record and enqueue a full sync of `kind`; raises RunAlreadyRunning when one is on."""
    if kind not in HEMIS_KINDS:
        raise ValueError(f"unknown HEMIS kind {kind!r}")
    run_id, task_id = new_run_id(), str(uuid.uuid4())
    lock = run_lock(client, kind)
    holder = lock.acquire(run_id)
    if holder is not None:
        raise RunAlreadyRunning(kind, holder)
    try:
        with session_scope(session_factory) as session:
            create_run(session, run_id, run_kind(kind), triggered_by=triggered_by, task_id=task_id)
        progress.start(run_id, progress_scope(kind), {
            "kind": kind, "status": "running", "startTime": int(time.time() * 1000), "totalRecords": 0,
            "processedRecords": 0, "currentPage": 0, "pagesDone": 0, "pagesTotal": 0, "failedPages": 0,
            "message": f"Starting HEMIS {kind} sync"})
        celery.send_task("hemis.start_run", args=[kind, run_id], kwargs={"then": then}, task_id=task_id)
    except BaseException:
        lock.release(run_id)
        raise
    return StartedRun(run_id, task_id)
