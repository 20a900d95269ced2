"""Starting Sipuni runs: the one path taken by the HTTP triggers, the CLI, the webhook and scheduled syncs.

A run is recorded (`sync_runs`, status running) and shown in the live progress before its task is
published, and its task's organization is remembered (`GET /tasks/<id>` shows it to that
organization only). One step 1 and one step 2 per organization at a time: step 2 holds the
organization's step-2 lock from the moment it is started until its summary is written; step 1
holds the step-1 lock, which a later trigger releases once the run holding it has finished (the
worker does not). A chain (step 1 then step 2: the webhook and scheduled syncs) takes both locks
and records both runs before step 1 is published; step 1 publishes step 2 when it succeeds
(`step2_run_id` in its arguments), so a second trigger is refused at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared import catalog
from shared.leases.publish import publish_leased
from shared.models import FINISHED_STATUSES, SyncRun
from shared.runs.locks import RunLock
from shared.runs.owners import remember_owner
from shared.runs.record import create_run
from shared.services import Services
from shared.sipuni.names import KIND_STEP1, KIND_STEP2, step1_scope, step2_scope

TRIGGERED_BY_SCHEDULE = "schedule"
TRIGGERED_BY_WEBHOOK = "webhook"


class RunInProgress(Exception):
    """The organization's step of this kind is still going; `run_id` names the run holding it."""

    step = ""

    def __init__(self, organization_id: int, run_id: str) -> None:
        super().__init__(f"a {self.step} run is already in progress for organization {organization_id} "
                         f"(run {run_id})")
        self.run_id = run_id


class StepOneRunning(RunInProgress):
    """The organization's step 1 is still going."""

    step = "step-1"


class StepTwoRunning(RunInProgress):
    """The organization's step 2 (or a chain ending in one) is still going."""

    step = "step-2"


@dataclass(frozen=True)
class ExportWindow:
    """Inclusive `DD.MM.YYYY` days of the account's local time; None = no bound."""

    date_from: str | None = None
    date_to: str | None = None


@dataclass(frozen=True)
class StartedChain:
    step1_run_id: str
    step1_task_id: str
    step2_run_id: str
    step2_task_id: str


def new_run(svc: Services, kind: str, organization_id: int, triggered_by: str, scope: str,
            run_id: str | None = None) -> tuple[str, str]:
    """Record a run (status running) and show it in the live progress; return (run id, task id)."""
    run_id, task_id = run_id or str(uuid.uuid4()), str(uuid.uuid4())
    remember_owner(svc.redis, task_id, organization_id)
    with svc.session() as session:
        create_run(session, run_id, kind, organization_id=organization_id, triggered_by=triggered_by,
                   task_id=task_id)
    svc.progress.start(run_id, scope, {"kind": kind, "status": "running", "organizationId": organization_id,
                                       "taskId": task_id})
    return run_id, task_id


def take_step1_lock(svc: Services, organization_id: int, run_id: str) -> RunLock:
    return _take_lock(svc, step1_scope(organization_id), run_id, StepOneRunning, organization_id)


def take_step2_lock(svc: Services, organization_id: int, run_id: str) -> RunLock:
    return _take_lock(svc, step2_scope(organization_id), run_id, StepTwoRunning, organization_id)


def _take_lock(svc: Services, scope: str, run_id: str, refusal: type[RunInProgress],
               organization_id: int) -> RunLock:
    lock = RunLock(svc.redis, scope)
    holder = lock.acquire(run_id)
    if holder is not None and _run_finished(svc, holder):
        # The run that held it has ended (a step 1: its worker does not release the lock).
        lock.release(holder)
        holder = lock.acquire(run_id)
    if holder is not None:
        raise refusal(organization_id, holder)
    return lock


def _run_finished(svc: Services, run_id: str) -> bool:
    with svc.session() as session:
        run = session.get(SyncRun, run_id)
        return run is not None and run.status in FINISHED_STATUSES


_STEPS = {KIND_STEP1: (take_step1_lock, step1_scope, catalog.SIPUNI_FETCH_CSV),
          KIND_STEP2: (take_step2_lock, step2_scope, catalog.SIPUNI_PROCESS_CSV)}


def step1_kwargs(run_id: str, organization_id: int, limit: int, window: ExportWindow | None,
                 step2_run_id: str | None = None) -> dict[str, Any]:
    return {"run_id": run_id, "organization_id": organization_id, "limit": limit,
            "date_from": window.date_from if window else None, "date_to": window.date_to if window else None,
            "step2_run_id": step2_run_id}


def step2_kwargs(run_id: str, organization_id: int, window: ExportWindow | None,
                 limit: int | None = None) -> dict[str, Any]:
    kwargs = {"run_id": run_id, "organization_id": organization_id,
              "date_from": window.date_from if window else None, "date_to": window.date_to if window else None}
    if limit is not None:  # at most this many calls of the window (the CLI's --limit)
        kwargs["limit"] = limit
    return kwargs


def start_step1(svc: Services, organization_id: int, triggered_by: str, limit: int,
                window: ExportWindow | None) -> tuple[str, str]:
    """Lock, record and publish step 1; raises StepOneRunning when one is on."""
    return _start_step(svc, organization_id, triggered_by, KIND_STEP1,
                       lambda run_id: step1_kwargs(run_id, organization_id, limit, window))


def start_step2(svc: Services, organization_id: int, triggered_by: str,
                window: ExportWindow | None, limit: int | None = None) -> tuple[str, str]:
    """Lock, record and publish step 2; raises StepTwoRunning when one is on."""
    return _start_step(svc, organization_id, triggered_by, KIND_STEP2,
                       lambda run_id: step2_kwargs(run_id, organization_id, window, limit))


def _start_step(svc: Services, organization_id: int, triggered_by: str, kind: str,
                kwargs_for: Callable[[str], dict[str, Any]]) -> tuple[str, str]:
    """The organization's lock of this step, the run's record, then its first task; (run id, task id)."""
    take_lock, scope, task = _STEPS[kind]
    run_id = str(uuid.uuid4())
    lock = take_lock(svc, organization_id, run_id)
    try:
        run_id, task_id = new_run(svc, kind, organization_id, triggered_by, scope(organization_id), run_id)
        publish_leased(svc, task, kwargs=kwargs_for(run_id), task_id=task_id)
    except BaseException:
        lock.release(run_id)
        raise
    return run_id, task_id


def start_chain(svc: Services, organization_id: int, triggered_by: str, limit: int,
                window: ExportWindow | None) -> StartedChain:
    """Step 1 then step 2 (on the same window), under both locks from the start; raises
    StepOneRunning / StepTwoRunning when either step is on. Both runs are recorded now; step 1
    publishes step 2 when it succeeds, or fails it when it does not."""
    step1_run_id, step2_run_id = str(uuid.uuid4()), str(uuid.uuid4())
    step1_lock = take_step1_lock(svc, organization_id, step1_run_id)
    try:
        step2_lock = take_step2_lock(svc, organization_id, step2_run_id)
    except BaseException:
        step1_lock.release(step1_run_id)
        raise
    try:
        return _start_chain(svc, organization_id, triggered_by, limit, window, step1_run_id, step2_run_id)
    except BaseException:
        step1_lock.release(step1_run_id)
        step2_lock.release(step2_run_id)
        raise


def _start_chain(svc: Services, organization_id: int, triggered_by: str, limit: int,
                 window: ExportWindow | None, step1_run_id: str, step2_run_id: str) -> StartedChain:
    step1_run_id, step1_task_id = new_run(svc, KIND_STEP1, organization_id, triggered_by,
                                          step1_scope(organization_id), step1_run_id)
    step2_run_id, step2_task_id = new_run(svc, KIND_STEP2, organization_id, triggered_by,
                                          step2_scope(organization_id), step2_run_id)
    publish_leased(svc, catalog.SIPUNI_FETCH_CSV, task_id=step1_task_id,
                   kwargs=step1_kwargs(step1_run_id, organization_id, limit, window, step2_run_id))
    return StartedChain(step1_run_id, step1_task_id, step2_run_id, step2_task_id)


def continue_chain(svc: Services, step2_run_id: str, organization_id: int, window: ExportWindow | None) -> str:
    """Step 1 of a chain succeeded: publish its step 2 under the task id its run was recorded with."""
    with svc.session() as session:
        run = session.get(SyncRun, step2_run_id)
        task_id = run.task_id if run is not None else None
    return publish_leased(svc, catalog.SIPUNI_PROCESS_CSV, task_id=task_id,
                          kwargs=step2_kwargs(step2_run_id, organization_id, window))
