"""The scoring prompt and the JSON schema of the answer, built from the organization's criteria.

Criterion scores are keyed by criterion id (as a string, JSON keys being strings), so an answer is
matched to criteria exactly; the original matched by name and fell back silently.

The prompt is written in the organization's analysis language (`workers.ai.prompt_texts`: uz, ru,
en), and says what the transcript tells about its speakers: the operator labelled "agent" (the
earlier speech-to-text with diarization), speakers labelled without saying which is the operator,
or no labels at all (today's speech-to-text: every line `unknown`, see `workers.ai.stt`), when the
model is asked to infer the operator from what is said. The JSON keys and the schema are the same
in every case.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from workers.ai.prompt_texts import PromptTexts, texts_for
from workers.ai.stt import UNKNOWN_SPEAKER

AGENT_SPEAKER = "agent"  # how the diarizing speech-to-text labels the operator
MAX_LABELS_NAMED = 6  # a call has two or three speakers; more labels would only lengthen the system text


@dataclass(frozen=True)
class CriterionSpec:
    id: int
    name: str
    weight: float
    description: str | None

    @property
    def key(self) -> str:
        return str(self.id)


@dataclass(frozen=True)
class TranscriptLine:
    speaker: str
    text: str
    start_ms: int


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str
    schema: dict[str, Any]  # JSON Schema of the answer (providers translate it to their dialect)
    language: str = "en"  # the analysis language it is written in (its correction note is, too)


class Speakers(enum.Enum):
    """What a transcript says about who spoke."""

    AGENT_LABELLED = "agent_labelled"  # the operator is the speaker "agent"
    UNNAMED = "unnamed"  # speakers are labelled, none of them as the operator
    UNLABELLED = "unlabelled"  # no labels: every line `unknown`


def speakers_of(transcript: Sequence[TranscriptLine]) -> Speakers:
    labels = speaker_labels(transcript)
    if not labels:
        return Speakers.UNLABELLED
    return Speakers.AGENT_LABELLED if AGENT_SPEAKER in labels else Speakers.UNNAMED


def speaker_labels(transcript: Sequence[TranscriptLine]) -> list[str]:
    """The transcript's speaker labels in order of appearance, without `unknown`."""
    labels = dict.fromkeys(line.speaker for line in transcript if line.speaker not in ("", UNKNOWN_SPEAKER))
    return list(labels)


def build_prompt(criteria: Sequence[CriterionSpec], max_score: int, transcript: Sequence[TranscriptLine],
                 language: str) -> Prompt:
    """The prompt in `language` (an analysis language; English for another one)."""
    texts = texts_for(language)
    speakers = speakers_of(transcript)
    return Prompt(system=f"{texts.system} {_operator_text(texts, speakers, transcript)}",
                  user=_user_text(texts, criteria, max_score, transcript, speakers),
                  schema=answer_schema(criteria, max_score), language=language)


def _operator_text(texts: PromptTexts, speakers: Speakers, transcript: Sequence[TranscriptLine]) -> str:
    if speakers is Speakers.AGENT_LABELLED:
        return texts.operator_is_agent
    if speakers is Speakers.UNNAMED:
        labels = speaker_labels(transcript)[:MAX_LABELS_NAMED]
        return texts.operator_unnamed.format(labels=", ".join(f'"{label}"' for label in labels))
    return texts.operator_unlabelled


def _user_text(texts: PromptTexts, criteria: Sequence[CriterionSpec], max_score: int,
               transcript: Sequence[TranscriptLine], speakers: Speakers) -> str:
    parts = [texts.scale.format(max_score=max_score)]
    if criteria:
        parts.append(texts.criteria_intro)
        parts.extend(_criterion_line(criterion, texts.weight) for criterion in criteria)
    unlabelled = speakers is Speakers.UNLABELLED
    parts += [
        "",
        texts.shape.format(shape=_compact(_answer_shape(criteria, max_score))),
        texts.violations_rule,
        texts.summary_rule,
        texts.language_rule,
        "",
        texts.transcript_unlabelled if unlabelled else texts.transcript_labelled,
        "<transcript>",
        *(_transcript_line(line, unlabelled) for line in transcript),
        "</transcript>",
    ]
    return "\n".join(parts)


def _answer_shape(criteria: Sequence[CriterionSpec], max_score: int) -> dict[str, Any]:
    """The answer's shape as the prompt shows it: the same keys in every language."""
    shape: dict[str, Any] = {"overall_score": f"<0..{max_score}>"}
    if criteria:
        shape["criterion_scores"] = {criterion.key: f"<0..{max_score}>" for criterion in criteria}
    shape.update({"violations_mistakes": [{"description": "...", "timestamp": "MM:SS"}],
                  "summary_of_performance": "..."})
    return shape


def _transcript_line(line: TranscriptLine, unlabelled: bool) -> str:
    """`[MM:SS] speaker: text`; without the speaker when no line has one (`unknown` on every line
    would only be noise)."""
    if unlabelled:
        return f"[{format_timestamp(line.start_ms)}] {line.text}"
    return f"[{format_timestamp(line.start_ms)}] {line.speaker}: {line.text}"


def _criterion_line(criterion: CriterionSpec, weight_word: str) -> str:
    line = f'- id "{criterion.key}": {criterion.name} ({weight_word} {criterion.weight:g})'
    if criterion.description:
        line += f" — {criterion.description}"
    return line


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def answer_schema(criteria: Sequence[CriterionSpec], max_score: int) -> dict[str, Any]:
    """JSON Schema of the answer, strict enough for OpenAI's structured outputs (every property
    required, no additional properties)."""
    score = {"type": "number", "minimum": 0, "maximum": max_score}
    properties: dict[str, Any] = {"overall_score": score}
    if criteria:  # an object without properties is refused by Gemini, so leave it out entirely
        properties["criterion_scores"] = {
            "type": "object",
            "properties": {criterion.key: {**score, "description": criterion.name} for criterion in criteria},
            "required": [criterion.key for criterion in criteria],
            "additionalProperties": False,
        }
    properties["violations_mistakes"] = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"description": {"type": "string"}, "timestamp": {"type": "string"}},
            "required": ["description", "timestamp"],
            "additionalProperties": False,
        },
    }
    properties["summary_of_performance"] = {"type": "string"}
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}


def format_timestamp(ms: int) -> str:
    seconds = max(0, ms) // 1000
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def with_correction(prompt: Prompt, reason: str) -> Prompt:
    """The prompt again, telling the model (in the prompt's language) what was wrong with its
    previous answer."""
    note = "\n\n" + texts_for(prompt.language).correction.format(reason=reason)
    return Prompt(system=prompt.system, user=prompt.user + note, schema=prompt.schema, language=prompt.language)
