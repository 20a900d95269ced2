"""Step-2 run bookkeeping without chords: counters per run in Redis, finalization exactly once.

Each call task reports its outcome with `ProgressStore.count_once` (the call's id joins the run's
set of finished calls; counters move only the first time), so a redelivered task never counts
twice. When the set is as large as the run's total, the finalizer writes the summary to
`sync_runs` (under a row lock, once) and releases the organization's step-2 lock.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from sqlalchemy.orm import Session

from shared.metrics import count_records
from shared.models import FINISHED_STATUSES, RunStatus, SyncRun
from shared.runs.cancel import (
    RunCounts,
    RunNotRunning,
    mark_cancelled,
    record_cancelled_counts,
)
from shared.runs.locks import RunLock
from shared.runs.progress import ProgressStore
from shared.runs.record import finish_run
from shared.services import Services
from shared.sipuni.names import (  # noqa: F401 (re-exported for the step-2 code)
    FAILED,
    PROCESSED,
    SKIP_ALREADY_EXISTS,
    SKIP_EMPLOYEE_NOT_FOUND,
    SKIP_FIELD_PREFIX,
    SKIP_INVALID_ROW,
    SKIP_NO_RECORDING,
    SKIPPED,
    step2_scope,
    step2_summary,
)


@dataclass(frozen=True)
class Outcome:
    kind: str  # processed | skipped | failed
    reason: str | None = None  # skip reason, or the failure's message

    @property
    def counters(self) -> dict[str, int]:
        if self.kind == SKIPPED:
            return {SKIPPED: 1, f"{SKIP_FIELD_PREFIX}{self.reason}": 1}
        return {self.kind: 1}


def record_outcome(progress: ProgressStore, run_id: str, unit: str, outcome: Outcome) -> bool:
    """Count one call's outcome (at most once); True when the run has now seen every call."""
    counted, finished, total = progress.count_once(run_id, unit, outcome.counters)
    if counted and outcome.kind == PROCESSED:
        count_records(progress.redis, "calls", 1)
    if counted and outcome.kind == FAILED:
        progress.add_error(run_id, f"{unit}: {outcome.reason}")
    return total is not None and finished >= total


def finalize(session: Session, progress: ProgressStore, run_id: str) -> dict[str, object] | None:
    """Write the run's summary to `sync_runs` once (row lock); None when it was already finalized
    or is unknown. The caller publishes the result with `publish_end` after the commit."""
    run = session.get(SyncRun, run_id, with_for_update=True)
    if run is None or run.status in FINISHED_STATUSES:
        return None
    result = step2_summary(progress.get(run_id))
    status = RunStatus.COMPLETED_WITH_ERRORS.value if result["failed"] else RunStatus.COMPLETED.value
    finish_run(session, run_id, status, total=int(result["total"] or 0), processed=int(result["processed"]),
               skipped=int(result["skipped"]), failed=int(result["failed"]), errors=progress.errors(run_id),
               stats=result)
    return {**result, "status": status}


def abort(session: Session, run_id: str, message: str) -> bool:
    """Mark a run failed (its CSV is missing, or the step 1 before it failed); False if it had ended."""
    run = session.get(SyncRun, run_id, with_for_update=True)
    if run is None or run.status in FINISHED_STATUSES:
        return False
    finish_run(session, run_id, RunStatus.FAILED.value, total=run.total, processed=run.processed,
               skipped=run.skipped, failed=run.failed, errors=[message], stats={"success": False, "message": message})
    return True


def publish_end(progress: ProgressStore, lock: RunLock, run_id: str, status: str, message: str) -> None:
    """After the commit: show the end in the live progress and free the organization's step-2 lock."""
    progress.update(run_id, status=status, message=message)
    lock.release(run_id)


def step2_lock(client: redis.Redis, organization_id: int) -> RunLock:
    return RunLock(client, step2_scope(organization_id))


def abort_step2(svc: Services, run_id: str, organization_id: int, message: str) -> bool:
    """End a step-2 run `failed` with `message` (its CSV is missing, its step 1 failed, a unit was
    given up...), show it and free the organization's step-2 lock; False if it had ended already."""
    with svc.session() as session:
        ended = abort(session, run_id, message)
    if ended:
        svc.progress.add_error(run_id, message)
        publish_end(svc.progress, step2_lock(svc.redis, organization_id), run_id, RunStatus.FAILED.value, message)
    return ended


# --- a cancelled run (shared.runs.cancel) -------------------------------------------------------------

def record_cancelled(svc: Services, run_id: str) -> None:
    """A call in flight when its run was cancelled finished: the cancelled run's counts include it."""
    def counts() -> RunCounts:
        result = step2_summary(svc.progress.get(run_id))
        return RunCounts(total=int(result["total"] or 0), processed=int(result["processed"]),
                         skipped=int(result["skipped"]), failed=int(result["failed"]), stats=result)

    record_cancelled_counts(svc, run_id, counts)


def cancel_chained_step2(svc: Services, run_id: str, organization_id: int, step1_run_id: str) -> bool:
    """The step 1 a step 2 was chained to was cancelled: the step 2, not started, ends cancelled too
    and frees the organization's step-2 lock; False if it had ended."""
    try:
        mark_cancelled(svc, run_id, by=f"the cancel of step-1 run {step1_run_id}", counts=RunCounts,
                       locks=[step2_lock(svc.redis, organization_id)])
    except RunNotRunning:
        return False
    return True
