"""`departmentId` and `branchId` on every `/stats/*` route and download and on `GET /calls`;
`/stats/departments`; a MANAGER limited to a department sees only it. The call log of `team_world`
(conftest) is the truth: North/Sales (201, 202) has 6 calls, North/Support (203) 3, South/Sales
(204) 2, the employee in no department (205) 1, nobody 1."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from tests.api.teams.conftest import NOW

STATS_ROUTES = ("/stats/overview", "/stats/employees", "/stats/employees.csv", "/stats/employees.xlsx",
                "/stats/departments", "/stats/departments.csv", "/stats/departments.xlsx", "/stats/daily",
                "/stats/criteria", "/stats/monthly", "/stats/monthly.csv", "/stats/monthly.xlsx", "/stats/hourly",
                "/stats/hourly.csv", "/stats/hourly.xlsx")


def _json(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _calls(client, headers, query: str = "") -> int:  # type: ignore[no-untyped-def]
    return _json(client.get(f"/calls?{query}", headers=headers))["total"]


def _employee_ids(client, headers, query: str = "") -> list[int]:  # type: ignore[no-untyped-def]
    return [row["employeeId"] for row in _json(client.get(f"/stats/employees?{query}", headers=headers))["employees"]]


def test_stats_and_calls_of_a_department_and_of_a_branch(client, team_world):
    headers, departments = team_world.admin_headers, team_world.departments
    ids = {ext: user.id for ext, user in team_world.employees.items()}
    sales = departments["north-sales"].id
    north, south = team_world.branches["north"].id, team_world.branches["south"].id

    overview = _json(client.get(f"/stats/overview?departmentId={sales}", headers=headers))
    assert (overview["calls"], overview["answered"], overview["missed"], overview["talkTimeS"]) == (6, 5, 1, 300)
    assert (overview["scoredCalls"], overview["avgScore"], overview["departmentId"]) == (3, 8.0, sales)
    assert _json(client.get(f"/stats/overview?branchId={north}", headers=headers))["calls"] == 9
    assert _json(client.get(f"/stats/overview?branchId={south}", headers=headers))["calls"] == 2
    assert _json(client.get("/stats/overview", headers=headers))["calls"] == 13
    # Both: the department if it is in the branch, else nothing.
    assert _json(client.get(f"/stats/overview?branchId={south}&departmentId={sales}", headers=headers))["calls"] == 0

    assert _employee_ids(client, headers, f"departmentId={sales}") == [ids["201"], ids["202"]]
    assert sorted(_employee_ids(client, headers, f"branchId={north}")) == [ids["201"], ids["202"], ids["203"]]
    assert sum(day["calls"] for day in _json(client.get(f"/stats/daily?departmentId={sales}",
                                                        headers=headers))["days"]) == 6
    assert sum(hour["missed"] for hour in _json(client.get(f"/stats/hourly?branchId={north}",
                                                           headers=headers))["hours"]) == 3
    year = (NOW - timedelta(days=1)).year  # the calls were made a day ago (UTC, the organization's zone)
    assert sum(month["calls"] for month in _json(client.get(f"/stats/monthly?year={year}&departmentId={sales}",
                                                            headers=headers))["months"]) == 6

    assert (_calls(client, headers, f"departmentId={sales}"), _calls(client, headers, f"branchId={north}"),
            _calls(client, headers, f"branchId={south}"), _calls(client, headers)) == (6, 9, 2, 13)
    assert _calls(client, headers, f"departmentId={sales}&status=missed") == 1


def test_every_stats_route_and_download_takes_the_filters(client, team_world):
    headers = team_world.admin_headers
    sales, north = team_world.departments["north-sales"].id, team_world.branches["north"].id
    for route in STATS_ROUTES:
        for query in (f"departmentId={sales}", f"branchId={north}"):
            response = client.get(f"{route}?{query}", headers=headers)
            assert response.status_code == 200, (route, query, response.data[:300])
    rows = list(csv.reader(io.StringIO(client.get(f"/stats/employees.csv?departmentId={sales}",
                                                  headers=headers).data.decode("utf-8-sig"))))
    assert len(rows) == 3  # the header and 201, 202
    sheet = load_workbook(io.BytesIO(client.get(f"/stats/departments.xlsx?branchId={north}",
                                                headers=headers).data)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Sales", "Support"]


def test_the_departments_table_adds_up_the_employees_table(client, team_world):
    headers, departments = team_world.admin_headers, team_world.departments
    table = _json(client.get("/stats/departments", headers=headers))
    rows = {row["departmentId"]: row for row in table["departments"]}
    sales = rows[departments["north-sales"].id]
    assert (sales["name"], sales["branchName"], sales["employees"]) == ("Sales", "North", 2)
    assert (sales["calls"], sales["answered"], sales["missed"], sales["talkTimeS"]) == (6, 5, 1, 300)
    assert (sales["scoredCalls"], sales["avgScore"], sales["bestScore"], sales["worstScore"]) == (3, 8.0, 10.0, 6.0)
    support, south = rows[departments["north-support"].id], rows[departments["south-sales"].id]
    assert (support["calls"], support["missed"], support["scoredCalls"], support["avgScore"]) == (3, 2, 0, None)
    assert (south["calls"], south["avgScore"]) == (2, 4.0)
    assert (rows[None]["name"], rows[None]["calls"]) == ("No department", 1)  # 205's call
    assert [row["departmentId"] for row in table["departments"]][-1] is None
    # The employees table's figures, added up per department, are the department's.
    employees = _json(client.get("/stats/employees", headers=headers))["employees"]
    for ext in ("201", "202"):
        assert any(row["employeeId"] == team_world.employees[ext].id for row in employees)
    assert sum(row["calls"] for row in employees if row["employeeId"] in
               {team_world.employees["201"].id, team_world.employees["202"].id}) == sales["calls"]
    by_calls = _json(client.get("/stats/departments?sort=calls", headers=headers))["departments"]
    assert [row["calls"] for row in by_calls[:3]] == [6, 3, 2]


def test_a_manager_limited_to_a_department_sees_only_it(client, auth_headers, make_user, team_world):
    support = team_world.departments["north-support"]
    manager = make_user("MANAGER", organization=team_world.organization)
    admin = team_world.admin_headers
    assert client.patch(f"/users/{manager.id}", json={"managedDepartmentId": support.id},
                        headers=admin).status_code == 200
    headers = auth_headers(user=manager)
    only = team_world.employees["203"].id

    assert _employee_ids(client, headers) == [only]
    assert _json(client.get("/stats/overview", headers=headers))["calls"] == 3
    assert [row["departmentId"] for row in _json(client.get("/stats/departments", headers=headers))["departments"]] \
        == [support.id]
    assert _calls(client, headers) == 3
    assert {call["employeeId"] for call in _json(client.get("/calls?limit=100", headers=headers))["calls"]} == {only}
    assert [user["id"] for user in _json(client.get("/users", headers=headers))["users"]] == [only]
    assert [d["id"] for d in _json(client.get("/departments", headers=headers))["departments"]] == [support.id]
    assert [b["id"] for b in _json(client.get("/branches", headers=headers))["branches"]] == [support.branch_id]
    # Asking for another department is refused; asking for their own (or its branch) is fine.
    other = team_world.departments["north-sales"].id
    for path in (f"/stats/overview?departmentId={other}", f"/calls?departmentId={other}",
                 f"/stats/employees?branchId={team_world.branches['south'].id}"):
        assert client.get(path, headers=headers).status_code == 403, path
    assert _calls(client, headers, f"departmentId={support.id}") == 3
    assert _calls(client, headers, f"branchId={support.branch_id}") == 3

    # Lifted, the manager sees the whole organization again (read on every request).
    assert client.patch(f"/users/{manager.id}", json={"managedDepartmentId": None}, headers=admin).status_code == 200
    assert _calls(client, headers) == 13


@pytest.mark.parametrize("route", ["/stats/overview", "/stats/employees.csv", "/stats/monthly", "/calls",
                                   "/calls.csv", "/stats/departments"])
def test_bad_and_foreign_team_ids_are_400_naming_the_parameter(client, auth_headers, team_world, route):
    stranger = auth_headers("ADMIN")
    for query, field in ((f"departmentId={team_world.departments['north-sales'].id}", "departmentId"),
                         (f"branchId={team_world.branches['north'].id}", "branchId"),
                         ("departmentId=abc", "departmentId"), ("branchId=0", "branchId"),
                         (f"departmentId={2**40}", "departmentId")):
        response = client.get(f"{route}?{query}", headers=stranger)
        assert response.status_code == 400, (route, query, response.status_code)
        assert field in response.get_json()["errors"], (route, query)


def test_a_limited_manager_opens_only_the_stored_calls_of_their_department(client, auth_headers, make_user, db,
                                                                          team_world):
    from sqlalchemy import select

    from shared.models import Call

    manager = make_user("MANAGER", organization=team_world.organization)
    admin = team_world.admin_headers
    headers = auth_headers(user=manager)
    by_employee = {call.employee_id: call.id for call in db.scalars(select(Call))}
    in_sales, in_south = by_employee[team_world.employees["201"].id], by_employee[team_world.employees["204"].id]
    assert client.get(f"/calls/{in_south}", headers=headers).status_code == 200  # not limited yet

    client.patch(f"/users/{manager.id}", json={"managedDepartmentId": team_world.departments["north-sales"].id},
                 headers=admin)
    assert client.get(f"/calls/{in_sales}", headers=headers).status_code == 200
    assert client.get(f"/calls/{in_south}", headers=headers).status_code == 404
    assert client.get(f"/calls/{in_south}/recording", headers=headers).status_code == 404
