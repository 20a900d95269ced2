"""The scoring prompt: what it says about the speakers, and the language it is written in."""

from __future__ import annotations

import json
import re

import pytest

from shared.ai.languages import ANALYSIS_LANGUAGES, analysis_language, default_analysis_language
from workers.ai.prompt import CriterionSpec, Speakers, TranscriptLine, build_prompt, speakers_of, with_correction
from workers.ai.prompt_texts import PROMPT_TEXTS
from workers.ai.stt import split_text

CRITERIA = [CriterionSpec(7, "Greeting", 2, "Says hello"), CriterionSpec(9, "Closing", 1, None)]
LABELLED = [TranscriptLine("agent", "Assalomu alaykum, Navai kompaniyasi.", 0),
            TranscriptLine("customer", "Salom, buyurtmam haqida.", 4_000)]
# What today's speech-to-text gives: plain text, split into sentences, every one `unknown`.
UNLABELLED = [TranscriptLine(s.speaker, s.text, s.start_ms)
              for s in split_text("Assalomu alaykum, Navai kompaniyasi. Salom, buyurtmam haqida.", 8.0)]
DIARIZED = [TranscriptLine("speaker_0", "Assalomu alaykum.", 0), TranscriptLine("speaker_1", "Salom.", 2_000)]


def test_a_labelled_transcript_names_the_operator_agent():
    prompt = build_prompt(CRITERIA, 10, LABELLED, "en")
    assert speakers_of(LABELLED) is Speakers.AGENT_LABELLED
    assert 'the operator is the speaker labelled "agent"' in prompt.system
    assert "no speaker labels" not in prompt.system + prompt.user
    assert "[00:00] agent: Assalomu alaykum, Navai kompaniyasi." in prompt.user
    assert "[00:04] customer: Salom, buyurtmam haqida." in prompt.user


def test_an_unlabelled_transcript_says_so_and_asks_the_model_to_infer_the_operator():
    assert {line.speaker for line in UNLABELLED} == {"unknown"}
    prompt = build_prompt(CRITERIA, 10, UNLABELLED, "en")
    assert speakers_of(UNLABELLED) is Speakers.UNLABELLED
    assert '"agent"' not in prompt.system + prompt.user  # no speaker the transcript does not have
    assert "The transcript has no speaker labels" in prompt.system
    assert "Infer from the content which sentences the operator said" in prompt.system
    assert "approximate MM:SS from the start of the call, no speaker labels" in prompt.user
    transcript = prompt.user.split("<transcript>\n", 1)[1]
    assert transcript.startswith("[00:00] Assalomu alaykum, Navai kompaniyasi.\n")  # no "unknown:" noise
    assert "unknown" not in prompt.user


def test_speakers_labelled_without_an_agent_are_named_and_the_operator_is_inferred():
    prompt = build_prompt(CRITERIA, 10, DIARIZED, "en")
    assert speakers_of(DIARIZED) is Speakers.UNNAMED
    assert 'labels its speakers ("speaker_0", "speaker_1") but does not say which of them is the operator' \
        in prompt.system
    assert "[00:02] speaker_1: Salom." in prompt.user


@pytest.mark.parametrize(("language", "system_words", "user_words"), [
    ("uz", ("call-markazda sifat nazorati", "so'zlovchilar belgilanmagan"),
     ("0 dan 10 gacha baholang", "o'zbek tilida, lotin yozuvida", "vazn 2")),
    ("ru", ("аналитик отдела контроля качества", "нет меток говорящих"),
     ("по шкале от 0 до 10", "на русском языке", "вес 2")),
    ("en", ("quality-assurance analyst", "no speaker labels"),
     ("from 0 to 10", "in English", "weight 2")),
])
def test_the_prompt_is_written_in_the_analysis_language(language, system_words, user_words):
    prompt = build_prompt(CRITERIA, 10, UNLABELLED, language)
    for words in system_words:
        assert words in prompt.system
    for words in user_words:
        assert words in prompt.user
    others = [texts.system for code, texts in PROMPT_TEXTS.items() if code != language]
    assert not any(other in prompt.system for other in others)
    assert prompt.language == language


def test_keys_shape_and_schema_are_the_same_in_every_language():
    prompts = {language: build_prompt(CRITERIA, 100, LABELLED, language) for language in ANALYSIS_LANGUAGES}
    shapes = {language: _shape(prompt.user) for language, prompt in prompts.items()}
    assert shapes["en"] == {"overall_score": "<0..100>", "criterion_scores": {"7": "<0..100>", "9": "<0..100>"},
                            "violations_mistakes": [{"description": "...", "timestamp": "MM:SS"}],
                            "summary_of_performance": "..."}
    assert shapes["uz"] == shapes["ru"] == shapes["en"]
    assert prompts["uz"].schema == prompts["ru"].schema == prompts["en"].schema
    for prompt in prompts.values():
        assert 'id "7": Greeting' in prompt.user and "— Says hello" in prompt.user
        assert "violations_mistakes" in prompt.user and "summary_of_performance" in prompt.user


def test_every_language_has_every_text_filled_and_placeholders_intact():
    english = PROMPT_TEXTS["en"]
    for language, texts in PROMPT_TEXTS.items():
        for field, value in vars(texts).items():
            assert value.strip(), (language, field)
            assert _placeholders(value) == _placeholders(getattr(english, field)), (language, field)


def test_a_correction_is_written_in_the_prompts_language():
    corrected = with_correction(build_prompt(CRITERIA, 10, LABELLED, "ru"), "criterion_scores misses criteria 9")
    assert corrected.user.endswith("Ваш предыдущий ответ отклонён: criterion_scores misses criteria 9. Ответьте "
                                   "ещё раз одним JSON-объектом ровно требуемой структуры, с оценкой по каждому id "
                                   "критерия из списка выше.")
    assert corrected.language == "ru" and corrected.system.startswith("Вы — аналитик")


def test_a_language_the_prompt_is_not_written_in_gets_english():
    assert build_prompt(CRITERIA, 10, LABELLED, "kk").system.startswith("You are a quality-assurance analyst")
    assert default_analysis_language("kk") == "en" and default_analysis_language(" RU ") == "ru"
    assert analysis_language(None, "uz") == "uz" and analysis_language("ru", "uz") == "ru"
    assert analysis_language("xx", "uz") == "uz"  # a stored value that is no language follows the default


def _shape(user_text: str) -> object:
    line = next(line for line in user_text.splitlines() if ": {" in line and "overall_score" in line)
    return json.loads(line[line.index("{"):])


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))
