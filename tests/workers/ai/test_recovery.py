"""AI steps whose worker dies: killed mid-transcription, killed while holding a countdown message,
or left stuck in `transcribing` past the time limit. Each runs again by itself, and results are
stored once."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from shared.leases.publish import publish_leased
from shared.models import Call, TranscriptSegment, utcnow
from tests.support.calls import make_call, make_criteria
from tests.support.recovery import (
    RECOVERY_BOUND_S,
    lease_store,
    seconds_until_taken_over,
    wait_for_held,
)
from tests.workers.ai.conftest import process, wait_for_calls

STT_LATENCY_S = 1.5  # a transcription long enough for the kill to land in it (the test STT timeout is 2 s)
COUNTDOWN_S = 6


def _segments(db, call_id):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalar(select(func.count()).select_from(TranscriptSegment).where(TranscriptSegment.call_id == call_id))


def test_a_worker_killed_mid_transcription(db, engine, settings, make_user, celery_app, sim, ai_settings, ai_worker,
                                           beat):
    org = make_user("ADMIN").organization
    make_criteria(db, org, ("Greeting", 1))
    call = make_call(db, settings, org.id)
    sim.latency_s = {"stt": STT_LATENCY_S}
    store = lease_store(settings)
    beat()
    workers = {worker.name: worker for worker in (ai_worker(ai_settings("gemini")), ai_worker(ai_settings("gemini")))}
    process(celery_app, call.id)
    doomed = workers[_running_on(store, f"{call.id}:transcribe")]
    held = store.held_by(doomed.name)
    doomed.kill_hard()
    killed_at = time.monotonic()
    recovered_s = seconds_until_taken_over(store, held, doomed.name, killed_at)
    done = wait_for_calls(engine, [call.id])[call.id]

    assert done.ai_status == "done", done.ai_error
    assert recovered_s < RECOVERY_BOUND_S, recovered_s
    survivor = next(worker for name, worker in workers.items() if name != doomed.name)
    assert "ai.transcribe" in survivor.log()
    audio_size = (Path(settings.data_dir) / call.recording_path).stat().st_size
    assert _segments(db, call.id) == len(sim.segments(audio_size))  # replaced, not added to
    assert len(sim.requests("gemini")) == 1  # analysed once


def test_a_worker_killed_while_holding_a_countdown(db, engine, settings, make_user, celery_app, sim, ai_settings,
                                                   ai_worker, beat):
    """A countdown message lives in the memory of the worker that received it; it dies with it."""
    org = make_user("ADMIN").organization
    make_criteria(db, org, ("Greeting", 1))
    call = make_call(db, settings, org.id)
    store = lease_store(settings)
    beat()
    holder = ai_worker(ai_settings("gemini"))
    publish_leased(celery_app.navai_services, "ai.process_call", args=[call.id], countdown=COUNTDOWN_S)
    held = _wait_for_unit(store, holder.name, f"{call.id}:process_call")
    ai_worker(ai_settings("gemini"))
    holder.kill_hard()
    killed_at = time.monotonic()
    recovered_s = seconds_until_taken_over(store, held, holder.name, killed_at)
    done = wait_for_calls(engine, [call.id])[call.id]

    assert done.ai_status == "done", done.ai_error
    assert recovered_s < RECOVERY_BOUND_S, recovered_s
    assert len(sim.requests("stt")) == 1 and len(sim.requests("gemini")) == 1


def test_a_call_stuck_past_the_time_limit_is_run_again(db, engine, settings, make_user, sim, ai_settings, ai_worker,
                                                       beat):
    """Its task died and Redis kept no lease of it (e.g. restarted empty): beat's sweep finds it in
    the database and runs the step again."""
    org = make_user("ADMIN").organization
    make_criteria(db, org, ("Greeting", 1))
    call = make_call(db, settings, org.id, ai_status="transcribing")
    long_ago = utcnow() - timedelta(seconds=settings.celery_task_time_limit_s + settings.recovery_lease_s + 5)
    db.execute(update(Call).where(Call.id == call.id).values(updated_at=long_ago))
    db.commit()
    ai_worker(ai_settings("gemini"))
    beat()
    done = wait_for_calls(engine, [call.id], statuses=frozenset({"done"}))[call.id]
    assert done.ai_status == "done" and len(sim.requests("stt")) == 1


def _wait_for_unit(store, holder, unit, timeout_s=30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while ("ai", unit) not in store.held_by(holder):
        assert time.monotonic() < deadline, f"{holder} never held {unit}"
        time.sleep(0.05)
    return wait_for_held(store, holder)


def _running_on(store, unit, timeout_s=30.0):  # type: ignore[no-untyped-def]
    """The worker running `unit`, as soon as it runs."""
    deadline = time.monotonic() + timeout_s
    while (lease := store.get("ai", unit)) is None or lease.state != "running":
        assert time.monotonic() < deadline, f"{unit} never ran"
        time.sleep(0.02)
    return lease.holder
