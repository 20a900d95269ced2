"""Per-organization call-sync schedules: a 5-field cron read in the organization's time zone.

The API validates a schedule and computes its next due time when it changes; beat's periodic
check (`workers.schedules`) starts the due syncs and moves the due time on. Both use these.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterBadDateError, croniter

CRON_FIELDS = 5
# A schedule must come due within a year (366 days: a leap year's). One that does not is refused:
# `0 0 30 2 *` never comes (croniter accepts it and finds no time), `0 0 29 2 *` comes once in four
# years; neither is a sync schedule, and the search for its next time is bounded by this horizon.
CRON_HORIZON = timedelta(days=366)
CRON_SEARCH_YEARS = 2  # croniter gives up after this many years without a match (its default: 50)
NEVER_DUE = ("never comes due within a year (no such day, e.g. February 30th, or only February 29th); "
             "pick days every year has")


class NeverDue(ValueError):
    """A valid cron with no due time within `CRON_HORIZON` (`0 0 30 2 *`, `0 0 29 2 *`)."""


def cron_problem(expression: str, now: datetime | None = None) -> str | None:
    """Why `expression` is not a usable 5-field cron (as of `now`, default the present), or None."""
    if len(expression.split()) != CRON_FIELDS:
        return "must be a 5-field cron (minute hour day-of-month month day-of-week), e.g. '0 2 * * *'"
    if not croniter.is_valid(expression):
        return f"{expression!r} is not a valid cron expression"
    try:  # the days a cron names are the same in every zone: UTC answers for all of them
        next_due_utc(expression, "UTC", now or datetime.now(timezone.utc))
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
    reads it (`0 2 * * *` is 02:00 in Tashkent), returned in UTC; NeverDue when there is none
    within `CRON_HORIZON`."""
    local_after = after.astimezone(ZoneInfo(time_zone))
    try:
        due_local = croniter(expression, local_after, max_years_between_matches=CRON_SEARCH_YEARS).get_next(datetime)
    except CroniterBadDateError as exc:
        raise NeverDue(f"{expression!r} {NEVER_DUE}") from exc
    if due_local - local_after > CRON_HORIZON:
        raise NeverDue(f"{expression!r} {NEVER_DUE}")
    return due_local.astimezone(timezone.utc)
