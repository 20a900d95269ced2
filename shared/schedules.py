"""Per-organization call-sync schedules: a 5-field cron read in the organization's time zone.

The API validates a schedule and computes its next due time when it changes; beat's periodic
check (`workers.schedules`) starts the due syncs and moves the due time on. Both use these.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterBadDateError, croniter

CRON_FIELDS = 5
NEVER_DUE = "never comes due (no such day, e.g. February 30th); pick days every month or year has"


class NeverDue(ValueError):
    """A valid cron that names no day that exists (croniter accepts `0 0 30 2 *` but finds no time)."""


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not a usable 5-field cron, or None when it is."""
    if len(expression.split()) != CRON_FIELDS:
        return "must be a 5-field cron (minute hour day-of-month month day-of-week), e.g. '0 2 * * *'"
    if not croniter.is_valid(expression):
        return f"{expression!r} is not a valid cron expression"
    try:  # the days a cron names are the same in every zone: UTC answers for all of them
        next_due_utc(expression, "UTC", datetime.now(timezone.utc))
    except NeverDue:
        return f"{expression!r} {NEVER_DUE}"
    return None


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())  # reads the tz database from disk: once per process


def time_zone_problem(name: str) -> str | None:
    """Why `name` is not an IANA time zone, or None when it is."""
    if name not in _zone_names():
        return f"{name!r} is not an IANA time zone name, e.g. 'Asia/Tashkent' or 'UTC'"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{name!r} is not an IANA time zone name"
    return None


def next_due_utc(expression: str, time_zone: str, after: datetime) -> datetime:
    """The first due time of `expression` strictly after `after`, as the organization's wall clock
    reads it (`0 2 * * *` is 02:00 in Tashkent), returned in UTC."""
    local_after = after.astimezone(ZoneInfo(time_zone))
    try:
        due_local = croniter(expression, local_after).get_next(datetime)
    except CroniterBadDateError as exc:
        raise NeverDue(f"{expression!r} {NEVER_DUE}") from exc
    return due_local.astimezone(timezone.utc)
