"""What a sweep costs while a long backlog drains (issue #21, costs that stay linear): the overdue
units are read in batches, so a sweep's Redis commands do not grow with the backlog, and a unit
queued behind it is looked at again after as long as it has waited (at most LOOK_AGAIN_MAX_S), so
the looks per unit grow with the logarithm of its wait, not with the wait itself.

On a private redis-server, so that its command counter holds this test's commands only."""

from __future__ import annotations

import json
import time

import pytest
import redis

from shared import keys
from shared.leases.store import RepublishSpec
from tests.support.recovery import lease_store
from workers import create_celery
from workers.recovery.sweeper import LOOK_AGAIN_MAX_S, SWEEP_BATCH_UNITS, sweep

BACKLOG_UNITS = 2_500
KIND = "sweep-cost"
QUEUE = "sweep-cost-queue"  # no worker consumes it: its one message is a backlog that never drains
COMMANDS_PER_BATCH = 6  # overdue range, two HMGETs, queue length, ZADD, and the slack of one
FIXED_COMMANDS = 40  # holders, kinds, the runs' checks: the same for any backlog


@pytest.fixture
def backlogged(private_redis, settings):  # type: ignore[no-untyped-def]
    """BACKLOG_UNITS units of KIND queued, all overdue, behind a queue that has a backlog."""
    settings = settings.replace(redis_url=private_redis.url)
    store = lease_store(settings)
    client = redis.Redis.from_url(private_redis.url, decode_responses=True)
    spec = RepublishSpec(task="system.echo", args=[], kwargs={}, queue=QUEUE)
    for n in range(BACKLOG_UNITS):
        store.register(KIND, f"unit-{n}", f"token-{n}", spec)
    client.lpush(QUEUE, "a message waiting")
    deadlines = keys.lease_keys(KIND)[1]
    client.zadd(deadlines, {f"unit-{n}": time.time() - 1 for n in range(BACKLOG_UNITS)})
    return settings, store, client


def _commands(client: redis.Redis) -> int:
    return int(client.info("stats")["total_commands_processed"])


def test_a_sweep_behind_a_long_backlog_costs_commands_per_batch_not_per_unit(backlogged):
    settings, store, client = backlogged
    app = create_celery(settings)
    before = _commands(client)
    report = sweep(app.navai_services, app.navai_recovery)
    spent = _commands(client) - before

    batches = -(-BACKLOG_UNITS // SWEEP_BATCH_UNITS)
    assert report.republished == []  # behind a backlog: nothing is published again
    assert spent <= FIXED_COMMANDS + batches * COMMANDS_PER_BATCH, spent  # was 2 per unit: 5,000
    now = time.time()
    next_looks = client.zrange(keys.lease_keys(KIND)[1], 0, -1, withscores=True)
    assert len(next_looks) == BACKLOG_UNITS
    assert all(now + settings.recovery_queued_grace_s - 5 <= when <= now + LOOK_AGAIN_MAX_S
               for _unit, when in next_looks)


def test_a_unit_that_waited_long_is_looked_at_again_after_as_long_at_most_the_cap(backlogged):
    settings, store, client = backlogged
    waited_s = 120.0
    leases = keys.lease_keys(KIND)[0]
    for unit in ("unit-0", "unit-1"):  # published two minutes ago / an hour ago
        lease = json.loads(client.hget(leases, unit))
        lease["since"] = time.time() - (waited_s if unit == "unit-0" else 3_600)
        client.hset(leases, unit, json.dumps(lease))
    app = create_celery(settings)
    sweep(app.navai_services, app.navai_recovery)

    now = time.time()
    assert client.zscore(keys.lease_keys(KIND)[1], "unit-0") == pytest.approx(now + waited_s, abs=5)
    assert client.zscore(keys.lease_keys(KIND)[1], "unit-1") == pytest.approx(now + LOOK_AGAIN_MAX_S, abs=5)
    assert store.get(KIND, "unit-2").since > now - 60  # registered by this test: since when it is queued
