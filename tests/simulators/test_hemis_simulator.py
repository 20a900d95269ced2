"""The HEMIS simulator behaves like HEMIS (reference: shared/reference/hemis.md)."""

from __future__ import annotations

import threading

import pytest
import requests

from simulators.hemis.data import student
from simulators.hemis.server import make_server

TOKEN = "simulator-test-token"
# The keys of the reference sample item (shared/reference/hemis-student-sample.json).
SAMPLE_KEYS = {"accommodation", "birth_date", "country", "department", "district", "educationForm", "educationType", "educationYear", "first_name", "full_name", "gender", "group", "hash", "id", "level", "meta_id", "paymentForm", "province", "second_name", "semester", "short_name", "socialCategory", "specialty", "studentStatus", "student_id_number", "third_name", "university"}


@pytest.fixture(scope="module")
def base_url():
    server = make_server("127.0.0.1", 0, TOKEN, 450, 40, 1)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def get(base_url: str, resource: str, token: str = TOKEN, **params: object) -> requests.Response:
    return requests.get(f"{base_url}/rest/v1/data/{resource}", params=params,
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_wrong_token_gets_a_yii2_401(base_url):
    response = get(base_url, "student-list", token="nope")
    assert response.status_code == 401 and "invalid credentials" in response.json()["message"]


def test_limit_is_capped_and_a_page_past_the_end_is_the_last_page_again(base_url):
    body = get(base_url, "student-list", page=1, limit=1000, _student_status=-1).json()
    assert body["success"] is True and body["data"]["pagination"] == {
        "totalCount": 450, "pageSize": 200, "pageCount": 3, "page": 1}
    last = get(base_url, "student-list", page=3, limit=200, _student_status=-1).json()["data"]
    past = get(base_url, "student-list", page=9, limit=200, _student_status=-1).json()["data"]
    assert past["pagination"]["page"] == 3 and past["items"] == last["items"] and len(last["items"]) == 50


def test_only_studying_students_without_student_status(base_url):
    every = get(base_url, "student-list", limit=200, _student_status=-1).json()["data"]["pagination"]["totalCount"]
    studying = get(base_url, "student-list", limit=200).json()["data"]
    assert studying["pagination"]["totalCount"] < every
    assert {str(item["studentStatus"]["code"]) for item in studying["items"]} == {"11"}


def test_search_finds_a_student_and_every_row_of_an_employee(base_url):
    found = get(base_url, "student-list", search="320000000010", _student_status=-1).json()["data"]["items"]
    assert [item["id"] for item in found] == [50010]
    rows = get(base_url, "employee-list", type="all", search="3200000004").json()["data"]["items"]
    assert len(rows) == 2 and len({row["meta_id"] for row in rows}) == 2 and len({row["id"] for row in rows}) == 1


def test_items_have_every_field_of_the_reference_sample():
    item = student(1, 0)
    assert SAMPLE_KEYS <= set(item)
    assert student(1, 0) == student(1, 0) and student(2, 0) != student(1, 0)  # deterministic by seed
