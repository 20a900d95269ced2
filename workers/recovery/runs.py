"""Run checks of the sweeper: what no single unit can notice on its own.

- A HEMIS run whose pages are all done but which nobody finalized (the finalizing task died) is
  finalized; its lock is extended while it runs.
- A Sipuni step-2 run whose calls are all counted but which nobody finalized is finalized.
- A run PostgreSQL records as `running` whose live state Redis no longer has (Redis restarted
  empty) is ended `failed` with a message saying so, and its lock released: a new trigger works.
- A Sipuni run whose first task was never published (its trigger died) is ended `failed`.
- An AI call stuck in `transcribing`/`analyzing` past its time limit, with no lease (its task died
  and Redis forgot it), is run again from that step.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import Celery
from sqlalchemy import select

from shared.db import session_scope
from shared.hemis_runs import HEMIS_KINDS, run_kind, run_lock
from shared.locks import RunLock
from shared.models import AiStatus, Call, RunStatus, SyncRun, utcnow
from shared.runs import finish_run
from shared.sipuni import KIND_STEP1, KIND_STEP2, step2_scope
from workers.context import WorkerContext
from workers.sipuni.runstate import abort, publish_end

log = logging.getLogger("workers.recovery")

REDIS_LOST_MESSAGE = ("Redis lost its state (restarted empty?) while the run was running; "
                      "the run was ended, start it again")
# A run younger than this may not have written its live state yet (the API records it first).
REDIS_LOST_MIN_AGE_S = 15
KINDS_WITH_LIVE_STATE = (run_kind("students"), run_kind("employees"), KIND_STEP1, KIND_STEP2)
STUCK_AI_BATCH = 200
NEVER_QUEUED_MESSAGE = ("the run's first task was never queued (the process that started it died?); "
                        "start it again")
SIPUNI_LEASE_KIND = "sipuni"
FIRST_SIPUNI_UNIT = {KIND_STEP1: "step1", KIND_STEP2: "plan"}
AI_STEP_TASKS = {AiStatus.TRANSCRIBING.value: "ai.transcribe", AiStatus.ANALYZING.value: "ai.analyze"}


def check_runs(ctx: WorkerContext, app: Celery) -> dict[str, Any]:
    return {"redisLost": end_runs_redis_lost(ctx),
            "neverQueued": end_sipuni_runs_never_queued(ctx),
            "hemis": check_hemis_runs(ctx, app),
            "step2Finalized": finalize_counted_step2_runs(ctx, app),
            "aiRestarted": restart_stuck_ai_calls(ctx, app)}


def check_hemis_runs(ctx: WorkerContext, app: Celery) -> dict[str, str]:
    from workers.hemis.run import HemisRun

    checked = {}
    for kind in HEMIS_KINDS:
        run_id = run_lock(ctx.redis, kind).holder()
        if run_id:
            checked[kind] = HemisRun(ctx, app, run_id).check()
    return checked


def finalize_counted_step2_runs(ctx: WorkerContext, app: Celery) -> list[str]:
    finalized = []
    for run in _running(ctx, (KIND_STEP2,)):
        live = ctx.progress.get(run.id) or {}
        total = live.get("total")
        if total not in (None, "") and ctx.progress.finished_count(run.id) >= int(total):
            app.send_task("sipuni.finalize_step2", args=[run.id, run.organization_id])
            finalized.append(run.id)
    return finalized


def end_runs_redis_lost(ctx: WorkerContext) -> list[str]:
    ended = []
    cutoff = utcnow() - timedelta(seconds=REDIS_LOST_MIN_AGE_S)
    for run in _running(ctx, KINDS_WITH_LIVE_STATE):
        if run.started_at is None or run.started_at > cutoff or _live_state_kept(ctx, run.id):
            continue
        with session_scope(ctx.session_factory) as session:
            row = session.get(SyncRun, run.id, with_for_update=True)
            if row is None or row.status != RunStatus.RUNNING.value:
                continue
            finish_run(session, run.id, RunStatus.FAILED.value, total=row.total, processed=row.processed,
                       skipped=row.skipped, failed=row.failed, errors=[REDIS_LOST_MESSAGE],
                       stats={"success": False, "message": REDIS_LOST_MESSAGE})
        for lock in _locks_of(ctx, run):
            lock.release(run.id)
        log.error("[RECOVERY] run %s (%s): %s", run.id, run.kind, REDIS_LOST_MESSAGE)
        ended.append(run.id)
    return ended


def end_sipuni_runs_never_queued(ctx: WorkerContext) -> list[str]:
    """A Sipuni run recorded as running whose first task was never published (the API process was
    killed between the two): it has no lease RECOVERY_QUEUED_GRACE_S later, so it is ended
    `failed` with a message saying so, and its lock freed. (HEMIS runs get their coordinator
    queued instead: its arguments are known.)"""
    cutoff = utcnow() - timedelta(seconds=ctx.settings.recovery_queued_grace_s)
    running = _running(ctx, (KIND_STEP1, KIND_STEP2))
    step1_organizations = {run.organization_id for run in running if run.kind == KIND_STEP1}
    ended = []
    for run in running:
        if run.started_at is None or run.started_at > cutoff:
            continue
        if ctx.leases.exists(SIPUNI_LEASE_KIND, f"{run.id}:{FIRST_SIPUNI_UNIT[run.kind]}"):
            continue
        if run.kind == KIND_STEP2 and (_planned(ctx, run.id) or run.organization_id in step1_organizations):
            continue  # its calls are leased, or it waits for the step 1 it is chained to (webhook)
        with session_scope(ctx.session_factory) as session:
            if not abort(session, run.id, NEVER_QUEUED_MESSAGE):
                continue
        publish_end(ctx.progress, RunLock(ctx.redis, step2_scope(run.organization_id or 0)), run.id,
                    RunStatus.FAILED.value, NEVER_QUEUED_MESSAGE)
        log.error("[RECOVERY] run %s (%s): %s", run.id, run.kind, NEVER_QUEUED_MESSAGE)
        ended.append(run.id)
    return ended


def _planned(ctx: WorkerContext, run_id: str) -> bool:
    return (ctx.progress.get(run_id) or {}).get("total") not in (None, "")


def restart_stuck_ai_calls(ctx: WorkerContext, app: Celery) -> list[int]:
    limit_s = ctx.settings.celery_task_time_limit_s + ctx.settings.recovery_lease_s
    cutoff = utcnow() - timedelta(seconds=limit_s)
    with session_scope(ctx.session_factory) as session:
        stuck = session.execute(select(Call.id, Call.ai_status).where(
            Call.ai_status.in_(list(AI_STEP_TASKS)), Call.updated_at < cutoff).limit(STUCK_AI_BATCH)).all()
    restarted = []
    for call_id, status in stuck:
        task = AI_STEP_TASKS[status]
        if ctx.leases.exists("ai", f"{call_id}:{task.split('.')[1]}"):
            continue  # its lease is being looked after
        app.send_task(task, args=[call_id])
        log.warning("[RECOVERY] AI call %s stuck in %s past its time limit: %s again", call_id, status, task)
        restarted.append(call_id)
    return restarted


def _live_state_kept(ctx: WorkerContext, run_id: str) -> bool:
    """The run's progress hash as its trigger wrote it. A task still running when Redis was emptied
    may write counters again, but not the `status` the trigger set."""
    return "status" in (ctx.progress.get(run_id) or {})


def _running(ctx: WorkerContext, kinds: tuple[str, ...]) -> list[SyncRun]:
    with session_scope(ctx.session_factory) as session:
        return list(session.scalars(select(SyncRun).where(
            SyncRun.status == RunStatus.RUNNING.value, SyncRun.kind.in_(kinds))))


def _locks_of(ctx: WorkerContext, run: SyncRun) -> list[RunLock]:
    if run.kind == KIND_STEP2 and run.organization_id is not None:
        return [RunLock(ctx.redis, step2_scope(run.organization_id))]
    return [run_lock(ctx.redis, kind) for kind in HEMIS_KINDS if run.kind == run_kind(kind)]
