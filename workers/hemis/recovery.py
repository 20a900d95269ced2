"""What the HEMIS sync plugs into crash recovery (`workers.recovery.plan`, declared in `workers.factory`).

Abandon handlers (a unit whose worker kept dying): a page is recorded as failed (the run goes on
and finalizes `completed_with_errors`); a publisher records its pages as failed; the coordinator
fails the run; a single-record sync's run ends `failed`.
Run checks, at every sweep, for every running full run of every organization (the one holding its
organization's lock of its kind, or one whose lock expired; no countdown chain of its own):
- Redis lost the run's state: it ends `failed`, its lock freed;
- its trigger recorded it but died before publishing the coordinator: the coordinator is published;
- every page is done but nobody finalized it (the finalizing task died): it is finalized;
- its page window lost pages (claimed, never published) or shrank: they are published again;
- otherwise it goes on, and its lock is extended while it waits (e.g. for HEMIS's rate limit).
"""

from __future__ import annotations

import logging
from typing import Any

from shared import catalog
from shared.hemis.names import FULL_RUN_KINDS, HEMIS_KINDS, kind_of_run, run_lock
from shared.leases.publish import publish_leased
from shared.leases.store import RepublishSpec
from shared.models import RunStatus, SyncRun
from shared.runs.locks import RunLock
from shared.runs.record import finish_run
from shared.services import Services
from shared.units import hemis_start_run
from workers.hemis.run import HemisRun
from workers.recovery.runs import end_runs_with_lost_state, running_runs

log = logging.getLogger("workers.hemis")

STATE_LOST_MESSAGE = "Redis lost the run's state (restarted empty?); start the sync again"


def abandon_page(svc: Services, spec: RepublishSpec, message: str) -> None:
    _kind, run_id, page = spec.args[:3]
    HemisRun(svc, run_id).page_failed(int(page), message)


def abandon_coordinator(svc: Services, spec: RepublishSpec, message: str) -> None:
    HemisRun(svc, spec.args[1]).fail(f"the coordinator: {message}")


def abandon_publisher(svc: Services, spec: RepublishSpec, message: str) -> None:
    _kind, run_id, pages = spec.args[:3]
    run = HemisRun(svc, run_id)
    for page in pages:
        run.page_failed(int(page), f"never published: {message}")


def abandon_single(svc: Services, spec: RepublishSpec, message: str) -> None:
    with svc.session() as session:
        finish_run(session, spec.args[1], RunStatus.FAILED.value, total=0, processed=0, errors=[message])


ABANDON = {
    catalog.HEMIS_START_RUN: abandon_coordinator,
    catalog.HEMIS_SYNC_PAGE: abandon_page,
    catalog.HEMIS_PUBLISH_PAGES: abandon_publisher,
    catalog.HEMIS_SYNC_ONE: abandon_single,
}


def check_runs(svc: Services) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for record in running_runs(svc, FULL_RUN_KINDS):
        kind = kind_of_run(record.kind)
        if kind is None or record.organization_id is None:
            continue
        holder = run_lock(svc.redis, record.organization_id, kind).holder()
        if holder in (None, record.id):  # None: its lock expired; `hold_lock` takes it back
            checked[record.id] = check_run(HemisRun(svc, record.id))
    checked["redisLost"] = end_runs_with_lost_state(svc, FULL_RUN_KINDS, lambda run: _locks_of(svc, run))
    return checked


def check_run(run: HemisRun) -> str:
    """The sweeper's look at a running run: closed, state lost, starting, finalized or running."""
    if run.ledger.is_closed():
        return "closed"
    meta = run.meta
    if not meta.get("kind"):
        if run.svc.progress.get(run.run_id) is None:
            _end_state_lost(run)
            return "state lost"
        return _ensure_coordinator(run)
    if not run.hold_lock(meta["kind"]):
        return "lock lost"
    page_count = run.ledger.page_count()
    if page_count is not None and len(run.ledger.done_pages()) >= page_count:
        run.finalize()
        return "finalized"
    if run.repair_window():
        return "window repaired"
    return "running"


def _ensure_coordinator(run: HemisRun) -> str:
    """The trigger recorded the run but its process died before publishing the coordinator (an API
    process killed mid-request): publish it now. A coordinator already published has a lease, and
    one published twice runs once (the older copy is fenced)."""
    kind = (run.svc.progress.get(run.run_id) or {}).get("kind", "")
    if kind not in HEMIS_KINDS:
        return "starting"
    unit = hemis_start_run(kind, run.run_id)
    if run.svc.leases.exists(unit.kind, unit.name):
        return "starting"
    publish_leased(run.svc, catalog.HEMIS_START_RUN, args=[kind, run.run_id])
    log.warning("[HEMIS] run %s: its coordinator was never queued; queued it now", run.run_id)
    return "coordinator queued"


def _end_state_lost(run: HemisRun) -> None:
    """Redis lost the run's bookkeeping (restarted empty, flushed): end the run as failed, it can be re-run."""
    log.error("[HEMIS] run %s: %s", run.run_id, STATE_LOST_MESSAGE)
    with run.svc.session() as session:
        finish_run(session, run.run_id, RunStatus.FAILED.value, total=0, processed=0, errors=[STATE_LOST_MESSAGE])
    run.ledger.close()
    for kind in HEMIS_KINDS:
        run.lock(kind).release(run.run_id)


def _locks_of(svc: Services, run: SyncRun) -> list[RunLock]:
    kind = kind_of_run(run.kind)
    return [run_lock(svc.redis, run.organization_id, kind)] if kind and run.organization_id is not None else []
