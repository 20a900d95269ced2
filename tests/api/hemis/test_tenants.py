"""HEMIS per organization (issue 20 point 1): each organization syncs its own HEMIS instance, with
its own lock, progress, records and runs; one never sees or touches another's; settings take the
URL and a write-only token and check it; the deployment's HEMIS serves only a lone organization."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from shared.hemis.instance import HemisInstance
from shared.keys import server_budget
from shared.models import Organization, Student, SyncRun
from tests.support.hemis import own_hemis_organization_id, wait_for_run

STUDENTS_A, STUDENTS_B = 230, 70




@pytest.fixture
def universities(hemis, db, make_user, auth_headers):
    """Two organizations, each with its own HEMIS instance (own data and token) and its ADMIN."""
    made = []
    for name, students, seed in (("uni-a", STUDENTS_A, 3), ("uni-b", STUDENTS_B, 4)):
        token = secrets.token_urlsafe(24)
        instance = hemis.create_instance(name, token=token, students=students, employees=5, seed=seed)
        organization = Organization(id=own_hemis_organization_id(), name=name, hemis_url=instance.base_url,
                                    hemis_token=token)  # an id no worker has cached another HEMIS for
        db.add(organization)
        db.commit()
        made.append((organization.id, auth_headers("ADMIN", user=make_user(organization=organization)), instance))
    return made


def test_two_universities_sync_side_by_side_and_see_only_their_own(universities, worker, client, app, db,
                                                                    redis_client):
    (org_a, admin_a, instance_a), (org_b, admin_b, instance_b) = universities
    started_a = client.post("/api/hemis/sync/students", headers=admin_a)
    started_b = client.post("/api/hemis/sync/students", headers=admin_b)  # the same kind: another lock
    assert started_a.status_code == 202 and started_b.status_code == 202, (started_a.json, started_b.json)
    run_a, run_b = started_a.get_json()["runId"], started_b.get_json()["runId"]
    assert wait_for_run(app.extensions["navai"].session_factory, run_a).status == "completed"
    assert wait_for_run(app.extensions["navai"].session_factory, run_b).status == "completed"
    db.expire_all()
    count = {org: db.scalar(select(func.count()).select_from(Student).where(Student.organization_id == org))
             for org in (org_a, org_b)}
    assert count == {org_a: STUDENTS_A, org_b: STUDENTS_B}
    assert {db.get(SyncRun, run_a).organization_id, db.get(SyncRun, run_b).organization_id} == {org_a, org_b}
    # Each instance served its own organization only.
    assert instance_a.requests() and instance_b.requests()
    # Runs, progress and cancel are the caller's organization's only.
    listed = client.get("/runs", headers=admin_a).get_json()
    seen = {run["runId"] for run in listed["running"] + listed["finished"]}
    assert run_a in seen and run_b not in seen
    assert client.get(f"/runs/{run_b}", headers=admin_a).status_code == 404
    assert client.get("/api/hemis/progress/students", headers=admin_a).get_json()["runId"] == run_a
    assert client.get("/api/hemis/progress/students", headers=admin_b).get_json()["runId"] == run_b
    assert client.post(f"/runs/{run_b}/cancel", headers=admin_a).status_code == 404
    # Another organization passing organizationId acts for its own anyway.
    assert client.get(f"/api/hemis/progress/students?organizationId={org_b}",
                      headers=admin_a).get_json()["runId"] == run_a
    # Each host has its budget (both instances here are on one host: they share it).
    assert redis_client.exists(server_budget(HemisInstance(org_a, instance_a.base_url, "t", True).budget_name))


def test_a_superadmin_acts_for_the_organization_it_names(universities, worker, client, app, auth_headers):
    (org_a, _admin_a, _instance), _ = universities
    superadmin = auth_headers("SUPERADMIN")
    assert client.post("/api/hemis/sync/students", headers=superadmin).status_code == 400  # whose HEMIS?
    started = client.post(f"/api/hemis/sync/departments?organizationId={org_a}", headers=superadmin)
    assert started.status_code == 202, started.get_json()
    run = wait_for_run(app.extensions["navai"].session_factory, started.get_json()["runId"])
    assert run.organization_id == org_a and run.kind == "hemis_departments"
    checked = client.get(f"/api/hemis/check?organizationId={org_a}", headers=superadmin).get_json()
    assert checked["reason"] == "ok" and checked["studentCount"] == STUDENTS_A


def test_settings_take_the_hemis_url_and_a_write_only_token_and_check_them(hemis, client, auth_headers, db):
    token = secrets.token_urlsafe(24)
    instance = hemis.create_instance("uni-c", token=token, students=12)
    admin = auth_headers("ADMIN")
    answer = client.patch("/settings", headers=admin, json={"hemisUrl": instance.base_url + "/rest/", "hemisToken": token})
    body = answer.get_json()
    assert answer.status_code == 200, body
    assert body["hemisUrl"] == instance.base_url + "/rest" and body["hemisTokenSet"] is True
    assert body["hemisConnection"]["reason"] == "ok" and body["hemisConnection"]["studentCount"] == 12
    assert token not in answer.get_data(as_text=True)
    read = client.get("/settings", headers=admin)
    assert read.get_json()["hemisTokenSet"] is True and token not in read.get_data(as_text=True)
    refused = client.patch("/settings", headers=admin, json={"hemisToken": "not-" + token}).get_json()
    assert refused["hemisConnection"]["success"] is False and refused["hemisConnection"]["reason"] == "unauthorized"
    # Only a change of URL or token is checked.
    assert "hemisConnection" not in client.patch("/settings", headers=admin, json={"timeZone": "UTC"}).get_json()
    for bad in ({"hemisUrl": "ftp://x"}, {"hemisUrl": "https://user:pw@host"}, {"hemisUrl": "not a url"},
                {"hemisToken": "with space"}, {"hemisToken": ""}, {"hemisSyncSchedule": "61 1 * * *"},
                {"hemisSyncSchedule": "0 0 30 2 *"}):
        rejected = client.patch("/settings", headers=admin, json=bad)
        assert rejected.status_code == 400, (bad, rejected.get_json())
        assert set(rejected.get_json()["errors"]) == set(bad)
    too_often = client.patch("/settings", headers=admin, json={"hemisSyncSchedule": "*/5 * * * *"})
    assert too_often.status_code == 409 and "hemisSyncSchedule" in too_often.get_json()["errors"]
    scheduled = client.patch("/settings", headers=admin, json={"hemisSyncSchedule": "30 2 * * *"}).get_json()
    assert scheduled["hemisSyncSchedule"] == "30 2 * * *" and scheduled["nextHemisSync"]


def test_the_deployments_hemis_serves_a_lone_organization_only(hemis, client, auth_headers, make_user):
    lone = auth_headers("ADMIN")
    assert client.get("/api/hemis/check", headers=lone).get_json()["reason"] == "ok"  # HEMIS_API_URL's
    second = auth_headers("ADMIN")  # a second organization: neither may use the deployment's any more
    for headers in (lone, second):
        refused = client.post("/api/hemis/sync/students", headers=headers)
        assert refused.status_code == 409 and "hemisUrl" in refused.get_json()["errors"]
        assert client.get("/api/hemis/check", headers=headers).status_code == 409
