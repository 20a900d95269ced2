"""The simulator's rate limiter is Yii2's: whole-second refill, every request stamped, 429 without
Retry-After, headers that can be switched off (reference hemis.md §13)."""

from __future__ import annotations

import threading

import requests

from simulators.hemis.control import SimulatorControl
from simulators.hemis.ratelimit import Yii2RateLimiter
from simulators.hemis.server import make_server

TOKEN = "simulator-rate-token"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_yii2_arithmetic_whole_seconds_and_refusals_restamp():
    clock = Clock(1000.2)
    limiter = Yii2RateLimiter(limit=10, window_s=60, clock=clock)
    answers = [limiter.check() for _ in range(10)]
    assert all(a.allowed for a in answers)
    assert answers[0].headers == {"X-Rate-Limit-Limit": "10", "X-Rate-Limit-Remaining": "9", "X-Rate-Limit-Reset": "6"}
    assert answers[-1].headers["X-Rate-Limit-Remaining"] == "0" and answers[-1].headers["X-Rate-Limit-Reset"] == "60"
    refused = limiter.check()
    assert not refused.allowed and refused.headers["X-Rate-Limit-Reset"] == "60" and "Retry-After" not in refused.headers
    # Asking every 5 s (faster than 60/10) earns nothing back, however long it goes on.
    for _ in range(20):
        clock.now += 5
        assert not limiter.check().allowed
    clock.now += 6  # one gap of window/limit: one request
    assert limiter.check().allowed
    assert not limiter.check().allowed
    clock.now += 60
    assert sum(limiter.check().allowed for _ in range(12)) == 10  # a full window of silence: the whole limit


def test_the_headers_can_be_switched_off():
    limiter = Yii2RateLimiter(limit=1, window_s=10, headers=False, clock=Clock(5.0))
    assert limiter.check().headers == {} and not limiter.check().allowed


def test_the_server_answers_429_and_reports_the_most_requests_in_a_window():
    server = make_server("127.0.0.1", 0, TOKEN, 30, 0, 1)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    control = SimulatorControl(base)
    try:
        control.rate_limit(3, 60)
        statuses = []
        for page in range(1, 6):
            response = requests.get(f"{base}/rest/v1/data/student-list", params={"page": page, "limit": 5},
                                    headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
            statuses.append(response.status_code)
            assert "X-Rate-Limit-Limit" in response.headers and "Retry-After" not in response.headers
        assert statuses == [200, 200, 200, 429, 429]
        assert response.json()["message"] == "Rate limit exceeded."
        stats = control.rate_limit_stats()
        assert stats["refused"] == 2 and stats["maxRequestsInWindow"] == 5 and stats["limit"] == 3
        control.config(rate_limit=None)
        ok = requests.get(f"{base}/rest/v1/data/student-list", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert ok.status_code == 200 and "X-Rate-Limit-Limit" not in ok.headers
    finally:
        server.shutdown()
