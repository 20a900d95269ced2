"""HEMIS_RATE_LIMIT holds across two worker processes, measured where it matters: at the simulator."""

from __future__ import annotations

from simulators.hemis.control import max_requests_in_any_window
from tests.support.hemis import hemis_settings, only_these_workers_on_hemis, wait_for_run

RATE_PER_S = 4


def test_rate_limit_holds_across_two_workers(hemis, worker, extra_workers, celery_app, client, auth_headers, app):
    limited = hemis_settings(app.extensions["navai"].settings, hemis_rate_limit=RATE_PER_S, hemis_page_size=10)
    hemis.reset(students=240, seed=9)  # 24 pages
    with only_these_workers_on_hemis(celery_app, worker.name):
        first = extra_workers("hemis-rate-a", settings=limited, queues="hemis", concurrency=2)
        second = extra_workers("hemis-rate-b", settings=limited, queues="hemis", concurrency=2)
        hemis.clear_stats()
        response = client.post("/api/hemis/sync/students", headers=auth_headers("ADMIN"))
        run = wait_for_run(app.extensions["navai"].session_factory, response.get_json()["runId"])
    assert run.status == "completed" and run.processed == 240
    times = [r["t"] for r in hemis.requests() if r["path"] == "student-list"]
    assert len(times) == 24
    assert max_requests_in_any_window(times, 1.0) <= RATE_PER_S
    assert "hemis.sync_page" in first.log() and "hemis.sync_page" in second.log()  # both took pages
