"""`POST /runs/<runId>/cancel`, `POST /api/hemis/cancel/<kind>` and `flask runs cancel`: who may
cancel what, what a cancelled run looks like at once (record, live progress, flag, lock), and the
answers for unknown, foreign and finished runs.

The app publishes to an in-memory broker no worker reads (`app_without_workers`): these tests are
about the moment of the cancel; the workers' side is tested in tests/workers/*/test_cancel*.py.
"""

from __future__ import annotations

import uuid

import pytest

from shared import keys
from shared.hemis.names import STUDENTS, run_lock
from shared.hemis.start import start_full_run
from shared.models import SyncRun
from shared.runs.cancel import is_cancelled
from shared.runs.locks import RunLock
from shared.runs.record import create_run, finish_run, new_run_id
from shared.sipuni.names import csv_path, step2_scope


@pytest.fixture
def svc(app_without_workers):  # type: ignore[no-untyped-def]
    return app_without_workers.extensions["navai"]


@pytest.fixture
def saved_export(sipuni_org, settings):  # type: ignore[no-untyped-def]
    """A step-1 export on disk, which a step-2 trigger asks for (its calls are never read here)."""
    path = csv_path(settings.data_dir, sipuni_org[1].id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("ID записи;Время\n", encoding="utf-8")
    return sipuni_org


def _start_step2(client, headers) -> str:  # type: ignore[no-untyped-def]
    response = client.post("/sipuni/step2-process-recordings", headers=headers)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["runId"]


def test_an_admin_cancels_a_running_step2_with_its_counts_and_a_new_trigger_works_at_once(
        svc, client, auth_headers, saved_export, db):
    admin, organization = saved_export
    headers = auth_headers(user=admin)
    run_id = _start_step2(client, headers)
    # What the call tasks had counted when the cancel came (workers write these; none runs here).
    svc.progress.update(run_id, total=10, processed=3, skipped=1, failed=1, **{"skipped:no_recording": 1})
    lock = RunLock(svc.redis, step2_scope(organization.id))
    assert lock.holder() == run_id

    response = client.post(f"/runs/{run_id}/cancel", headers=headers)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["success"] is True and body["runId"] == run_id and body["status"] == "cancelled"
    assert (body["total"], body["processed"], body["skipped"], body["failed"]) == (10, 3, 1, 1)
    assert body["stats"]["cancelledBy"] == f"user:{admin.id}"
    assert body["stats"]["skippedByReason"]["no_recording"] == 1
    assert body["stats"]["message"] == "Cancelled; Processed: 3, Skipped: 1, Failed: 1"
    assert "triggeredBy" not in body and "errors" not in body
    assert body["endTime"] is not None
    assert lock.holder() is None  # free at once
    assert svc.redis.exists(keys.run_cancelled(run_id)) and is_cancelled(svc, run_id)
    assert svc.progress.get(run_id)["status"] == "cancelled"
    shown = client.get(f"/runs/{run_id}", headers=headers).get_json()
    assert shown["status"] == "cancelled" and "live" not in shown
    listed = client.get("/runs", headers=headers).get_json()
    assert [run["status"] for run in listed["finished"] if run["runId"] == run_id] == ["cancelled"]
    assert run_id not in {run["runId"] for run in listed["running"]}

    again = client.post(f"/runs/{run_id}/cancel", headers=headers)
    assert again.status_code == 409
    assert again.get_json()["status"] == "cancelled" and again.get_json()["success"] is False
    assert _start_step2(client, headers) != run_id  # the organization's step 2 is free again


def test_a_cancelled_run_is_never_finished_again(svc, client, auth_headers, saved_export, db):
    admin, _organization = saved_export
    headers = auth_headers(user=admin)
    run_id = _start_step2(client, headers)
    assert client.post(f"/runs/{run_id}/cancel", headers=headers).status_code == 200
    # What a finalizer that comes later writes (workers/sipuni/tally.py, workers/hemis/run.py)
    assert finish_run(db, run_id, "completed", total=5, processed=5) is None
    db.commit()
    db.expire_all()
    assert db.get(SyncRun, run_id).status == "cancelled"


def test_another_organization_gets_404_lower_roles_403_and_a_superadmin_may(
        svc, client, auth_headers, saved_export, make_user, db):
    admin, organization = saved_export
    run_id = _start_step2(client, auth_headers(user=admin))
    path = f"/runs/{run_id}/cancel"

    foreign = client.post(path, headers=auth_headers("ADMIN"))  # an ADMIN of another organization
    assert foreign.status_code == 404 and foreign.get_json()["message"] == f"Run {run_id} not found"
    for role in ("MANAGER", "EMPLOYEE"):
        assert client.post(path, headers=auth_headers(role, organization=organization)).status_code == 403
    assert client.post(path).status_code == 401
    db.expire_all()
    assert db.get(SyncRun, run_id).status == "running"

    superadmin = client.post(path, headers=auth_headers("SUPERADMIN"))
    assert superadmin.status_code == 200 and superadmin.get_json()["status"] == "cancelled"


@pytest.mark.parametrize("run_id", [str(uuid.uuid4()), "x" * 37, "not a uuid", "..", "%00"])
def test_unknown_or_malformed_run_ids_answer_json_404(svc, client, auth_headers, run_id):
    response = client.post(f"/runs/{run_id}/cancel", headers=auth_headers("ADMIN"))
    assert response.status_code in (400, 404)
    assert response.is_json and response.get_json()["success"] is False


def test_finished_and_uncancellable_runs_answer_409_with_their_status(svc, client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    headers = auth_headers(user=admin)
    finished, single = new_run_id(), new_run_id()
    create_run(db, finished, "sipuni_step2", organization_id=admin.organization_id)
    finish_run(db, finished, "completed_with_errors", total=2, processed=1, failed=1)
    # A single-record HEMIS sync of the organization: one request, nothing to stop.
    create_run(db, single, "hemis_student", organization_id=admin.organization_id)
    db.commit()

    ended = client.post(f"/runs/{finished}/cancel", headers=headers)
    assert ended.status_code == 409
    assert ended.get_json()["status"] == "completed_with_errors" and "already ended" in ended.get_json()["message"]
    one = client.post(f"/runs/{single}/cancel", headers=headers)
    assert one.status_code == 409 and one.get_json()["status"] == "running"
    assert "cannot be cancelled" in one.get_json()["message"]


def test_hemis_runs_are_cancelled_by_kind_or_by_id_by_whoever_may_start_them(svc, client, auth_headers, make_user,
                                                                            hemis_org, db):
    org = hemis_org.id
    headers = auth_headers(user=make_user("ADMIN", organization=hemis_org))
    lock = run_lock(svc.redis, org, STUDENTS)
    started = start_full_run(svc, STUDENTS, organization_id=org, triggered_by="test", then="employees")
    svc.progress.update(started.run_id, totalRecords=500, processedRecords=150, pagesDone=3, pagesTotal=10)
    assert client.post("/api/hemis/cancel/students",
                       headers=auth_headers("EMPLOYEE", organization=hemis_org)).status_code == 403
    assert client.post("/api/hemis/cancel/teachers", headers=headers).status_code == 404

    # Another organization's ADMIN can neither find nor cancel it, by kind or by id.
    foreign = auth_headers("ADMIN")
    by_kind = client.post("/api/hemis/cancel/students", headers=foreign)
    assert by_kind.status_code == 409 and "runId" not in by_kind.get_json()
    assert client.post(f"/runs/{started.run_id}/cancel", headers=foreign).status_code == 404
    assert client.get("/api/hemis/progress/students", headers=foreign).get_json()["runId"] is None
    assert lock.holder() == started.run_id and not is_cancelled(svc, started.run_id)

    response = client.post("/api/hemis/cancel/students", headers=headers)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["runId"] == started.run_id and body["status"] == "cancelled" and body["organizationId"] == org
    assert (body["total"], body["processed"]) == (500, 150)
    assert body["stats"]["pagesDone"] == 3 and body["stats"]["deactivated"] == 0
    assert lock.holder() is None and is_cancelled(svc, started.run_id)
    progress = client.get("/api/hemis/progress/students", headers=headers).get_json()
    assert progress["runId"] == started.run_id and progress["status"] == "cancelled"

    nothing = client.post("/api/hemis/cancel/students", headers=headers)
    assert nothing.status_code == 409
    assert nothing.get_json()["runId"] == started.run_id and nothing.get_json()["status"] == "cancelled"
    assert client.post("/api/hemis/cancel/employees", headers=headers).status_code == 409

    # By its id: the organization's ADMIN, and a SUPERADMIN (the kind's lock was free at once).
    second = start_full_run(svc, STUDENTS, organization_id=org, triggered_by="test")
    by_id = client.post(f"/runs/{second.run_id}/cancel", headers=headers)
    assert by_id.status_code == 200 and by_id.get_json()["status"] == "cancelled"
    third = start_full_run(svc, STUDENTS, organization_id=org, triggered_by="test")
    by_superadmin = client.post(f"/runs/{third.run_id}/cancel", headers=auth_headers("SUPERADMIN"))
    assert by_superadmin.status_code == 200 and by_superadmin.get_json()["status"] == "cancelled"
    assert lock.holder() is None


def test_the_cli_cancels_and_refuses_a_finished_run_with_exit_code_2(svc, app_without_workers, make_user, db):
    admin = make_user("ADMIN")
    run_id = new_run_id()
    create_run(db, run_id, "sipuni_step1", organization_id=admin.organization_id)
    db.commit()
    lock = RunLock(svc.redis, f"sipuni:step1:{admin.organization_id}")
    assert lock.acquire(run_id) is None
    runner = app_without_workers.test_cli_runner()

    done = runner.invoke(args=["runs", "cancel", run_id])
    assert done.exit_code == 0, done.output
    assert f"cancelled run {run_id} (sipuni_step1)" in done.output
    db.expire_all()
    run = db.get(SyncRun, run_id)
    assert run.status == "cancelled" and run.stats["cancelledBy"] == "cli" and lock.holder() is None

    refused = runner.invoke(args=["runs", "cancel", run_id])
    assert refused.exit_code == 2 and "is cancelled" in refused.output
    unknown = runner.invoke(args=["runs", "cancel", str(uuid.uuid4())])
    assert unknown.exit_code == 1 and "not found" in unknown.output
