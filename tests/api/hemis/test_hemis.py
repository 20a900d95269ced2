"""The HEMIS endpoints: triggers, 409 on a second trigger, single-record sync, progress shape."""

from __future__ import annotations

import threading

from sqlalchemy import select

from shared.models import Employee, Student
from tests.support.hemis import wait_for_run

PROGRESS_KEYS = {"status", "startTime", "totalRecords", "processedRecords", "errors", "currentPage", "message",
                 "runId", "endTime", "duration", "pagesDone", "pagesTotal"}




def test_progress_is_idle_before_any_run_and_has_the_original_shape_after(hemis, worker, client, auth_headers, app):
    headers = auth_headers("ADMIN")
    idle = client.get("/api/hemis/progress/students", headers=headers)
    assert idle.status_code == 200 and set(idle.get_json()) == PROGRESS_KEYS
    assert idle.get_json()["status"] == "idle"
    hemis.reset(students=230, seed=2)
    run_id = client.post("/api/hemis/sync/students", headers=headers).get_json()["runId"]
    wait_for_run(app.extensions["navai"].session_factory, run_id)
    body = client.get("/api/hemis/progress/students", headers=headers).get_json()
    assert set(body) == PROGRESS_KEYS
    assert body["status"] == "completed" and body["runId"] == run_id
    assert body["totalRecords"] == 230 and body["processedRecords"] == 230
    assert body["pagesDone"] == body["pagesTotal"] == 5 and body["errors"] == []
    assert isinstance(body["startTime"], int) and body["endTime"] >= body["startTime"] and body["duration"] >= 0
    assert client.get("/api/hemis/progress/employees", headers=headers).get_json()["status"] == "idle"
    # GET /runs/<id> has the final statistics too.
    record = client.get(f"/runs/{run_id}", headers=headers).get_json()
    assert record["status"] == "completed" and record["processed"] == 230


def test_two_simultaneous_triggers_give_one_run_and_one_409(hemis, worker, client, auth_headers, app):
    hemis.reset(students=400, seed=2)
    hemis.config(latency_ms=100)
    headers = auth_headers("ADMIN")
    answers: list = []

    def trigger() -> None:
        with app.test_client() as own_client:
            answers.append(own_client.post("/api/hemis/sync/students", headers=headers))

    threads = [threading.Thread(target=trigger) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    by_status = {answer.status_code: answer.get_json() for answer in answers}
    assert sorted(by_status) == [202, 409], by_status
    assert by_status[409]["runId"] == by_status[202]["runId"]
    assert "already running" in by_status[409]["message"]
    wait_for_run(app.extensions["navai"].session_factory, by_status[202]["runId"])
    again = client.post("/api/hemis/sync/students", headers=headers)
    assert again.status_code == 202
    # Let it finish: its page tasks would otherwise go on writing into the next test's tables.
    wait_for_run(app.extensions["navai"].session_factory, again.get_json()["runId"])


def test_single_student_and_employee_with_several_positions(hemis, worker, client, auth_headers, app, db):
    hemis.reset(students=50, employees=30, seed=2)
    headers = auth_headers("ADMIN")
    factory = app.extensions["navai"].session_factory
    response = client.post("/api/hemis/sync/student", headers=headers,
                           json={"hemis_id": 50010, "student_id_number": "320000000010"})
    assert response.status_code == 202 and set(response.get_json()) == {"success", "taskId", "runId", "statusUrl"}
    assert wait_for_run(factory, response.get_json()["runId"]).status == "completed"
    assert [s.hemis_id for s in db.scalars(select(Student))] == ["50010"]
    # The task's result carries ids and counts only; the id number stays in the run record.
    result = app.extensions["navai"].celery.AsyncResult(response.get_json()["taskId"]).get(timeout=10)
    assert result["found"] == 1 and "320000000010" not in repr(result)
    # Person 4 works in two places: both rows are kept.
    response = client.post("/api/hemis/sync/employee", headers=headers,
                           json={"hemis_id": 1804, "employee_id_number": "3200000004"})
    assert wait_for_run(factory, response.get_json()["runId"]).status == "completed"
    rows = db.scalars(select(Employee).order_by(Employee.meta_id)).all()
    assert [(e.hemis_id, e.meta_id) for e in rows] == [("1804", "7004"), ("1804", "7005")]
    missing = client.post("/api/hemis/sync/student", headers=headers, json={"student_id_number": "329999999999"})
    run = wait_for_run(factory, missing.get_json()["runId"])
    assert run.status == "failed" and "no student" in run.errors[0]


def test_bad_requests_and_roles(hemis, client, auth_headers):
    admin = auth_headers("ADMIN")
    assert client.post("/api/hemis/sync/student", headers=admin, json={"hemis_id": 1}).status_code == 400
    bad = client.post("/api/hemis/sync/employee", headers=admin, json={"employee_id_number": ""})
    assert bad.status_code == 400 and "employee_id_number" in bad.get_json()["errors"]
    assert client.post("/api/hemis/sync/teachers", headers=admin).status_code == 404
    assert client.get("/api/hemis/progress/teachers", headers=admin).status_code == 404
    groups = client.get("/api/hemis/progress/groups", headers=admin)  # a lookup list: a kind of its own now
    assert groups.status_code == 200 and groups.get_json()["status"] == "idle"
    assert client.post("/api/hemis/sync/students", headers=auth_headers("EMPLOYEE")).status_code == 403
    assert client.post("/api/hemis/sync/students").status_code == 401
