"""Every object is checked against the caller: tasks and HEMIS runs (issue #12, point 2)."""

from __future__ import annotations

from shared.models import SyncRun
from shared.runs.record import create_run, new_run_id
from tests.support.calls import make_call


def test_a_task_is_visible_to_its_organization_only(client, auth_headers, make_user, db, settings):
    admin_a, admin_b = make_user("ADMIN"), make_user("ADMIN")
    colleague = make_user("EMPLOYEE", organization=admin_a.organization)
    call = make_call(db, settings, admin_a.organization_id, ai_status="failed")
    started = client.post(f"/calls/{call.id}/reprocess", headers=auth_headers(user=admin_a))
    assert started.status_code == 202
    task_id = started.get_json()["taskId"]

    assert client.get(f"/tasks/{task_id}", headers=auth_headers(user=admin_a)).status_code == 200
    assert client.get(f"/tasks/{task_id}", headers=auth_headers(user=colleague)).status_code == 200
    foreign = client.get(f"/tasks/{task_id}", headers=auth_headers(user=admin_b))
    assert foreign.status_code == 404 and foreign.get_json()["success"] is False
    assert client.get(f"/tasks/{task_id}", headers=auth_headers("SUPERADMIN")).status_code == 200


def test_hemis_tasks_and_runs_are_for_admins_only(client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    employee = make_user("EMPLOYEE", organization=admin.organization)
    started = client.post("/api/hemis/sync/student", json={"student_id_number": "123"},
                          headers=auth_headers(user=admin))
    assert started.status_code == 202
    body = started.get_json()
    other_admin = auth_headers("ADMIN")  # another organization: HEMIS belongs to the deployment
    assert client.get(f"/tasks/{body['taskId']}", headers=other_admin).status_code == 200
    assert client.get(f"/runs/{body['runId']}", headers=other_admin).status_code == 200
    assert client.get(f"/tasks/{body['taskId']}", headers=auth_headers(user=employee)).status_code == 404
    assert client.get(f"/runs/{body['runId']}", headers=auth_headers(user=employee)).status_code == 404


def test_a_deployment_run_is_hidden_from_employees(client, auth_headers, db):
    run_id = new_run_id()
    create_run(db, run_id, "hemis_students", triggered_by="beat")
    db.commit()
    assert db.get(SyncRun, run_id).organization_id is None
    assert client.get(f"/runs/{run_id}", headers=auth_headers("EMPLOYEE")).status_code == 404
    assert client.get(f"/runs/{run_id}", headers=auth_headers("ADMIN")).get_json()["runId"] == run_id
