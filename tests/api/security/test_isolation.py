"""Every object is checked against the caller: tasks and HEMIS runs (issue #12, point 2), each HEMIS run
its organization's ADMINs' alone (issue #20, point 1)."""

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
    admin = make_user("ADMIN")  # the deployment's only organization: the deployment's HEMIS serves it
    employee = make_user("EMPLOYEE", organization=admin.organization)
    started = client.post("/api/hemis/sync/student", json={"student_id_number": "123"},
                          headers=auth_headers(user=admin))
    assert started.status_code == 202, started.get_json()
    body = started.get_json()
    assert db.get(SyncRun, body["runId"]).organization_id == admin.organization_id
    for headers in (auth_headers(user=admin), auth_headers("SUPERADMIN")):
        assert client.get(f"/tasks/{body['taskId']}", headers=headers).status_code == 200
        assert client.get(f"/runs/{body['runId']}", headers=headers).status_code == 200
    # Another organization's ADMIN: the run is its organization's alone (HEMIS is per organization).
    other_admin = auth_headers("ADMIN")
    assert client.get(f"/tasks/{body['taskId']}", headers=other_admin).status_code == 404
    assert client.get(f"/runs/{body['runId']}", headers=other_admin).status_code == 404
    assert client.get(f"/tasks/{body['taskId']}", headers=auth_headers(user=employee)).status_code == 404
    assert client.get(f"/runs/{body['runId']}", headers=auth_headers(user=employee)).status_code == 404


def test_hemis_runs_are_hidden_from_employees_and_a_legacy_run_is_a_superadmins(client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    employee = make_user("EMPLOYEE", organization=admin.organization)
    own, legacy = new_run_id(), new_run_id()
    create_run(db, own, "hemis_groups", organization_id=admin.organization_id, triggered_by="beat")
    create_run(db, legacy, "hemis_students", triggered_by="beat")  # of no organization: before HEMIS was per org
    db.commit()
    assert db.get(SyncRun, legacy).organization_id is None
    assert client.get(f"/runs/{own}", headers=auth_headers(user=admin)).get_json()["runId"] == own
    assert client.get(f"/runs/{own}", headers=auth_headers(user=employee)).status_code == 404
    assert client.get(f"/runs/{legacy}", headers=auth_headers(user=employee)).status_code == 404
    assert client.get(f"/runs/{legacy}", headers=auth_headers(user=admin)).status_code == 404
    assert client.get(f"/runs/{legacy}", headers=auth_headers("SUPERADMIN")).get_json()["runId"] == legacy
