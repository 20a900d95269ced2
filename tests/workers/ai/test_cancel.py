"""AI steps of a cancelled sync run: a step not started yet is not sent to STT or the model, the
call says why, and a reprocess (which names no run) still runs it."""

from __future__ import annotations

from sqlalchemy import select

from shared.ai.queue import publish_analysis
from shared.catalog import AI_ANALYZE, AI_TRANSCRIBE
from shared.leases.publish import publish_leased
from shared.models import TranscriptSegment
from shared.runs.locks import RunLock
from shared.runs.record import create_run, new_run_id
from shared.sipuni.names import KIND_STEP2, step2_scope
from tests.support.calls import make_call, make_criteria
from tests.workers.ai.conftest import wait_for_calls


def test_ai_steps_not_started_when_their_run_is_cancelled_never_reach_stt_or_the_model(
        db, engine, settings, make_user, celery_app, sim, ai_settings, ai_worker, client, auth_headers):
    admin = make_user("ADMIN")
    organization = admin.organization
    employee = make_user("EMPLOYEE", organization=organization, ext_code="210")
    make_criteria(db, organization, ("Greeting", 1))
    svc = celery_app.navai_services
    run_id = new_run_id()  # a step-2 run going on, which stored the calls below
    create_run(db, run_id, KIND_STEP2, organization_id=organization.id)
    db.commit()
    svc.progress.start(run_id, step2_scope(organization.id), {"kind": KIND_STEP2, "status": "running"})
    assert RunLock(svc.redis, step2_scope(organization.id)).acquire(run_id) is None
    queued, transcribing, analyzing, unrelated = (make_call(db, settings, organization.id, employee)
                                                  for _ in range(4))
    for call in (queued, transcribing, analyzing):
        call.sync_run_id = run_id
    db.add(TranscriptSegment(call_id=analyzing.id, position=0, speaker="agent", text="Salom", start_ms=0, end_ms=900))
    db.commit()
    # Each AI step of the run's calls waits in the queue (no AI worker yet); one call of no run too.
    publish_analysis(svc, queued.id, run_id=run_id)
    publish_leased(svc, AI_TRANSCRIBE, args=[transcribing.id], kwargs={"run_id": run_id})
    publish_leased(svc, AI_ANALYZE, args=[analyzing.id], kwargs={"run_id": run_id})
    publish_analysis(svc, unrelated.id)

    cancelled = client.post(f"/runs/{run_id}/cancel", headers=auth_headers(user=admin))
    assert cancelled.status_code == 200, cancelled.get_json()
    ai_worker(ai_settings("gemini"))
    settled = wait_for_calls(engine, [queued.id, transcribing.id, analyzing.id, unrelated.id])

    assert settled[unrelated.id].ai_status == "done", settled[unrelated.id].ai_error
    for call in (queued, transcribing, analyzing):
        assert settled[call.id].ai_status == "skipped"
        assert f"its sync run {run_id} was cancelled" in settled[call.id].ai_error
    assert len(sim.requests("stt")) == 1 and len(sim.requests("gemini")) == 1  # the unrelated call's only
    kept = db.scalars(select(TranscriptSegment.text).where(TranscriptSegment.call_id == analyzing.id)).all()
    assert kept == ["Salom"]  # what an earlier step stored is kept

    reprocess = client.post(f"/calls/{queued.id}/reprocess", headers=auth_headers(user=admin))
    assert reprocess.status_code == 202, reprocess.get_json()
    again = wait_for_calls(engine, [queued.id], frozenset({"done", "failed"}))
    assert again[queued.id].ai_status == "done", again[queued.id].ai_error
    assert len(sim.requests("stt")) == 2
