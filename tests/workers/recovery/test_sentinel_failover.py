"""Redis Sentinel failover in the middle of runs: the master SIGKILLed while a HEMIS run and a Sipuni
step 2 are going, its replica promoted by three sentinels (quorum 2, master judged down after 2 s).

The replica is frozen for a moment before the kill, so the writes the master took meanwhile (pages
and calls counted, leases released, messages taken from the queues) are lost as asynchronous
replication loses them. Every process (API, workers, beat) follows the new master by itself, the runs
are moving again within 30 s of the promotion, and both end `completed` with exact counts: what
Redis lost is published again from its leases and reconciled from PostgreSQL, never counted twice.
"""

from __future__ import annotations

import time
from collections import Counter

from flask.testing import FlaskClient
from sqlalchemy import func, select

from api import create_app
from shared.models import Call, SyncRun
from shared.redis_client import make_redis
from shared.runs.progress import ProgressStore
from tests.conftest import TEST_PASSWORD, settings_with
from tests.support.hemis import assert_matches_simulator, wait_for_run
from tests.support.sentinel import SentinelDeployment, sentinel_deployment  # noqa: F401 (fixture)
from tests.support.sipuni import expected_outcomes
from tests.support.sipuni import wait_for_run as wait_for_step2
from tests.support.workers import ALL_QUEUES, logs_on_failure

STUDENTS = 1500  # 60 pages of 25: the run spans the failover
SEED = 21
CALLS = 60
HEMIS_LATENCY_MS = 300
SIPUNI_LATENCY_MS = 400
PAGES_BEFORE_FAULT = 4
CALLS_BEFORE_FAULT = 3
REPLICA_LAG_S = 0.5  # the writes of this last half second before the kill never reach the replica
RUNNING_AGAIN_BOUND_S = 30.0
WAIT_S = 90.0


def _login(client: FlaskClient, user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    response = client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _wait_until(progress: ProgressStore, run_id: str, field: str, at_least: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while int((progress.get(run_id) or {}).get(field) or 0) < at_least:
        assert time.monotonic() < deadline, f"run {run_id}: {field} never reached {at_least}"
        time.sleep(0.05)


def test_a_sentinel_failover_mid_runs_loses_and_duplicates_nothing(
        sentinel_deployment: SentinelDeployment, hemis, sipuni, sipuni_org, extra_workers, beat, db,  # noqa: F811
        settings) -> None:
    private = settings_with(sentinel_deployment.settings(settings), hemis_page_size=25)
    app = create_app(private)
    client = app.test_client()
    admin, _organization = sipuni_org
    headers = _login(client, admin)
    processes = [extra_workers("sentinel-a", settings=private, queues=ALL_QUEUES, concurrency=2),
                 extra_workers("sentinel-b", settings=private, queues=ALL_QUEUES, concurrency=2), beat(private)]
    progress = ProgressStore(make_redis(private.redis_target))
    hemis.reset(students=STUDENTS, seed=SEED)
    hemis.config(latency_ms=HEMIS_LATENCY_MS)
    sipuni.reset(calls=CALLS)
    step1 = client.post(f"/sipuni/step1-fetch-csv?limit={CALLS}", headers=headers).get_json()
    assert wait_for_step2(client, headers, step1["runId"])["status"] == "completed"
    sipuni.faults(latencyMs=SIPUNI_LATENCY_MS)

    hemis_run = client.post("/api/hemis/sync/students", headers=headers).get_json()["runId"]
    step2_run = client.post("/sipuni/step2-process-recordings", headers=headers).get_json()["runId"]
    _wait_until(progress, hemis_run, "pagesDone", PAGES_BEFORE_FAULT)
    _wait_until(progress, step2_run, "processed", CALLS_BEFORE_FAULT)
    lost_bytes = sentinel_deployment.kill_master(replica_lag_s=REPLICA_LAG_S)
    assert {db.get(SyncRun, run_id).status for run_id in (hemis_run, step2_run)} == {"running"}, \
        "a run ended before the master died: the test would prove nothing"
    assert lost_bytes > 0, "the replica had every write: nothing was lost to reconcile"
    sentinel_deployment.wait_for_promotion()
    promoted_at = time.monotonic()

    with logs_on_failure(processes):
        pages_at_promotion = int((progress.get(hemis_run) or {}).get("pagesDone") or 0)
        _wait_until(progress, hemis_run, "pagesDone", pages_at_promotion + 1)
        running_again_s = time.monotonic() - promoted_at
        assert running_again_s < RUNNING_AGAIN_BOUND_S, running_again_s

        run = wait_for_run(app.extensions["navai"].session_factory, hemis_run, timeout_s=WAIT_S)
        assert run.status == "completed", run.errors
        assert run.processed == STUDENTS and run.stats["distinctIds"] == STUDENTS
        step2 = wait_for_step2(client, headers, step2_run, timeout_s=WAIT_S)
    assert_matches_simulator(db, "students", STUDENTS, SEED)
    tally = Counter(expected_outcomes(sipuni.calls()).values())
    assert (step2["status"], step2["total"], step2["processed"], step2["failed"]) == \
        ("completed", CALLS, tally["processed"], 0)
    assert step2["processed"] + step2["skipped"] == CALLS
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Call)) == tally["processed"]  # each stored once
