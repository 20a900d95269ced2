"""What the Sipuni sync plugs into crash recovery (`workers.recovery.plan`, declared in `workers.factory`).

Abandon handlers (a unit whose worker kept dying): a call is counted `failed` (the run goes on and
finalizes); step 1, the step-2 planner or a fan-out chunk fail their run.
Run checks, at every sweep:
- a step-2 run whose calls are all counted but which nobody finalized is finalized;
- a run whose live state Redis lost is ended `failed`, its lock freed (`workers.recovery.runs`);
- a run whose first task was never published (the process that started it died in between) is
  ended `failed` once RECOVERY_QUEUED_GRACE_S has passed without a lease.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from shared import catalog
from shared.leases.publish import publish
from shared.leases.store import RepublishSpec
from shared.models import SyncRun, utcnow
from shared.runs.locks import RunLock
from shared.services import Services
from shared.sipuni.names import KIND_STEP1, KIND_STEP2, step2_scope
from shared.units import sipuni_fetch_csv, sipuni_process_csv
from workers.recovery.runs import end_runs_with_lost_state, running_runs
from workers.sipuni import tally

log = logging.getLogger("workers.recovery")

NEVER_QUEUED_MESSAGE = ("the run's first task was never queued (the process that started it died?); "
                        "start it again")
FIRST_UNIT = {KIND_STEP1: sipuni_fetch_csv, KIND_STEP2: sipuni_process_csv}


def abandon_call(svc: Services, spec: RepublishSpec, message: str) -> None:
    run_id, organization_id, unit = spec.args[0], spec.args[1], spec.args[2]
    if tally.record_outcome(svc.progress, run_id, unit, tally.Outcome(tally.FAILED, message)):
        publish(svc, catalog.SIPUNI_FINALIZE_STEP2, args=[run_id, organization_id])


def abandon_run(svc: Services, spec: RepublishSpec, message: str) -> None:
    arguments = {**dict(zip(("run_id", "organization_id"), spec.args)), **spec.kwargs}
    tally.abort_step2(svc, arguments["run_id"], arguments["organization_id"], message)


ABANDON = {
    catalog.SIPUNI_FETCH_CSV: abandon_run,
    catalog.SIPUNI_PROCESS_CSV: abandon_run,
    catalog.SIPUNI_FAN_OUT_CALLS: abandon_run,
    catalog.RECORDINGS_PROCESS_CALL: abandon_call,
}


def check_runs(svc: Services) -> dict[str, Any]:
    return {"redisLost": end_runs_with_lost_state(svc, (KIND_STEP1, KIND_STEP2), lambda run: _locks_of(svc, run)),
            "neverQueued": end_runs_never_queued(svc),
            "step2Finalized": finalize_counted_step2_runs(svc)}


def finalize_counted_step2_runs(svc: Services) -> list[str]:
    finalized = []
    for run in running_runs(svc, (KIND_STEP2,)):
        total = (svc.progress.get(run.id) or {}).get("total")
        if total not in (None, "") and svc.progress.finished_count(run.id) >= int(total):
            publish(svc, catalog.SIPUNI_FINALIZE_STEP2, args=[run.id, run.organization_id])
            finalized.append(run.id)
    return finalized


def end_runs_never_queued(svc: Services) -> list[str]:
    """A run recorded as running whose first task has no lease RECOVERY_QUEUED_GRACE_S after its
    start (its trigger died between recording and publishing) is ended `failed`, its lock freed.
    (HEMIS runs get their coordinator published instead: its arguments are known.)"""
    cutoff = utcnow() - timedelta(seconds=svc.settings.recovery_queued_grace_s)
    running = running_runs(svc, (KIND_STEP1, KIND_STEP2))
    step1_organizations = {run.organization_id for run in running if run.kind == KIND_STEP1}
    ended = []
    for run in running:
        if run.started_at is None or run.started_at > cutoff or _first_unit_leased(svc, run):
            continue
        if run.kind == KIND_STEP2 and (_planned(svc, run.id) or run.organization_id in step1_organizations):
            continue  # its calls are leased, or it waits for the step 1 it is chained to
        if tally.abort_step2(svc, run.id, run.organization_id or 0, NEVER_QUEUED_MESSAGE):
            log.error("[RECOVERY] run %s (%s): %s", run.id, run.kind, NEVER_QUEUED_MESSAGE)
            ended.append(run.id)
    return ended


def _first_unit_leased(svc: Services, run: SyncRun) -> bool:
    unit = FIRST_UNIT[run.kind](run.id, run.organization_id)
    return svc.leases.exists(unit.kind, unit.name)


def _planned(svc: Services, run_id: str) -> bool:
    return (svc.progress.get(run_id) or {}).get("total") not in (None, "")


def _locks_of(svc: Services, run: SyncRun) -> list[RunLock]:
    if run.kind == KIND_STEP2 and run.organization_id is not None:
        return [RunLock(svc.redis, step2_scope(run.organization_id))]
    return []
