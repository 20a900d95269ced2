"""Scheduled call syncs: beat's periodic `sipuni.scheduled_syncs` starts each organization's due
sync (its own `sync_schedule`, a cron in its `time_zone`).

Every tick reads the schedules from the database, so a change through `PATCH /settings` counts
from the next tick, with no restart. A due organization is claimed by moving its
`next_scheduled_sync_at` on in one conditional UPDATE, so two overlapping ticks never start it
twice; a tick after downtime starts one sync, not one per missed due time.

The sync is step 1 for the window from the day of the last successful scheduled sync (yesterday on
the first) to today, in the organization's time zone, then step 2 on that window: the webhook's
chain, through the same locked path. A step 2 still going skips the tick (logged).

One organization's schedule never stops another's: a stored schedule beat cannot use (written
outside the API, which validates, or one with no due time within a year any more) is skipped and
logged at every tick until it is fixed, and a sync that fails to start is logged and the others
still start.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from celery import shared_task
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared import catalog
from shared.models import Organization, RunStatus, SyncRun, utcnow
from shared.sipuni.names import KIND_STEP2, format_sipuni_day
from shared.sipuni.start import TRIGGERED_BY_SCHEDULE, ExportWindow, RunInProgress, start_chain
from workers.base import NavaiTask
from workers.due_schedules import DueSync, ScheduleColumns, usable_next_due
from workers.due_schedules import claim_due as claim_organizations_due

__all__ = ["claim_due", "scheduled_syncs", "sync_window", "usable_next_due"]

log = logging.getLogger("navai.sipuni.schedule")

SCHEDULED_EXPORT_LIMIT = 200_000  # unused by a windowed export; the chain's step 1 takes one


@shared_task(name=catalog.SIPUNI_SCHEDULED_SYNCS, base=NavaiTask, bind=True)
def scheduled_syncs(self: NavaiTask) -> dict[str, Any]:
    """Beat's entry: start the syncs that are due now."""
    now = utcnow()
    started, skipped = [], []
    with self.session() as session:
        due = claim_due(session, now)
    failed: list[dict[str, Any]] = []
    for item in due:
        if item.was_due_at is None:
            continue
        try:
            started.append(_start_due(self, item, now))
        except RunInProgress as exc:
            log.warning("[SCHEDULE] organization %s: sync due at %s skipped, run %s is still going",
                        item.organization_id, item.was_due_at.isoformat(), exc.run_id)
            skipped.append({"organizationId": item.organization_id, "runningRunId": exc.run_id})
        except Exception as exc:  # noqa: BLE001 - one organization's failure must not stop the others'
            log.exception("[SCHEDULE] organization %s: sync due at %s failed to start", item.organization_id,
                          item.was_due_at.isoformat())
            failed.append({"organizationId": item.organization_id, "error": type(exc).__name__})
    return {"started": started, "skipped": skipped, **({"failed": failed} if failed else {})}


def _start_due(task: NavaiTask, item: DueSync, now: datetime) -> dict[str, Any]:
    """Start one organization's due sync (raises RunInProgress when its step 2 is still going)."""
    with task.session() as session:
        window = sync_window(session, item.organization_id, item.time_zone, now)
    chain = start_chain(task.svc, item.organization_id, TRIGGERED_BY_SCHEDULE, SCHEDULED_EXPORT_LIMIT, window)
    log.info("[SCHEDULE] organization %s: sync %s..%s started (step 1 run %s, step 2 run %s)",
             item.organization_id, window.date_from, window.date_to, chain.step1_run_id, chain.step2_run_id)
    return {"organizationId": item.organization_id, "step1RunId": chain.step1_run_id,
            "step2RunId": chain.step2_run_id, "from": window.date_from, "to": window.date_to}


CALL_SYNC_SCHEDULE = ScheduleColumns(Organization.sync_schedule, Organization.next_scheduled_sync_at)


def claim_due(session: Session, now: datetime) -> list[DueSync]:
    """The organizations whose call-sync schedule is due, each claimed (`workers.due_schedules`)."""
    return claim_organizations_due(session, now, CALL_SYNC_SCHEDULE)


def sync_window(session: Session, organization_id: int, time_zone: str, now: datetime) -> ExportWindow:
    """From the local day of the last successful scheduled sync (yesterday on the first) to today."""
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    last_success = session.scalar(
        select(func.max(SyncRun.started_at)).where(
            SyncRun.organization_id == organization_id, SyncRun.kind == KIND_STEP2,
            SyncRun.triggered_by == TRIGGERED_BY_SCHEDULE, SyncRun.status == RunStatus.COMPLETED.value))
    first: date = last_success.astimezone(zone).date() if last_success else today - timedelta(days=1)
    return ExportWindow(format_sipuni_day(min(first, today)), format_sipuni_day(today))
