"""Run checks of the sweeper: a Sipuni run whose trigger died before queueing its first task."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import update

from shared.locks import RunLock
from shared.models import SyncRun, utcnow
from shared.progress import ProgressStore
from shared.runs import create_run, new_run_id
from shared.sipuni import KIND_STEP2, step2_scope
from workers.recovery.runs import NEVER_QUEUED_MESSAGE

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
