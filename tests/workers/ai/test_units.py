"""Pure parts of the pipeline: time budgets, prompt and answer checks (no services needed)."""

from __future__ import annotations

import pytest

from shared.settings import Settings
from workers.ai.answer import parse_answer, strip_fences, timestamp_ms
from workers.ai.config import configuration_problem
from workers.ai.errors import InvalidAnswer
from workers.ai.limits import ai_task_limits
from workers.ai.prompt import CriterionSpec, TranscriptLine, build_prompt
from workers.ai.providers.gemini import gemini_schema

CRITERIA = [CriterionSpec(7, "Greeting", 2, "Says hello"), CriterionSpec(9, "Closing", 1, None)]


def test_ai_tasks_get_a_soft_limit_that_leaves_them_time():
    assert ai_task_limits(Settings(celery_task_time_limit_s=30)).as_options() == {"soft_time_limit": 25,
                                                                                  "time_limit": 30}
    assert ai_task_limits(Settings(celery_task_time_limit_s=300)).soft_s == 270


def test_configuration_problems_are_named():
    assert "GEMINI_API_KEY" in configuration_problem(Settings(stt_api_url="http://x", ai_provider="gemini"))
    assert "not one of" in configuration_problem(Settings(stt_api_url="http://x", ai_provider="claude"))
    assert configuration_problem(Settings(stt_api_url="http://x", ai_provider="openai",
                                          openai_base_url="http://y/v1", ai_model="m")) is None


def test_prompt_keys_criteria_by_id_and_schema_translates_for_gemini():
    prompt = build_prompt(CRITERIA, 100, [TranscriptLine("agent", "Salom", 65_000)], "uz")
    assert 'id "7": Greeting (weight 2) — Says hello' in prompt.user
    assert "[01:05] agent: Salom" in prompt.user and "in Uzbek" in prompt.user
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
