"""Cancelling Sipuni runs on a real worker, against the simulator with latency (the run is still
going when it is cancelled): downloads stop, what was in flight is kept and counted, the lock is
free at once, and the run never turns `completed`."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from shared import catalog
from shared.leases.publish import publish
from shared.models import Call, SyncRun
from shared.runs.locks import RunLock
from shared.sipuni.names import csv_path, step1_scope, step2_scope
from shared.sipuni.start import start_chain
from tests.support.cancel import eventually, settled_count
from tests.support.sipuni import expected_outcomes, wait_for_run
from tests.support.workers import logs_on_failure

CALLS = 300
SEED = 5
LATENCY_MS = 150
DOWNLOADS_BEFORE_CANCEL = 10
CONCURRENCY = 2  # the session worker's: at most that many calls are in flight at the cancel
QUIET_S = 2.0  # no download for this long after the cancel: nothing is in flight any more


def _downloads(sipuni) -> int:  # type: ignore[no-untyped-def]
    """Recording requests the simulator has received (counted on arrival)."""
    return int(sipuni.stats()["requests"].get("statistic/record", 0))


def _exports(sipuni) -> int:  # type: ignore[no-untyped-def]
    return sum(count for name, count in sipuni.stats()["requests"].items() if name.startswith("statistic/export"))


def _run(app, run_id: str) -> SyncRun:  # type: ignore[no-untyped-def]
    with app.extensions["navai"].session() as session:
        return session.get(SyncRun, run_id)


def _stored_by(app, run_id: str) -> int:  # type: ignore[no-untyped-def]
    with app.extensions["navai"].session() as session:
        return int(session.scalar(select(func.count()).select_from(Call).where(Call.sync_run_id == run_id)))


def _start(client, headers, path: str) -> str:  # type: ignore[no-untyped-def]
    response = client.post(path, headers=headers)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["runId"]


def test_a_step2_cancelled_midway_downloads_nothing_more_keeps_its_counts_and_frees_its_lock(
        app, client, auth_headers, sipuni, sipuni_org, worker, celery_app):
    with logs_on_failure([worker]):
        admin, organization = sipuni_org
        headers = auth_headers(user=admin)
        sipuni.reset(calls=CALLS, seed=SEED)
        step1 = wait_for_run(client, headers, _start(client, headers, f"/sipuni/step1-fetch-csv?limit={CALLS}"))
        assert step1["status"] == "completed"
        to_download = Counter(expected_outcomes(sipuni.calls()).values())["processed"]
        assert to_download > 5 * DOWNLOADS_BEFORE_CANCEL
        sipuni.faults(latencyMs=LATENCY_MS)
        run_id = _start(client, headers, "/sipuni/step2-process-recordings")
        eventually(lambda: _downloads(sipuni), lambda n: n >= DOWNLOADS_BEFORE_CANCEL, what="downloads")

        response = client.post(f"/runs/{run_id}/cancel", headers=headers)

        at_cancel = _downloads(sipuni)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == "cancelled"
        assert RunLock(app.extensions["navai"].redis, step2_scope(organization.id)).holder() is None
        settled = settled_count(lambda: _downloads(sipuni), QUIET_S)
        assert settled <= at_cancel + CONCURRENCY, (at_cancel, settled)  # only calls in flight at the cancel
        assert settled < to_download

        # In-flight calls are kept and counted: the record agrees with what the run stored.
        run = eventually(lambda: _run(app, run_id), lambda r: r.processed == _stored_by(app, run_id), what="counts")
        assert run.status == "cancelled" and run.total == CALLS
        assert 0 < run.processed <= settled and run.processed + run.skipped + run.failed < CALLS
        assert run.stats["cancelledBy"] == f"user:{admin.id}" and run.stats["recordsProcessed"] == run.processed
        shown = client.get(f"/runs/{run_id}", headers=headers).get_json()
        assert (shown["status"], shown["processed"]) == ("cancelled", run.processed)

        # A finalizer arriving late (a redelivery, the recovery sweeper) leaves it cancelled.
        result = publish(celery_app.navai_services, catalog.SIPUNI_FINALIZE_STEP2, args=[run_id, organization.id],
                         ignore_result=False)
        assert celery_app.AsyncResult(result).get(timeout=30) is None
        assert _run(app, run_id).status == "cancelled"

        # The lock was free at once: a new step 2 (no latency now) stores exactly the calls left.
        sipuni.faults(latencyMs=0)
        rerun = wait_for_run(client, headers, _start(client, headers, "/sipuni/step2-process-recordings"))
        assert rerun["status"] == "completed"
        assert rerun["processed"] == to_download - run.processed
        assert rerun["stats"]["skippedByReason"]["already_exists"] == run.processed
        assert _run(app, run_id).status == "cancelled"


def test_cancelling_a_chains_step1_in_flight_keeps_its_export_and_cancels_the_step2_after_it(
        app, client, auth_headers, sipuni, sipuni_org, worker, settings):
    with logs_on_failure([worker]):
        admin, organization = sipuni_org
        headers = auth_headers(user=admin)
        svc = app.extensions["navai"]
        sipuni.faults(latencyMs=1500)  # the export is in flight when the cancel comes
        chain = start_chain(svc, organization.id, "schedule", 60, None)
        eventually(lambda: _exports(sipuni), lambda n: n >= 1, what="the export request")

        response = client.post(f"/runs/{chain.step1_run_id}/cancel", headers=headers)

        assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
        assert RunLock(svc.redis, step1_scope(organization.id)).holder() is None
        step1 = eventually(lambda: _run(app, chain.step1_run_id), lambda r: r.processed == 60, what="step 1 counts")
        assert step1.status == "cancelled" and step1.total == 60  # the export in flight finished and is kept
        assert csv_path(settings.data_dir, organization.id).is_file()
        step2 = eventually(lambda: _run(app, chain.step2_run_id), lambda r: r.status != "running", what="step 2")
        assert step2.status == "cancelled"
        assert step2.stats["cancelledBy"] == f"the cancel of step-1 run {chain.step1_run_id}"
        assert RunLock(svc.redis, step2_scope(organization.id)).holder() is None
        assert _downloads(sipuni) == 0  # step 2 was never started
        line = f"[STEP1] run {chain.step1_run_id} was cancelled"
        eventually(worker.log, lambda log: line in log, what="the worker's log line")
