"""Time budgets of the AI tasks.

AI tasks run under the platform's limits (`Settings.celery_soft_time_limit_s` and
`CELERY_TASK_TIME_LIMIT_S`, which the visibility timeout exceeds). Every HTTP request is given a
read timeout that fits in what is left of the soft limit, so an STT upload or an LLM answer that
is slow fails cleanly instead of being cut off mid-write.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from shared.settings import Settings

MIN_READ_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class TaskLimits:
    soft_s: int
    hard_s: int

    def as_options(self) -> dict[str, int]:
        """Options for `send_task` / `apply_async`."""
        return {"soft_time_limit": self.soft_s, "time_limit": self.hard_s}


def ai_task_limits(settings: Settings) -> TaskLimits:
    return TaskLimits(soft_s=settings.celery_soft_time_limit_s, hard_s=settings.celery_task_time_limit_s)


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
