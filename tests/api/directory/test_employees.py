"""`GET /employees` and `/employees/<id>`: one row per position, the filters employees have, every
position of a person, and tenant isolation."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.api.directory.conftest import get_json, walk
from tests.api.directory.seed import listed_order


EVENING = datetime(2025, 3, 1, 20, tzinfo=timezone.utc)


def _ids(items: list[dict]) -> list[int]:
    return [item["id"] for item in items]


def test_each_organization_lists_only_its_own_employees(client, world):
    for tenant in (world.a, world.b):
        listed = walk(client, "/employees?active=all&limit=4", tenant.headers, "employees")
        assert _ids(listed) == listed_order(tenant.rows["employees"])


@pytest.mark.parametrize(("query", "wanted"), [
    ("", lambda row: row["is_active"]),
    ("active=false", lambda row: not row["is_active"]),
    ("status=12", lambda row: row["is_active"] and row["employee_status_code"] == "12"),
    ("departmentId=9&active=all", lambda row: row["department_id"] == "9"),
    ("search=KARIMOV", lambda row: row["is_active"] and "karimov" in row["full_name"].lower()),
    ("search=9000000004&active=all", lambda row: row["employee_id_number"] == "9000000004"),
    ("updatedSince=2025-03-01T20:00:00Z", lambda row: row["is_active"] and row["synced_at"] >= EVENING),
])
def test_each_filter_selects_what_it_says(client, world, query, wanted):
    expected = listed_order([row for row in world.a.rows["employees"] if wanted(row)])
    assert expected or "search" not in query
    assert _ids(walk(client, f"/employees?limit=5&{query}", world.a.headers, "employees")) == expected


@pytest.mark.parametrize("query", ["groupId=71", "course=1", "educationForm=11", "specialtyId=s7"])
def test_the_student_only_filters_are_not_employees(client, world, query):
    assert query.partition("=")[0] in get_json(client, f"/employees?{query}", world.a.headers, status=400)["errors"]


def test_one_employee_with_every_position_of_the_person(client, world):
    second = next(row for row in world.a.rows["employees"] if row["meta_id"] == "e5")  # row 4's person too
    body = get_json(client, f"/employees/{second['id']}", world.a.headers)
    assert body["employee"]["id"] == second["id"] and body["employee"]["staffPositionName"] == "Dotsent"
    assert sorted(_ids(body["positions"])) == sorted(row["id"] for row in world.a.rows["employees"]
                                                     if row["hemis_id"] == second["hemis_id"])
    assert len(body["positions"]) == 2
    theirs = world.b.rows["employees"][0]["id"]
    get_json(client, f"/employees/{theirs}", world.a.headers, status=404)


def test_an_employee_may_not_read_the_employees(client, world, make_user, auth_headers, db):
    from shared.models import Organization

    employee = auth_headers(user=make_user("EMPLOYEE", organization=db.get(Organization, world.a.organization_id)))
    for path in ("/employees", "/employees.csv", "/employees.xlsx", f"/employees/{world.a.rows['employees'][0]['id']}"):
        assert client.get(path, headers=employee).status_code == 403
