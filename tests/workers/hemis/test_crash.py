"""Processes dying mid-run: a worker killed with SIGKILL, beat killed, a worker stopped with SIGTERM.
The dead worker's pages run again on the others within a minute (the recovery sweeper, not Celery's
visibility timeout), and every record lands exactly once."""

from __future__ import annotations

import os
import signal
import time

from shared.hemis.names import progress_scope, run_kind, run_lock
from shared.runs.progress import ProgressStore
from shared.runs.record import create_run, new_run_id
from tests.support.hemis import assert_matches_simulator, hemis_settings, only_these_workers_on_hemis, wait_for_run
from tests.support.recovery import RECOVERY_BOUND_S, lease_store, seconds_until_taken_over, wait_for_held

STUDENTS = 2_000  # 80 pages of 25
SEED = 11
KILL_AFTER_PAGES = 8
PAGES_WAIT_S = 60
LATENCY_MS = 300
SLOW_LATENCY_MS = 5_000
RECEIVED = "Task hemis.sync_page["
# SIGTERM: its pages are published again at once; they run as soon as the other worker has a free
# process (its pages in flight take up to 5 s), long before the leaving worker would count as dead (60 s).
HAND_BACK_BOUND_S = 15.0
SLOW_TO_DECLARE_DEAD = {"recovery_worker_alive_s": 60, "recovery_lease_s": 60}


def _start(hemis, client, auth_headers, redis_client):  # type: ignore[no-untyped-def]
    hemis.reset(students=STUDENTS, seed=SEED)
    hemis.config(latency_ms=LATENCY_MS)
    run_id = client.post("/api/hemis/sync/students", headers=auth_headers("ADMIN")).get_json()["runId"]
    wait_for_pages(ProgressStore(redis_client), run_id, KILL_AFTER_PAGES)
    return run_id


def _assert_exact(app, db, redis_client, run_id):  # type: ignore[no-untyped-def]
    run = wait_for_run(app.extensions["navai"].session_factory, run_id, timeout_s=120)
    assert run.status == "completed", run.errors
    assert run.processed == STUDENTS and run.stats["distinctIds"] == STUDENTS
    assert_matches_simulator(db, "students", STUDENTS, SEED)
    assert run.organization_id is not None
    assert ProgressStore(redis_client).latest(progress_scope(run.organization_id, "students")) == run_id


def test_a_killed_worker_loses_nothing(hemis, worker, extra_workers, beat, celery_app, client, auth_headers, app, db,
                                       redis_client, settings):
    quick = hemis_settings(settings, hemis_page_size=25)
    store = lease_store(settings)
    beat()
    with only_these_workers_on_hemis(celery_app, worker.name):
        doomed = extra_workers("hemis-doomed", settings=quick, queues="hemis", concurrency=2)
        survivor = extra_workers("hemis-survivor", settings=quick, queues="hemis", concurrency=2)
        run_id = _start(hemis, client, auth_headers, redis_client)
        # Kill it while it surely holds an unfinished page: slow HEMIS down, then wait until the doomed
        # worker takes a new page, whose request now outlasts the kill.
        hemis.config(latency_ms=SLOW_LATENCY_MS)
        wait_for_new_page(doomed)
        held = wait_for_held(store, doomed.name)
        doomed.kill_hard()
        killed_at = time.monotonic()
        hemis.config(latency_ms=LATENCY_MS)
        recovered_s = seconds_until_taken_over(store, held, doomed.name, killed_at)
        _assert_exact(app, db, redis_client, run_id)
    assert survivor.process.poll() is None
    assert recovered_s < RECOVERY_BOUND_S, recovered_s


def test_with_beat_killed_the_tasks_drive_recovery(hemis, worker, extra_workers, beat, celery_app, client,
                                                   auth_headers, app, db, redis_client, settings):
    """Beat dies (kill -9), then a worker: the running page tasks trigger the sweeps themselves."""
    quick = hemis_settings(settings, hemis_page_size=25)
    store = lease_store(settings)
    scheduler = beat()
    with only_these_workers_on_hemis(celery_app, worker.name):
        doomed = extra_workers("hemis-doomed", settings=quick, queues="hemis", concurrency=2)
        extra_workers("hemis-survivor", settings=quick, queues="hemis", concurrency=2)
        run_id = _start(hemis, client, auth_headers, redis_client)
        scheduler.kill_hard()
        held = wait_for_held(store, doomed.name)
        doomed.kill_hard()
        killed_at = time.monotonic()
        recovered_s = seconds_until_taken_over(store, held, doomed.name, killed_at)
        _assert_exact(app, db, redis_client, run_id)
    assert recovered_s < RECOVERY_BOUND_S, recovered_s


def test_a_worker_stopped_with_sigterm_hands_its_pages_back_at_once(hemis, worker, extra_workers, beat, celery_app,
                                                                    client, auth_headers, app, db, redis_client,
                                                                    settings):
    quick = hemis_settings(settings, hemis_page_size=25)
    store = lease_store(settings)
    beat()
    with only_these_workers_on_hemis(celery_app, worker.name):
        # Without the hand-back its pages would wait a minute: that long before it counts as dead.
        leaving = extra_workers("hemis-leaving", settings=hemis_settings(quick, **SLOW_TO_DECLARE_DEAD),
                                queues="hemis", concurrency=2)
        extra_workers("hemis-staying", settings=quick, queues="hemis", concurrency=2)
        run_id = _start(hemis, client, auth_headers, redis_client)
        hemis.config(latency_ms=SLOW_LATENCY_MS)
        wait_for_new_page(leaving)
        held = wait_for_held(store, leaving.name)
        os.killpg(leaving.process.pid, signal.SIGTERM)
        stopped_at = time.monotonic()
        hemis.config(latency_ms=LATENCY_MS)
        handed_back_s = seconds_until_taken_over(store, held, leaving.name, stopped_at)
        _assert_exact(app, db, redis_client, run_id)
    assert handed_back_s < HAND_BACK_BOUND_S, handed_back_s
    assert "handed back" in leaving.log()


def wait_for_pages(progress: ProgressStore, run_id: str, pages: int) -> None:
    deadline = time.monotonic() + PAGES_WAIT_S
    while int((progress.get(run_id) or {}).get("pagesDone") or 0) < pages:
        assert time.monotonic() < deadline, "the run did not get going"
        time.sleep(0.05)


def wait_for_new_page(worker) -> None:  # type: ignore[no-untyped-def]
    """Until the worker's log shows one more page task received than when called."""
    before = _received_pages(worker.log())
    deadline = time.monotonic() + PAGES_WAIT_S
    while _received_pages(worker.log()) <= before:
        assert time.monotonic() < deadline, "the doomed worker took no new page"
        time.sleep(0.02)


def _received_pages(log: str) -> int:
    return sum(1 for line in log.splitlines() if RECEIVED in line and line.endswith("received"))


def test_a_trigger_that_died_before_queueing_the_coordinator(hemis, worker, beat, app, db, redis_client, hemis_org):
    """An API process killed between recording the run and publishing its coordinator (done here
    step by step, as `start_full_run` does): the sweep queues the coordinator, the run completes."""
    hemis.reset(students=120, seed=SEED)
    run_id, org = new_run_id(), hemis_org.id
    assert run_lock(redis_client, org, "students").acquire(run_id) is None
    create_run(db, run_id, run_kind("students"), organization_id=org, triggered_by="test")
    db.commit()
    ProgressStore(redis_client).start(run_id, progress_scope(org, "students"),
                                      {"kind": "students", "organizationId": org, "status": "running"})
    beat()
    run = wait_for_run(app.extensions["navai"].session_factory, run_id, timeout_s=60)
    assert run.status == "completed" and run.processed == 120, run.errors
    assert_matches_simulator(db, "students", 120, SEED)
    assert run_lock(redis_client, org, "students").holder() is None
