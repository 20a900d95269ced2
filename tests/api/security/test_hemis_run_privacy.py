"""HEMIS runs across tenants (issue #18, point 9; issue #20, point 1): each organization syncs its own
HEMIS, so another organization's HEMIS runs are invisible (404 on `/runs/<id>`, absent from
`/runs`), whatever they hold (the ID number a single-record sync looked up, in its `stats` and
errors; who started or cancelled it). Within the organization, who of another organization (a
SUPERADMIN) started or cancelled one stays hidden. Worker host names in `/overview` are a
SUPERADMIN's only. Two organizations, real worker, the HEMIS simulator."""

from __future__ import annotations

import json
import time

import pytest

from shared.runs.record import create_run, new_run_id
from simulators.hemis.control import SimulatorControl
from tests.support.hemis import fresh_simulator, wait_for_run

LOOKED_UP = "329999000777"  # an ID number HEMIS does not have: the run fails, naming it in its error
ALIVE_WAIT_S = 5.0


@pytest.fixture
def hemis(settings) -> SimulatorControl:  # type: ignore[no-untyped-def]
    return fresh_simulator(settings, students=5, seed=3)


@pytest.fixture
def tenants(make_user, auth_headers, hemis_org):  # type: ignore[no-untyped-def]
    """Two organizations with an ADMIN each (the first with its own HEMIS: the simulator), a
    colleague of the first, and a SUPERADMIN."""
    admin_a, admin_b = make_user("ADMIN", organization=hemis_org), make_user("ADMIN")
    colleague_a = make_user("ADMIN", organization=hemis_org)
    return {"admin_a": admin_a, "a": auth_headers(user=admin_a), "colleague_a": auth_headers(user=colleague_a),
            "b": auth_headers(user=admin_b), "super": auth_headers("SUPERADMIN")}


def _single_lookup(client, app, headers) -> str:  # type: ignore[no-untyped-def]
    started = client.post("/api/hemis/sync/student", json={"student_id_number": LOOKED_UP}, headers=headers)
    assert started.status_code == 202, started.get_json()
    run_id = started.get_json()["runId"]
    run = wait_for_run(app.extensions["navai"].session_factory, run_id)
    assert run.stats["idNumber"] == LOOKED_UP and LOOKED_UP in run.errors[0]  # what there is to hide
    return run_id


def _listed_ids(client, headers, kind: str | None = None) -> set[str]:  # type: ignore[no-untyped-def]
    body = client.get("/runs" + (f"?kind={kind}" if kind else ""), headers=headers).get_json()
    return {run["runId"] for run in body["running"] + body["finished"]}


def _listed(client, headers, run_id: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    body = client.get("/runs?kind=hemis_student", headers=headers).get_json()
    return next(run for run in body["running"] + body["finished"] if run["runId"] == run_id)


def _invisible_to(client, headers, run_id: str) -> None:  # type: ignore[no-untyped-def]
    """As unknown as a run that does not exist: 404 by its id, absent from every list."""
    shown = client.get(f"/runs/{run_id}", headers=headers)
    assert shown.status_code == 404 and shown.get_json() == {"success": False, "message": f"Run {run_id} not found",
                                                             "errors": {}}
    assert run_id not in _listed_ids(client, headers)
    assert run_id not in client.get("/runs?limit=100", headers=headers).get_data(as_text=True)


def test_another_organization_cannot_see_a_single_lookup_run(hemis, worker, client, app, tenants):
    run_id = _single_lookup(client, app, tenants["a"])

    _invisible_to(client, tenants["b"], run_id)
    assert run_id not in _listed_ids(client, tenants["b"], "hemis_student")
    assert LOOKED_UP not in client.get("/runs?kind=hemis_student", headers=tenants["b"]).get_data(as_text=True)

    own_user = f"user:{tenants['admin_a'].id}"
    for headers in (tenants["a"], tenants["colleague_a"], tenants["super"]):  # its organization, and the operator
        record = client.get(f"/runs/{run_id}", headers=headers).get_json()
        assert record["stats"]["idNumber"] == LOOKED_UP and LOOKED_UP in record["errors"][0]
        assert record["triggeredBy"] == own_user
        assert LOOKED_UP in _listed(client, headers, run_id)["progress"]["latestErrors"][0]


def test_a_full_hemis_run_is_seen_by_its_organization_and_the_operator_only(client, db, tenants, hemis_org):
    by_user, by_beat = new_run_id(), new_run_id()
    create_run(db, by_user, "hemis_students", organization_id=hemis_org.id,
               triggered_by=f"user:{tenants['admin_a'].id}")
    create_run(db, by_beat, "hemis_employees", organization_id=hemis_org.id, triggered_by="beat")
    db.commit()

    for run_id in (by_user, by_beat):
        _invisible_to(client, tenants["b"], run_id)
    seen_by_colleague = {run["runId"]: run for run in client.get("/runs", headers=tenants["colleague_a"])
                         .get_json()["running"]}
    assert seen_by_colleague[by_user]["triggeredBy"] == f"user:{tenants['admin_a'].id}"
    assert seen_by_colleague[by_beat]["triggeredBy"] == "beat"
    assert client.get(f"/runs/{by_user}", headers=tenants["a"]).get_json()["triggeredBy"] == \
        f"user:{tenants['admin_a'].id}"
    assert client.get(f"/runs/{by_user}", headers=tenants["super"]).get_json()["triggeredBy"] == \
        f"user:{tenants['admin_a'].id}"
    assert _listed_ids(client, tenants["super"]) >= {by_user, by_beat}


def test_a_single_lookup_by_a_superadmin_is_hidden_from_every_tenant(client, db, tenants, make_user, hemis_org):
    """A SUPERADMIN looking a person up in an organization's HEMIS: the organization sees the run
    but not what was looked up nor who; any other organization does not see it at all."""
    operator = make_user("SUPERADMIN")
    in_a, legacy = new_run_id(), new_run_id()
    run = create_run(db, in_a, "hemis_employee", organization_id=hemis_org.id, triggered_by=f"user:{operator.id}")
    run.stats = {"idNumber": LOOKED_UP, "hemisId": None}
    old = create_run(db, legacy, "hemis_employee", triggered_by=f"user:{operator.id}")  # of no organization
    old.stats = {"idNumber": LOOKED_UP, "hemisId": None}
    db.commit()
    view = client.get(f"/runs/{in_a}", headers=tenants["a"]).get_json()
    assert view["runId"] == in_a
    assert view["stats"] == {} and view["triggeredBy"] is None and LOOKED_UP not in json.dumps(view)
    for headers in (tenants["a"], tenants["b"]):
        _invisible_to(client, headers, legacy)
    _invisible_to(client, tenants["b"], in_a)
    assert client.get(f"/runs/{in_a}", headers=tenants["super"]).get_json()["stats"]["idNumber"] == LOOKED_UP


def test_who_cancelled_a_hemis_run_is_shown_to_their_organization_only(app_without_workers, client, tenants):
    started = client.post("/api/hemis/sync/students", headers=tenants["a"])
    assert started.status_code == 202, started.get_json()
    run_id = started.get_json()["runId"]  # no worker gets its tasks: the run stays running until cancelled
    assert client.post(f"/runs/{run_id}/cancel", headers=tenants["b"]).status_code == 404  # not theirs to cancel
    assert client.post(f"/runs/{run_id}/cancel", headers=tenants["a"]).status_code == 200

    canceller = f"user:{tenants['admin_a'].id}"
    assert client.get(f"/runs/{run_id}", headers=tenants["colleague_a"]).get_json()["stats"]["cancelledBy"] == canceller
    assert client.get(f"/runs/{run_id}", headers=tenants["super"]).get_json()["stats"]["cancelledBy"] == canceller
    _invisible_to(client, tenants["b"], run_id)

    # Cancelled by the operator: the organization sees that it was cancelled, not by whom.
    again = client.post("/api/hemis/sync/students", headers=tenants["a"])
    assert again.status_code == 202, again.get_json()
    second = again.get_json()["runId"]
    assert client.post(f"/runs/{second}/cancel", headers=tenants["super"]).status_code == 200
    seen_by_a = client.get(f"/runs/{second}", headers=tenants["colleague_a"]).get_json()
    assert seen_by_a["status"] == "cancelled" and seen_by_a["stats"]["cancelledBy"] is None
    listed = client.get("/runs?kind=hemis_students", headers=tenants["colleague_a"]).get_json()
    assert {run["runId"]: run["stats"].get("cancelledBy") for run in listed["running"] + listed["finished"]} == \
        {run_id: canceller, second: None}


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
