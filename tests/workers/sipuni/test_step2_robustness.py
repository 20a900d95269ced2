"""Step 2 under duress: duplicate deliveries racing, dropped downloads, refused recordings, and a
worker killed with SIGKILL in the middle of a run."""

from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import func, select

from shared.leases.publish import publish_leased
from shared.models import Call
from shared.redis_client import make_redis
from shared.runs.progress import ProgressStore
from shared.runs.record import create_run, new_run_id
from shared.sipuni.names import KIND_STEP2, csv_path, partial_dir, recordings_dir
from tests.support.recovery import (
    RECOVERY_BOUND_S,
    lease_store,
    seconds_until_taken_over,
    wait_for_held,
)
from tests.support.sipuni import expected_outcomes, wait_for_run
from workers.sipuni.csv_parser import iter_file
from workers.sipuni.staging import RowStaging

TASKS_WAIT_S = 60


def _step1(client, headers, limit):
    started = client.post(f"/sipuni/step1-fetch-csv?limit={limit}", headers=headers).get_json()
    assert wait_for_run(client, headers, started["runId"])["status"] == "completed"


def _stored_files(settings, organization_id):
    return [path for path in recordings_dir(settings.data_dir, organization_id).rglob("*") if path.is_file()]


def _assert_stored_once(db, settings, organization_id, expected):
    processed = sorted(k for k, v in expected.items() if v == "processed")
    stored = db.scalars(select(Call.external_id).where(Call.organization_id == organization_id)).all()
    assert sorted(stored) == processed
    assert len(_stored_files(settings, organization_id)) == len(processed)
    assert not any(partial_dir(settings.data_dir, organization_id).glob("*"))


def test_two_workers_racing_on_the_same_calls_store_each_once(
        client, auth_headers, sipuni, sipuni_org, worker, extra_workers, celery_app, db, settings):
    admin, organization = sipuni_org
    headers = auth_headers(user=admin)
    sipuni.reset(calls=24)
    _step1(client, headers, 24)
    extra_workers("racer", queues="recordings", concurrency=2)
    sipuni.faults(latencyMs=300)  # both copies pass the "exists" check before either inserts

    # Play a coordinator that enqueues every call twice, back to back.
    run_id = new_run_id()
    create_run(db, run_id, KIND_STEP2, organization_id=organization.id)
    db.commit()
    rows = list(iter_file(csv_path(settings.data_dir, organization.id)))
    ProgressStore(make_redis(settings.redis_url)).update(run_id, total=len(rows))
    RowStaging(make_redis(settings.redis_url)).stage(run_id, [(row["ID записи"], row) for row in rows])
    # The same message twice (a redelivery keeps its task id; publishing the call again would
    # supersede the first copy, which would then not run at all).
    results = []
    for row in rows:
        args = [run_id, organization.id, row["ID записи"], None]
        task_id = publish_leased(celery_app.navai_services, "recordings.process_call", args=args, ignore_result=False)
        results += [celery_app.AsyncResult(task_id),
                    celery_app.send_task("recordings.process_call", args=args, ignore_result=False, task_id=task_id)]
    run = wait_for_run(client, headers, run_id)
    for result in results:
        result.get(timeout=TASKS_WAIT_S)

    expected = expected_outcomes(sipuni.calls())
    tally = Counter(expected.values())
    assert (run["total"], run["processed"], run["failed"]) == (24, tally["processed"], 0)
    assert run["skipped"] == tally["employee_not_found"] + tally["no_recording"]
    _assert_stored_once(db, settings, organization.id, expected)
    downloads = sipuni.stats()["recordRequests"]
    assert any(count >= 2 for count in downloads.values()), "no two workers raced on one call"
    assert "[STEP2] Call already stored by this run" in worker.log() + "".join(
        path.read_text() for path in worker.log_path.parent.glob("racer-*.log"))


def test_dropped_downloads_are_retried_and_a_refused_one_counts_as_failed(
        client, auth_headers, sipuni, sipuni_org, worker, db, settings):
    admin, organization = sipuni_org
    headers = auth_headers(user=admin)
    sipuni.reset(calls=20)
    _step1(client, headers, 20)
    expected = expected_outcomes(sipuni.calls())
    refused = next(k for k, v in expected.items() if v == "processed")
    sipuni.faults(dropNext={"count": 3}, recordStatus={refused: 403})
    started = client.post("/sipuni/step2-process-recordings", headers=headers).get_json()
    run = wait_for_run(client, headers, started["runId"])

    expected[refused] = "failed"
    tally = Counter(expected.values())
    assert run["status"] == "completed_with_errors"
    assert (run["processed"], run["failed"]) == (tally["processed"], 1)
    assert run["stats"]["message"] == \
        f"Processed: {tally['processed']}, Skipped: {run['skipped']}, Failed: 1"
    assert any(refused in error and "403" in error for error in run["errors"])
    assert sipuni.stats()["requests"]["drops"] == 3
    _assert_stored_once(db, settings, organization.id, expected)
    for call in db.scalars(select(Call)):
        assert call.recording_size == next(c for c in sipuni.calls() if c["record_id"] == call.external_id)[
            "recording_size"]


def test_a_worker_killed_during_step2_loses_no_call_and_stores_none_twice(
        client, auth_headers, sipuni, sipuni_org, worker, extra_workers, beat, db, settings):
    """Its calls run again on the other worker within a minute (the recovery sweeper publishes them
    again; Celery's visibility timeout is not waited for), and no call is stored or counted twice."""
    admin, organization = sipuni_org
    headers = auth_headers(user=admin)
    store = lease_store(settings)
    beat()
    sipuni.reset(calls=40)
    _step1(client, headers, 40)
    sipuni.faults(latencyMs=150, chunkDelayMs=30)  # downloads take a while: the kill lands mid-download
    victim = extra_workers("victim", queues="recordings", concurrency=2)
    started = client.post("/sipuni/step2-process-recordings", headers=headers).get_json()

    deadline = time.monotonic() + TASKS_WAIT_S
    while victim.log().count("recordings.process_call") < 6 and time.monotonic() < deadline:
        time.sleep(0.1)
    held = wait_for_held(store, victim.name)
    victim.kill_hard()
    killed_at = time.monotonic()
    assert client.get(f"/runs/{started['runId']}", headers=headers).get_json()["status"] == "running"
    recovered_s = seconds_until_taken_over(store, held, victim.name, killed_at)
    run = wait_for_run(client, headers, started["runId"])

    expected = expected_outcomes(sipuni.calls())
    tally = Counter(expected.values())
    assert (run["total"], run["processed"], run["failed"]) == (40, tally["processed"], 0)
    _assert_stored_once(db, settings, organization.id, expected)
    assert db.scalar(select(func.count()).select_from(Call)) == tally["processed"]
    assert recovered_s < RECOVERY_BOUND_S, recovered_s
