"""What navai-sync reads of the broker's own storage: how kombu's Redis transport keeps a queue.

kombu keeps a queue's messages in one Redis list per priority step: `<queue>` for priority 0 (the
recovered units) and `<queue>\\x06\\x16<step>` for the others. These are kombu's private names,
pinned here once; `tests/shared/test_broker.py` compares them with the installed kombu, so an
upgrade that changes them fails the suite instead of silently counting empty queues. kombu's
`sentinel://` transport keeps the same lists on whichever server is master: the client given here
(`svc.redis`, from `make_redis`) follows that master too.
"""

from __future__ import annotations

from collections.abc import Iterable

import redis

# kombu.transport.redis: PRIORITY_STEPS = [0, 3, 6, 9], Channel.sep = "\x06\x16".
KOMBU_PRIORITY_STEPS = (0, 3, 6, 9)
KOMBU_PRIORITY_SEPARATOR = "\x06\x16"


def priority_lists(queue: str) -> list[str]:
    """The Redis lists holding `queue`'s messages, one per priority step."""
    return [queue if step == 0 else f"{queue}{KOMBU_PRIORITY_SEPARATOR}{step}" for step in KOMBU_PRIORITY_STEPS]


def queue_lengths(client: redis.Redis, queues: Iterable[str]) -> dict[str, int]:
    """Messages waiting in each queue (every priority step counted), in one round trip."""
    names = list(queues)
    pipe = client.pipeline(transaction=False)
    for queue in names:
        for name in priority_lists(queue):
            pipe.llen(name)
    lengths = pipe.execute()
    steps = len(KOMBU_PRIORITY_STEPS)
    return {queue: sum(int(n) for n in lengths[i * steps:(i + 1) * steps]) for i, queue in enumerate(names)}
