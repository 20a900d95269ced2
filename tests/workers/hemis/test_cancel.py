"""Cancelling a HEMIS full sync on a real worker, against the simulator with page latency: no page
not yet fetched is fetched, nobody is deactivated, the kind's lock is free at once, the nightly
chain's next kind is not started, and the run never turns `completed`."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from shared import keys
from shared.hemis.names import EMPLOYEES, STUDENTS, run_lock
from shared.hemis.start import start_full_run
from shared.models import Student, SyncRun
from tests.support.cancel import eventually, settled_count
from tests.support.hemis import simulator_for, wait_for_run
from tests.support.workers import logs_on_failure

SEED = 3
QUIET_S = 2.0  # no page request for this long after the cancel: nothing is in flight any more
NEXT_KIND_WAIT_S = 3.0  # long enough for a finalizer to have started the next kind


def _run(factory, run_id: str) -> SyncRun:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.get(SyncRun, run_id)


def _students(factory, *conditions) -> int:  # type: ignore[no-untyped-def]
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(Student).where(*conditions)))


def _employee_runs(factory) -> int:  # type: ignore[no-untyped-def]
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(SyncRun).where(SyncRun.kind == "hemis_employees")))


def _synced_once(hemis, app, client, headers, students: int) -> int:  # type: ignore[no-untyped-def]
    """A complete run of `students`, so that a later complete run would deactivate who is gone."""
    hemis.reset(students=students, seed=SEED)
    response = client.post("/api/hemis/sync/students", headers=headers)
    assert response.status_code == 202, response.get_json()
    assert wait_for_run(app.extensions["navai"].session_factory, response.get_json()["runId"]).status == "completed"
    return _students(app.extensions["navai"].session_factory)


def _admin(make_user, auth_headers) -> tuple[int, dict[str, str]]:  # type: ignore[no-untyped-def]
    """An ADMIN of the deployment's only organization (the deployment's HEMIS serves it)."""
    admin = make_user("ADMIN")
    return admin.organization_id, auth_headers(user=admin)


def test_a_nightly_students_sync_cancelled_midway_fetches_no_more_pages_and_deactivates_nobody(
        hemis, worker, client, auth_headers, make_user, app):
    with logs_on_failure([worker]):
        svc, factory = app.extensions["navai"], app.extensions["navai"].session_factory
        org, headers = _admin(make_user, auth_headers)
        stored = _synced_once(hemis, app, client, headers, 2_000)
        hemis.reset(students=1_900, seed=SEED)  # 100 left HEMIS: a complete run would deactivate them
        hemis.config(latency_ms=300)
        hemis.clear_stats()
        started = start_full_run(svc, STUDENTS, organization_id=org, triggered_by="beat", then=EMPLOYEES)  # nightly
        eventually(lambda: len(hemis.requests()), lambda n: n >= 4, what="page requests")

        response = client.post("/api/hemis/cancel/students", headers=headers)

        assert response.status_code == 200, response.get_json()
        assert response.get_json()["runId"] == started.run_id and response.get_json()["status"] == "cancelled"
        assert run_lock(svc.redis, org, STUDENTS).holder() is None
        at_cancel = len(hemis.requests())
        fetched = settled_count(lambda: len(hemis.requests()), QUIET_S)
        assert fetched < 1_900 // 50 and fetched <= at_cancel + 2, (at_cancel, fetched)  # 2: the worker's concurrency
        run = eventually(lambda: _run(factory, started.run_id),
                         lambda r: r.processed == _students(factory, Student.last_seen_run_id == started.run_id),
                         what="the cancelled run's counts")
        assert run.status == "cancelled" and run.total == 1_900 and 0 < run.processed < 1_900
        assert run.stats["deactivated"] == 0
        assert _students(factory, Student.is_active.is_(True)) == stored  # nobody deactivated
        time.sleep(NEXT_KIND_WAIT_S)
        assert _employee_runs(factory) == 0  # the chain's next kind was not started
        assert _run(factory, started.run_id).status == "cancelled"

        # The lock was free at once: a new run (no latency now) completes and deactivates the 100.
        hemis.config(latency_ms=0)
        again = client.post("/api/hemis/sync/students", headers=headers)
        assert again.status_code == 202, again.get_json()
        rerun = wait_for_run(factory, again.get_json()["runId"])
        assert rerun.status == "completed" and rerun.stats["deactivated"] == stored - 1_900


def test_a_run_whose_last_page_is_in_flight_at_the_cancel_stays_cancelled_and_deactivates_nobody(
        hemis, worker, client, auth_headers, make_user, app, settings):
    with logs_on_failure([worker]):
        svc, factory = app.extensions["navai"], app.extensions["navai"].session_factory
        org, headers = _admin(make_user, auth_headers)
        stored = _synced_once(hemis, app, client, headers, 100)
        hemis.reset(students=60, seed=SEED)  # two pages of 50; 40 gone from HEMIS
        hemis.config(latency_ms=1_500)
        state = simulator_for(settings).state
        arrived = state.list_requests
        started = start_full_run(svc, STUDENTS, organization_id=org, triggered_by="beat", then=EMPLOYEES)
        eventually(lambda: state.list_requests, lambda n: n >= arrived + 2, what="page 2's request")  # in flight

        response = client.post(f"/runs/{started.run_id}/cancel", headers=headers)

        assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
        assert run_lock(svc.redis, org, STUDENTS).holder() is None
        # Page 2 finishes, the last page: its finalizer keeps the run cancelled, counting the page.
        run = eventually(lambda: _run(factory, started.run_id), lambda r: r.processed == 60, what="page 2 counted")
        assert run.status == "cancelled" and run.stats["pagesDone"] == 2 and run.stats["deactivated"] == 0
        assert eventually(lambda: svc.redis.hget(keys.hemis_run_ledger(started.run_id)["meta"], "closed"),
                          lambda closed: closed == "1", what="the ledger closed")
        assert _students(factory, Student.is_active.is_(True)) == stored
        time.sleep(NEXT_KIND_WAIT_S)
        assert _employee_runs(factory) == 0
        assert _run(factory, started.run_id).status == "cancelled"
