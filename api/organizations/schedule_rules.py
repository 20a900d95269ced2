"""What `PATCH /settings` does with a schedule field (`syncSchedule`, `hemisSyncSchedule`): refuse
one that comes due more often than SYNC_MIN_INTERVAL_S (409, `schedule_interval`), and compute its
next due time in the organization's time zone (400 for one stored before it was checked that never
comes due). The field's name is in every error, so the caller knows which schedule it was."""

from __future__ import annotations

from datetime import datetime

from api.http.errors import ApiError
from api.http.services import services
from api.organizations.schedule_interval import interval_problem
from shared.models import utcnow
from shared.schedules import NeverDue, next_due_utc


def refuse_too_frequent(schedule: str, field: str) -> None:
    """409 when `schedule` comes due more often than SYNC_MIN_INTERVAL_S allows."""
    problem = interval_problem(schedule, services().settings.sync_min_interval_s, utcnow())
    if problem:
        raise ApiError(409, f"{field} {problem}", {field: problem})


def next_due(schedule: str | None, time_zone: str, field: str) -> datetime | None:
    """The schedule's next due time from now (None without a schedule)."""
    try:
        return next_due_utc(schedule, time_zone, utcnow()) if schedule else None
    except NeverDue as exc:  # a schedule stored before it was checked on input
        raise ApiError(400, "Validation failed", {field: str(exc)}) from exc
