"""Speech-to-text as the original's service speaks it today: `X-API-Key`, a plain `text` answer,
and an empty transcript that is no failure."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from shared.models import TranscriptSegment
from simulators.ai import STT_FORM_TEXT
from tests.support.calls import make_call, make_criteria
from tests.workers.ai.conftest import process, wait_for_calls


def test_a_text_answer_becomes_timed_sentences_and_the_key_is_sent(db, engine, settings, make_user, celery_app, sim,
                                                                     ai_settings, ai_worker, monkeypatch):
    admin = make_user("ADMIN")
    make_criteria(db, admin.organization, ("Greeting", 1))
    call = make_call(db, settings, admin.organization.id)
    key = secrets.token_urlsafe(16)
    monkeypatch.setattr(sim, "stt_key", key)
    sim.stt_form = STT_FORM_TEXT
    ai_worker(ai_settings("gemini", stt_api_key=key))

    process(celery_app, call.id)
    stored = wait_for_calls(engine, [call.id])[call.id]

    assert stored.ai_status == "done", stored.ai_error
    upload = sim.requests("stt")[0]
    assert upload.headers.get("X-API-Key") == key and upload.file_name.endswith(".wav")
    answer = sim.text_answer(upload.file_size)
    segments = db.scalars(select(TranscriptSegment).where(TranscriptSegment.call_id == call.id)
                          .order_by(TranscriptSegment.position)).all()
    assert " ".join(s.text for s in segments) == answer["text"] and len(segments) >= 2
    assert {s.speaker for s in segments} == {"unknown"}
    assert segments[0].start_ms == 0 and segments[-1].end_ms == round(answer["duration"] * 1000)
    assert all(a.end_ms == b.start_ms for a, b in zip(segments, segments[1:]))  # spread over the duration
    assert len(sim.requests("gemini")) == 1


def test_a_wrong_key_fails_the_call_with_the_services_reason(db, engine, settings, make_user, celery_app, sim,
                                                             ai_settings, ai_worker, monkeypatch):
    admin = make_user("ADMIN")
    call = make_call(db, settings, admin.organization.id)
    monkeypatch.setattr(sim, "stt_key", secrets.token_urlsafe(16))
    ai_worker(ai_settings("gemini", stt_api_key="not-the-key-" + secrets.token_hex(4)))
    process(celery_app, call.id)
    stored = wait_for_calls(engine, [call.id])[call.id]
    assert stored.ai_status == "failed" and "HTTP 401" in stored.ai_error


def test_an_empty_transcript_is_no_speech_without_asking_the_model(db, engine, settings, make_user, celery_app, sim,
                                                                   ai_settings, ai_worker):
    admin = make_user("ADMIN")
    make_criteria(db, admin.organization, ("Greeting", 1))
    calls = [make_call(db, settings, admin.organization.id) for _ in range(2)]
    sim.stt_form = STT_FORM_TEXT
    sim.text_override = ""
    ai_worker(ai_settings("gemini"))

    process(celery_app, *(call.id for call in calls))
    stored = wait_for_calls(engine, [call.id for call in calls], frozenset({"no_speech", "done", "failed"}))

    assert {call.ai_status for call in stored.values()} == {"no_speech"}, {c.ai_error for c in stored.values()}
    assert len(sim.requests("stt")) == 2 and sim.requests("gemini") == []
