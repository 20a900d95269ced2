"""The Redis building blocks: the shared rate limit, run locks, and progress counters."""

from __future__ import annotations

import hashlib
import threading
import time

from shared.locks import RunLock
from shared.progress import ProgressStore
from shared.ratelimit import RateLimiter


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


def test_scripts_run_by_sha_and_are_loaded_again_after_redis_forgets_them(tmp_path):
    """EVALSHA, with the script loaded again when the server lost its script cache (a restart):
    on a private redis-server, so that flushing its scripts disturbs nobody else."""
    from shared.redis_client import make_redis, run_script
    from tests.support.restarts import PrivateRedis

    server = PrivateRedis(tmp_path / "redis")
    server.start()
    try:
        client = make_redis(server.url)
        source = "return redis.call('incrby', KEYS[1], ARGV[1])"
        assert run_script(client, source, ["counter"], [2]) == 2
        client.script_flush()
        assert run_script(client, source, ["counter"], [3]) == 5
        assert client.script_exists(hashlib.sha1(source.encode()).hexdigest()) == [True]
    finally:
        server.stop()
