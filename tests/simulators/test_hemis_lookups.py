"""The simulator's lookup lists (department-list, specialty-list, group-list, semester-list): paged
and enveloped like student-list, the same faults, limiter and stats, and every id a student or an
employee points to listed (reference hemis.md §2.1, §6, §8; shapes in simulators/hemis/lookups.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from simulators.hemis.control import SimulatorControl
from simulators.hemis.server import HemisServer, make_server

TOKEN = "simulator-lookup-token"
STUDENTS, EMPLOYEES, SEED = 420, 60, 4
LOOKUP_LISTS = ("department-list", "specialty-list", "group-list", "semester-list")


@pytest.fixture(scope="module")
def server() -> Iterator[HemisServer]:
    server = make_server("127.0.0.1", 0, TOKEN, STUDENTS, EMPLOYEES, SEED, duplicate_persons=10)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture
def base(server: HemisServer) -> str:
    url = f"http://127.0.0.1:{server.server_port}"
    control = SimulatorControl(url)
    control.reset(STUDENTS, EMPLOYEES, SEED, duplicate_persons=10)
    return url


def get(base: str, resource: str, **params: object) -> requests.Response:
    return requests.get(f"{base}/rest/v1/data/{resource}", params=params,
                        headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)


def every_item(base: str, resource: str, **params: object) -> list[dict[str, Any]]:
    first = get(base, resource, page=1, limit=200, **params).json()["data"]
    items = list(first["items"])
    for page in range(2, first["pagination"]["pageCount"] + 1):
        items += get(base, resource, page=page, limit=200, **params).json()["data"]["items"]
    assert len(items) == first["pagination"]["totalCount"]
    return items


@pytest.mark.parametrize("resource", LOOKUP_LISTS)
def test_each_list_pages_and_envelopes_like_student_list(base, resource):
    whole = get(base, resource, limit=1000, active="all").json()
    assert whole["success"] is True and whole["error"] is None and whole["code"] == 200
    total = whole["data"]["pagination"]["totalCount"]
    assert whole["data"]["pagination"]["pageSize"] == 200 and total > 3
    pages = [get(base, resource, page=page, limit=3, active="all").json()["data"] for page in range(1, 4)]
    assert [p["pagination"]["page"] for p in pages] == [1, 2, 3]
    assert pages[0]["pagination"] == {"totalCount": total, "pageSize": 3, "pageCount": -(-total // 3), "page": 1}
    ids = [item["id"] for p in pages for item in p["items"]]
    assert ids == [item["id"] for item in whole["data"]["items"][:9]] and len(set(ids)) == 9
    past = get(base, resource, page=10_000, limit=3, active="all").json()["data"]
    last = get(base, resource, page=past["pagination"]["pageCount"], limit=3, active="all").json()["data"]
    assert past["items"] == last["items"] and past["pagination"]["page"] == past["pagination"]["pageCount"]


def test_departments_are_active_only_unless_asked_for_all(base):
    active = get(base, "department-list", limit=200).json()["data"]["items"]
    everything = every_item(base, "department-list", active="all")
    closed = get(base, "department-list", limit=200, active=0).json()["data"]["items"]
    assert {d["active"] for d in active} == {True} and closed and {d["active"] for d in closed} == {False}
    assert sorted(d["id"] for d in everything) == sorted(d["id"] for d in active + closed)
    assert get(base, "department-list", active=1, limit=200).json()["data"]["items"] == active
    faculties = get(base, "department-list", _structure_type=11, active="all", limit=200).json()["data"]["items"]
    assert faculties and {d["structureType"]["code"] for d in faculties} == {"11"}
    assert {d["parent"] for d in faculties} == {None}
    by_id = {d["id"]: d for d in everything}
    kafedras = [d for d in everything if d["structureType"]["code"] == "12"]
    assert kafedras and all(by_id[k["parent"]]["structureType"]["code"] == "11" for k in kafedras)
    for department in everything:
        assert set(department) == {"id", "name", "code", "parent", "active", "structureType", "localityType"}


def test_every_id_a_student_or_employee_points_to_is_listed(base):
    departments = {d["id"]: d for d in every_item(base, "department-list", active="all")}
    specialties = {s["id"]: s for s in every_item(base, "specialty-list")}
    groups = {g["id"]: g for g in every_item(base, "group-list")}
    semesters = {s["id"]: s for s in every_item(base, "semester-list")}
    students = every_item(base, "student-list", _student_status=-1)
    assert len(students) == STUDENTS and any(isinstance(s["specialty"]["id"], str) for s in students)
    for student in students:
        assert student["department"] == departments[student["department"]["id"]]  # the faculty, as listed
        assert student["department"]["structureType"]["code"] == "11"
        assert specialties[student["specialty"]["id"]]["code"] == student["specialty"]["code"]
        group = groups[student["group"]["id"]]
        assert (group["name"], group["educationLang"]) == (student["group"]["name"], student["group"]["educationLang"])
        assert group["specialty"]["id"] == student["specialty"]["id"] and group["_curriculum"] == student["_curriculum"]
        semester = semesters[student["semester"]["id"]]
        assert (semester["code"], semester["name"]) == (student["semester"]["code"], student["semester"]["name"])
        assert semester["_curriculum"] == student["_curriculum"] and semester["current"] is True
        assert str(semester["level"]["code"]) == str(student["level"]["code"])
    for employee in every_item(base, "employee-list", type="all"):
        assert employee["department"] == departments[employee["department"]["id"]]
        assert employee["department"]["structureType"]["code"] == "12"
        assert all(groups[tutored["id"]]["name"] == tutored["name"] for tutored in employee["tutorGroups"])


def test_filters_select_within_a_list(base):
    faculty = get(base, "department-list", _structure_type=11, limit=1).json()["data"]["items"][0]["id"]
    groups = every_item(base, "group-list", _department=faculty)
    assert groups and {g["department"]["id"] for g in groups} == {faculty}
    curriculum = groups[0]["_curriculum"]
    semesters = every_item(base, "semester-list", _curriculum=curriculum)
    assert semesters and {s["_curriculum"] for s in semesters} == {curriculum}
    assert [int(s["code"]) for s in semesters] == list(range(11, 11 + len(semesters)))
    assert sum(s["current"] for s in semesters) <= 1
    weeks = semesters[0]["curriculumWeeks"]
    assert weeks and {"id", "current", "start_date", "end_date", "start_date_f", "end_date_f"} <= set(weeks[0])


def test_faults_limiter_and_stats_cover_the_lookup_lists(base):
    control = SimulatorControl(base)
    control.faults({"path": "group-list", "page": 2, "status": 502, "body": "html"})
    assert get(base, "group-list", page=2, limit=5).status_code == 502
    assert get(base, "group-list", page=2, limit=5).status_code == 200
    assert get(base, "department-list", page=2, limit=5).status_code == 200
    control.config(array_envelope=True)
    data = get(base, "semester-list", limit=2).json()["data"]
    assert isinstance(data, list) and isinstance(data[0]["pagination"], list)
    control.config(array_envelope=False)
    control.clear_stats()
    control.rate_limit(2, 60)
    statuses = [get(base, resource, limit=1).status_code for resource in LOOKUP_LISTS]
    assert statuses == [200, 200, 429, 429]
    assert get(base, "specialty-list").headers["X-Rate-Limit-Limit"] == "2"
    seen = control.requests()
    assert [r["path"] for r in seen] == [*LOOKUP_LISTS, "specialty-list"]
    assert control.rate_limit_stats()["refused"] == 3


def test_a_page_asked_again_comes_from_the_cache_and_a_change_is_never_answered_stale(base, server):
    params = {"page": 2, "limit": 50, "_student_status": -1}
    hits = server.page_cache.stats()["hits"]
    first = get(base, "student-list", **params).content
    assert get(base, "student-list", **params).content == first
    assert server.page_cache.stats()["hits"] >= hits + 1
    SimulatorControl(base).change("students", prepend=3)
    shifted = get(base, "student-list", **params).json()["data"]
    assert shifted["pagination"]["totalCount"] == STUDENTS + 3
    assert get(base, "student-list", **params).content != first
