"""Named periods (`?period=today|yesterday|week|month`) and the period each is compared with.

Everything is in the organization's time zone, on its wall clock, up to the real now:

- `today`: today from midnight up to now; compared with yesterday from midnight up to the same
  time of day.
- `yesterday`: the whole of yesterday; compared with the whole day before.
- `week`: this ISO week, Monday midnight up to now; compared with the previous week from its
  Monday midnight up to the same weekday and time (Wednesday 11:00 is compared with last
  Monday 00:00 .. last Wednesday 11:00).
- `month`: this month, the 1st at midnight up to now; compared with the previous month from its
  1st up to the same day of the month and time, but not past its end (on 31 March at 10:00 the
  whole of February).

A period still running is compared with the same elapsed part of the period before, not with the
whole of it: on a Tuesday morning a manager wants to know whether the week is going better than
last week did by Tuesday morning, and a whole week would always look "ahead". A DST change counts
on the wall clock: "up to 10:00" is up to 10:00 on both days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from api.stats.window import Window

Period = Literal["today", "yesterday", "week", "month"]
PERIODS: tuple[str, ...] = get_args(Period)
DAYS_PER_WEEK = 7


@dataclass(frozen=True)
class PeriodWindows:
    period: str
    current: Window
    previous: Window


def period_windows(period: str, time_zone: str, now: datetime | None = None) -> PeriodWindows:
    """The window of `period` (up to `now`, default the real now) and the one it is compared with."""
    zone = ZoneInfo(time_zone)
    local_now = (now or datetime.now(UTC)).astimezone(zone).replace(microsecond=0, tzinfo=None)
    today = local_now.date()
    if period == "yesterday":
        yesterday = today - timedelta(days=1)
        return PeriodWindows(period, Window(yesterday, yesterday, time_zone),
                             Window(yesterday - timedelta(days=1), yesterday - timedelta(days=1), time_zone))
    start, previous_start = _starts(period, today)
    elapsed = local_now - datetime.combine(start, time.min)  # on the wall clock
    previous_end = min(datetime.combine(previous_start, time.min) + elapsed, datetime.combine(start, time.min))
    return PeriodWindows(period, _window(start, local_now, time_zone), _window(previous_start, previous_end, time_zone))


def _starts(period: str, today: date) -> tuple[date, date]:
    """The first day of the running period and of the one before it."""
    if period == "today":
        return today, today - timedelta(days=1)
    if period == "week":
        monday = today - timedelta(days=today.weekday())
        return monday, monday - timedelta(days=DAYS_PER_WEEK)
    if period == "month":
        first = today.replace(day=1)
        return first, (first - timedelta(days=1)).replace(day=1)
    raise ValueError(f"unknown period {period!r}")


def _window(first_day: date, local_end: datetime, time_zone: str) -> Window:
    """[first_day 00:00, local_end) on the wall clock: whole days when it ends at a midnight, else
    a window cut at `local_end`."""
    start = datetime.combine(first_day, time.min)
    if local_end > start and local_end.time() == time.min:
        return Window(first_day, local_end.date() - timedelta(days=1), time_zone)
    until = local_end.replace(tzinfo=ZoneInfo(time_zone)).astimezone(UTC)
    return Window(first_day, max(first_day, local_end.date()), time_zone, until_utc=until)
