"""kill -9 of a whole worker mid-run: its pages are fetched again by the other worker within seconds
(the supervisor, not Celery's visibility timeout), and every record lands exactly once."""

from __future__ import annotations

import time

from shared.hemis_runs import progress_scope
from shared.progress import ProgressStore
from tests.hemis_support import assert_matches_simulator, hemis_settings, only_these_workers_on_hemis, wait_for_run

STUDENTS = 2_000  # 80 pages of 25
SEED = 11
KILL_AFTER_PAGES = 8
PAGES_WAIT_S = 60


def test_a_killed_worker_loses_nothing(hemis, worker, extra_workers, celery_app, client, auth_headers, app, db,
                                       redis_client):
    quick = hemis_settings(app.extensions["navai"].settings, hemis_page_size=25, hemis_page_stall_s=3,
                           hemis_supervise_interval_s=1)
    hemis.reset(students=STUDENTS, seed=SEED)
    hemis.config(latency_ms=300)
    with only_these_workers_on_hemis(celery_app, worker.name):
        doomed = extra_workers("hemis-doomed", settings=quick, queues="hemis", concurrency=2)
        survivor = extra_workers("hemis-survivor", settings=quick, queues="hemis", concurrency=2)
        response = client.post("/api/hemis/sync/students", headers=auth_headers("ADMIN"))
        run_id = response.get_json()["runId"]
        wait_for_pages(ProgressStore(redis_client), run_id, KILL_AFTER_PAGES)
        assert "hemis.sync_page" in doomed.log()  # it held pages when it died
        doomed.kill_hard()
        run = wait_for_run(app.extensions["navai"].session_factory, run_id, timeout_s=90)
    assert survivor.process.poll() is None
    assert run.status == "completed", run.errors
    assert run.processed == STUDENTS and run.stats["distinctIds"] == STUDENTS
    assert any("stalled" in error for error in run.errors), run.errors  # recovered by the supervisor
    assert_matches_simulator(db, "students", STUDENTS, SEED)
    assert ProgressStore(redis_client).latest(progress_scope("students")) == run_id


def wait_for_pages(progress: ProgressStore, run_id: str, pages: int) -> None:
    deadline = time.monotonic() + PAGES_WAIT_S
    while int((progress.get(run_id) or {}).get("pagesDone") or 0) < pages:
        assert time.monotonic() < deadline, "the run did not get going"
        time.sleep(0.05)
