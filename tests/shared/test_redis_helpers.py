"""The Redis building blocks: the shared rate limit, run locks, and progress counters."""

from __future__ import annotations

import threading
import time

from shared.locks import RunLock
from shared.progress import ProgressStore
from shared.ratelimit import RateLimiter


def test_rate_limit_spaces_requests_across_threads(settings, redis_client):
    rate_per_s = 20
    stamps: list[float] = []
    lock = threading.Lock()

    def caller():
        limiter = RateLimiter(redis_client, "test", rate_per_s)  # one limiter each, like separate workers
        for _ in range(5):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps.sort()
    gaps = [later - earlier for earlier, later in zip(stamps, stamps[1:])]
    assert len(stamps) == 20
    assert min(gaps) >= (1 / rate_per_s) * 0.9  # never two requests in one slot
    assert stamps[-1] - stamps[0] >= 19 / rate_per_s * 0.95


def test_rate_limit_zero_means_unlimited(settings, redis_client):
    limiter = RateLimiter(redis_client, "free", 0)
    assert all(limiter.acquire() == 0.0 for _ in range(50))


def test_run_lock_names_the_holder_and_releases_only_its_own(settings, redis_client):
    lock = RunLock(redis_client, "hemis:students", ttl_s=30)
    assert lock.acquire("run-a") is None
    assert lock.acquire("run-b") == "run-a"
    assert lock.release("run-b") is False
    assert lock.release("run-a") is True
    assert lock.acquire("run-b") is None


def test_run_lock_expires(settings, redis_client):
    lock = RunLock(redis_client, "short", ttl_s=1)
    assert lock.acquire("run-a") is None
    time.sleep(1.2)
    assert lock.acquire("run-b") is None


def test_progress_counters_are_atomic_under_concurrency(settings, redis_client):
    store = ProgressStore(redis_client)
    store.start("r1", "scope", {"status": "running", "processed": 0})

    def bump():
        for _ in range(100):
            store.incr("r1", "processed")

    threads = [threading.Thread(target=bump) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("r1")["processed"] == "500"
    assert store.latest("scope") == "r1"
    store.add_error("r1", "page 3: boom")
    assert store.errors("r1") == ["page 3: boom"]
