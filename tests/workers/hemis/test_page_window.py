"""A HEMIS run's page window (issue 20 point 2): at most HEMIS_PAGES_IN_FLIGHT of its pages are
published and not done at any moment, so many organizations' runs share the `hemis` queue; pages
claimed but never published (a worker died in between) are published again by the sweeper."""

from __future__ import annotations

import time

from shared.hemis.start import start_full_run
from shared.runs.progress import ProgressStore
from tests.support.hemis import assert_matches_simulator, hemis_settings, only_these_workers_on_hemis, wait_for_run
from workers.hemis.ledger import RunLedger

PAGE_SIZE = 10
STUDENTS = 300  # 30 pages
IN_FLIGHT = 3
SEED = 5
SAMPLE_EVERY_S = 0.02
LOST_PAGES = 3


def in_flight(ledger: RunLedger) -> tuple[int | None, int]:
    """(pages published, pages done) as the run's ledger says now."""
    pipe = ledger.redis.pipeline(transaction=False)
    pipe.hget(ledger.key("meta"), "published")
    pipe.scard(ledger.key("done"))
    published, done = pipe.execute()
    return (int(published) if published else None), int(done)


def test_a_run_never_has_more_pages_out_than_its_window(hemis, worker, extra_workers, celery_app, settings, app,
                                                        redis_client, hemis_org, db):
    hemis.reset(students=STUDENTS, seed=SEED)
    hemis.config(latency_ms=40)
    windowed = hemis_settings(settings, hemis_rate_limit=0, hemis_page_size=PAGE_SIZE, hemis_pages_in_flight=IN_FLIGHT)
    with only_these_workers_on_hemis(celery_app, worker.name):
        extra_workers("hemis-window", settings=windowed, queues="hemis", concurrency=8)
        svc = app.extensions["navai"]
        run_id = start_full_run(svc, "students", organization_id=hemis_org.id, triggered_by="test").run_id
        ledger = RunLedger(redis_client, ProgressStore(redis_client), run_id)
        most, samples = 0, 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            published, done = in_flight(ledger)
            if published is not None:
                most, samples = max(most, published - done), samples + 1
            if ledger.is_closed():
                break
            time.sleep(SAMPLE_EVERY_S)
        run = wait_for_run(app.extensions["navai"].session_factory, run_id)
    assert run.status == "completed" and run.processed == STUDENTS, run.errors
    assert samples > 20
    # Eight worker processes could have taken every page at once; the window held the run to three.
    assert 1 <= most <= IN_FLIGHT, most
    assert_matches_simulator(db, "students", STUDENTS, SEED)


def test_pages_claimed_but_never_published_are_published_again_by_the_sweeper(
        hemis, worker, extra_workers, celery_app, settings, app, redis_client, hemis_org, beat, db):
    hemis.reset(students=STUDENTS, seed=SEED)
    hemis.config(latency_ms=150)
    windowed = hemis_settings(settings, hemis_rate_limit=0, hemis_page_size=PAGE_SIZE, hemis_pages_in_flight=2)
    with only_these_workers_on_hemis(celery_app, worker.name):
        extra_workers("hemis-window", settings=windowed, queues="hemis", concurrency=4)
        svc = app.extensions["navai"]
        run_id = start_full_run(svc, "students", organization_id=hemis_org.id, triggered_by="test").run_id
        ledger = RunLedger(redis_client, ProgressStore(redis_client), run_id)
        deadline = time.monotonic() + 30
        while in_flight(ledger)[0] is None and time.monotonic() < deadline:
            time.sleep(SAMPLE_EVERY_S)
        # A worker that died right after claiming pages: claimed (`published` moved on), never queued.
        lost = ledger.claim_pages(LOST_PAGES, 100)
        assert len(lost) == LOST_PAGES
        beat()  # the recovery sweep, as in production
        run = wait_for_run(app.extensions["navai"].session_factory, run_id, timeout_s=90)
    assert run.status == "completed" and run.processed == STUDENTS, run.errors
    assert set(lost) <= ledger.done_pages()
    assert_matches_simulator(db, "students", STUDENTS, SEED)
