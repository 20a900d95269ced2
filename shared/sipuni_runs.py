"""Starting Sipuni step 1 and step 2 runs: the one path taken by the HTTP triggers and the CLI.

Step 2 takes the organization's run lock before anything is recorded or enqueued, so a second
trigger (HTTP, webhook or CLI) is refused at once with the running run's id.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

import redis
from celery import Celery
from sqlalchemy.orm import Session, sessionmaker

from shared.db import session_scope
from shared.hemis_runs import StartedRun
from shared.locks import RunLock
from shared.models import Organization
from shared.progress import ProgressStore
from shared.runs import create_run
from shared.settings import Settings
from shared.sipuni import KIND_STEP1, KIND_STEP2, csv_path, step1_scope, step2_scope

CSV_NOT_FOUND = "CSV file not found. Please run Step 1 first."


class RunServices(Protocol):
    """What starting a run needs (the API's `Services` has it all)."""

    settings: Settings
    session_factory: sessionmaker[Session]
    redis: redis.Redis
    progress: ProgressStore
    celery: Celery


class OrganizationNotFound(Exception):
    def __init__(self, organization_id: int) -> None:
        super().__init__(f"Organization {organization_id} not found")


class CsvMissing(Exception):
    def __init__(self) -> None:
        super().__init__(CSV_NOT_FOUND)


class Step2AlreadyRunning(Exception):
    def __init__(self, run_id: str) -> None:
        super().__init__("A step-2 run is already in progress for this organization")
        self.run_id = run_id


def require_organization(svc: RunServices, organization_id: int) -> None:
    with session_scope(svc.session_factory) as session:
        if session.get(Organization, organization_id) is None:
            raise OrganizationNotFound(organization_id)


def new_run(svc: RunServices, kind: str, organization_id: int, triggered_by: str, scope: str,
            run_id: str | None = None) -> tuple[str, str]:
    """Record a run (status running) and show it in the live progress; return (run id, task id)."""
    run_id, task_id = run_id or str(uuid.uuid4()), str(uuid.uuid4())
    with session_scope(svc.session_factory) as session:
        create_run(session, run_id, kind, organization_id=organization_id, triggered_by=triggered_by,
                   task_id=task_id)
    svc.progress.start(run_id, scope, {"kind": kind, "status": "running",
                                       "organizationId": organization_id, "taskId": task_id})
    return run_id, task_id


def take_step2_lock(svc: RunServices, organization_id: int, run_id: str) -> RunLock:
    lock = RunLock(svc.redis, step2_scope(organization_id))
    holder = lock.acquire(run_id)
    if holder is not None:
        raise Step2AlreadyRunning(holder)
    return lock


def step1_kwargs(run_id: str, organization_id: int, limit: int, date_from: str | None, date_to: str | None,
                 step2_run_id: str | None = None) -> dict[str, Any]:
    return {"run_id": run_id, "organization_id": organization_id, "limit": limit, "date_from": date_from,
            "date_to": date_to, "step2_run_id": step2_run_id}


def start_step1(svc: RunServices, *, organization_id: int, limit: int, date_from: str | None,
                date_to: str | None, triggered_by: str) -> StartedRun:
    """Record and enqueue a step-1 export (dates already validated as DD.MM.YYYY)."""
    require_organization(svc, organization_id)
    run_id, task_id = new_run(svc, KIND_STEP1, organization_id, triggered_by, step1_scope(organization_id))
    svc.celery.send_task("sipuni.fetch_csv", task_id=task_id,
                         kwargs=step1_kwargs(run_id, organization_id, limit, date_from, date_to))
    return StartedRun(run_id, task_id)


def start_step2(svc: RunServices, *, organization_id: int, date_from: str | None, date_to: str | None,
                triggered_by: str) -> StartedRun:
    """Lock, record and enqueue a step-2 run; CsvMissing, OrganizationNotFound or Step2AlreadyRunning."""
    if not csv_path(svc.settings.data_dir, organization_id).is_file():
        raise CsvMissing()
    require_organization(svc, organization_id)
    run_id = str(uuid.uuid4())
    lock = take_step2_lock(svc, organization_id, run_id)
    try:
        run_id, task_id = new_run(svc, KIND_STEP2, organization_id, triggered_by, step2_scope(organization_id),
                                  run_id)
        svc.celery.send_task("sipuni.process_csv", task_id=task_id, kwargs={
            "run_id": run_id, "organization_id": organization_id, "date_from": date_from, "date_to": date_to})
    except BaseException:
        lock.release(run_id)
        raise
    return StartedRun(run_id, task_id)
