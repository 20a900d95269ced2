"""The process's one heartbeat thread: renews the leases of the units running, and only those."""

from __future__ import annotations

import time

from shared.leases.store import LeaseStore, RepublishSpec
from workers.recovery.heartbeats import Heartbeats

LEASE_S = 0.6  # renewed every 0.2 s
SPEC = RepublishSpec(task="hemis.sync_page", args=["students", "run-1", 3], kwargs={}, queue="hemis")


def _running_lease(store: LeaseStore, unit: str, token: str) -> None:
    store.register("hemis", unit, token, SPEC)
    assert store.claim("hemis", unit, token, "w1") == "ok"


def test_a_running_unit_stays_leased_and_an_ended_one_is_left_to_expire(settings, redis_client):
    store = LeaseStore(redis_client, lease_s=LEASE_S, queued_grace_s=LEASE_S)
    heartbeats = Heartbeats()
    _running_lease(store, "run-1:1", "a")
    _running_lease(store, "run-1:2", "b")
    with heartbeats.beating(store, "hemis", "run-1:1", "a"):
        with heartbeats.beating(store, "hemis", "run-1:2", "b"):
            time.sleep(3 * LEASE_S)
            assert store.overdue("hemis") == []  # both renewed by the one thread
        time.sleep(2 * LEASE_S)
        assert store.overdue("hemis") == ["run-1:2"]  # its block ended: no longer renewed
    time.sleep(2 * LEASE_S)
    assert sorted(store.overdue("hemis")) == ["run-1:1", "run-1:2"]


def test_a_unit_handed_to_another_message_is_not_renewed_for_the_old_one(settings, redis_client):
    store = LeaseStore(redis_client, lease_s=LEASE_S, queued_grace_s=LEASE_S)
    heartbeats = Heartbeats()
    _running_lease(store, "run-1:1", "old")
    with heartbeats.beating(store, "hemis", "run-1:1", "old"):
        assert store.take_over("hemis", "run-1:1", "old", "new") == 1  # the sweeper republished it
        time.sleep(3 * LEASE_S)
        lease = store.get("hemis", "run-1:1")
        assert lease is not None and lease.token == "new"
        assert store.overdue("hemis") == ["run-1:1"]  # the old copy's beats did not keep it alive
