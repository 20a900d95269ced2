"""The time left to an AI task, to size each of its requests' timeouts."""

from __future__ import annotations

import time

MIN_READ_TIMEOUT_S = 2.0


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
