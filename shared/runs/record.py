"""The lasting record of runs (`sync_runs`): create, finish, and show."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from shared.models import RunStatus, SyncRun, utcnow


def new_run_id() -> str:
    return str(uuid.uuid4())


def create_run(session: Session, run_id: str, kind: str, *, organization_id: int | None = None,
               triggered_by: str | None = None, task_id: str | None = None) -> SyncRun:
    run = SyncRun(id=run_id, kind=kind, status=RunStatus.RUNNING.value, organization_id=organization_id,
                  triggered_by=triggered_by, task_id=task_id, started_at=utcnow(), errors=[], stats={})
    session.add(run)
    return run


def finish_run(session: Session, run_id: str, status: str, *, total: int, processed: int,
               skipped: int = 0, failed: int = 0, errors: list[str] | None = None,
               stats: dict | None = None, finished_at: datetime | None = None) -> SyncRun | None:
    """Write the run's end; None when it is unknown or was cancelled. A cancelled run keeps its
    status for good: the row lock orders this with `shared.runs.cancel` (its UPDATE ... WHERE
    status = 'running'), so whichever comes second sees what the first wrote."""
    run = session.get(SyncRun, run_id, with_for_update=True, populate_existing=True)
    if run is None or run.status == RunStatus.CANCELLED.value:
        return None
    run.status = status
    run.total, run.processed, run.skipped, run.failed = total, processed, skipped, failed
    run.errors = list(errors or [])
    run.stats = dict(stats or {})
    run.finished_at = finished_at or utcnow()
    return run


def run_as_dict(run: SyncRun) -> dict[str, object]:
    duration_ms = None
    if run.finished_at is not None and run.started_at is not None:
        duration_ms = int((run.finished_at - run.started_at).total_seconds() * 1000)
    return {
        "runId": run.id,
        "kind": run.kind,
        "status": run.status,
        "organizationId": run.organization_id,
        "taskId": run.task_id,
        "triggeredBy": run.triggered_by,
        "startTime": epoch_ms(run.started_at),
        "endTime": epoch_ms(run.finished_at),
        "duration": duration_ms,
        "total": run.total,
        "processed": run.processed,
        "skipped": run.skipped,
        "failed": run.failed,
        "errors": run.errors or [],
        "stats": run.stats or {},
    }


def epoch_ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)
