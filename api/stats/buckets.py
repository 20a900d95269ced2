"""How the statistics group calls by the organization's days, months and hours of the day.

Converting every row to the organization's zone in SQL (`timezone(zone, started_at)`) costs more
than the rest of a year-long aggregate. So on PostgreSQL the zone is applied in Python, once per
boundary, exactly (DST included), and each row is only compared with instants:

- days and months: `width_bucket(started_at, boundaries)`, a binary search over the UTC instants
  of the local midnights (of each day, or of each month's first day) that bound the window;
- hours of the day: `date_bin` cuts the window into UTC bins aligned on its local midnight (an
  hour, or a quarter of an hour in a zone whose offset is not whole hours), and Python gives each
  bin the local hour its start shows.

A group's `label` is then its day (a date), month (1..12) or hour (0..23); several bins may share
a label (every day's 09:00), so the caller adds them up. SQLite (the local demo) converts each row
with the zone's offset at the window's start instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, cast, func, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import DateTime, Integer, Interval

from api.stats.window import Window

HOUR = timedelta(hours=1)
QUARTER_HOUR = timedelta(minutes=15)  # every zone's offset is a multiple of it
MONTHS_PER_YEAR = 12
SQLITE_FORMATS = {"hour": "%H", "month": "%m"}  # strftime spellings of a local moment's parts


@dataclass(frozen=True)
class Buckets:
    """`expression(started_at)` is the SQL group key; `label(key)` what the key stands for."""

    expression: Callable[[Any], ColumnElement[Any]]
    label: Callable[[Any], Any]


def days(window: Window, dialect: str) -> Buckets:
    """Each day of the window (label: the date)."""
    window_days = window.days()
    if dialect != "postgresql":
        return Buckets(lambda column: func.date(column, _sqlite_offset(window)),
                       lambda key: key if isinstance(key, date) else date.fromisoformat(str(key)))
    boundaries = [_midnight(day, window.time_zone) for day in window_days] + [window.end_utc]
    return Buckets(lambda column: _width_bucket(column, boundaries), lambda key: window_days[key - 1])


def months(window: Window, dialect: str) -> Buckets:
    """Each month of a window that is one calendar year (label: 1..12)."""
    if dialect != "postgresql":
        return Buckets(lambda column: _sqlite_part(column, "month", window), int)
    year = window.first_day.year
    boundaries = [_midnight(date(year, month, 1), window.time_zone) for month in range(1, MONTHS_PER_YEAR + 1)]
    boundaries.append(_midnight(date(year + 1, 1, 1), window.time_zone))
    return Buckets(lambda column: _width_bucket(column, boundaries), int)


def hours(window: Window, dialect: str) -> Buckets:
    """The hour of the day on the organization's clock (label: 0..23)."""
    if dialect != "postgresql":
        return Buckets(lambda column: _sqlite_part(column, "hour", window), int)
    zone = ZoneInfo(window.time_zone)
    width = HOUR if _whole_hour_offsets(window) else QUARTER_HOUR
    origin = window.start_utc  # a local midnight: bins start on the local clock's hours
    return Buckets(lambda column: func.date_bin(literal(width, Interval()), column,
                                                literal(origin, DateTime(timezone=True))),
                   lambda start: start.astimezone(zone).hour)


def _width_bucket(column: Any, boundaries: list[datetime]) -> ColumnElement[int]:
    """1 for [boundaries[0], boundaries[1]), 2 for the next, ... (rows are within the window)."""
    return func.width_bucket(column, literal(boundaries, ARRAY(DateTime(timezone=True))))


def _whole_hour_offsets(window: Window) -> bool:
    """Whether the zone's offset is whole hours at every midnight of the window."""
    zone = ZoneInfo(window.time_zone)
    return all(int((zone.utcoffset(datetime.combine(day, datetime.min.time())) or timedelta()).total_seconds())
               % int(HOUR.total_seconds()) == 0 for day in window.days())


def _midnight(day: date, time_zone: str) -> datetime:
    return Window(day, day, time_zone).start_utc


def _sqlite_part(column: Any, part: str, window: Window) -> ColumnElement[int]:
    return cast(func.strftime(SQLITE_FORMATS[part], column, _sqlite_offset(window)), Integer)


def _sqlite_offset(window: Window) -> str:
    """The zone's offset at the window's start, as an SQLite date modifier."""
    offset = ZoneInfo(window.time_zone).utcoffset(datetime.combine(window.first_day, datetime.min.time()))
    return f"{int((offset or timedelta()).total_seconds()):+d} seconds"
