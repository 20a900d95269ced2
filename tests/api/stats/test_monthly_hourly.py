"""`/stats/monthly?year=` (twelve months, every one present) and `/stats/hourly` (24 hours of the
day, answered and missed), on the organization's wall clock: against the simulator's calls after
a real step 1, and against calls placed on the second around month ends and DST changes in New
York. Their CSV downloads hold the same rows."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from statistics import mean
from zoneinfo import ZoneInfo

import pytest

from shared.models import Call, CallLogEntry, Organization, Violation
from tests.api.stats.sim_data import local_time, scored
from tests.support.sipuni import EMPLOYEE_EXTS

NEW_YORK = ZoneInfo("America/New_York")


def _get(client, headers, path):  # type: ignore[no-untyped-def]
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _csv_rows(client, headers, path) -> list[list[str]]:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=headers)
    assert response.status_code == 200 and response.mimetype == "text/csv", response.data[:200]
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


# --- hourly ----------------------------------------------------------------------------------------

def test_hourly_counts_the_simulators_calls_by_local_hour(client, synced, auth_headers, db):
    headers, organization, truth, users, _criteria = synced
    days = sorted({local_time(call).date() for call in truth})
    query = f"from={days[0].isoformat()}&to={days[-1].isoformat()}"
    body = _get(client, headers, f"/stats/hourly?{query}")
    assert [row["hour"] for row in body["hours"]] == list(range(24))
    assert body["days"] == len(days) and body["timeZone"] == "Asia/Tashkent"
    by_hour = Counter(local_time(call).hour for call in truth)
    answered = Counter(local_time(call).hour for call in truth if call["answered"])
    assert {row["hour"]: row["calls"] for row in body["hours"]} == {hour: by_hour[hour] for hour in range(24)}
    assert {row["hour"]: row["answered"] for row in body["hours"]} == {hour: answered[hour] for hour in range(24)}
    assert all(row["missed"] == row["calls"] - row["answered"] for row in body["hours"])
    talk = Counter()
    for call in truth:
        talk[local_time(call).hour] += call["talk_s"] or 0
    assert [row["talkTimeS"] for row in body["hours"]] == [talk[hour] for hour in range(24)]
    assert sum(row["calls"] for row in body["hours"]) == len(truth)

    lines = _csv_rows(client, headers, f"/stats/hourly.csv?{query}")
    assert lines[0] == ["Hour", "Calls", "Answered", "Missed", "Talk time, s"]
    assert [[int(cell) for cell in line] for line in lines[1:]] == \
        [[row["hour"], row["calls"], row["answered"], row["missed"], row["talkTimeS"]] for row in body["hours"]]

    # An EMPLOYEE gets their own calls only, and no one else's by asking.
    ext = max(EMPLOYEE_EXTS, key=lambda code: sum(call["employee_ext"] == code for call in truth))
    employee = users[ext]
    employee_headers = auth_headers(user=employee)
    mine = _get(client, employee_headers, f"/stats/hourly?{query}")
    assert mine["employeeId"] == employee.id
    assert sum(row["calls"] for row in mine["hours"]) == sum(call["employee_ext"] == ext for call in truth) > 0
    assert _get(client, headers, f"/stats/hourly?{query}&employeeId={employee.id}")["hours"] == mine["hours"]
    other = next(user for code, user in users.items() if code and user.id != employee.id)
    assert client.get(f"/stats/hourly?employeeId={other.id}", headers=employee_headers).status_code == 403

    # In UTC the same calls fall five hours earlier on the clock.
    organization.time_zone = "UTC"
    db.commit()
    utc = _get(client, headers, f"/stats/hourly?from={days[0] - timedelta(days=1)}&to={days[-1].isoformat()}")
    assert [row["calls"] for row in utc["hours"]] == [body["hours"][(hour + 5) % 24]["calls"] for hour in range(24)]


def _place(db, organization: Organization, moments: list[tuple[str, bool]]) -> None:  # type: ignore[no-untyped-def]
    """Call-log rows at aware ISO moments, answered or missed."""
    for number, (moment, answered) in enumerate(moments):
        db.add(CallLogEntry(organization_id=organization.id, record_id=f"placed.{number}", direction="incoming",
                            status="answered" if answered else "missed", started_at=datetime.fromisoformat(moment),
                            talk_duration_s=60 if answered else None))
    db.commit()


@pytest.fixture
def new_york_org(db, make_user, auth_headers):  # type: ignore[no-untyped-def]
    admin = make_user("ADMIN")
    organization = db.get(Organization, admin.organization_id)
    organization.time_zone, organization.scoring_mode = "America/New_York", "TEN"
    db.commit()
    return auth_headers(user=admin), organization


def test_hourly_follows_the_wall_clock_across_midnight_and_dst(client, new_york_org, db):
    headers, organization = new_york_org
    _place(db, organization, [
        ("2024-11-02T23:59:59-04:00", True),   # the day before the window
        ("2024-11-03T00:00:00-04:00", True),   # hour 0
        ("2024-11-03T01:30:00-04:00", True),   # 01:30 EDT ...
        ("2024-11-03T01:30:00-05:00", False),  # ... and 01:30 EST an hour later: both hour 1
        ("2024-11-03T23:59:59-05:00", False),  # hour 23 (04:59:59 UTC on the 4th)
        ("2024-11-04T00:00:00-05:00", True),   # the day after
        ("2024-03-10T03:30:00-04:00", True),   # spring forward: 02:xx never happens; 03:30 is hour 3
    ])
    body = _get(client, headers, "/stats/hourly?from=2024-11-03&to=2024-11-03")
    assert body["days"] == 1
    hours = {row["hour"]: (row["calls"], row["answered"], row["missed"]) for row in body["hours"] if row["calls"]}
    assert hours == {0: (1, 1, 0), 1: (2, 1, 1), 23: (1, 0, 1)}
    spring = _get(client, headers, "/stats/hourly?from=10.03.2024&to=10.03.2024")["hours"]
    assert [row["hour"] for row in spring if row["calls"]] == [3]
    assert len(spring) == 24 and spring[2]["calls"] == 0


# --- monthly ---------------------------------------------------------------------------------------

def test_monthly_gives_twelve_local_months_with_scores_on_the_organizations_scale(client, new_york_org, db,
                                                                                 make_user, auth_headers):
    headers, organization = new_york_org
    employee = make_user("EMPLOYEE", organization=organization, ext_code="201")
    _place(db, organization, [
        ("2023-12-31T23:59:59-05:00", True),   # 2023
        ("2024-01-01T00:00:00-05:00", True),   # January (05:00 UTC)
        ("2024-01-31T23:59:59-05:00", False),  # January, though February in UTC
        ("2024-02-01T00:00:00-05:00", True),   # February
        ("2024-02-29T12:00:00-05:00", True),   # February (leap day)
        ("2024-07-15T12:00:00-04:00", False),  # July (EDT)
        ("2024-12-31T23:59:59-05:00", True),   # December
        ("2025-01-01T00:00:00-05:00", True),   # 2025
    ])
    scores = [("2024-01-31T23:00:00-05:00", 8.0, 10, 2), ("2024-02-01T00:30:00-05:00", 60.0, 100, 0),
              ("2024-02-10T10:00:00-05:00", 9.0, 10, 1), ("2024-12-31T23:59:00-05:00", 3.0, None, 0)]
    for number, (moment, score, score_max, violations) in enumerate(scores):
        call = Call(organization_id=organization.id, employee_id=employee.id, external_id=f"scored.{number}",
                    direction="incoming", status="answered", started_at=datetime.fromisoformat(moment), raw={},
                    ai_status="done", overall_score=score, score_max=score_max)
        db.add(call)
        db.flush()
        db.add_all(Violation(call_id=call.id, position=n, description="interrupted") for n in range(violations))
    db.commit()

    body = _get(client, headers, "/stats/monthly?year=2024")
    assert (body["year"], body["from"], body["to"], body["maxScore"]) == (2024, "2024-01-01", "2024-12-31", 10)
    months = {row["month"]: row for row in body["months"]}
    assert list(months) == [f"2024-{month:02d}" for month in range(1, 13)]
    assert [(row["calls"], row["answered"], row["missed"]) for row in body["months"]] == \
        [(2, 1, 1), (2, 2, 0)] + [(0, 0, 0)] * 4 + [(1, 0, 1)] + [(0, 0, 0)] * 4 + [(1, 1, 0)]
    assert months["2024-01"]["talkTimeS"] == 60 and months["2024-03"]["talkTimeS"] == 0
    # 60/100 is 6.0 on a scale of 10; a call without score_max counts as on the organization's scale.
    assert (months["2024-01"]["scoredCalls"], months["2024-01"]["avgScore"], months["2024-01"]["violations"]) == \
        (1, 8.0, 2)
    assert (months["2024-02"]["scoredCalls"], months["2024-02"]["avgScore"], months["2024-02"]["violations"]) == \
        (2, round(mean([6.0, 9.0]), 2), 1)
    assert months["2024-12"]["avgScore"] == 3.0
    assert months["2024-05"] == {"month": "2024-05", "calls": 0, "answered": 0, "missed": 0, "talkTimeS": 0,
                                 "scoredCalls": 0, "avgScore": None, "violations": 0}

    organization.scoring_mode = "HUNDRED"
    db.commit()
    hundred = _get(client, headers, "/stats/monthly?year=2024")
    assert hundred["maxScore"] == 100 and hundred["months"][1]["avgScore"] == round(mean([60.0, 90.0]), 2)

    lines = _csv_rows(client, headers, "/stats/monthly.csv?year=2024")
    assert lines[0][:2] == ["Month", "Calls"] and [line[0] for line in lines[1:]] == list(months)
    assert lines[2][6] == str(hundred["months"][1]["avgScore"]) and lines[5][6] == ""

    employee_headers = auth_headers(user=employee)
    mine = _get(client, employee_headers, "/stats/monthly?year=2024")
    assert mine["employeeId"] == employee.id
    assert [row["scoredCalls"] for row in mine["months"]][:2] == [1, 2]  # their scored calls
    assert sum(row["calls"] for row in mine["months"]) == 0  # the placed log rows are nobody's

    this_year = _get(client, headers, "/stats/monthly")
    assert this_year["year"] == datetime.now(UTC).astimezone(NEW_YORK).year and len(this_year["months"]) == 12


def test_monthly_on_the_simulators_calls_adds_up_to_the_years_overview(client, synced):
    headers, _organization, truth, _users, _criteria = synced
    year = local_time(truth[0]).year
    months = _get(client, headers, f"/stats/monthly?year={year}")["months"]
    overview = _get(client, headers, f"/stats/overview?from={year}-01-01&to={year}-12-31")
    for field in ("calls", "answered", "missed", "talkTimeS", "scoredCalls", "violations"):
        assert sum(row[field] for row in months) == overview[field], field
    by_month = Counter(f"{local_time(call):%Y-%m}" for call in truth)
    assert {row["month"]: row["calls"] for row in months if row["calls"]} == dict(by_month)
    scored_by_month = Counter(f"{local_time(call):%Y-%m}" for call in scored(truth))
    assert {row["month"]: row["scoredCalls"] for row in months if row["scoredCalls"]} == dict(scored_by_month)


@pytest.mark.parametrize("query, field", [
    ("year=1899", "year"), ("year=9001", "year"), ("year=abc", "year"), ("year=2024.5", "year"),
    ("year=2024&from=2024-01-01", "from"), ("year=2024&employeeId=0", "employeeId"),
])
def test_bad_monthly_input_is_a_400_naming_the_field(client, auth_headers, query, field):
    headers = auth_headers("ADMIN")
    for path in ("/stats/monthly", "/stats/monthly.csv", "/stats/monthly.xlsx"):
        response = client.get(f"{path}?{query}", headers=headers)
        assert response.status_code == 400, (path, query)
        assert field in response.get_json()["errors"], (path, response.get_json())


def test_a_manager_sees_the_organization_and_a_superadmin_names_it(client, new_york_org, db, auth_headers):
    headers, organization = new_york_org
    _place(db, organization, [("2024-06-01T12:00:00-04:00", True), ("2024-06-01T12:30:00-04:00", False)])
    manager = auth_headers("MANAGER", organization=organization)
    superadmin = auth_headers("SUPERADMIN")
    for caller, scope in ((headers, ""), (manager, ""), (superadmin, f"&organizationId={organization.id}")):
        months = _get(client, caller, f"/stats/monthly?year=2024{scope}")["months"]
        assert months[5]["calls"] == 2
        hours = _get(client, caller, f"/stats/hourly?from=2024-06-01&to=2024-06-01{scope}")["hours"]
        assert (hours[12]["answered"], hours[12]["missed"]) == (1, 1)
    stranger = auth_headers("ADMIN")  # another organization's admin sees none of it
    assert _get(client, stranger, "/stats/monthly?year=2024")["months"][5]["calls"] == 0
