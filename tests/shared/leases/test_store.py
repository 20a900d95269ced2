"""The lease operations on real Redis: tokens fence stale copies, attempts survive a retry."""

from __future__ import annotations

import time

from shared.leases.store import HELD, QUEUED, RUNNING, LeaseStore, RepublishSpec

SPEC = RepublishSpec(task="hemis.sync_page", args=["students", "run-1", 3], kwargs={}, queue="hemis")


def _store(redis_client, lease_s=3.0, grace_s=5.0):  # type: ignore[no-untyped-def]
    return LeaseStore(redis_client, lease_s=lease_s, queued_grace_s=grace_s)


def test_a_unit_goes_from_queued_to_held_to_running_and_is_released(settings, redis_client):
    store = _store(redis_client)
    store.register("hemis", "run-1:3", "t1", SPEC)
    assert store.get("hemis", "run-1:3").state == QUEUED and store.spec("hemis", "run-1:3") == SPEC
    assert store.mark_held("hemis", "run-1:3", "t1", "w1") == "ok"
    assert store.get("hemis", "run-1:3").state == HELD and store.held_by("w1") == [("hemis", "run-1:3")]
    assert store.claim("hemis", "run-1:3", "t1", "w1") == "ok"
    assert store.mark_held("hemis", "run-1:3", "t1", "w1") == "ok"  # never downgrades a running lease
    assert store.get("hemis", "run-1:3").state == RUNNING
    assert store.beat("hemis", "run-1:3", "t1")
    assert store.release("hemis", "run-1:3", "t1")
    assert store.get("hemis", "run-1:3") is None and store.held_by("w1") == []
    assert store.claim("hemis", "run-1:3", "t1", "w1") == "none"


def test_a_unit_published_again_fences_the_old_message(settings, redis_client):
    store = _store(redis_client)
    store.register("hemis", "run-1:3", "old", SPEC)
    store.claim("hemis", "run-1:3", "old", "dead-worker")
    assert store.take_over("hemis", "run-1:3", "old", "new") == 1
    assert store.take_over("hemis", "run-1:3", "old", "newer") is None  # a second sweeper loses
    store.register("hemis", "run-1:3", "new", SPEC)  # the publish under the new token
    assert store.get("hemis", "run-1:3").attempts == 1  # kept: same token
    assert store.held_by("dead-worker") == []
    assert store.claim("hemis", "run-1:3", "old", "dead-worker") == "stale"
    assert not store.beat("hemis", "run-1:3", "old") and not store.release("hemis", "run-1:3", "old")
    assert store.claim("hemis", "run-1:3", "new", "w2") == "ok"


def test_deadlines_heartbeats_and_liveness(settings, redis_client):
    store = _store(redis_client, lease_s=0.3, grace_s=0.3)
    store.register("ai", "7:transcribe", "t", SPEC, eta=time.time() + 60)  # a countdown: due much later
    store.register("ai", "8:transcribe", "u", SPEC)
    store.claim("ai", "8:transcribe", "u", "w1")
    time.sleep(0.4)
    assert store.overdue("ai") == ["8:transcribe"]
    store.beat("ai", "8:transcribe", "u")
    assert store.overdue("ai") == []
    store.set_alive("w1", 0.2)
    assert store.is_alive("w1")
    time.sleep(0.3)
    assert not store.is_alive("w1") and store.holders() == ["w1"]


def test_leased_tells_which_units_have_a_lease_in_one_call(settings, redis_client):
    store = _store(redis_client)
    store.register("hemis", "run-1:2", "t2", SPEC)
    store.register("hemis", "run-1:4", "t4", SPEC)
    store.release("hemis", "run-1:4", "t4")
    assert store.leased("hemis", ["run-1:2", "run-1:3", "run-1:4"]) == {"run-1:2"}
    assert store.leased("hemis", []) == set()
