"""Claiming the organizations whose own cron schedule is due: the machinery beat's periodic checks
share (the call sync's `sync_schedule`, the HEMIS sync's `hemis_sync_schedule`).

A schedule is a 5-field cron in the organization's time zone, stored with its next due time (UTC).
A due organization is claimed by moving that time on in one conditional UPDATE, so two overlapping
ticks never start it twice, and a tick after downtime starts one sync, not one per missed due time.
A stored schedule beat cannot use is skipped and logged, and never stops another organization's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from shared.models import Organization
from shared.schedules import cron_problem, next_due_utc, time_zone_problem

log = logging.getLogger("navai.schedule")


@dataclass(frozen=True)
class DueSync:
    organization_id: int
    time_zone: str
    was_due_at: datetime | None  # None: the schedule was never seen, only its first due time is set


@dataclass(frozen=True)
class ScheduleColumns:
    """Where a kind of sync keeps its schedule and its next due time on `organizations`."""

    schedule: InstrumentedAttribute[Any]
    next_due: InstrumentedAttribute[Any]


def claim_due(session: Session, now: datetime, columns: ScheduleColumns) -> list[DueSync]:
    """The organizations whose schedule is due (or never seen), each claimed by moving its due
    time on; an organization another tick claimed first is left out."""
    candidates = session.execute(
        select(Organization.id, columns.schedule, Organization.time_zone, columns.next_due)
        .where(columns.schedule.is_not(None), (columns.next_due.is_(None)) | (columns.next_due <= now))
        .order_by(Organization.id)).all()
    claimed = []
    for organization_id, schedule, time_zone, due_at in candidates:
        next_due = usable_next_due(organization_id, schedule, time_zone, now)
        if next_due is None:
            continue
        won = session.execute(
            update(Organization).where(Organization.id == organization_id, _same_due(columns.next_due, due_at))
            .values({columns.next_due.key: next_due})
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
