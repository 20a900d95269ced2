"""HEMIS runs across tenants (issue #18, point 9): an ADMIN sees the deployment's HEMIS runs, but
not what another organization looked up (the ID number of a single-record sync, in its `stats`
and errors), nor which user of another organization started a run; worker host names in
`/overview` are a SUPERADMIN's only. Two organizations, real worker, the HEMIS simulator."""

from __future__ import annotations

import json
import time

import pytest

from shared.runs.record import create_run, new_run_id
from simulators.hemis.control import SimulatorControl
from tests.support.hemis import simulator_for, wait_for_run

LOOKED_UP = "329999000777"  # an ID number HEMIS does not have: the run fails, naming it in its error
ALIVE_WAIT_S = 5.0


@pytest.fixture
def hemis(settings) -> SimulatorControl:  # type: ignore[no-untyped-def]
    simulator_for(settings)
    control = SimulatorControl(settings.hemis_api_url)
    control.reset(students=5, seed=3)
    control.config(token=settings.hemis_bearer_token)
    return control


@pytest.fixture
def tenants(make_user, auth_headers):  # type: ignore[no-untyped-def]
    """Two organizations with an ADMIN each, a colleague of the first, and a SUPERADMIN."""
    admin_a, admin_b = make_user("ADMIN"), make_user("ADMIN")
    colleague_a = make_user("ADMIN", organization=admin_a.organization)
    return {"admin_a": admin_a, "a": auth_headers(user=admin_a), "colleague_a": auth_headers(user=colleague_a),
            "b": auth_headers(user=admin_b), "super": auth_headers("SUPERADMIN")}


def _single_lookup(client, app, headers) -> str:  # type: ignore[no-untyped-def]
    started = client.post("/api/hemis/sync/student", json={"student_id_number": LOOKED_UP}, headers=headers)
    assert started.status_code == 202, started.get_json()
    run_id = started.get_json()["runId"]
    run = wait_for_run(app.extensions["navai"].session_factory, run_id)
    assert run.stats["idNumber"] == LOOKED_UP and LOOKED_UP in run.errors[0]  # what there is to hide
    return run_id


def _listed(client, headers, run_id: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    body = client.get("/runs?kind=hemis_student", headers=headers).get_json()
    return next(run for run in body["running"] + body["finished"] if run["runId"] == run_id)


def test_another_organization_sees_the_single_lookup_run_but_not_what_was_looked_up(
        hemis, worker, client, app, tenants):
    run_id = _single_lookup(client, app, tenants["a"])

    for view in (client.get(f"/runs/{run_id}", headers=tenants["b"]).get_json(),
                 _listed(client, tenants["b"], run_id)):
        assert view["runId"] == run_id and view["status"] == "failed"  # the run itself is the deployment's
        assert LOOKED_UP not in json.dumps(view), view
        assert view["stats"] == {} and view["errors"] == [] and view["triggeredBy"] is None
    assert _listed(client, tenants["b"], run_id)["progress"]["latestErrors"] == []

    own_user = f"user:{tenants['admin_a'].id}"
    for headers in (tenants["a"], tenants["colleague_a"], tenants["super"]):  # its organization, and the operator
        record = client.get(f"/runs/{run_id}", headers=headers).get_json()
        assert record["stats"]["idNumber"] == LOOKED_UP and LOOKED_UP in record["errors"][0]
        assert record["triggeredBy"] == own_user
        assert LOOKED_UP in _listed(client, headers, run_id)["progress"]["latestErrors"][0]


def test_a_full_hemis_run_shows_its_numbers_to_every_admin_and_its_user_to_its_organization_only(
        client, db, tenants):
    by_user, by_beat = new_run_id(), new_run_id()
    create_run(db, by_user, "hemis_students", triggered_by=f"user:{tenants['admin_a'].id}")
    create_run(db, by_beat, "hemis_employees", triggered_by="beat")
    db.commit()

    seen_by_b = {run["runId"]: run for run in client.get("/runs", headers=tenants["b"]).get_json()["running"]}
    assert seen_by_b[by_user]["triggeredBy"] is None and seen_by_b[by_beat]["triggeredBy"] == "beat"
    assert client.get(f"/runs/{by_user}", headers=tenants["b"]).get_json()["triggeredBy"] is None
    assert client.get(f"/runs/{by_user}", headers=tenants["a"]).get_json()["triggeredBy"] == \
        f"user:{tenants['admin_a'].id}"
    assert client.get(f"/runs/{by_user}", headers=tenants["super"]).get_json()["triggeredBy"] == \
        f"user:{tenants['admin_a'].id}"


def test_a_single_lookup_by_a_superadmin_is_hidden_from_every_tenant(client, db, tenants, make_user):
    operator = make_user("SUPERADMIN")
    run_id = new_run_id()
    run = create_run(db, run_id, "hemis_employee", triggered_by=f"user:{operator.id}")
    run.stats = {"idNumber": LOOKED_UP, "hemisId": None}
    db.commit()
    view = client.get(f"/runs/{run_id}", headers=tenants["a"]).get_json()
    assert view["stats"] == {} and view["triggeredBy"] is None and LOOKED_UP not in json.dumps(view)


def test_who_cancelled_a_hemis_run_is_shown_to_their_organization_only(client, tenants):
    started = client.post("/api/hemis/sync/students", headers=tenants["a"])
    assert started.status_code == 202, started.get_json()
    run_id = started.get_json()["runId"]  # no worker runs here: the run stays running until cancelled
    assert client.post(f"/runs/{run_id}/cancel", headers=tenants["a"]).status_code == 200

    canceller = f"user:{tenants['admin_a'].id}"
    assert client.get(f"/runs/{run_id}", headers=tenants["colleague_a"]).get_json()["stats"]["cancelledBy"] == canceller
    assert client.get(f"/runs/{run_id}", headers=tenants["super"]).get_json()["stats"]["cancelledBy"] == canceller
    seen_by_b = client.get(f"/runs/{run_id}", headers=tenants["b"]).get_json()
    assert seen_by_b["status"] == "cancelled" and seen_by_b["stats"]["cancelledBy"] is None
    listed = client.get("/runs?kind=hemis_students", headers=tenants["b"]).get_json()
    assert all(run["stats"].get("cancelledBy") is None for run in listed["running"] + listed["finished"])


def test_overview_names_the_workers_to_a_superadmin_only(worker, client, tenants, auth_headers, make_user):
    deadline = time.monotonic() + ALIVE_WAIT_S  # the test's start emptied Redis: wait for a renewal
    while client.get("/overview", headers=tenants["super"]).get_json()["workersOnline"] == 0:
        assert time.monotonic() < deadline, "the session worker never renewed its liveness key"
        time.sleep(0.1)

    as_super = client.get("/overview", headers=tenants["super"]).get_json()
    assert worker.name in as_super["workers"] and as_super["workersOnline"] == len(as_super["workers"])
    as_admin = client.get("/overview", headers=tenants["b"])
    assert as_admin.get_json()["workersOnline"] >= 1 and "workers" not in as_admin.get_json()
    host = worker.name.split("@", 1)[1]
    assert host not in as_admin.get_data(as_text=True)
    employee = make_user("EMPLOYEE", organization=tenants["admin_a"].organization)
    as_employee = client.get("/overview", headers=auth_headers(user=employee)).get_json()
    assert "workers" not in as_employee and "workersOnline" not in as_employee and "queues" not in as_employee
