"""`?period=today|yesterday|week|month`: the window up to the real now in the organization's time
zone, and `/stats/overview`'s comparison with the same elapsed part of the period before.

The API's clock cannot be frozen, so each test reads "now" back from the answer (`until`, the
exclusive end of a running period), checks it is the real now, and computes what it expects from
its own definition of the periods. Calls come from the simulator through step 1 (Asia/Tashkent),
or are placed on the second around local midnights in a zone west of UTC with DST
(America/New_York), where the UTC day and the local day differ by four or five hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from statistics import mean
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.stats.periods import PERIODS, period_windows
from shared.models import CallLogEntry, Organization
from tests.api.stats.sim_data import (
    SIM_OFFSET_H,
    local_time,
    score_of,
    scored,
    violations_of,
)

NEW_YORK = "America/New_York"
SIM_NOW_LAG = timedelta(minutes=2)  # the simulator's newest call, before the requests' now
SIM_PERIOD_CALLS = 900  # ~79 hours of calls: today, yesterday and the day before, whatever the hour
CLOCK_SLACK = timedelta(minutes=2)  # between the test's clock and the request's now
NEAR = timedelta(minutes=5)  # calls this close to a period's end, on both sides of it
WINDOWED_PATHS = ("/stats/overview", "/stats/employees", "/stats/employees.csv", "/stats/employees.xlsx",
                  "/stats/daily", "/stats/hourly", "/stats/hourly.csv", "/stats/hourly.xlsx", "/stats/criteria")

Span = tuple[datetime, datetime]  # [start, end) on the local wall clock (naive)


def expected_spans(period: str, now: datetime) -> tuple[Span, Span]:
    """The test's own reading of the periods, on the wall clock: a running period is compared with
    the period before up to the same point (today 10:00 with yesterday up to 10:00)."""
    midnight = datetime.combine(now.date(), time.min)
    if period == "today":
        return (midnight, now), (midnight - timedelta(days=1), now - timedelta(days=1))
    if period == "yesterday":
        return (midnight - timedelta(days=1), midnight), (midnight - timedelta(days=2), midnight - timedelta(days=1))
    if period == "week":
        monday = midnight - timedelta(days=now.weekday())
        return (monday, now), (monday - timedelta(days=7), now - timedelta(days=7))
    first = midnight.replace(day=1)
    previous_first = (first - timedelta(days=1)).replace(day=1)
    return (first, now), (previous_first, min(previous_first + (now - first), first))


def _days_of(span: Span) -> tuple[str, str]:
    """`from` and `to` of a span: its first day and the day of its last moment."""
    return span[0].date().isoformat(), (span[1] - timedelta(microseconds=1)).date().isoformat() \
        if span[1] > span[0] else span[0].date().isoformat()


def _now_of(body: dict[str, Any], period: str, zone: ZoneInfo) -> datetime:
    """The request's now on the organization's wall clock (a running period ends at it)."""
    if period == "yesterday":  # ends at today's midnight: only today's date matters
        return datetime.combine(date.fromisoformat(body["to"]) + timedelta(days=1), time(12))
    until = datetime.fromisoformat(body["until"])
    assert abs(until - datetime.now(UTC)) < CLOCK_SLACK, f"until {until} is not the real now"
    return until.astimezone(zone).replace(tzinfo=None)


def _get(client, headers, path):  # type: ignore[no-untyped-def]
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _change(current: float | None, previous: float | None) -> dict[str, float | None]:
    if current is None or previous is None:
        return {"absolute": None, "relative": None}
    absolute = current - previous
    absolute = round(absolute, 2) if isinstance(absolute, float) else absolute
    return {"absolute": absolute, "relative": None if previous == 0 else round((current - previous) / previous, 4)}


def _check_windows(body: dict[str, Any], spans: tuple[Span, Span], zone: ZoneInfo) -> None:
    (start, end), (previous_start, previous_end) = spans
    assert (body["from"], body["to"]) == _days_of((start, end))
    assert (body["previous"]["from"], body["previous"]["to"]) == _days_of((previous_start, previous_end))
    assert datetime.fromisoformat(body["previous"]["until"]) == previous_end.replace(tzinfo=zone).astimezone(UTC)
    assert datetime.fromisoformat(body["until"]) == end.replace(tzinfo=zone).astimezone(UTC)


# --- the simulator's calls, through step 1 ---------------------------------------------------------

def _sim_figures(calls: list[dict]) -> dict[str, Any]:
    answered = [call for call in calls if call["answered"]]
    scored_calls = scored(calls)
    return {"calls": len(calls), "answered": len(answered), "missed": len(calls) - len(answered),
            "incoming": sum(call["direction"] == "incoming" for call in calls),
            "outgoing": sum(call["direction"] == "outgoing" for call in calls),
            "talkTimeS": sum(call["talk_s"] or 0 for call in calls),
            "avgTalkTimeS": round(mean(call["talk_s"] for call in answered), 1) if answered else None,
            "scoredCalls": len(scored_calls),
            "avgScore": round(mean(score_of(call) * 10 for call in scored_calls), 2) if scored_calls else None,
            "violations": sum(violations_of(call) for call in scored_calls)}


def _in_span(truth: list[dict], span: Span) -> list[dict]:
    return [call for call in truth if span[0] <= local_time(call) < span[1]]


def test_each_period_and_the_one_before_match_the_simulators_calls(client, sync_calls):
    zone = ZoneInfo("Asia/Tashkent")
    newest = datetime.now(zone).replace(tzinfo=None, microsecond=0) - SIM_NOW_LAG
    headers, _organization, truth, _users, _criteria = sync_calls(SIM_PERIOD_CALLS, seed=23, newest_local=newest)
    assert SIM_OFFSET_H * 3600 == zone.utcoffset(newest).total_seconds()
    for period in PERIODS:
        body = _get(client, headers, f"/stats/overview?period={period}")
        assert body["period"] == period and body["timeZone"] == "Asia/Tashkent" and body["maxScore"] == 100
        spans = expected_spans(period, _now_of(body, period, zone))
        _check_windows(body, spans, zone)
        current, previous = (_sim_figures(_in_span(truth, span)) for span in spans)
        assert {field: body[field] for field in current} == current, period
        assert {field: body["previous"][field] for field in previous} == previous, period
        assert body["change"] == {field: _change(current[field], previous[field]) for field in current}, period
        if period == "yesterday":  # both whole days lie within the simulator's ~79 hours
            assert current["calls"] > 0 and previous["calls"] > 0 and current["scoredCalls"] > 0


# --- calls placed around the boundaries, in New York -----------------------------------------------

def _boundary_moments(now: datetime) -> list[datetime]:
    """Local wall-clock moments on both sides of every boundary the four periods have, up to now."""
    midnight = datetime.combine(now.date(), time.min)
    monday = midnight - timedelta(days=now.weekday())
    first = midnight.replace(day=1)
    previous_first = (first - timedelta(days=1)).replace(day=1)
    second = timedelta(seconds=1)
    utc_midnight = datetime.combine(datetime.now(UTC).date(), time.min, tzinfo=UTC)
    moments = [midnight, midnight - second, midnight - timedelta(days=1), midnight - timedelta(days=1) - second,
               midnight - timedelta(days=2), midnight - timedelta(days=2) - second,
               now - NEAR, now - timedelta(days=1) - NEAR, now - timedelta(days=1) + NEAR,
               utc_midnight.astimezone(ZoneInfo(NEW_YORK)).replace(tzinfo=None),  # 19:00/20:00 the day before
               monday, monday - second, monday - timedelta(days=7), monday - timedelta(days=7) - second,
               now - timedelta(days=7) - NEAR, now - timedelta(days=7) + NEAR,
               first, first - second, previous_first, previous_first - second,
               min(previous_first + (now - first), first) - NEAR, min(previous_first + (now - first), first) + NEAR]
    return sorted(moment for moment in moments if moment < now - second)


def _place_calls(db, organization: Organization, moments: Iterable[datetime], employee_id: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """One call-log row per moment (New York wall clock): answered or missed, incoming or
    outgoing by turns; every third one of `employee_id`."""
    zone, rows = ZoneInfo(NEW_YORK), []
    for number, moment in enumerate(moments):
        answered = number % 2 == 0
        row = {"local": moment, "answered": answered, "incoming": number % 4 < 2,
               "talk": 10 * number if answered else None, "employee": employee_id if number % 3 == 0 else None}
        db.add(CallLogEntry(organization_id=organization.id, record_id=f"boundary.{number}",
                            direction="incoming" if row["incoming"] else "outgoing",
                            status="answered" if answered else "missed",
                            started_at=moment.replace(tzinfo=zone).astimezone(UTC), talk_duration_s=row["talk"],
                            employee_id=row["employee"], ext_code="201" if row["employee"] else "202"))
        rows.append(row)
    db.commit()
    return rows


def _row_figures(rows: list[dict], span: Span) -> dict[str, int]:
    zone = ZoneInfo(NEW_YORK)
    start, end = (moment.replace(tzinfo=zone).astimezone(UTC) for moment in span)
    inside = [row for row in rows if start <= row["local"].replace(tzinfo=zone).astimezone(UTC) < end]
    return {"calls": len(inside), "answered": sum(row["answered"] for row in inside),
            "missed": sum(not row["answered"] for row in inside),
            "incoming": sum(row["incoming"] for row in inside),
            "outgoing": sum(not row["incoming"] for row in inside),
            "talkTimeS": sum(row["talk"] or 0 for row in inside)}


@pytest.fixture
def new_york(db, make_user, auth_headers):  # type: ignore[no-untyped-def]
    """An organization in New York with calls placed around every period boundary; returns
    (admin headers, employee headers, the employee's rows, all rows)."""
    admin = make_user("ADMIN")
    organization = db.get(Organization, admin.organization_id)
    organization.time_zone = NEW_YORK
    db.commit()
    employee = make_user("EMPLOYEE", organization=organization, ext_code="201")
    now = datetime.now(ZoneInfo(NEW_YORK)).replace(tzinfo=None)
    rows = _place_calls(db, organization, _boundary_moments(now), employee.id)
    mine = [row for row in rows if row["employee"] == employee.id]
    return auth_headers(user=admin), auth_headers(user=employee), mine, rows


def test_periods_follow_the_organizations_midnights_not_utcs(client, new_york):
    admin, employee, mine, rows = new_york
    zone = ZoneInfo(NEW_YORK)
    for period in PERIODS:
        for headers, seen in ((admin, rows), (employee, mine)):
            body = _get(client, headers, f"/stats/overview?period={period}")
            spans = expected_spans(period, _now_of(body, period, zone))
            _check_windows(body, spans, zone)
            current, previous = (_row_figures(seen, span) for span in spans)
            assert {field: body[field] for field in current} == current, period
            assert {field: body["previous"][field] for field in previous} == previous, period
            assert body["change"]["calls"] == _change(current["calls"], previous["calls"])
            assert body["avgScore"] is None and body["change"]["avgScore"] == {"absolute": None, "relative": None}
    # The rows the comparison turns on exist: the last second of yesterday is not today's, and a
    # running period's previous one stops at the same elapsed point, not at its own end.
    today = _get(client, admin, "/stats/overview?period=today")
    assert today["calls"] >= 1 and today["previous"]["calls"] >= 1


def test_a_period_is_the_window_of_every_route_and_excludes_from_and_to(client, new_york):
    admin, employee, _mine, rows = new_york
    overview = _get(client, admin, "/stats/overview?period=week")
    daily = _get(client, admin, "/stats/daily?period=week")
    assert daily["days"][0]["date"] == overview["from"] and daily["until"] == overview["until"]
    assert daily["days"][-1]["date"] == overview["to"]
    assert sum(day["calls"] for day in daily["days"]) == overview["calls"]
    hourly = _get(client, admin, "/stats/hourly?period=week")
    assert sum(hour["calls"] for hour in hourly["hours"]) == overview["calls"]
    week = expected_spans("week", _now_of(overview, "week", ZoneInfo(NEW_YORK)))[0]
    employees = _get(client, admin, "/stats/employees?period=week")["employees"]
    assert sum(row["calls"] for row in employees) == _row_figures([row for row in rows if row["employee"]],
                                                                  week)["calls"]
    for path in WINDOWED_PATHS:
        for query in ("period=today&from=2025-10-01", "period=week&to=2025-10-01", "period=quarter", "period=TODAY"):
            response = client.get(f"{path}?{query}", headers=employee)
            assert response.status_code == 400, (path, query)
            assert "period" in response.get_json()["errors"], (path, query)
    assert client.get("/stats/monthly?period=month", headers=admin).status_code == 400
    without = _get(client, admin, "/stats/overview?period=&from=2025-10-01&to=2025-10-01")
    assert "previous" not in without and without["from"] == "2025-10-01"


# --- the definition itself, at chosen moments -------------------------------------------------------

def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize("period, now, current, previous", [
    # Wednesday 8 October 2025, 11:00 in Tashkent (06:00 UTC).
    ("today", "2025-10-08T11:00:00+05:00", ("2025-10-08", "2025-10-08", "2025-10-08T11:00:00+05:00"),
     ("2025-10-07", "2025-10-07", "2025-10-07T11:00:00+05:00")),
    ("yesterday", "2025-10-08T11:00:00+05:00", ("2025-10-07", "2025-10-07", "2025-10-08T00:00:00+05:00"),
     ("2025-10-06", "2025-10-06", "2025-10-07T00:00:00+05:00")),
    ("week", "2025-10-08T11:00:00+05:00", ("2025-10-06", "2025-10-08", "2025-10-08T11:00:00+05:00"),
     ("2025-09-29", "2025-10-01", "2025-10-01T11:00:00+05:00")),
    ("month", "2025-10-08T11:00:00+05:00", ("2025-10-01", "2025-10-08", "2025-10-08T11:00:00+05:00"),
     ("2025-09-01", "2025-09-08", "2025-09-08T11:00:00+05:00")),
    # On 31 March the previous month is compared whole: February has no 31st.
    ("month", "2025-03-31T10:00:00+05:00", ("2025-03-01", "2025-03-31", "2025-03-31T10:00:00+05:00"),
     ("2025-02-01", "2025-02-28", "2025-03-01T00:00:00+05:00")),
    # On a Monday at 00:00:00 the week has just begun: both windows are empty.
    ("week", "2025-10-06T00:00:00+05:00", ("2025-10-06", "2025-10-06", "2025-10-06T00:00:00+05:00"),
     ("2025-09-29", "2025-09-29", "2025-09-29T00:00:00+05:00")),
])
def test_period_windows_at_chosen_moments(period, now, current, previous):
    windows = period_windows(period, "Asia/Tashkent", _utc(now))
    for window, (first, last, end) in ((windows.current, current), (windows.previous, previous)):
        assert (window.first_day.isoformat(), window.last_day.isoformat()) == (first, last)
        assert window.end_utc == _utc(end)
        assert window.start_utc == _utc(f"{first}T00:00:00+05:00")


def test_a_dst_change_counts_on_the_wall_clock():
    # Sunday 30 March 2025, 12:00 in Berlin: clocks went from 02:00 to 03:00 (23 hours since midnight).
    windows = period_windows("today", "Europe/Berlin", _utc("2025-03-30T12:00:00+02:00"))
    assert windows.current.start_utc == _utc("2025-03-30T00:00:00+01:00")
    assert windows.previous.start_utc == _utc("2025-03-29T00:00:00+01:00")
    assert windows.previous.end_utc == _utc("2025-03-29T12:00:00+01:00")  # up to 12:00, not to 13:00
