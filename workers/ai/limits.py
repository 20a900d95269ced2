"""Time budgets of the AI tasks.

AI tasks are sent with their own soft limit, a few seconds under the hard limit: the platform's
soft limit (hard - 30 s) leaves almost nothing when the hard limit is short (tests: 30 s), while
an STT upload or an LLM answer legitimately takes tens of seconds. The hard limit stays the
platform's `CELERY_TASK_TIME_LIMIT_S`, so the visibility timeout still exceeds it. Every HTTP
request is given a read timeout that fits in what is left of the soft limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from shared.settings import Settings

MAX_SOFT_MARGIN_S = 30
MIN_SOFT_MARGIN_S = 3
SOFT_MARGIN_RATIO = 6  # margin = hard / 6, within [MIN, MAX]
MIN_READ_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class TaskLimits:
    soft_s: int
    hard_s: int

    def as_options(self) -> dict[str, int]:
        """Options for `send_task` / `apply_async`."""
        return {"soft_time_limit": self.soft_s, "time_limit": self.hard_s}


def ai_task_limits(settings: Settings) -> TaskLimits:
    hard_s = settings.celery_task_time_limit_s
    margin_s = max(MIN_SOFT_MARGIN_S, min(MAX_SOFT_MARGIN_S, hard_s // SOFT_MARGIN_RATIO))
    return TaskLimits(soft_s=max(1, hard_s - margin_s), hard_s=hard_s)


class Deadline:
    """The time left to a task, to size each request's timeout."""

    def __init__(self, budget_s: float) -> None:
        self._ends_at = time.monotonic() + budget_s

    def remaining_s(self) -> float:
        return max(0.0, self._ends_at - time.monotonic())

    def read_timeout_s(self, wanted_s: float, attempts: int, reserve_s: float) -> float:
        """`wanted_s`, but small enough that `attempts` tries and `reserve_s` of backoff fit."""
        share_s = (self.remaining_s() - reserve_s) / max(1, attempts)
        return max(MIN_READ_TIMEOUT_S, min(wanted_s, share_s))
