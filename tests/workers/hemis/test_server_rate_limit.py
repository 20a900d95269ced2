"""Full runs against a HEMIS behind Yii2's rate limiter (the simulator's), on two real worker
processes with no client cap (HEMIS_RATE_LIMIT=0): the server's budget alone paces them."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from shared.models import Student, SyncRun
from tests.support.hemis import FINISHED, assert_matches_simulator, hemis_settings, only_these_workers_on_hemis

LIMIT = 20
WINDOW_S = 10
PAGE_SIZE = 50
STUDENTS = 2_500  # 50 pages: ideal (50 - 20) * 10 / 20 = 15 s
SEED = 11
WALL_FACTOR = 1.5
WALL_SLACK_S = 5.0  # worker start-up aside: enqueueing, the first page, polling
MAX_429_SHARE = 0.10
WAITING = "Waiting for HEMIS rate limit ("


def ideal_s(pages: int) -> float:
    """The initial allowance at once, then one page per window / limit."""
    return max(0, pages - LIMIT) * WINDOW_S / LIMIT


def run_and_watch(client, headers, app) -> tuple[SyncRun, float, list[str]]:
    """Start a students run; poll its progress until it ends. Returns (run, seconds, messages seen)."""
    started = time.monotonic()
    response = client.post("/api/hemis/sync/students", headers=headers)
    assert response.status_code == 202, response.get_json()
    run_id = response.get_json()["runId"]
    messages: list[str] = []
    factory = app.extensions["navai"].session_factory
    deadline = started + 120
    while time.monotonic() < deadline:
        body = client.get("/api/hemis/progress/students", headers=headers).get_json()
        if body.get("message") and body["message"] not in messages:
            messages.append(body["message"])
        if body.get("runId") == run_id and body.get("status") in FINISHED:
            with factory() as session:
                run = session.get(SyncRun, run_id)
                if run is not None and run.status in FINISHED:
                    return run, time.monotonic() - started, messages
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish; progress messages: {messages}")


def two_workers(extra_workers, settings):
    unlimited = hemis_settings(settings, hemis_rate_limit=0, hemis_page_size=PAGE_SIZE)
    return [extra_workers(f"hemis-yii2-{n}", settings=unlimited, queues="hemis", concurrency=4) for n in "ab"]


def test_a_full_run_against_yii2s_limit_completes_near_the_ideal_time_and_within_the_window(
        hemis, worker, extra_workers, celery_app, settings, client, auth_headers, app, db):
    hemis.reset(students=STUDENTS, seed=SEED)
    hemis.rate_limit(LIMIT, WINDOW_S)
    headers = auth_headers("ADMIN")
    with only_these_workers_on_hemis(celery_app, worker.name):
        workers = two_workers(extra_workers, settings)
        hemis.clear_stats()
        run, seconds, _ = run_and_watch(client, headers, app)
    pages = STUDENTS // PAGE_SIZE
    assert run.status == "completed", run.errors
    assert run.processed == STUDENTS and run.failed == 0 and run.stats["failedPages"] == []
    assert_matches_simulator(db, "students", STUDENTS, SEED)  # every student, exactly once
    requests = [r for r in hemis.requests() if r["path"] == "student-list"]
    limited = hemis.rate_limit_stats()
    assert limited["refused"] <= MAX_429_SHARE * len(requests), limited
    assert run.stats["http429"] == limited["refused"]  # the run counted every 429 it was answered
    assert sum(1 for r in requests if r["status"] == 200) == pages  # no page fetched twice
    assert seconds <= WALL_FACTOR * ideal_s(pages) + WALL_SLACK_S, (seconds, ideal_s(pages), limited)
    # Never more requests in one window than Yii2 can let through in one: the allowance it starts
    # the window with (at most L) plus what it refills within it (at most L).
    assert limited["maxRequestsInWindow"] <= 2 * LIMIT, limited
    assert all("hemis.sync_page" in w.log() for w in workers)  # both workers took pages


def test_a_server_without_rate_limit_headers_is_paced_by_aimd_and_the_run_completes(
        hemis, worker, extra_workers, celery_app, settings, client, auth_headers, app, db):
    hemis.reset(students=STUDENTS, seed=SEED)
    hemis.rate_limit(LIMIT, WINDOW_S, headers=False)
    headers = auth_headers("ADMIN")
    with only_these_workers_on_hemis(celery_app, worker.name):
        two_workers(extra_workers, settings)
        hemis.clear_stats()
        run, _, messages = run_and_watch(client, headers, app)
    assert run.status == "completed", run.errors
    assert run.processed == STUDENTS and run.failed == 0
    assert db.scalar(select(func.count()).select_from(Student)) == STUDENTS
    limited = hemis.rate_limit_stats()
    assert limited["refused"] > 0  # the burst ran into the limit...
    assert run.stats["http429"] == limited["refused"]  # ...every 429 was counted, none failed a page
    assert any(m.startswith(WAITING) and m.endswith(" s)") for m in messages), messages


def test_only_the_run_deadline_ends_a_run_the_rate_limit_locks_out(
        hemis, worker, extra_workers, celery_app, settings, client, auth_headers, app):
    hemis.reset(students=150, seed=SEED)
    hemis.rate_limit(1, 3600)  # one request an hour: page 1, then nothing
    short = hemis_settings(settings, hemis_rate_limit=0, hemis_page_size=PAGE_SIZE, hemis_run_deadline_s=3)
    with only_these_workers_on_hemis(celery_app, worker.name):
        extra_workers("hemis-deadline", settings=short, queues="hemis", concurrency=2)
        run, seconds, _ = run_and_watch(client, auth_headers("ADMIN"), app)
    assert run.status == "failed"
    assert any("HEMIS rate limit" in e and "HEMIS_RUN_DEADLINE_S (3 s)" in e for e in run.errors), run.errors
    # Page 1's answer said nothing is left for an hour: page 2 booked its slot an hour ahead instead
    # of asking (no 429), and no page failed on its own.
    assert run.stats["http429"] == 0 and run.stats["failedPages"] == []
    assert hemis.rate_limit_stats()["refused"] == 0
    assert seconds < 30  # the deadline, not the server's hour, ended it
