"""The sweeper beyond re-publishing: a Sipuni run whose trigger died before queueing its first task, and
a unit given up after too many attempts."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import update

from shared.leases.store import RepublishSpec
from shared.models import Call, SyncRun, utcnow
from shared.runs.locks import RunLock
from shared.runs.progress import ProgressStore
from shared.runs.record import create_run, new_run_id
from shared.sipuni.names import KIND_STEP2, step2_scope
from tests.support.calls import make_call
from tests.support.recovery import lease_store
from workers.sipuni.recovery import NEVER_QUEUED_MESSAGE

WAIT_S = 30.0


def test_a_step2_run_whose_trigger_died_is_ended_and_its_lock_freed(sipuni_org, worker, beat, db, redis_client):
    """Recorded, shown as running and locked as the API does, but its task never published."""
    _admin, organization = sipuni_org
    run_id = new_run_id()
    lock = RunLock(redis_client, step2_scope(organization.id))
    assert lock.acquire(run_id) is None
    create_run(db, run_id, KIND_STEP2, organization_id=organization.id, triggered_by="test")
    db.execute(update(SyncRun).where(SyncRun.id == run_id).values(started_at=utcnow() - timedelta(minutes=1)))
    db.commit()
    ProgressStore(redis_client).start(run_id, step2_scope(organization.id), {"kind": KIND_STEP2, "status": "running"})
    beat()
    deadline = time.monotonic() + WAIT_S
    while (status := _status(db, run_id)) == "running":
        assert time.monotonic() < deadline, "the run was not ended"
        time.sleep(0.2)
    assert status == "failed" and db.get(SyncRun, run_id).errors == [NEVER_QUEUED_MESSAGE]
    assert lock.holder() is None


def _status(db, run_id):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.get(SyncRun, run_id).status


def test_a_unit_that_keeps_dying_is_given_up_and_recorded_failed(worker, settings, db, make_user, celery_app):
    """After RECOVERY_MAX_ATTEMPTS publications the sweeper gives a unit up: here an AI step whose
    worker died each time; the call ends `failed` with the reason, not stuck in `transcribing`."""
    call = make_call(db, settings, make_user("ADMIN").organization_id, ai_status="transcribing")
    store, unit = lease_store(settings), f"{call.id}:transcribe"
    token = "first-message"
    store.register("ai", unit, token, RepublishSpec(task="ai.transcribe", args=[call.id], kwargs={}, queue="ai"))
    for attempt in range(1, settings.recovery_max_attempts + 1):  # published again that often already
        assert store.take_over("ai", unit, token, f"message-{attempt}") == attempt
        token = f"message-{attempt}"
    assert store.claim("ai", unit, token, "a-worker-that-died@nowhere") == "ok"

    report = celery_app.send_task("recovery.sweep", ignore_result=False).get(timeout=WAIT_S)

    assert report["abandoned"] == [f"ai {unit}"] and report["republished"] == []
    db.expire_all()
    failed = db.get(Call, call.id)
    assert failed.ai_status == "failed" and "given up after 3 recoveries" in failed.ai_error
    assert store.get("ai", unit) is None
