"""Parse and check the model's answer against the criteria it was asked to score."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workers.ai.errors import InvalidAnswer
from workers.ai.prompt import CriterionSpec

MAX_TIMESTAMP_LENGTH = 16
_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)
_TIMESTAMP = re.compile(r"^\s*(?:(\d{1,2}):)?(\d{1,3}):(\d{2})(?:[.,]\d+)?\s*$")


class _Violation(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    description: str = Field(min_length=1)
    timestamp: str | None = None


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, allow_inf_nan=False)

    overall_score: float
    criterion_scores: dict[str, float] = Field(default_factory=dict)
    violations_mistakes: list[_Violation] = Field(default_factory=list)
    summary_of_performance: str = Field(min_length=1)


@dataclass(frozen=True)
class ViolationResult:
    description: str
    timestamp: str | None
    timestamp_ms: int | None


@dataclass(frozen=True)
class Evaluation:
    overall_score: float
    scores: dict[int, float]  # criterion id -> score
    violations: list[ViolationResult]
    summary: str


def parse_answer(text: str, criteria: Sequence[CriterionSpec], max_score: int) -> Evaluation:
    """The evaluation in `text`, or InvalidAnswer saying exactly what is wrong with it."""
    try:
        payload = json.loads(strip_fences(text))
    except json.JSONDecodeError as exc:
        raise InvalidAnswer(f"the answer is not JSON ({exc.msg} at char {exc.pos})") from exc
    if not isinstance(payload, dict):
        raise InvalidAnswer("the answer is not a JSON object")
    try:
        answer = _Answer.model_validate(payload)
    except ValidationError as exc:
        raise InvalidAnswer("; ".join(_describe(error) for error in exc.errors())) from exc
    _check_scores(answer, criteria, max_score)
    scores = {criterion.id: answer.criterion_scores[criterion.key] for criterion in criteria}
    return Evaluation(
        overall_score=weighted_score(scores, criteria) if criteria else round(answer.overall_score, 2),
        scores=scores,
        violations=[ViolationResult(v.description, (v.timestamp or None) and v.timestamp[:MAX_TIMESTAMP_LENGTH],
                                    timestamp_ms(v.timestamp)) for v in answer.violations_mistakes],
        summary=answer.summary_of_performance,
    )


def strip_fences(text: str) -> str:
    """Remove a markdown code fence (```json ... ```) some models put around JSON."""
    match = _FENCE.match(text)
    return match.group(1) if match else text.strip()


def _check_scores(answer: _Answer, criteria: Sequence[CriterionSpec], max_score: int) -> None:
    expected = {criterion.key for criterion in criteria}
    problems: list[str] = []
    missing = sorted(expected - set(answer.criterion_scores), key=int)
    unknown = sorted(set(answer.criterion_scores) - expected)
    if missing:
        problems.append(f"criterion_scores misses criteria {', '.join(missing)}")
    if unknown:
        problems.append(f"criterion_scores has unknown keys {', '.join(unknown)}")
    if not 0 <= answer.overall_score <= max_score:
        problems.append(f"overall_score {answer.overall_score:g} is outside 0..{max_score}")
    for key, score in sorted(answer.criterion_scores.items()):
        if key in expected and not 0 <= score <= max_score:
            problems.append(f"criterion {key} score {score:g} is outside 0..{max_score}")
    if problems:
        raise InvalidAnswer("; ".join(problems))


def weighted_score(scores: dict[int, float], criteria: Sequence[CriterionSpec]) -> float:
    """The weighted mean of the criterion scores: weights apply exactly, not as the model guesses."""
    total_weight = sum(criterion.weight for criterion in criteria)
    if total_weight <= 0:
        return round(sum(scores.values()) / len(scores), 2)
    return round(sum(scores[c.id] * c.weight for c in criteria) / total_weight, 2)


def timestamp_ms(value: str | None) -> int | None:
    """'01:23' or '1:02:03' as milliseconds; None when it is not a time."""
    match = _TIMESTAMP.match(value or "")
    if not match:
        return None
    hours, minutes, seconds = int(match.group(1) or 0), int(match.group(2)), int(match.group(3))
    if seconds >= 60:
        return None
    return ((hours * 60 + minutes) * 60 + seconds) * 1000


def _describe(error: dict) -> str:  # type: ignore[type-arg]
    where = ".".join(str(part) for part in error["loc"]) or "answer"
    return f"{where}: {error['msg']}"
