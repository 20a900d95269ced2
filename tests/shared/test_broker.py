"""kombu's private names that navai-sync reads, pinned: an upgrade that changes them fails here."""

from __future__ import annotations

from kombu.transport import redis as kombu_redis

from shared.broker import KOMBU_PRIORITY_SEPARATOR, KOMBU_PRIORITY_STEPS, priority_lists, queue_lengths


def test_the_priority_lists_are_those_of_the_installed_kombu():
    assert tuple(kombu_redis.PRIORITY_STEPS) == KOMBU_PRIORITY_STEPS
    assert kombu_redis.Channel.sep == KOMBU_PRIORITY_SEPARATOR
    channel = object.__new__(kombu_redis.Channel)  # _q_for_pri reads only class attributes
    assert priority_lists("hemis") == [channel._q_for_pri("hemis", step) for step in KOMBU_PRIORITY_STEPS]


def test_queue_lengths_count_every_priority_list(settings, redis_client):
    # Queues no worker consumes: a worker of the test session would choke on these fake messages.
    first, *others = priority_lists("test-broker-a")
    redis_client.rpush(first, "a")
    redis_client.rpush(others[0], "b", "c")
    redis_client.rpush(priority_lists("test-broker-b")[-1], "d")
    assert queue_lengths(redis_client, ["test-broker-a", "test-broker-b", "test-broker-c"]) == {
        "test-broker-a": 3, "test-broker-b": 1, "test-broker-c": 0}
