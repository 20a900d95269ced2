"""Redis and PostgreSQL restarting in the middle of runs.

Redis: a private `redis-server` with AOF (as compose runs it) restarted mid-run: the HEMIS run and
the Sipuni step 2 both complete with exact counts, every process reconnecting by itself. Restarted
*empty*: the run PostgreSQL still records as running is ended `failed`, saying Redis lost its
state, within a minute, and a new trigger works at once.
PostgreSQL: every connection of the test database cut and new ones refused for a few seconds:
tasks retry, the run completes with exact counts, and the API answers 503 JSON meanwhile.
"""

from __future__ import annotations

import time
from collections import Counter

from flask.testing import FlaskClient

from api import create_app
from shared.models import SyncRun
from shared.redis_client import make_redis
from shared.runs.progress import ProgressStore
from tests.conftest import TEST_PASSWORD, settings_with
from tests.support.hemis import assert_matches_simulator, only_these_workers_on_hemis, wait_for_run
from tests.support.recovery import RECOVERY_BOUND_S
from tests.support.restarts import database_away
from tests.support.sipuni import expected_outcomes
from tests.support.sipuni import wait_for_run as wait_for_step2
from tests.support.workers import ALL_QUEUES, logs_on_failure

STUDENTS = 500  # 20 pages of 25
SEED = 21
CALLS = 30
PAGES_BEFORE_FAULT = 4
DB_AWAY_S = 4.0
WAIT_S = 60.0


def _login(client: FlaskClient, user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    response = client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _wait_for_pages(redis_url: str, run_id: str, pages: int) -> None:
    progress = ProgressStore(make_redis(redis_url))
    deadline = time.monotonic() + WAIT_S
    while int((progress.get(run_id) or {}).get("pagesDone") or 0) < pages:
        assert time.monotonic() < deadline, "the run did not get going"
        time.sleep(0.05)


def test_a_redis_restart_mid_run_loses_nothing(hemis, sipuni, sipuni_org, private_redis, extra_workers, beat,
                                               worker, celery_app, db, settings):
    private = settings_with(settings, redis_url=private_redis.url, hemis_page_size=25)
    app = create_app(private)
    client = app.test_client()
    admin, organization = sipuni_org
    headers = _login(client, admin)
    extra_workers("redis-a", settings=private, queues=ALL_QUEUES, concurrency=2)
    extra_workers("redis-b", settings=private, queues=ALL_QUEUES, concurrency=2)
    beat(private)
    hemis.reset(students=STUDENTS, seed=SEED)
    hemis.config(latency_ms=150)
    sipuni.reset(calls=CALLS)
    step1 = client.post(f"/sipuni/step1-fetch-csv?limit={CALLS}", headers=headers).get_json()
    assert wait_for_step2(client, headers, step1["runId"])["status"] == "completed"
    sipuni.faults(latencyMs=150)

    hemis_run = client.post("/api/hemis/sync/students", headers=headers).get_json()["runId"]
    step2_run = client.post("/sipuni/step2-process-recordings", headers=headers).get_json()["runId"]
    _wait_for_pages(private.redis_url, hemis_run, PAGES_BEFORE_FAULT)
    private_redis.restart()

    run = wait_for_run(app.extensions["navai"].session_factory, hemis_run, timeout_s=120)
    assert run.status == "completed", run.errors
    assert run.processed == STUDENTS and run.stats["distinctIds"] == STUDENTS
    assert_matches_simulator(db, "students", STUDENTS, SEED)
    step2 = wait_for_step2(client, headers, step2_run)
    tally = Counter(expected_outcomes(sipuni.calls()).values())
    assert (step2["status"], step2["total"], step2["processed"], step2["failed"]) == \
        ("completed", CALLS, tally["processed"], 0)


def test_redis_back_empty_ends_the_running_run_and_frees_its_lock(hemis, private_redis, extra_workers, beat,
                                                                  make_user, settings):
    private = settings_with(settings, redis_url=private_redis.url, hemis_page_size=25)
    app = create_app(private)
    client = app.test_client()
    headers = _login(client, make_user("ADMIN"))
    processes = [extra_workers("empty-a", settings=private, queues=ALL_QUEUES, concurrency=2), beat(private)]
    hemis.reset(students=STUDENTS, seed=SEED)
    hemis.config(latency_ms=600)
    run_id = client.post("/api/hemis/sync/students", headers=headers).get_json()["runId"]
    _wait_for_pages(private.redis_url, run_id, 2)
    private_redis.restart(empty=True)
    emptied_at = time.monotonic()

    factory = app.extensions["navai"].session_factory
    with logs_on_failure(processes):
        run = wait_for_run(factory, run_id, timeout_s=RECOVERY_BOUND_S + 30)
    ended_s = time.monotonic() - emptied_at
    assert run.status == "failed" and any("Redis lost" in error for error in run.errors), run.errors
    assert ended_s < RECOVERY_BOUND_S, ended_s
    hemis.config(latency_ms=0)
    again = client.post("/api/hemis/sync/students", headers=headers)
    assert again.status_code == 202, again.get_json()
    assert wait_for_run(factory, again.get_json()["runId"]).status == "completed"


def test_a_postgres_restart_mid_run_loses_nothing_and_the_api_answers_503(hemis, worker, extra_workers, celery_app,
                                                                        client, auth_headers, app, db, settings):
    quick = settings_with(settings, hemis_page_size=25)
    headers = auth_headers("ADMIN")
    hemis.reset(students=STUDENTS, seed=SEED)
    hemis.config(latency_ms=150)
    with only_these_workers_on_hemis(celery_app, worker.name):
        extra_workers("pg-a", settings=quick, queues="hemis", concurrency=2)
        extra_workers("pg-b", settings=quick, queues="hemis", concurrency=2)
        run_id = client.post("/api/hemis/sync/students", headers=headers).get_json()["runId"]
        _wait_for_pages(settings.redis_url, run_id, PAGES_BEFORE_FAULT)
        with database_away(settings.database_url):
            time.sleep(DB_AWAY_S / 2)
            away = client.get("/users", headers=headers)
            time.sleep(DB_AWAY_S / 2)
        run = wait_for_run(app.extensions["navai"].session_factory, run_id, timeout_s=120)
    assert away.status_code == 503 and away.is_json, away.data[:200]
    assert away.get_json()["success"] is False and "database" in away.get_json()["message"]
    assert run.status == "completed", run.errors
    assert run.processed == STUDENTS and run.stats["distinctIds"] == STUDENTS
    assert_matches_simulator(db, "students", STUDENTS, SEED)
    assert db.get(SyncRun, run_id).finished_at is not None
