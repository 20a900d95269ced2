"""Upstream trouble: transient errors are retried, final ones fail the call with the reason kept."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from shared.models import CallScore, TranscriptSegment
from tests.support.calls import make_call, make_criteria
from tests.workers.ai.conftest import process, wait_for_calls


def _org_with_criteria(db, make_user):
    org = make_user("ADMIN").organization
    return org, make_criteria(db, org, ("Greeting", 1), ("Closing", 1))


def test_429_and_5xx_from_stt_and_llm_are_retried(db, engine, settings, make_user, celery_app, sim, ai_settings,
                                                  ai_worker):
    org, _ = _org_with_criteria(db, make_user)
    call = make_call(db, settings, org.id)
    sim.fail_next("stt", 503, times=1)
    sim.fail_next("stt", 429, times=1, retry_after="0")
    sim.fail_next("openai", 502, times=1)
    sim.fail_next("openai", 429, times=1, retry_after="0")
    ai_worker(ai_settings("openai"))

    process(celery_app, call.id)
    stored = wait_for_calls(engine, [call.id])[call.id]

    assert stored.ai_status == "done", stored.ai_error
    assert len(sim.requests("stt")) == 3
    assert len(sim.requests("openai")) == 3
    assert db.scalar(select(func.count()).select_from(CallScore)) == 2


def test_413_from_stt_is_final_and_the_audio_is_kept_for_a_later_retry(db, engine, settings, make_user, celery_app,
                                                                       sim, ai_settings, ai_worker):
    org, _ = _org_with_criteria(db, make_user)
    call = make_call(db, settings, org.id)
    sim.fail_next("stt", 413)
    ai_worker(ai_settings("gemini", delete_audio_after_analysis=True))

    process(celery_app, call.id)
    stored = wait_for_calls(engine, [call.id])[call.id]

    assert stored.ai_status == "failed"
    assert "413" in stored.ai_error and "too large" in stored.ai_error
    assert len(sim.requests("stt")) == 1  # never retried
    assert sim.requests("gemini") == []
    assert (Path(settings.data_dir) / call.recording_path).is_file()


def test_provider_still_unavailable_after_every_attempt_fails_the_call(db, engine, settings, make_user, celery_app,
                                                                       sim, ai_settings, ai_worker):
    org, _ = _org_with_criteria(db, make_user)
    call = make_call(db, settings, org.id)
    sim.fail_next("gemini", 503, times=3, retry_after="0")
    ai_worker(ai_settings("gemini"))

    process(celery_app, call.id)
    stored = wait_for_calls(engine, [call.id])[call.id]

    assert stored.ai_status == "failed"
    assert "HTTP 503" in stored.ai_error and "3/3" in stored.ai_error
    # the transcript made before the failure is kept; a reprocess redoes both steps
    assert db.scalar(select(func.count()).select_from(TranscriptSegment).where(TranscriptSegment.call_id == call.id))


def test_a_malformed_answer_is_asked_for_again_once_then_the_call_fails_with_the_reason(
        db, engine, settings, make_user, celery_app, sim, ai_settings, ai_worker):
    org, (greeting, closing) = _org_with_criteria(db, make_user)
    call = make_call(db, settings, org.id)
    by_name = {"overall_score": 7, "criterion_scores": {"Greeting": 8, "Closing": 6},
               "violations_mistakes": [], "summary_of_performance": "ok"}
    sim.answer_next("Sure! Here is the evaluation you asked for.", json.dumps(by_name))
    ai_worker(ai_settings("gemini"))

    process(celery_app, call.id)
    stored = wait_for_calls(engine, [call.id])[call.id]

    assert stored.ai_status == "failed"
    assert "invalid twice" in stored.ai_error
    assert "not JSON" in stored.ai_error  # the first answer's fault
    assert f"misses criteria {greeting.id}, {closing.id}" in stored.ai_error  # names are not matched silently
    asks = sim.requests("gemini")
    assert len(asks) == 2
    # in the organization's language (STT_LANGUAGE's here: uz), with our reason
    assert "Oldingi javobingiz rad etildi: the answer is not JSON" in asks[1].body["contents"][0]["parts"][0]["text"]
    assert db.scalar(select(func.count()).select_from(CallScore)) == 0


def test_a_fenced_answer_is_accepted_and_a_bad_first_answer_is_recovered(db, engine, settings, make_user,
                                                                         celery_app, sim, ai_settings, ai_worker):
    org, (greeting, closing) = _org_with_criteria(db, make_user)
    call = make_call(db, settings, org.id)
    out_of_range = {"overall_score": 7, "criterion_scores": {str(greeting.id): 11, str(closing.id): 6},
                    "violations_mistakes": [], "summary_of_performance": "ok"}
    fenced = {"overall_score": 7, "criterion_scores": {str(greeting.id): 9, str(closing.id): 5},
              "violations_mistakes": [{"description": "interrupted", "timestamp": "1:02:03"}],
              "summary_of_performance": "Yaxshi"}
    sim.answer_next(json.dumps(out_of_range), "```json\n" + json.dumps(fenced) + "\n```")
    ai_worker(ai_settings("openai"))

    process(celery_app, call.id)
    stored = wait_for_calls(engine, [call.id])[call.id]

    assert stored.ai_status == "done", stored.ai_error
    assert stored.overall_score == 7.0 and stored.summary == "Yaxshi"
    assert len(sim.requests("openai")) == 2
