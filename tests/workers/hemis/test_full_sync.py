"""Full syncs against the simulator, through the API, with a real Celery worker."""

from __future__ import annotations

from sqlalchemy import func, select

from shared.models import Employee, Student
from tests.support.hemis import assert_matches_simulator, wait_for_run

STUDENTS = 2_345
EMPLOYEE_ROWS = 130
SEED = 7


def start(client, headers, kind: str) -> dict:
    response = client.post(f"/api/hemis/sync/{kind}", headers=headers)
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def test_full_student_sync_equals_the_simulator_field_by_field(hemis, worker, client, auth_headers, app, db):
    hemis.reset(students=STUDENTS, seed=SEED)
    body = start(client, auth_headers("ADMIN"), "students")
    assert set(body) == {"success", "taskId", "runId", "statusUrl"} and body["statusUrl"] == f"/runs/{body['runId']}"
    run = wait_for_run(app.extensions["navai"].session_factory, body["runId"])
    assert run.status == "completed", run.errors
    assert run.total == STUDENTS and run.processed == STUDENTS
    assert_matches_simulator(db, "students", STUDENTS, SEED)
    unverified = db.scalar(select(func.count()).select_from(Student).where(Student.student_id_number.is_(None)))
    assert unverified == STUDENTS // 97  # stored, never dropped
    negative = db.scalar(select(func.count()).select_from(Student).where(Student.birth_date < func.date("1970-01-01")))
    assert negative > 0


def test_employees_keep_every_position_row(hemis, worker, client, auth_headers, app, db):
    hemis.reset(employees=EMPLOYEE_ROWS, seed=SEED)
    body = start(client, auth_headers("ADMIN"), "employees")
    run = wait_for_run(app.extensions["navai"].session_factory, body["runId"])
    assert run.status == "completed", run.errors
    assert_matches_simulator(db, "employees", EMPLOYEE_ROWS, SEED)
    people = db.scalar(select(func.count(func.distinct(Employee.hemis_id))))
    assert people < EMPLOYEE_ROWS  # several rows per person, all kept


def test_second_run_updates_changed_records_without_duplicates_and_keeps_non_blank_values(
        hemis, worker, client, auth_headers, app, db):
    hemis.reset(students=300, seed=SEED)
    headers = auth_headers("ADMIN")
    factory = app.extensions["navai"].session_factory
    first = wait_for_run(factory, start(client, headers, "students")["runId"])
    assert first.status == "completed"
    # A phone learnt elsewhere must survive the list's `phone: null`.
    db.execute(Student.__table__.update().where(Student.hemis_id == "50010").values(phone="+998901234567"))
    db.commit()
    hemis.change("students", edit=[3, 4], version=2)
    second = wait_for_run(factory, start(client, headers, "students")["runId"])
    assert second.status == "completed", second.errors
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Student)) == 300
    changed = db.scalar(select(Student).where(Student.hemis_id == "50003"))
    assert changed.email == "v2.50003@changed.example.uz" and changed.last_seen_run_id == second.id
    assert db.scalar(select(Student.phone).where(Student.hemis_id == "50010")) == "+998901234567"


def test_records_missing_from_a_complete_run_become_inactive_and_come_back(hemis, worker, client, auth_headers, app, db):
    hemis.reset(students=120, seed=SEED)
    headers = auth_headers("ADMIN")
    factory = app.extensions["navai"].session_factory
    assert wait_for_run(factory, start(client, headers, "students")["runId"]).status == "completed"
    hemis.reset(students=110, seed=SEED)  # the last 10 left HEMIS
    second = wait_for_run(factory, start(client, headers, "students")["runId"])
    assert second.status == "completed" and second.stats["deactivated"] == 10
    db.expire_all()
    gone = db.scalar(select(Student).where(Student.hemis_id == "50115"))
    assert gone.is_active is False and gone.deactivated_by_run_id == second.id
    hemis.reset(students=120, seed=SEED)
    assert wait_for_run(factory, start(client, headers, "students")["runId"]).status == "completed"
    db.expire_all()
    back = db.scalar(select(Student).where(Student.hemis_id == "50115"))
    assert back.is_active is True and back.deactivated_by_run_id is None
