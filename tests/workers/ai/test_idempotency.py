"""A task delivered twice, or run again, replaces its own results and never doubles them."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from shared.leases.publish import publish_leased
from shared.models import CallScore, TranscriptSegment, Violation
from tests.support.calls import make_call, make_criteria
from tests.workers.ai.conftest import process, wait_for_calls

TASK_WAIT_S = 30


def _counts(db, call_id):
    db.expire_all()
    return tuple(db.scalar(select(func.count()).select_from(model).where(model.call_id == call_id))
                 for model in (TranscriptSegment, CallScore, Violation))


def test_duplicate_deliveries_of_the_same_tasks_do_not_duplicate_results(db, engine, settings, make_user,
                                                                         celery_app, sim, ai_settings, ai_worker):
    org = make_user("ADMIN").organization
    make_criteria(db, org, ("Greeting", 1), ("Needs discovery", 2), ("Closing", 1))
    call = make_call(db, settings, org.id)
    worker = ai_worker(ai_settings("gemini"), concurrency=2)
    process(celery_app, call.id)
    first = wait_for_calls(engine, [call.id])[call.id]
    assert first.ai_status == "done", first.ai_error
    counts = _counts(db, call.id)
    assert counts[0] >= 2 and counts[1:] == (3, 1)

    # Both analyses run at once on the two pool processes, as a redelivery racing the original would
    # (a redelivery keeps its task id; a second *publish* of the unit would supersede the first).
    analysis_id = publish_leased(celery_app.navai_services, "ai.analyze", args=[call.id])
    analyses = [celery_app.AsyncResult(analysis_id),  # and the same message delivered again:
                celery_app.send_task("ai.analyze", args=[call.id], task_id=analysis_id)]
    transcription = celery_app.AsyncResult(publish_leased(celery_app.navai_services, "ai.transcribe", args=[call.id]))
    results = [analyses[0].get(timeout=TASK_WAIT_S)] * 2  # one task id: one result for both copies
    _wait_for_log(worker, f"ai.analyze[{analysis_id}] succeeded", times=2)
    chained = celery_app.AsyncResult(transcription.get(timeout=TASK_WAIT_S)["taskId"]).get(timeout=TASK_WAIT_S)

    assert [r["status"] for r in results] + [chained["status"]] == ["done", "done", "done"]
    assert _counts(db, call.id) == counts
    assert len(sim.requests("stt")) == 2 and len(sim.requests("gemini")) == 4


def test_process_call_sent_again_for_a_done_call_does_nothing(db, engine, settings, make_user, celery_app, sim,
                                                             ai_settings, ai_worker):
    org = make_user("ADMIN").organization
    make_criteria(db, org, ("Greeting", 1))
    call = make_call(db, settings, org.id)
    ai_worker(ai_settings("openai"))
    process(celery_app, call.id)
    assert wait_for_calls(engine, [call.id])[call.id].ai_status == "done"

    again_id = publish_leased(celery_app.navai_services, "ai.process_call", args=[call.id])
    again = celery_app.AsyncResult(again_id).get(timeout=TASK_WAIT_S)

    assert again["status"] == "done" and "reprocess" in again["note"]
    assert len(sim.requests("stt")) == 1 and len(sim.requests("openai")) == 1
    assert _counts(db, call.id)[1] == 1


def _wait_for_log(worker, text, times):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + TASK_WAIT_S
    while worker.log().count(text) < times:
        assert time.monotonic() < deadline, f"{text!r} not logged {times} times"
        time.sleep(0.1)
