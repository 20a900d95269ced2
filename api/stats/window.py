"""The date window of a statistics request: inclusive days in the organization's time zone.

`from`/`to` are `DD.MM.YYYY` (as Sipuni writes dates) or `YYYY-MM-DD`; the default is the last
`DEFAULT_WINDOW_DAYS` days up to today. The window becomes a half-open UTC interval
[start of `from`, start of the day after `to`), which the (organization, started_at) indexes serve.
Days outside EARLIEST_YEAR..LATEST_YEAR are refused (400): near year 1 or 9999 the window's own
arithmetic (the day after `to`, 30 days before it, a zone's offset) leaves Python's dates.

A window may also end inside its last day (`until_utc`): a named period that runs up to now
(`api.stats.periods`: today, this week, this month, and the same elapsed part of the period before).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.sipuni.names import SIPUNI_DATE_FORMAT

DEFAULT_WINDOW_DAYS = 30
MAX_WINDOW_DAYS = 3660  # ten years: a daily table stays a few thousand rows
ISO_DATE_FORMAT = "%Y-%m-%d"
DATE_FORMATS = (SIPUNI_DATE_FORMAT, ISO_DATE_FORMAT)  # as Sipuni writes a day, or ISO 8601
# The same two forms, as `from`/`to` are documented (`parse_day` stays the judge: its messages
# name the parameter).
DAY_SCHEMA = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "pattern": r"^\d{2}\.\d{2}\.\d{4}$"}]}
EARLIEST_YEAR = 1900
LATEST_YEAR = 9000


class WindowError(ValueError):
    """A date that does not parse, or a window that makes no sense; `field` names the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Window:
    first_day: date
    last_day: date
    time_zone: str
    # The exclusive end when the window stops inside `last_day` (a period up to now); None: the whole day.
    until_utc: datetime | None = None

    @property
    def start_utc(self) -> datetime:
        return _start_of(self.first_day, self.time_zone)

    @property
    def end_utc(self) -> datetime:
        """Exclusive: `until_utc`, else the start of the day after `last_day`."""
        if self.until_utc is not None:
            return self.until_utc
        return _start_of(self.last_day + timedelta(days=1), self.time_zone)

    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]

    def as_dict(self) -> dict[str, str]:
        bounds = {"from": self.first_day.isoformat(), "to": self.last_day.isoformat(), "timeZone": self.time_zone}
        if self.until_utc is not None:
            bounds["until"] = self.until_utc.isoformat(timespec="seconds")
        return bounds


def parse_day(value: str, name: str) -> date:
    day = _parsed(value.strip())
    if day is None:
        raise WindowError(name, f"{name} must be a date as DD.MM.YYYY or YYYY-MM-DD (got {value!r})")
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise WindowError(name, f"{name} must lie within the years {EARLIEST_YEAR}..{LATEST_YEAR} (got {value!r})")
    return day


def _parsed(text: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def window_for(date_from: str | None, date_to: str | None, time_zone: str, now: datetime | None = None) -> Window:
    """The inclusive window of the request; missing ends default to the last 30 days up to today."""
    today = today_in(time_zone, now)
    last = parse_day(date_to, "to") if date_to else today
    first = parse_day(date_from, "from") if date_from else last - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    if first > last:
        raise WindowError("from", "from must not be after to")
    if (last - first).days + 1 > MAX_WINDOW_DAYS:
        raise WindowError("from", f"the window may span at most {MAX_WINDOW_DAYS} days")
    return Window(first, last, time_zone)


def year_window(year: int, time_zone: str) -> Window:
    """The calendar year `year` in the organization's zone (EARLIEST_YEAR..LATEST_YEAR)."""
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise WindowError("year", f"year must lie within {EARLIEST_YEAR}..{LATEST_YEAR} (got {year})")
    return Window(date(year, 1, 1), date(year, 12, 31), time_zone)


def today_in(time_zone: str, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(time_zone)).date()


def _start_of(day: date, time_zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(time_zone)).astimezone(UTC)
