"""Run locks and live progress in Redis: a lock names its holder and expires; counters are atomic."""

from __future__ import annotations

import threading
import time

from shared.runs.locks import RunLock
from shared.runs.progress import ProgressStore


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
