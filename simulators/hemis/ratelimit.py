"""Yii2's `yii\\filters\\RateLimiter`, as HEMIS runs it (reference hemis.md §13), for the simulator.

Per user: `limit` requests per `window_s`. The allowance refills in whole seconds
(`allowance += int((now - stamp) * limit / window)`, `now = int(time())`, capped at `limit`), and
the pair (allowance, now) is saved on *every* request, refused ones included: a client sending
faster than `window / limit` earns nothing back. A refusal is HTTP 429 with `X-Rate-Limit-*`
headers (Reset = the window) and no `Retry-After`. `headers=False` is Yii2's
`enableRateLimitHeaders = false`: the same limiter, no headers at all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# Yii2's error body outside debug mode (no `type`: YII_DEBUG adds it).
TOO_MANY_REQUESTS = {"name": "Too Many Requests", "message": "Rate limit exceeded.", "code": 0, "status": 429}


@dataclass
class Verdict:
    allowed: bool
    headers: dict[str, str]


@dataclass
class Yii2RateLimiter:
    limit: int
    window_s: int
    headers: bool = True
    clock: Callable[[], float] = time.time
    allowance: int = 0
    stamp: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        # A user seen for the first time starts with the whole allowance (HEMIS's loadAllowance).
        self.allowance, self.stamp = self.limit, int(self.clock())

    def check(self) -> Verdict:
        """One request arrives: Yii2's `checkRateLimit`, atomically."""
        with self.lock:
            current = int(self.clock())
            allowance = min(self.limit, self.allowance + int((current - self.stamp) * self.limit / self.window_s))
            if allowance < 1:
                self.allowance, self.stamp = 0, current
                return Verdict(False, self._headers(0, self.window_s))
            self.allowance, self.stamp = allowance - 1, current
            reset = int((self.limit - allowance + 1) * self.window_s / self.limit)
            return Verdict(True, self._headers(allowance - 1, reset))

    def _headers(self, remaining: int, reset_s: int) -> dict[str, str]:
        if not self.headers:
            return {}
        return {"X-Rate-Limit-Limit": str(self.limit), "X-Rate-Limit-Remaining": str(remaining),
                "X-Rate-Limit-Reset": str(reset_s)}


def limiter_from(config: dict[str, object] | None) -> Yii2RateLimiter | None:
    """`{"limit": 20, "window_s": 10, "headers": true}` from the control API; None/{} = no limit."""
    if not config:
        return None
    return Yii2RateLimiter(limit=int(config["limit"]), window_s=int(config["window_s"]),  # type: ignore[arg-type]
                           headers=bool(config.get("headers", True)))
