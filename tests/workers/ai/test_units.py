"""Pure parts of the pipeline: time budgets, prompt and answer checks (no services needed)."""

from __future__ import annotations

import pytest

from shared.ai.limits import ai_task_limits
from shared.settings import Settings
from workers import create_celery
from workers.ai.answer import parse_answer, strip_fences, timestamp_ms
from workers.ai.config import configuration_problem
from workers.ai.errors import InvalidAnswer
from workers.ai.prompt import CriterionSpec, TranscriptLine, build_prompt
from workers.ai.providers.gemini import gemini_schema
from workers.ai.stt import split_text, wanted_read_timeout_s

CRITERIA = [CriterionSpec(7, "Greeting", 2, "Says hello"), CriterionSpec(9, "Closing", 1, None)]


def test_ai_tasks_get_their_own_limits_whatever_the_global_one():
    default = Settings(celery_task_time_limit_s=30)
    # three attempts at the longest transcription (60 min) fit, and time to record the outcome
    assert ai_task_limits(default, "ai.transcribe").as_options() == {"soft_time_limit": 3 * 3600 + 20,
                                                                     "time_limit": 3 * 3600 + 50}
    assert ai_task_limits(Settings(stt_timeout_s=600), "ai.transcribe").soft_s == 3 * 600 + 20
    assert ai_task_limits(Settings(stt_timeout_s=9999), "ai.transcribe").soft_s == 3 * 3600 + 20  # capped
    assert ai_task_limits(default, "ai.analyze").as_options() == {"soft_time_limit": 600, "time_limit": 630}
    annotations = create_celery(default).conf.task_annotations
    assert annotations["ai.transcribe"]["time_limit"] == 3 * 3600 + 50 and annotations["ai.analyze"]["time_limit"] == 630


def test_stt_timeout_grows_with_the_file_as_the_originals_did():
    megabyte = 1024 * 1024
    assert wanted_read_timeout_s(0) == 600  # 10 min
    assert wanted_read_timeout_s(5 * megabyte) == 600 + 5 * 120  # + 2 min per MB
    assert wanted_read_timeout_s(100 * megabyte) == 3600  # at most 60 min
    assert wanted_read_timeout_s(5 * megabyte, cap_s=300) == 300  # STT_TIMEOUT_S caps it


def test_a_plain_transcript_becomes_sentences_with_proportional_times():
    segments = split_text("Salom. Qanday yordam bera olaman?  Rahmat!", 10.0)
    assert [s.text for s in segments] == ["Salom.", "Qanday yordam bera olaman?", "Rahmat!"]
    assert {s.speaker for s in segments} == {"unknown"}
    total = len("Salom.") + len("Qanday yordam bera olaman?") + len("Rahmat!")
    assert segments[0].start_ms == 0 and segments[-1].end_ms == 10_000
    assert segments[0].end_ms == round(10_000 * 6 / total) == segments[1].start_ms
    assert split_text("   ", 3.0) == []


def test_configuration_problems_are_named():
    assert "GEMINI_API_KEY" in configuration_problem(Settings(stt_api_url="http://x", ai_provider="gemini"))
    assert "not one of" in configuration_problem(Settings(stt_api_url="http://x", ai_provider="claude"))
    assert configuration_problem(Settings(stt_api_url="http://x", ai_provider="openai",
                                          openai_base_url="http://y/v1", ai_model="m")) is None


def test_prompt_keys_criteria_by_id_and_schema_translates_for_gemini():
    prompt = build_prompt(CRITERIA, 100, [TranscriptLine("agent", "Salom", 65_000)], "en")
    assert 'id "7": Greeting (weight 2) — Says hello' in prompt.user
    assert "[01:05] agent: Salom" in prompt.user and "in English" in prompt.user
    gemini = gemini_schema(prompt.schema)
    assert gemini["properties"]["criterion_scores"]["required"] == ["7", "9"]
    assert gemini["properties"]["criterion_scores"]["properties"]["7"] == {
        "type": "NUMBER", "description": "Greeting", "minimum": 0, "maximum": 100}
    assert "additionalProperties" not in gemini["properties"]["criterion_scores"]


def test_answer_validation():
    good = '{"overall_score": 1, "criterion_scores": {"7": 9, "9": 6}, "violations_mistakes": [], ' \
           '"summary_of_performance": "ok"}'
    evaluation = parse_answer(f"```json\n{good}\n```", CRITERIA, 10)
    assert evaluation.scores == {7: 9.0, 9: 6.0} and evaluation.overall_score == 8.0  # weighted, not the model's 1
    with pytest.raises(InvalidAnswer, match="misses criteria 9"):
        parse_answer(good.replace('"9": 6', '"8": 6'), CRITERIA, 10)
    with pytest.raises(InvalidAnswer, match="outside 0..10"):
        parse_answer(good.replace('"7": 9', '"7": 90'), CRITERIA, 10)
    with pytest.raises(InvalidAnswer, match="summary_of_performance"):
        parse_answer(good.replace('"ok"', '""'), CRITERIA, 10)
    assert strip_fences("```\n{}\n```") == "{}"
    assert (timestamp_ms("01:23"), timestamp_ms("1:02:03"), timestamp_ms("soon")) == (83_000, 3_723_000, None)
