"""The fixed-rate limit shared by every worker: slots spaced by the rate, across processes and threads."""

from __future__ import annotations

import threading
import time

from workers.ratelimit.slots import RateLimiter


def test_rate_limit_hands_out_slots_spaced_by_the_rate(settings, redis_client):
    """Waits are read from Redis's clock, not from thread wake-ups, so machine load cannot skew them."""
    rate_per_s = 5
    waits: list[float] = []
    limiters = [RateLimiter(redis_client, "test", rate_per_s, sleep=lambda _s: None) for _ in range(3)]
    for call in range(12):  # round-robin over three "workers" sharing the key
        waits.append(limiters[call % 3].acquire())
    spacing_s = limiters[0].spacing_us / 1_000_000
    assert spacing_s > 1 / rate_per_s  # the safety margin is on the slow side
    for index, wait_s in enumerate(waits):
        assert index * spacing_s - 0.25 <= wait_s <= index * spacing_s + 0.001, (index, waits)


def test_rate_limit_really_waits_across_threads(settings, redis_client):
    rate_per_s = 20
    stamps: list[float] = []
    lock = threading.Lock()

    def caller():
        limiter = RateLimiter(redis_client, "threads", rate_per_s)  # one limiter each, like separate workers
        for _ in range(5):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Load can only delay a caller, never bring it forward: 20 calls span at least 19 slots.
    assert len(stamps) == 20
    assert max(stamps) - min(stamps) >= 19 / rate_per_s * 0.95


def test_rate_limit_zero_means_unlimited(settings, redis_client):
    limiter = RateLimiter(redis_client, "free", 0)
    assert all(limiter.acquire() == 0.0 for _ in range(50))
