"""Beat's HEMIS syncs, per organization: each organization's nightly chain (lookup lists, students,
employees: `shared.hemis.start.start_nightly`) on its own schedule.

- `hemis.nightly_sync` runs at `HEMIS_SYNC_CRON` (UTC) and starts every organization that has a
  HEMIS and no schedule of its own: the deployment's default.
- `hemis.scheduled_syncs` runs every `SYNC_SCHEDULE_TICK_S` and starts the organizations whose own
  `hemis_sync_schedule` (a cron in their time zone) is due, claimed as `workers.due_schedules` says.

One organization never stops another's: a run still going is skipped (logged), any other failure to
start is logged, and the others still start. All runs are fair to each other on the workers: every
organization's pages go through the same queue, each run keeping only a window of pages queued
(`workers.hemis.run`).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from sqlalchemy import select

from shared import catalog
from shared.hemis.instance import organizations_with_hemis
from shared.hemis.start import RunAlreadyRunning, start_nightly
from shared.models import Organization, utcnow
from workers.base import NavaiTask
from workers.due_schedules import ScheduleColumns, claim_due

log = logging.getLogger("workers.hemis")

HEMIS_SYNC_SCHEDULE = ScheduleColumns(Organization.hemis_sync_schedule, Organization.next_hemis_sync_at)


@shared_task(name=catalog.HEMIS_NIGHTLY_SYNC, base=NavaiTask, bind=True)
def nightly_sync(self: NavaiTask) -> dict[str, Any]:
    """`HEMIS_SYNC_CRON`: the nightly chain of every organization without a schedule of its own."""
    with self.session() as session:
        own_schedule = set(session.scalars(select(Organization.id)
                                           .where(Organization.hemis_sync_schedule.is_not(None))))
        organizations = [org for org in organizations_with_hemis(session, self.svc.settings)
                         if org not in own_schedule]
    return start_each(self, organizations)


@shared_task(name=catalog.HEMIS_SCHEDULED_SYNCS, base=NavaiTask, bind=True)
def scheduled_syncs(self: NavaiTask) -> dict[str, Any]:
    """The organizations whose own HEMIS schedule is due now."""
    with self.session() as session:
        due = claim_due(session, utcnow(), HEMIS_SYNC_SCHEDULE)
        with_hemis = set(organizations_with_hemis(session, self.svc.settings))
    for item in due:
        if item.organization_id not in with_hemis:  # a schedule kept after its HEMIS was cleared
            log.warning("[HEMIS] organization %s: its HEMIS schedule is due but it has no HEMIS; skipped",
                        item.organization_id)
    return start_each(self, [item.organization_id for item in due
                             if item.was_due_at is not None and item.organization_id in with_hemis])


def start_each(task: NavaiTask, organizations: list[int]) -> dict[str, Any]:
    started: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for organization_id in organizations:
        try:
            run = start_nightly(task.svc, organization_id)
        except RunAlreadyRunning as exc:
            log.warning("[HEMIS] organization %s: nightly sync skipped: %s", organization_id, exc)
            skipped.append({"organizationId": organization_id, "runningRunId": exc.run_id})
            continue
        except Exception as exc:  # noqa: BLE001 - one organization's failure must not stop the others'
            log.exception("[HEMIS] organization %s: nightly sync failed to start", organization_id)
            failed.append({"organizationId": organization_id, "error": type(exc).__name__})
            continue
        log.info("[HEMIS] organization %s: nightly sync started: run %s", organization_id, run.run_id)
        started.append({"organizationId": organization_id, "runId": run.run_id, "taskId": run.task_id})
    return {"started": started, "skipped": skipped, **({"failed": failed} if failed else {})}
