"""`GET /students` and `/students/<id>` on rows a sync would leave (`seed.py`), in two organizations
that use the same HEMIS ids: each filter against the rows the test selects itself, the cursor
over many pages, one person's enrolments, tenant isolation and the refusals."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert

from shared.models import Student
from tests.api.directory.conftest import STUDENTS_A, get_json, walk
from tests.api.directory.seed import SYNCED, listed_order, student_rows


def _ids(items: list[dict]) -> list[int]:
    return [item["id"] for item in items]


def _active(rows: list[dict]) -> list[dict]:
    return [row for row in rows if row["is_active"]]


def test_each_organization_lists_only_its_own_students(client, world):
    for tenant in (world.a, world.b):
        listed = walk(client, "/students?active=all&limit=500", tenant.headers, "students")
        assert _ids(listed) == listed_order(tenant.rows["students"])
    # the same HEMIS ids in both: nothing of one organization's rows is in the other's list
    assert {row["hemis_id"] for row in world.b.rows["students"]} <= {row["hemis_id"] for row in world.a.rows["students"]}


def test_the_default_is_the_active_students_in_name_order_unnamed_last(client, world):
    rows = world.a.rows["students"]
    listed = walk(client, "/students?limit=500", world.a.headers, "students")
    assert _ids(listed) == listed_order(_active(rows))
    assert listed[-1]["fullName"] is None and listed[0]["fullName"] is not None


def test_an_item_carries_the_row_in_the_apis_words(client, world):
    row = next(row for row in world.a.rows["students"] if row["level_code"] == "13" and row["is_active"])
    item = next(item for item in walk(client, "/students?limit=500", world.a.headers, "students")
                if item["id"] == row["id"])
    assert item == {**item, "hemisId": row["hemis_id"], "metaId": row["meta_id"], "fullName": row["full_name"],
                    "studentIdNumber": row["student_id_number"], "departmentId": row["department_id"],
                    "departmentName": row["department_name"], "groupName": row["group_name"],
                    "specialtyName": row["specialty_name"], "statusCode": row["status_code"],
                    "educationFormName": row["education_form_name"], "levelCode": "13", "course": 3,
                    "birthDate": row["birth_date"].isoformat(), "avgGpa": row["avg_gpa"], "isActive": True,
                    "syncedAt": row["synced_at"].isoformat()}
    assert "raw" not in item and "email" not in item  # the list is lean; one record shows more


@pytest.mark.parametrize(("query", "wanted"), [
    ("status=12", lambda row: row["status_code"] == "12"),
    ("departmentId=8", lambda row: row["department_id"] == "8"),
    ("groupId=71", lambda row: row["group_id"] == "71"),
    ("specialtyId=s9", lambda row: row["specialty_id"] == "s9"),
    ("course=2", lambda row: row["level_code"] == "12"),
    ("course=14", lambda row: row["level_code"] == "14"),  # a level code as HEMIS spells it
    ("educationForm=13", lambda row: row["education_form_code"] == "13"),
    ("search=karimov", lambda row: "karimov" in (row["full_name"] or "").lower()),  # Karimov and Karimova
    ("search=%D0%B0%D0%BB%D0%B8%D0%B5%D0%B2", lambda row: "Алиев" in (row["full_name"] or "")),  # алиев
    ("search=_x%25", lambda row: "_x%" in (row["full_name"] or "")),  # % and _ are literal
    ("search=Ka", lambda row: "ka" in (row["full_name"] or "").lower()),  # too short for trigrams: walked
    ("search=%D1%8E", lambda row: "ю" in (row["full_name"] or "").lower()),  # ю
    ("search=%20%2B%20", lambda row: False),  # " + ": nothing is named so
    ("updatedSince=2025-03-03", lambda row: row["synced_at"] >= datetime(2025, 3, 3, tzinfo=timezone.utc)),
    ("updatedSince=2025-03-02T10:30:00%2B05:00",
     lambda row: row["synced_at"] >= datetime(2025, 3, 2, 5, 30, tzinfo=timezone.utc)),
    ("departmentId=7&course=1&educationForm=11&status=11", lambda row: (
        row["department_id"], row["level_code"], row["education_form_code"], row["status_code"]) == ("7", "11", "11", "11")),
    ("departmentId=unknown", lambda row: False),
    ("status=&groupId=", lambda row: True),  # empty is absent
])
def test_each_filter_selects_what_it_says(client, world, query, wanted):
    expected = listed_order([row for row in _active(world.a.rows["students"]) if wanted(row)])
    assert _ids(walk(client, f"/students?limit=9&{query}", world.a.headers, "students")) == expected


def test_active_false_and_all(client, world):
    rows = world.a.rows["students"]
    inactive = walk(client, "/students?active=false", world.a.headers, "students")
    assert _ids(inactive) == listed_order([row for row in rows if not row["is_active"]]) and inactive
    assert all(item["isActive"] is False for item in inactive)


def test_search_with_a_digit_is_the_exact_id_number_of_every_enrolment(client, world):
    twice = next(row for row in world.a.rows["students"] if row["meta_id"] == "m21")  # the person of row 20 too
    found = walk(client, f"/students?active=all&search={twice['student_id_number']}", world.a.headers, "students")
    assert sorted(_ids(found)) == sorted(row["id"] for row in world.a.rows["students"]
                                         if row["hemis_id"] == twice["hemis_id"]) and len(found) == 2
    partial = twice["student_id_number"][:-1]
    assert walk(client, f"/students?active=all&search={partial}", world.a.headers, "students") == []


def test_the_cursor_walks_every_row_once_in_order(client, world):
    expected = listed_order(world.a.rows["students"])
    for limit in (1, 7, 50):
        assert _ids(walk(client, f"/students?active=all&limit={limit}", world.a.headers, "students")) == expected


def test_rows_added_while_paging_cause_no_gap_and_no_repeat(client, world, db):
    first = get_json(client, "/students?active=all&limit=40", world.a.headers)
    last_name = first["students"][-1]["fullName"]
    extra = student_rows(world.a.organization_id, 2)
    extra[0].update(enrolment_key="new-before", full_name="A first of all")  # before the cursor: not seen now
    extra[1].update(enrolment_key="new-after", full_name=last_name + " later")  # after it: seen once
    new_ids = list(db.scalars(insert(Student).returning(Student.id, sort_by_parameter_order=True), extra))
    db.commit()
    rest = walk(client, "/students?active=all&limit=40", world.a.headers, "students", cursor=first["nextCursor"])
    seen = _ids(first["students"]) + _ids(rest)
    assert len(seen) == len(set(seen))
    assert set(seen) == {row["id"] for row in world.a.rows["students"]} | {new_ids[1]}


def test_one_student_with_every_enrolment_of_the_person(client, world):
    second = next(row for row in world.a.rows["students"] if row["meta_id"] == "m11")
    body = get_json(client, f"/students/{second['id']}", world.a.headers)
    assert body["student"]["id"] == second["id"] and body["student"]["enrolmentKey"] == "m11"
    assert "email" in body["student"] and "phone" in body["student"]
    same_person = [row for row in world.a.rows["students"] if row["hemis_id"] == second["hemis_id"]]
    assert len(same_person) == 2
    assert sorted(_ids(body["enrolments"])) == sorted(row["id"] for row in same_person)
    # organization B has a person with the same HEMIS id: not one of A's enrolments
    assert any(row["hemis_id"] == second["hemis_id"] for row in world.b.rows["students"])


def test_inactive_enrolments_are_listed_after_the_active_ones(client, world):
    inactive_first = next(row for row in world.a.rows["students"] if row["meta_id"] == "m70")  # 70 % 7 == 0
    body = get_json(client, f"/students/{inactive_first['id']}", world.a.headers)
    assert [item["isActive"] for item in body["enrolments"]] == [True, False]


def test_another_organizations_student_is_not_found(client, world):
    theirs = world.b.rows["students"][0]["id"]
    body = get_json(client, f"/students/{theirs}", world.a.headers, status=404)
    assert body["success"] is False and "not found" in body["message"]
    assert get_json(client, f"/students/{2**31}", world.a.headers, status=404)["success"] is False
    assert get_json(client, "/students/999999", world.a.headers, status=404)["success"] is False


def test_who_may_read(client, world, make_user, auth_headers, db):
    from shared.models import Organization

    organization = db.get(Organization, world.a.organization_id)
    manager = auth_headers(user=make_user("MANAGER", organization=organization))
    assert len(get_json(client, "/students?limit=500", manager)["students"]) == len(_active(world.a.rows["students"]))
    employee = auth_headers(user=make_user("EMPLOYEE", organization=organization))
    for path in ("/students", "/students.csv", "/students.xlsx", f"/students/{world.a.rows['students'][1]['id']}"):
        assert client.get(path, headers=employee).status_code == 403
    assert client.get("/students").status_code == 401

    superadmin = auth_headers("SUPERADMIN")
    listed = walk(client, f"/students?organizationId={world.b.organization_id}&active=all", superadmin, "students")
    assert _ids(listed) == listed_order(world.b.rows["students"])
    theirs = world.b.rows["students"][3]["id"]
    assert get_json(client, f"/students/{theirs}?organizationId={world.b.organization_id}", superadmin)["student"]
    get_json(client, f"/students/{theirs}?organizationId={world.a.organization_id}", superadmin, status=404)
    get_json(client, "/students", superadmin, status=400)  # a SUPERADMIN names the organization
    get_json(client, "/students?organizationId=99999", superadmin, status=404)
    # anyone else's organizationId is ignored: they read their own
    assert _ids(walk(client, f"/students?organizationId={world.b.organization_id}", world.a.headers, "students")) \
        == listed_order(_active(world.a.rows["students"]))


def _forged(payload: object) -> str:
    """A cursor made by hand: `payload` as JSON (a str is the JSON text itself)."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


NUL_NAME = r'["a\u0000b", 5]'
LONE_SURROGATE = r'["\ud800", 5]'


@pytest.mark.parametrize(("query", "field"), [
    ("limit=0", "limit"), ("limit=501", "limit"), (f"limit={10**30}", "limit"),
    ("cursor=not-a-cursor", "cursor"), (f"cursor={_forged(['a', 0])}", "cursor"),
    (f"cursor={_forged(['a', 2**31])}", "cursor"), (f"cursor={_forged(NUL_NAME)}", "cursor"),
    (f"cursor={_forged(LONE_SURROGATE)}", "cursor"), (f"cursor={_forged(['x' * 256, 5])}", "cursor"),
    (f"cursor={_forged({'a': 1})}", "cursor"), (f"cursor={_forged([True, 1])}", "cursor"),
    ("course=0", "course"), ("course=first", "course"), ("course=123456", "course"),
    ("status=1%201", "status"), ("educationForm=" + "1" * 33, "educationForm"),
    ("updatedSince=0001-01-01", "updatedSince"), ("updatedSince=9999-12-31T23:59:59-12:00", "updatedSince"),
    ("updatedSince=2024-02-30", "updatedSince"), ("updatedSince=yesterday", "updatedSince"),
    ("active=maybe", "active"), ("departmentId=" + "9" * 65, "departmentId"), ("search=" + "a" * 101, "search"),
    (f"organizationId={2**31}", "organizationId"), ("color=red", "color"),
])
def test_bad_input_is_a_400_naming_the_parameter(client, world, query, field):
    body = get_json(client, f"/students?{query}", world.a.headers, status=400)
    assert field in body["errors"], body


def test_a_nul_byte_is_a_400(client, world):
    assert client.get("/students?search=a%00b", headers=world.a.headers).status_code == 400


def test_updated_since_after_every_sync_is_an_empty_last_page(client, world):
    late = SYNCED.replace(year=2030).date().isoformat()
    page = get_json(client, f"/students?updatedSince={late}", world.a.headers)
    assert (page["students"], page["nextCursor"]) == ([], None)
    assert len(walk(client, "/students?active=all&updatedSince=2025-01-01", world.a.headers, "students")) == STUDENTS_A
