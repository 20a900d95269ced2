"""`/stats/*` against figures the test computes itself from the simulator's calls (`sim_data`:
step 1 for real, scored calls the test chooses)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from statistics import mean

import pytest
from openpyxl import load_workbook

from tests.api.stats.sim_data import SIM_TZ
from tests.api.stats.sim_data import criterion_scores as _criterion_scores
from tests.api.stats.sim_data import local_day as _local_day
from tests.api.stats.sim_data import score_of as _score_of
from tests.api.stats.sim_data import scored as _scored
from tests.api.stats.sim_data import violations_of as _violations_of
from tests.support.sipuni import EMPLOYEE_EXTS


def _days(truth: list[dict], offset_h: int) -> list[date]:
    return sorted({_local_day(call, offset_h) for call in truth})


def _expected_employees(truth: list[dict], users: dict, day: date, offset_h: int) -> dict[int, dict]:
    rows: dict[int, dict] = {}
    for call in truth:
        if call["employee_ext"] not in EMPLOYEE_EXTS or _local_day(call, offset_h) != day:
            continue
        row = rows.setdefault(users[call["employee_ext"]].id, defaultdict(int, scores=[], violations=0))
        row["calls"] += 1
        row["answered" if call["answered"] else "missed"] += 1
        row["talkTimeS"] += call["talk_s"] or 0
        if call["answered"]:
            row["scores"].append(_score_of(call) * 10)  # the organization scores out of 100
            row["violations"] += _violations_of(call)
    return rows


def _get(client, headers, path):
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_figures_match_the_simulators_calls_in_the_organizations_time_zone(client, synced, db):
    headers, organization, truth, users, criteria = synced
    days = _days(truth, 5)
    assert len(days) >= 2
    # A day with calls both before and after 05:00 local: UTC and local days differ there.
    day = next(d for d in days if any(_local_day(c, 5) == d and _local_day(c, 0) != d for c in truth)
               and any(_local_day(c, 5) == d and _local_day(c, 0) == d for c in truth))
    query = f"from={day:%d.%m.%Y}&to={day.isoformat()}"
    in_day = [call for call in truth if _local_day(call, 5) == day]
    scored = [call for call in _scored(in_day)]

    overview = _get(client, headers, f"/stats/overview?{query}")
    assert (overview["from"], overview["to"], overview["timeZone"], overview["maxScore"]) == \
        (day.isoformat(), day.isoformat(), SIM_TZ, 100)
    answered = [call for call in in_day if call["answered"]]
    assert overview["calls"] == len(in_day)
    assert (overview["answered"], overview["missed"]) == (len(answered), len(in_day) - len(answered))
    assert overview["incoming"] == sum(call["direction"] == "incoming" for call in in_day)
    assert overview["outgoing"] == sum(call["direction"] == "outgoing" for call in in_day)
    assert overview["talkTimeS"] == sum(call["talk_s"] or 0 for call in in_day)
    assert overview["avgTalkTimeS"] == round(mean(call["talk_s"] for call in answered), 1)
    assert overview["scoredCalls"] == len(scored)
    assert overview["avgScore"] == round(mean(_score_of(call) * 10 for call in scored), 2)
    assert overview["violations"] == sum(_violations_of(call) for call in scored)

    expected = _expected_employees(truth, users, day, 5)
    body = _get(client, headers, f"/stats/employees?{query}&sort=missed")
    rows = {row["employeeId"]: row for row in body["employees"]}
    assert set(rows) == {user.id for user in users.values() if user.ext_code}  # idle employees too
    for employee_id, row in rows.items():
        want = expected.get(employee_id, defaultdict(int, scores=[], violations=0))
        assert (row["calls"], row["answered"], row["missed"], row["talkTimeS"]) == \
            (want["calls"], want["answered"], want["missed"], want["talkTimeS"]), row
        assert row["scoredCalls"] == len(want["scores"]) and row["violations"] == want["violations"]
        assert row["avgScore"] == (round(mean(want["scores"]), 2) if want["scores"] else None)
        assert row["bestScore"] == (max(want["scores"]) if want["scores"] else None)
        assert row["worstScore"] == (min(want["scores"]) if want["scores"] else None)
    assert [row["missed"] for row in body["employees"]] == sorted((r["missed"] for r in rows.values()), reverse=True)

    criteria_body = _get(client, headers, f"/stats/criteria?{query}")["criteria"]
    assert [(c["criterionId"], c["name"], c["weight"], c["scoredCalls"]) for c in criteria_body] == \
        [(criteria[0].id, "Greeting", 1.0, len(scored)), (criteria[1].id, "Solution", 2.0, len(scored))]
    for index, item in enumerate(criteria_body):
        assert item["avgScore"] == round(mean(_criterion_scores(c)[index] * 10 for c in scored), 2)

    # The same day in UTC is another set of calls: the window follows the organization's zone.
    organization.time_zone = "UTC"
    db.commit()
    utc_overview = _get(client, headers, f"/stats/overview?{query}")
    assert utc_overview["calls"] == sum(_local_day(call, 0) == day for call in truth) != overview["calls"]


def test_daily_rows_cover_every_day_and_an_employee_sees_only_their_own(client, synced, auth_headers):
    headers, organization, truth, users, _criteria = synced
    days = _days(truth, 5)
    query = f"from={days[0]:%d.%m.%Y}&to={days[-1] + timedelta(days=1):%d.%m.%Y}"
    body = _get(client, headers, f"/stats/daily?{query}")
    assert [row["date"] for row in body["days"]] == [d.isoformat() for d in days + [days[-1] + timedelta(days=1)]]
    for row in body["days"]:
        in_day = [call for call in truth if _local_day(call, 5).isoformat() == row["date"]]
        scored = _scored(in_day)
        assert row["calls"] == len(in_day) and row["missed"] == sum(not c["answered"] for c in in_day)
        assert row["talkTimeS"] == sum(call["talk_s"] or 0 for call in in_day)
        assert row["avgScore"] == (round(mean(_score_of(c) * 10 for c in scored), 2) if scored else None)
    assert body["days"][-1]["calls"] == 0 and body["days"][-1]["avgScore"] is None

    busiest_ext = max(EMPLOYEE_EXTS, key=lambda ext: sum(call["employee_ext"] == ext for call in truth))
    employee = users[busiest_ext]
    employee_headers = auth_headers(user=employee)
    mine = _get(client, employee_headers, f"/stats/daily?{query}")
    assert mine["employeeId"] == employee.id
    mine_in_log = [call for call in truth if call["employee_ext"] == busiest_ext]
    assert sum(row["calls"] for row in mine["days"]) == len(mine_in_log) > 0
    as_admin = _get(client, headers, f"/stats/daily?{query}&employeeId={employee.id}")
    assert as_admin["days"] == mine["days"]
    own_rows = _get(client, employee_headers, f"/stats/employees?{query}")["employees"]
    assert [row["employeeId"] for row in own_rows] == [employee.id]
    overview = _get(client, employee_headers, f"/stats/overview?{query}")
    assert overview["calls"] == own_rows[0]["calls"] and overview["scoredCalls"] == own_rows[0]["scoredCalls"]
    other = next(user for ext, user in users.items() if ext and user.id != employee.id)
    denied = client.get(f"/stats/daily?employeeId={other.id}", headers=employee_headers)
    assert denied.status_code == 403 and denied.get_json()["success"] is False


def test_employees_downloads_hold_the_same_rows(client, synced):
    headers, _organization, truth, _users, _criteria = synced
    days = _days(truth, 5)
    query = f"from={days[0].isoformat()}&to={days[-1].isoformat()}&sort=avgScore"
    rows = _get(client, headers, f"/stats/employees?{query}")["employees"]
    assert any(row["avgScore"] is not None for row in rows)

    response = client.get(f"/stats/employees.xlsx?{query}", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][:3] == ("Employee ID", "Name", "Extension") and sheet["A1"].font.bold
    assert sheet.column_dimensions["B"].width >= 20 and sheet.freeze_panes == "A2"
    assert [(r[0], r[3], r[5], r[6], r[8]) for r in table[1:]] == \
        [(r["employeeId"], r["calls"], r["missed"], r["talkTimeS"], r["avgScore"]) for r in rows]
    scored_cell = next(row[8] for row in sheet.iter_rows(min_row=2) if row[8].value is not None)
    assert scored_cell.number_format == "0.00"

    download = client.get(f"/stats/employees.csv?{query}", headers=headers)
    assert download.status_code == 200 and download.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert lines[0][0] == "Employee ID" and len(lines) == len(rows) + 1
    assert [int(line[0]) for line in lines[1:]] == [row["employeeId"] for row in rows]


@pytest.mark.parametrize("query, field", [
    ("from=32.01.2025", "from"), ("to=2025-13-01", "to"), ("from=yesterday", "from"),
    ("from=05.10.2025&to=04.10.2025", "from"),
])
def test_bad_dates_are_a_400_that_names_the_field(client, auth_headers, query, field):
    headers = auth_headers("ADMIN")
    for path in ("/stats/overview", "/stats/employees", "/stats/daily", "/stats/criteria", "/stats/employees.xlsx"):
        response = client.get(f"{path}?{query}", headers=headers)
        assert response.status_code == 400, path
        body = response.get_json()
        assert body["success"] is False and field in body["errors"]


def test_default_window_is_the_last_30_days_and_empty_figures_are_zero(client, auth_headers, db):
    admin_headers = auth_headers("ADMIN")
    body = _get(client, admin_headers, "/stats/overview")
    first, last = date.fromisoformat(body["from"]), date.fromisoformat(body["to"])
    assert (last - first).days == 29 and last == datetime.now(timezone.utc).date()
    assert (body["calls"], body["scoredCalls"], body["avgScore"], body["avgTalkTimeS"]) == (0, 0, None, None)
    assert len(_get(client, admin_headers, "/stats/daily")["days"]) == 30
    bad_sort = client.get("/stats/employees?sort=name", headers=admin_headers)
    assert bad_sort.status_code == 400 and "sort" in bad_sort.get_json()["errors"]
