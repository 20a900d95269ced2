"""kill -9 of a whole worker mid-run: its pages are fetched again by the other worker within seconds
(the recovery sweeper, not Celery's visibility timeout), and every record lands exactly once."""

from __future__ import annotations

import time

from shared.hemis_runs import progress_scope
from shared.progress import ProgressStore
from tests.hemis_support import assert_matches_simulator, hemis_settings, only_these_workers_on_hemis, wait_for_run

STUDENTS = 2_000  # 80 pages of 25
SEED = 11
KILL_AFTER_PAGES = 8
PAGES_WAIT_S = 60
LATENCY_MS = 300
SLOW_LATENCY_MS = 5_000
RECEIVED = "Task hemis.sync_page["


def test_a_killed_worker_loses_nothing(hemis, worker, extra_workers, celery_app, client, auth_headers, app, db,
                                       redis_client):
    quick = hemis_settings(app.extensions["navai"].settings, hemis_page_size=25)
    hemis.reset(students=STUDENTS, seed=SEED)
    hemis.config(latency_ms=LATENCY_MS)
    with only_these_workers_on_hemis(celery_app, worker.name):
        doomed = extra_workers("hemis-doomed", settings=quick, queues="hemis", concurrency=2)
        survivor = extra_workers("hemis-survivor", settings=quick, queues="hemis", concurrency=2)
        response = client.post("/api/hemis/sync/students", headers=auth_headers("ADMIN"))
        run_id = response.get_json()["runId"]
        wait_for_pages(ProgressStore(redis_client), run_id, KILL_AFTER_PAGES)
        # Kill it while it surely holds an unfinished page: slow HEMIS down, then wait until the doomed
        # worker takes a new page, whose request now outlasts the kill. (Killing right as its pages
        # finished left nothing to recover, and the test raced against that.)
        hemis.config(latency_ms=SLOW_LATENCY_MS)
        wait_for_new_page(doomed)
        doomed.kill_hard()
        hemis.config(latency_ms=LATENCY_MS)
        run = wait_for_run(app.extensions["navai"].session_factory, run_id, timeout_s=90)
    assert survivor.process.poll() is None
    assert run.status == "completed", run.errors
    assert run.processed == STUDENTS and run.stats["distinctIds"] == STUDENTS
    assert_matches_simulator(db, "students", STUDENTS, SEED)
    assert ProgressStore(redis_client).latest(progress_scope("students")) == run_id


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
