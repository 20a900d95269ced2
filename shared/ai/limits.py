"""Time budgets of the AI tasks: their own, not the platform's global task limit.

A transcription may legitimately take an hour (the STT service's own timeout is 10 min + 2 min
per MB, at most 60 min, `STT_TIMEOUT_S` caps it), far beyond `CELERY_TASK_TIME_LIMIT_S`, which
suits the short Sipuni and HEMIS tasks. `task_annotations` (celeryconfig) give `ai.transcribe`
and `ai.analyze` the limits below, and every HTTP request inside them gets a read timeout that
fits in what is left of the soft limit, so a slow answer fails cleanly instead of being cut off.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.catalog import AI_ANALYZE, AI_TRANSCRIBE
from shared.settings import Settings

STT_ATTEMPTS = 3
STT_MAX_ATTEMPT_S = 3600  # the original's cap on one transcription request
STT_BACKOFF_RESERVE_S = 20
RECORD_OUTCOME_MARGIN_S = 30  # between the soft and the hard limit: time to store the outcome
# Two LLM requests (an answer, one correction) with retries and backoff.
ANALYZE_SOFT_TIME_LIMIT_S = 600


@dataclass(frozen=True)
class TaskLimits:
    soft_s: int
    hard_s: int

    def as_options(self) -> dict[str, int]:
        """Options for `send_task` / `apply_async`, or a task annotation."""
        return {"soft_time_limit": self.soft_s, "time_limit": self.hard_s}


def transcribe_limits(settings: Settings) -> TaskLimits:
    """Room for every attempt at the longest transcription the settings allow."""
    attempt_s = min(settings.stt_timeout_s, STT_MAX_ATTEMPT_S)
    soft_s = STT_ATTEMPTS * attempt_s + STT_BACKOFF_RESERVE_S
    return TaskLimits(soft_s=soft_s, hard_s=soft_s + RECORD_OUTCOME_MARGIN_S)


def analyze_limits(settings: Settings) -> TaskLimits:
    return TaskLimits(soft_s=ANALYZE_SOFT_TIME_LIMIT_S, hard_s=ANALYZE_SOFT_TIME_LIMIT_S + RECORD_OUTCOME_MARGIN_S)


def ai_task_limits(settings: Settings, task_name: str = AI_TRANSCRIBE) -> TaskLimits:
    """The limits of one AI task (`ai.transcribe` or `ai.analyze`)."""
    return analyze_limits(settings) if task_name == AI_ANALYZE else transcribe_limits(settings)


def ai_task_annotations(settings: Settings) -> dict[str, dict[str, int | bool]]:
    """`task_annotations` for celeryconfig: each AI task's own time limits. A transcription may run
    far longer than the broker's visibility timeout, so it is acknowledged on receipt: its lease
    (workers.recovery) brings it back if its worker dies, and the broker never hands a running
    transcription to a second worker."""
    annotations: dict[str, dict[str, int | bool]] = {
        name: dict(ai_task_limits(settings, name).as_options()) for name in (AI_TRANSCRIBE, AI_ANALYZE)}
    annotations[AI_TRANSCRIBE]["acks_late"] = False
    return annotations
