"""No provider configured: calls wait as `not_configured`; once configured, reprocess runs them."""

from __future__ import annotations

from sqlalchemy import func, select

from shared.models import CallScore
from tests.support.calls import make_call, make_criteria
from tests.workers.ai.conftest import process, wait_for_calls


def test_not_configured_then_reprocess_one_and_a_batch_after_configuring(
        db, engine, settings, make_user, celery_app, client, auth_headers, sim, ai_settings, ai_worker):
    admin = make_user("ADMIN")
    org = admin.organization
    make_criteria(db, org, ("Greeting", 1), ("Closing", 1))
    calls = [make_call(db, settings, org.id) for _ in range(3)]
    ids = [call.id for call in calls]
    unconfigured = ai_worker(settings)  # no STT_API_URL, no AI_PROVIDER

    process(celery_app, *ids)
    waiting = wait_for_calls(engine, ids)

    assert {c.ai_status for c in waiting.values()} == {"not_configured"}
    assert "STT_API_URL is not set" in waiting[ids[0]].ai_error
    assert "AI_PROVIDER is not set" in waiting[ids[0]].ai_error
    assert sim.requests() == []  # nothing else happened

    unconfigured.stop()
    ai_worker(ai_settings("gemini"))
    headers = auth_headers(user=admin)

    one = client.post(f"/calls/{ids[0]}/reprocess", headers=headers)
    assert one.status_code == 202 and one.get_json()["taskId"]
    assert wait_for_calls(engine, [ids[0]])[ids[0]].ai_status == "done"

    batch = client.post("/calls/reprocess?status=not_configured", headers=headers)
    assert batch.status_code == 202
    body = batch.get_json()
    assert (body["count"], body["callIds"], len(body["taskIds"])) == (2, ids[1:], 2)
    done = wait_for_calls(engine, ids)
    assert {c.ai_status for c in done.values()} == {"done"}
    assert {c.ai_error for c in done.values()} == {None}
    assert db.scalar(select(func.count()).select_from(CallScore)) == 6

    # A done call can be redone on demand; its results are replaced, not added to.
    again = client.post("/calls/reprocess?status=done&limit=1", headers=headers).get_json()
    assert again["callIds"] == ids[:1]
    assert wait_for_calls(engine, ids[:1])[ids[0]].ai_status == "done"
    assert db.scalar(select(func.count()).select_from(CallScore)) == 6
    assert len(sim.requests("stt")) == 4

