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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from celery import shared_task
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shared import catalog
from shared.models import Organization, RunStatus, SyncRun, utcnow
from shared.schedules import cron_problem, next_due_utc, time_zone_problem
from shared.sipuni.names import KIND_STEP2, format_sipuni_day
from shared.sipuni.start import TRIGGERED_BY_SCHEDULE, ExportWindow, RunInProgress, start_chain
from workers.base import NavaiTask

log = logging.getLogger("navai.sipuni.schedule")

SCHEDULED_EXPORT_LIMIT = 200_000  # unused by a windowed export; the chain's step 1 takes one


@dataclass(frozen=True)
class DueSync:
    organization_id: int
    time_zone: str
    was_due_at: datetime | None  # None: the schedule was never seen, only its first due time is set


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


def claim_due(session: Session, now: datetime) -> list[DueSync]:
    """The organizations whose schedule is due (or never seen), each claimed by moving its due
    time on; an organization another tick claimed first is left out."""
    candidates = session.execute(
        select(Organization.id, Organization.sync_schedule, Organization.time_zone,
               Organization.next_scheduled_sync_at)
        .where(Organization.sync_schedule.is_not(None),
               (Organization.next_scheduled_sync_at.is_(None)) | (Organization.next_scheduled_sync_at <= now))
        .order_by(Organization.id)).all()
    claimed = []
    for organization_id, schedule, time_zone, due_at in candidates:
        next_due = usable_next_due(organization_id, schedule, time_zone, now)
        if next_due is None:
            continue
        won = session.execute(
            update(Organization).where(Organization.id == organization_id,
                                       _same_due(Organization.next_scheduled_sync_at, due_at))
            .values(next_scheduled_sync_at=next_due)
            .execution_options(synchronize_session=False)).rowcount
        if won:
            claimed.append(DueSync(organization_id, time_zone, due_at))
    return claimed


def usable_next_due(organization_id: int, schedule: str, time_zone: str, now: datetime) -> datetime | None:
    """The stored schedule's next due time, or None (logged) when beat cannot use it: a cron or
    zone that does not parse, or no due time within a year. Whatever the stored text makes the
    cron library raise counts as unusable: it is this organization's data, not beat's fault."""
    try:
        problem = cron_problem(schedule, now) or time_zone_problem(time_zone)
        if problem is None:
            return next_due_utc(schedule, time_zone, now)
    except (ValueError, TypeError, OverflowError) as exc:  # NeverDue and croniter's errors are ValueErrors
        problem = str(exc) or type(exc).__name__
    log.error("[SCHEDULE] organization %s: schedule %r in %r is unusable, skipped: %s", organization_id, schedule,
              time_zone, problem)
    return None


def _same_due(column: Any, due_at: datetime | None) -> Any:
    return column.is_(None) if due_at is None else column == due_at


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
