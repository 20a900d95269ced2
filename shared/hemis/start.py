"""Starting a HEMIS run: the one path taken by the API, the CLI, beat's nightly sync and a run that
starts the next kind when it ends.

Every run belongs to an organization and syncs that organization's HEMIS (`shared.hemis.instance`).
The run lock (one per organization and kind) is taken here, before anything is published, so a
second trigger gets the running run's id at once and two runs of one kind of one organization never
overlap; another organization's run of the same kind goes on beside it. Then the run is recorded
(`sync_runs`, with its organization), shown in the live progress, and its coordinator
(`hemis.start_run`, a leased unit) published.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from shared import catalog
from shared.hemis.names import HEMIS_KINDS, NIGHTLY_ORDER, progress_scope, run_kind, run_lock
from shared.leases.publish import publish_leased
from shared.runs.owners import remember_owner
from shared.runs.record import create_run, new_run_id
from shared.services import Services

TRIGGERED_BY_BEAT = "beat"


class RunAlreadyRunning(Exception):
    def __init__(self, kind: str, run_id: str) -> None:
        super().__init__(f"a HEMIS {kind} sync is already running (run {run_id})")
        self.kind = kind
        self.run_id = run_id


@dataclass(frozen=True)
class StartedRun:
    run_id: str
    task_id: str


def start_full_run(svc: Services, kind: str, *, organization_id: int, triggered_by: str,
                   then: str | None = None) -> StartedRun:
    """Lock, record and publish the organization's full sync of `kind`; raises RunAlreadyRunning
    when one is on. `then`: the kinds to sync after this one, comma-separated (the nightly chain)."""
    if kind not in HEMIS_KINDS:
        raise ValueError(f"unknown HEMIS kind {kind!r}")
    run_id, task_id = new_run_id(), str(uuid.uuid4())
    lock = run_lock(svc.redis, organization_id, kind)
    holder = lock.acquire(run_id)
    if holder is not None:
        raise RunAlreadyRunning(kind, holder)
    try:
        with svc.session() as session:
            create_run(session, run_id, run_kind(kind), organization_id=organization_id, triggered_by=triggered_by,
                       task_id=task_id)
        svc.progress.start(run_id, progress_scope(organization_id, kind), {
            "kind": kind, "organizationId": organization_id, "status": "running",
            "startTime": int(time.time() * 1000), "totalRecords": 0, "processedRecords": 0, "currentPage": 0,
            "pagesDone": 0, "pagesTotal": 0, "failedPages": 0, "message": f"Starting HEMIS {kind} sync"})
        remember_owner(svc.redis, task_id, organization_id)
        publish_leased(svc, catalog.HEMIS_START_RUN, args=[kind, run_id], kwargs={"then": then}, task_id=task_id)
    except BaseException:
        lock.release(run_id)
        raise
    return StartedRun(run_id, task_id)


def start_nightly(svc: Services, organization_id: int, *, triggered_by: str = TRIGGERED_BY_BEAT) -> StartedRun:
    """The organization's nightly sync: every kind in `NIGHTLY_ORDER`, each started as the one before
    ends (lookup lists first, so students and employees find what they point to)."""
    first, *rest = NIGHTLY_ORDER
    return start_full_run(svc, first, organization_id=organization_id, triggered_by=triggered_by,
                          then=",".join(rest))
