"""HTTP to upstream APIs: keep-alive sessions, timeouts on every request, retries with backoff and
jitter (Celery's formula), the shared rate limit before every attempt, and `Retry-After` honoured.

Retried: timeouts, connection errors, 429 and 5xx. Any other status is returned to the caller,
which knows what a 401 or a 404 means for its API.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from celery.utils.time import get_exponential_backoff_interval

from shared.metrics import UpstreamMeter
from workers.ratelimit.budget import retry_after_s

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class UpstreamError(Exception):
    """An upstream answered wrongly or not at all. `retryable` says whether trying later may help."""

    retryable = False

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class UpstreamUnavailable(UpstreamError):
    """Timeout, connection error, 429 or 5xx, still so after every attempt."""

    retryable = True


class UpstreamRejected(UpstreamError):
    """The upstream refused the request (bad credentials, bad request): retrying will not help."""


class Limiter(Protocol):
    """Anything that makes the caller wait for its turn: `workers.ratelimit.slots.RateLimiter`,
    `workers.ratelimit.budget.ServerBudget`."""

    def acquire(self) -> float: ...


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0
    max_retry_after_s: float = 60.0
    connect_timeout_s: float = CONNECT_TIMEOUT_S
    read_timeout_s: float = READ_TIMEOUT_S

    def backoff_s(self, attempt: int) -> float:
        """Celery's exponential backoff with full jitter: attempt 1 waits up to base, 2 up to 2*base, ..."""
        return backoff_s(self.base_delay_s, attempt - 1, self.max_delay_s)


def backoff_s(base_delay_s: float, retries: int, max_delay_s: float) -> float:
    """The one backoff formula of the workers (Celery's, as `retry_backoff`/`retry_jitter` use it),
    in seconds: a random wait up to min(max, base * 2**retries)."""
    scale = 1000  # Celery's helper works in whole units: milliseconds keep sub-second bases
    return get_exponential_backoff_interval(factor=int(base_delay_s * scale), retries=retries,
                                            maximum=int(max_delay_s * scale), full_jitter=True) / scale


_SESSIONS = threading.local()


def keep_alive_session() -> requests.Session:
    """One keep-alive HTTP session per worker process and thread, made on first use (a session
    made before the pool forks would share its sockets with every child)."""
    if getattr(_SESSIONS, "pid", None) != os.getpid():
        _SESSIONS.pid, _SESSIONS.session = os.getpid(), requests.Session()
    return _SESSIONS.session


def request_with_retries(http: requests.Session, method: str, url: str, *, policy: RetryPolicy,
                         limiter: Limiter | None = None, sleep: Callable[[float], None] = time.sleep,
                         describe: str = "", meter: UpstreamMeter | None = None,
                         retry_statuses: frozenset[int] = RETRY_STATUSES,
                         on_response: Callable[[requests.Response], None] | None = None,
                         **kwargs: Any) -> requests.Response:
    """Send the request, retrying what may pass; return the first non-retryable response.

    Every attempt's outcome is counted for `/metrics` by `meter` (one per upstream: hemis, sipuni, stt, llm).
    `retry_statuses`: the statuses retried here (a caller that handles 429 itself leaves it out);
    `on_response`: sees every answer, retried ones included (e.g. to read rate-limit headers)."""
    what = describe or f"{method} {url}"
    last_error: UpstreamUnavailable | None = None
    for attempt in range(1, policy.attempts + 1):
        if limiter is not None:
            limiter.acquire()
        try:
            response = http.request(method, url, timeout=(policy.connect_timeout_s, policy.read_timeout_s),
                                    **kwargs)
        except UpstreamError as exc:  # a session wrapper that judged the answer itself (Sipuni's bad hash)
            _count(meter, exc.status)
            raise
        except (requests.Timeout, requests.ConnectionError) as exc:
            _count(meter, None)
            last_error = UpstreamUnavailable(f"{what}: {type(exc).__name__} (attempt {attempt}/{policy.attempts})")
            delay_s = policy.backoff_s(attempt)
        else:
            _count(meter, response.status_code)
            if on_response is not None:
                on_response(response)
            if response.status_code not in retry_statuses:
                return response
            last_error = UpstreamUnavailable(
                f"{what}: HTTP {response.status_code} (attempt {attempt}/{policy.attempts})", response.status_code)
            delay_s = wait_asked_s(response, policy) or policy.backoff_s(attempt)
            response.close()
        if attempt < policy.attempts:
            sleep(delay_s)
    assert last_error is not None
    raise last_error


def _count(meter: UpstreamMeter | None, status: int | None) -> None:
    if meter is not None:
        meter.count(status)


def wait_asked_s(response: requests.Response, policy: RetryPolicy) -> float | None:
    """Seconds the server asks us to wait: `Retry-After` (seconds or an HTTP date), else
    `X-Rate-Limit-Reset`; capped at the policy's `max_retry_after_s`."""
    seconds = retry_after_s(response.headers)
    if seconds is None:
        try:
            seconds = float(response.headers.get("X-Rate-Limit-Reset") or "")
        except ValueError:
            return None
    return max(0.0, min(seconds, policy.max_retry_after_s))
