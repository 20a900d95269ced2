"""How often a sync schedule comes due, so that `PATCH /settings` (and `POST /organizations`) can
refuse one that would sync an organization more often than SYNC_MIN_INTERVAL_S (at most a day): a
full sync every minute spends the Sipuni and AI rate limits every organization shares.

A cron's hours and minutes are the same on every day it names, so its due times within a day are
their product, and the shortest gap under a day lies either inside a day or across one midnight,
from the last due time of a day to the first of the next (`5,55 0,23 * * *`: 23:55 then 00:05, ten
minutes). That one counts only if the cron names two days in a row (`0,30 0,23 1 * *` runs on the
1st only): croniter looks for them over the next DAY_HORIZON days, stopping at the first pair, and
only when that gap would be the shortest. Gaps are read on the organization's wall clock, as the
schedule is written (a daylight-saving change can shorten one gap, once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

from croniter import croniter

MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR
SECONDS_PER_MINUTE = 60
DAY_HORIZON = 4 * 366  # a leap-year cycle: days a cron names only in some years are seen too
ANY = "*"  # croniter's expansion of a field that names every value


@dataclass(frozen=True)
class Gap:
    """The shortest time between two consecutive due times, with where it happens."""

    minutes: int
    example: str  # e.g. "01:00 then 01:05"

    @property
    def seconds(self) -> int:
        return self.minutes * SECONDS_PER_MINUTE


def interval_problem(expression: str, min_interval_s: int, after: datetime) -> str | None:
    """Why `expression` (a valid 5-field cron that comes due) comes due more often than every
    `min_interval_s` (at most a day), or None."""
    gap = shortest_gap_under_a_day(expression, after)
    if gap is None or gap.seconds >= min_interval_s:
        return None
    return (f"{expression!r} comes due {_duration(gap.seconds)} apart ({gap.example}); due times must be at "
            f"least {_duration(min_interval_s)} apart (SYNC_MIN_INTERVAL_S={min_interval_s})")


def shortest_gap_under_a_day(expression: str, after: datetime) -> Gap | None:
    """The shortest time between two consecutive due times of `expression` from `after` on, when it
    is under a day; None when consecutive due times are always at least a day apart."""
    times = _times_of_day(expression)
    gaps = [Gap(later - earlier, f"{_clock(earlier)} then {_clock(later)}") for earlier, later in pairwise(times)]
    overnight = Gap(MINUTES_PER_DAY - times[-1] + times[0], f"{_clock(times[-1])} then {_clock(times[0])} the next day")
    shortest = min(gaps, key=lambda gap: gap.minutes, default=None)
    if overnight.minutes < MINUTES_PER_DAY and (shortest is None or overnight.minutes < shortest.minutes) \
            and _two_days_in_a_row(expression, after.date()):
        shortest = overnight
    return shortest


def _times_of_day(expression: str) -> list[int]:
    """The due times within a day the cron names, as minutes after midnight, in order."""
    minutes, hours = croniter(expression).expanded[:2]
    return sorted(hour * MINUTES_PER_HOUR + minute
                  for hour in _values(hours, 24) for minute in _values(minutes, MINUTES_PER_HOUR))


def _values(field: list[int | str], count: int) -> list[int]:
    return list(range(count)) if ANY in field else [int(value) for value in field]


def _two_days_in_a_row(expression: str, start: date) -> bool:
    """Whether the cron names two consecutive days within the horizon."""
    day_fields = " ".join(expression.split()[2:])
    due_days = croniter(f"0 0 {day_fields}", datetime.combine(start, datetime.min.time()))
    end = start + timedelta(days=DAY_HORIZON)
    previous = None
    while (day := due_days.get_next(datetime).date()) <= end:
        if previous is not None and (day - previous).days == 1:
            return True
        previous = day
    return False


def _clock(minute_of_day: int) -> str:
    return f"{minute_of_day // MINUTES_PER_HOUR:02d}:{minute_of_day % MINUTES_PER_HOUR:02d}"


def _duration(seconds: int) -> str:
    if seconds % SECONDS_PER_MINUTE:
        return f"{seconds} s"
    minutes = seconds // SECONDS_PER_MINUTE
    if minutes < MINUTES_PER_HOUR or minutes % MINUTES_PER_HOUR:
        return f"{minutes} min"
    return f"{minutes // MINUTES_PER_HOUR} h"
