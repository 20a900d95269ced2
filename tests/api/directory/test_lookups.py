"""`GET /hemis/departments|groups|specialties|semesters`: each organization's lookup rows, their
filters and parent links, in name order over several pages."""

from __future__ import annotations

import pytest

from tests.api.directory.conftest import get_json, walk
from tests.api.directory.seed import listed_order

TABLES = {"departments": "hemis_departments", "groups": "hemis_groups", "specialties": "hemis_specialties",
          "semesters": "hemis_semesters"}


@pytest.mark.parametrize("key", list(TABLES))
def test_each_organization_reads_only_its_own_lists(client, world, key):
    for tenant in (world.a, world.b):
        listed = walk(client, f"/hemis/{key}?active=all&limit=2", tenant.headers, key)
        rows = tenant.rows[TABLES[key]]
        assert [item["id"] for item in listed] == listed_order(rows, name="name")
        assert {item["hemisId"] for item in listed} == {row["hemis_id"] for row in rows}


@pytest.mark.parametrize(("key", "query", "wanted"), [
    ("departments", "", lambda row: row["is_active"]),
    ("departments", "active=false", lambda row: not row["is_active"]),
    ("departments", "active=all&structureType=11", lambda row: row["structure_type_code"] == "11"),
    ("departments", "active=all&parentId=8", lambda row: row.get("parent_id") == "8"),
    ("departments", "search=KAFEDRA%201", lambda row: row["name"] == "Kafedra 1" and row["is_active"]),
    ("departments", "search=F9", lambda row: row["code"] == "F9"),  # the exact code
    ("groups", "departmentId=8", lambda row: row["department_id"] == "8" and row["is_active"]),
    ("groups", "specialtyId=s7&active=all", lambda row: row["specialty_id"] == "s7"),
    ("specialties", "departmentId=9", lambda row: row["department_id"] == "9"),
    ("semesters", "curriculumId=c7", lambda row: row["curriculum_id"] == "c7"),
    ("semesters", "current=true", lambda row: row["current"]),
    ("semesters", "current=false&curriculumId=c8", lambda row: not row["current"] and row["curriculum_id"] == "c8"),
])
def test_each_filter_selects_what_it_says(client, world, key, query, wanted):
    expected = listed_order([row for row in world.a.rows[TABLES[key]] if wanted(row)], name="name")
    assert expected
    assert [item["id"] for item in walk(client, f"/hemis/{key}?limit=2&{query}", world.a.headers, key)] == expected


def test_an_item_carries_its_links(client, world):
    chair = next(row for row in world.a.rows["hemis_departments"] if row["hemis_id"] == "k4")
    item = next(item for item in walk(client, "/hemis/departments?active=all", world.a.headers, "departments")
                if item["id"] == chair["id"])
    assert (item["parentId"], item["structureTypeCode"], item["hemisActive"], item["isActive"]) == \
        (chair["parent_id"], "12", False, True)
    semester = get_json(client, "/hemis/semesters?current=true&curriculumId=c9", world.a.headers)["semesters"][0]
    assert (semester["current"], semester["startDate"], semester["curriculumId"]) == (True, "2024-09-01", "c9")


@pytest.mark.parametrize(("key", "query"), [
    ("departments", "groupId=1"), ("groups", "parentId=1"), ("semesters", "current=sometimes"),
    ("specialties", "limit=0"), ("groups", "cursor=%%%"), ("departments", "structureType=%3D1"),
])
def test_bad_input_is_a_400(client, world, key, query):
    assert get_json(client, f"/hemis/{key}?{query}", world.a.headers, status=400)["success"] is False


def test_an_employee_may_not_read_the_lists(client, world, make_user, auth_headers, db):
    from shared.models import Organization

    employee = auth_headers(user=make_user("EMPLOYEE", organization=db.get(Organization, world.a.organization_id)))
    assert client.get("/hemis/groups", headers=employee).status_code == 403
    superadmin = auth_headers("SUPERADMIN")
    listed = walk(client, f"/hemis/groups?active=all&organizationId={world.b.organization_id}", superadmin, "groups")
    assert [item["id"] for item in listed] == listed_order(world.b.rows["hemis_groups"], name="name")
