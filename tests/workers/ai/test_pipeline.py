"""The whole pipeline on a real worker: STT with diarization (the earlier form, speakers labelled), then
scoring by either provider. Today's form (plain text, no speakers) is in test_stt_forms.py."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from shared.models import CallScore, TranscriptSegment, Violation
from simulators.ai import STT_FORM_SEGMENTS
from tests.support.calls import make_call, make_criteria
from tests.workers.ai.conftest import process, wait_for_calls


def test_several_calls_are_transcribed_and_scored_with_gemini(db, engine, settings, make_user, celery_app, sim,
                                                              ai_settings, ai_worker):
    admin = make_user("ADMIN")
    org = admin.organization
    employee = make_user("EMPLOYEE", organization=org, ext_code="210")
    greeting, needs, closing = make_criteria(db, org, ("Greeting", 2), ("Needs discovery", 1), ("Closing", 1))
    calls = [make_call(db, settings, org.id, employee, seconds=0.2 + i * 0.1) for i in range(3)]
    sim.stt_form = STT_FORM_SEGMENTS
    ai_worker(ai_settings("gemini"))

    process(celery_app, *(call.id for call in calls))
    done = wait_for_calls(engine, [call.id for call in calls])

    assert {c.ai_status for c in done.values()} == {"done"}, {c.id: c.ai_error for c in done.values()}
    for call in calls:
        stored = done[call.id]
        segments = db.scalars(select(TranscriptSegment).where(TranscriptSegment.call_id == call.id)
                              .order_by(TranscriptSegment.position)).all()
        assert len(segments) >= 2 and segments[0].speaker == "agent" and segments[0].start_ms == 0
        assert stored.transcript.splitlines()[0].startswith("[agent]: Assalomu alaykum")
        scores = {s.criterion_id: s.score for s in db.scalars(select(CallScore).where(CallScore.call_id == call.id))}
        # the simulator scores max - (id % 3); weights 2, 1, 1 are applied by us, not by the model
        expected = {c.id: 10.0 - c.id % 3 for c in (greeting, needs, closing)}
        assert scores == expected
        assert stored.overall_score == round((2 * expected[greeting.id] + expected[needs.id]
                                              + expected[closing.id]) / 4, 2)
        violations = db.scalars(select(Violation).where(Violation.call_id == call.id)).all()
        assert [(v.timestamp, v.timestamp_ms) for v in violations] == [("00:04", 4000)]
        assert stored.summary and stored.ai_error is None
        assert (Path(settings.data_dir) / stored.recording_path).is_file()  # kept: deletion is off by default

    uploads = sim.requests("stt")
    assert len(uploads) == 3
    assert all(u.form == {"diarization": "true", "language": "uz"} and u.file_name.endswith(".wav") for u in uploads)
    assert sorted(u.file_size for u in uploads) == sorted(
        (Path(settings.data_dir) / c.recording_path).stat().st_size for c in calls)
    asks = sim.requests("gemini")
    assert len(asks) == 3
    assert all("key=" not in a.path and a.path.startswith("/gemini/v1beta/models/gemini-2.5-flash:generateContent")
               for a in asks)
    schema = asks[0].body["generationConfig"]["responseSchema"]
    assert set(schema["properties"]["criterion_scores"]["required"]) == {str(greeting.id), str(needs.id),
                                                                         str(closing.id)}
    assert "Greeting" in asks[0].body["contents"][0]["parts"][0]["text"]


def test_openai_compatible_provider_hundred_scale_camel_case_stt_and_audio_deletion(
        db, engine, settings, make_user, celery_app, sim, ai_settings, ai_worker, ai_sim_keys):
    admin = make_user("ADMIN")
    org = admin.organization
    org.scoring_mode = "HUNDRED"
    org.analysis_language = "en"
    db.commit()
    (politeness,) = make_criteria(db, org, ("Politeness", 1))
    call = make_call(db, settings, org.id)
    audio = Path(settings.data_dir) / call.recording_path
    sim.stt_form = STT_FORM_SEGMENTS
    sim.camel_case = True
    # Longer than the platform's soft limit in tests (30 s hard - 30 s margin = 1 s): the AI tasks
    # run under their own soft limit (workers.ai.limits), or this call would fail as timed out.
    sim.latency_s = {"stt": 1.5}
    ai_worker(ai_settings("openai", delete_audio_after_analysis=True))

    process(celery_app, call.id)
    stored = wait_for_calls(engine, [call.id])[call.id]

    assert stored.ai_status == "done", stored.ai_error
    score = db.scalar(select(CallScore).where(CallScore.call_id == call.id))
    assert (score.criterion_id, score.score, score.max_score) == (politeness.id, 100.0 - politeness.id % 3, 100)
    segments = db.scalars(select(TranscriptSegment).where(TranscriptSegment.call_id == call.id)
                          .order_by(TranscriptSegment.position)).all()
    assert [(s.start_ms, s.end_ms) for s in segments][:2] == [(0, 3800), (4000, 7800)]  # from startMs/endMs
    assert not audio.exists()  # DELETE_AUDIO_AFTER_ANALYSIS, only once the analysis is stored

    (ask,) = sim.requests("openai")
    assert ask.headers["Authorization"] == f"Bearer {ai_sim_keys['openai']}"
    assert ask.body["model"] == "local-llama"
    assert ask.body["response_format"]["type"] == "json_schema"
    schema = ask.body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["criterion_scores"]["properties"][str(politeness.id)]["maximum"] == 100
    assert "0 to 100" in json.dumps(ask.body["messages"])  # the organization's language: English


def test_a_call_without_recording_is_skipped_and_one_without_criteria_gets_summary_only(
        db, engine, settings, make_user, celery_app, sim, ai_settings, ai_worker):
    org = make_user("ADMIN").organization
    no_audio = make_call(db, settings, org.id, with_audio=False)
    plain = make_call(db, settings, org.id)
    ai_worker(ai_settings("gemini"))

    process(celery_app, no_audio.id, plain.id)
    calls = wait_for_calls(engine, [no_audio.id, plain.id])

    assert (calls[no_audio.id].ai_status, calls[no_audio.id].ai_error) == ("skipped", "the call has no recording")
    assert calls[plain.id].ai_status == "done" and calls[plain.id].summary
    assert calls[plain.id].overall_score == 8.0  # the model's own, as there are no criteria to weigh
    assert db.scalar(select(func.count()).select_from(CallScore)) == 0
    assert len(sim.requests("stt")) == 1
